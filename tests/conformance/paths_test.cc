// Spec section 3: paths. Every example of the 3.3 table is sent as a real
// request; the symlink rules are checked against a snapshot of a directory
// outside the root that must never change.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "tests/conformance/conformance_fixture.h"

namespace ferry::conformance {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

// Removes `name` under `parent` recursively through descriptors, so that trees
// whose host paths exceed PATH_MAX can be removed.
void RemoveTreeAt(int parent, const char* name) {
  const int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd >= 0) {
    DIR* dir = fdopendir(fd);
    if (dir == nullptr) {
      close(fd);
      return;
    }
    while (const dirent* entry = readdir(dir)) {
      const std::string_view child = entry->d_name;
      if (child != "." && child != "..") RemoveTreeAt(dirfd(dir), entry->d_name);
    }
    closedir(dir);
    unlinkat(parent, name, AT_REMOVEDIR);
  } else {
    unlinkat(parent, name, 0);
  }
}

class PathsConformance : public ConformanceTest {
 protected:
  void SetUp() override {
    ConformanceTest::SetUp();
    FERRY_ASSERT_OK(WriteFile(outside_ / "passwd", "outside secret"));
    std::filesystem::create_directory(outside_ / "sub");
    FERRY_ASSERT_OK(WriteFile(outside_ / "sub" / "x", "outside x"));
  }

  // Stats `path` (sent as given) and expects a StatReply; returns its info.
  v1::FileInfo StatInfo(std::string_view path) {
    const ServerFrame reply = Call(client(), StatMessage(path));
    EXPECT_THAT(reply, HasBody(v1::ServerMessage::kStat)) << "stat of \"" << path << "\"";
    return reply.message.stat().info();
  }

  // Sends each request kind with `path` and expects `code` from every one, with
  // nothing changed anywhere (R-PATH-9).
  void ExpectEveryRequestRefused(std::string_view path, v1::ErrorCode code) {
    const auto before = SnapshotTree(top_.path());
    ASSERT_THAT(before, IsOk());
    for (const v1::ClientMessage& request :
         {ListMessage(path), StatMessage(path), RemoveMessage(path), DownloadMessage(path),
          UploadMessage(path, 1, false), UploadMessage(path, 1, true)}) {
      SCOPED_TRACE(request.ShortDebugString());
      const ServerFrame reply = Call(client(), request);
      EXPECT_THAT(reply, IsError(code));
      EXPECT_THAT(reply.message.error().path(), EchoesPath(path));
      if (request.has_upload()) {
        FERRY_ASSERT_OK(client().SendFrame(CancelMessage()));
      }
    }
    EXPECT_THAT(SnapshotTree(top_.path()), IsOkAndHolds(*before));
  }

  // Sends one request whose path field holds `raw` bytes, encoded by hand so
  // that invalid UTF-8 reaches the wire.
  void SendRawPathRequest(uint32_t body_field, std::string_view raw) {
    FERRY_ASSERT_OK(client().SendPayload(LengthDelimited(body_field, LengthDelimited(1, raw))));
  }
};

// 3.3: "", "/" and "//" name the root. R-PATH-2, R-PATH-13
TEST_F(PathsConformance, EmptySlashAndDoubleSlashNameTheRoot) {
  Put("only.txt", "x");
  for (const char* path : {"", "/", "//"}) {
    SCOPED_TRACE(path);
    const v1::FileInfo info = StatInfo(path);
    EXPECT_EQ(info.type(), v1::DIRECTORY);
    EXPECT_EQ(info.name(), "");
    FERRY_ASSERT_OK(client().SendFrame(ListMessage(path)));
    const std::vector<ServerFrame> pages = ReadListing(client());
    ASSERT_THAT(pages, ElementsAre(HasBody(v1::ServerMessage::kList)));
    ASSERT_EQ(pages[0].message.list().entries_size(), 1);
    EXPECT_EQ(pages[0].message.list().entries(0).name(), "only.txt");
  }
}

// 3.3: "a.txt", "/a/b/", "a/". R-PATH-2, R-PATH-3
TEST_F(PathsConformance, OneLeadingAndOneTrailingSlashMeanNothing) {
  Put("a.txt", "hello");
  Put("a/b/c", "");
  EXPECT_EQ(StatInfo("a.txt").name(), "a.txt");
  EXPECT_EQ(StatInfo("/a.txt").name(), "a.txt");
  const v1::FileInfo ab = StatInfo("/a/b/");
  EXPECT_EQ(ab.name(), "b");
  EXPECT_EQ(ab.type(), v1::DIRECTORY);
  const v1::FileInfo a = StatInfo("a/");
  EXPECT_EQ(a.name(), "a");
  EXPECT_EQ(a.type(), v1::DIRECTORY);
}

// 3.3: names that merely look special are ordinary. R-PATH-4, R-PATH-5, R-PATH-7,
// R-PATH-8, R-SEC-2
class AcceptedNameConformance
    : public PathsConformance,
      public ::testing::WithParamInterface<std::pair<const char*, std::string>> {};

TEST_P(AcceptedNameConformance, NamesTheLiteralEntry) {
  const std::string& name = GetParam().second;
  Put(name, "content of " + name);
  const v1::FileInfo info = StatInfo(name);
  EXPECT_EQ(info.name(), std::filesystem::path(name).filename().string());
  EXPECT_EQ(info.type(), v1::REGULAR);
  FERRY_ASSERT_OK(client().SendFrame(DownloadMessage(name)));
  EXPECT_EQ(ReadDownload(client()).data, "content of " + name);
  EXPECT_THAT(Upload(client(), name, "replaced", true), HasBody(v1::ServerMessage::kUploadDone));
  EXPECT_EQ(Get(name), "replaced");
  EXPECT_THAT(Call(client(), RemoveMessage(name)), HasBody(v1::ServerMessage::kRemove));
  EXPECT_FALSE(Exists(name));
}

INSTANTIATE_TEST_SUITE_P(
    Table, AcceptedNameConformance,
    ::testing::Values(std::make_pair("ThreeDots", std::string("...")),
                      std::make_pair("Hidden", std::string(".hidden")),
                      std::make_pair("FerryPartWithoutFinalDot", std::string(".ferry-part")),
                      std::make_pair("Backslash", std::string("a\\b")),
                      std::make_pair("PercentEncodedDots", std::string("%2e%2e")),
                      std::make_pair("PercentEncodedSlash", std::string("..%2f")),
                      std::make_pair("Colon", std::string("C:x")),
                      std::make_pair("Space", std::string("a b")),
                      std::make_pair("NonAscii", std::string("\xc3\xbc"
                                                             "ber/\xc3\x9f.txt")),
                      std::make_pair("RightToLeftOverride", std::string("\xe2\x80\xae.txt")),
                      std::make_pair("C1Control", std::string("\xc2\x85")),
                      std::make_pair("Component255Bytes", std::string(255, 'c')),
                      std::make_pair("GlobCharacters", std::string("*?[a]")),
                      std::make_pair("Tilde", std::string("~"))),
    [](const auto& test) { return std::string(test.param.first); });

// 3.3: a 4096-byte path is accepted when every component is valid. R-PATH-1
TEST_F(PathsConformance, PathOf4096BytesIsAccepted) {
  // "/" and 16 components of 255 bytes with 15 slashes: 4096 bytes as sent.
  std::string relative;
  for (int i = 0; i < 16; ++i) {
    if (i > 0) relative += '/';
    relative += std::string(255, static_cast<char>('a' + i));
  }
  const std::string path = "/" + relative;
  ASSERT_EQ(path.size(), 4096u);
  EXPECT_THAT(Call(client(), StatMessage(path)), IsError(v1::NOT_FOUND));
  // With every directory present the request really resolves. The host path
  // would exceed PATH_MAX, so the tree is built one level at a time.
  int dir = open(root_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  ASSERT_GE(dir, 0);
  for (int i = 0; i < 15; ++i) {
    const std::string name(255, static_cast<char>('a' + i));
    ASSERT_EQ(mkdirat(dir, name.c_str(), 0755), 0) << strerror(errno);
    const int next = openat(dir, name.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    close(dir);
    ASSERT_GE(next, 0);
    dir = next;
  }
  close(dir);
  EXPECT_THAT(Call(client(), StatMessage(path)), IsError(v1::NOT_FOUND));
  EXPECT_THAT(Upload(client(), path, "deep"), HasBody(v1::ServerMessage::kUploadDone));
  const v1::FileInfo info = StatInfo(path);
  EXPECT_EQ(info.size(), 4u);
  EXPECT_EQ(info.name(), std::string(255, 'p'));
  RemoveTreeAt(AT_FDCWD, (root_ / std::string(255, 'a')).c_str());
}

// 3.3, R-PATH-1: the same for a 4096-byte path with no slash to strip.
// R-PATH-1: 4096 bytes is allowed, although Linux's PATH_MAX (4096) counts the
// terminating NUL; the server must not pass the kernel's ENAMETOOLONG through
// as INVALID_PATH for a path that passes every rule of 3.1.
TEST_F(PathsConformance, PathOf4096BytesWithoutSlashesToStripIsAccepted) {
  std::string path;  // 17 components of 240 bytes and 16 slashes
  for (int i = 0; i < 17; ++i) {
    if (i > 0) path += '/';
    path += std::string(240, static_cast<char>('a' + i));
  }
  ASSERT_EQ(path.size(), 4096u);
  EXPECT_THAT(Call(client(), StatMessage(path)), IsError(v1::NOT_FOUND));
}

// 3.3: rows that are INVALID_PATH, for every request kind. R-PATH-1, R-PATH-3,
// R-PATH-4, R-PATH-5, R-PATH-7, R-PATH-9
class InvalidPathConformance
    : public PathsConformance,
      public ::testing::WithParamInterface<std::pair<const char*, std::string>> {};

TEST_P(InvalidPathConformance, IsRefusedByEveryRequestWithoutEffect) {
  // Entries the path would name if it were cleaned up; none may be touched.
  Put("a", "a");
  Put("b", "b");
  Put("x", "x");
  Put("etc/passwd", "inside");
  ExpectEveryRequestRefused(GetParam().second, v1::INVALID_PATH);
}

INSTANTIATE_TEST_SUITE_P(
    Table, InvalidPathConformance,
    ::testing::Values(std::make_pair("ThreeSlashes", std::string("///")),
                      std::make_pair("DoubleLeadingSlash", std::string("//a")),
                      std::make_pair("DoubleInnerSlash", std::string("a//b")),
                      std::make_pair("DoubleTrailingSlash", std::string("a/b//")),
                      std::make_pair("Dot", std::string(".")),
                      std::make_pair("DotDot", std::string("..")),
                      std::make_pair("DotPrefix", std::string("./a")),
                      std::make_pair("DotDotSuffix", std::string("a/..")),
                      std::make_pair("Traversal", std::string("../etc/passwd")),
                      std::make_pair("SlashDotDot", std::string("/../x")),
                      std::make_pair("Nul", std::string("a\0b", 3)),
                      std::make_pair("Newline", std::string("a\nb")),
                      std::make_pair("Delete", std::string("a\x7f")),
                      std::make_pair("Escape", std::string("\x1b[2J")),
                      std::make_pair("Tab", std::string("a\tb")),
                      std::make_pair("Component256Bytes", std::string(256, 'c')),
                      std::make_pair("Path4097BytesWithLeadingSlash", "/" + std::string(4096, 'p')),
                      std::make_pair("Reserved", std::string(".ferry-part.x")),
                      std::make_pair("ReservedDeep", std::string("d/.ferry-part.1234")),
                      std::make_pair("ReservedBare", std::string(".ferry-part."))),
    [](const auto& test) { return std::string(test.param.first); });

// 3.3: 4097 bytes of valid components is still too long. R-PATH-1
TEST_F(PathsConformance, PathOf4097BytesIsInvalidEvenWithValidComponents) {
  std::string path;
  for (int i = 0; i < 16; ++i) path += std::string(255, 'q') + "/";
  path += "q";  // 16 * 256 + 1 = 4097
  ASSERT_EQ(path.size(), 4097u);
  ExpectEveryRequestRefused(path, v1::INVALID_PATH);
}

// 3.3: invalid UTF-8 makes the whole frame unparsable. R-PATH-6, R-FRAME-9
class InvalidUtf8Conformance
    : public PathsConformance,
      public ::testing::WithParamInterface<std::pair<const char*, std::string>> {};

TEST_P(InvalidUtf8Conformance, IsMalformedMessageForEveryRequestKind) {
  Put("a", "keep");
  // ListRequest 2, StatRequest 3, RemoveRequest 4, DownloadRequest 5, UploadRequest 6.
  for (const uint32_t field : {2u, 3u, 4u, 5u, 6u}) {
    SCOPED_TRACE(field);
    SendRawPathRequest(field, GetParam().second);
    EXPECT_THAT(Read(client()), IsError(v1::MALFORMED_MESSAGE));
  }
  EXPECT_EQ(Get("a"), "keep");
  EXPECT_THAT(Temporaries(), IsEmpty());
  // R-SEC-6: the refusal is logged as one request line each, never as the
  // protobuf library's own stderr text, which a client could use to add lines.
  EXPECT_THAT(server_.Log(), Not(HasSubstr("libprotobuf")));
}

INSTANTIATE_TEST_SUITE_P(
    Encodings, InvalidUtf8Conformance,
    ::testing::Values(std::make_pair("InvalidByte", std::string("a\xff", 2)),
                      std::make_pair("Overlong", std::string("a\xc0\xaf", 3)),
                      std::make_pair("Surrogate", std::string("\xed\xa0\x80", 3)),
                      std::make_pair("AboveMaxCodePoint", std::string("\xf4\x90\x80\x80", 4)),
                      std::make_pair("Truncated", std::string("a\xe2\x82", 3)),
                      std::make_pair("LoneContinuation", std::string("\x80"
                                                                     "a",
                                                                     2))),
    [](const auto& test) { return std::string(test.param.first); });

// 9.3 note: an UploadRequest that cannot be decoded never starts a data phase,
// so its pipelined chunks are stray chunks in READY.
TEST_F(PathsConformance, UndecodableUploadLeavesItsChunksStrayInReady) {
  FERRY_ASSERT_OK(
      client().SendRaw(Frame(LengthDelimited(6, LengthDelimited(1, std::string("a\xff", 2)) +
                                                    FieldKey(2, 0) + Varint(5))) +
                       ChunkFrame("hello") + Frame(UploadEndMessage(5, kHelloDigest))));
  EXPECT_THAT(Read(client()), IsError(v1::MALFORMED_MESSAGE));
  EXPECT_THAT(Read(client()), IsError(v1::UNEXPECTED_MESSAGE));
  EXPECT_THAT(Read(client()), IsError(v1::UNEXPECTED_MESSAGE));
}

// 3.3: "/etc/passwd" is etc/passwd under the root. R-PATH-2
TEST_F(PathsConformance, AbsoluteLookingPathIsRelativeToTheRoot) {
  Put("etc/passwd", "inside the root");
  FERRY_ASSERT_OK(client().SendFrame(DownloadMessage("/etc/passwd")));
  EXPECT_EQ(ReadDownload(client()).data, "inside the root");
}

// R-PATH-8: no case folding, no Unicode normalisation, no expansion.
TEST_F(PathsConformance, NamesAreComparedByteForByte) {
  Put("Case.txt", "x");
  Put("\xc3\xa9", "precomposed");  // U+00E9
  Put("a1", "1");
  Put("a2", "2");
  EXPECT_THAT(Call(client(), StatMessage("case.txt")), IsError(v1::NOT_FOUND));
  EXPECT_THAT(Call(client(), StatMessage("e\xcc\x81")), IsError(v1::NOT_FOUND));  // decomposed
  EXPECT_THAT(Call(client(), StatMessage("~")), IsError(v1::NOT_FOUND));
  EXPECT_THAT(Call(client(), RemoveMessage("a*")), IsError(v1::NOT_FOUND));  // R-SEC-2
  EXPECT_THAT(Call(client(), RemoveMessage("a?")), IsError(v1::NOT_FOUND));
  EXPECT_TRUE(Exists("a1"));
  EXPECT_TRUE(Exists("a2"));
}

// 3.3: "link/x" where link -> /etc, and "up/x" where up -> ../..: every request
// is PERMISSION_DENIED and nothing outside changes. R-PATH-10, R-PATH-11, R-SEC-1
class EscapingLinkConformance
    : public PathsConformance,
      public ::testing::WithParamInterface<std::pair<const char*, std::string>> {};

TEST_P(EscapingLinkConformance, EveryRequestThroughItIsPermissionDenied) {
  MakeSymlink(GetParam().second, "link");
  const auto outside = SnapshotTree(outside_);
  ASSERT_THAT(outside, IsOk());
  for (const char* path : {"link/x", "link/sub/x", "link/passwd", "link/sub"}) {
    SCOPED_TRACE(path);
    for (const v1::ClientMessage& request :
         {ListMessage(path), StatMessage(path), RemoveMessage(path), DownloadMessage(path),
          UploadMessage(path, 1, false), UploadMessage(path, 1, true)}) {
      SCOPED_TRACE(request.ShortDebugString());
      EXPECT_THAT(Call(client(), request), IsError(v1::PERMISSION_DENIED));
      if (request.has_upload()) {
        FERRY_ASSERT_OK(client().SendFrame(CancelMessage()));
      }
    }
  }
  EXPECT_THAT(SnapshotTree(outside_), IsOkAndHolds(*outside));
  EXPECT_TRUE(std::filesystem::is_symlink(root_ / "link"));
}

INSTANTIATE_TEST_SUITE_P(Links, EscapingLinkConformance,
                         ::testing::Values(
                             // The table's examples: an absolute target, and ".." leaving the root.
                             std::make_pair("AbsoluteToEtc", std::string("/etc")),
                             std::make_pair("UpUp", std::string("../..")),
                             // The same, aimed at the snapshotted directory (an absolute link to it
                             // is the next test).
                             std::make_pair("RelativeToOutside", std::string("../outside")),
                             // A /proc magic link is never followed (R-SEC-1).
                             std::make_pair("ProcMagicLink", std::string("/proc/self/root"))),
                         [](const auto& test) { return std::string(test.param.first); });

// R-PATH-10, R-PATH-11: an absolute link to the snapshotted directory.
TEST_F(PathsConformance, AbsoluteLinkToTheOutsideDirectoryIsPermissionDenied) {
  MakeSymlink(outside_, "out");
  const auto outside = SnapshotTree(outside_);
  ASSERT_THAT(outside, IsOk());
  EXPECT_THAT(Call(client(), StatMessage("out/passwd")), IsError(v1::PERMISSION_DENIED));
  EXPECT_THAT(Call(client(), RemoveMessage("out/passwd")), IsError(v1::PERMISSION_DENIED));
  EXPECT_THAT(Upload(client(), "out/passwd", "pwned", true), IsError(v1::PERMISSION_DENIED));
  EXPECT_THAT(Upload(client(), "out/new", "pwned", true), IsError(v1::PERMISSION_DENIED));
  EXPECT_THAT(SnapshotTree(outside_), IsOkAndHolds(*outside));
}

// R-PATH-10: an absolute target is never followed, even one inside the root; a
// loop is PERMISSION_DENIED.
TEST_F(PathsConformance, AbsoluteTargetsAndLoopsAreNeverFollowed) {
  Put("dir/f.txt", "x");
  MakeSymlink(root_ / "dir", "abs_dir");
  MakeSymlink(root_ / "dir" / "f.txt", "abs_file");
  MakeSymlink("loop_a", "loop_b");
  MakeSymlink("loop_b", "loop_a");
  for (const char* path : {"abs_dir/f.txt", "abs_file", "loop_a", "loop_b/x"}) {
    SCOPED_TRACE(path);
    EXPECT_THAT(Call(client(), StatMessage(path)), IsError(v1::PERMISSION_DENIED));
    FERRY_ASSERT_OK(client().SendFrame(DownloadMessage(path)));
    EXPECT_THAT(ReadDownload(client()).terminal, IsError(v1::PERMISSION_DENIED));
  }
}

// R-PATH-10: links whose resolution stays inside the root are followed, even
// through "..".
TEST_F(PathsConformance, RelativeLinksThatStayInsideAreFollowed) {
  Put("data/f.txt", "inside");
  Put("deep/er/g.txt", "g");
  MakeSymlink("../data", "deep/to_data");
  MakeSymlink("../../data/f.txt", "deep/er/to_f");
  FERRY_ASSERT_OK(client().SendFrame(DownloadMessage("deep/to_data/f.txt")));
  EXPECT_EQ(ReadDownload(client()).data, "inside");
  FERRY_ASSERT_OK(client().SendFrame(DownloadMessage("deep/er/to_f")));
  EXPECT_EQ(ReadDownload(client()).data, "inside");
  EXPECT_THAT(Upload(client(), "deep/to_data/new.txt", "n"),
              HasBody(v1::ServerMessage::kUploadDone));
  EXPECT_EQ(Get("data/new.txt"), "n");
}

// R-PATH-12: list, stat and download follow a final symlink; remove and upload
// act on the link itself.
TEST_F(PathsConformance, OnlyListStatAndDownloadFollowAFinalSymlink) {
  Put("dir/f.txt", "target");
  MakeSymlink("dir", "dlink");
  MakeSymlink("dir/f.txt", "flink");
  const ServerFrame list = Call(client(), ListMessage("dlink"));
  ASSERT_THAT(list, HasBody(v1::ServerMessage::kList));
  EXPECT_EQ(list.message.list().entries_size(), 1);
  EXPECT_EQ(StatInfo("flink").type(), v1::REGULAR);
  FERRY_ASSERT_OK(client().SendFrame(DownloadMessage("flink")));
  EXPECT_EQ(ReadDownload(client()).data, "target");
  EXPECT_THAT(Upload(client(), "flink", "new", true), HasBody(v1::ServerMessage::kUploadDone));
  EXPECT_FALSE(std::filesystem::is_symlink(root_ / "flink"));
  EXPECT_EQ(Get("dir/f.txt"), "target");
  EXPECT_THAT(Call(client(), RemoveMessage("dlink")), HasBody(v1::ServerMessage::kRemove));
  EXPECT_TRUE(Exists("dir/f.txt"));
}

// R-PATH-13: the root is valid for list and stat only.
TEST_F(PathsConformance, RootIsValidOnlyForListAndStat) {
  EXPECT_THAT(Call(client(), ListMessage("")), HasBody(v1::ServerMessage::kList));
  EXPECT_THAT(Call(client(), StatMessage("")), HasBody(v1::ServerMessage::kStat));
  EXPECT_THAT(Call(client(), DownloadMessage("")), IsError(v1::IS_A_DIRECTORY));
  EXPECT_THAT(Call(client(), RemoveMessage("")), IsError(v1::INVALID_PATH));
  EXPECT_THAT(Upload(client(), "", "x", true), IsError(v1::INVALID_PATH));
  EXPECT_THAT(Upload(client(), "/", "x", true), IsError(v1::INVALID_PATH));
}

}  // namespace
}  // namespace ferry::conformance
