// An in-memory Stream: the peer's bytes are given up front, what is written is
// collected. Used by session tests and fuzzers so no socket is involved.
#pragma once

#include <string>
#include <vector>

#include "src/net/stream.h"

namespace ferry {

class MemoryStream : public Stream {
 public:
  // `input` is everything the peer will send; after it the stream reads as
  // closed. `max_read` caps each ReadSome, to exercise short reads.
  explicit MemoryStream(std::string input, size_t max_read = SIZE_MAX)
      : input_(std::move(input)), max_read_(max_read) {}

  StatusOr<size_t> ReadSome(std::span<uint8_t> out) override;
  Status Write(std::span<const uint8_t> first, std::span<const uint8_t> second) override;
  bool ReadReady() override { return true; }  // data or end-of-stream, never blocking
  void SetIoTimeout(std::chrono::milliseconds) override {}
  void SetDeadline(std::optional<std::chrono::steady_clock::time_point>) override {}
  void Shutdown() override { closed_ = true; }

  const std::string& output() const { return output_; }
  bool closed() const { return closed_; }
  // Fails every later Write with kConnectionClosed once `limit` bytes were written.
  void FailWritesAfter(size_t limit) { write_limit_ = limit; }

 private:
  std::string input_;
  size_t max_read_;
  size_t position_ = 0;
  std::string output_;
  size_t write_limit_ = SIZE_MAX;
  bool closed_ = false;
};

}  // namespace ferry
