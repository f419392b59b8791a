// Spec section 6.2: stat.
#include <sys/stat.h>

#include "tests/conformance/conformance_fixture.h"

namespace ferry::conformance {
namespace {

constexpr int64_t kMtime = 1'700'000'000'987'654'321;

class StatConformance : public ConformanceTest {
 protected:
  v1::FileInfo StatInfo(std::string_view path) {
    const ServerFrame reply = Call(client(), StatMessage(path));
    EXPECT_THAT(reply, HasBody(v1::ServerMessage::kStat)) << "stat of \"" << path << "\"";
    return reply.message.stat().info();
  }
};

// R-STAT-1, R-STAT-2
TEST_F(StatConformance, RegularFileIsDescribed) {
  Put("docs/a.txt", "hello");
  ASSERT_EQ(chmod((root_ / "docs" / "a.txt").c_str(), 0640), 0);
  SetMtime("docs/a.txt", kMtime);
  const v1::FileInfo info = StatInfo("docs/a.txt");
  EXPECT_EQ(info.name(), "a.txt");
  EXPECT_EQ(info.type(), v1::REGULAR);
  EXPECT_EQ(info.size(), 5u);
  EXPECT_EQ(info.mode(), 0640u);
  EXPECT_EQ(info.mtime_unix_ns(), kMtime);
}

// R-STAT-2, R-PATH-13: the root has the name "".
TEST_F(StatConformance, RootIsADirectoryWithAnEmptyName) {
  for (const char* root : {"", "/", "//"}) {
    SCOPED_TRACE(root);
    const v1::FileInfo info = StatInfo(root);
    EXPECT_EQ(info.name(), "");
    EXPECT_EQ(info.type(), v1::DIRECTORY);
    EXPECT_EQ(info.size(), 0u);
  }
}

// R-STAT-2, R-PATH-2: the name is the last component after stripping slashes.
TEST_F(StatConformance, NameIsTheLastComponentOfTheRequestPath) {
  Put("a/b/c.txt", "x");
  EXPECT_EQ(StatInfo("/a/b/").name(), "b");
  EXPECT_EQ(StatInfo("a/b/c.txt").name(), "c.txt");
}

// R-STAT-1, R-STAT-2, R-PATH-12: a final symlink inside the root is followed; the
// name stays the link's own.
TEST_F(StatConformance, SymlinkInsideTheRootIsFollowedAndKeepsItsName) {
  Put("target.txt", "hello!");
  std::filesystem::create_directory(root_ / "dir");
  MakeSymlink("target.txt", "link");
  MakeSymlink("link", "chain");
  MakeSymlink("../target.txt", "dir/up");
  MakeSymlink("dir", "dirlink");
  for (const char* path : {"link", "chain", "dir/up"}) {
    SCOPED_TRACE(path);
    const v1::FileInfo info = StatInfo(path);
    EXPECT_EQ(info.type(), v1::REGULAR);
    EXPECT_EQ(info.size(), 6u);
  }
  EXPECT_EQ(StatInfo("link").name(), "link");
  EXPECT_EQ(StatInfo("dir/up").name(), "up");
  const v1::FileInfo dir = StatInfo("dirlink");
  EXPECT_EQ(dir.type(), v1::DIRECTORY);
  EXPECT_EQ(dir.name(), "dirlink");
}

// R-STAT-2: stat never reports SYMLINK; special files are OTHER.
TEST_F(StatConformance, SpecialFilesAreOther) {
  MakeFifo("fifo");
  MakeSocket("sock");
  EXPECT_EQ(StatInfo("fifo").type(), v1::OTHER);
  EXPECT_EQ(StatInfo("sock").type(), v1::OTHER);
  EXPECT_EQ(StatInfo("fifo").size(), 0u);
}

// 6.2 errors
TEST_F(StatConformance, MissingPathIsNotFound) {
  const ServerFrame reply = Call(client(), StatMessage("missing.txt"));
  EXPECT_THAT(reply, IsError(v1::NOT_FOUND));
  EXPECT_EQ(reply.message.error().path(), "missing.txt");
}

// 6.2 errors: a dangling symlink is NOT_FOUND.
TEST_F(StatConformance, DanglingSymlinkIsNotFound) {
  MakeSymlink("nowhere.txt", "dangling");
  EXPECT_THAT(Call(client(), StatMessage("dangling")), IsError(v1::NOT_FOUND));
}

// 6.2 errors
TEST_F(StatConformance, FileUsedAsADirectoryIsNotADirectory) {
  Put("a.txt", "hello");
  EXPECT_THAT(Call(client(), StatMessage("a.txt/b")), IsError(v1::NOT_A_DIRECTORY));
}

// 6.2 errors, R-PATH-10
TEST_F(StatConformance, ResolutionLeavingTheRootOrLoopingIsPermissionDenied) {
  FERRY_ASSERT_OK(WriteFile(outside_ / "secret.txt", "secret"));
  MakeSymlink(outside_ / "secret.txt", "abs");
  MakeSymlink("../outside/secret.txt", "rel");
  MakeSymlink("self", "self");
  MakeSymlink("ping", "pong");
  MakeSymlink("pong", "ping");
  MakeSymlink(root_ / "inside.txt", "abs_inside");  // absolute, even into the root
  Put("inside.txt", "x");
  for (const char* path : {"abs", "rel", "self", "ping", "abs_inside"}) {
    SCOPED_TRACE(path);
    EXPECT_THAT(Call(client(), StatMessage(path)), IsError(v1::PERMISSION_DENIED));
  }
}

}  // namespace
}  // namespace ferry::conformance
