// Every protocol limit, in one place. Each constant mirrors a clause of
// spec/PROTOCOL.md section 10 ("Limits"); change both together.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace ferry::limits {

// Protocol versions this build speaks (spec 5.2).
inline constexpr uint32_t kProtocolVersion = 1;

// Frames are a 4-byte big-endian payload length, then the payload (spec 4.1).
inline constexpr size_t kFrameHeaderBytes = 4;

// Before the handshake completes no frame may exceed this (spec 4.3, R-FRAME-4).
inline constexpr uint32_t kHandshakeMaxFrameBytes = 64 * 1024;

// The smallest max_frame_bytes a client may ask for, and the default and ceiling a
// server offers (spec 5.3). Chunks are sized so one chunk fills one frame.
inline constexpr uint32_t kMinFrameBytes = 64 * 1024;
inline constexpr uint32_t kDefaultMaxFrameBytes = 1024 * 1024 + 64;
inline constexpr uint32_t kMaxFrameBytesCeiling = 16 * 1024 * 1024 + 64;

// A chunk frame's protobuf header is at most 1 + 5 + 1 + 5 bytes (spec 4.5), so a
// chunk of max_frame_bytes - kChunkOverheadBytes always fits in one frame.
inline constexpr uint32_t kChunkOverheadBytes = 16;

// Paths (spec 3).
inline constexpr size_t kMaxPathBytes = 4096;
inline constexpr size_t kMaxNameBytes = 255;

// Free-text fields in the handshake.
inline constexpr size_t kMaxPeerNameBytes = 256;

// Listing pages (spec 6.1).
inline constexpr uint32_t kMaxListEntries = 1000;

// The digest that guards every transfer (spec 7.4).
inline constexpr size_t kDigestBytes = 16;

// Consecutive rejected requests (malformed or unexpected) after which a server
// closes the connection (spec 9.3).
inline constexpr int kMaxConsecutiveBadRequests = 8;

// Authentication tokens (spec 5.9): a server's own token is at least
// kMinTokenBytes; a presented token longer than kMaxTokenBytes is refused unread.
inline constexpr size_t kMinTokenBytes = 16;
inline constexpr size_t kMaxTokenBytes = 1024;
// The wrong-token failure that closes the connection (R-AUTH-6), and the pause
// before each such reply that makes guessing slow (R-AUTH-5).
inline constexpr int kMaxAuthenticationFailures = 3;
inline constexpr std::chrono::milliseconds kAuthFailureDelay{1000};

// Connections one client address may hold at once by default (R-ACCESS-3).
inline constexpr size_t kDefaultMaxConnectionsPerAddress = 32;

// Deadlines (spec 8).
inline constexpr std::chrono::seconds kHandshakeTimeout{10};
inline constexpr std::chrono::seconds kIdleTimeout{300};
inline constexpr std::chrono::seconds kTransferStallTimeout{60};
// While a long hash runs the server sends a keep-alive this often, so that the
// client's receive deadline does not expire (R-HASH-4).
inline constexpr std::chrono::seconds kHashProgressInterval{10};

// Interrupted resumable uploads a server keeps at most, and for how long (spec
// 7.8, R-RESUME-9): abandoned ones cannot fill the disk.
inline constexpr size_t kMaxKeptUploads = 64;
inline constexpr std::chrono::seconds kKeptUploadLifetime{3600};
// An upload's resume id: 128 random bits.
inline constexpr size_t kResumeIdBytes = 16;

}  // namespace ferry::limits
