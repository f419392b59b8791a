#include "src/server/kept_uploads.h"

#include <sys/random.h>

#include <algorithm>
#include <cerrno>

#include "src/fs/errno_status.h"

namespace ferry {

StatusOr<std::string> KeptUploads::NewId() {
  std::string id(limits::kResumeIdBytes, '\0');
  // Requests of up to 256 bytes are never short (getrandom(2)).
  if (getrandom(id.data(), id.size(), 0) != static_cast<ssize_t>(id.size())) {
    return ErrnoToStatus(errno, "resume id");
  }
  return id;
}

void KeptUploads::DropExpired(Clock::time_point now) {
  std::erase_if(entries_,
                [&](const auto& item) { return now - item.second.kept_at >= options_.lifetime; });
}

void KeptUploads::Put(std::string id, const Path& path, uint64_t size,
                      std::unique_ptr<KeptUpload> kept) {
  std::lock_guard lock(mu_);
  const Clock::time_point now = options_.now();
  DropExpired(now);
  entries_.erase(id);
  while (!entries_.empty() && entries_.size() >= options_.capacity) {
    entries_.erase(std::min_element(
        entries_.begin(), entries_.end(),
        [](const auto& a, const auto& b) { return a.second.kept_at < b.second.kept_at; }));
  }
  if (options_.capacity == 0) return;  // `kept` goes, and its temporary with it
  entries_.emplace(std::move(id), Entry{path, size, now, std::move(kept)});
}

std::unique_ptr<KeptUpload> KeptUploads::Take(std::string_view id, const Path& path,
                                              uint64_t size) {
  std::lock_guard lock(mu_);
  DropExpired(options_.now());
  const auto it = entries_.find(id);
  if (it == entries_.end()) return nullptr;
  std::unique_ptr<KeptUpload> kept = std::move(it->second.kept);
  const bool same = it->second.path == path && it->second.size == size;
  entries_.erase(it);
  return same ? std::move(kept) : nullptr;
}

size_t KeptUploads::size() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

}  // namespace ferry
