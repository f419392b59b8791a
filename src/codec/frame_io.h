// Reading and writing frames on a Stream.
#pragma once

#include <google/protobuf/message_lite.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "src/base/status.h"
#include "src/net/stream.h"

namespace ferry {

// Reads frames through one reusable buffer. The length prefix is checked against
// the limit before any memory is reserved for the payload (R-FRAME-6), so a
// hostile 4 GiB length costs nothing. The buffer starts small and grows only to
// the largest frame actually received.
class FrameReader {
 public:
  FrameReader(Stream* stream, uint32_t max_frame_bytes)
      : stream_(stream), max_frame_bytes_(max_frame_bytes) {}

  void set_max_frame_bytes(uint32_t limit) { max_frame_bytes_ = limit; }
  uint32_t max_frame_bytes() const { return max_frame_bytes_; }

  // The next frame's payload, valid until the next call. Errors:
  // kConnectionClosed if the stream ended, at a frame boundary or inside a frame
  // (a partial frame is connection loss, R-FRAME-7: there is no one to tell);
  // kMalformedFrame for a zero length;
  // kMessageTooLarge for a length over the limit; kTimeout.
  StatusOr<std::span<const uint8_t>> ReadFrame();

  // True if a whole or partial frame is already buffered, or the stream has bytes
  // ready: a read would not wait.
  bool HasInput();

  // True if ReadFrame would not wait: a whole frame is buffered, or an error is
  // ready to report. Reads what the stream has ready, without waiting, to find
  // out. (HasInput is also true for the first bytes of a frame whose rest has
  // not arrived.)
  bool HasWholeFrame();

 private:
  // Ensures at least `n` bytes are buffered from begin_.
  Status Fill(size_t n, bool at_frame_boundary);

  Stream* stream_;
  uint32_t max_frame_bytes_;
  std::vector<uint8_t> buffer_;
  size_t begin_ = 0;  // first unconsumed byte
  size_t end_ = 0;    // one past the last buffered byte
};

// Writes frames through one reusable buffer.
class FrameWriter {
 public:
  explicit FrameWriter(Stream* stream) : stream_(stream) {}

  Status Write(const google::protobuf::MessageLite& message);
  // A chunk frame carrying `data` (1 .. max_chunk_bytes bytes).
  Status WriteChunk(std::span<const uint8_t> data);

 private:
  Stream* stream_;
  std::string buffer_;
};

}  // namespace ferry
