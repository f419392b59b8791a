// The raw-TCP baselines the benchmark compares ferry against: the same loopback,
// the same write sizes, no protocol. Both ends run in this process on their own
// threads, as ferryd and its client run on their own processes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "src/base/status.h"

namespace ferry::bench {

// Sends `bytes` over each of `streams` loopback connections at once, in writes of
// `write_size`, and returns the seconds from the first write until every receiver
// has read everything.
StatusOr<double> TcpThroughput(uint64_t bytes, size_t write_size, int streams);

// `count` request/response round trips over one loopback connection with
// TCP_NODELAY: `request_bytes` one way, `reply_bytes` back. Returns each round
// trip's time in microseconds.
StatusOr<std::vector<double>> TcpPingPong(size_t request_bytes, size_t reply_bytes, int count);

// Writes `bytes` to a new file at `path` in writes of `write_size`, then fsyncs
// it: what `dd bs=write_size conv=fsync` does. Returns {total seconds, fsync
// seconds}. The file is removed afterwards.
struct DiskWrite {
  double seconds = 0;
  double fsync_seconds = 0;
};
StatusOr<DiskWrite> DiskWriteFsync(const char* path, uint64_t bytes, size_t write_size);

}  // namespace ferry::bench
