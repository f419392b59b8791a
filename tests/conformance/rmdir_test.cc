// Spec section 6.9: rmdir.
#include "tests/conformance/conformance_fixture.h"

namespace ferry::conformance {
namespace {

class RmdirConformance : public ConformanceTest {};

// R-RMDIR-1
TEST_F(RmdirConformance, EmptyDirectoryIsRemovedAndLaterRequestsNoLongerSeeIt) {
  std::filesystem::create_directories(root_ / "docs/old");
  EXPECT_THAT(Call(client(), RemoveDirectoryMessage("docs/old")),
              HasBody(v1::ServerMessage::kRemoveDirectory));
  EXPECT_FALSE(Exists("docs/old"));
  EXPECT_TRUE(Exists("docs"));
  EXPECT_THAT(Call(client(), StatMessage("docs/old")), IsError(v1::NOT_FOUND));
  EXPECT_THAT(Call(client(), RemoveDirectoryMessage("docs/old")), IsError(v1::NOT_FOUND));
  // What mkdir makes, rmdir removes.
  EXPECT_THAT(Call(client(), MakeDirectoryMessage("new")),
              HasBody(v1::ServerMessage::kMakeDirectory));
  EXPECT_THAT(Call(client(), RemoveDirectoryMessage("/new/")),
              HasBody(v1::ServerMessage::kRemoveDirectory));
  EXPECT_FALSE(Exists("new"));
}

// R-RMDIR-1: components before the last follow symlinks inside the root.
TEST_F(RmdirConformance, SymlinkedParentIsFollowed) {
  std::filesystem::create_directories(root_ / "real/empty");
  MakeSymlink("real", "alias");
  EXPECT_THAT(Call(client(), RemoveDirectoryMessage("alias/empty")),
              HasBody(v1::ServerMessage::kRemoveDirectory));
  EXPECT_FALSE(Exists("real/empty"));
}

// R-RMDIR-2: a directory with anything in it stays, with everything in it.
TEST_F(RmdirConformance, NonEmptyDirectoryIsDirectoryNotEmpty) {
  Put("full/f.txt", "keep");
  std::filesystem::create_directories(root_ / "nested/inner");
  const ServerFrame reply = Call(client(), RemoveDirectoryMessage("full"));
  EXPECT_THAT(reply, IsError(v1::DIRECTORY_NOT_EMPTY));
  EXPECT_EQ(reply.message.error().path(), "full");
  EXPECT_THAT(Call(client(), RemoveDirectoryMessage("nested")), IsError(v1::DIRECTORY_NOT_EMPTY));
  EXPECT_EQ(Get("full/f.txt"), "keep");
  EXPECT_TRUE(Exists("nested/inner"));
}

// R-RMDIR-3: a symlink is never followed nor removed, wherever it points.
TEST_F(RmdirConformance, SymlinksAndFilesAreNotADirectory) {
  std::filesystem::create_directories(root_ / "empty");
  std::filesystem::create_directories(outside_ / "empty_out");
  Put("file", "x");
  MakeFifo("fifo");
  MakeSymlink("empty", "to_empty");
  MakeSymlink(outside_ / "empty_out", "to_outside");
  MakeSymlink("missing", "dangling");
  for (const char* name : {"file", "fifo", "to_empty", "to_outside", "dangling"}) {
    SCOPED_TRACE(name);
    EXPECT_THAT(Call(client(), RemoveDirectoryMessage(name)), IsError(v1::NOT_A_DIRECTORY));
    EXPECT_TRUE(std::filesystem::exists(std::filesystem::symlink_status(root_ / name)));
  }
  EXPECT_TRUE(std::filesystem::is_directory(root_ / "empty"));
  EXPECT_TRUE(std::filesystem::is_directory(outside_ / "empty_out"));
}

// R-RMDIR-3, R-PATH-13
TEST_F(RmdirConformance, RootIsInvalidPath) {
  for (const char* root : {"", "/", "//"}) {
    SCOPED_TRACE(root);
    EXPECT_THAT(Call(client(), RemoveDirectoryMessage(root)), IsError(v1::INVALID_PATH));
  }
  EXPECT_TRUE(std::filesystem::is_directory(root_));
}

// 6.9 errors; R-PATH-7, R-PATH-10
TEST_F(RmdirConformance, ErrorsFollowTheTable) {
  Put("a.txt", "hello");
  std::filesystem::create_directories(outside_ / "empty");
  MakeSymlink(outside_, "out");
  EXPECT_THAT(Call(client(), RemoveDirectoryMessage("missing/x")), IsError(v1::NOT_FOUND));
  EXPECT_THAT(Call(client(), RemoveDirectoryMessage("a.txt/x")), IsError(v1::NOT_A_DIRECTORY));
  EXPECT_THAT(Call(client(), RemoveDirectoryMessage("out/empty")), IsError(v1::PERMISSION_DENIED));
  EXPECT_THAT(Call(client(), RemoveDirectoryMessage("../outside/empty")),
              IsError(v1::INVALID_PATH));
  EXPECT_THAT(Call(client(), RemoveDirectoryMessage(".ferry-part.x")), IsError(v1::INVALID_PATH));
  EXPECT_TRUE(std::filesystem::is_directory(outside_ / "empty"));
  EXPECT_THAT(Call(client(), StatMessage("a.txt")), HasBody(v1::ServerMessage::kStat));
}

}  // namespace
}  // namespace ferry::conformance
