// What this machine's own disk and file system allow, with no protocol and no
// network: the floors under the scenarios whose targets are relative to a peer
// that does less work (vsftpd neither syncs small uploads nor can beat the disk).
// The benchmark prints ferry's figure next to these, so that a reader can tell
// how far ferry is from the machine's limit, and whether a target lies below it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "src/base/status.h"

namespace ferry::bench {

// Writes `bytes` to a new file at `path` in writes of `write_size`, starting
// write-back as it goes exactly as ferryd does (src/fs/write_behind.h), then
// fsyncs it: the fastest durable write this disk and kernel give one file, with
// no network and no digest. Seconds. The file is removed afterwards.
StatusOr<double> DurableWriteWithWriteBehind(const std::string& path, uint64_t bytes,
                                             size_t write_size);

// Makes `count` files of `bytes` bytes in `dir` durable the way a careful
// program does one at a time: write a temporary, fsync it, rename it into
// place; then one fsync of the directory. Milliseconds. The files stay.
StatusOr<double> DurableSmallFiles(const std::string& dir, int count, size_t bytes);

// Reads the directory `dir` and lstat()s every entry, as any long listing must.
// Milliseconds; `entries` gets how many were seen.
StatusOr<double> ListAndStat(const std::string& dir, int* entries);

}  // namespace ferry::bench
