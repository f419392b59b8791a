// KeptUploads: the server-wide registry of interrupted resumable uploads (spec
// 7.8). A session whose connection is lost during a resumable upload files the
// upload's kept temporary here under the upload's resume id; a later session
// presenting that id for the same path and size takes it back and continues.
//
// It is bounded in count and in time (R-RESUME-9): an entry older than the
// lifetime is dropped, and when full the oldest is evicted. Dropping an entry
// destroys its KeptUpload, which removes the temporary. An entry is taken out
// while an upload continues it, so two sessions can never share one.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "src/base/status.h"
#include "src/codec/limits.h"
#include "src/fs/file_system.h"
#include "src/fs/path.h"

namespace ferry {

class KeptUploads {
 public:
  using Clock = std::chrono::steady_clock;
  struct Options {
    size_t capacity = limits::kMaxKeptUploads;
    Clock::duration lifetime = limits::kKeptUploadLifetime;
    std::function<Clock::time_point()> now = [] { return Clock::now(); };
  };

  KeptUploads() : KeptUploads(Options{}) {}
  explicit KeptUploads(Options options) : options_(std::move(options)) {}
  // Removes every temporary still kept. Must be destroyed before the
  // FileSystem the kept uploads came from.
  ~KeptUploads() = default;
  KeptUploads(const KeptUploads&) = delete;
  KeptUploads& operator=(const KeptUploads&) = delete;

  // A fresh resume id: kResumeIdBytes from the kernel's random source.
  static StatusOr<std::string> NewId();

  // Files `kept`, the temporary of an upload to `path` of announced `size`,
  // under `id`. Drops expired entries first, then the oldest while full.
  void Put(std::string id, const Path& path, uint64_t size, std::unique_ptr<KeptUpload> kept);

  // Takes out the upload `id` names, if it is there, has not expired, and was
  // for the same `path` and `size`. An entry under `id` for anything else is
  // dropped: it is never continued as another upload. nullptr when there is
  // nothing to continue.
  std::unique_ptr<KeptUpload> Take(std::string_view id, const Path& path, uint64_t size);

  size_t size() const;

 private:
  struct Entry {
    Path path;
    uint64_t size = 0;
    Clock::time_point kept_at;
    std::unique_ptr<KeptUpload> kept;
  };
  // Expects mu_ held.
  void DropExpired(Clock::time_point now);

  const Options options_;
  mutable std::mutex mu_;
  std::map<std::string, Entry, std::less<>> entries_;
};

}  // namespace ferry
