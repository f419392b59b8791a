// Stream: a reliable, ordered byte stream with timeouts (a TCP connection in
// production, memory in tests and fuzzers). All EINTR, short-transfer and
// deadline handling lives in the implementations, so callers read and write
// whole buffers and get a Status.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>

#include "src/base/status.h"

namespace ferry {

class Stream {
 public:
  virtual ~Stream() = default;

  // Reads between 1 and out.size() bytes, waiting at most the I/O timeout for the
  // first one. kConnectionClosed when the peer closed (or reset) the stream,
  // kTimeout when nothing arrived in time.
  virtual StatusOr<size_t> ReadSome(std::span<uint8_t> out) = 0;

  // Writes all of `first`, then all of `second` (one gathered write where the
  // transport allows). Each wait for buffer space is bounded by the I/O timeout:
  // a peer that stops reading yields kTimeout. kConnectionClosed if the peer is
  // gone; never raises SIGPIPE.
  virtual Status Write(std::span<const uint8_t> first, std::span<const uint8_t> second = {}) = 0;

  // True when a read would not block: bytes or an end-of-stream are waiting.
  virtual bool ReadReady() = 0;

  // The longest any single wait for progress may take.
  virtual void SetIoTimeout(std::chrono::milliseconds timeout) = 0;

  // An absolute time after which every operation fails with kTimeout, whatever
  // progress is made (a trickling peer cannot extend it); nullopt clears it.
  virtual void SetDeadline(std::optional<std::chrono::steady_clock::time_point> deadline) = 0;

  // Stops both directions now; later operations fail with kConnectionClosed.
  virtual void Shutdown() = 0;
};

}  // namespace ferry
