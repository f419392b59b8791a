// InMemoryFileSystem: a FileSystem held in memory, for tests and fuzzing.
//
// It behaves as PosixFileSystem does on Linux, error codes included (the shared
// contract suite runs against both), without symbolic links or permissions: a
// tree of directories, regular files and opaque special files. One mutex guards
// the tree, so every method may be called from any thread. The objects it
// returns must not outlive it. Modification times come from a logical clock that
// advances one second per change, so runs are reproducible.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "src/fs/file_system.h"

namespace ferry {

class InMemoryFileSystem : public FileSystem {
 public:
  InMemoryFileSystem();  // an empty root directory
  ~InMemoryFileSystem() override;

  StatusOr<FileInfo> Stat(const Path& path) override;
  StatusOr<std::unique_ptr<DirectoryStream>> OpenDirectory(const Path& path) override;
  Status Remove(const Path& path) override;
  Status MakeDirectory(const Path& path) override;
  Status RemoveDirectory(const Path& path) override;
  Status Rename(const Path& from, const Path& to, bool overwrite) override;
  StatusOr<std::unique_ptr<ReadableFile>> OpenForRead(const Path& path) override;
  StatusOr<std::unique_ptr<PendingUpload>> CreateUpload(const Path& path,
                                                        const UploadOptions& options) override;
  StatusOr<StaleTemporaryCleanup> RemoveStaleTemporaries() override;
  StatusOr<std::unique_ptr<PendingUpload>> ResumeUpload(const Path& path,
                                                        const UploadOptions& options,
                                                        std::unique_ptr<KeptUpload> kept) override;

  // Test helpers. Each creates missing parent directories (kNotADirectory if a
  // prefix is not a directory) and fails with kAlreadyExists if something is
  // already at `path`, except that adding an existing directory succeeds.
  Status AddFile(const Path& path, std::string contents);
  Status AddDirectory(const Path& path);
  // A node that is neither file nor directory (think FIFO): FileType::kOther.
  Status AddSpecialFile(const Path& path);

  // The whole contents of a regular file; errors as for OpenForRead.
  StatusOr<std::string> ReadFileForTest(const Path& path);
  // Uploads created and neither committed nor destroyed yet, and kept uploads
  // not yet destroyed: each would hold a temporary on a real disk.
  size_t PendingUploadsForTest() const;
  // A temporary left behind as by a killed server: a file named `name` (which
  // must be reserved, R-PATH-7) in the existing directory `directory`. Requests
  // can never name it and listings skip it, as on disk.
  Status AddStaleTemporaryForTest(const Path& directory, std::string_view name,
                                  std::string contents);
  // Stale temporaries anywhere in the tree.
  size_t StaleTemporariesForTest() const;

 private:
  struct Node;
  class Listing;
  class Upload;
  class Kept;

  static FileInfo Describe(std::string_view name, const Node& node);

  // These expect mu_ to be held. Lookups fail as a POSIX path walk would.
  int64_t Tick();  // the next modification time
  StatusOr<Node*> Find(const Path& path, std::string_view operation) const;
  StatusOr<Node*> FindDirectory(const Path& path, std::string_view operation) const;
  StatusOr<const Node*> FindRegular(const Path& path, std::string_view operation) const;

  // Checks an upload to `path` as CreateUpload does; expects mu_ to be held.
  Status CheckUpload(const Path& path, const UploadOptions& options) const;

  // These take mu_.
  Status Add(const Path& path, FileType type, std::string contents);
  Status CommitUpload(const Path& path, bool overwrite, std::string contents);
  void DiscardUpload();

  mutable std::mutex mu_;
  std::unique_ptr<Node> root_;
  // Directories removed while a Listing may point to them; freed with the file
  // system (a fake for tests: the growth does not matter).
  std::vector<std::unique_ptr<Node>> removed_directories_;
  int64_t clock_unix_ns_ = 0;
  size_t pending_uploads_ = 0;
};

}  // namespace ferry
