// Spec section 9: errors, the set of fatal errors (9.2) and the bad-request
// budget (9.3); with R-SEC-4 on what error messages may reveal.
#include <cstdint>

#include "tests/conformance/conformance_fixture.h"

namespace ferry::conformance {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class ErrorsConformance : public ConformanceTest {
 protected:
  void SetUp() override {
    ConformanceTest::SetUp();
    Put("a.txt", "hello");
    std::filesystem::create_directory(root_ / "dir");
  }

  // One bad request of each kind R-ERROR-8 names, by index: its frames and the
  // code of its one reply.
  static std::pair<std::string, v1::ErrorCode> BadRequest(int kind) {
    switch (kind % 4) {
      case 0:
        return {Frame(UnparsablePayload()), v1::MALFORMED_MESSAGE};
      case 1:
        return {ChunkFrame("stray"), v1::UNEXPECTED_MESSAGE};
      case 2:
        return {Frame(NoBodyPayload()), v1::UNSUPPORTED};
      default:
        // An upload refused early with INVALID_ARGUMENT, its data phase cancelled.
        return {Frame(UploadMessage("x.bin", UINT64_MAX)) + Frame(CancelMessage()),
                v1::INVALID_ARGUMENT};
    }
  }

  // Sends `count` bad requests starting at kind `first`; each must be answered
  // with a non-fatal error.
  void SendBadRequests(RawConnection& connection, int count, int first = 0) {
    for (int i = first; i < first + count; ++i) {
      const auto [frames, code] = BadRequest(i);
      FERRY_ASSERT_OK(connection.SendRaw(frames));
      EXPECT_THAT(Read(connection), IsError(code)) << "bad request #" << i - first + 1;
    }
  }

  // Sends one more bad request, which must be fatal and close the connection.
  void ExpectFatalBadRequest(RawConnection& connection, int kind = 0) {
    const auto [frames, code] = BadRequest(kind);
    FERRY_ASSERT_OK(connection.SendRaw(frames));
    EXPECT_THAT(Read(connection), IsFatalError(code));
    EXPECT_TRUE(connection.ExpectClosed());
  }
};

// R-ERROR-8, R-ERROR-9, R-ERROR-10: the count starts at 0 with the handshake; the
// eighth consecutive bad request is fatal, whatever its kind.
class BudgetConformance : public ErrorsConformance, public ::testing::WithParamInterface<int> {};

TEST_P(BudgetConformance, EighthConsecutiveBadRequestIsFatal) {
  SendBadRequests(client(), 7, GetParam());
  ExpectFatalBadRequest(client(), GetParam() + 7);
}

std::string EighthKindName(const ::testing::TestParamInfo<int>& info) {
  static constexpr const char* kNames[] = {"MalformedMessage", "UnexpectedMessage", "Unsupported",
                                           "InvalidArgument"};
  return kNames[(info.param + 7) % 4];
}

INSTANTIATE_TEST_SUITE_P(LastKind, BudgetConformance, ::testing::Values(0, 1, 2, 3),
                         EighthKindName);

// R-ERROR-10: a success reply resets the count.
TEST_F(ErrorsConformance, SuccessResetsTheBadRequestCount) {
  SendBadRequests(client(), 7);
  EXPECT_THAT(Call(client(), StatMessage("a.txt")), HasBody(v1::ServerMessage::kStat));
  SendBadRequests(client(), 7);
  ExpectFatalBadRequest(client());
}

// R-ERROR-10: a completed upload is a success and resets the count too.
TEST_F(ErrorsConformance, SuccessfulUploadResetsTheBadRequestCount) {
  SendBadRequests(client(), 7);
  EXPECT_THAT(Upload(client(), "u.txt", "data"), HasBody(v1::ServerMessage::kUploadDone));
  SendBadRequests(client(), 7);
  ExpectFatalBadRequest(client());
}

// R-ERROR-10: errors with other codes leave the count unchanged.
TEST_F(ErrorsConformance, OtherErrorsNeitherCountNorReset) {
  SendBadRequests(client(), 4);
  EXPECT_THAT(Call(client(), StatMessage("missing")), IsError(v1::NOT_FOUND));
  EXPECT_THAT(Call(client(), StatMessage("a//b")), IsError(v1::INVALID_PATH));
  EXPECT_THAT(Call(client(), DownloadMessage("dir")), IsError(v1::IS_A_DIRECTORY));
  EXPECT_THAT(Upload(client(), "a.txt", "x"), IsError(v1::ALREADY_EXISTS));
  ASSERT_THAT(Call(client(), UploadMessage("c.txt", 3)), HasBody(v1::ServerMessage::kUploadReady));
  EXPECT_THAT(Call(client(), CancelMessage()), IsError(v1::CANCELLED));
  SendBadRequests(client(), 3, 4);
  ExpectFatalBadRequest(client());
}

// R-ERROR-10, R-CANCEL-1, R-UPLOAD-8: frames that get no reply leave the count
// unchanged: Cancel in READY, and frames dropped in UPLOAD_DISCARD.
TEST_F(ErrorsConformance, FramesWithoutReplyNeitherCountNorReset) {
  SendBadRequests(client(), 4);
  FERRY_ASSERT_OK(client().SendFrame(CancelMessage()));
  EXPECT_THAT(Call(client(), UploadMessage("a.txt", 5)), IsError(v1::ALREADY_EXISTS));
  FERRY_ASSERT_OK(client().SendRaw(ChunkFrame("") + ChunkFrame("hello") +
                                   Frame(UploadEndMessage(5, "bad digest"))));
  FERRY_ASSERT_OK(client().SendFrame(CancelMessage()));
  SendBadRequests(client(), 3, 4);
  ExpectFatalBadRequest(client());
}

// R-ERROR-8: an upload ending in INVALID_ARGUMENT counts once, however many of its
// frames were dropped.
TEST_F(ErrorsConformance, UploadWithInvalidArgumentCountsAsOneBadRequest) {
  SendBadRequests(client(), 6);
  ASSERT_THAT(Call(client(), UploadMessage("u.txt", 5)), HasBody(v1::ServerMessage::kUploadReady));
  FERRY_ASSERT_OK(client().SendChunk(""));
  EXPECT_THAT(Read(client()), IsError(v1::INVALID_ARGUMENT));  // the 7th
  FERRY_ASSERT_OK(client().SendRaw(ChunkFrame("") + ChunkFrame("") + ChunkFrame("")));
  FERRY_ASSERT_OK(client().SendFrame(CancelMessage()));
  ExpectFatalBadRequest(client());  // the 8th
}

// R-ERROR-9, R-UPLOAD-7: an upload's INVALID_ARGUMENT can itself be the 8th.
TEST_F(ErrorsConformance, EmptyChunkAsTheEighthBadRequestIsFatal) {
  SendBadRequests(client(), 7);
  ASSERT_THAT(Call(client(), UploadMessage("u.txt", 5)), HasBody(v1::ServerMessage::kUploadReady));
  FERRY_ASSERT_OK(client().SendChunk(""));
  EXPECT_THAT(Read(client()), IsFatalError(v1::INVALID_ARGUMENT));
  EXPECT_TRUE(client().ExpectClosed());
  ASSERT_TRUE(WaitForLog("event=disconnect"));
  EXPECT_FALSE(Exists("u.txt"));
  EXPECT_TRUE(Temporaries().empty());
}

// R-ERROR-9, R-UPLOAD-9: a digest of the wrong length as the 8th is fatal.
TEST_F(ErrorsConformance, ShortDigestAsTheEighthBadRequestIsFatal) {
  SendBadRequests(client(), 7);
  ASSERT_THAT(Call(client(), UploadMessage("u.txt", 5)), HasBody(v1::ServerMessage::kUploadReady));
  FERRY_ASSERT_OK(client().SendChunk("hello"));
  EXPECT_THAT(Call(client(), UploadEndMessage(5, "short")), IsFatalError(v1::INVALID_ARGUMENT));
  EXPECT_TRUE(client().ExpectClosed());
  ASSERT_TRUE(WaitForLog("event=disconnect"));
  EXPECT_FALSE(Exists("u.txt"));
}

// R-ERROR-10: the count belongs to one connection.
TEST_F(ErrorsConformance, EachConnectionHasItsOwnBudget) {
  auto other = OpenSession();
  ASSERT_NE(other, nullptr);
  SendBadRequests(client(), 7);
  SendBadRequests(*other, 7);
  EXPECT_THAT(Call(client(), StatMessage("a.txt")), HasBody(v1::ServerMessage::kStat));
  ExpectFatalBadRequest(*other);
}

// R-ERROR-5, R-ERROR-4, 9.2: outside the fatal set every error leaves the
// connection open, in the state 5.5 gives.
struct NonFatalCase {
  const char* name;
  std::string frames;
  v1::ErrorCode code;
};
void PrintTo(const NonFatalCase& error, std::ostream* os) { *os << error.name; }

class NonFatalErrorConformance : public ErrorsConformance,
                                 public ::testing::WithParamInterface<NonFatalCase> {
 protected:
  void SetUp() override {
    ErrorsConformance::SetUp();
    MakeFifo("fifo");
    MakeSymlink(outside_, "out");
  }
};

TEST_P(NonFatalErrorConformance, KeepsTheConnectionOpen) {
  FERRY_ASSERT_OK(client().SendRaw(GetParam().frames));
  ServerFrame reply = Read(client());
  // Uploads failing in their data phase are accepted first.
  if (reply.message.has_upload_ready()) reply = Read(client());
  EXPECT_THAT(reply, IsError(GetParam().code));
  EXPECT_NE(reply.message.error().code(), v1::ERROR_CODE_UNSPECIFIED);  // R-ERROR-1
  EXPECT_THAT(Call(client(), StatMessage("a.txt")), HasBody(v1::ServerMessage::kStat));
}

std::string UploadThen(std::string_view path, uint64_t size, bool overwrite, std::string rest) {
  return Frame(UploadMessage(path, size, overwrite)) + rest;
}

INSTANTIATE_TEST_SUITE_P(
    Codes, NonFatalErrorConformance,
    ::testing::Values(
        NonFatalCase{"NotFound", Frame(StatMessage("missing")), v1::NOT_FOUND},
        NonFatalCase{"AlreadyExists", UploadThen("a.txt", 1, false, Frame(CancelMessage())),
                     v1::ALREADY_EXISTS},
        NonFatalCase{"IsADirectory", Frame(RemoveMessage("dir")), v1::IS_A_DIRECTORY},
        NonFatalCase{"NotADirectory", Frame(ListMessage("a.txt")), v1::NOT_A_DIRECTORY},
        NonFatalCase{"NotARegularFile", Frame(DownloadMessage("fifo")), v1::NOT_A_REGULAR_FILE},
        NonFatalCase{"PermissionDenied", Frame(ListMessage("out")), v1::PERMISSION_DENIED},
        NonFatalCase{"NoSpace",
                     UploadThen("huge", uint64_t{INT64_MAX}, false, Frame(CancelMessage())),
                     v1::NO_SPACE},
        NonFatalCase{"InvalidPath", Frame(StatMessage("..")), v1::INVALID_PATH},
        NonFatalCase{"InvalidArgument",
                     UploadThen("u", 5, false, ChunkFrame("") + Frame(CancelMessage())),
                     v1::INVALID_ARGUMENT},
        NonFatalCase{"SizeMismatch",
                     UploadThen("u", 5, false,
                                ChunkFrame("hi") + Frame(UploadEndMessage(5, WireDigest("hi")))),
                     v1::SIZE_MISMATCH},
        NonFatalCase{"ChecksumMismatch",
                     UploadThen("u", 5, false,
                                ChunkFrame("hello") + Frame(UploadEndMessage(5, kEmptyDigest))),
                     v1::CHECKSUM_MISMATCH},
        NonFatalCase{"Cancelled", UploadThen("u", 5, false, Frame(CancelMessage())), v1::CANCELLED},
        NonFatalCase{"MalformedMessage", Frame(UnparsablePayload()), v1::MALFORMED_MESSAGE},
        NonFatalCase{"UnexpectedMessage", Frame(Hello()), v1::UNEXPECTED_MESSAGE},
        NonFatalCase{"Unsupported", Frame(NoBodyPayload()), v1::UNSUPPORTED}),
    [](const auto& test) { return std::string(test.param.name); });

// R-ERROR-1: Error.path is the request's path exactly as sent.
TEST_F(ErrorsConformance, ErrorPathIsTheRequestPathAsSent) {
  for (const char* path : {"/missing.txt/", "missing.txt", "a//b", "./a.txt", "/nodir/x"}) {
    SCOPED_TRACE(path);
    const ServerFrame reply = Call(client(), StatMessage(path));
    ASSERT_TRUE(reply.is_error());
    EXPECT_EQ(reply.message.error().path(), path);
  }
  EXPECT_EQ(Upload(client(), "/a.txt", "x").message.error().path(), "/a.txt");
}

// R-ERROR-1: errors about no request path carry an empty path.
TEST_F(ErrorsConformance, ErrorsWithoutARequestPathHaveAnEmptyPath) {
  for (const std::string& frame :
       {ChunkFrame("x"), Frame(NoBodyPayload()), Frame(UnparsablePayload()), Frame(Hello())}) {
    FERRY_ASSERT_OK(client().SendRaw(frame));
    const ServerFrame reply = Read(client());
    ASSERT_TRUE(reply.is_error());
    EXPECT_EQ(reply.message.error().path(), "");
  }
  FERRY_ASSERT_OK(client().SendHeader(0));
  const ServerFrame fatal = Read(client());
  ASSERT_TRUE(fatal.is_error());
  EXPECT_EQ(fatal.message.error().path(), "");
}

// R-ERROR-6: a POSIX server maps errno values as the 9.1 table says.
TEST_F(ErrorsConformance, ErrnoValuesMapToTheTableCodes) {
  MakeSymlink("loop", "loop");               // ELOOP
  MakeSymlink(root_ / "a.txt", "absolute");  // EXDEV from openat2 (absolute target)
  MakeSymlink("../outside", "up");           // EXDEV (leaves the root)
  EXPECT_THAT(Call(client(), StatMessage("nothing")), IsError(v1::NOT_FOUND));           // ENOENT
  EXPECT_THAT(Call(client(), StatMessage("a.txt/x")), IsError(v1::NOT_A_DIRECTORY));     // ENOTDIR
  EXPECT_THAT(Call(client(), RemoveMessage("dir")), IsError(v1::IS_A_DIRECTORY));        // EISDIR
  EXPECT_THAT(Call(client(), StatMessage("loop")), IsError(v1::PERMISSION_DENIED));      // ELOOP
  EXPECT_THAT(Call(client(), StatMessage("absolute")), IsError(v1::PERMISSION_DENIED));  // EXDEV
  EXPECT_THAT(Call(client(), StatMessage("up/x")), IsError(v1::PERMISSION_DENIED));      // EXDEV
  ASSERT_THAT(Call(client(), UploadMessage("huge2", uint64_t{INT64_MAX})),
              IsError(v1::NO_SPACE));  // EFBIG
  FERRY_ASSERT_OK(client().SendFrame(CancelMessage()));
  // EEXIST from the no-clobber move at commit.
  ASSERT_THAT(Call(client(), UploadMessage("late.txt", 1)),
              HasBody(v1::ServerMessage::kUploadReady));
  FERRY_ASSERT_OK(client().SendChunk("x"));
  Put("late.txt", "first");
  EXPECT_THAT(Call(client(), UploadEndMessage(1, WireDigest("x"))), IsError(v1::ALREADY_EXISTS));
}

// R-SEC-4: messages never reveal where the root is on the host.
TEST_F(ErrorsConformance, MessagesDoNotRevealHostPaths) {
  MakeSymlink(outside_, "out");
  MakeSymlink("loop", "loop");
  MakeFifo("fifo");
  std::vector<ServerFrame> replies = {
      Call(client(), StatMessage("missing")), Call(client(), StatMessage("a.txt/x")),
      Call(client(), ListMessage("out")),     Call(client(), StatMessage("loop")),
      Call(client(), DownloadMessage("dir")), Call(client(), DownloadMessage("fifo")),
      Call(client(), RemoveMessage("dir")),   Upload(client(), "a.txt", "x"),
      Upload(client(), "nodir/x", "x"),       Upload(client(), "out/x", "x", true),
  };
  const std::string top = top_.path().string();
  for (const ServerFrame& reply : replies) {
    ASSERT_TRUE(reply.is_error()) << ::testing::PrintToString(reply);
    EXPECT_THAT(reply.message.error().message(), Not(HasSubstr(top)));
    EXPECT_THAT(reply.message.error().message(), Not(HasSubstr(outside_.string())));
  }
}

}  // namespace
}  // namespace ferry::conformance
