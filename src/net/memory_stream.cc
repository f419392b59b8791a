#include "src/net/memory_stream.h"

#include <algorithm>
#include <cstring>

namespace ferry {

StatusOr<size_t> MemoryStream::ReadSome(std::span<uint8_t> out) {
  if (closed_ || position_ == input_.size()) {
    return Status::Error(StatusCode::kConnectionClosed, "end of input");
  }
  const size_t n = std::min({out.size(), input_.size() - position_, max_read_});
  std::memcpy(out.data(), input_.data() + position_, n);
  position_ += n;
  return n;
}

Status MemoryStream::Write(std::span<const uint8_t> first, std::span<const uint8_t> second) {
  if (closed_) return Status::Error(StatusCode::kConnectionClosed, "stream shut down");
  for (std::span<const uint8_t> part : {first, second}) {
    if (output_.size() + part.size() > write_limit_) {
      return Status::Error(StatusCode::kConnectionClosed, "peer went away");
    }
    output_.append(reinterpret_cast<const char*>(part.data()), part.size());
  }
  return Status::Ok();
}

}  // namespace ferry
