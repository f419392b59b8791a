#include "src/fs/in_memory_file_system.h"

#include <algorithm>
#include <cassert>
#include <cerrno>
#include <cstring>
#include <limits>
#include <map>

#include "src/fs/errno_status.h"

// Failures are built with ErrnoToStatus from the errno Linux would report in the
// same situation, so codes and messages match PosixFileSystem's by construction.

namespace ferry {

struct InMemoryFileSystem::Node {
  FileType type = FileType::kRegular;
  int64_t mtime_unix_ns = 0;
  // kRegular. Never modified, only replaced, so a ReadableFile shares it and
  // keeps reading the version it opened, like an open descriptor on POSIX.
  std::shared_ptr<const std::string> contents;
  // kDirectory, ordered so that a listing can resume after the last name it gave.
  std::map<std::string, std::unique_ptr<Node>, std::less<>> children;
};

namespace {

Status NotARegularFile(std::string_view operation) {
  return Status::Error(StatusCode::kNotARegularFile,
                       std::string(operation) + ": not a regular file");
}

class InMemoryReadableFile : public ReadableFile {
 public:
  InMemoryReadableFile(std::shared_ptr<const std::string> contents, FileInfo info)
      : contents_(std::move(contents)), info_(std::move(info)) {}

  const FileInfo& info() const override { return info_; }

  StatusOr<size_t> ReadAt(uint64_t offset, std::span<uint8_t> out) override {
    if (offset >= contents_->size()) return size_t{0};
    const size_t n = std::min<size_t>(out.size(), contents_->size() - offset);
    std::memcpy(out.data(), contents_->data() + offset, n);
    return n;
  }

 private:
  const std::shared_ptr<const std::string> contents_;
  const FileInfo info_;
};

}  // namespace

// Resumes after the last name it returned, so entries added or removed meanwhile
// are seen or skipped as readdir would, and nothing is copied up front.
class InMemoryFileSystem::Listing : public DirectoryStream {
 public:
  Listing(const InMemoryFileSystem* fs, const Node* directory) : fs_(fs), directory_(directory) {}

  StatusOr<std::optional<FileInfo>> Next() override {
    std::lock_guard lock(fs_->mu_);
    auto it = directory_->children.upper_bound(cursor_);
    while (it != directory_->children.end() && IsReservedName(it->first)) ++it;  // R-PATH-7
    if (it == directory_->children.end()) return std::optional<FileInfo>();
    cursor_ = it->first;
    return std::optional<FileInfo>(Describe(it->first, *it->second));
  }

 private:
  const InMemoryFileSystem* const fs_;
  const Node* const directory_;  // removed directories are kept alive (removed_directories_)
  std::string cursor_;           // "" sorts before every name
};

// Bytes stay in the object until Commit, which is what makes the target
// untouched until then; the pending count stands in for the temporary.
// A kept upload: the bytes and the path they were for. It keeps the pending
// count it took over from its Upload.
class InMemoryFileSystem::Kept : public KeptUpload {
 public:
  Kept(InMemoryFileSystem* fs, Path path, std::string contents)
      : fs_(fs), path_(std::move(path)), contents_(std::move(contents)) {}
  ~Kept() override {
    if (owned_) fs_->DiscardUpload();
  }
  uint64_t size() const override { return contents_.size(); }
  const Path& path() const { return path_; }
  // Hands the bytes (and the pending count) to a resumed upload.
  std::string Release() {
    owned_ = false;
    return std::move(contents_);
  }

 private:
  InMemoryFileSystem* const fs_;
  const Path path_;
  std::string contents_;
  bool owned_ = true;
};

class InMemoryFileSystem::Upload : public PendingUpload {
 public:
  Upload(InMemoryFileSystem* fs, Path path, bool overwrite, std::string kept = {})
      : fs_(fs),
        path_(std::move(path)),
        overwrite_(overwrite),
        contents_(std::move(kept)),
        resumed_size_(contents_.size()) {}

  ~Upload() override {
    if (pending_) fs_->DiscardUpload();
  }

  uint64_t resumed_size() const override { return resumed_size_; }

  StatusOr<size_t> ReadBack(uint64_t offset, std::span<uint8_t> out) override {
    if (offset >= contents_.size()) return size_t{0};
    const size_t n = std::min<uint64_t>(out.size(), contents_.size() - offset);
    std::copy_n(contents_.data() + offset, n, reinterpret_cast<char*>(out.data()));
    return n;
  }

  StatusOr<std::unique_ptr<KeptUpload>> Keep() override {
    assert(pending_ && "Keep after Commit or Keep");
    pending_ = false;  // the count goes with the bytes
    std::unique_ptr<KeptUpload> kept = std::make_unique<Kept>(fs_, path_, std::move(contents_));
    return kept;
  }

  Status Write(std::span<const uint8_t> data) override {
    contents_.append(reinterpret_cast<const char*>(data.data()), data.size());
    return Status::Ok();
  }

  Status Commit() override {
    assert(pending_ && "Commit called twice");
    pending_ = false;
    return fs_->CommitUpload(path_, overwrite_, std::move(contents_));
  }

 private:
  InMemoryFileSystem* const fs_;
  const Path path_;
  const bool overwrite_;
  std::string contents_;
  const uint64_t resumed_size_;
  bool pending_ = true;
};

InMemoryFileSystem::InMemoryFileSystem() : root_(std::make_unique<Node>()) {
  root_->type = FileType::kDirectory;
  root_->mtime_unix_ns = Tick();
}

InMemoryFileSystem::~InMemoryFileSystem() = default;

FileInfo InMemoryFileSystem::Describe(std::string_view name, const Node& node) {
  FileInfo info;
  info.name = name;
  info.type = node.type;
  info.size = node.type == FileType::kRegular ? node.contents->size() : 0;
  info.mtime_unix_ns = node.mtime_unix_ns;
  info.mode = node.type == FileType::kDirectory ? 0755 : 0644;
  return info;
}

int64_t InMemoryFileSystem::Tick() { return clock_unix_ns_ += 1'000'000'000; }

auto InMemoryFileSystem::Find(const Path& path, std::string_view operation) const
    -> StatusOr<Node*> {
  Node* node = root_.get();
  for (const std::string& name : path.components()) {
    if (node->type != FileType::kDirectory) return ErrnoToStatus(ENOTDIR, operation);
    const auto it = node->children.find(name);
    if (it == node->children.end()) return ErrnoToStatus(ENOENT, operation);
    node = it->second.get();
  }
  return node;
}

auto InMemoryFileSystem::FindDirectory(const Path& path, std::string_view operation) const
    -> StatusOr<Node*> {
  FERRY_ASSIGN_OR_RETURN(Node * node, Find(path, operation));
  if (node->type != FileType::kDirectory) return ErrnoToStatus(ENOTDIR, operation);
  return node;
}

auto InMemoryFileSystem::FindRegular(const Path& path, std::string_view operation) const
    -> StatusOr<const Node*> {
  FERRY_ASSIGN_OR_RETURN(const Node* node, Find(path, operation));
  if (node->type == FileType::kDirectory) return ErrnoToStatus(EISDIR, operation);
  if (node->type != FileType::kRegular) return NotARegularFile(operation);
  return node;
}

StatusOr<FileInfo> InMemoryFileSystem::Stat(const Path& path) {
  std::lock_guard lock(mu_);
  FERRY_ASSIGN_OR_RETURN(const Node* node, Find(path, "stat"));
  return Describe(path.Name(), *node);
}

StatusOr<std::unique_ptr<DirectoryStream>> InMemoryFileSystem::OpenDirectory(const Path& path) {
  std::lock_guard lock(mu_);
  FERRY_ASSIGN_OR_RETURN(const Node* directory, FindDirectory(path, "list"));
  std::unique_ptr<DirectoryStream> listing = std::make_unique<Listing>(this, directory);
  return listing;
}

Status InMemoryFileSystem::Remove(const Path& path) {
  constexpr std::string_view operation = "remove";
  if (path.IsRoot()) return Status::Error(StatusCode::kInvalidPath, "the root cannot be removed");
  std::lock_guard lock(mu_);
  FERRY_ASSIGN_OR_RETURN(Node * parent, FindDirectory(path.Parent(), operation));
  const auto it = parent->children.find(path.Name());
  if (it == parent->children.end()) return ErrnoToStatus(ENOENT, operation);
  if (it->second->type == FileType::kDirectory) return ErrnoToStatus(EISDIR, operation);
  parent->children.erase(it);
  parent->mtime_unix_ns = Tick();
  return Status::Ok();
}

Status InMemoryFileSystem::MakeDirectory(const Path& path) {
  constexpr std::string_view operation = "make directory";
  if (path.IsRoot()) return Status::Error(StatusCode::kInvalidPath, "the root already exists");
  std::lock_guard lock(mu_);
  FERRY_ASSIGN_OR_RETURN(Node * parent, FindDirectory(path.Parent(), operation));
  if (parent->children.contains(path.Name())) return ErrnoToStatus(EEXIST, operation);
  auto directory = std::make_unique<Node>();
  directory->type = FileType::kDirectory;
  directory->mtime_unix_ns = parent->mtime_unix_ns = Tick();
  parent->children.emplace(std::string(path.Name()), std::move(directory));
  return Status::Ok();
}

Status InMemoryFileSystem::RemoveDirectory(const Path& path) {
  constexpr std::string_view operation = "remove directory";
  if (path.IsRoot()) return Status::Error(StatusCode::kInvalidPath, "the root cannot be removed");
  std::lock_guard lock(mu_);
  FERRY_ASSIGN_OR_RETURN(Node * parent, FindDirectory(path.Parent(), operation));
  const auto it = parent->children.find(path.Name());
  if (it == parent->children.end()) return ErrnoToStatus(ENOENT, operation);
  if (it->second->type != FileType::kDirectory) return ErrnoToStatus(ENOTDIR, operation);
  if (!it->second->children.empty()) return ErrnoToStatus(ENOTEMPTY, operation);
  // A listing opened on it may still hold a pointer: keep the node alive, as an
  // open descriptor keeps a removed directory on POSIX.
  removed_directories_.push_back(std::move(it->second));
  parent->children.erase(it);
  parent->mtime_unix_ns = Tick();
  return Status::Ok();
}

Status InMemoryFileSystem::Rename(const Path& from, const Path& to, bool overwrite) {
  constexpr std::string_view operation = "rename";
  if (from.IsRoot() || to.IsRoot()) {
    return Status::Error(StatusCode::kInvalidPath, "the root cannot be moved or replaced");
  }
  std::lock_guard lock(mu_);
  // The same checks, in the same order, with the errno values Linux gives.
  FERRY_ASSIGN_OR_RETURN(Node * from_parent, FindDirectory(from.Parent(), operation));
  FERRY_ASSIGN_OR_RETURN(Node * to_parent, FindDirectory(to.Parent(), operation));
  const auto source = from_parent->children.find(from.Name());
  if (source == from_parent->children.end()) return ErrnoToStatus(ENOENT, operation);
  const auto target = to_parent->children.find(to.Name());
  const bool exists = target != to_parent->children.end();
  if (exists && !overwrite) return ErrnoToStatus(EEXIST, operation);
  if (exists && target->second == source->second) return Status::Ok();  // onto itself
  const bool moving_directory = source->second->type == FileType::kDirectory;
  // There are no links here, so `to` is inside `from` exactly when its
  // components begin with all of `from`'s.
  const auto& outer = from.components();
  const auto& inner = to.components();
  if (moving_directory && inner.size() > outer.size() &&
      std::equal(outer.begin(), outer.end(), inner.begin())) {
    return RenameErrnoToStatus(EINVAL, operation);
  }
  if (exists) {
    const bool target_is_directory = target->second->type == FileType::kDirectory;
    if (moving_directory && !target_is_directory) return ErrnoToStatus(ENOTDIR, operation);
    if (!moving_directory && target_is_directory) return ErrnoToStatus(EISDIR, operation);
    if (target_is_directory && !target->second->children.empty()) {
      return ErrnoToStatus(ENOTEMPTY, operation);
    }
    // A listing may still point to a replaced directory (as in RemoveDirectory).
    if (target_is_directory) removed_directories_.push_back(std::move(target->second));
    to_parent->children.erase(target);
  }
  std::unique_ptr<Node> node = std::move(source->second);
  from_parent->children.erase(source);
  to_parent->children.emplace(std::string(to.Name()), std::move(node));
  from_parent->mtime_unix_ns = to_parent->mtime_unix_ns = Tick();
  return Status::Ok();
}

StatusOr<std::unique_ptr<ReadableFile>> InMemoryFileSystem::OpenForRead(const Path& path) {
  std::lock_guard lock(mu_);
  FERRY_ASSIGN_OR_RETURN(const Node* node, FindRegular(path, "open"));
  std::unique_ptr<ReadableFile> file =
      std::make_unique<InMemoryReadableFile>(node->contents, Describe(path.Name(), *node));
  return file;
}

Status InMemoryFileSystem::CheckUpload(const Path& path, const UploadOptions& options) const {
  constexpr std::string_view operation = "create upload";
  if (path.IsRoot()) return Status::Error(StatusCode::kInvalidPath, "the root cannot be replaced");
  FERRY_ASSIGN_OR_RETURN(const Node* parent, FindDirectory(path.Parent(), operation));
  const auto it = parent->children.find(path.Name());
  if (it != parent->children.end()) {  // in spec R-UPLOAD-4's order
    if (it->second->type == FileType::kDirectory) return ErrnoToStatus(EISDIR, operation);
    if (it->second->type != FileType::kRegular) return NotARegularFile(operation);
    if (!options.overwrite) return ErrnoToStatus(EEXIST, operation);
  }
  // The largest file a 64-bit off_t can describe.
  if (options.size > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    return ErrnoToStatus(EFBIG, operation);
  }
  return Status::Ok();
}

StatusOr<std::unique_ptr<PendingUpload>> InMemoryFileSystem::CreateUpload(
    const Path& path, const UploadOptions& options) {
  {
    std::lock_guard lock(mu_);
    FERRY_RETURN_IF_ERROR(CheckUpload(path, options));
    ++pending_uploads_;
  }
  std::unique_ptr<PendingUpload> upload = std::make_unique<Upload>(this, path, options.overwrite);
  return upload;
}

namespace {

// Removes the reserved-named files in `directory` and below; returns how many.
uint64_t RemoveTemporariesBelow(auto& directory) {
  uint64_t removed = 0;
  for (auto it = directory.children.begin(); it != directory.children.end();) {
    if (IsReservedName(it->first) && it->second->type != FileType::kDirectory) {
      it = directory.children.erase(it);
      ++removed;
      continue;
    }
    if (it->second->type == FileType::kDirectory && !IsReservedName(it->first)) {
      removed += RemoveTemporariesBelow(*it->second);
    }
    ++it;
  }
  return removed;
}

size_t CountTemporariesBelow(const auto& directory) {
  size_t count = 0;
  for (const auto& [name, node] : directory.children) {
    if (node->type == FileType::kDirectory) {
      if (!IsReservedName(name)) count += CountTemporariesBelow(*node);
    } else if (IsReservedName(name)) {
      ++count;
    }
  }
  return count;
}

}  // namespace

// Live uploads hold their bytes in their objects, never in the tree, so only
// stale temporaries are removed here, whatever is in progress.
StatusOr<StaleTemporaryCleanup> InMemoryFileSystem::RemoveStaleTemporaries() {
  std::lock_guard lock(mu_);
  StaleTemporaryCleanup cleanup;
  cleanup.removed = RemoveTemporariesBelow(*root_);
  return cleanup;
}

Status InMemoryFileSystem::AddStaleTemporaryForTest(const Path& directory, std::string_view name,
                                                    std::string contents) {
  if (!IsReservedName(name)) {
    return Status::Error(StatusCode::kInvalidArgument, "not a temporary's name");
  }
  std::lock_guard lock(mu_);
  FERRY_ASSIGN_OR_RETURN(Node * parent, FindDirectory(directory, "add"));
  auto [it, inserted] = parent->children.try_emplace(std::string(name));
  if (!inserted) return ErrnoToStatus(EEXIST, "add");
  it->second = std::make_unique<Node>();
  it->second->contents = std::make_shared<const std::string>(std::move(contents));
  it->second->mtime_unix_ns = parent->mtime_unix_ns = Tick();
  return Status::Ok();
}

size_t InMemoryFileSystem::StaleTemporariesForTest() const {
  std::lock_guard lock(mu_);
  return CountTemporariesBelow(*root_);
}

StatusOr<std::unique_ptr<PendingUpload>> InMemoryFileSystem::ResumeUpload(
    const Path& path, const UploadOptions& options, std::unique_ptr<KeptUpload> kept) {
  Status checked;
  {
    std::lock_guard lock(mu_);
    checked = CheckUpload(path, options);
  }
  if (!checked.ok()) {
    kept.reset();  // outside the lock: discarding takes it
    return checked;
  }
  auto* mine = dynamic_cast<Kept*>(kept.get());
  if (mine == nullptr || mine->path() != path || mine->size() > options.size) {
    kept.reset();
    return CreateUpload(path, options);
  }
  std::unique_ptr<PendingUpload> upload =
      std::make_unique<Upload>(this, path, options.overwrite, mine->Release());
  return upload;
}

Status InMemoryFileSystem::CommitUpload(const Path& path, bool overwrite, std::string contents) {
  constexpr std::string_view operation = "commit";
  std::lock_guard lock(mu_);
  --pending_uploads_;
  // Everything is decided again under the lock: what was checked at CreateUpload
  // may have changed since. The codes are those of renameat2 and rename.
  FERRY_ASSIGN_OR_RETURN(Node * parent, FindDirectory(path.Parent(), operation));
  auto [it, inserted] = parent->children.try_emplace(std::string(path.Name()));
  if (!inserted) {
    if (!overwrite) return ErrnoToStatus(EEXIST, operation);
    if (it->second->type == FileType::kDirectory) return ErrnoToStatus(EISDIR, operation);
  }
  auto file = std::make_unique<Node>();
  file->contents = std::make_shared<const std::string>(std::move(contents));
  file->mtime_unix_ns = parent->mtime_unix_ns = Tick();
  it->second = std::move(file);
  return Status::Ok();
}

void InMemoryFileSystem::DiscardUpload() {
  std::lock_guard lock(mu_);
  --pending_uploads_;
}

Status InMemoryFileSystem::Add(const Path& path, FileType type, std::string contents) {
  constexpr std::string_view operation = "add";
  std::lock_guard lock(mu_);
  const Path parent_path = path.Parent();
  Node* parent = root_.get();
  for (const std::string& name : parent_path.components()) {
    auto [it, inserted] = parent->children.try_emplace(name);
    if (inserted) {
      it->second = std::make_unique<Node>();
      it->second->type = FileType::kDirectory;
      it->second->mtime_unix_ns = parent->mtime_unix_ns = Tick();
    } else if (it->second->type != FileType::kDirectory) {
      return ErrnoToStatus(ENOTDIR, operation);
    }
    parent = it->second.get();
  }
  if (path.IsRoot()) {
    return type == FileType::kDirectory ? Status::Ok() : ErrnoToStatus(EEXIST, operation);
  }
  auto [it, inserted] = parent->children.try_emplace(std::string(path.Name()));
  if (!inserted) {
    const bool both_directories =
        type == FileType::kDirectory && it->second->type == FileType::kDirectory;
    return both_directories ? Status::Ok() : ErrnoToStatus(EEXIST, operation);
  }
  it->second = std::make_unique<Node>();
  it->second->type = type;
  if (type == FileType::kRegular) {
    it->second->contents = std::make_shared<const std::string>(std::move(contents));
  }
  it->second->mtime_unix_ns = parent->mtime_unix_ns = Tick();
  return Status::Ok();
}

Status InMemoryFileSystem::AddFile(const Path& path, std::string contents) {
  return Add(path, FileType::kRegular, std::move(contents));
}

Status InMemoryFileSystem::AddDirectory(const Path& path) {
  return Add(path, FileType::kDirectory, "");
}

Status InMemoryFileSystem::AddSpecialFile(const Path& path) {
  return Add(path, FileType::kOther, "");
}

StatusOr<std::string> InMemoryFileSystem::ReadFileForTest(const Path& path) {
  std::lock_guard lock(mu_);
  FERRY_ASSIGN_OR_RETURN(const Node* node, FindRegular(path, "open"));
  return *node->contents;
}

size_t InMemoryFileSystem::PendingUploadsForTest() const {
  std::lock_guard lock(mu_);
  return pending_uploads_;
}

}  // namespace ferry
