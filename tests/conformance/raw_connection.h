// RawConnection: a deliberately minimal ferry client for conformance tests.
//
// It speaks frames over a plain blocking-with-timeout TCP socket to 127.0.0.1
// and nothing more: no state machine, no checks, no retries, so a test can send
// exactly the bytes the spec talks about (malformed, oversize, truncated,
// pipelined) and see exactly what the server answers. Frame headers and chunk
// headers are written here by hand, independently of src/codec, so the suite
// checks the server against the spec rather than against its own encoder.
//
// Every read has a hang guard (kHangGuard by default). The guard exists so that
// a server that never answers fails the test instead of hanging it; no test
// asserts how quickly anything happens.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "ferry/v1/ferry.pb.h"
#include "src/base/status.h"

namespace ferry::conformance {

inline constexpr std::chrono::milliseconds kHangGuard{10'000};

// One frame as the server sent it: the payload bytes exactly as received, and
// the payload parsed as a ServerMessage (a chunk frame parses to `chunk`).
struct ServerFrame {
  std::string payload;
  v1::ServerMessage message;

  bool is_chunk() const { return message.body_case() == v1::ServerMessage::kChunk; }
  bool is_error() const { return message.body_case() == v1::ServerMessage::kError; }
  const std::string& chunk_data() const { return message.chunk().data(); }
  // The whole frame, length prefix included.
  std::string Bytes() const;
};

// How a connection ended, as ExpectClosed observed it.
enum class CloseKind { kEndOfStream, kReset };

class RawConnection {
 public:
  // Connects to 127.0.0.1:port. `receive_buffer_bytes` > 0 sets SO_RCVBUF before
  // the connection is made, for tests that need the server to block on a slow
  // reader.
  static StatusOr<std::unique_ptr<RawConnection>> Connect(uint16_t port,
                                                          int receive_buffer_bytes = 0);
  ~RawConnection();
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  // Writes `bytes` exactly as given (any framing is the caller's business).
  Status SendRaw(std::string_view bytes);
  // A frame header announcing `length` payload bytes, and nothing else.
  Status SendHeader(uint32_t length);
  // A frame carrying `payload` verbatim.
  Status SendPayload(std::string_view payload);
  // A frame carrying `message`, serialised by protobuf.
  Status SendFrame(const v1::ClientMessage& message);
  // A chunk frame for `data` in the spec's fixed layout (4.5), header written by
  // hand: be32(L) 3A varint(K) 0A varint(N) data.
  Status SendChunk(std::string_view data);

  // Changes SO_RCVBUF on the open connection (a larger window speeds up a slow
  // reader once the test no longer needs the server to block).
  Status SetReceiveBuffer(int bytes);

  // Ends the sending direction (FIN); reading stays possible.
  Status ShutdownWrite();

  // The next whole frame. Fails with kConnectionClosed if the stream ends (at a
  // frame boundary or inside a frame), kTimeout after `guard`, and
  // kMalformedMessage if the payload is not a ServerMessage.
  StatusOr<ServerFrame> ReadFrame(std::chrono::milliseconds guard = kHangGuard);

  // Waits until the server has closed the connection: a read returns 0 or fails
  // with ECONNRESET. Any frame bytes still arriving before the close are an
  // error (kInternal, with the bytes described), as is the guard passing
  // (kTimeout).
  StatusOr<CloseKind> WaitClosed(std::chrono::milliseconds guard = kHangGuard);
  // WaitClosed as a gtest assertion: EXPECT_TRUE(connection->ExpectClosed()).
  ::testing::AssertionResult ExpectClosed(std::chrono::milliseconds guard = kHangGuard);

  // True if bytes can be read right now, after waiting at most `wait`.
  bool Readable(std::chrono::milliseconds wait);

  // Sends Hello (versions 1..1, client_name "conformance", the given
  // max_frame_bytes) and reads the reply, which must be Welcome.
  StatusOr<v1::Welcome> Handshake(uint32_t max_frame_bytes = 0);

  int fd() const { return fd_; }

 private:
  explicit RawConnection(int fd) : fd_(fd) {}
  // Reads exactly `n` bytes into `out` before `deadline`.
  Status ReadExactly(size_t n, std::string* out, std::chrono::steady_clock::time_point deadline,
                     bool at_frame_boundary);

  int fd_ = -1;
  std::string pending_;  // bytes received but not yet returned
};

// ---------------------------------------------------------------------------
// Hand encoding helpers: the spec's wire formats, written out byte by byte.

// Protobuf base-128 varint (spec 4.2).
std::string Varint(uint64_t value);
// The 4-byte big-endian length prefix (spec 4.1).
std::string BigEndian32(uint32_t value);
// A protobuf field key: varint(field << 3 | wire_type).
std::string FieldKey(uint32_t field, uint32_t wire_type);
// A length-delimited field (wire type 2) holding `bytes`.
std::string LengthDelimited(uint32_t field, std::string_view bytes);
// A whole frame: length prefix + payload.
std::string Frame(std::string_view payload);
// A whole chunk frame in the fixed layout of spec 4.5.
std::string ChunkFrame(std::string_view data);
// A serialised ClientMessage as a whole frame.
std::string Frame(const v1::ClientMessage& message);

// `payload` followed by an unknown length-delimited field (number 1000) sized so
// the result is exactly `target` bytes long. Receivers ignore unknown fields
// (R-FRAME-10), so this inflates a frame to a chosen length without changing its
// meaning. `target` must leave room for the field's key and length.
std::string PadPayload(std::string payload, size_t target);

// Convenience builders for client messages.
v1::ClientMessage Hello(uint32_t min_version = 1, uint32_t max_version = 1,
                        std::string_view client_name = "conformance", uint32_t max_frame_bytes = 0);
v1::ClientMessage ListMessage(std::string_view path);
v1::ClientMessage StatMessage(std::string_view path);
v1::ClientMessage RemoveMessage(std::string_view path);
v1::ClientMessage MakeDirectoryMessage(std::string_view path);
v1::ClientMessage RemoveDirectoryMessage(std::string_view path);
v1::ClientMessage RenameMessage(std::string_view from, std::string_view to, bool overwrite = false);
v1::ClientMessage HashMessage(std::string_view path, uint64_t offset = 0, uint64_t length = 0);
v1::ClientMessage DownloadMessage(std::string_view path);
v1::ClientMessage UploadMessage(std::string_view path, uint64_t size, bool overwrite = false);
v1::ClientMessage UploadEndMessage(uint64_t size, std::string_view digest);
v1::ClientMessage CancelMessage();
v1::ClientMessage ByeMessage();

// The XXH3-128 digest of `data` in its 16-byte wire form (spec 7.4).
std::string WireDigest(std::string_view data);

}  // namespace ferry::conformance
