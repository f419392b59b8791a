// Spec section 6.8: mkdir.
#include <sys/stat.h>

#include "tests/conformance/conformance_fixture.h"

namespace ferry::conformance {
namespace {

class MkdirConformance : public ConformanceTest {};

// R-MKDIR-1
TEST_F(MkdirConformance, CreatesOneEmptyDirectoryThatLaterRequestsSee) {
  Put("docs/a.txt", "x");
  EXPECT_THAT(Call(client(), MakeDirectoryMessage("docs/new")),
              HasBody(v1::ServerMessage::kMakeDirectory));
  EXPECT_TRUE(std::filesystem::is_directory(root_ / "docs/new"));
  const ServerFrame stat = Call(client(), StatMessage("docs/new"));
  ASSERT_THAT(stat, HasBody(v1::ServerMessage::kStat));
  EXPECT_EQ(stat.message.stat().info().type(), v1::DIRECTORY);
  const mode_t mask = umask(0);
  umask(mask);
  EXPECT_EQ(stat.message.stat().info().mode(), 0755u & ~mask);
  const ServerFrame list = Call(client(), ListMessage("docs/new"));
  ASSERT_THAT(list, HasBody(v1::ServerMessage::kList));
  EXPECT_EQ(list.message.list().entries_size(), 0);
  // A leading slash means the root (R-PATH-2), and the new directory can hold more.
  EXPECT_THAT(Call(client(), MakeDirectoryMessage("/docs/new/deeper/")),
              HasBody(v1::ServerMessage::kMakeDirectory));
  EXPECT_TRUE(std::filesystem::is_directory(root_ / "docs/new/deeper"));
}

// R-MKDIR-1: missing parents are never created.
TEST_F(MkdirConformance, MissingParentIsNotFoundAndNothingIsCreated) {
  EXPECT_THAT(Call(client(), MakeDirectoryMessage("a/b/c")), IsError(v1::NOT_FOUND));
  EXPECT_FALSE(Exists("a"));
}

// R-MKDIR-1: components before the last follow symlinks inside the root.
TEST_F(MkdirConformance, SymlinkedParentIsFollowed) {
  std::filesystem::create_directory(root_ / "real");
  MakeSymlink("real", "alias");
  EXPECT_THAT(Call(client(), MakeDirectoryMessage("alias/new")),
              HasBody(v1::ServerMessage::kMakeDirectory));
  EXPECT_TRUE(std::filesystem::is_directory(root_ / "real/new"));
}

// R-MKDIR-2: whatever is there stays, and a symlink is never followed.
TEST_F(MkdirConformance, AnythingAlreadyThereIsAlreadyExists) {
  Put("file", "keep");
  Put("dir/inner", "keep");
  MakeFifo("fifo");
  MakeSymlink("dir", "link_to_dir");
  MakeSymlink("nowhere", "dangling");
  MakeSymlink(outside_ / "made_outside", "dangling_out");
  for (const char* taken : {"file", "dir", "fifo", "link_to_dir", "dangling", "dangling_out"}) {
    SCOPED_TRACE(taken);
    const ServerFrame reply = Call(client(), MakeDirectoryMessage(taken));
    EXPECT_THAT(reply, IsError(v1::ALREADY_EXISTS));
    EXPECT_EQ(reply.message.error().path(), taken);
  }
  EXPECT_EQ(Get("file"), "keep");
  EXPECT_EQ(Get("dir/inner"), "keep");
  EXPECT_FALSE(Exists("nowhere"));
  EXPECT_FALSE(std::filesystem::exists(outside_ / "made_outside"));
}

// R-MKDIR-2, R-PATH-13
TEST_F(MkdirConformance, RootIsInvalidPath) {
  for (const char* root : {"", "/", "//"}) {
    SCOPED_TRACE(root);
    EXPECT_THAT(Call(client(), MakeDirectoryMessage(root)), IsError(v1::INVALID_PATH));
  }
}

// 6.8 errors; R-PATH-7, R-PATH-10
TEST_F(MkdirConformance, ErrorsFollowTheTable) {
  Put("a.txt", "hello");
  MakeSymlink(outside_, "out");
  EXPECT_THAT(Call(client(), MakeDirectoryMessage("a.txt/new")), IsError(v1::NOT_A_DIRECTORY));
  EXPECT_THAT(Call(client(), MakeDirectoryMessage("out/new")), IsError(v1::PERMISSION_DENIED));
  EXPECT_THAT(Call(client(), MakeDirectoryMessage("../new")), IsError(v1::INVALID_PATH));
  EXPECT_THAT(Call(client(), MakeDirectoryMessage(".ferry-part.x")), IsError(v1::INVALID_PATH));
  EXPECT_FALSE(std::filesystem::exists(outside_ / "new"));
  EXPECT_FALSE(std::filesystem::exists(root_.parent_path() / "new"));
  // None of these is fatal: the session goes on.
  EXPECT_THAT(Call(client(), StatMessage("a.txt")), HasBody(v1::ServerMessage::kStat));
}

}  // namespace
}  // namespace ferry::conformance
