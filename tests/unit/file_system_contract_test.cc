// The FileSystem contract (src/fs/file_system.h), run against every
// implementation: each error code its comments promise, and the atomicity of
// uploads. An implementation passes this suite or it is not a FileSystem.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "src/fs/file_system.h"
#include "src/fs/in_memory_file_system.h"
#include "src/fs/posix_file_system.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

// fs_legacy_kernel_test runs this suite again with openat2 and RENAME_NOREPLACE
// blocked (legacy_kernel_environment.cc), under another name so that ctest can
// tell the two runs apart.
#ifndef FERRY_TEST_LEGACY_KERNEL
#define FERRY_TEST_LEGACY_KERNEL 0
#endif
#if FERRY_TEST_LEGACY_KERNEL
#define FileSystemContractTest LegacyKernelFileSystemContractTest
#endif

namespace ferry {
namespace {

using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

Path P(std::string_view text) { return Path::Parse(text).value(); }

// Fixture traits: how to make each implementation, and how to arrange or inspect
// its storage behind the FileSystem's back (as another process would).

class PosixTraits {
 public:
  PosixTraits() {
    StatusOr<std::unique_ptr<PosixFileSystem>> fs = PosixFileSystem::Open(dir_.path());
    EXPECT_THAT(fs, IsOk());
    if (fs.ok()) fs_ = std::move(fs).value();
  }

  FileSystem& fs() { return *fs_; }

  void AddFile(std::string_view path, std::string_view contents) {
    FERRY_EXPECT_OK(dir_.WriteFile(path, contents));
    std::filesystem::permissions(dir_.Path(path), std::filesystem::perms(0644));
  }
  void AddDirectory(std::string_view path) {
    std::filesystem::create_directory(dir_.Path(path));
    std::filesystem::permissions(dir_.Path(path), std::filesystem::perms(0755));
  }
  void AddSpecialFile(std::string_view path) {
    EXPECT_EQ(mkfifo(dir_.Path(path).c_str(), 0644), 0);
  }

  std::string ReadFile(std::string_view path) {
    StatusOr<std::string> contents = dir_.ReadFile(path);
    EXPECT_THAT(contents, IsOk());
    return contents.ok() ? *contents : "";
  }

  // A temporary left in `directory` by a server that was killed.
  void AddStaleTemporary(std::string_view directory, std::string_view name) {
    const std::string relative =
        directory.empty() ? std::string(name) : std::string(directory) + "/" + std::string(name);
    FERRY_EXPECT_OK(dir_.WriteFile(relative, "partial"));
  }

  // Upload temporaries anywhere on disk.
  size_t Temporaries() {
    size_t count = 0;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(dir_.path())) {
      if (IsReservedName(entry.path().filename().string())) ++count;
    }
    return count;
  }

 private:
  TempDir dir_;
  std::unique_ptr<PosixFileSystem> fs_;
};

class InMemoryTraits {
 public:
  FileSystem& fs() { return fs_; }

  void AddFile(std::string_view path, std::string_view contents) {
    FERRY_EXPECT_OK(fs_.AddFile(P(path), std::string(contents)));
  }
  void AddDirectory(std::string_view path) { FERRY_EXPECT_OK(fs_.AddDirectory(P(path))); }
  void AddSpecialFile(std::string_view path) { FERRY_EXPECT_OK(fs_.AddSpecialFile(P(path))); }

  std::string ReadFile(std::string_view path) {
    StatusOr<std::string> contents = fs_.ReadFileForTest(P(path));
    EXPECT_THAT(contents, IsOk());
    return contents.ok() ? *contents : "";
  }

  void AddStaleTemporary(std::string_view directory, std::string_view name) {
    FERRY_EXPECT_OK(fs_.AddStaleTemporaryForTest(P(directory), name, "partial"));
  }

  size_t Temporaries() { return fs_.PendingUploadsForTest() + fs_.StaleTemporariesForTest(); }

 private:
  InMemoryFileSystem fs_;
};

template <typename Traits>
class FileSystemContractTest : public ::testing::Test {
 protected:
  FileSystem& fs() { return traits_.fs(); }

  std::unique_ptr<PendingUpload> StartUpload(std::string_view path, bool overwrite = false,
                                             uint64_t size = 0) {
    StatusOr<std::unique_ptr<PendingUpload>> upload =
        fs().CreateUpload(P(path), {.size = size, .overwrite = overwrite});
    EXPECT_THAT(upload, IsOk());
    return upload.ok() ? std::move(upload).value() : nullptr;
  }

  Status Upload(std::string_view path, std::string_view contents, bool overwrite = false) {
    FERRY_ASSIGN_OR_RETURN(
        std::unique_ptr<PendingUpload> upload,
        fs().CreateUpload(P(path), {.size = contents.size(), .overwrite = overwrite}));
    FERRY_RETURN_IF_ERROR(upload->Write(Bytes(contents)));
    return upload->Commit();
  }

  static std::span<const uint8_t> Bytes(std::string_view text) {
    return {reinterpret_cast<const uint8_t*>(text.data()), text.size()};
  }

  std::vector<FileInfo> List(std::string_view path) {
    std::vector<FileInfo> entries;
    StatusOr<std::unique_ptr<DirectoryStream>> stream = fs().OpenDirectory(P(path));
    EXPECT_THAT(stream, IsOk());
    if (!stream.ok()) return entries;
    while (true) {
      StatusOr<std::optional<FileInfo>> entry = (*stream)->Next();
      EXPECT_THAT(entry, IsOk());
      if (!entry.ok() || !entry->has_value()) return entries;
      entries.push_back(**entry);
    }
  }

  static std::string ReadAll(ReadableFile& file) {
    std::string contents;
    std::array<uint8_t, 7> buffer;  // small, so that reads take several calls
    while (true) {
      StatusOr<size_t> n = file.ReadAt(contents.size(), buffer);
      EXPECT_THAT(n, IsOk());
      if (!n.ok() || *n == 0) return contents;
      contents.append(reinterpret_cast<const char*>(buffer.data()), *n);
    }
  }

  Traits traits_;
};

#if FERRY_TEST_LEGACY_KERNEL
using Implementations = ::testing::Types<PosixTraits>;  // the fake has no fallbacks
#else
using Implementations = ::testing::Types<PosixTraits, InMemoryTraits>;
#endif
TYPED_TEST_SUITE(FileSystemContractTest, Implementations);

auto HasName(std::string_view name) { return Field(&FileInfo::name, std::string(name)); }

// --- Stat -------------------------------------------------------------------

// R-STAT-2, R-PATH-13.
TYPED_TEST(FileSystemContractTest, StatRootIsADirectoryWithAnEmptyName) {
  const StatusOr<FileInfo> info = this->fs().Stat(Path());
  ASSERT_THAT(info, IsOk());
  EXPECT_EQ(info->name, "");
  EXPECT_EQ(info->type, FileType::kDirectory);
  EXPECT_EQ(info->size, 0u);
}

TYPED_TEST(FileSystemContractTest, StatDescribesARegularFile) {
  this->traits_.AddDirectory("d");
  this->traits_.AddFile("d/f.txt", "hello");
  const StatusOr<FileInfo> info = this->fs().Stat(P("d/f.txt"));
  ASSERT_THAT(info, IsOk());
  EXPECT_EQ(info->name, "f.txt");
  EXPECT_EQ(info->type, FileType::kRegular);
  EXPECT_EQ(info->size, 5u);
  EXPECT_EQ(info->mode, 0644u);
  EXPECT_GT(info->mtime_unix_ns, 0);
}

TYPED_TEST(FileSystemContractTest, StatDescribesADirectory) {
  this->traits_.AddDirectory("d");
  const StatusOr<FileInfo> info = this->fs().Stat(P("d"));
  ASSERT_THAT(info, IsOk());
  EXPECT_EQ(info->name, "d");
  EXPECT_EQ(info->type, FileType::kDirectory);
  EXPECT_EQ(info->size, 0u);
  EXPECT_EQ(info->mode, 0755u);
}

TYPED_TEST(FileSystemContractTest, StatDescribesASpecialFile) {
  this->traits_.AddSpecialFile("fifo");
  const StatusOr<FileInfo> info = this->fs().Stat(P("fifo"));
  ASSERT_THAT(info, IsOk());
  EXPECT_EQ(info->type, FileType::kOther);
  EXPECT_EQ(info->size, 0u);
}

TYPED_TEST(FileSystemContractTest, StatMissingIsNotFound) {
  EXPECT_THAT(this->fs().Stat(P("missing")), StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(this->fs().Stat(P("missing/x")), StatusIs(StatusCode::kNotFound));
}

TYPED_TEST(FileSystemContractTest, StatThroughAFileIsNotADirectory) {
  this->traits_.AddFile("f", "x");
  this->traits_.AddSpecialFile("fifo");
  EXPECT_THAT(this->fs().Stat(P("f/x")), StatusIs(StatusCode::kNotADirectory));
  EXPECT_THAT(this->fs().Stat(P("fifo/x")), StatusIs(StatusCode::kNotADirectory));
}

// --- OpenDirectory ------------------------------------------------------------

// R-LIST-5: entries describe what Stat describes.
TYPED_TEST(FileSystemContractTest, ListShowsEveryKindOfEntry) {
  this->traits_.AddDirectory("d");
  this->traits_.AddDirectory("d/sub");
  this->traits_.AddFile("d/a", "abc");
  this->traits_.AddSpecialFile("d/fifo");
  const std::vector<FileInfo> entries = this->List("d");
  EXPECT_THAT(entries, UnorderedElementsAre(HasName("sub"), HasName("a"), HasName("fifo")));
  for (const FileInfo& entry : entries) {
    EXPECT_EQ(entry, this->fs().Stat(P("d").Child(entry.name)).value()) << entry.name;
  }
}

TYPED_TEST(FileSystemContractTest, ListOfTheRoot) {
  this->traits_.AddFile("top", "");
  EXPECT_THAT(this->List(""), ElementsAre(HasName("top")));
}

TYPED_TEST(FileSystemContractTest, ListOfAnEmptyDirectoryEndsAndStaysEnded) {
  this->traits_.AddDirectory("empty");
  StatusOr<std::unique_ptr<DirectoryStream>> stream = this->fs().OpenDirectory(P("empty"));
  ASSERT_THAT(stream, IsOk());
  EXPECT_THAT((*stream)->Next(), IsOkAndHolds(std::nullopt));
  EXPECT_THAT((*stream)->Next(), IsOkAndHolds(std::nullopt));
}

TYPED_TEST(FileSystemContractTest, ListErrors) {
  this->traits_.AddFile("f", "x");
  this->traits_.AddSpecialFile("fifo");
  EXPECT_THAT(this->fs().OpenDirectory(P("missing")), StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(this->fs().OpenDirectory(P("missing/x")), StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(this->fs().OpenDirectory(P("f")), StatusIs(StatusCode::kNotADirectory));
  EXPECT_THAT(this->fs().OpenDirectory(P("fifo")), StatusIs(StatusCode::kNotADirectory));
  EXPECT_THAT(this->fs().OpenDirectory(P("f/x")), StatusIs(StatusCode::kNotADirectory));
}

// R-LIST-4, R-PATH-7.
TYPED_TEST(FileSystemContractTest, ListNeverShowsUploadTemporaries) {
  this->traits_.AddFile("visible", "");
  const std::unique_ptr<PendingUpload> upload = this->StartUpload("incoming");
  ASSERT_NE(upload, nullptr);
  FERRY_ASSERT_OK(upload->Write(this->Bytes("partial")));
  EXPECT_THAT(this->List(""), ElementsAre(HasName("visible")));
}

// R-LIST-6.
TYPED_TEST(FileSystemContractTest, ListSkipsEntriesRemovedWhileListing) {
  this->traits_.AddDirectory("d");
  for (const char* name : {"d/a", "d/b", "d/c"}) this->traits_.AddFile(name, "");
  StatusOr<std::unique_ptr<DirectoryStream>> stream = this->fs().OpenDirectory(P("d"));
  ASSERT_THAT(stream, IsOk());
  const StatusOr<std::optional<FileInfo>> first = (*stream)->Next();
  ASSERT_THAT(first, IsOk());
  ASSERT_TRUE(first->has_value());
  for (const char* name : {"a", "b", "c"}) {
    if ((*first)->name != name) {
      FERRY_ASSERT_OK(this->fs().Remove(P("d").Child(name)));
    }
  }
  EXPECT_THAT((*stream)->Next(), IsOkAndHolds(std::nullopt));
}

// R-LIST-6: entries removed while a listing is under way may or may not
// appear, the listing does not fail, and every other entry appears exactly
// once. Enough entries that the names span several reads of the directory, so
// removals land both in names already read and in names not yet read.
TYPED_TEST(FileSystemContractTest, ListOfADirectoryShrinkingUnderneathShowsTheRestOnce) {
  constexpr int kEntries = 2500;
  this->traits_.AddDirectory("d");
  for (int i = 0; i < kEntries; ++i) this->traits_.AddFile("d/e" + std::to_string(i), "");
  StatusOr<std::unique_ptr<DirectoryStream>> stream = this->fs().OpenDirectory(P("d"));
  ASSERT_THAT(stream, IsOk());
  std::map<std::string, int> seen;
  const StatusOr<std::optional<FileInfo>> first = (*stream)->Next();
  ASSERT_THAT(first, IsOk());
  ASSERT_TRUE(first->has_value());
  ++seen[(*first)->name];
  std::set<std::string> removed;
  for (int i = 0; i < kEntries; i += 2) {
    const std::string name = "e" + std::to_string(i);
    if (name == (*first)->name) continue;
    FERRY_ASSERT_OK(this->fs().Remove(P("d").Child(name)));
    removed.insert(name);
  }
  while (true) {
    const StatusOr<std::optional<FileInfo>> entry = (*stream)->Next();
    ASSERT_THAT(entry, IsOk());
    if (!entry->has_value()) break;
    ++seen[(*entry)->name];
  }
  for (int i = 0; i < kEntries; ++i) {
    const std::string name = "e" + std::to_string(i);
    const int times = seen.contains(name) ? seen[name] : 0;
    if (removed.contains(name)) {
      EXPECT_LE(times, 1) << name;
    } else {
      EXPECT_EQ(times, 1) << name;
    }
  }
  EXPECT_EQ(seen.size() - std::count_if(seen.begin(), seen.end(),
                                        [&](const auto& e) { return removed.contains(e.first); }),
            static_cast<size_t>(kEntries) - removed.size());
}

// R-LIST-3, R-LIST-5: a directory larger than any one read of it is listed whole,
// each entry exactly once and described as Stat describes it.
TYPED_TEST(FileSystemContractTest, ListOfALargeDirectoryShowsEveryEntryOnce) {
  constexpr int kEntries = 3000;
  this->traits_.AddDirectory("big");
  for (int i = 0; i < kEntries; ++i) {
    this->traits_.AddFile("big/f" + std::to_string(i),
                          std::string(static_cast<size_t>(i % 97), 'x'));
  }
  this->traits_.AddDirectory("big/sub");
  const std::vector<FileInfo> entries = this->List("big");
  ASSERT_EQ(entries.size(), static_cast<size_t>(kEntries) + 1);
  std::set<std::string> names;
  for (const FileInfo& entry : entries) {
    EXPECT_TRUE(names.insert(entry.name).second) << entry.name << " appears twice";
    if (entry.name == "sub") {
      EXPECT_EQ(entry.type, FileType::kDirectory);
      continue;
    }
    const int i = std::stoi(entry.name.substr(1));
    EXPECT_EQ(entry.type, FileType::kRegular) << entry.name;
    EXPECT_EQ(entry.size, static_cast<uint64_t>(i % 97)) << entry.name;
  }
}

// --- Remove -------------------------------------------------------------------

TYPED_TEST(FileSystemContractTest, RemoveDeletesAFile) {
  this->traits_.AddFile("f", "x");
  FERRY_EXPECT_OK(this->fs().Remove(P("f")));
  EXPECT_THAT(this->fs().Stat(P("f")), StatusIs(StatusCode::kNotFound));
}

TYPED_TEST(FileSystemContractTest, RemoveDeletesASpecialFile) {
  this->traits_.AddSpecialFile("fifo");
  FERRY_EXPECT_OK(this->fs().Remove(P("fifo")));
  EXPECT_THAT(this->fs().Stat(P("fifo")), StatusIs(StatusCode::kNotFound));
}

// R-PATH-13.
TYPED_TEST(FileSystemContractTest, RemoveOfTheRootIsInvalidPath) {
  EXPECT_THAT(this->fs().Remove(Path()), StatusIs(StatusCode::kInvalidPath));
  EXPECT_THAT(this->fs().Stat(Path()), IsOk());
}

// R-REMOVE-2.
TYPED_TEST(FileSystemContractTest, RemoveOfADirectoryIsIsADirectory) {
  this->traits_.AddDirectory("d");
  EXPECT_THAT(this->fs().Remove(P("d")), StatusIs(StatusCode::kIsADirectory));
  EXPECT_THAT(this->fs().Stat(P("d")), IsOk());
}

TYPED_TEST(FileSystemContractTest, RemoveErrors) {
  this->traits_.AddFile("f", "x");
  EXPECT_THAT(this->fs().Remove(P("missing")), StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(this->fs().Remove(P("missing/x")), StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(this->fs().Remove(P("f/x")), StatusIs(StatusCode::kNotADirectory));
}

// Bad input 52.
TYPED_TEST(FileSystemContractTest, RemoveLeavesAnOpenReaderReading) {
  this->traits_.AddFile("f", "still here");
  StatusOr<std::unique_ptr<ReadableFile>> file = this->fs().OpenForRead(P("f"));
  ASSERT_THAT(file, IsOk());
  FERRY_ASSERT_OK(this->fs().Remove(P("f")));
  EXPECT_EQ(this->ReadAll(**file), "still here");
}

// --- MakeDirectory --------------------------------------------------------------

// R-MKDIR-1.
TYPED_TEST(FileSystemContractTest, MakeDirectoryCreatesAnEmptyDirectory) {
  this->traits_.AddDirectory("d");
  FERRY_ASSERT_OK(this->fs().MakeDirectory(P("d/new")));
  const StatusOr<FileInfo> info = this->fs().Stat(P("d/new"));
  ASSERT_THAT(info, IsOk());
  EXPECT_EQ(info->type, FileType::kDirectory);
  EXPECT_EQ(info->mode & 0700u, 0700u);  // 0755 less the umask
  EXPECT_EQ(info->mode & ~0755u, 0u);
  EXPECT_THAT(this->List("d/new"), IsEmpty());
  EXPECT_THAT(this->List("d"), ElementsAre(HasName("new")));
  // And it is usable at once.
  FERRY_EXPECT_OK(this->Upload("d/new/f", "x"));
  FERRY_EXPECT_OK(this->fs().MakeDirectory(P("d/new/deeper")));
}

// R-MKDIR-2: nothing that is there is replaced.
TYPED_TEST(FileSystemContractTest, MakeDirectoryWhereSomethingIsIsAlreadyExists) {
  this->traits_.AddFile("f", "keep");
  this->traits_.AddDirectory("d");
  this->traits_.AddFile("d/inner", "x");
  this->traits_.AddSpecialFile("fifo");
  for (const char* taken : {"f", "d", "fifo"}) {
    SCOPED_TRACE(taken);
    EXPECT_THAT(this->fs().MakeDirectory(P(taken)), StatusIs(StatusCode::kAlreadyExists));
  }
  EXPECT_EQ(this->traits_.ReadFile("f"), "keep");
  EXPECT_THAT(this->List("d"), ElementsAre(HasName("inner")));
  EXPECT_EQ(this->fs().Stat(P("fifo"))->type, FileType::kOther);
}

// R-MKDIR-1, R-PATH-13.
TYPED_TEST(FileSystemContractTest, MakeDirectoryErrors) {
  this->traits_.AddFile("f", "x");
  EXPECT_THAT(this->fs().MakeDirectory(Path()), StatusIs(StatusCode::kInvalidPath));
  EXPECT_THAT(this->fs().MakeDirectory(P("missing/new")), StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(this->fs().MakeDirectory(P("f/new")), StatusIs(StatusCode::kNotADirectory));
  EXPECT_THAT(this->fs().Stat(P("missing")), StatusIs(StatusCode::kNotFound));
}

// --- RemoveDirectory ------------------------------------------------------------

// R-RMDIR-1.
TYPED_TEST(FileSystemContractTest, RemoveDirectoryRemovesAnEmptyDirectory) {
  this->traits_.AddDirectory("d");
  this->traits_.AddDirectory("d/empty");
  this->traits_.AddFile("d/f", "x");
  FERRY_ASSERT_OK(this->fs().RemoveDirectory(P("d/empty")));
  EXPECT_THAT(this->fs().Stat(P("d/empty")), StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(this->List("d"), ElementsAre(HasName("f")));
  EXPECT_THAT(this->fs().RemoveDirectory(P("d/empty")), StatusIs(StatusCode::kNotFound));
  // A directory made by MakeDirectory can be removed again.
  FERRY_ASSERT_OK(this->fs().MakeDirectory(P("again")));
  FERRY_EXPECT_OK(this->fs().RemoveDirectory(P("again")));
}

// R-RMDIR-2: nothing in it is touched.
TYPED_TEST(FileSystemContractTest, RemoveDirectoryOfANonEmptyDirectoryIsDirectoryNotEmpty) {
  this->traits_.AddDirectory("d");
  this->traits_.AddDirectory("d/sub");
  this->traits_.AddDirectory("only_dir");
  this->traits_.AddDirectory("only_dir/inner");
  this->traits_.AddFile("d/f", "keep");
  EXPECT_THAT(this->fs().RemoveDirectory(P("d")), StatusIs(StatusCode::kDirectoryNotEmpty));
  EXPECT_THAT(this->fs().RemoveDirectory(P("only_dir")), StatusIs(StatusCode::kDirectoryNotEmpty));
  EXPECT_EQ(this->traits_.ReadFile("d/f"), "keep");
  EXPECT_EQ(this->fs().Stat(P("only_dir/inner"))->type, FileType::kDirectory);
}

// R-RMDIR-3, R-PATH-13.
TYPED_TEST(FileSystemContractTest, RemoveDirectoryErrors) {
  this->traits_.AddFile("f", "x");
  this->traits_.AddSpecialFile("fifo");
  EXPECT_THAT(this->fs().RemoveDirectory(Path()), StatusIs(StatusCode::kInvalidPath));
  EXPECT_THAT(this->fs().RemoveDirectory(P("f")), StatusIs(StatusCode::kNotADirectory));
  EXPECT_THAT(this->fs().RemoveDirectory(P("fifo")), StatusIs(StatusCode::kNotADirectory));
  EXPECT_THAT(this->fs().RemoveDirectory(P("missing")), StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(this->fs().RemoveDirectory(P("missing/x")), StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(this->fs().RemoveDirectory(P("f/x")), StatusIs(StatusCode::kNotADirectory));
  EXPECT_EQ(this->traits_.ReadFile("f"), "x");
  EXPECT_THAT(this->fs().Stat(Path()), IsOk());
}

// A listing open on a directory that is then removed ends, and does not crash.
TYPED_TEST(FileSystemContractTest, RemoveDirectoryUnderAnOpenListing) {
  this->traits_.AddDirectory("d");
  StatusOr<std::unique_ptr<DirectoryStream>> stream = this->fs().OpenDirectory(P("d"));
  ASSERT_THAT(stream, IsOk());
  FERRY_ASSERT_OK(this->fs().RemoveDirectory(P("d")));
  EXPECT_THAT((*stream)->Next(), IsOkAndHolds(std::optional<FileInfo>()));
}

// --- Rename -----------------------------------------------------------------------

// R-RENAME-1: files and directories (with their contents) move, within and
// across directories.
TYPED_TEST(FileSystemContractTest, RenameMovesFilesAndDirectories) {
  this->traits_.AddFile("a", "alpha");
  this->traits_.AddDirectory("d");
  this->traits_.AddDirectory("tree");
  this->traits_.AddDirectory("tree/sub");
  this->traits_.AddFile("tree/sub/f", "deep");
  FERRY_ASSERT_OK(this->fs().Rename(P("a"), P("d/b"), false));
  EXPECT_THAT(this->fs().Stat(P("a")), StatusIs(StatusCode::kNotFound));
  EXPECT_EQ(this->traits_.ReadFile("d/b"), "alpha");
  FERRY_ASSERT_OK(this->fs().Rename(P("tree"), P("d/tree"), false));
  EXPECT_EQ(this->traits_.ReadFile("d/tree/sub/f"), "deep");
  EXPECT_THAT(this->List(""), ElementsAre(HasName("d")));
  EXPECT_THAT(this->List("d"), UnorderedElementsAre(HasName("b"), HasName("tree")));
  // A special file moves as an entry, never opened.
  this->traits_.AddSpecialFile("fifo");
  FERRY_ASSERT_OK(this->fs().Rename(P("fifo"), P("d/fifo"), false));
  EXPECT_EQ(this->fs().Stat(P("d/fifo"))->type, FileType::kOther);
}

// R-RENAME-2: without overwrite nothing at the target is replaced.
TYPED_TEST(FileSystemContractTest, RenameWithoutOverwriteNeverReplaces) {
  this->traits_.AddFile("a", "new");
  this->traits_.AddFile("b", "old");
  this->traits_.AddDirectory("d");
  this->traits_.AddDirectory("e");
  EXPECT_THAT(this->fs().Rename(P("a"), P("b"), false), StatusIs(StatusCode::kAlreadyExists));
  EXPECT_THAT(this->fs().Rename(P("a"), P("d"), false), StatusIs(StatusCode::kAlreadyExists));
  EXPECT_THAT(this->fs().Rename(P("d"), P("e"), false), StatusIs(StatusCode::kAlreadyExists));
  EXPECT_THAT(this->fs().Rename(P("a"), P("a"), false), StatusIs(StatusCode::kAlreadyExists));
  EXPECT_EQ(this->traits_.ReadFile("a"), "new");
  EXPECT_EQ(this->traits_.ReadFile("b"), "old");
}

// R-RENAME-3: overwrite replaces; a directory only an empty directory; types
// never mix; onto itself changes nothing.
TYPED_TEST(FileSystemContractTest, RenameWithOverwriteFollowsTheTypeRules) {
  this->traits_.AddFile("a", "new");
  this->traits_.AddFile("b", "old");
  this->traits_.AddDirectory("src");
  this->traits_.AddDirectory("full");
  this->traits_.AddFile("src/f", "f");
  this->traits_.AddFile("full/g", "g");
  this->traits_.AddDirectory("empty");
  FERRY_ASSERT_OK(this->fs().Rename(P("a"), P("b"), true));
  EXPECT_EQ(this->traits_.ReadFile("b"), "new");
  EXPECT_THAT(this->fs().Stat(P("a")), StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(this->fs().Rename(P("src"), P("full"), true),
              StatusIs(StatusCode::kDirectoryNotEmpty));
  EXPECT_THAT(this->fs().Rename(P("src"), P("b"), true), StatusIs(StatusCode::kNotADirectory));
  EXPECT_THAT(this->fs().Rename(P("b"), P("empty"), true), StatusIs(StatusCode::kIsADirectory));
  FERRY_ASSERT_OK(this->fs().Rename(P("b"), P("b"), true));
  EXPECT_EQ(this->traits_.ReadFile("b"), "new");
  FERRY_ASSERT_OK(this->fs().Rename(P("src"), P("empty"), true));
  EXPECT_EQ(this->traits_.ReadFile("empty/f"), "f");
  EXPECT_EQ(this->traits_.ReadFile("full/g"), "g");
}

// R-RENAME-4, R-PATH-13: the root, a directory into its own subtree, missing
// pieces; nothing changes.
TYPED_TEST(FileSystemContractTest, RenameErrors) {
  this->traits_.AddDirectory("d");
  this->traits_.AddDirectory("d/sub");
  this->traits_.AddFile("d/sub/f", "x");
  this->traits_.AddFile("file", "y");
  EXPECT_THAT(this->fs().Rename(Path(), P("x"), true), StatusIs(StatusCode::kInvalidPath));
  EXPECT_THAT(this->fs().Rename(P("file"), Path(), true), StatusIs(StatusCode::kInvalidPath));
  EXPECT_THAT(this->fs().Rename(P("d"), P("d/inner"), false), StatusIs(StatusCode::kInvalidPath));
  EXPECT_THAT(this->fs().Rename(P("d"), P("d/sub/deeper"), true),
              StatusIs(StatusCode::kInvalidPath));
  EXPECT_THAT(this->fs().Rename(P("missing"), P("x"), false), StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(this->fs().Rename(P("file"), P("nodir/x"), false), StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(this->fs().Rename(P("file/x"), P("x"), false), StatusIs(StatusCode::kNotADirectory));
  EXPECT_THAT(this->fs().Rename(P("file"), P("file/x"), false),
              StatusIs(StatusCode::kNotADirectory));
  EXPECT_EQ(this->traits_.ReadFile("d/sub/f"), "x");
  EXPECT_EQ(this->traits_.ReadFile("file"), "y");
  EXPECT_THAT(this->List(""), UnorderedElementsAre(HasName("d"), HasName("file")));
}

// A file open for reading keeps reading what it opened across a rename over it.
TYPED_TEST(FileSystemContractTest, RenameOverAnOpenFileLeavesTheReaderItsVersion) {
  this->traits_.AddFile("a", "replacement");
  this->traits_.AddFile("b", "original");
  auto reader = this->fs().OpenForRead(P("b"));
  ASSERT_THAT(reader, IsOk());
  FERRY_ASSERT_OK(this->fs().Rename(P("a"), P("b"), true));
  std::string got(8, '\0');
  auto n = (*reader)->ReadAt(0, std::span<uint8_t>(reinterpret_cast<uint8_t*>(got.data()), 8));
  ASSERT_THAT(n, IsOkAndHolds(8u));
  EXPECT_EQ(got, "original");
  EXPECT_EQ(this->traits_.ReadFile("b"), "replacement");
}

// --- OpenForRead ----------------------------------------------------------------

TYPED_TEST(FileSystemContractTest, ReadReturnsTheContents) {
  const std::string contents = "The quick brown fox jumps over the lazy dog";
  this->traits_.AddFile("f", contents);
  StatusOr<std::unique_ptr<ReadableFile>> file = this->fs().OpenForRead(P("f"));
  ASSERT_THAT(file, IsOk());
  EXPECT_EQ((*file)->info(), this->fs().Stat(P("f")).value());
  EXPECT_EQ(this->ReadAll(**file), contents);
}

TYPED_TEST(FileSystemContractTest, ReadAtAnyOffset) {
  this->traits_.AddFile("f", "0123456789");
  StatusOr<std::unique_ptr<ReadableFile>> file = this->fs().OpenForRead(P("f"));
  ASSERT_THAT(file, IsOk());
  std::array<uint8_t, 4> buffer;
  EXPECT_THAT((*file)->ReadAt(3, buffer), IsOkAndHolds(4u));
  EXPECT_EQ(std::string(buffer.begin(), buffer.end()), "3456");
  EXPECT_THAT((*file)->ReadAt(8, buffer), IsOkAndHolds(2u));
  EXPECT_EQ(std::string(buffer.begin(), buffer.begin() + 2), "89");
  EXPECT_THAT((*file)->ReadAt(10, buffer), IsOkAndHolds(0u));
  EXPECT_THAT((*file)->ReadAt(1'000'000, buffer), IsOkAndHolds(0u));
}

TYPED_TEST(FileSystemContractTest, ReadOfAnEmptyFile) {
  this->traits_.AddFile("empty", "");
  StatusOr<std::unique_ptr<ReadableFile>> file = this->fs().OpenForRead(P("empty"));
  ASSERT_THAT(file, IsOk());
  EXPECT_EQ((*file)->info().size, 0u);
  EXPECT_EQ(this->ReadAll(**file), "");
}

TYPED_TEST(FileSystemContractTest, ReadErrors) {
  this->traits_.AddDirectory("d");
  this->traits_.AddFile("f", "x");
  this->traits_.AddSpecialFile("fifo");
  EXPECT_THAT(this->fs().OpenForRead(Path()), StatusIs(StatusCode::kIsADirectory));
  EXPECT_THAT(this->fs().OpenForRead(P("d")), StatusIs(StatusCode::kIsADirectory));
  EXPECT_THAT(this->fs().OpenForRead(P("fifo")), StatusIs(StatusCode::kNotARegularFile));
  EXPECT_THAT(this->fs().OpenForRead(P("missing")), StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(this->fs().OpenForRead(P("d/missing")), StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(this->fs().OpenForRead(P("f/x")), StatusIs(StatusCode::kNotADirectory));
}

// R-DOWNLOAD-5, bad input 51.
TYPED_TEST(FileSystemContractTest, ReaderKeepsTheVersionItOpened) {
  this->traits_.AddFile("f", "old contents");
  StatusOr<std::unique_ptr<ReadableFile>> file = this->fs().OpenForRead(P("f"));
  ASSERT_THAT(file, IsOk());
  FERRY_ASSERT_OK(this->Upload("f", "new", /*overwrite=*/true));
  EXPECT_EQ((*file)->info().size, 12u);
  EXPECT_EQ(this->ReadAll(**file), "old contents");
  EXPECT_EQ(this->traits_.ReadFile("f"), "new");
}

// --- CreateUpload: early errors ------------------------------------------------------

// R-PATH-13.
TYPED_TEST(FileSystemContractTest, UploadToTheRootIsInvalidPath) {
  EXPECT_THAT(this->fs().CreateUpload(Path(), {}), StatusIs(StatusCode::kInvalidPath));
  EXPECT_THAT(this->fs().CreateUpload(Path(), {.overwrite = true}),
              StatusIs(StatusCode::kInvalidPath));
}

TYPED_TEST(FileSystemContractTest, UploadOntoADirectoryIsIsADirectory) {
  this->traits_.AddDirectory("d");
  EXPECT_THAT(this->fs().CreateUpload(P("d"), {}), StatusIs(StatusCode::kIsADirectory));
  EXPECT_THAT(this->fs().CreateUpload(P("d"), {.overwrite = true}),
              StatusIs(StatusCode::kIsADirectory));
}

TYPED_TEST(FileSystemContractTest, UploadOntoAnExistingFileWithoutOverwriteIsAlreadyExists) {
  this->traits_.AddFile("f", "mine");
  EXPECT_THAT(this->fs().CreateUpload(P("f"), {}), StatusIs(StatusCode::kAlreadyExists));
  EXPECT_EQ(this->traits_.ReadFile("f"), "mine");
}

// R-UPLOAD-4: the type is checked before existence.
TYPED_TEST(FileSystemContractTest, UploadOntoASpecialFileIsNotARegularFile) {
  this->traits_.AddSpecialFile("fifo");
  EXPECT_THAT(this->fs().CreateUpload(P("fifo"), {.overwrite = true}),
              StatusIs(StatusCode::kNotARegularFile));
  EXPECT_THAT(this->fs().CreateUpload(P("fifo"), {}), StatusIs(StatusCode::kNotARegularFile));
}

TYPED_TEST(FileSystemContractTest, UploadNeedsAnExistingParentDirectory) {
  this->traits_.AddFile("f", "x");
  EXPECT_THAT(this->fs().CreateUpload(P("missing/x"), {}), StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(this->fs().CreateUpload(P("missing/y/x"), {}), StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(this->fs().CreateUpload(P("f/x"), {}), StatusIs(StatusCode::kNotADirectory));
}

// Sizes past off_t never reach fallocate (bad input 29).
TYPED_TEST(FileSystemContractTest, UploadLargerThanAnyFileIsNoSpace) {
  EXPECT_THAT(this->fs().CreateUpload(P("huge"), {.size = UINT64_MAX}),
              StatusIs(StatusCode::kNoSpace));
  EXPECT_THAT(this->fs().CreateUpload(P("huge"), {.size = uint64_t{1} << 63}),
              StatusIs(StatusCode::kNoSpace));
  EXPECT_EQ(this->traits_.Temporaries(), 0u);
  EXPECT_THAT(this->List(""), IsEmpty());
}

TYPED_TEST(FileSystemContractTest, FailedCreateLeavesNoTemporary) {
  this->traits_.AddFile("f", "x");
  this->traits_.AddDirectory("d");
  EXPECT_THAT(this->fs().CreateUpload(P("f"), {}), StatusIs(StatusCode::kAlreadyExists));
  EXPECT_THAT(this->fs().CreateUpload(P("d"), {}), StatusIs(StatusCode::kIsADirectory));
  EXPECT_EQ(this->traits_.Temporaries(), 0u);
}

// --- CreateUpload: writing and committing ---------------------------------------------

TYPED_TEST(FileSystemContractTest, UploadCreatesTheFile) {
  this->traits_.AddDirectory("d");
  const std::unique_ptr<PendingUpload> upload = this->StartUpload("d/new", false, 11);
  ASSERT_NE(upload, nullptr);
  FERRY_ASSERT_OK(upload->Write(this->Bytes("hello")));
  FERRY_ASSERT_OK(upload->Write(this->Bytes("")));
  FERRY_ASSERT_OK(upload->Write(this->Bytes(" world")));
  FERRY_ASSERT_OK(upload->Commit());
  EXPECT_EQ(this->traits_.ReadFile("d/new"), "hello world");
  const StatusOr<FileInfo> info = this->fs().Stat(P("d/new"));
  ASSERT_THAT(info, IsOk());
  EXPECT_EQ(info->type, FileType::kRegular);
  EXPECT_EQ(info->size, 11u);
  EXPECT_EQ(this->traits_.Temporaries(), 0u);
}

TYPED_TEST(FileSystemContractTest, UploadOfNothingCreatesAnEmptyFile) {
  const std::unique_ptr<PendingUpload> upload = this->StartUpload("empty");
  ASSERT_NE(upload, nullptr);
  FERRY_ASSERT_OK(upload->Commit());
  EXPECT_THAT(this->fs().Stat(P("empty")), IsOk());
  EXPECT_EQ(this->traits_.ReadFile("empty"), "");
}

TYPED_TEST(FileSystemContractTest, ReservedSizeDoesNotPadTheFile) {
  const std::unique_ptr<PendingUpload> upload = this->StartUpload("f", false, 1 << 20);
  ASSERT_NE(upload, nullptr);
  FERRY_ASSERT_OK(upload->Write(this->Bytes("short")));
  FERRY_ASSERT_OK(upload->Commit());
  EXPECT_EQ(this->traits_.ReadFile("f"), "short");
}

TYPED_TEST(FileSystemContractTest, UploadWithOverwriteReplacesTheFile) {
  this->traits_.AddFile("f", "old old old");
  const int64_t old_mtime = this->fs().Stat(P("f")).value().mtime_unix_ns;
  FERRY_ASSERT_OK(this->Upload("f", "new", /*overwrite=*/true));
  EXPECT_EQ(this->traits_.ReadFile("f"), "new");
  EXPECT_GE(this->fs().Stat(P("f")).value().mtime_unix_ns, old_mtime);
  EXPECT_THAT(this->List(""), ElementsAre(HasName("f")));
}

// R-UPLOAD-13.
TYPED_TEST(FileSystemContractTest, TargetIsUntouchedUntilCommit) {
  this->traits_.AddFile("f", "old");
  const std::unique_ptr<PendingUpload> upload = this->StartUpload("f", /*overwrite=*/true);
  ASSERT_NE(upload, nullptr);
  FERRY_ASSERT_OK(upload->Write(this->Bytes("new contents")));
  EXPECT_EQ(this->traits_.ReadFile("f"), "old");
  EXPECT_EQ(this->fs().Stat(P("f")).value().size, 3u);
  FERRY_ASSERT_OK(upload->Commit());
  EXPECT_EQ(this->traits_.ReadFile("f"), "new contents");
}

TYPED_TEST(FileSystemContractTest, NewFileIsInvisibleUntilCommit) {
  const std::unique_ptr<PendingUpload> upload = this->StartUpload("f");
  ASSERT_NE(upload, nullptr);
  FERRY_ASSERT_OK(upload->Write(this->Bytes("data")));
  EXPECT_THAT(this->fs().Stat(P("f")), StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(this->fs().OpenForRead(P("f")), StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(this->List(""), IsEmpty());
  EXPECT_EQ(this->traits_.Temporaries(), 1u);
  FERRY_ASSERT_OK(upload->Commit());
  EXPECT_THAT(this->List(""), ElementsAre(HasName("f")));
}

// R-UPLOAD-14, R-CANCEL-4.
TYPED_TEST(FileSystemContractTest, AbandonedUploadLeavesNoTrace) {
  this->traits_.AddFile("f", "old");
  {
    const std::unique_ptr<PendingUpload> replace = this->StartUpload("f", /*overwrite=*/true, 3);
    const std::unique_ptr<PendingUpload> create = this->StartUpload("g", false, 3);
    ASSERT_NE(replace, nullptr);
    ASSERT_NE(create, nullptr);
    FERRY_ASSERT_OK(replace->Write(this->Bytes("new")));
    FERRY_ASSERT_OK(create->Write(this->Bytes("new")));
    EXPECT_EQ(this->traits_.Temporaries(), 2u);
  }
  EXPECT_EQ(this->traits_.Temporaries(), 0u);
  EXPECT_EQ(this->traits_.ReadFile("f"), "old");
  EXPECT_THAT(this->List(""), ElementsAre(HasName("f")));
}

// R-UPLOAD-12, bad input 53.
TYPED_TEST(FileSystemContractTest, NoClobberIsDecidedAtCommit) {
  const std::unique_ptr<PendingUpload> upload = this->StartUpload("f");
  ASSERT_NE(upload, nullptr);
  FERRY_ASSERT_OK(upload->Write(this->Bytes("mine")));
  this->traits_.AddFile("f", "theirs");  // someone else got there first
  EXPECT_THAT(upload->Commit(), StatusIs(StatusCode::kAlreadyExists));
  EXPECT_EQ(this->traits_.ReadFile("f"), "theirs");
  EXPECT_EQ(this->traits_.Temporaries(), 0u);
  EXPECT_THAT(this->List(""), ElementsAre(HasName("f")));
}

TYPED_TEST(FileSystemContractTest, OverwriteReplacesAFileThatAppearedMeanwhile) {
  const std::unique_ptr<PendingUpload> upload = this->StartUpload("f", /*overwrite=*/true);
  ASSERT_NE(upload, nullptr);
  FERRY_ASSERT_OK(upload->Write(this->Bytes("mine")));
  this->traits_.AddFile("f", "theirs");
  FERRY_ASSERT_OK(upload->Commit());
  EXPECT_EQ(this->traits_.ReadFile("f"), "mine");
}

// R-UPLOAD-14.
TYPED_TEST(FileSystemContractTest, CommitOntoADirectoryThatAppearedMeanwhileFails) {
  const std::unique_ptr<PendingUpload> replace = this->StartUpload("d", /*overwrite=*/true);
  const std::unique_ptr<PendingUpload> create = this->StartUpload("d");
  ASSERT_NE(replace, nullptr);
  ASSERT_NE(create, nullptr);
  this->traits_.AddDirectory("d");
  EXPECT_THAT(replace->Commit(), StatusIs(StatusCode::kIsADirectory));
  EXPECT_THAT(create->Commit(), StatusIs(StatusCode::kAlreadyExists));
  EXPECT_EQ(this->fs().Stat(P("d")).value().type, FileType::kDirectory);
  EXPECT_EQ(this->traits_.Temporaries(), 0u);
}

// Bad input 50.
TYPED_TEST(FileSystemContractTest, ConcurrentUploadsToOnePathNeverMix) {
  const std::string a(10'000, 'a');
  const std::string b(10'000, 'b');
  const std::unique_ptr<PendingUpload> first = this->StartUpload("f", /*overwrite=*/true);
  const std::unique_ptr<PendingUpload> second = this->StartUpload("f", /*overwrite=*/true);
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  for (size_t at = 0; at < a.size(); at += 1000) {
    FERRY_ASSERT_OK(first->Write(this->Bytes(std::string_view(a).substr(at, 1000))));
    FERRY_ASSERT_OK(second->Write(this->Bytes(std::string_view(b).substr(at, 1000))));
  }
  FERRY_ASSERT_OK(second->Commit());
  EXPECT_EQ(this->traits_.ReadFile("f"), b);
  FERRY_ASSERT_OK(first->Commit());  // the last commit wins
  EXPECT_EQ(this->traits_.ReadFile("f"), a);
  EXPECT_EQ(this->traits_.Temporaries(), 0u);
}

// --- RemoveStaleTemporaries ----------------------------------------------------

// R-DUR-1, R-PATH-7: temporaries a killed server left behind are hidden from
// listings, and start-up removes every one of them, at any depth, and nothing else.
TYPED_TEST(FileSystemContractTest, StaleTemporariesAreHiddenAndRemovedEverywhere) {
  this->traits_.AddDirectory("d");
  this->traits_.AddDirectory("d/e");
  this->traits_.AddFile("a", "A");
  this->traits_.AddFile("d/b", "B");
  this->traits_.AddFile("d/e/c", "C");
  this->traits_.AddStaleTemporary("", ".ferry-part.0000000000000001");
  this->traits_.AddStaleTemporary("d", ".ferry-part.0000000000000002");
  this->traits_.AddStaleTemporary("d/e", ".ferry-part.0000000000000003");
  this->traits_.AddStaleTemporary("d/e", ".ferry-part.");
  EXPECT_EQ(this->traits_.Temporaries(), 4u);
  EXPECT_THAT(this->List(""), UnorderedElementsAre(HasName("a"), HasName("d")));
  EXPECT_THAT(this->List("d"), UnorderedElementsAre(HasName("b"), HasName("e")));
  EXPECT_THAT(this->List("d/e"), ElementsAre(HasName("c")));

  const StatusOr<StaleTemporaryCleanup> cleanup = this->fs().RemoveStaleTemporaries();
  ASSERT_THAT(cleanup, IsOk());
  EXPECT_EQ(cleanup->removed, 4u);
  EXPECT_EQ(cleanup->failed, 0u);
  EXPECT_EQ(this->traits_.Temporaries(), 0u);
  EXPECT_EQ(this->traits_.ReadFile("a"), "A");
  EXPECT_EQ(this->traits_.ReadFile("d/b"), "B");
  EXPECT_EQ(this->traits_.ReadFile("d/e/c"), "C");
  EXPECT_THAT(this->List("d/e"), ElementsAre(HasName("c")));
}

// R-DUR-1.
TYPED_TEST(FileSystemContractTest, RemoveStaleTemporariesOnACleanTreeRemovesNothing) {
  this->traits_.AddDirectory("d");
  this->traits_.AddFile("d/f", "F");
  const StatusOr<StaleTemporaryCleanup> cleanup = this->fs().RemoveStaleTemporaries();
  ASSERT_THAT(cleanup, IsOk());
  EXPECT_EQ(cleanup->removed, 0u);
  EXPECT_EQ(cleanup->failed, 0u);
  EXPECT_EQ(this->traits_.ReadFile("d/f"), "F");
}

TYPED_TEST(FileSystemContractTest, ConcurrentUseFromManyThreads) {
  constexpr int kThreads = 8;
  constexpr int kFilesPerThread = 24;
  this->traits_.AddDirectory("d");
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([this, t] {
      for (int i = 0; i < kFilesPerThread; ++i) {
        const std::string name = "d/" + std::to_string(t) + "-" + std::to_string(i);
        FERRY_EXPECT_OK(this->Upload(name, name));
        StatusOr<std::unique_ptr<ReadableFile>> file = this->fs().OpenForRead(P(name));
        ASSERT_THAT(file, IsOk());
        EXPECT_EQ(this->ReadAll(**file), name);
        this->List("d");
        if (i % 2 == 0) {
          FERRY_EXPECT_OK(this->fs().Remove(P(name)));
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(this->List("d").size(), size_t{kThreads * kFilesPerThread / 2});
  EXPECT_EQ(this->traits_.Temporaries(), 0u);
}

// --- resume (spec 7.8) -------------------------------------------------------------

// R-RESUME-6: Keep leaves the temporary, hidden, with every byte written; a
// resumed upload starts after them, can read them back, and commits the whole.
TYPED_TEST(FileSystemContractTest, KeptUploadResumesWithItsBytes) {
  this->traits_.AddDirectory("d");
  std::unique_ptr<PendingUpload> upload = this->StartUpload("d/f", false, 10);
  ASSERT_NE(upload, nullptr);
  EXPECT_EQ(upload->resumed_size(), 0u);
  FERRY_ASSERT_OK(upload->Write(this->Bytes("01234")));
  StatusOr<std::unique_ptr<KeptUpload>> kept = upload->Keep();
  ASSERT_THAT(kept, IsOk());
  upload.reset();
  EXPECT_EQ((*kept)->size(), 5u);
  EXPECT_EQ(this->traits_.Temporaries(), 1u);
  EXPECT_THAT(this->List("d"), IsEmpty());
  EXPECT_THAT(this->fs().Stat(P("d/f")), StatusIs(StatusCode::kNotFound));

  StatusOr<std::unique_ptr<PendingUpload>> resumed =
      this->fs().ResumeUpload(P("d/f"), {.size = 10, .overwrite = false}, std::move(*kept));
  ASSERT_THAT(resumed, IsOk());
  EXPECT_EQ((*resumed)->resumed_size(), 5u);
  EXPECT_EQ(this->traits_.Temporaries(), 1u);
  std::array<uint8_t, 16> buffer{};
  StatusOr<size_t> read = (*resumed)->ReadBack(1, buffer);
  ASSERT_THAT(read, IsOkAndHolds(4u));
  EXPECT_EQ(std::string(buffer.begin(), buffer.begin() + 4), "1234");
  FERRY_ASSERT_OK((*resumed)->Write(this->Bytes("56789")));
  FERRY_ASSERT_OK((*resumed)->Commit());
  EXPECT_EQ(this->traits_.ReadFile("d/f"), "0123456789");
  EXPECT_EQ(this->traits_.Temporaries(), 0u);
}

// R-RESUME-6: a kept upload nobody resumes is removed when it is destroyed.
TYPED_TEST(FileSystemContractTest, DiscardedKeptUploadLeavesNoTemporary) {
  std::unique_ptr<PendingUpload> upload = this->StartUpload("f", false, 10);
  ASSERT_NE(upload, nullptr);
  FERRY_ASSERT_OK(upload->Write(this->Bytes("012")));
  StatusOr<std::unique_ptr<KeptUpload>> kept = upload->Keep();
  ASSERT_THAT(kept, IsOk());
  upload.reset();
  EXPECT_EQ(this->traits_.Temporaries(), 1u);
  kept->reset();
  EXPECT_EQ(this->traits_.Temporaries(), 0u);
}

// R-RESUME-8: a kept temporary that does not fit the new request (more bytes
// than the new size, or another path) is dropped and the upload starts empty;
// never spliced.
TYPED_TEST(FileSystemContractTest, UnfittingKeptUploadStartsAfresh) {
  this->traits_.AddDirectory("a");
  this->traits_.AddDirectory("b");
  for (const auto& [path, size] :
       {std::pair<const char*, uint64_t>{"a/f", 3}, std::pair<const char*, uint64_t>{"b/f", 10}}) {
    SCOPED_TRACE(path);
    std::unique_ptr<PendingUpload> upload = this->StartUpload("a/f", /*overwrite=*/true, 10);
    ASSERT_NE(upload, nullptr);
    FERRY_ASSERT_OK(upload->Write(this->Bytes("01234")));
    StatusOr<std::unique_ptr<KeptUpload>> kept = upload->Keep();
    ASSERT_THAT(kept, IsOk());
    upload.reset();
    StatusOr<std::unique_ptr<PendingUpload>> resumed =
        this->fs().ResumeUpload(P(path), {.size = size, .overwrite = true}, std::move(*kept));
    ASSERT_THAT(resumed, IsOk());
    EXPECT_EQ((*resumed)->resumed_size(), 0u);
    EXPECT_EQ(this->traits_.Temporaries(), 1u);  // the new one only
    FERRY_ASSERT_OK((*resumed)->Write(this->Bytes("abc")));
    FERRY_ASSERT_OK((*resumed)->Commit());
    EXPECT_EQ(this->traits_.ReadFile(path), "abc");
    EXPECT_EQ(this->traits_.Temporaries(), 0u);
  }
}

// R-RESUME-8: a resume is checked like a new upload (R-UPLOAD-4); on an error
// the kept temporary is gone too.
TYPED_TEST(FileSystemContractTest, ResumeChecksTheTargetAndDropsTheKeptUploadOnError) {
  std::unique_ptr<PendingUpload> upload = this->StartUpload("f", false, 10);
  ASSERT_NE(upload, nullptr);
  FERRY_ASSERT_OK(upload->Write(this->Bytes("01234")));
  StatusOr<std::unique_ptr<KeptUpload>> kept = upload->Keep();
  ASSERT_THAT(kept, IsOk());
  upload.reset();
  this->traits_.AddFile("f", "appeared meanwhile");
  EXPECT_THAT(this->fs().ResumeUpload(P("f"), {.size = 10, .overwrite = false}, std::move(*kept)),
              StatusIs(StatusCode::kAlreadyExists));
  EXPECT_EQ(this->traits_.Temporaries(), 0u);
  EXPECT_EQ(this->traits_.ReadFile("f"), "appeared meanwhile");
}

}  // namespace
}  // namespace ferry
