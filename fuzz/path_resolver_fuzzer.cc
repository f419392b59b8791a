// Fuzzes confinement: the real PosixFileSystem (openat2 RESOLVE_BENEATH, or the
// O_NOFOLLOW walk on older kernels) over a served root full of symbolic links
// that point out of it, with a secret file and directory beside the root.
//
// The tree is built once, at start-up, in a fresh temporary directory:
//   BASE/outside/secret.txt               the secret (kSecretSize bytes, a marker)
//   BASE/outside/hidden-dir/inner.txt     a secret inside a secret directory
//   BASE/root/                            the served root:
//     a.txt, docs/readme.md, docs/sub/, empty/
//     abs-secret -> BASE/outside/secret.txt     (absolute)
//     abs-outside -> BASE/outside               (absolute, a directory)
//     rel-secret -> ../outside/secret.txt       (relative, climbs out)
//     docs/up-up -> ../../outside               (relative, from a subdirectory)
//     docs/rel-inner -> ../../outside/hidden-dir/inner.txt
//     dangling -> does-not-exist, dangling-out -> ../outside/nothing
//     loop-a -> loop-b, loop-b -> loop-a, self -> self
//     inside -> a.txt, docs-link -> docs    (stay inside: may be followed)
//
// Input: one selector byte (% 5: stat, read, list, remove, upload) and an
// overwrite bit (bit 3), then the path text. Paths that Path::Parse refuses are
// skipped (path_fuzzer covers the parser).
//
// Invariants (R-SEC-1, R-PATH-10, R-PATH-11):
// - no read returns a secret marker, no stat describes the secret, no listing
//   shows an outside name;
// - nothing outside the root is created, removed or changed: after every
//   operation BASE and BASE/outside hold exactly their entries, with their
//   modification times, and the secrets their content.
// An operation that does change the root (a remove, an upload) is undone by
// rebuilding the root, so every input starts from the same tree.

#include <sys/stat.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <system_error>

#include "fuzz/fuzz_support.h"
#include "src/fs/path.h"
#include "src/fs/posix_file_system.h"

namespace ferry {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kSecretMarker = "FERRY-SECRET-MARKER";
constexpr std::string_view kInnerMarker = "FERRY-INNER-MARKER";
// A size no file inside the root has, so a stat that reaches the secret shows.
constexpr size_t kSecretSize = 4099;
const std::set<std::string> kOutsideNames = {"secret.txt", "hidden-dir", "inner.txt", "outside",
                                             "root"};

void Die(const std::string& what) {
  std::fprintf(stderr, "path_resolver_fuzzer: cannot set up: %s\n", what.c_str());
  std::abort();
}

void WriteText(const fs::path& path, std::string_view text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) Die("write " + path.string());
}

std::string ReadText(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void Link(const fs::path& target, const fs::path& link) {
  std::error_code error;
  fs::create_symlink(target, link, error);
  if (error) Die("symlink " + link.string() + ": " + error.message());
}

// What must never change outside the root: each directory's entries and mtime,
// each secret's content.
struct OutsideState {
  std::set<std::string> base_entries;
  std::set<std::string> outside_entries;
  std::set<std::string> hidden_entries;
  timespec base_mtime{};
  timespec outside_mtime{};
  timespec hidden_mtime{};
  std::string secret;
  std::string inner;
};

std::set<std::string> Entries(const fs::path& dir) {
  std::set<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) names.insert(entry.path().filename());
  return names;
}

timespec Mtime(const fs::path& path) {
  struct stat st {};
  if (lstat(path.c_str(), &st) != 0) return {};
  return st.st_mtim;
}

bool SameTime(const timespec& a, const timespec& b) {
  return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

class Fixture {
 public:
  Fixture() {
    std::string pattern = (fs::temp_directory_path() / "ferry-path-resolver-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) Die("mkdtemp");
    base_ = pattern;
    outside_ = base_ / "outside";
    root_ = base_ / "root";
    fs::create_directories(outside_ / "hidden-dir");
    std::string secret(kSecretMarker);
    secret.resize(kSecretSize, '#');
    WriteText(outside_ / "secret.txt", secret);
    WriteText(outside_ / "hidden-dir" / "inner.txt", kInnerMarker);
    BuildRoot();
    expected_ = Observe();
  }

  ~Fixture() {
    std::error_code ignored;
    fs::remove_all(base_, ignored);
  }

  FileSystem& file_system() { return *file_system_; }

  // Rebuilds the served root after an operation changed it.
  void BuildRoot() {
    file_system_.reset();
    std::error_code error;
    fs::remove_all(root_, error);
    if (error) Die("remove root: " + error.message());
    fs::create_directories(root_ / "docs" / "sub");
    fs::create_directories(root_ / "empty");
    WriteText(root_ / "a.txt", "public\n");
    WriteText(root_ / "docs" / "readme.md", "# docs\n");
    Link(outside_ / "secret.txt", root_ / "abs-secret");
    Link(outside_, root_ / "abs-outside");
    Link("../outside/secret.txt", root_ / "rel-secret");
    Link("../../outside", root_ / "docs" / "up-up");
    Link("../../outside/hidden-dir/inner.txt", root_ / "docs" / "rel-inner");
    Link("does-not-exist", root_ / "dangling");
    Link("../outside/nothing", root_ / "dangling-out");
    Link("loop-b", root_ / "loop-a");
    Link("loop-a", root_ / "loop-b");
    Link("self", root_ / "self");
    Link("a.txt", root_ / "inside");
    Link("docs", root_ / "docs-link");
    auto opened = PosixFileSystem::Open(root_.string());
    if (!opened.ok()) Die("open root: " + opened.status().ToString());
    file_system_ = std::move(*opened);
    // Rebuilding touches BASE (the root is an entry of it).
    expected_.base_mtime = Mtime(base_);
  }

  OutsideState Observe() const {
    OutsideState state;
    state.base_entries = Entries(base_);
    state.outside_entries = Entries(outside_);
    state.hidden_entries = Entries(outside_ / "hidden-dir");
    state.base_mtime = Mtime(base_);
    state.outside_mtime = Mtime(outside_);
    state.hidden_mtime = Mtime(outside_ / "hidden-dir");
    state.secret = ReadText(outside_ / "secret.txt");
    state.inner = ReadText(outside_ / "hidden-dir" / "inner.txt");
    return state;
  }

  void CheckOutsideUnchanged() const {
    const OutsideState now = Observe();
    FUZZ_CHECK(now.base_entries == expected_.base_entries);
    FUZZ_CHECK(now.outside_entries == expected_.outside_entries);
    FUZZ_CHECK(now.hidden_entries == expected_.hidden_entries);
    FUZZ_CHECK(SameTime(now.base_mtime, expected_.base_mtime));
    FUZZ_CHECK(SameTime(now.outside_mtime, expected_.outside_mtime));
    FUZZ_CHECK(SameTime(now.hidden_mtime, expected_.hidden_mtime));
    FUZZ_CHECK(now.secret == expected_.secret);
    FUZZ_CHECK(now.inner == expected_.inner);
  }

 private:
  fs::path base_;
  fs::path outside_;
  fs::path root_;
  std::unique_ptr<FileSystem> file_system_;
  OutsideState expected_;
};

// Built on the first input; its destructor removes the tree when the fuzzer
// exits normally.
Fixture& TheFixture() {
  static Fixture fixture;
  return fixture;
}

bool HoldsSecret(std::string_view bytes) {
  return bytes.find(kSecretMarker) != std::string_view::npos ||
         bytes.find(kInnerMarker) != std::string_view::npos;
}

// Runs one operation; true if it changed the root.
bool RunOperation(FileSystem& files, uint8_t selector, const Path& path) {
  switch (selector % 5) {
    case 0: {
      auto info = files.Stat(path);
      if (info.ok() && info->type == FileType::kRegular) FUZZ_CHECK(info->size != kSecretSize);
      return false;
    }
    case 1: {
      auto file = files.OpenForRead(path);
      if (!file.ok()) return false;
      FUZZ_CHECK((*file)->info().size != kSecretSize);
      std::string content(8192, '\0');
      auto read = (*file)->ReadAt(
          0, std::span<uint8_t>(reinterpret_cast<uint8_t*>(content.data()), content.size()));
      if (read.ok()) FUZZ_CHECK(!HoldsSecret(content.substr(0, *read)));
      return false;
    }
    case 2: {
      auto listing = files.OpenDirectory(path);
      if (!listing.ok()) return false;
      for (int i = 0; i < 1000; ++i) {
        auto entry = (*listing)->Next();
        if (!entry.ok() || !entry->has_value()) break;
        FUZZ_CHECK(kOutsideNames.count((*entry)->name) == 0);
      }
      return false;
    }
    case 3:
      return files.Remove(path).ok();
    default: {
      UploadOptions options;
      options.size = 5;
      options.overwrite = (selector & 0x08) != 0;
      auto upload = files.CreateUpload(path, options);
      if (!upload.ok()) return false;
      const std::string_view bytes = "PWNED";
      (*upload)
          ->Write(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes.data()),
                                           bytes.size()))
          .IgnoreError();
      return (*upload)->Commit().ok();
    }
  }
}

}  // namespace
}  // namespace ferry

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ferry;
  if (size == 0) return 0;
  auto path = Path::Parse(std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1));
  if (!path.ok()) return 0;
  Fixture& fixture = TheFixture();
  const bool changed = RunOperation(fixture.file_system(), data[0], *path);
  fixture.CheckOutsideUnchanged();
  if (changed) fixture.BuildRoot();
  return 0;
}
