#include "src/codec/frame_io.h"

#include <cstring>

#include "src/codec/frame.h"
#include "src/codec/limits.h"

namespace ferry {
namespace {

constexpr size_t kInitialBufferBytes = 4096;

}  // namespace

Status FrameReader::Fill(size_t n, bool at_frame_boundary) {
  if (end_ - begin_ >= n) return Status::Ok();
  if (buffer_.size() - begin_ < n) {
    // Compact, then grow only as far as this frame needs. (memmove from the
    // empty buffer's null data() is undefined even for zero bytes.)
    if (end_ > begin_) std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
    if (buffer_.size() < n) buffer_.resize(std::max(n, kInitialBufferBytes));
  }
  while (end_ - begin_ < n) {
    auto got = stream_->ReadSome(std::span<uint8_t>(buffer_).subspan(end_));
    if (!got.ok()) {
      const Status status = got.status();
      if (status.code() == StatusCode::kConnectionClosed &&
          !(at_frame_boundary && end_ == begin_)) {
        return Status::Error(StatusCode::kConnectionClosed, "connection closed inside a frame");
      }
      return status;
    }
    end_ += *got;
  }
  return Status::Ok();
}

StatusOr<std::span<const uint8_t>> FrameReader::ReadFrame() {
  FERRY_RETURN_IF_ERROR(Fill(limits::kFrameHeaderBytes, /*at_frame_boundary=*/true));
  const uint32_t length =
      DecodeFrameLength(std::span<const uint8_t, 4>(buffer_.data() + begin_, 4));
  if (length == 0) return Status::Error(StatusCode::kMalformedFrame, "zero-length frame");
  if (length > max_frame_bytes_) {
    return Status::Error(StatusCode::kMessageTooLarge, "frame of " + std::to_string(length) +
                                                           " bytes exceeds the limit of " +
                                                           std::to_string(max_frame_bytes_));
  }
  FERRY_RETURN_IF_ERROR(Fill(limits::kFrameHeaderBytes + length, /*at_frame_boundary=*/false));
  const std::span<const uint8_t> payload(buffer_.data() + begin_ + limits::kFrameHeaderBytes,
                                         length);
  begin_ += limits::kFrameHeaderBytes + length;
  return payload;
}

bool FrameReader::HasInput() { return end_ > begin_ || stream_->ReadReady(); }

bool FrameReader::HasWholeFrame() {
  while (true) {
    size_t need = limits::kFrameHeaderBytes;
    if (end_ - begin_ >= limits::kFrameHeaderBytes) {
      const uint32_t length =
          DecodeFrameLength(std::span<const uint8_t, 4>(buffer_.data() + begin_, 4));
      // A bad length is an error ReadFrame reports at once.
      if (length == 0 || length > max_frame_bytes_) return true;
      need += length;
      if (end_ - begin_ >= need) return true;
    }
    if (!stream_->ReadReady()) return false;
    // Room for the rest of this frame, as Fill makes it; the length was checked.
    if (buffer_.size() - begin_ < need) {
      if (end_ > begin_) std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
      end_ -= begin_;
      begin_ = 0;
      if (buffer_.size() < need) buffer_.resize(std::max(need, kInitialBufferBytes));
    }
    auto got = stream_->ReadSome(std::span<uint8_t>(buffer_).subspan(end_));
    if (!got.ok()) return true;  // end of stream or an error: ReadFrame reports it
    end_ += *got;
  }
}

Status FrameWriter::Write(const google::protobuf::MessageLite& message) {
  if (!EncodeFrame(message, &buffer_)) {
    return Status::Error(StatusCode::kInternal, "message too large to encode");
  }
  return stream_->Write(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(buffer_.data()), buffer_.size()));
}

Status FrameWriter::WriteChunk(std::span<const uint8_t> data) {
  const ChunkFrameHeader header = EncodeChunkFrameHeader(static_cast<uint32_t>(data.size()));
  return stream_->Write(header.view(), data);
}

}  // namespace ferry
