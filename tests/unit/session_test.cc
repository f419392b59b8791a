// The server's protocol state machine (src/server/session.h), driven over memory
// against the in-memory filesystem: the handshake, every request, both transfer
// directions with their error paths, and the connection policy for bad requests.
// Clause IDs (R-...) refer to spec/PROTOCOL.md.
#include "src/server/session.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "src/base/digest.h"
#include "src/base/version.h"
#include "src/codec/frame.h"
#include "src/codec/limits.h"
#include "src/codec/wire_error.h"
#include "src/fs/in_memory_file_system.h"
#include "tests/testing/session_driver.h"
#include "tests/testing/status_matchers.h"

namespace ferry {
namespace {

using ::ferry::testing::ClientScript;
using ::ferry::testing::DigestBytes;
using ::ferry::testing::HasBody;
using ::ferry::testing::IsError;
using ::ferry::testing::IsErrorFor;
using ::ferry::testing::RunSession;
using ::ferry::testing::RunSessionExpectingFrames;
using ::ferry::testing::SessionResult;
using ::testing::AllOf;
using ::testing::Each;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Le;
using ::testing::Not;
using ::testing::SizeIs;

using Body = v1::ServerMessage::BodyCase;

constexpr uint32_t kSmallFrame = limits::kMinFrameBytes;                     // 65536
constexpr uint32_t kSmallChunk = kSmallFrame - limits::kChunkOverheadBytes;  // 65520
constexpr uint32_t kDefaultChunk = limits::kDefaultMaxFrameBytes - limits::kChunkOverheadBytes;

Path P(std::string_view text) { return Path::Parse(text).value(); }

// Deterministic, non-repeating-looking file contents.
std::string Contents(size_t size) {
  std::string out(size, '\0');
  uint32_t x = 2463534242u;
  for (char& c : out) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    c = static_cast<char>(x);
  }
  return out;
}

// A client payload of exactly `size` bytes that is a valid envelope holding an
// unset oneof plus one unknown field (number 100), so the server answers UNSUPPORTED.
std::string UnknownFieldPayload(size_t size) {
  // tag (2 bytes: 100 << 3 | 2 = 0xA2 0x06) + varint(length) + bytes
  for (size_t data = size; data > 0; --data) {
    const size_t length_bytes = data < 128 ? 1 : data < 16384 ? 2 : 3;
    if (2 + length_bytes + data == size) {
      std::string out = "\xA2\x06";
      for (size_t v = data; v >= 0x80; v >>= 7) out.push_back(static_cast<char>(v | 0x80));
      out.push_back(static_cast<char>(data >> (7 * (length_bytes - 1))));
      return out + std::string(data, 'u');
    }
  }
  return "";
}

// An envelope whose only field is number 100, with an empty message: a request kind
// from a later protocol version. (An envelope with nothing set serialises to zero
// bytes, which is a zero-length frame and so MALFORMED_FRAME, not UNSUPPORTED.)
const std::string kFutureRequest("\xA2\x06\x00", 3);

// The chunk data size whose canonical frame payload is exactly `payload` bytes.
uint32_t ChunkDataForPayload(uint32_t payload) {
  for (uint32_t n = payload; n > 0; --n) {
    if (EncodeChunkFrameHeader(n).size - limits::kFrameHeaderBytes + n == payload) return n;
  }
  return 0;
}

class SessionTest : public ::testing::Test {
 protected:
  void Add(std::string_view path, std::string contents) {
    FERRY_ASSERT_OK(fs_.AddFile(P(path), std::move(contents)));
  }

  SessionResult Run(const ClientScript& script, SessionOptions options = {},
                    size_t max_read = SIZE_MAX) {
    return RunSessionExpectingFrames(script, &fs_, std::move(options), max_read);
  }

  std::string FileContents(std::string_view path) { return fs_.ReadFileForTest(P(path)).value(); }

  InMemoryFileSystem fs_;
};

// ---------------------------------------------------------------------------
// Handshake (spec 5.2, 5.3)

TEST_F(SessionTest, WelcomeAnnouncesVersionNameAndLimits) {
  ClientScript script;
  script.Hello().Bye();
  const SessionResult result = Run(script);
  ASSERT_THAT(result.messages, SizeIs(2));
  ASSERT_TRUE(result.messages[0].has_welcome());
  const v1::Welcome& welcome = result.messages[0].welcome();
  EXPECT_EQ(welcome.version(), 1u);
  EXPECT_EQ(welcome.server_name(), "ferryd/" FERRY_VERSION);
  EXPECT_EQ(welcome.max_frame_bytes(), limits::kDefaultMaxFrameBytes);
  EXPECT_EQ(welcome.max_chunk_bytes(), kDefaultChunk);
  EXPECT_EQ(welcome.max_path_bytes(), 4096u);
  EXPECT_EQ(welcome.max_list_entries(), 1000u);
  EXPECT_THAT(welcome.capabilities(), IsEmpty());
  EXPECT_THAT(result.messages[1], HasBody(Body::kBye));
}

TEST_F(SessionTest, FirstMessageNotHelloIsFatalUnexpectedMessageAndNothingRuns) {
  Add("victim", "still here");
  ClientScript script;
  script.Remove("victim").Hello().Bye();
  const SessionResult result = Run(script);
  EXPECT_THAT(result.messages, ElementsAre(IsError(v1::UNEXPECTED_MESSAGE, true)));
  EXPECT_THAT(result.status, StatusIs(StatusCode::kUnexpectedMessage));
  EXPECT_TRUE(result.stream_shut_down);
  EXPECT_THAT(result.records, IsEmpty());
  EXPECT_EQ(FileContents("victim"), "still here");
}

TEST_F(SessionTest, FirstMessageChunkIsFatalUnexpectedMessage) {
  ClientScript script;
  script.Chunk("data").Hello();
  EXPECT_THAT(Run(script).messages, ElementsAre(IsError(v1::UNEXPECTED_MESSAGE, true)));
}

TEST_F(SessionTest, FirstMessageWithNoKnownBodyIsFatalUnexpectedMessage) {
  // R-HELLO-1: not UNSUPPORTED as it would be in READY.
  ClientScript script;
  script.Frame(kFutureRequest).Hello();
  EXPECT_THAT(Run(script).messages, ElementsAre(IsError(v1::UNEXPECTED_MESSAGE, true)));
}

TEST_F(SessionTest, FirstPayloadThatIsNotAMessageIsFatalMalformedMessage) {
  ClientScript script;
  script.Frame("\xFF\xFF\xFF\xFF").Hello();
  EXPECT_THAT(Run(script).messages, ElementsAre(IsError(v1::MALFORMED_MESSAGE, true)));
}

TEST_F(SessionTest, ClientLeavingBeforeHelloGetsNoReply) {
  const SessionResult result = Run(ClientScript());
  EXPECT_THAT(result.messages, IsEmpty());
}

struct VersionCase {
  uint32_t min;
  uint32_t max;
};

class SessionVersionRefused : public SessionTest,
                              public ::testing::WithParamInterface<VersionCase> {};

TEST_P(SessionVersionRefused, IsFatalUnsupportedVersionNamingTheServerRange) {
  // R-HELLO-4; R-HELLO-11: requests pipelined behind a refused Hello never run.
  Add("victim", "still here");
  ClientScript script;
  script.Hello(GetParam().min, GetParam().max, 0).Remove("victim").Bye();
  const SessionResult result = Run(script);
  ASSERT_THAT(result.messages, ElementsAre(IsError(v1::UNSUPPORTED_VERSION, true)));
  EXPECT_EQ(result.messages[0].error().message(), "server speaks versions 1..1");
  EXPECT_TRUE(result.stream_shut_down);
  EXPECT_EQ(FileContents("victim"), "still here");
}

INSTANTIATE_TEST_SUITE_P(RangesWithoutOne, SessionVersionRefused,
                         ::testing::Values(VersionCase{0, 0}, VersionCase{2, 2}, VersionCase{2, 9},
                                           VersionCase{2, UINT32_MAX}));

class SessionVersionAccepted : public SessionTest,
                               public ::testing::WithParamInterface<VersionCase> {};

TEST_P(SessionVersionAccepted, ChoosesVersionOne) {
  ClientScript script;
  script.Hello(GetParam().min, GetParam().max, 0).Bye();
  const SessionResult result = Run(script);
  ASSERT_THAT(result.messages, SizeIs(2));
  ASSERT_TRUE(result.messages[0].has_welcome());
  EXPECT_EQ(result.messages[0].welcome().version(), 1u);
}

INSTANTIATE_TEST_SUITE_P(RangesWithOne, SessionVersionAccepted,
                         ::testing::Values(VersionCase{1, 1}, VersionCase{0, 1}, VersionCase{1, 2},
                                           VersionCase{0, UINT32_MAX}));

TEST_F(SessionTest, MinVersionAboveMaxVersionIsFatalInvalidArgument) {
  // R-HELLO-3: checked first, so it wins even when 1 is outside the range too.
  for (const VersionCase range : {VersionCase{2, 1}, VersionCase{3, 2}}) {
    SCOPED_TRACE(::testing::Message() << range.min << ".." << range.max);
    ClientScript script;
    script.Hello(range.min, range.max, 0).Bye();
    EXPECT_THAT(Run(script).messages, ElementsAre(IsError(v1::INVALID_ARGUMENT, true)));
  }
}

TEST_F(SessionTest, ClientNameOf256BytesIsAcceptedAnd257IsFatalInvalidArgument) {
  for (const size_t length : {size_t{256}, size_t{257}}) {
    SCOPED_TRACE(length);
    v1::ClientMessage hello;
    hello.mutable_hello()->set_min_version(1);
    hello.mutable_hello()->set_max_version(1);
    hello.mutable_hello()->set_client_name(std::string(length, 'n'));
    ClientScript script;
    script.Message(hello).Bye();
    const SessionResult result = Run(script);
    if (length == 256) {
      EXPECT_THAT(result.messages, ElementsAre(HasBody(Body::kWelcome), HasBody(Body::kBye)));
    } else {
      EXPECT_THAT(result.messages, ElementsAre(IsError(v1::INVALID_ARGUMENT, true)));
    }
  }
}

struct FrameNegotiation {
  uint32_t requested;
  uint32_t granted;  // 0: refused with INVALID_ARGUMENT
};

void PrintTo(const FrameNegotiation& c, std::ostream* os) {
  *os << "requested " << c.requested << " granted " << c.granted;
}

class SessionFrameNegotiation : public SessionTest,
                                public ::testing::WithParamInterface<FrameNegotiation> {};

TEST_P(SessionFrameNegotiation, GrantsTheSmallerOfRequestAndServerLimit) {
  ClientScript script;
  script.Hello(GetParam().requested).Bye();
  const SessionResult result = Run(script);
  if (GetParam().granted == 0) {
    EXPECT_THAT(result.messages, ElementsAre(IsError(v1::INVALID_ARGUMENT, true)));
    return;
  }
  ASSERT_THAT(result.messages, SizeIs(2));
  ASSERT_TRUE(result.messages[0].has_welcome());
  EXPECT_EQ(result.messages[0].welcome().max_frame_bytes(), GetParam().granted);
  EXPECT_EQ(result.messages[0].welcome().max_chunk_bytes(), GetParam().granted - 16);
}

INSTANTIATE_TEST_SUITE_P(
    Table, SessionFrameNegotiation,
    ::testing::Values(
        FrameNegotiation{0, limits::kDefaultMaxFrameBytes},  // 0 = server default
        FrameNegotiation{1, 0}, FrameNegotiation{65535, 0}, FrameNegotiation{65536, 65536},
        FrameNegotiation{100000, 100000},
        FrameNegotiation{limits::kDefaultMaxFrameBytes, limits::kDefaultMaxFrameBytes},
        FrameNegotiation{limits::kDefaultMaxFrameBytes + 1, limits::kDefaultMaxFrameBytes},
        FrameNegotiation{UINT32_MAX, limits::kDefaultMaxFrameBytes}));

TEST_F(SessionTest, ServerConfiguredAtTheCeilingGrantsLargeRequests) {
  SessionOptions options;
  options.max_frame_bytes = limits::kMaxFrameBytesCeiling;
  ClientScript script;
  script.Hello(4 * 1024 * 1024).Bye();
  const SessionResult result = Run(script, options);
  ASSERT_TRUE(result.messages.at(0).has_welcome());
  EXPECT_EQ(result.messages[0].welcome().max_frame_bytes(), 4u * 1024 * 1024);
}

TEST_F(SessionTest, HelloFrameOfExactly64KiBIsAcceptedAndUnknownFieldsIgnored) {
  v1::ClientMessage hello;
  hello.mutable_hello()->set_min_version(1);
  hello.mutable_hello()->set_max_version(1);
  std::string payload = hello.SerializeAsString();
  payload += UnknownFieldPayload(limits::kHandshakeMaxFrameBytes - payload.size());
  ASSERT_EQ(payload.size(), limits::kHandshakeMaxFrameBytes);
  ClientScript script;
  script.Frame(payload).Bye();
  EXPECT_THAT(Run(script).messages, ElementsAre(HasBody(Body::kWelcome), HasBody(Body::kBye)));
}

TEST_F(SessionTest, HelloFrameOneByteOver64KiBIsFatalMessageTooLarge) {
  // Only the length prefix is sent: the limit applies before any payload is read.
  ClientScript script;
  script.Raw(std::string("\x00\x01\x00\x01", 4));
  const SessionResult result = Run(script);
  EXPECT_THAT(result.messages, ElementsAre(IsError(v1::MESSAGE_TOO_LARGE, true)));
  EXPECT_THAT(result.status, StatusIs(StatusCode::kMessageTooLarge));
}

TEST_F(SessionTest, EnvelopeWithNothingSetIsAZeroLengthFrameAndSoFatal) {
  // A ClientMessage with no body serialises to zero bytes, so on the wire it is
  // L = 0 (R-FRAME-3), never the UNSUPPORTED of R-FRAME-11.
  ClientScript script;
  script.Hello().Message(v1::ClientMessage()).Stat("");
  EXPECT_THAT(Run(script).Replies(), ElementsAre(IsError(v1::MALFORMED_FRAME, true)));
}

TEST_F(SessionTest, ZeroLengthFrameIsFatalMalformedFrameBeforeAndAfterHandshake) {
  {
    ClientScript script;
    script.Raw(std::string(4, '\0')).Hello();
    EXPECT_THAT(Run(script).messages, ElementsAre(IsError(v1::MALFORMED_FRAME, true)));
  }
  {
    ClientScript script;
    script.Hello().Raw(std::string(4, '\0')).Stat("");
    EXPECT_THAT(Run(script).Replies(), ElementsAre(IsError(v1::MALFORMED_FRAME, true)));
  }
}

TEST_F(SessionTest, AfterHandshakeTheNegotiatedLimitAppliesExactly) {
  const uint32_t at_limit = ChunkDataForPayload(kSmallFrame);
  ASSERT_NE(at_limit, 0u);
  ClientScript script;
  // A chunk in READY is UNEXPECTED_MESSAGE (not fatal): proof the frame was read.
  script.Hello(kSmallFrame).Chunk(std::string(at_limit, 'x'));
  script.Raw(std::string("\x00\x01\x00\x01", 4));  // 65537: over the limit
  const SessionResult result = Run(script);
  EXPECT_THAT(result.Replies(), ElementsAre(IsError(v1::UNEXPECTED_MESSAGE, false),
                                            IsError(v1::MESSAGE_TOO_LARGE, true)));
  EXPECT_THAT(result.status, StatusIs(StatusCode::kMessageTooLarge));
}

TEST_F(SessionTest, SecondHelloIsUnexpectedNotFatalAndLeavesTheLimitsUnchanged) {
  Add("f", "x");
  ClientScript script;
  script.Hello().Hello(kSmallFrame);
  // Over the 64 KiB the second Hello asked for, within the 1 MiB agreed first.
  script.Chunk(std::string(200000, 'c')).Stat("f").Bye();
  const SessionResult result = Run(script);
  EXPECT_THAT(result.Replies(), ElementsAre(IsError(v1::UNEXPECTED_MESSAGE, false),
                                            IsError(v1::UNEXPECTED_MESSAGE, false),
                                            HasBody(Body::kStat), HasBody(Body::kBye)));
}

// ---------------------------------------------------------------------------
// list (spec 6.1)

TEST_F(SessionTest, ListOfEmptyDirectoryIsOneLastPageWithoutEntries) {
  FERRY_ASSERT_OK(fs_.AddDirectory(P("empty")));
  ClientScript script;
  script.Hello().List("empty").Bye();
  const SessionResult result = Run(script);
  ASSERT_THAT(result.Replies(), ElementsAre(HasBody(Body::kList), HasBody(Body::kBye)));
  EXPECT_THAT(result.Replies()[0].list().entries(), IsEmpty());
  EXPECT_TRUE(result.Replies()[0].list().last());
}

TEST_F(SessionTest, ListReportsNameTypeSizeAndModeOfEachEntry) {
  Add("a.txt", "abc");
  FERRY_ASSERT_OK(fs_.AddDirectory(P("dir")));
  FERRY_ASSERT_OK(fs_.AddSpecialFile(P("fifo")));
  const FileInfo a = fs_.Stat(P("a.txt")).value();
  for (const std::string_view root : {"", "/"}) {
    SCOPED_TRACE(root);
    ClientScript script;
    script.Hello().List(root).Bye();
    const SessionResult result = Run(script);
    ASSERT_THAT(result.Replies(), ElementsAre(HasBody(Body::kList), HasBody(Body::kBye)));
    const v1::ListReply page = result.Replies()[0].list();
    EXPECT_TRUE(page.last());
    std::map<std::string, v1::FileInfo> by_name;
    for (const v1::FileInfo& entry : page.entries()) by_name[entry.name()] = entry;
    ASSERT_THAT(by_name, SizeIs(3));
    EXPECT_EQ(by_name["a.txt"].type(), v1::REGULAR);
    EXPECT_EQ(by_name["a.txt"].size(), 3u);
    EXPECT_EQ(by_name["a.txt"].mode(), 0644u);
    EXPECT_EQ(by_name["a.txt"].mtime_unix_ns(), a.mtime_unix_ns);
    EXPECT_EQ(by_name["dir"].type(), v1::DIRECTORY);
    EXPECT_EQ(by_name["dir"].size(), 0u);
    EXPECT_EQ(by_name["dir"].mode(), 0755u);
    EXPECT_EQ(by_name["fifo"].type(), v1::OTHER);
  }
}

// Checks the paging rules on a listing's replies and returns every name listed.
std::multiset<std::string> CheckPages(const SessionResult& result, uint32_t max_frame,
                                      size_t* pages) {
  std::multiset<std::string> names;
  *pages = 0;
  const std::vector<v1::ServerMessage> replies = result.Replies();
  for (size_t i = 0; i < replies.size(); ++i) {
    if (!replies[i].has_list()) continue;
    ++*pages;
    const v1::ListReply& page = replies[i].list();
    EXPECT_LE(page.entries_size(), 1000) << "page " << i;
    const bool is_last_page = i + 1 == replies.size() || !replies[i + 1].has_list();
    EXPECT_EQ(page.last(), is_last_page) << "page " << i;
    if (!is_last_page) {
      EXPECT_GT(page.entries_size(), 0) << "page " << i;  // R-LIST-3
    }
    for (const v1::FileInfo& entry : page.entries()) names.insert(entry.name());
  }
  EXPECT_THAT(result.frame_sizes, Each(Le(max_frame)));
  return names;
}

TEST_F(SessionTest, ListOf2500EntriesIsThreePagesOfAtMost1000WithLastOnlyOnTheLast) {
  std::multiset<std::string> expected;
  for (int i = 0; i < 2500; ++i) {
    const std::string name = "file-" + std::to_string(i);
    Add("big/" + name, "");
    expected.insert(name);
  }
  ClientScript script;
  script.Hello().List("big").Bye();
  const SessionResult result = Run(script);
  size_t pages = 0;
  EXPECT_EQ(CheckPages(result, limits::kDefaultMaxFrameBytes, &pages), expected);
  EXPECT_EQ(pages, 3u);
  const std::vector<v1::ServerMessage> replies = result.Replies();
  ASSERT_THAT(replies, SizeIs(4));
  EXPECT_EQ(replies[0].list().entries_size(), 1000);
  EXPECT_EQ(replies[1].list().entries_size(), 1000);
  EXPECT_EQ(replies[2].list().entries_size(), 500);
  EXPECT_THAT(replies[3], HasBody(Body::kBye));
}

TEST_F(SessionTest, ListPagesOfLongNamesAreSplitToFitTheNegotiatedFrame) {
  std::multiset<std::string> expected;
  for (int i = 0; i < 2500; ++i) {
    std::string name = std::to_string(i) + "-";
    name.resize(limits::kMaxNameBytes, 'n');
    Add("long/" + name, "");
    expected.insert(name);
  }
  ClientScript script;
  script.Hello(kSmallFrame).List("long").Stat("long").Bye();
  const SessionResult result = Run(script);
  size_t pages = 0;
  EXPECT_EQ(CheckPages(result, kSmallFrame, &pages), expected);
  // 2500 entries of ~270 bytes do not fit three 64 KiB frames: the size bound splits.
  EXPECT_GT(pages, 10u);
  EXPECT_THAT(result.Replies().back(), HasBody(Body::kBye));
}

TEST_F(SessionTest, ListErrorsCarryTheCodeAndThePath) {
  Add("file", "x");
  ClientScript script;
  script.Hello().List("file").List("missing").List("a/../b").Bye();
  EXPECT_THAT(Run(script).Replies(),
              ElementsAre(IsErrorFor(v1::NOT_A_DIRECTORY, "file", false),
                          IsErrorFor(v1::NOT_FOUND, "missing", false),
                          IsErrorFor(v1::INVALID_PATH, "a/../b", false), HasBody(Body::kBye)));
}

// ---------------------------------------------------------------------------
// stat and remove

TEST_F(SessionTest, StatOfRootHasEmptyNameAndDirectoryType) {
  for (const std::string_view root : {"", "/"}) {
    SCOPED_TRACE(root);
    ClientScript script;
    script.Hello().Stat(root).Bye();
    const SessionResult result = Run(script);
    ASSERT_THAT(result.Replies(), ElementsAre(HasBody(Body::kStat), HasBody(Body::kBye)));
    EXPECT_EQ(result.Replies()[0].stat().info().name(), "");
    EXPECT_EQ(result.Replies()[0].stat().info().type(), v1::DIRECTORY);
  }
}

TEST_F(SessionTest, StatOfFileDescribesIt) {
  Add("dir/notes.txt", "hello");
  const FileInfo info = fs_.Stat(P("dir/notes.txt")).value();
  ClientScript script;
  script.Hello().Stat("/dir/notes.txt").Bye();
  const SessionResult result = Run(script);
  ASSERT_THAT(result.Replies(), ElementsAre(HasBody(Body::kStat), HasBody(Body::kBye)));
  const v1::FileInfo got = result.Replies()[0].stat().info();
  EXPECT_EQ(got.name(), "notes.txt");
  EXPECT_EQ(got.type(), v1::REGULAR);
  EXPECT_EQ(got.size(), 5u);
  EXPECT_EQ(got.mtime_unix_ns(), info.mtime_unix_ns);
  EXPECT_EQ(got.mode(), 0644u);
}

TEST_F(SessionTest, StatErrorsCarryTheCodeAndThePath) {
  Add("file", "x");
  ClientScript script;
  script.Hello().Stat("missing").Stat("file/child").Stat(".ferry-part.x").Bye();
  const SessionResult result = Run(script);
  EXPECT_THAT(result.Replies(), ElementsAre(IsErrorFor(v1::NOT_FOUND, "missing", false),
                                            IsErrorFor(v1::NOT_A_DIRECTORY, "file/child", false),
                                            IsErrorFor(v1::INVALID_PATH, ".ferry-part.x", false),
                                            HasBody(Body::kBye)));
  EXPECT_THAT(result.Replies()[0].error().message(), Not(IsEmpty()));
}

TEST_F(SessionTest, ErrorAboutLongNonAsciiPathIsStillValidUtf8) {
  // Error.message and Error.path are proto3 strings: a peer refuses the whole frame if
  // either holds invalid UTF-8, so truncating them must not split a character.
  std::string component;
  for (int i = 0; i < 85; ++i) component += "\xE6\x97\xA5";  // U+65E5, 255 bytes in all
  std::string valid_path;
  for (int i = 0; i < 12; ++i) valid_path += (i ? "/" : "") + component;
  std::string too_long;
  for (int i = 0; i < 1500; ++i) too_long += "\xE6\x97\xA5";  // 4500 bytes
  ClientScript script;
  script.Hello().Stat(valid_path).Stat(too_long).Bye();
  const SessionResult result = Run(script);
  EXPECT_THAT(result.Replies(), ElementsAre(IsError(v1::NOT_FOUND, false),
                                            IsError(v1::INVALID_PATH, false), HasBody(Body::kBye)));
}

TEST_F(SessionTest, RemoveDeletesAFile) {
  Add("d/gone", "x");
  Add("d/kept", "y");
  ClientScript script;
  script.Hello().Remove("d/gone").Bye();
  EXPECT_THAT(Run(script).Replies(), ElementsAre(HasBody(Body::kRemove), HasBody(Body::kBye)));
  EXPECT_THAT(fs_.Stat(P("d/gone")), StatusIs(StatusCode::kNotFound));
  EXPECT_EQ(FileContents("d/kept"), "y");
}

TEST_F(SessionTest, RemoveRefusesDirectoriesTheRootAndMissingFiles) {
  FERRY_ASSERT_OK(fs_.AddDirectory(P("dir")));
  ClientScript script;
  script.Hello().Remove("dir").Remove("").Remove("/").Remove("missing").Bye();
  EXPECT_THAT(
      Run(script).Replies(),
      ElementsAre(IsErrorFor(v1::IS_A_DIRECTORY, "dir", false),
                  IsErrorFor(v1::INVALID_PATH, "", false), IsErrorFor(v1::INVALID_PATH, "/", false),
                  IsErrorFor(v1::NOT_FOUND, "missing", false), HasBody(Body::kBye)));
  EXPECT_THAT(fs_.Stat(P("dir")), IsOk());
}

// ---------------------------------------------------------------------------
// download (spec 6.4, 7.2, 6.7)

class SessionDownloadSize : public SessionTest, public ::testing::WithParamInterface<size_t> {};

TEST_P(SessionDownloadSize, SendsBeginThenChunksOfAtMostMaxChunkThenEndWithDigest) {
  const std::string contents = Contents(GetParam());
  Add("f.bin", contents);
  const FileInfo info = fs_.Stat(P("f.bin")).value();
  ClientScript script;
  script.Hello(kSmallFrame).Download("f.bin").Bye();
  const SessionResult result = Run(script);

  ASSERT_THAT(result.Replies(), ElementsAre(HasBody(Body::kDownloadBegin),
                                            HasBody(Body::kDownloadEnd), HasBody(Body::kBye)));
  EXPECT_EQ(result.Replies()[0].download_begin().size(), contents.size());
  EXPECT_EQ(result.Replies()[0].download_begin().mtime_unix_ns(), info.mtime_unix_ns);
  EXPECT_EQ(result.Replies()[1].download_end().size(), contents.size());
  EXPECT_EQ(result.Replies()[1].download_end().xxh3_128(), DigestBytes(contents));
  EXPECT_TRUE(result.chunk_bytes == contents) << "downloaded bytes differ";
  EXPECT_THAT(result.chunk_sizes, Each(AllOf(::testing::Ge(1u), Le(kSmallChunk))));
  EXPECT_EQ(result.chunk_sizes.size(), (contents.size() + kSmallChunk - 1) / kSmallChunk);
  EXPECT_TRUE(result.all_chunks_canonical);
  EXPECT_THAT(result.frame_sizes, Each(Le(kSmallFrame)));
  // The chunks sit between Begin and End.
  EXPECT_TRUE(result.messages[1].has_download_begin());
  EXPECT_TRUE(result.messages[1 + result.chunk_sizes.size() + 1].has_download_end());
}

INSTANTIATE_TEST_SUITE_P(Sizes, SessionDownloadSize,
                         ::testing::Values(0, 1, kSmallChunk - 1, kSmallChunk, kSmallChunk + 1,
                                           3 * kSmallChunk + 7));

TEST_F(SessionTest, DownloadWithDefaultFrameUsesMegabyteChunks) {
  const std::string contents = Contents(2 * kDefaultChunk + 5);
  Add("big", contents);
  ClientScript script;
  script.Hello().Download("big").Bye();
  const SessionResult result = Run(script);
  EXPECT_THAT(result.chunk_sizes, ElementsAre(kDefaultChunk, kDefaultChunk, 5u));
  EXPECT_TRUE(result.chunk_bytes == contents);
}

TEST_F(SessionTest, DownloadErrorsComeInsteadOfDownloadBegin) {
  FERRY_ASSERT_OK(fs_.AddDirectory(P("dir")));
  FERRY_ASSERT_OK(fs_.AddSpecialFile(P("fifo")));
  ClientScript script;
  script.Hello().Download("missing").Download("dir").Download("").Download("fifo");
  script.Download("bad//path").Bye();
  EXPECT_THAT(Run(script).Replies(),
              ElementsAre(IsErrorFor(v1::NOT_FOUND, "missing", false),
                          IsErrorFor(v1::IS_A_DIRECTORY, "dir", false),
                          IsErrorFor(v1::IS_A_DIRECTORY, "", false),
                          IsErrorFor(v1::NOT_A_REGULAR_FILE, "fifo", false),
                          IsErrorFor(v1::INVALID_PATH, "bad//path", false), HasBody(Body::kBye)));
}

TEST_F(SessionTest, CancelRightAfterDownloadRequestEndsItWithCancelled) {
  Add("big", Contents(3 * kSmallChunk));
  Add("small", "x");
  ClientScript script;
  script.Hello(kSmallFrame).Download("big").Cancel().Stat("small").Bye();
  const SessionResult result = Run(script);
  // The server checks for a Cancel before every chunk, the first included.
  EXPECT_THAT(result.Replies(),
              ElementsAre(HasBody(Body::kDownloadBegin), IsErrorFor(v1::CANCELLED, "big", false),
                          HasBody(Body::kStat), HasBody(Body::kBye)));
  EXPECT_THAT(result.chunk_sizes, IsEmpty());
}

TEST_F(SessionTest, CancelArrivingBetweenChunksStopsTheDownload) {
  Add("big", Contents(5 * kSmallChunk));
  Add("small", "x");
  ClientScript script;
  script.Hello(kSmallFrame).Download("big");
  // The client sends Cancel once it has seen Welcome, DownloadBegin and two chunks.
  script.AfterServerFrames(4).Cancel().Stat("small").Bye();
  const SessionResult result = Run(script);
  EXPECT_THAT(result.Replies(),
              ElementsAre(HasBody(Body::kDownloadBegin), IsErrorFor(v1::CANCELLED, "big", false),
                          HasBody(Body::kStat), HasBody(Body::kBye)));
  EXPECT_THAT(result.chunk_sizes, ElementsAre(kSmallChunk, kSmallChunk));
  ASSERT_THAT(result.records, SizeIs(3));
  EXPECT_EQ(result.records[0].command, "download");
  EXPECT_THAT(result.records[0].result, StatusIs(StatusCode::kCancelled));
  EXPECT_EQ(result.records[0].bytes, 2u * kSmallChunk);
}

TEST_F(SessionTest, CancelAfterTheDownloadEndedGetsNoReply) {
  Add("f", "contents");
  ClientScript script;
  script.Hello().Download("f").AfterServerFrames(4).Cancel().Stat("f").Bye();
  const SessionResult result = Run(script);
  EXPECT_THAT(result.Replies(),
              ElementsAre(HasBody(Body::kDownloadBegin), HasBody(Body::kDownloadEnd),
                          HasBody(Body::kStat), HasBody(Body::kBye)));
}

TEST_F(SessionTest, RequestPipelinedDuringDownloadIsAnsweredAfterDownloadEnd) {
  const std::string contents = Contents(4 * kSmallChunk);
  Add("big", contents);
  Add("small", "x");
  ClientScript script;
  script.Hello(kSmallFrame).Download("big").Stat("small").List("").Bye();
  const SessionResult result = Run(script);
  EXPECT_THAT(result.Replies(),
              ElementsAre(HasBody(Body::kDownloadBegin), HasBody(Body::kDownloadEnd),
                          HasBody(Body::kStat), HasBody(Body::kList), HasBody(Body::kBye)));
  EXPECT_TRUE(result.chunk_bytes == contents);
}

TEST_F(SessionTest, RequestArrivingMidDownloadIsHeldUntilDownloadEnd) {
  const std::string contents = Contents(4 * kSmallChunk);
  Add("big", contents);
  Add("small", "x");
  ClientScript script;
  script.Hello(kSmallFrame).Download("big").AfterServerFrames(3).Stat("small").Bye();
  const SessionResult result = Run(script);
  EXPECT_THAT(result.Replies(),
              ElementsAre(HasBody(Body::kDownloadBegin), HasBody(Body::kDownloadEnd),
                          HasBody(Body::kStat), HasBody(Body::kBye)));
  EXPECT_THAT(result.chunk_sizes, SizeIs(4));
  EXPECT_TRUE(result.chunk_bytes == contents);
}

TEST_F(SessionTest, CancelQueuedBehindAHeldRequestArrivesInReadyAndIsIgnored) {
  // The server holds one pipelined frame and reads nothing more until the download
  // ends, so a Cancel behind it is seen only in READY.
  const std::string contents = Contents(3 * kSmallChunk);
  Add("big", contents);
  ClientScript script;
  script.Hello(kSmallFrame).Download("big").Stat("big").Cancel().Stat("").Bye();
  const SessionResult result = Run(script);
  EXPECT_THAT(result.Replies(),
              ElementsAre(HasBody(Body::kDownloadBegin), HasBody(Body::kDownloadEnd),
                          HasBody(Body::kStat), HasBody(Body::kStat), HasBody(Body::kBye)));
  EXPECT_TRUE(result.chunk_bytes == contents);
}

TEST_F(SessionTest, UnparsableFrameHeldDuringDownloadIsAnsweredAfterItAndNotFatal) {
  // R-STATE-6, R-FRAME-8
  Add("big", Contents(3 * kSmallChunk));
  ClientScript script;
  script.Hello(kSmallFrame).Download("big").Frame("\xFF\xFF").Stat("big").Bye();
  const SessionResult result = Run(script);
  EXPECT_THAT(result.Replies(),
              ElementsAre(HasBody(Body::kDownloadBegin), HasBody(Body::kDownloadEnd),
                          IsError(v1::MALFORMED_MESSAGE, false), HasBody(Body::kStat),
                          HasBody(Body::kBye)));
  EXPECT_THAT(result.chunk_sizes, SizeIs(3));
}

TEST_F(SessionTest, FrameErrorReadAheadDuringDownloadIsFatalAtOnce) {
  // R-STATE-6: frame-level errors in the frame read ahead take effect at once.
  Add("big", Contents(3 * kSmallChunk));
  const std::pair<std::string_view, v1::ErrorCode> cases[] = {
      {std::string_view("\x00\x00\x00\x00", 4), v1::MALFORMED_FRAME},    // L = 0
      {std::string_view("\x00\x01\x00\x01", 4), v1::MESSAGE_TOO_LARGE},  // L = 65537
  };
  for (const auto& [header, code] : cases) {
    SCOPED_TRACE(v1::ErrorCode_Name(code));
    ClientScript script;
    script.Hello(kSmallFrame).Download("big").Raw(header);
    const SessionResult result = Run(script);
    EXPECT_THAT(result.Replies(), ElementsAre(HasBody(Body::kDownloadBegin), IsError(code, true)));
    EXPECT_THAT(result.chunk_sizes, IsEmpty());
    EXPECT_TRUE(result.stream_shut_down);
  }
}

TEST_F(SessionTest, EndOfStreamDuringDownloadStopsIt) {
  // R-STATE-9: end-of-stream means the client has gone.
  Add("big", Contents(5 * kSmallChunk));
  ClientScript script;
  script.Hello(kSmallFrame).Download("big").AfterServerFrames(4);
  const SessionResult result = Run(script);
  EXPECT_THAT(result.Replies(), ElementsAre(HasBody(Body::kDownloadBegin)));
  EXPECT_THAT(result.chunk_sizes, SizeIs(2));
}

// ---------------------------------------------------------------------------
// upload (spec 6.5, 7.3)

class SessionUploadSize : public SessionTest, public ::testing::WithParamInterface<size_t> {};

TEST_P(SessionUploadSize, CommitsTheBytesAndRepliesWithSizeAndDigest) {
  const std::string contents = Contents(GetParam());
  FERRY_ASSERT_OK(fs_.AddDirectory(P("in")));
  ClientScript script;
  script.Hello(kSmallFrame).Upload("in/new.bin", contents.size());
  script.UploadData(contents, kSmallChunk).Stat("in/new.bin").Bye();
  const SessionResult result = Run(script);
  ASSERT_THAT(result.Replies(), ElementsAre(HasBody(Body::kUploadReady), HasBody(Body::kUploadDone),
                                            HasBody(Body::kStat), HasBody(Body::kBye)));
  EXPECT_EQ(result.Replies()[1].upload_done().size(), contents.size());
  EXPECT_EQ(result.Replies()[1].upload_done().xxh3_128(), DigestBytes(contents));
  EXPECT_EQ(result.Replies()[2].stat().info().size(), contents.size());
  EXPECT_TRUE(FileContents("in/new.bin") == contents);
  EXPECT_EQ(fs_.PendingUploadsForTest(), 0u);
}

INSTANTIATE_TEST_SUITE_P(Sizes, SessionUploadSize,
                         ::testing::Values(0, 1, kSmallChunk, kSmallChunk + 1,
                                           3 * kSmallChunk + 1));

TEST_F(SessionTest, UploadWithOverwriteReplacesAnExistingFile) {
  Add("f", "old contents");
  ClientScript script;
  script.Hello().Upload("f", 3, /*overwrite=*/true).UploadData("new").Bye();
  EXPECT_THAT(Run(script).Replies(), ElementsAre(HasBody(Body::kUploadReady),
                                                 HasBody(Body::kUploadDone), HasBody(Body::kBye)));
  EXPECT_EQ(FileContents("f"), "new");
}

TEST_F(SessionTest, UploadAcceptsAnyValidEncodingOfAChunk) {
  // A chunk envelope with an unknown field after the data: not the canonical
  // encoding, so it takes the slow path, and it is still a chunk.
  v1::ClientMessage chunk;
  chunk.mutable_chunk()->set_data("abc");
  const std::string payload = chunk.SerializeAsString() + UnknownFieldPayload(10);
  ASSERT_FALSE(
      ParseCanonicalChunk({reinterpret_cast<const uint8_t*>(payload.data()), payload.size()}));
  ClientScript script;
  script.Hello().Upload("f", 3).Frame(payload).UploadEnd(3, DigestBytes("abc")).Bye();
  EXPECT_THAT(Run(script).Replies(), ElementsAre(HasBody(Body::kUploadReady),
                                                 HasBody(Body::kUploadDone), HasBody(Body::kBye)));
  EXPECT_EQ(FileContents("f"), "abc");
}

TEST_F(SessionTest, UploadChunkOfExactlyMaxChunkIsAcceptedAndOneMoreIsInvalidArgument) {
  const std::string at_limit = Contents(kSmallChunk);
  const std::string over_limit = Contents(kSmallChunk + 1);
  ClientScript script;
  script.Hello(kSmallFrame).Upload("a", at_limit.size()).UploadData(at_limit, kSmallChunk);
  script.Upload("b", over_limit.size()).UploadData(over_limit, kSmallChunk + 1).Stat("a").Bye();
  const SessionResult result = Run(script);
  EXPECT_THAT(result.Replies(),
              ElementsAre(HasBody(Body::kUploadReady), HasBody(Body::kUploadDone),
                          HasBody(Body::kUploadReady), IsErrorFor(v1::INVALID_ARGUMENT, "b", false),
                          HasBody(Body::kStat), HasBody(Body::kBye)));
  EXPECT_THAT(fs_.Stat(P("b")), StatusIs(StatusCode::kNotFound));
}

struct EarlyUploadError {
  std::string_view path;
  bool overwrite;
  v1::ErrorCode code;
};

void PrintTo(const EarlyUploadError& c, std::ostream* os) {
  *os << "\"" << c.path << "\" -> " << v1::ErrorCode_Name(c.code);
}

class SessionUploadEarlyError : public SessionTest,
                                public ::testing::WithParamInterface<EarlyUploadError> {
 protected:
  void SetUp() override {
    Add("exists", "old");
    Add("file", "plain file");
    FERRY_ASSERT_OK(fs_.AddDirectory(P("dir")));
    FERRY_ASSERT_OK(fs_.AddSpecialFile(P("fifo")));
  }
};

TEST_P(SessionUploadEarlyError, RepliesOnceConsumesTheDataPhaseAndChangesNothing) {
  for (const bool end_with_cancel : {false, true}) {
    SCOPED_TRACE(end_with_cancel ? "data phase ends with Cancel"
                                 : "data phase ends with UploadEnd");
    ClientScript script;
    script.Hello().Upload(GetParam().path, 6, GetParam().overwrite).Chunk("new").Chunk("new");
    if (end_with_cancel) {
      script.Cancel();
    } else {
      script.UploadEnd(6, DigestBytes("newnew"));
    }
    script.Stat("exists").Bye();
    const SessionResult result = Run(script);
    EXPECT_THAT(result.Replies(),
                ElementsAre(IsErrorFor(GetParam().code, std::string(GetParam().path), false),
                            HasBody(Body::kStat), HasBody(Body::kBye)));
    EXPECT_EQ(FileContents("exists"), "old");
    EXPECT_EQ(FileContents("file"), "plain file");
    EXPECT_EQ(fs_.Stat(P("fifo")).value().type, FileType::kOther);
    EXPECT_EQ(fs_.Stat(P("dir")).value().type, FileType::kDirectory);
    EXPECT_EQ(fs_.PendingUploadsForTest(), 0u);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Table, SessionUploadEarlyError,
    ::testing::Values(EarlyUploadError{"exists", false, v1::ALREADY_EXISTS},
                      EarlyUploadError{"", true, v1::INVALID_PATH},
                      EarlyUploadError{"/", true, v1::INVALID_PATH},
                      EarlyUploadError{"a/../exists", true, v1::INVALID_PATH},
                      EarlyUploadError{".ferry-part.1234", true, v1::INVALID_PATH},
                      EarlyUploadError{"dir", true, v1::IS_A_DIRECTORY},
                      EarlyUploadError{"fifo", true, v1::NOT_A_REGULAR_FILE},
                      EarlyUploadError{"no-such-dir/new", false, v1::NOT_FOUND},
                      EarlyUploadError{"file/new", false, v1::NOT_A_DIRECTORY}));

TEST_F(SessionTest, RequestInsteadOfTheDataPhaseAfterAnEarlyErrorIsFatal) {
  // The data phase follows every UploadRequest, even a refused one.
  Add("exists", "old");
  ClientScript script;
  script.Hello().Upload("exists", 3).Stat("exists").Bye();
  const SessionResult result = Run(script);
  EXPECT_THAT(result.Replies(), ElementsAre(IsErrorFor(v1::ALREADY_EXISTS, "exists", false),
                                            IsError(v1::UNEXPECTED_MESSAGE, true)));
  EXPECT_TRUE(result.stream_shut_down);
}

TEST_F(SessionTest, MoreBytesThanAnnouncedIsSizeMismatchAsSoonAsTheyArrive) {
  Add("f", "old");
  ClientScript script;
  script.Hello().Upload("f", 5, true).Chunk("abc").Chunk("def");
  // The client sends the rest only after the Error: proof it came early.
  script.AfterServerFrames(3).Chunk("more").UploadEnd(5, DigestBytes("abcde")).Stat("f").Bye();
  const SessionResult result = Run(script);
  EXPECT_THAT(result.Replies(),
              ElementsAre(HasBody(Body::kUploadReady), IsErrorFor(v1::SIZE_MISMATCH, "f", false),
                          HasBody(Body::kStat), HasBody(Body::kBye)));
  EXPECT_EQ(FileContents("f"), "old");
  EXPECT_EQ(fs_.PendingUploadsForTest(), 0u);
}

struct DataPhaseFailure {
  const char* name;
  std::function<void(ClientScript*)> data_phase;  // after UploadRequest("f", 6, overwrite)
  v1::ErrorCode code;
};

void PrintTo(const DataPhaseFailure& c, std::ostream* os) { *os << c.name; }

class SessionUploadFails : public SessionTest,
                           public ::testing::WithParamInterface<DataPhaseFailure> {};

TEST_P(SessionUploadFails, WithOneNonFatalErrorLeavingTheTargetUnchanged) {
  Add("f", "old");
  ClientScript script;
  script.Hello().Upload("f", 6, /*overwrite=*/true);
  GetParam().data_phase(&script);
  script.Stat("f").Bye();
  const SessionResult result = Run(script);
  EXPECT_THAT(result.Replies(),
              ElementsAre(HasBody(Body::kUploadReady), IsErrorFor(GetParam().code, "f", false),
                          HasBody(Body::kStat), HasBody(Body::kBye)));
  EXPECT_EQ(FileContents("f"), "old");
  EXPECT_EQ(fs_.PendingUploadsForTest(), 0u);
  ASSERT_THAT(result.records, SizeIs(3));
  EXPECT_EQ(result.records[0].command, "upload");
  EXPECT_EQ(ToWireCode(result.records[0].result.code()), GetParam().code);
}

INSTANTIATE_TEST_SUITE_P(
    Table, SessionUploadFails,
    ::testing::Values(
        DataPhaseFailure{"FewerBytesThanAnnounced",
                         [](ClientScript* s) { s->Chunk("abc").UploadEnd(6, DigestBytes("abc")); },
                         v1::SIZE_MISMATCH},
        DataPhaseFailure{
            "UploadEndSizeDiffersFromAnnounced",
            [](ClientScript* s) { s->Chunk("abcdef").UploadEnd(5, DigestBytes("abcdef")); },
            v1::SIZE_MISMATCH},
        DataPhaseFailure{
            "WrongDigest",
            [](ClientScript* s) { s->Chunk("abcdef").UploadEnd(6, DigestBytes("abcdeF")); },
            v1::CHECKSUM_MISMATCH},
        DataPhaseFailure{"DigestOf15Bytes",
                         [](ClientScript* s) {
                           s->Chunk("abcdef").UploadEnd(6, DigestBytes("abcdef").substr(0, 15));
                         },
                         v1::INVALID_ARGUMENT},
        DataPhaseFailure{
            "DigestOf17Bytes",
            [](ClientScript* s) { s->Chunk("abcdef").UploadEnd(6, DigestBytes("abcdef") + "!"); },
            v1::INVALID_ARGUMENT},
        DataPhaseFailure{"EmptyChunk", [](ClientScript* s) { s->Chunk("").UploadData("abcdef"); },
                         v1::INVALID_ARGUMENT},
        DataPhaseFailure{"CancelAfterSomeData", [](ClientScript* s) { s->Chunk("abc").Cancel(); },
                         v1::CANCELLED},
        DataPhaseFailure{"CancelBeforeAnyData", [](ClientScript* s) { s->Cancel(); },
                         v1::CANCELLED}),
    [](const ::testing::TestParamInfo<DataPhaseFailure>& param_info) {
      return param_info.param.name;
    });

struct DataPhaseViolation {
  const char* name;
  std::function<void(ClientScript*)> intruder;
  v1::ErrorCode code;
};

void PrintTo(const DataPhaseViolation& c, std::ostream* os) { *os << c.name; }

class SessionUploadViolation : public SessionTest,
                               public ::testing::WithParamInterface<DataPhaseViolation> {};

TEST_P(SessionUploadViolation, IsFatalAndDiscardsTheUpload) {
  Add("f", "old");
  ClientScript script;
  script.Hello().Upload("f", 6, /*overwrite=*/true).Chunk("abc");
  GetParam().intruder(&script);
  script.Chunk("def").UploadEnd(6, DigestBytes("abcdef")).Stat("f").Bye();
  const SessionResult result = Run(script);
  EXPECT_THAT(result.Replies(),
              ElementsAre(HasBody(Body::kUploadReady), IsError(GetParam().code, true)));
  EXPECT_TRUE(result.stream_shut_down);
  EXPECT_EQ(FileContents("f"), "old");
  EXPECT_EQ(fs_.PendingUploadsForTest(), 0u);
}

INSTANTIATE_TEST_SUITE_P(
    Table, SessionUploadViolation,
    ::testing::Values(
        DataPhaseViolation{"StatRequest", [](ClientScript* s) { s->Stat("f"); },
                           v1::UNEXPECTED_MESSAGE},
        DataPhaseViolation{"UploadRequest", [](ClientScript* s) { s->Upload("g", 1); },
                           v1::UNEXPECTED_MESSAGE},
        DataPhaseViolation{"Hello", [](ClientScript* s) { s->Hello(); }, v1::UNEXPECTED_MESSAGE},
        DataPhaseViolation{"Bye", [](ClientScript* s) { s->Bye(); }, v1::UNEXPECTED_MESSAGE},
        DataPhaseViolation{"EnvelopeWithNoKnownBody",
                           [](ClientScript* s) { s->Frame(kFutureRequest); },
                           v1::UNEXPECTED_MESSAGE},
        DataPhaseViolation{"GarbagePayload", [](ClientScript* s) { s->Frame("\xFF\xFF"); },
                           v1::MALFORMED_MESSAGE}),
    [](const ::testing::TestParamInfo<DataPhaseViolation>& param_info) {
      return param_info.param.name;
    });

TEST_F(SessionTest, UploadChecksPathSyntaxThenSizeThenTheParent) {
  // R-UPLOAD-4 (1) then (2).
  const uint64_t too_big = uint64_t{1} << 63;
  ClientScript script;
  script.Hello().Upload("a/../b", too_big).Cancel().Upload("no-dir/b", too_big).Cancel().Bye();
  EXPECT_THAT(
      Run(script).Replies(),
      ElementsAre(IsErrorFor(v1::INVALID_PATH, "a/../b", false),
                  IsErrorFor(v1::INVALID_ARGUMENT, "no-dir/b", false), HasBody(Body::kBye)));
}

TEST_F(SessionTest, UploadEndChecksSizeBeforeDigestLength) {
  // R-UPLOAD-9 order: SIZE_MISMATCH, then INVALID_ARGUMENT, then CHECKSUM_MISMATCH.
  ClientScript script;
  script.Hello().Upload("f", 6).Chunk("abc").UploadEnd(6, "short").Bye();
  EXPECT_THAT(Run(script).Replies(),
              ElementsAre(HasBody(Body::kUploadReady), IsErrorFor(v1::SIZE_MISMATCH, "f", false),
                          HasBody(Body::kBye)));
}

TEST_F(SessionTest, UploadSizeOf2To63IsInvalidArgumentAnd2To63Minus1IsAccepted) {
  const uint64_t max_size = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  ClientScript script;
  script.Hello().Upload("huge", max_size + 1).Cancel();
  script.Upload("huge", max_size).Cancel().Bye();
  const SessionResult result = Run(script);
  EXPECT_THAT(
      result.Replies(),
      ElementsAre(IsErrorFor(v1::INVALID_ARGUMENT, "huge", false), HasBody(Body::kUploadReady),
                  IsErrorFor(v1::CANCELLED, "huge", false), HasBody(Body::kBye)));
  EXPECT_EQ(fs_.PendingUploadsForTest(), 0u);
}

// ---------------------------------------------------------------------------
// Frames in READY that are not requests (5.5, R-STATE-2, R-FRAME-8, R-FRAME-11),
// and the bad-request budget (9.3)

TEST_F(SessionTest, ChunkAndUploadEndInReadyAreUnexpectedButNotFatal) {
  ClientScript script;
  script.Hello().Chunk("stray").UploadEnd(5, DigestBytes("stray")).Stat("").Bye();
  EXPECT_THAT(Run(script).Replies(), ElementsAre(IsError(v1::UNEXPECTED_MESSAGE, false),
                                                 IsError(v1::UNEXPECTED_MESSAGE, false),
                                                 HasBody(Body::kStat), HasBody(Body::kBye)));
}

TEST_F(SessionTest, EnvelopeWithoutAKnownBodyIsUnsupportedButNotFatal) {
  ClientScript script;
  script.Hello().Frame(kFutureRequest);
  script.Frame(UnknownFieldPayload(20));  // no body at all, only an unknown field
  script.Stat("").Bye();
  EXPECT_THAT(Run(script).Replies(),
              ElementsAre(IsError(v1::UNSUPPORTED, false), IsError(v1::UNSUPPORTED, false),
                          HasBody(Body::kStat), HasBody(Body::kBye)));
}

TEST_F(SessionTest, PayloadThatIsNotAMessageIsMalformedMessageAndTheConnectionStays) {
  ClientScript script;
  script.Hello().Frame("\xFF\xFF\xFF\xFF\xFF");
  // A proto3 string that is not UTF-8 fails to parse as well.
  script.Frame(std::string("\x1A\x03\x0A\x01\xFF", 5));  // stat{path: "\xFF"}
  script.Stat("").Bye();
  EXPECT_THAT(Run(script).Replies(), ElementsAre(IsError(v1::MALFORMED_MESSAGE, false),
                                                 IsError(v1::MALFORMED_MESSAGE, false),
                                                 HasBody(Body::kStat), HasBody(Body::kBye)));
}

// The seven kinds of bad request, cycled.
void AddBadRequest(ClientScript* script, int i) {
  switch (i % 7) {
    case 0:
      script->Frame("\xFF\xFF");
      break;  // MALFORMED_MESSAGE
    case 1:
      script->Frame(kFutureRequest);
      break;  // UNSUPPORTED
    case 2:
      script->Chunk("x");
      break;  // UNEXPECTED_MESSAGE
    case 3:
      script->UploadEnd(0, DigestBytes(""));
      break;  // UNEXPECTED_MESSAGE
    case 4:
      script->Hello();
      break;  // UNEXPECTED_MESSAGE
    case 5:
      script->Frame(UnknownFieldPayload(8));
      break;  // UNSUPPORTED
    case 6:
      script->Upload("x", 1ull << 63).Cancel();
      break;  // INVALID_ARGUMENT
  }
}

// Checks that every reply is non-fatal except, if `fatal_at` >= 0, the one at that
// index, which must be the last.
void ExpectFatalOnlyAt(const SessionResult& result, int fatal_at) {
  const std::vector<v1::ServerMessage> replies = result.Replies();
  for (size_t i = 0; i < replies.size(); ++i) {
    const bool fatal = replies[i].has_error() && replies[i].error().fatal();
    EXPECT_EQ(fatal, static_cast<int>(i) == fatal_at)
        << "reply " << i << ": " << replies[i].ShortDebugString();
  }
  if (fatal_at >= 0) {
    EXPECT_EQ(replies.size(), static_cast<size_t>(fatal_at) + 1) << "replies after the fatal one";
    EXPECT_TRUE(result.stream_shut_down);
  }
}

TEST_F(SessionTest, EighthConsecutiveBadRequestIsFatal) {
  ClientScript script;
  script.Hello();
  for (int i = 0; i < 8; ++i) AddBadRequest(&script, i);
  script.Stat("").Bye();
  const SessionResult result = Run(script);
  ASSERT_THAT(result.Replies(), SizeIs(8));
  EXPECT_THAT(result.Replies()[7], IsError(v1::MALFORMED_MESSAGE, true));
  ExpectFatalOnlyAt(result, 7);
}

TEST_F(SessionTest, EighthConsecutiveBadRequestIsFatalWhenItIsAnInvalidArgument) {
  ClientScript script;
  script.Hello();
  for (int i = 0; i < 7; ++i) script.Frame(kFutureRequest);
  script.Upload("x", 1ull << 63).Cancel().Stat("").Bye();
  const SessionResult result = Run(script);
  ASSERT_THAT(result.Replies(), SizeIs(8));
  EXPECT_THAT(result.Replies()[7], IsErrorFor(v1::INVALID_ARGUMENT, "x", true));
  ExpectFatalOnlyAt(result, 7);
}

TEST_F(SessionTest, SuccessReplyResetsTheBadRequestCount) {
  // R-ERROR-10
  ClientScript script;
  script.Hello();
  for (int i = 0; i < 7; ++i) AddBadRequest(&script, i);
  script.Stat("");  // success
  for (int i = 0; i < 7; ++i) AddBadRequest(&script, i);
  script.Bye();
  const SessionResult result = Run(script);
  ASSERT_THAT(result.Replies(), SizeIs(16));
  ExpectFatalOnlyAt(result, -1);
  EXPECT_THAT(result.Replies().back(), HasBody(Body::kBye));
}

TEST_F(SessionTest, OtherErrorsLeaveTheBadRequestCountUnchanged) {
  // R-ERROR-10: NOT_FOUND, INVALID_PATH and CANCELLED neither count nor reset.
  Add("big", Contents(3 * kSmallChunk));
  ClientScript script;
  script.Hello(kSmallFrame);
  for (int i = 0; i < 3; ++i) AddBadRequest(&script, i);
  script.Stat("missing");
  for (int i = 3; i < 5; ++i) AddBadRequest(&script, i);
  script.Remove("a//b");
  for (int i = 5; i < 7; ++i) AddBadRequest(&script, i);
  script.Download("big").Cancel();
  AddBadRequest(&script, 0);  // the 8th bad request
  script.Stat("").Bye();
  const SessionResult result = Run(script);
  // 3 + 1 + 2 + 1 + 2 + (DownloadBegin, CANCELLED) + 1
  ASSERT_THAT(result.Replies(), SizeIs(12));
  EXPECT_THAT(result.Replies()[3], IsError(v1::NOT_FOUND, false));
  EXPECT_THAT(result.Replies()[6], IsError(v1::INVALID_PATH, false));
  EXPECT_THAT(result.Replies()[10], IsError(v1::CANCELLED, false));
  EXPECT_THAT(result.Replies()[11], IsError(v1::MALFORMED_MESSAGE, true));
  ExpectFatalOnlyAt(result, 11);
}

TEST_F(SessionTest, CancelInReadyLeavesTheBadRequestCountUnchanged) {
  // R-CANCEL-1
  ClientScript script;
  script.Hello();
  for (int i = 0; i < 7; ++i) AddBadRequest(&script, i);
  script.Cancel();
  AddBadRequest(&script, 0);
  script.Stat("").Bye();
  const SessionResult result = Run(script);
  ASSERT_THAT(result.Replies(), SizeIs(8));
  ExpectFatalOnlyAt(result, 7);
}

TEST_F(SessionTest, FramesDroppedInUploadDiscardDoNotCount) {
  // R-ERROR-10: the early error is not bad, and what UPLOAD_DISCARD drops gets no
  // reply, so neither moves the count.
  Add("exists", "old");
  ClientScript script;
  script.Hello();
  for (int i = 0; i < 6; ++i) AddBadRequest(&script, i);
  script.Upload("exists", 2).Chunk("").Chunk("toolong").UploadEnd(0, "");  // ALREADY_EXISTS
  AddBadRequest(&script, 0);                                               // 7th
  AddBadRequest(&script, 1);                                               // 8th
  script.Stat("").Bye();
  const SessionResult result = Run(script);
  ASSERT_THAT(result.Replies(), SizeIs(9));
  EXPECT_THAT(result.Replies()[6], IsError(v1::ALREADY_EXISTS, false));
  ExpectFatalOnlyAt(result, 8);
}

TEST_F(SessionTest, UploadEndingInInvalidArgumentIsTheEighthBadRequest) {
  // R-ERROR-8: an upload whose terminal reply is INVALID_ARGUMENT counts, even
  // though UploadReady came first.
  ClientScript script;
  script.Hello();
  for (int i = 0; i < 7; ++i) AddBadRequest(&script, i);
  script.Upload("f", 3).Chunk("").Chunk("abc").UploadEnd(3, DigestBytes("abc")).Stat("").Bye();
  const SessionResult result = Run(script);
  ASSERT_THAT(result.Replies(), SizeIs(9));
  EXPECT_THAT(result.Replies()[7], HasBody(Body::kUploadReady));
  EXPECT_THAT(result.Replies()[8], IsErrorFor(v1::INVALID_ARGUMENT, "f", true));
  ExpectFatalOnlyAt(result, 8);
  EXPECT_EQ(fs_.PendingUploadsForTest(), 0u);
}

TEST_F(SessionTest, CancelInReadyGetsNoReplyAndIsNotLogged) {
  ClientScript script;
  script.Hello().Cancel().Cancel().Stat("").Bye();
  const SessionResult result = Run(script);
  EXPECT_THAT(result.Replies(), ElementsAre(HasBody(Body::kStat), HasBody(Body::kBye)));
  ASSERT_THAT(result.records, SizeIs(2));
  EXPECT_EQ(result.records[0].command, "stat");
  EXPECT_EQ(result.records[1].command, "bye");
}

TEST_F(SessionTest, ByeIsAnsweredThenTheSessionEndsCleanly) {
  Add("f", "x");
  ClientScript script;
  script.Hello().Bye().Remove("f");
  const SessionResult result = Run(script);
  EXPECT_THAT(result.Replies(), ElementsAre(HasBody(Body::kBye)));
  FERRY_EXPECT_OK(result.status);
  EXPECT_TRUE(result.stream_shut_down);
  EXPECT_EQ(FileContents("f"), "x");  // nothing after Bye runs
}

TEST_F(SessionTest, ClientClosingWithoutByeEndsTheSessionCleanly) {
  ClientScript script;
  script.Hello().Stat("");
  const SessionResult result = Run(script);
  EXPECT_THAT(result.Replies(), ElementsAre(HasBody(Body::kStat)));
  FERRY_EXPECT_OK(result.status);
}

TEST_F(SessionTest, StreamEndingInsideAFrameIsConnectionLossAndTheFrameIsNotProcessed) {
  // R-FRAME-7: end-of-stream inside a frame is connection loss, not MALFORMED_FRAME
  // (which R-FRAME-3 reserves for L = 0, and 9.2 does not list for this case).
  for (const std::string_view tail : {std::string_view("\x00\x00", 2),  // in the header
                                      std::string_view("\x00\x00\x00\x10\x1A", 5)}) {  // payload
    ClientScript script;
    script.Hello().Raw(tail);
    const SessionResult result = Run(script);
    EXPECT_THAT(result.Replies(), IsEmpty());
    EXPECT_THAT(result.records, IsEmpty());
  }
}

TEST_F(SessionTest, TimeoutWaitingForHelloIsFatal) {
  // The Stream enforces the deadline (R-TIME-1); the session reports it.
  ClientScript script;
  script.AfterServerFrames(1).Hello();
  const SessionResult result = Run(script);
  EXPECT_THAT(result.messages, ElementsAre(IsError(v1::TIMEOUT, true)));
  EXPECT_THAT(result.status, StatusIs(StatusCode::kTimeout));
}

TEST_F(SessionTest, TimeoutWaitingForARequestIsFatal) {
  // R-TIME-2
  ClientScript script;
  script.Hello().AfterServerFrames(2).Stat("");
  const SessionResult result = Run(script);
  EXPECT_THAT(result.Replies(), ElementsAre(IsError(v1::TIMEOUT, true)));
  EXPECT_TRUE(result.stream_shut_down);
}

TEST_F(SessionTest, TimeoutInTheUploadDataPhaseIsFatalAndCommitsNothing) {
  // R-TIME-3
  Add("f", "old");
  ClientScript script;
  script.Hello().Upload("f", 6, true).Chunk("abc").AfterServerFrames(3).Chunk("def");
  script.UploadEnd(6, DigestBytes("abcdef"));
  const SessionResult result = Run(script);
  EXPECT_THAT(result.Replies(),
              ElementsAre(HasBody(Body::kUploadReady), IsError(v1::TIMEOUT, true)));
  EXPECT_EQ(FileContents("f"), "old");
  EXPECT_EQ(fs_.PendingUploadsForTest(), 0u);
}

TEST_F(SessionTest, ByteAtATimeInputGivesTheSameOutput) {
  Add("d/f", Contents(100000));
  ClientScript script;
  script.Hello(kSmallFrame).List("d").Stat("d/f").Download("d/f").Stat("x");
  script.Upload("d/g", 70000).UploadData(Contents(70000), 30000).Remove("d/f").Bye();
  InMemoryFileSystem other;
  FERRY_ASSERT_OK(other.AddFile(P("d/f"), Contents(100000)));
  const SessionResult whole = RunSession(script, &other);
  const SessionResult bytewise = Run(script, {}, /*max_read=*/1);
  EXPECT_THAT(bytewise.Replies(),
              ElementsAre(HasBody(Body::kList), HasBody(Body::kStat), HasBody(Body::kDownloadBegin),
                          HasBody(Body::kDownloadEnd), IsError(v1::NOT_FOUND, false),
                          HasBody(Body::kUploadReady), HasBody(Body::kUploadDone),
                          HasBody(Body::kRemove), HasBody(Body::kBye)));
  ASSERT_EQ(whole.messages.size(), bytewise.messages.size());
  for (size_t i = 0; i < whole.messages.size(); ++i) {
    EXPECT_EQ(whole.messages[i].SerializeAsString(), bytewise.messages[i].SerializeAsString())
        << "frame " << i;
  }
}

// ---------------------------------------------------------------------------
// The request log's view (RequestObserver)

TEST_F(SessionTest, ObserverSeesOneRecordPerRequestWithCommandPathBytesAndResult) {
  Add("d/f", Contents(3000));
  ClientScript script;
  script.Hello().List("d").Stat("d/f").Download("d/f").Stat("missing");
  script.Upload("d/g", 10).UploadData("0123456789").Remove("d/f");
  script.Frame("\xFF").Frame(kFutureRequest).Chunk("x").Bye();
  const SessionResult result = Run(script);
  using R = RequestRecord;
  EXPECT_THAT(
      result.records,
      ElementsAre(
          AllOf(Field(&R::command, "list"), Field(&R::path, "d"), Field(&R::result, IsOk())),
          AllOf(Field(&R::command, "stat"), Field(&R::path, "d/f"), Field(&R::result, IsOk())),
          AllOf(Field(&R::command, "download"), Field(&R::path, "d/f"), Field(&R::bytes, 3000u),
                Field(&R::result, IsOk())),
          AllOf(Field(&R::command, "stat"), Field(&R::path, "missing"),
                Field(&R::result, StatusIs(StatusCode::kNotFound))),
          AllOf(Field(&R::command, "upload"), Field(&R::path, "d/g"), Field(&R::bytes, 10u),
                Field(&R::result, IsOk())),
          AllOf(Field(&R::command, "remove"), Field(&R::path, "d/f"), Field(&R::result, IsOk())),
          AllOf(Field(&R::command, "invalid"),
                Field(&R::result, StatusIs(StatusCode::kMalformedMessage))),
          AllOf(Field(&R::command, "unknown"),
                Field(&R::result, StatusIs(StatusCode::kUnsupported))),
          AllOf(Field(&R::command, "chunk"),
                Field(&R::result, StatusIs(StatusCode::kUnexpectedMessage))),
          AllOf(Field(&R::command, "bye"), Field(&R::result, IsOk()))));
}

// --- resume (spec 7.8) --------------------------------------------------------------

v1::ClientMessage ResumableUpload(std::string_view path, uint64_t size, std::string_view id = "") {
  v1::ClientMessage message;
  message.mutable_upload()->set_path(std::string(path));
  message.mutable_upload()->set_size(size);
  message.mutable_upload()->set_resumable(true);
  message.mutable_upload()->set_resume_id(std::string(id));
  return message;
}

// R-RESUME-6, R-RESUME-7: a session that loses its connection mid-upload keeps
// the bytes under the id it gave; the next session continues from there, and
// only the rest is received.
TEST(SessionResume, UploadDroppedMidWayIsContinuedByTheNextSession) {
  InMemoryFileSystem fs;
  KeptUploads kept;
  SessionOptions options;
  options.kept_uploads = &kept;
  ClientScript first;
  first.Hello().Message(ResumableUpload("f.bin", 10)).Chunk("01234");  // then the stream ends
  const SessionResult dropped = RunSession(first, &fs, options);
  ASSERT_THAT(dropped.Replies(), ElementsAre(HasBody(v1::ServerMessage::kUploadReady)));
  const v1::UploadReady ready = dropped.Replies()[0].upload_ready();
  EXPECT_EQ(ready.offset(), 0u);
  ASSERT_EQ(ready.resume_id().size(), 16u);
  EXPECT_EQ(kept.size(), 1u);
  EXPECT_EQ(fs.PendingUploadsForTest(), 1u);
  EXPECT_THAT(fs.Stat(*Path::Parse("f.bin")), StatusIs(StatusCode::kNotFound));

  ClientScript second;
  second.Hello()
      .Message(ResumableUpload("f.bin", 10, ready.resume_id()))
      .Chunk("56789")
      .UploadEnd(10, DigestBytes("0123456789"))
      .Bye();
  const SessionResult resumed = RunSession(second, &fs, options);
  ASSERT_THAT(resumed.Replies(), ElementsAre(HasBody(v1::ServerMessage::kUploadReady),
                                             HasBody(v1::ServerMessage::kUploadDone),
                                             HasBody(v1::ServerMessage::kBye)));
  EXPECT_EQ(resumed.Replies()[0].upload_ready().offset(), 5u);
  EXPECT_NE(resumed.Replies()[0].upload_ready().resume_id(), ready.resume_id());
  EXPECT_EQ(resumed.Replies()[1].upload_done().xxh3_128(), DigestBytes("0123456789"));
  EXPECT_THAT(fs.ReadFileForTest(*Path::Parse("f.bin")), IsOkAndHolds("0123456789"));
  ASSERT_FALSE(resumed.records.empty());
  EXPECT_EQ(resumed.records[0].bytes, 5u);  // only the rest crossed the wire
  EXPECT_EQ(kept.size(), 0u);
  EXPECT_EQ(fs.PendingUploadsForTest(), 0u);
}

// R-RESUME-6: without `resumable`, or after Cancel, nothing is kept.
TEST(SessionResume, CancelledOrPlainUploadsAreNotKept) {
  InMemoryFileSystem fs;
  KeptUploads kept;
  SessionOptions options;
  options.kept_uploads = &kept;
  ClientScript script;
  script.Hello()
      .Message(ResumableUpload("a.bin", 10))
      .Chunk("01234")
      .Cancel()
      .Upload("b.bin", 10)
      .Chunk("01234");  // then the stream ends
  const SessionResult result = RunSession(script, &fs, options);
  ASSERT_THAT(result.Replies(),
              ElementsAre(HasBody(v1::ServerMessage::kUploadReady), IsError(v1::CANCELLED, false),
                          HasBody(v1::ServerMessage::kUploadReady)));
  EXPECT_TRUE(result.Replies()[2].upload_ready().resume_id().empty());
  EXPECT_EQ(kept.size(), 0u);
  EXPECT_EQ(fs.PendingUploadsForTest(), 0u);
}

// R-RESUME-9: a server without a registry ignores `resumable`: no id, nothing kept.
TEST(SessionResume, ServerWithoutResumeIgnoresResumable) {
  InMemoryFileSystem fs;
  ClientScript script;
  script.Hello().Message(ResumableUpload("a.bin", 10)).Chunk("01234");
  const SessionResult result = RunSession(script, &fs);
  ASSERT_THAT(result.Replies(), ElementsAre(HasBody(v1::ServerMessage::kUploadReady)));
  EXPECT_EQ(result.Replies()[0].upload_ready().ByteSizeLong(), 0u);
  EXPECT_EQ(fs.PendingUploadsForTest(), 0u);
}

// R-RESUME-1, R-RESUME-3: the download side over memory: the chunks start at
// the offset, the digest covers the file, and the record counts only the rest.
TEST(SessionResume, DownloadFromAnOffsetSendsTheRest) {
  InMemoryFileSystem fs;
  FERRY_ASSERT_OK(fs.AddFile(*Path::Parse("f.bin"), "0123456789"));
  auto info = fs.Stat(*Path::Parse("f.bin"));
  ASSERT_THAT(info, IsOk());
  v1::ClientMessage request;
  request.mutable_download()->set_path("f.bin");
  request.mutable_download()->set_offset(6);
  request.mutable_download()->set_expect_size(10);
  request.mutable_download()->set_expect_mtime_unix_ns(info->mtime_unix_ns);
  ClientScript script;
  script.Hello().Message(request).Bye();
  const SessionResult result = RunSession(script, &fs);
  ASSERT_THAT(result.Replies(), ElementsAre(HasBody(v1::ServerMessage::kDownloadBegin),
                                            HasBody(v1::ServerMessage::kDownloadEnd),
                                            HasBody(v1::ServerMessage::kBye)));
  EXPECT_EQ(result.Replies()[0].download_begin().offset(), 6u);
  EXPECT_EQ(result.chunk_bytes, "6789");
  EXPECT_EQ(result.Replies()[1].download_end().xxh3_128(), DigestBytes("0123456789"));
  ASSERT_FALSE(result.records.empty());
  EXPECT_EQ(result.records[0].bytes, 4u);
}

}  // namespace
}  // namespace ferry
