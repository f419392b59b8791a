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
#include <string_view>

#include "src/base/digest.h"
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
  int64_t mtime_unix_ns() const { return mtime_unix_ns_; }
  // Fills `out` as far as the file allows; 0 at end of file.
  StatusOr<size_t> Read(std::span<uint8_t> out);

 private:
  LocalSource(int fd, uint64_t size, int64_t mtime_unix_ns)
      : fd_(fd), size_(size), mtime_unix_ns_(mtime_unix_ns) {}
  int fd_;
  uint64_t size_;
  int64_t mtime_unix_ns_;
};

// A download being written to the local disk. Bytes go to a hidden partial file
// next to the target, `.NAME.ferry-part.data`, described by a sidecar
// `.NAME.ferry-part.info` (remote path, size and modification time the server
// announced). Only a verified, complete file is moved into place. A download
// that is interrupted (connection lost, cancelled, or the client killed) leaves
// the pair behind so that it can be resumed (spec 7.8, R-RESUME-5); any other
// failure removes it. One process at a time may write a given partial (an
// advisory lock on it).
class LocalDownload {
 public:
  // Prepares a fresh download to `target`, dropping a partial an earlier attempt
  // left. kAlreadyExists if the target exists and !overwrite; kIsADirectory if it
  // is a directory; kNotFound if its directory is missing; kBusy if another
  // download to the same target is in progress.
  static StatusOr<std::unique_ptr<LocalDownload>> Create(const std::string& target, bool overwrite);
  // As Create, but keeps a partial left by an interrupted download of `remote`
  // to the same target, if its sidecar is intact and matches; kept_bytes() says
  // how much of it is usable (0: none, the download starts fresh).
  static StatusOr<std::unique_ptr<LocalDownload>> Resume(const std::string& target, bool overwrite,
                                                         std::string_view remote);
  ~LocalDownload();  // removes the partial unless committed or kept
  LocalDownload(const LocalDownload&) = delete;
  LocalDownload& operator=(const LocalDownload&) = delete;

  // The kept prefix and the file it belongs to, as its server announced it.
  uint64_t kept_bytes() const { return kept_bytes_; }
  uint64_t kept_size() const { return kept_size_; }
  int64_t kept_mtime_unix_ns() const { return kept_mtime_unix_ns_; }
  // Feeds the kept prefix, [0, kept_bytes()), to `digest`.
  Status HashKept(StreamingDigest* digest);

  // The server has announced the file: record it in the sidecar, and drop the
  // kept prefix unless the server resumes after it (offset != 0).
  Status Begin(std::string_view remote, uint64_t size, int64_t mtime_unix_ns, uint64_t offset);
  Status Write(std::span<const uint8_t> data);
  // Flushes the file and moves it into place (atomically refusing to replace an
  // existing file when !overwrite).
  Status Commit();
  // Leaves the partial and its sidecar in place for a later Resume (only once
  // Begin has recorded what they hold).
  void Keep() { kept_ = begun_; }

  // The partial file's name for `target` (tests look for it).
  static std::string PartialPathFor(const std::string& target);

 private:
  static StatusOr<std::unique_ptr<LocalDownload>> Open(const std::string& target, bool overwrite,
                                                       const std::string_view* remote);
  LocalDownload(int fd, std::string partial, std::string info, std::string target, bool overwrite)
      : fd_(fd),
        partial_(std::move(partial)),
        info_(std::move(info)),
        target_(std::move(target)),
        overwrite_(overwrite) {}
  int fd_;
  std::string partial_;
  std::string info_;  // the sidecar
  std::string target_;
  bool overwrite_;
  uint64_t kept_bytes_ = 0;
  uint64_t kept_size_ = 0;
  int64_t kept_mtime_unix_ns_ = 0;
  uint64_t written_ = 0;  // the partial's length
  bool begun_ = false;
  bool committed_ = false;
  bool kept_ = false;
};

// What the client remembers about an interrupted resumable upload (spec 7.8):
// the id the server gave it, and the local file it came from, so that a resume
// of a file that changed since starts afresh. One record per server and remote
// path, in a small file under the state directory.
struct UploadRecord {
  std::string resume_id;
  std::string local;  // absolute path of the source
  uint64_t size = 0;
  int64_t mtime_unix_ns = 0;
};

// Where the records live: $FERRY_STATE_DIR, else $XDG_STATE_HOME/ferry, else
// $HOME/.local/state/ferry; "" when none of these is set.
std::string UploadStateDirectory();
// kNotFound when there is no intact record.
StatusOr<UploadRecord> LoadUploadRecord(const std::string& dir, std::string_view server,
                                        std::string_view remote);
// Creates the directory (0700) if needed.
Status SaveUploadRecord(const std::string& dir, std::string_view server, std::string_view remote,
                        const UploadRecord& record);
void ForgetUploadRecord(const std::string& dir, std::string_view server, std::string_view remote);

// True if `path` names an existing directory on the local disk.
bool IsLocalDirectory(const std::string& path);

}  // namespace ferry
