// Spec section 6.10: rename.
#include <sys/stat.h>

#include <fstream>
#include <iterator>

#include "tests/conformance/conformance_fixture.h"

namespace ferry::conformance {
namespace {

namespace fs = std::filesystem;

class RenameConformance : public ConformanceTest {
 protected:
  ServerFrame Rename(std::string_view from, std::string_view to, bool overwrite = false) {
    return Call(client(), RenameMessage(from, to, overwrite));
  }
  ino_t Inode(std::string_view relative) const {
    struct stat st {};
    lstat((root_ / relative).c_str(), &st);
    return st.st_ino;
  }
};

// R-RENAME-1: a file, within and across directories; later requests see the
// new name only.
TEST_F(RenameConformance, FileMovesAndLaterRequestsSeeOnlyTheNewName) {
  Put("a.txt", "hello");
  fs::create_directory(root_ / "docs");
  const ino_t inode = Inode("a.txt");
  EXPECT_THAT(Rename("a.txt", "docs/b.txt"), HasBody(v1::ServerMessage::kRename));
  EXPECT_FALSE(Exists("a.txt"));
  EXPECT_EQ(Get("docs/b.txt"), "hello");
  EXPECT_EQ(Inode("docs/b.txt"), inode);  // moved, not copied
  EXPECT_THAT(Call(client(), StatMessage("a.txt")), IsError(v1::NOT_FOUND));
  EXPECT_THAT(Call(client(), StatMessage("docs/b.txt")), HasBody(v1::ServerMessage::kStat));
  EXPECT_THAT(Rename("/docs/b.txt/", "c.txt"), HasBody(v1::ServerMessage::kRename));
  EXPECT_EQ(Get("c.txt"), "hello");
}

// R-RENAME-1: a directory moves with everything in it.
TEST_F(RenameConformance, DirectoryMovesWithItsContents) {
  Put("tree/sub/f.txt", "deep");
  fs::create_directory(root_ / "dest");
  EXPECT_THAT(Rename("tree", "dest/moved"), HasBody(v1::ServerMessage::kRename));
  EXPECT_FALSE(Exists("tree"));
  EXPECT_EQ(Get("dest/moved/sub/f.txt"), "deep");
}

// R-RENAME-1, R-PATH-12: a symlink moves as itself, wherever it points; a
// special file moves without being opened.
TEST_F(RenameConformance, SymlinksAndSpecialFilesMoveAsThemselves) {
  Put("target.txt", "t");
  MakeSymlink("target.txt", "link");
  MakeSymlink(outside_, "out_link");
  MakeFifo("fifo");
  EXPECT_THAT(Rename("link", "link2"), HasBody(v1::ServerMessage::kRename));
  EXPECT_THAT(Rename("out_link", "out_link2"), HasBody(v1::ServerMessage::kRename));
  EXPECT_THAT(Rename("fifo", "fifo2"), HasBody(v1::ServerMessage::kRename));
  EXPECT_TRUE(fs::is_symlink(root_ / "link2"));
  EXPECT_EQ(fs::read_symlink(root_ / "link2"), "target.txt");
  EXPECT_EQ(fs::read_symlink(root_ / "out_link2"), outside_);
  EXPECT_TRUE(fs::is_fifo(fs::symlink_status(root_ / "fifo2")));
  EXPECT_EQ(Get("target.txt"), "t");
  EXPECT_TRUE(fs::is_directory(outside_));
}

// R-RENAME-1: the parents of both paths follow symlinks inside the root.
TEST_F(RenameConformance, SymlinkedParentsAreFollowed) {
  Put("real/a.txt", "a");
  fs::create_directory(root_ / "other");
  MakeSymlink("real", "alias");
  MakeSymlink("other", "alias2");
  EXPECT_THAT(Rename("alias/a.txt", "alias2/b.txt"), HasBody(v1::ServerMessage::kRename));
  EXPECT_EQ(Get("other/b.txt"), "a");
  EXPECT_TRUE(fs::is_symlink(root_ / "alias"));
}

// R-RENAME-2: without overwrite nothing at the target is ever replaced.
TEST_F(RenameConformance, ExistingTargetWithoutOverwriteIsAlreadyExists) {
  Put("a.txt", "new");
  Put("b.txt", "old");
  fs::create_directory(root_ / "dir");
  fs::create_directory(root_ / "empty");
  MakeSymlink("missing", "dangling");
  for (const char* target : {"b.txt", "dir", "empty", "dangling", "a.txt"}) {
    SCOPED_TRACE(target);
    const ServerFrame reply = Rename("a.txt", target);
    EXPECT_THAT(reply, IsError(v1::ALREADY_EXISTS));
    EXPECT_EQ(reply.message.error().path(), "a.txt");
  }
  EXPECT_THAT(Rename("dir", "empty"), IsError(v1::ALREADY_EXISTS));
  EXPECT_EQ(Get("a.txt"), "new");
  EXPECT_EQ(Get("b.txt"), "old");
  EXPECT_TRUE(fs::is_symlink(root_ / "dangling"));
  EXPECT_TRUE(fs::is_directory(root_ / "dir"));
}

// R-RENAME-3: with overwrite the target is replaced, in one step; a link at the
// target is replaced as itself.
TEST_F(RenameConformance, OverwriteReplacesTheTarget) {
  Put("a.txt", "new");
  Put("b.txt", "old");
  Put("outside_file", "untouched");
  fs::rename(root_ / "outside_file", outside_ / "file");
  MakeSymlink(outside_ / "file", "link_out");
  EXPECT_THAT(Rename("a.txt", "b.txt", true), HasBody(v1::ServerMessage::kRename));
  EXPECT_EQ(Get("b.txt"), "new");
  EXPECT_FALSE(Exists("a.txt"));
  EXPECT_THAT(Rename("b.txt", "link_out", true), HasBody(v1::ServerMessage::kRename));
  EXPECT_FALSE(fs::is_symlink(root_ / "link_out"));
  EXPECT_EQ(Get("link_out"), "new");
  std::ifstream outside_file(outside_ / "file");
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(outside_file), {}), "untouched");
}

// R-RENAME-3: a directory replaces only an empty directory; types never mix.
TEST_F(RenameConformance, OverwriteOfDirectoriesFollowsTheTypeRules) {
  Put("src/f.txt", "f");
  Put("full/g.txt", "g");
  Put("file.txt", "x");
  fs::create_directory(root_ / "empty");
  EXPECT_THAT(Rename("src", "full", true), IsError(v1::DIRECTORY_NOT_EMPTY));
  EXPECT_THAT(Rename("src", "file.txt", true), IsError(v1::NOT_A_DIRECTORY));
  EXPECT_THAT(Rename("file.txt", "empty", true), IsError(v1::IS_A_DIRECTORY));
  EXPECT_EQ(Get("full/g.txt"), "g");
  EXPECT_EQ(Get("file.txt"), "x");
  EXPECT_THAT(Rename("src", "empty", true), HasBody(v1::ServerMessage::kRename));
  EXPECT_EQ(Get("empty/f.txt"), "f");
  EXPECT_FALSE(Exists("src"));
}

// R-RENAME-3: onto itself with overwrite changes nothing.
TEST_F(RenameConformance, OntoItselfWithOverwriteChangesNothing) {
  Put("a.txt", "same");
  fs::create_directory(root_ / "d");
  EXPECT_THAT(Rename("a.txt", "a.txt", true), HasBody(v1::ServerMessage::kRename));
  EXPECT_THAT(Rename("d", "/d/", true), HasBody(v1::ServerMessage::kRename));
  EXPECT_EQ(Get("a.txt"), "same");
  EXPECT_TRUE(fs::is_directory(root_ / "d"));
}

// R-RENAME-4, R-PATH-7, R-PATH-13: refused paths, nothing changes.
TEST_F(RenameConformance, RootReservedAndMalformedPathsAreInvalidPath) {
  Put("a.txt", "a");
  for (const auto& [from, to] :
       std::vector<std::pair<std::string, std::string>>{{"", "x"},
                                                        {"/", "x"},
                                                        {"a.txt", ""},
                                                        {"a.txt", "//"},
                                                        {"a.txt", ".ferry-part.x"},
                                                        {".ferry-part.x", "b"},
                                                        {"a.txt", "../outside/a.txt"},
                                                        {"../outside", "x"}}) {
    SCOPED_TRACE(from + " -> " + to);
    const ServerFrame reply = Rename(from, to, true);
    EXPECT_THAT(reply, IsError(v1::INVALID_PATH));
    EXPECT_EQ(reply.message.error().path(), from);  // R-RENAME-7
  }
  EXPECT_EQ(Get("a.txt"), "a");
  EXPECT_TRUE(fs::is_empty(outside_));
}

// R-RENAME-4: a directory cannot move into itself or below, even through a link.
TEST_F(RenameConformance, DirectoryIntoItsOwnSubtreeIsInvalidPath) {
  Put("d/sub/f.txt", "f");
  MakeSymlink("d/sub", "into_d");
  EXPECT_THAT(Rename("d", "d/inner"), IsError(v1::INVALID_PATH));
  EXPECT_THAT(Rename("d", "d/sub/deeper", true), IsError(v1::INVALID_PATH));
  EXPECT_THAT(Rename("d", "into_d/x"), IsError(v1::INVALID_PATH));
  EXPECT_EQ(Get("d/sub/f.txt"), "f");
  EXPECT_FALSE(Exists("d/inner"));
  EXPECT_FALSE(Exists("d/sub/x"));
}

// R-RENAME-4, 6.10 errors: missing pieces and escapes.
TEST_F(RenameConformance, ErrorsFollowTheTable) {
  Put("a.txt", "a");
  Put("out_src", "o");
  fs::rename(root_ / "out_src", outside_ / "victim");
  MakeSymlink(outside_, "out");
  EXPECT_THAT(Rename("missing", "x"), IsError(v1::NOT_FOUND));
  const ServerFrame missing_parent = Rename("a.txt", "nodir/b.txt");
  EXPECT_THAT(missing_parent, IsError(v1::NOT_FOUND));
  EXPECT_EQ(missing_parent.message.error().path(), "a.txt");
  EXPECT_THAT(Rename("a.txt/x", "y"), IsError(v1::NOT_A_DIRECTORY));
  EXPECT_THAT(Rename("a.txt", "a.txt/y"), IsError(v1::NOT_A_DIRECTORY));
  // R-PATH-10: neither side may resolve out of the root.
  EXPECT_THAT(Rename("out/victim", "stolen"), IsError(v1::PERMISSION_DENIED));
  EXPECT_THAT(Rename("a.txt", "out/planted"), IsError(v1::PERMISSION_DENIED));
  EXPECT_TRUE(fs::exists(outside_ / "victim"));
  EXPECT_FALSE(fs::exists(outside_ / "planted"));
  EXPECT_EQ(Get("a.txt"), "a");
}

// R-RENAME-5: the reply comes after the move; it is seen by other connections.
TEST_F(RenameConformance, MoveIsVisibleToOtherConnectionsOnceAnswered) {
  Put("a/f.txt", "durable");
  fs::create_directory(root_ / "b");
  EXPECT_THAT(Rename("a/f.txt", "b/f.txt"), HasBody(v1::ServerMessage::kRename));
  auto other = OpenSession();
  ASSERT_NE(other, nullptr);
  EXPECT_THAT(Call(*other, StatMessage("b/f.txt")), HasBody(v1::ServerMessage::kStat));
  EXPECT_THAT(Call(*other, StatMessage("a/f.txt")), IsError(v1::NOT_FOUND));
}

// R-RENAME-1, R-PATH-7: a move never shows or carries upload temporaries.
TEST_F(RenameConformance, NothingIsLeftBehindAndNoTemporaryAppears) {
  Put("a.txt", "a");
  EXPECT_THAT(Rename("a.txt", "b.txt"), HasBody(v1::ServerMessage::kRename));
  EXPECT_THAT(Rename("b.txt", "a.txt", true), HasBody(v1::ServerMessage::kRename));
  EXPECT_TRUE(Temporaries().empty());
  const std::vector<ServerFrame> listing = [&] {
    FERRY_EXPECT_OK(client().SendFrame(ListMessage("")));
    return ReadListing(client());
  }();
  ASSERT_FALSE(listing.empty());
  ASSERT_THAT(listing.back(), HasBody(v1::ServerMessage::kList));
  ASSERT_EQ(listing.back().message.list().entries_size(), 1);
  EXPECT_EQ(listing.back().message.list().entries(0).name(), "a.txt");
}

}  // namespace
}  // namespace ferry::conformance
