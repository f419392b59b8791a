// PosixFileSystem only: confinement to the served root, and what the in-memory
// fake cannot model (symbolic links, FIFOs, sockets, stray files on disk).
//
// Layout, in a fresh temporary directory:
//   outside/secret, outside/victim, outside/dir/inner    must never be touched
//   root_evil/secret                                     a prefix sibling of root
//   root/                                                the served root
//
// Every test checks, when it ends, that nothing outside root/ changed.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/fsuid.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <future>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "src/fs/posix_file_system.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

// fs_legacy_kernel_test runs these tests again with openat2 and RENAME_NOREPLACE
// blocked (legacy_kernel_environment.cc): there every symbolic link is refused.
// Its suites are renamed so that ctest can tell the two runs apart.
#ifndef FERRY_TEST_LEGACY_KERNEL
#define FERRY_TEST_LEGACY_KERNEL 0
#endif
#if FERRY_TEST_LEGACY_KERNEL
#define PosixConfinementTest LegacyKernelPosixConfinementTest
#define PosixFileSystemOpen LegacyKernelPosixFileSystemOpen
#endif

namespace ferry {
namespace {

namespace fs = std::filesystem;
using ::testing::AnyOf;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::Optional;

constexpr bool kFollowsInRootLinks = !FERRY_TEST_LEGACY_KERNEL;
constexpr std::string_view kSecret = "TOP SECRET";
constexpr std::string_view kInside = "inside";

Path P(std::string_view text) { return Path::Parse(text).value(); }

std::span<const uint8_t> Bytes(std::string_view text) {
  return {reinterpret_cast<const uint8_t*>(text.data()), text.size()};
}

// What every request through a link that leaves the root gets (R-PATH-10).
auto IsRefused() { return StatusIs(StatusCode::kPermissionDenied); }

class PosixConfinementTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(outside() / "dir");
    FERRY_ASSERT_OK(WriteFile(outside() / "secret", kSecret));
    FERRY_ASSERT_OK(WriteFile(outside() / "victim", kSecret));
    FERRY_ASSERT_OK(WriteFile(outside() / "dir/inner", kSecret));
    fs::create_directories(tmp() / "root_evil");
    FERRY_ASSERT_OK(WriteFile(tmp() / "root_evil/secret", kSecret));

    fs::create_directories(root() / "sub");
    FERRY_ASSERT_OK(WriteFile(root() / "sub/file", kInside));
    fs::create_directory_symlink("../outside", root() / "evil");
    fs::create_symlink("../outside/secret", root() / "evil_file");
    fs::create_symlink(outside() / "secret", root() / "evil_abs");
    fs::create_symlink(root() / "sub/file", root() / "abs_inside");
    fs::create_symlink("../outside/newfile", root() / "evil_rel");
    fs::create_symlink("../root_evil", root() / "sibling");
    fs::create_symlink("loop", root() / "loop");
    fs::create_symlink("sub/file", root() / "good");
    fs::create_directory_symlink("sub", root() / "good_dir");
    fs::create_symlink("sub/../sub/file", root() / "dotdot_inside");

    StatusOr<std::unique_ptr<PosixFileSystem>> opened = PosixFileSystem::Open(root());
    ASSERT_THAT(opened, IsOk());
    fs_ = std::move(opened).value();
    names_before_ = NamesBesideRoot();
    outside_before_ = Snapshot("outside");
    root_evil_before_ = Snapshot("root_evil");
  }

  void TearDown() override {
    EXPECT_EQ(NamesBesideRoot(), names_before_);
    EXPECT_EQ(Snapshot("outside"), outside_before_);
    EXPECT_EQ(Snapshot("root_evil"), root_evil_before_);
  }

  // What sits next to root/ is snapshotted piece by piece: SnapshotTree cannot
  // describe root/ itself, which holds a symlink loop.
  std::set<std::string> NamesBesideRoot() const {
    std::set<std::string> names;
    for (const fs::directory_entry& entry : fs::directory_iterator(tmp())) {
      names.insert(entry.path().filename().string());
    }
    return names;
  }
  TreeSnapshot Snapshot(std::string_view top) const {
    StatusOr<TreeSnapshot> snapshot = SnapshotTree(tmp() / top);
    EXPECT_THAT(snapshot, IsOk());
    return snapshot.ok() ? *snapshot : TreeSnapshot();
  }

  const fs::path& tmp() const { return dir_.path(); }
  fs::path outside() const { return tmp() / "outside"; }
  fs::path root() const { return tmp() / "root"; }

  // Uploads `contents` to `path`, committing it.
  Status Upload(std::string_view path, std::string_view contents, bool overwrite) {
    FERRY_ASSIGN_OR_RETURN(std::unique_ptr<PendingUpload> upload,
                           fs_->CreateUpload(P(path), {.overwrite = overwrite}));
    FERRY_RETURN_IF_ERROR(upload->Write(Bytes(contents)));
    return upload->Commit();
  }

  TempDir dir_;
  std::unique_ptr<PosixFileSystem> fs_;
  std::set<std::string> names_before_;
  TreeSnapshot outside_before_;
  TreeSnapshot root_evil_before_;
};

// Links that lead outside the root, or nowhere a confined lookup may go.
constexpr const char* kEscapingLinks[] = {"evil",     "evil_file", "evil_abs",
                                          "evil_rel", "sibling",   "loop"};

TEST_F(PosixConfinementTest, StatThroughAnEscapingLinkIsRefused) {
  for (const char* link : kEscapingLinks) {
    SCOPED_TRACE(link);
    EXPECT_THAT(fs_->Stat(P(link)), IsRefused());
    EXPECT_THAT(fs_->Stat(P(link).Child("secret")), IsRefused());
  }
  EXPECT_THAT(fs_->Stat(P("evil/dir/inner")), IsRefused());
}

TEST_F(PosixConfinementTest, ListThroughAnEscapingLinkIsRefused) {
  for (const char* link : kEscapingLinks) {
    SCOPED_TRACE(link);
    EXPECT_THAT(fs_->OpenDirectory(P(link)), IsRefused());
  }
  EXPECT_THAT(fs_->OpenDirectory(P("evil/dir")), IsRefused());
}

TEST_F(PosixConfinementTest, ReadThroughAnEscapingLinkIsRefused) {
  for (const char* link : kEscapingLinks) {
    SCOPED_TRACE(link);
    EXPECT_THAT(fs_->OpenForRead(P(link)), IsRefused());
    EXPECT_THAT(fs_->OpenForRead(P(link).Child("secret")), IsRefused());
  }
  EXPECT_THAT(fs_->OpenForRead(P("evil/dir/inner")), IsRefused());
}

TEST_F(PosixConfinementTest, RemoveThroughAnEscapingLinkIsRefused) {
  for (const char* link : kEscapingLinks) {
    SCOPED_TRACE(link);
    EXPECT_THAT(fs_->Remove(P(link).Child("secret")), IsRefused());
    EXPECT_THAT(fs_->Remove(P(link).Child("victim")), IsRefused());
  }
  EXPECT_THAT(fs_->Remove(P("evil/dir/inner")), IsRefused());
}

// R-REMOVE-1: the link itself, wherever it points.
TEST_F(PosixConfinementTest, RemoveOfAnEscapingLinkRemovesOnlyTheLink) {
  for (const char* link : kEscapingLinks) {
    SCOPED_TRACE(link);
    FERRY_EXPECT_OK(fs_->Remove(P(link)));
    EXPECT_FALSE(fs::exists(fs::symlink_status(root() / link)));
  }
}

TEST_F(PosixConfinementTest, MakeDirectoryThroughAnEscapingLinkIsRefused) {
  for (const char* link : kEscapingLinks) {
    SCOPED_TRACE(link);
    EXPECT_THAT(fs_->MakeDirectory(P(link).Child("newdir")), IsRefused());
    EXPECT_THAT(fs_->MakeDirectory(P(link).Child("dir")), IsRefused());
  }
  EXPECT_THAT(fs_->MakeDirectory(P("evil/dir/newdir")), IsRefused());
}

// R-MKDIR-2: a link at the final component is never followed, even a dangling
// one whose target would be created outside the root.
TEST_F(PosixConfinementTest, MakeDirectoryOntoAnyLinkIsAlreadyExists) {
  for (const char* link : kEscapingLinks) {
    SCOPED_TRACE(link);
    EXPECT_THAT(fs_->MakeDirectory(P(link)), StatusIs(StatusCode::kAlreadyExists));
    EXPECT_TRUE(fs::is_symlink(fs::symlink_status(root() / link)));
  }
  EXPECT_THAT(fs_->MakeDirectory(P("good")), StatusIs(StatusCode::kAlreadyExists));
  EXPECT_FALSE(fs::exists(outside() / "newfile"));
}

TEST_F(PosixConfinementTest, RemoveDirectoryThroughAnEscapingLinkIsRefused) {
  fs::create_directories(outside() / "empty");
  const TreeSnapshot before = Snapshot("outside");
  for (const char* link : kEscapingLinks) {
    SCOPED_TRACE(link);
    EXPECT_THAT(fs_->RemoveDirectory(P(link).Child("empty")), IsRefused());
    EXPECT_THAT(fs_->RemoveDirectory(P(link).Child("dir")), IsRefused());
  }
  EXPECT_EQ(Snapshot("outside"), before);
  fs::remove(outside() / "empty");  // TearDown compares with the tree before SetUp's end
}

// R-RMDIR-3: a link is never followed, and never removed, wherever it points.
TEST_F(PosixConfinementTest, RemoveDirectoryOfAnyLinkIsNotADirectory) {
  for (const char* link : kEscapingLinks) {
    SCOPED_TRACE(link);
    EXPECT_THAT(fs_->RemoveDirectory(P(link)), StatusIs(StatusCode::kNotADirectory));
    EXPECT_TRUE(fs::is_symlink(fs::symlink_status(root() / link)));
  }
  fs::create_directory(root() / "sub/empty");
  fs::create_directory_symlink("sub/empty", root() / "to_empty");
  EXPECT_THAT(fs_->RemoveDirectory(P("to_empty")), StatusIs(StatusCode::kNotADirectory));
  EXPECT_TRUE(fs::is_directory(root() / "sub/empty"));
  EXPECT_TRUE(fs::is_symlink(fs::symlink_status(root() / "to_empty")));
}

// R-RENAME-1, R-PATH-11: neither path may resolve out of the root, and a link
// at either end is moved or replaced as itself, never followed.
TEST_F(PosixConfinementTest, RenameThroughAnEscapingLinkIsRefused) {
  for (const char* link : kEscapingLinks) {
    SCOPED_TRACE(link);
    EXPECT_THAT(fs_->Rename(P(link).Child("secret"), P("stolen"), true), IsRefused());
    EXPECT_THAT(fs_->Rename(P(link).Child("victim"), P("sub/stolen"), false), IsRefused());
    EXPECT_THAT(fs_->Rename(P("sub/file"), P(link).Child("planted"), true), IsRefused());
    EXPECT_THAT(fs_->Rename(P("sub/file"), P(link).Child("victim"), true), IsRefused());
  }
  EXPECT_FALSE(fs::exists(root() / "stolen"));
  EXPECT_EQ(ReadFile(root() / "sub/file").value(), kInside);
}

// R-RENAME-1: a link moves as itself; a link at the target is replaced, its
// target never written.
TEST_F(PosixConfinementTest, RenameMovesAndReplacesLinksThemselves) {
  FERRY_ASSERT_OK(fs_->Rename(P("evil"), P("sub/evil_moved"), false));
  EXPECT_TRUE(fs::is_symlink(root() / "sub/evil_moved"));
  EXPECT_EQ(fs::read_symlink(root() / "sub/evil_moved"), "../outside");
  FERRY_ASSERT_OK(fs_->Rename(P("sub/evil_moved"), P("evil"), false));
  FERRY_ASSERT_OK(WriteFile(root() / "payload", "payload"));
  EXPECT_THAT(fs_->Rename(P("payload"), P("evil_file"), false),
              StatusIs(StatusCode::kAlreadyExists));
  EXPECT_THAT(fs_->Rename(P("payload"), P("evil_rel"), false),
              StatusIs(StatusCode::kAlreadyExists));
  FERRY_ASSERT_OK(fs_->Rename(P("payload"), P("evil_file"), true));
  EXPECT_FALSE(fs::is_symlink(root() / "evil_file"));
  EXPECT_EQ(ReadFile(root() / "evil_file").value(), "payload");
  fs::remove(root() / "evil_file");
  fs::create_symlink("../outside/secret", root() / "evil_file");
}

// R-RENAME-4: a directory cannot move below itself, also through a link
// inside the root (which the walk without openat2 refuses outright).
TEST_F(PosixConfinementTest, RenameOfADirectoryIntoItselfThroughALinkIsInvalidPath) {
  const StatusCode expected =
      kFollowsInRootLinks ? StatusCode::kInvalidPath : StatusCode::kPermissionDenied;
  EXPECT_THAT(fs_->Rename(P("sub"), P("good_dir/inner"), false), StatusIs(expected));
  EXPECT_THAT(fs_->Rename(P("sub"), P("good_dir/inner"), true), StatusIs(expected));
  EXPECT_THAT(fs_->Rename(P("sub"), P("sub/inner"), false), StatusIs(StatusCode::kInvalidPath));
  EXPECT_TRUE(fs::is_directory(root() / "sub"));
  EXPECT_FALSE(fs::exists(root() / "sub/inner"));
}

TEST_F(PosixConfinementTest, UploadThroughAnEscapingLinkIsRefused) {
  for (const char* link : kEscapingLinks) {
    SCOPED_TRACE(link);
    for (const bool overwrite : {false, true}) {
      EXPECT_THAT(fs_->CreateUpload(P(link).Child("newfile"), {.overwrite = overwrite}),
                  IsRefused());
      EXPECT_THAT(fs_->CreateUpload(P(link).Child("secret"), {.overwrite = overwrite}),
                  IsRefused());
    }
  }
}

// R-UPLOAD-5: never written through, even when dangling (bad input 22).
TEST_F(PosixConfinementTest, UploadOntoAnEscapingLinkReplacesTheLinkItself) {
  for (const char* link : kEscapingLinks) {
    SCOPED_TRACE(link);
    EXPECT_THAT(fs_->CreateUpload(P(link), {}), StatusIs(StatusCode::kAlreadyExists));
    FERRY_ASSERT_OK(Upload(link, "replacement", /*overwrite=*/true));
    EXPECT_TRUE(fs::is_regular_file(fs::symlink_status(root() / link)));
    EXPECT_THAT(ReadFile(root() / link), IsOkAndHolds("replacement"));
  }
  EXPECT_FALSE(fs::exists(outside() / "newfile"));  // the dangling evil_rel was not followed
}

// R-PATH-10: absolute targets are never followed.
TEST_F(PosixConfinementTest, AbsoluteLinksAreRefusedEvenWhenTheyPointInside) {
  EXPECT_THAT(fs_->Stat(P("abs_inside")), IsRefused());
  EXPECT_THAT(fs_->OpenForRead(P("abs_inside")), IsRefused());
}

// R-SEC-4: messages reach the peer, so they never reveal where the root is.
TEST_F(PosixConfinementTest, ErrorsNeverMentionHostPaths) {
  const std::vector<Status> failures = {
      fs_->Stat(P("evil/secret")).status(),
      fs_->Stat(P("missing")).status(),
      fs_->OpenDirectory(P("sub/file")).status(),
      fs_->OpenForRead(P("sub")).status(),
      fs_->Remove(P("sub")),
      fs_->Remove(Path()),
      fs_->CreateUpload(P("sub"), {}).status(),
      fs_->CreateUpload(P("evil_rel"), {}).status(),
  };
  for (const Status& failure : failures) {
    ASSERT_FALSE(failure.ok());
    EXPECT_THAT(failure.message(), Not(HasSubstr(tmp().string()))) << failure.ToString();
  }
}

// R-PATH-2, R-PATH-8: a leading '/' means the root; no decoding of any kind.
TEST_F(PosixConfinementTest, AbsoluteAndEncodedRequestPathsStayInTheRoot) {
  EXPECT_THAT(fs_->Stat(P("/etc/passwd")), StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(fs_->Stat(P("..\\outside\\secret")), StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(fs_->Stat(P("%2e%2e/outside/secret")), StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(fs_->Stat(P("..%2foutside")), StatusIs(StatusCode::kNotFound));
}

// R-PATH-10, R-PATH-12 (except on the legacy-kernel walk, which refuses them).
TEST_F(PosixConfinementTest, LinksInsideTheRootAreFollowed) {
  if (!kFollowsInRootLinks) {
    for (const char* link : {"good", "good_dir/file", "dotdot_inside"}) {
      SCOPED_TRACE(link);
      EXPECT_THAT(fs_->Stat(P(link)), IsRefused());
      EXPECT_THAT(fs_->OpenForRead(P(link)), IsRefused());
    }
    return;
  }
  for (const char* link : {"good", "good_dir/file", "dotdot_inside"}) {
    SCOPED_TRACE(link);
    const StatusOr<FileInfo> info = fs_->Stat(P(link));
    ASSERT_THAT(info, IsOk());
    EXPECT_EQ(info->type, FileType::kRegular);
    EXPECT_EQ(info->size, kInside.size());
    EXPECT_EQ(info->name, P(link).Name());
    StatusOr<std::unique_ptr<ReadableFile>> file = fs_->OpenForRead(P(link));
    ASSERT_THAT(file, IsOk());
    std::array<uint8_t, 64> buffer;
    ASSERT_THAT((*file)->ReadAt(0, buffer), IsOkAndHolds(kInside.size()));
  }
  EXPECT_THAT(fs_->Stat(P("good_dir")), IsOkAndHolds(Field(&FileInfo::type, FileType::kDirectory)));
  FERRY_EXPECT_OK(Upload("good_dir/uploaded", "x", /*overwrite=*/false));
  EXPECT_THAT(ReadFile(root() / "sub/uploaded"), IsOkAndHolds("x"));
}

// R-LIST-5.
TEST_F(PosixConfinementTest, ListReportsLinksWithoutFollowingThem) {
  StatusOr<std::unique_ptr<DirectoryStream>> stream = fs_->OpenDirectory(Path());
  ASSERT_THAT(stream, IsOk());
  std::map<std::string, FileInfo> entries;
  while (true) {
    StatusOr<std::optional<FileInfo>> entry = (*stream)->Next();
    ASSERT_THAT(entry, IsOk());
    if (!entry->has_value()) break;
    entries[(*entry)->name] = **entry;
  }
  for (const char* link : {"evil", "evil_file", "evil_rel", "loop", "good", "good_dir"}) {
    SCOPED_TRACE(link);
    ASSERT_EQ(entries.count(link), 1u);
    EXPECT_EQ(entries[link].type, FileType::kSymlink);
    EXPECT_EQ(entries[link].size, 0u);
  }
}

TEST_F(PosixConfinementTest, RemoveOfAnInsideLinkKeepsItsTarget) {
  FERRY_EXPECT_OK(fs_->Remove(P("good")));
  EXPECT_FALSE(fs::exists(fs::symlink_status(root() / "good")));
  EXPECT_THAT(ReadFile(root() / "sub/file"), IsOkAndHolds(kInside));
}

TEST_F(PosixConfinementTest, UploadOntoAnInsideLinkReplacesTheLinkNotItsTarget) {
  FERRY_ASSERT_OK(Upload("good", "replacement", /*overwrite=*/true));
  EXPECT_TRUE(fs::is_regular_file(fs::symlink_status(root() / "good")));
  EXPECT_THAT(ReadFile(root() / "sub/file"), IsOkAndHolds(kInside));
}

// R-UPLOAD-17: a crash can leave a temporary behind; it stays hidden.
TEST_F(PosixConfinementTest, StrayTemporariesAreNeverListed) {
  FERRY_ASSERT_OK(WriteFile(root() / "sub/.ferry-part.0123456789abcdef", "left by a crash"));
  StatusOr<std::unique_ptr<DirectoryStream>> stream = fs_->OpenDirectory(P("sub"));
  ASSERT_THAT(stream, IsOk());
  EXPECT_THAT((*stream)->Next(), IsOkAndHolds(Optional(Field(&FileInfo::name, "file"))));
  EXPECT_THAT((*stream)->Next(), IsOkAndHolds(std::nullopt));
}

// Runs `operation`, failing (rather than hanging) if it blocks: after five
// seconds a writer opens `fifo`, which releases a reader stuck in open().
template <typename Operation>
void ExpectDoesNotBlock(const fs::path& fifo, Operation operation) {
  std::future<void> done = std::async(std::launch::async, operation);
  if (done.wait_for(std::chrono::seconds(5)) == std::future_status::timeout) {
    ADD_FAILURE() << "blocked on " << fifo;
    const int writer = ::open(fifo.c_str(), O_RDWR | O_CLOEXEC);
    done.wait();
    ::close(writer);
  }
}

// R-DOWNLOAD-4, for a FIFO, a socket and a device.
TEST_F(PosixConfinementTest, ReadOfAFifoIsNotARegularFileAndNeverBlocks) {
  ASSERT_EQ(mkfifo((root() / "fifo").c_str(), 0644), 0);
  ExpectDoesNotBlock(root() / "fifo", [&] {
    EXPECT_THAT(fs_->OpenForRead(P("fifo")), StatusIs(StatusCode::kNotARegularFile));
  });
}

TEST_F(PosixConfinementTest, ReadOfASocketIsNotARegularFile) {
  const int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(sock, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  const std::string path = (root() / "sock").string();
  ASSERT_LT(path.size(), sizeof(address.sun_path));
  path.copy(address.sun_path, path.size());
  ASSERT_EQ(bind(sock, reinterpret_cast<const sockaddr*>(&address), sizeof(address)), 0);
  EXPECT_THAT(fs_->OpenForRead(P("sock")), StatusIs(StatusCode::kNotARegularFile));
  EXPECT_THAT(fs_->Stat(P("sock")), IsOkAndHolds(Field(&FileInfo::type, FileType::kOther)));
  close(sock);
}

TEST_F(PosixConfinementTest, ReadOfADeviceIsNotARegularFile) {
  if (mknod((root() / "null").c_str(), S_IFCHR | 0666, makedev(1, 3)) != 0) {
    GTEST_SKIP() << "cannot create device nodes here";
  }
  EXPECT_THAT(fs_->OpenForRead(P("null")), StatusIs(StatusCode::kNotARegularFile));
}

// Runs `body` on a thread that mode bits apply to. As root, the thread's
// filesystem uid becomes nobody's, which also drops the capabilities that bypass
// mode bits (setfsuid(2)); the change affects that thread only.
void RunUnprivileged(const std::function<void()>& body) {
  std::thread([&] {
    if (geteuid() == 0) {
      constexpr uid_t kNobody = 65534;
      setfsuid(kNobody);
      ASSERT_EQ(setfsuid(static_cast<uid_t>(-1)), static_cast<int>(kNobody));
    }
    body();
  }).join();
}

TEST_F(PosixConfinementTest, ModeBitsGivePermissionDenied) {
  fs::create_directory(root() / "locked");
  FERRY_ASSERT_OK(WriteFile(root() / "locked/file", "x"));
  fs::create_directory(root() / "readonly");
  FERRY_ASSERT_OK(WriteFile(root() / "readonly/file", "x"));
  FERRY_ASSERT_OK(WriteFile(root() / "private", "x"));
  fs::create_directory(root() / "locked/emptydir");
  fs::create_directory(root() / "readonly/emptydir");
  fs::permissions(root() / "locked", fs::perms::none);    // may not be searched or read
  fs::permissions(root() / "readonly", fs::perms(0555));  // may not be written
  fs::permissions(root() / "private", fs::perms::none);   // may not be read
  RunUnprivileged([&] {
    const auto denied = StatusIs(StatusCode::kPermissionDenied);
    EXPECT_THAT(fs_->Stat(P("locked/file")), denied);
    EXPECT_THAT(fs_->OpenDirectory(P("locked")), denied);
    EXPECT_THAT(fs_->OpenForRead(P("locked/file")), denied);
    EXPECT_THAT(fs_->Remove(P("locked/file")), denied);
    EXPECT_THAT(fs_->CreateUpload(P("locked/new"), {}), denied);
    EXPECT_THAT(fs_->OpenForRead(P("private")), denied);
    EXPECT_THAT(fs_->Remove(P("readonly/file")), denied);
    EXPECT_THAT(fs_->CreateUpload(P("readonly/new"), {}), denied);
    EXPECT_THAT(fs_->MakeDirectory(P("locked/newdir")), denied);
    EXPECT_THAT(fs_->MakeDirectory(P("readonly/newdir")), denied);
    EXPECT_THAT(fs_->RemoveDirectory(P("locked/emptydir")), denied);
    EXPECT_THAT(fs_->RemoveDirectory(P("readonly/emptydir")), denied);
    EXPECT_THAT(fs_->Rename(P("readonly/file"), P("moved"), false), denied);
    EXPECT_THAT(fs_->Rename(P("sub/file"), P("readonly/new"), false), denied);
    EXPECT_THAT(fs_->Rename(P("locked/emptydir"), P("moved"), false), denied);
  });
  EXPECT_TRUE(fs::is_directory(root() / "readonly/emptydir"));
  EXPECT_TRUE(fs::exists(root() / "readonly/file"));
  EXPECT_FALSE(fs::exists(root() / "readonly/new"));
}

TEST(PosixFileSystemOpen, Errors) {
  TempDir dir;
  FERRY_ASSERT_OK(dir.WriteFile("file", ""));
  EXPECT_THAT(PosixFileSystem::Open((dir.path() / "missing").string()),
              StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(PosixFileSystem::Open((dir.path() / "file").string()),
              StatusIs(StatusCode::kNotADirectory));
}

TEST(PosixFileSystemOpen, KeepsServingTheDirectoryItOpened) {
  TempDir dir;
  fs::create_directory(dir.Path("a"));
  FERRY_ASSERT_OK(dir.WriteFile("a/file", "x"));
  StatusOr<std::unique_ptr<PosixFileSystem>> fs =
      PosixFileSystem::Open((dir.path() / "a").string());
  ASSERT_THAT(fs, IsOk());
  fs::rename(dir.path() / "a", dir.path() / "b");
  EXPECT_THAT((*fs)->Stat(P("file")), IsOk());
}

// One thread keeps exchanging root/sw between a real directory and a link to
// ../outside while requests go through it (R-PATH-11, bad input 25). Resolution
// happens in the kernel one step at a time, so each request sees one or the
// other, never a mix that escapes.
TEST_F(PosixConfinementTest, SwappingADirectoryForALinkNeverEscapes) {
  constexpr int kIterations = 2000;
  fs::create_directory(root() / "sw");
  FERRY_ASSERT_OK(WriteFile(root() / "sw/secret", kInside));
  fs::create_directory_symlink("../outside", root() / "sw_link");
  const std::string sw = (root() / "sw").string();
  const std::string sw_link = (root() / "sw_link").string();

  std::atomic<int> swaps{0};
  std::jthread swapper([&](std::stop_token stop) {  // joined however the test ends
    while (!stop.stop_requested()) {
      if (renameat2(AT_FDCWD, sw.c_str(), AT_FDCWD, sw_link.c_str(), RENAME_EXCHANGE) == 0) {
        swaps.fetch_add(1);
      }
    }
  });

  int reads = 0;
  for (int i = 0; i < kIterations; ++i) {
    StatusOr<std::unique_ptr<ReadableFile>> file = fs_->OpenForRead(P("sw/secret"));
    if (file.ok()) {
      std::array<uint8_t, 64> buffer;
      const StatusOr<size_t> n = (*file)->ReadAt(0, buffer);
      ASSERT_THAT(n, IsOk());
      ASSERT_EQ(std::string_view(reinterpret_cast<const char*>(buffer.data()), *n), kInside);
      ++reads;
    } else {
      ASSERT_THAT(file, IsRefused());
    }
    EXPECT_THAT(Upload("sw/new", "uploaded", /*overwrite=*/true), AnyOf(IsOk(), IsRefused()));
    EXPECT_THAT(fs_->Remove(P("sw/victim")), AnyOf(StatusIs(StatusCode::kNotFound), IsRefused()));
    EXPECT_THAT(fs_->MakeDirectory(P("sw/newdir")),
                AnyOf(IsOk(), StatusIs(StatusCode::kAlreadyExists), IsRefused()));
    EXPECT_THAT(fs_->RemoveDirectory(P("sw/dir")),
                AnyOf(StatusIs(StatusCode::kNotFound), IsRefused()));
    EXPECT_THAT(fs_->Rename(P("sw/victim"), P("taken"), false),
                AnyOf(StatusIs(StatusCode::kNotFound), IsRefused()));
    // Wherever the swap leaves "sw", the moved file stays inside the root.
    ASSERT_THAT(WriteFile(root() / "to_plant", "planted"), IsOk());
    EXPECT_THAT(fs_->Rename(P("to_plant"), P("sw/planted"), true), AnyOf(IsOk(), IsRefused()));
  }
  swapper.request_stop();
  swapper.join();
  EXPECT_GT(swaps.load(), 0);
  EXPECT_GT(reads, 0);
  // TearDown checks that outside/ is exactly as it was: no "new", "victim" kept.
}

// R-DUR-1, R-SEC-1: the start-up cleanup walks only the served tree. A link named
// like a temporary is removed as the link it is; links to directories, inside or
// out, are never entered; a directory with a reserved name is not ours to touch.
TEST_F(PosixConfinementTest, StaleTemporaryCleanupNeverFollowsLinksOrLeavesTheRoot) {
  constexpr std::string_view kTemp = ".ferry-part.00000000000000aa";
  FERRY_ASSERT_OK(WriteFile(outside() / kTemp, kSecret));
  FERRY_ASSERT_OK(WriteFile(outside() / "dir" / kTemp, kSecret));
  FERRY_ASSERT_OK(WriteFile(root() / "sub" / kTemp, "stale"));
  fs::create_symlink("../outside/secret", root() / ".ferry-part.link");
  fs::create_directory(root() / ".ferry-part.dir");
  FERRY_ASSERT_OK(WriteFile(root() / ".ferry-part.dir" / kTemp, "not ours"));

  const StatusOr<StaleTemporaryCleanup> cleanup = fs_->RemoveStaleTemporaries();
  ASSERT_THAT(cleanup, IsOk());
  EXPECT_EQ(cleanup->removed, 2u);  // sub/<temp> and the link
  EXPECT_FALSE(fs::exists(fs::symlink_status(root() / "sub" / kTemp)));
  EXPECT_FALSE(fs::exists(fs::symlink_status(root() / ".ferry-part.link")));
  EXPECT_TRUE(fs::exists(root() / ".ferry-part.dir" / kTemp));
  EXPECT_TRUE(fs::exists(root() / "sub/file"));
  // Reached only through the links evil/ and good_dir/: untouched.
  EXPECT_TRUE(fs::exists(outside() / kTemp));
  EXPECT_TRUE(fs::exists(outside() / "dir" / kTemp));
  fs::remove(outside() / kTemp);  // so that TearDown finds outside/ as it was
  fs::remove(outside() / "dir" / kTemp);
}

}  // namespace
}  // namespace ferry
