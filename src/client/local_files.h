// The client's side of a transfer on the local disk.
//
// A download never writes to its destination directly: bytes go to a hidden
// temporary in the same directory, and only a verified, complete file is moved
// into place, without replacing an existing file unless asked. An interrupted
// download leaves nothing behind.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "src/base/status.h"

namespace ferry {

class LocalSource {
 public:
  // kNotFound, kPermissionDenied, kIsADirectory, kNotARegularFile.
  static StatusOr<std::unique_ptr<LocalSource>> Open(const std::string& path);
  ~LocalSource();
  LocalSource(const LocalSource&) = delete;
  LocalSource& operator=(const LocalSource&) = delete;

  uint64_t size() const { return size_; }
  // Fills `out` as far as the file allows; 0 at end of file.
  StatusOr<size_t> Read(std::span<uint8_t> out);

 private:
  LocalSource(int fd, uint64_t size) : fd_(fd), size_(size) {}
  int fd_;
  uint64_t size_;
};

class LocalDownload {
 public:
  // Prepares to write `target`. kAlreadyExists if it exists and !overwrite;
  // kIsADirectory if it is a directory; kNotFound if its directory is missing.
  static StatusOr<std::unique_ptr<LocalDownload>> Create(const std::string& target, bool overwrite);
  ~LocalDownload();  // removes the temporary unless committed
  LocalDownload(const LocalDownload&) = delete;
  LocalDownload& operator=(const LocalDownload&) = delete;

  Status Write(std::span<const uint8_t> data);
  // Flushes the file and moves it into place (atomically refusing to replace an
  // existing file when !overwrite).
  Status Commit();

 private:
  LocalDownload(int fd, std::string temp, std::string target, bool overwrite)
      : fd_(fd), temp_(std::move(temp)), target_(std::move(target)), overwrite_(overwrite) {}
  int fd_;
  std::string temp_;
  std::string target_;
  bool overwrite_;
  bool committed_ = false;
};

// True if `path` names an existing directory on the local disk.
bool IsLocalDirectory(const std::string& path);

}  // namespace ferry
