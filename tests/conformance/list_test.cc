// Spec section 6.1: list.
#include <sys/stat.h>

#include <map>
#include <set>

#include "tests/conformance/conformance_fixture.h"

namespace ferry::conformance {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

constexpr int64_t kMtime = 1'700'000'000'123'456'789;

class ListConformance : public ConformanceTest {
 protected:
  // Lists `path` on `connection` and returns the entries of all pages by name;
  // fails the test unless the listing ends with a last page.
  std::map<std::string, v1::FileInfo> ListEntries(RawConnection& connection,
                                                  std::string_view path) {
    FERRY_EXPECT_OK(connection.SendFrame(ListMessage(path)));
    std::map<std::string, v1::FileInfo> entries;
    for (const ServerFrame& page : ReadListing(connection)) {
      if (!page.message.has_list()) {
        ADD_FAILURE() << "listing of \"" << path << "\" ended with "
                      << ::testing::PrintToString(page);
        break;
      }
      for (const v1::FileInfo& info : page.message.list().entries()) {
        EXPECT_TRUE(entries.emplace(info.name(), info).second) << "listed twice: " << info.name();
      }
    }
    return entries;
  }

  static std::vector<std::string> Names(const std::map<std::string, v1::FileInfo>& entries) {
    std::vector<std::string> names;
    for (const auto& [name, info] : entries) names.push_back(name);
    return names;
  }
};

// R-LIST-1
TEST_F(ListConformance, DirectoryIsListedInPagesEndingWithLast) {
  Put("docs/a.txt", "hello");
  std::filesystem::create_directory(root_ / "docs" / "img");
  FERRY_ASSERT_OK(client().SendFrame(ListMessage("docs")));
  const std::vector<ServerFrame> pages = ReadListing(client());
  ASSERT_THAT(pages, ElementsAre(HasBody(v1::ServerMessage::kList)));
  EXPECT_TRUE(pages[0].message.list().last());
  std::vector<std::string> names;
  for (const auto& info : pages[0].message.list().entries()) names.push_back(info.name());
  EXPECT_THAT(names, UnorderedElementsAre("a.txt", "img"));
}

// R-LIST-1, R-PATH-2, R-PATH-13: the root is listed under "", "/" and "//".
TEST_F(ListConformance, RootIsListedUnderEveryRootSpelling) {
  Put("top.txt", "x");
  for (const char* root : {"", "/", "//"}) {
    SCOPED_TRACE(root);
    EXPECT_THAT(Names(ListEntries(client(), root)), ElementsAre("top.txt"));
  }
}

// R-LIST-2
TEST_F(ListConformance, EmptyDirectoryGivesExactlyOneEmptyLastPage) {
  std::filesystem::create_directory(root_ / "empty");
  FERRY_ASSERT_OK(client().SendRaw(Frame(ListMessage("empty")) + Frame(StatMessage("empty"))));
  const ServerFrame page = Read(client());
  ASSERT_THAT(page, HasBody(v1::ServerMessage::kList));
  EXPECT_TRUE(page.message.list().last());
  EXPECT_EQ(page.message.list().entries_size(), 0);
  // The next frame already answers the next request.
  EXPECT_THAT(Read(client()), HasBody(v1::ServerMessage::kStat));
}

// R-LIST-3, R-LIST-6 (every entry appears exactly once), R-LIMIT-1
TEST_F(ListConformance, LargeDirectoryIsSplitIntoPagesOfAtMostOneThousandEntries) {
  constexpr int kEntries = 2500;
  std::filesystem::create_directory(root_ / "big");
  for (int i = 0; i < kEntries; ++i) {
    FERRY_ASSERT_OK(WriteFile(root_ / "big" / ("f" + std::to_string(i)), ""));
  }
  FERRY_ASSERT_OK(client().SendFrame(ListMessage("big")));
  const std::vector<ServerFrame> pages = ReadListing(client());
  ASSERT_GE(pages.size(), 3u);
  std::set<std::string> names;
  for (size_t i = 0; i < pages.size(); ++i) {
    ASSERT_THAT(pages[i], HasBody(v1::ServerMessage::kList));
    const v1::ListReply& page = pages[i].message.list();
    EXPECT_EQ(page.last(), i + 1 == pages.size());
    EXPECT_LE(page.entries_size(), 1000);
    if (!page.last()) {
      EXPECT_GE(page.entries_size(), 1);
    }
    for (const auto& info : page.entries()) {
      EXPECT_TRUE(names.insert(info.name()).second) << "listed twice: " << info.name();
    }
  }
  EXPECT_EQ(names.size(), static_cast<size_t>(kEntries));
}

// R-LIST-3, R-FRAME-5: pages shrink to fit a small negotiated frame limit.
TEST_F(ListConformance, PagesFitTheNegotiatedFrameLimit) {
  constexpr int kEntries = 600;  // 600 x 255-byte names: far more than one 64 KiB frame
  std::filesystem::create_directory(root_ / "long");
  for (int i = 0; i < kEntries; ++i) {
    std::string name = std::to_string(i);
    name += std::string(255 - name.size(), 'n');
    FERRY_ASSERT_OK(WriteFile(root_ / "long" / name, ""));
  }
  auto session = OpenSession(65536);
  ASSERT_NE(session, nullptr);
  FERRY_ASSERT_OK(session->SendFrame(ListMessage("long")));
  const std::vector<ServerFrame> pages = ReadListing(*session);
  ASSERT_GE(pages.size(), 3u);
  size_t total = 0;
  for (const ServerFrame& page : pages) {
    ASSERT_THAT(page, HasBody(v1::ServerMessage::kList));
    EXPECT_LE(page.payload.size(), 65536u);
    if (!page.message.list().last()) {
      EXPECT_GE(page.message.list().entries_size(), 1);
    }
    total += static_cast<size_t>(page.message.list().entries_size());
  }
  EXPECT_EQ(total, static_cast<size_t>(kEntries));
}

// R-LIST-4, R-PATH-7, R-UPLOAD-17: ".", "..", reserved names and names no request
// could address are never listed.
TEST_F(ListConformance, UnaddressableAndReservedNamesAreNotListed) {
  Put("visible.txt", "");
  Put(".hidden", "");
  Put(".ferry-part", "");  // lacks the prefix's final dot: an ordinary name
  Put(".ferry-part.0123456789abcdef", "");
  Put("line\nbreak", "");
  Put("esc\x1b", "");
  Put("del\x7f", "");
  Put("bad\xff", "");           // invalid UTF-8
  Put("over\xc0\xaf", "");      // overlong encoding of '/'
  Put("surr\xed\xa0\x80", "");  // a UTF-16 surrogate
  EXPECT_THAT(Names(ListEntries(client(), "")),
              UnorderedElementsAre("visible.txt", ".hidden", ".ferry-part"));
}

// R-LIST-4: every listed name can be used in a request.
TEST_F(ListConformance, EveryListedNameCanBeStatted) {
  Put("plain.txt", "");
  Put("sp ace", "");
  Put("\xc3\xbc"
      "ber",
      "");
  Put("back\\slash", "");
  Put("\xe2\x80\xae"
      "rtl",
      "");
  Put("c1\xc2\x85", "");
  for (const auto& [name, info] : ListEntries(client(), "")) {
    SCOPED_TRACE(name);
    const ServerFrame stat = Call(client(), StatMessage(name));
    ASSERT_THAT(stat, HasBody(v1::ServerMessage::kStat));
    EXPECT_EQ(stat.message.stat().info().name(), name);
  }
}

// R-LIST-5
TEST_F(ListConformance, EntriesDescribeTheEntryItselfWithoutFollowingIt) {
  Put("file.txt", "hello");
  std::filesystem::create_directory(root_ / "dir");
  MakeSymlink("file.txt", "link");
  MakeSymlink("/etc", "abs");
  MakeSymlink("missing", "dangling");
  MakeFifo("fifo");
  MakeSocket("sock");
  const auto entries = ListEntries(client(), "");
  ASSERT_THAT(Names(entries),
              UnorderedElementsAre("file.txt", "dir", "link", "abs", "dangling", "fifo", "sock"));
  EXPECT_EQ(entries.at("file.txt").type(), v1::REGULAR);
  EXPECT_EQ(entries.at("file.txt").size(), 5u);
  EXPECT_EQ(entries.at("dir").type(), v1::DIRECTORY);
  EXPECT_EQ(entries.at("dir").size(), 0u);
  for (const char* link : {"link", "abs", "dangling"}) {
    EXPECT_EQ(entries.at(link).type(), v1::SYMLINK) << link;
    EXPECT_EQ(entries.at(link).size(), 0u) << link;
  }
  EXPECT_EQ(entries.at("fifo").type(), v1::OTHER);
  EXPECT_EQ(entries.at("fifo").size(), 0u);
  EXPECT_EQ(entries.at("sock").type(), v1::OTHER);
  EXPECT_EQ(entries.at("sock").size(), 0u);
}

// R-LIST-5: mode is st_mode & 07777 and mtime is in nanoseconds.
TEST_F(ListConformance, EntriesCarryPermissionBitsAndNanosecondMtime) {
  Put("f", "12345");
  std::filesystem::create_directory(root_ / "d");
  ASSERT_EQ(chmod((root_ / "f").c_str(), 04640), 0);
  ASSERT_EQ(chmod((root_ / "d").c_str(), 01751), 0);
  SetMtime("f", kMtime);
  SetMtime("d", kMtime + 1);
  const auto entries = ListEntries(client(), "");
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries.at("f").mode(), 04640u);
  EXPECT_EQ(entries.at("d").mode(), 01751u);
  EXPECT_EQ(entries.at("f").mtime_unix_ns(), kMtime);
  EXPECT_EQ(entries.at("d").mtime_unix_ns(), kMtime + 1);
}

// R-LIST-1, 6.1 errors
TEST_F(ListConformance, ListOfAFileIsNotADirectory) {
  Put("a.txt", "hello");
  const ServerFrame reply = Call(client(), ListMessage("a.txt"));
  EXPECT_THAT(reply, IsError(v1::NOT_A_DIRECTORY));
  EXPECT_EQ(reply.message.error().path(), "a.txt");
}

// 6.1 errors
TEST_F(ListConformance, ListErrorsFollowTheTable) {
  Put("a.txt", "hello");
  MakeSymlink(outside_, "out");
  MakeSymlink("loop", "loop");
  EXPECT_THAT(Call(client(), ListMessage("missing")), IsError(v1::NOT_FOUND));
  EXPECT_THAT(Call(client(), ListMessage("missing/sub")), IsError(v1::NOT_FOUND));
  EXPECT_THAT(Call(client(), ListMessage("a.txt/sub")), IsError(v1::NOT_A_DIRECTORY));
  EXPECT_THAT(Call(client(), ListMessage("out")), IsError(v1::PERMISSION_DENIED));
  EXPECT_THAT(Call(client(), ListMessage("loop")), IsError(v1::PERMISSION_DENIED));
  EXPECT_THAT(Call(client(), ListMessage("a//b")), IsError(v1::INVALID_PATH));
}

// R-PATH-12: list follows a symlink at the final component when it stays inside.
TEST_F(ListConformance, SymlinkToADirectoryInsideTheRootIsFollowed) {
  Put("real/inner.txt", "x");
  MakeSymlink("real", "alias");
  EXPECT_THAT(Names(ListEntries(client(), "alias")), ElementsAre("inner.txt"));
}

}  // namespace
}  // namespace ferry::conformance
