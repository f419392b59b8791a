// Spec section 6.3: remove.
#include "tests/conformance/conformance_fixture.h"

namespace ferry::conformance {
namespace {

class RemoveConformance : public ConformanceTest {};

// R-REMOVE-1
TEST_F(RemoveConformance, RegularFileIsRemovedAndLaterRequestsNoLongerSeeIt) {
  Put("hello.txt", "hello");
  EXPECT_THAT(Call(client(), RemoveMessage("hello.txt")), HasBody(v1::ServerMessage::kRemove));
  EXPECT_FALSE(Exists("hello.txt"));
  EXPECT_THAT(Call(client(), StatMessage("hello.txt")), IsError(v1::NOT_FOUND));
  EXPECT_THAT(Call(client(), RemoveMessage("hello.txt")), IsError(v1::NOT_FOUND));
}

// R-REMOVE-1, R-PATH-12: a symlink is removed itself, never its target.
TEST_F(RemoveConformance, SymlinkIsRemovedAndItsTargetIsKept) {
  Put("target.txt", "keep");
  FERRY_ASSERT_OK(WriteFile(outside_ / "outside.txt", "keep too"));
  MakeSymlink("target.txt", "link");
  MakeSymlink(outside_ / "outside.txt", "out");
  MakeSymlink("missing", "dangling");
  for (const char* link : {"link", "out", "dangling"}) {
    SCOPED_TRACE(link);
    EXPECT_THAT(Call(client(), RemoveMessage(link)), HasBody(v1::ServerMessage::kRemove));
    EXPECT_FALSE(Exists(link));
  }
  EXPECT_EQ(Get("target.txt"), "keep");
  EXPECT_THAT(ReadFile(outside_ / "outside.txt"), IsOkAndHolds(std::string("keep too")));
}

// R-REMOVE-1: components before the last are resolved, following symlinks inside.
TEST_F(RemoveConformance, SymlinkedParentDirectoryIsFollowed) {
  Put("real/f.txt", "x");
  MakeSymlink("real", "alias");
  EXPECT_THAT(Call(client(), RemoveMessage("alias/f.txt")), HasBody(v1::ServerMessage::kRemove));
  EXPECT_FALSE(Exists("real/f.txt"));
  EXPECT_TRUE(Exists("alias"));
}

// R-REMOVE-1, R-REMOVE-3: special files are removed without being opened.
TEST_F(RemoveConformance, FifoAndSocketAreRemovedWithoutBlocking) {
  MakeFifo("fifo");
  MakeSocket("sock");
  EXPECT_THAT(Call(client(), RemoveMessage("fifo")), HasBody(v1::ServerMessage::kRemove));
  EXPECT_THAT(Call(client(), RemoveMessage("sock")), HasBody(v1::ServerMessage::kRemove));
  EXPECT_FALSE(Exists("fifo"));
  EXPECT_FALSE(Exists("sock"));
}

// R-REMOVE-2: directories are never removed, empty or not.
TEST_F(RemoveConformance, DirectoryIsIsADirectoryEvenWhenEmpty) {
  std::filesystem::create_directory(root_ / "empty");
  Put("full/f.txt", "x");
  EXPECT_THAT(Call(client(), RemoveMessage("empty")), IsError(v1::IS_A_DIRECTORY));
  EXPECT_THAT(Call(client(), RemoveMessage("full")), IsError(v1::IS_A_DIRECTORY));
  EXPECT_TRUE(Exists("empty"));
  EXPECT_TRUE(Exists("full/f.txt"));
}

// R-PATH-13
TEST_F(RemoveConformance, RootIsInvalidPath) {
  for (const char* root : {"", "/", "//"}) {
    SCOPED_TRACE(root);
    EXPECT_THAT(Call(client(), RemoveMessage(root)), IsError(v1::INVALID_PATH));
  }
  EXPECT_TRUE(std::filesystem::is_directory(root_));
}

// 6.3 errors
TEST_F(RemoveConformance, ErrorsFollowTheTable) {
  Put("a.txt", "hello");
  FERRY_ASSERT_OK(WriteFile(outside_ / "x", "outside"));
  MakeSymlink(outside_, "out");
  EXPECT_THAT(Call(client(), RemoveMessage("missing")), IsError(v1::NOT_FOUND));
  EXPECT_THAT(Call(client(), RemoveMessage("missing/x")), IsError(v1::NOT_FOUND));
  EXPECT_THAT(Call(client(), RemoveMessage("a.txt/x")), IsError(v1::NOT_A_DIRECTORY));
  EXPECT_THAT(Call(client(), RemoveMessage("out/x")), IsError(v1::PERMISSION_DENIED));
  EXPECT_THAT(Call(client(), RemoveMessage(".ferry-part.x")), IsError(v1::INVALID_PATH));
  EXPECT_THAT(ReadFile(outside_ / "x"), IsOkAndHolds(std::string("outside")));
  EXPECT_EQ(Get("a.txt"), "hello");
}

}  // namespace
}  // namespace ferry::conformance
