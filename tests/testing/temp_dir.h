// TempDir: a fresh private directory for one test, removed with everything in
// it when the object goes away; plus the file helpers tests need around it:
// writing and reading files, generating large pseudo-random files quickly, and
// snapshotting a whole tree to prove that nothing in it changed.
//
// The helpers report failures as Status values (assert on them with IsOk and
// IsOkAndHolds from status_matchers.h); nothing here depends on gtest.
#pragma once

#include <cstdint>
#include <filesystem>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "src/base/digest.h"
#include "src/base/status.h"

namespace ferry {

// One entry of a recursive snapshot.
struct SnapshotEntry {
  enum class Type { kFile, kDirectory, kSymlink, kOther };

  std::string path;  // relative to the snapshot's top, '/'-separated
  Type type = Type::kOther;
  uint64_t size = 0;   // file: its size; symlink: the target's length; otherwise 0
  std::string digest;  // hex XXH3-128 of a file's bytes or a symlink's target; else ""

  bool operator==(const SnapshotEntry& other) const = default;
};

// Every entry below a directory (not the directory itself), sorted by path.
// Symlinks are recorded, never followed.
using TreeSnapshot = std::vector<SnapshotEntry>;

std::ostream& operator<<(std::ostream& os, SnapshotEntry::Type type);
std::ostream& operator<<(std::ostream& os, const SnapshotEntry& entry);
// gtest prints values through PrintTo when it exists; keep failure output readable.
inline void PrintTo(const SnapshotEntry& entry, std::ostream* os) { *os << entry; }

StatusOr<TreeSnapshot> SnapshotTree(const std::filesystem::path& top);

// Creates or replaces `path` with exactly `content`.
Status WriteFile(const std::filesystem::path& path, std::string_view content);
StatusOr<std::string> ReadFile(const std::filesystem::path& path);
// Creates or replaces `path` with `size` pseudo-random bytes determined by `seed`
// (same seed, same bytes), at disk speed. Returns the bytes' digest.
StatusOr<Digest> WriteRandomFile(const std::filesystem::path& path, uint64_t size, uint64_t seed);
// The XXH3-128 digest of a file's bytes, read in one streaming pass.
StatusOr<Digest> DigestOfFile(const std::filesystem::path& path);

class TempDir {
 public:
  // Creates the directory under $TMPDIR (or /tmp); aborts the test program with a
  // message if that is impossible, since no test can run without it.
  TempDir();
  ~TempDir();  // removes the tree, even parts a test made read-only
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  // `relative` below this directory.
  std::filesystem::path Path(std::string_view relative) const { return path_ / relative; }

  Status WriteFile(std::string_view relative, std::string_view content) const {
    return ::ferry::WriteFile(Path(relative), content);
  }
  StatusOr<std::string> ReadFile(std::string_view relative) const {
    return ::ferry::ReadFile(Path(relative));
  }
  StatusOr<Digest> WriteRandomFile(std::string_view relative, uint64_t size, uint64_t seed) const {
    return ::ferry::WriteRandomFile(Path(relative), size, seed);
  }
  StatusOr<TreeSnapshot> Snapshot() const { return SnapshotTree(path_); }

 private:
  std::filesystem::path path_;
};

}  // namespace ferry
