// Many small transfers on one connection with requests pipelined (spec 5.6,
// R-STATE-5): one thread writes every request while the caller's thread reads
// every reply, so neither direction's socket buffer can fill up and stall the
// other. The Client library waits for each reply; this is what a client that
// pipelines does, written against the codec directly.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "src/base/status.h"
#include "src/codec/frame_io.h"
#include "src/net/address.h"
#include "src/net/socket.h"

namespace ferry::bench {

class PipelinedSession {
 public:
  static StatusOr<std::unique_ptr<PipelinedSession>> Connect(const HostPort& server);

  // Uploads `data` to every name in `names` (overwriting), each confirmed by an
  // UploadDone carrying the same digest.
  Status UploadAll(const std::vector<std::string>& names, const std::vector<uint8_t>& data);

  // Downloads every name; each must be `expected_size` bytes with a digest that
  // matches its DownloadEnd.
  Status DownloadAll(const std::vector<std::string>& names, uint64_t expected_size);

 private:
  explicit PipelinedSession(std::unique_ptr<SocketStream> stream);
  Status Handshake();

  std::unique_ptr<SocketStream> stream_;
  FrameReader reader_;
  uint32_t max_chunk_bytes_ = 0;
};

}  // namespace ferry::bench
