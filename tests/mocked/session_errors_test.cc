// Every filesystem failure the FileSystem interface documents, injected into a
// Session through MockFileSystem (delegating to InMemoryFileSystem otherwise):
// each must reach the client as a non-fatal Error with the matching wire code and
// the request's path, and the session must go on serving. Then the failures that
// can only happen in the middle of a transfer or a listing.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "src/codec/limits.h"
#include "src/fs/in_memory_file_system.h"
#include "src/server/session.h"
#include "tests/mocks/mock_file_system.h"
#include "tests/testing/session_driver.h"
#include "tests/testing/status_matchers.h"

namespace ferry {

// For readable mock failure messages.
void PrintTo(const Path& path, std::ostream* os) { *os << "Path(\"" << path.ToString() << "\")"; }

namespace {

using ::ferry::testing::ClientScript;
using ::ferry::testing::DigestBytes;
using ::ferry::testing::HasBody;
using ::ferry::testing::IsError;
using ::ferry::testing::IsErrorFor;
using ::ferry::testing::RunSession;
using ::ferry::testing::RunSessionExpectingFrames;
using ::ferry::testing::SessionResult;
using ::testing::_;
using ::testing::AllOf;
using ::testing::AnyNumber;
using ::testing::ByMove;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::InSequence;
using ::testing::NiceMock;
using ::testing::Return;
using ::testing::ReturnRef;
using ::testing::SizeIs;
using ::testing::StrictMock;

using Body = v1::ServerMessage::BodyCase;

constexpr uint32_t kFrame = limits::kMinFrameBytes;
constexpr uint32_t kChunk = kFrame - limits::kChunkOverheadBytes;

Path P(std::string_view text) { return Path::Parse(text).value(); }

class SessionWithMockTest : public ::testing::Test {
 protected:
  void SetUp() override {
    FERRY_ASSERT_OK(fake_.AddFile(P("dir/target"), "old contents"));
    FERRY_ASSERT_OK(fake_.AddFile(P("other"), "other contents"));
    fs_.DelegateToFake(&fake_);
    // Calls no test claims go to the fake. (Without these, a call that misses a
    // test's path-specific EXPECT_CALL would count as unexpected.)
    EXPECT_CALL(fs_, Stat(_)).Times(AnyNumber());
    EXPECT_CALL(fs_, OpenDirectory(_)).Times(AnyNumber());
    EXPECT_CALL(fs_, Remove(_)).Times(AnyNumber());
    EXPECT_CALL(fs_, OpenForRead(_)).Times(AnyNumber());
    EXPECT_CALL(fs_, CreateUpload(_, _)).Times(AnyNumber());
    EXPECT_CALL(fs_, MakeDirectory(_)).Times(AnyNumber());
    EXPECT_CALL(fs_, RemoveDirectory(_)).Times(AnyNumber());
    EXPECT_CALL(fs_, Rename(_, _, _)).Times(AnyNumber());
  }

  SessionResult Run(const ClientScript& script) { return RunSessionExpectingFrames(script, &fs_); }

  InMemoryFileSystem fake_;
  NiceMock<MockFileSystem> fs_;
};

// ---------------------------------------------------------------------------
// The matrix: command x documented error code

enum class Command {
  kList,
  kStat,
  kRemove,
  kDownload,
  kUpload,
  kMakeDirectory,
  kRemoveDirectory,
  kRename,
  kHash
};

struct Injection {
  Command command;
  StatusCode code;
  v1::ErrorCode wire;
};

std::string CommandName(Command command) {
  switch (command) {
    case Command::kList:
      return "List";
    case Command::kStat:
      return "Stat";
    case Command::kRemove:
      return "Remove";
    case Command::kDownload:
      return "Download";
    case Command::kUpload:
      return "Upload";
    case Command::kMakeDirectory:
      return "MakeDirectory";
    case Command::kRemoveDirectory:
      return "RemoveDirectory";
    case Command::kRename:
      return "Rename";
    case Command::kHash:
      return "Hash";
  }
  return "?";
}

void PrintTo(const Injection& c, std::ostream* os) {
  *os << CommandName(c.command) << " " << StatusCodeName(c.code);
}

std::string TestName(const ::testing::TestParamInfo<Injection>& info) {
  std::string name = CommandName(info.param.command) + "_";
  for (const char c : v1::ErrorCode_Name(info.param.wire)) {
    if (c != '_') name.push_back(c);
  }
  return name;
}

// The codes each FileSystem method may return (src/fs/file_system.h), plus the
// kIoError and kBusy any of them can meet on a real disk (EIO; EMFILE, ETXTBSY).
std::vector<Injection> Matrix() {
  const std::vector<std::pair<StatusCode, v1::ErrorCode>> lookup = {
      {StatusCode::kNotFound, v1::NOT_FOUND},
      {StatusCode::kNotADirectory, v1::NOT_A_DIRECTORY},
      {StatusCode::kPermissionDenied, v1::PERMISSION_DENIED},
      {StatusCode::kIoError, v1::IO_ERROR},
      {StatusCode::kBusy, v1::BUSY},
  };
  std::vector<Injection> out;
  for (const Command command :
       {Command::kList, Command::kStat, Command::kRemove, Command::kDownload, Command::kUpload,
        Command::kMakeDirectory, Command::kRemoveDirectory, Command::kRename, Command::kHash}) {
    for (const auto& [code, wire] : lookup) out.push_back({command, code, wire});
  }
  out.push_back({Command::kRemove, StatusCode::kInvalidPath, v1::INVALID_PATH});
  out.push_back({Command::kRemove, StatusCode::kIsADirectory, v1::IS_A_DIRECTORY});
  out.push_back({Command::kDownload, StatusCode::kIsADirectory, v1::IS_A_DIRECTORY});
  out.push_back({Command::kDownload, StatusCode::kNotARegularFile, v1::NOT_A_REGULAR_FILE});
  out.push_back({Command::kUpload, StatusCode::kInvalidPath, v1::INVALID_PATH});
  out.push_back({Command::kUpload, StatusCode::kIsADirectory, v1::IS_A_DIRECTORY});
  out.push_back({Command::kUpload, StatusCode::kAlreadyExists, v1::ALREADY_EXISTS});
  out.push_back({Command::kUpload, StatusCode::kNotARegularFile, v1::NOT_A_REGULAR_FILE});
  out.push_back({Command::kUpload, StatusCode::kNoSpace, v1::NO_SPACE});
  // R-MKDIR-1, R-MKDIR-2, R-MKDIR-3.
  out.push_back({Command::kMakeDirectory, StatusCode::kInvalidPath, v1::INVALID_PATH});
  out.push_back({Command::kMakeDirectory, StatusCode::kAlreadyExists, v1::ALREADY_EXISTS});
  out.push_back({Command::kMakeDirectory, StatusCode::kNoSpace, v1::NO_SPACE});
  // R-RMDIR-1, R-RMDIR-2, R-RMDIR-3.
  out.push_back({Command::kRemoveDirectory, StatusCode::kInvalidPath, v1::INVALID_PATH});
  out.push_back(
      {Command::kRemoveDirectory, StatusCode::kDirectoryNotEmpty, v1::DIRECTORY_NOT_EMPTY});
  // R-RENAME-2, R-RENAME-3, R-RENAME-4, R-RENAME-7: every code Rename documents,
  // each with Error.path = from.
  for (const auto& [code, wire] : std::vector<std::pair<StatusCode, v1::ErrorCode>>{
           {StatusCode::kInvalidPath, v1::INVALID_PATH},
           {StatusCode::kIsADirectory, v1::IS_A_DIRECTORY},
           {StatusCode::kAlreadyExists, v1::ALREADY_EXISTS},
           {StatusCode::kDirectoryNotEmpty, v1::DIRECTORY_NOT_EMPTY},
           {StatusCode::kNoSpace, v1::NO_SPACE}}) {
    out.push_back({Command::kRename, code, wire});
  }
  // R-HASH-1: the errors of opening, as for a download.
  out.push_back({Command::kHash, StatusCode::kIsADirectory, v1::IS_A_DIRECTORY});
  out.push_back({Command::kHash, StatusCode::kNotARegularFile, v1::NOT_A_REGULAR_FILE});
  return out;
}

class SessionFileSystemError : public SessionWithMockTest,
                               public ::testing::WithParamInterface<Injection> {};

TEST_P(SessionFileSystemError, IsReportedWithItsWireCodeAndTheSessionGoesOn) {
  const Status injected = Status::Error(GetParam().code, "injected failure");
  const Path target = P("dir/target");
  ClientScript script;
  script.Hello();
  switch (GetParam().command) {
    case Command::kList:
      EXPECT_CALL(fs_, OpenDirectory(target))
          .WillOnce(
              [&](const Path&) -> StatusOr<std::unique_ptr<DirectoryStream>> { return injected; });
      script.List("dir/target");
      break;
    case Command::kStat:
      EXPECT_CALL(fs_, Stat(target)).WillOnce(Return(StatusOr<FileInfo>(injected)));
      script.Stat("dir/target");
      break;
    case Command::kRemove:
      EXPECT_CALL(fs_, Remove(target)).WillOnce(Return(injected));
      script.Remove("dir/target");
      break;
    case Command::kDownload:
      EXPECT_CALL(fs_, OpenForRead(target))
          .WillOnce(
              [&](const Path&) -> StatusOr<std::unique_ptr<ReadableFile>> { return injected; });
      script.Download("dir/target");
      break;
    case Command::kUpload:
      EXPECT_CALL(fs_, CreateUpload(target, _))
          .WillOnce(
              [&](const Path&, const UploadOptions&) -> StatusOr<std::unique_ptr<PendingUpload>> {
                return injected;
              });
      script.Upload("dir/target", 6, /*overwrite=*/true).Chunk("new").Chunk("new");
      script.UploadEnd(6, DigestBytes("newnew"));
      break;
    case Command::kMakeDirectory:
      EXPECT_CALL(fs_, MakeDirectory(target)).WillOnce(Return(injected));
      script.MakeDirectory("dir/target");
      break;
    case Command::kRemoveDirectory:
      EXPECT_CALL(fs_, RemoveDirectory(target)).WillOnce(Return(injected));
      script.RemoveDirectory("dir/target");
      break;
    case Command::kRename:
      EXPECT_CALL(fs_, Rename(target, P("dir/moved"), true)).WillOnce(Return(injected));
      script.Rename("dir/target", "dir/moved", /*overwrite=*/true);
      break;
    case Command::kHash:
      EXPECT_CALL(fs_, OpenForRead(target))
          .WillOnce(
              [&](const Path&) -> StatusOr<std::unique_ptr<ReadableFile>> { return injected; });
      script.Hash("dir/target");
      break;
  }
  script.Stat("other").Bye();

  const SessionResult result = Run(script);
  ASSERT_THAT(result.Replies(), ElementsAre(IsErrorFor(GetParam().wire, "dir/target", false),
                                            HasBody(Body::kStat), HasBody(Body::kBye)));
  EXPECT_THAT(result.Replies()[0].error().message(), HasSubstr("injected failure"));
  EXPECT_EQ(result.Replies()[1].stat().info().size(), 14u);
  EXPECT_EQ(fake_.ReadFileForTest(P("dir/target")).value(), "old contents");
  EXPECT_EQ(fake_.PendingUploadsForTest(), 0u);
  ASSERT_THAT(result.records, SizeIs(3));
  EXPECT_THAT(result.records[0].result, StatusIs(GetParam().code));
}

INSTANTIATE_TEST_SUITE_P(Matrix, SessionFileSystemError, ::testing::ValuesIn(Matrix()), TestName);

// ---------------------------------------------------------------------------
// What never reaches the filesystem

TEST_F(SessionWithMockTest, InvalidPathsNeverReachTheFileSystem) {
  EXPECT_CALL(fs_, Stat(_)).Times(0);
  EXPECT_CALL(fs_, OpenDirectory(_)).Times(0);
  EXPECT_CALL(fs_, Remove(_)).Times(0);
  EXPECT_CALL(fs_, OpenForRead(_)).Times(0);
  EXPECT_CALL(fs_, CreateUpload(_, _)).Times(0);
  ClientScript script;
  script.Hello().Stat("a/../other").List("a//b").Remove("").Download(".").Upload("..", 1);
  script.Cancel().Bye();
  EXPECT_THAT(Run(script).Replies(),
              ElementsAre(IsError(v1::INVALID_PATH, false), IsError(v1::INVALID_PATH, false),
                          IsError(v1::INVALID_PATH, false), IsError(v1::INVALID_PATH, false),
                          IsError(v1::INVALID_PATH, false), HasBody(Body::kBye)));
}

// R-MKDIR-2 (the root), R-PATH-7: refused by the session itself.
TEST_F(SessionWithMockTest, MakeDirectoryOfTheRootOrABadPathNeverReachesTheFileSystem) {
  EXPECT_CALL(fs_, MakeDirectory(_)).Times(0);
  ClientScript script;
  script.Hello().MakeDirectory("").MakeDirectory("/").MakeDirectory("a/../b");
  script.MakeDirectory(".ferry-part.x").MakeDirectory("d/.ferry-part.y").Bye();
  EXPECT_THAT(
      Run(script).Replies(),
      ElementsAre(IsErrorFor(v1::INVALID_PATH, "", false), IsErrorFor(v1::INVALID_PATH, "/", false),
                  IsErrorFor(v1::INVALID_PATH, "a/../b", false),
                  IsErrorFor(v1::INVALID_PATH, ".ferry-part.x", false),
                  IsErrorFor(v1::INVALID_PATH, "d/.ferry-part.y", false), HasBody(Body::kBye)));
}

// R-RMDIR-3 (the root), R-PATH-7: refused by the session itself.
TEST_F(SessionWithMockTest, RemoveDirectoryOfTheRootOrABadPathNeverReachesTheFileSystem) {
  EXPECT_CALL(fs_, RemoveDirectory(_)).Times(0);
  ClientScript script;
  script.Hello().RemoveDirectory("").RemoveDirectory("//").RemoveDirectory("..");
  script.RemoveDirectory(".ferry-part.x").Bye();
  EXPECT_THAT(
      Run(script).Replies(),
      ElementsAre(IsErrorFor(v1::INVALID_PATH, "", false),
                  IsErrorFor(v1::INVALID_PATH, "//", false),
                  IsErrorFor(v1::INVALID_PATH, "..", false),
                  IsErrorFor(v1::INVALID_PATH, ".ferry-part.x", false), HasBody(Body::kBye)));
}

TEST_F(SessionWithMockTest, UploadOf2To63BytesIsRefusedBeforeCreateUpload) {
  EXPECT_CALL(fs_, CreateUpload(_, _)).Times(0);
  ClientScript script;
  script.Hello().Upload("big", uint64_t{1} << 63).Cancel().Bye();
  EXPECT_THAT(Run(script).Replies(),
              ElementsAre(IsErrorFor(v1::INVALID_ARGUMENT, "big", false), HasBody(Body::kBye)));
}

TEST_F(SessionWithMockTest, FileSystemReceivesTheNormalisedPathAndUploadOptions) {
  EXPECT_CALL(fs_, Stat(P("dir/target")));
  EXPECT_CALL(fs_, CreateUpload(P("dir/new"), AllOf(Field(&UploadOptions::size, 3u),
                                                    Field(&UploadOptions::overwrite, true))));
  ClientScript script;
  script.Hello().Stat("/dir/target/").Upload("/dir/new", 3, true).UploadData("abc").Bye();
  EXPECT_THAT(Run(script).Replies(), ElementsAre(HasBody(Body::kStat), HasBody(Body::kUploadReady),
                                                 HasBody(Body::kUploadDone), HasBody(Body::kBye)));
}

// ---------------------------------------------------------------------------
// Uploads failing after UploadReady (MockPendingUpload)

// Hands out `upload` from the next CreateUpload for "dir/target".
void ExpectCreateUpload(MockFileSystem* fs, std::unique_ptr<PendingUpload> upload) {
  EXPECT_CALL(*fs, CreateUpload(P("dir/target"), _))
      .WillOnce(Return(ByMove(StatusOr<std::unique_ptr<PendingUpload>>(std::move(upload)))));
}

std::string AsString(std::span<const uint8_t> data) {
  return std::string(reinterpret_cast<const char*>(data.data()), data.size());
}

TEST_F(SessionWithMockTest, WriteFailingOnTheSecondChunkIsNoSpaceAndTheRestIsDiscarded) {
  auto upload = std::make_unique<StrictMock<MockPendingUpload>>();
  std::vector<std::string> written;
  {
    InSequence in_order;
    EXPECT_CALL(*upload, Write(_)).WillOnce([&](std::span<const uint8_t> data) {
      written.push_back(AsString(data));
      return Status::Ok();
    });
    EXPECT_CALL(*upload, Write(_)).WillOnce([&](std::span<const uint8_t> data) {
      written.push_back(AsString(data));
      return Status::Error(StatusCode::kNoSpace, "write: no space left on device");
    });
  }
  // No Commit: StrictMock fails the test if it is called.
  ExpectCreateUpload(&fs_, std::move(upload));
  ClientScript script;
  script.Hello().Upload("dir/target", 9, true).Chunk("abc").Chunk("def").Chunk("ghi");
  script.UploadEnd(9, DigestBytes("abcdefghi")).Stat("other").Bye();
  const SessionResult result = Run(script);
  EXPECT_THAT(result.Replies(), ElementsAre(HasBody(Body::kUploadReady),
                                            IsErrorFor(v1::NO_SPACE, "dir/target", false),
                                            HasBody(Body::kStat), HasBody(Body::kBye)));
  EXPECT_THAT(written, ElementsAre("abc", "def"));
  EXPECT_EQ(fake_.ReadFileForTest(P("dir/target")).value(), "old contents");
}

// R-RESUME-6: a resumable upload is kept only if flushing its bytes works; a
// failed flush keeps nothing (the temporary is gone with the upload).
TEST_F(SessionWithMockTest, ResumableUploadWhoseFlushFailsAtConnectionLossIsNotKept) {
  auto upload = std::make_unique<StrictMock<MockPendingUpload>>();
  EXPECT_CALL(*upload, Write(_)).WillOnce(Return(Status::Ok()));
  EXPECT_CALL(*upload, Keep())
      .WillOnce(Return(ByMove(StatusOr<std::unique_ptr<KeptUpload>>(
          Status::Error(StatusCode::kIoError, "flush file: input/output error")))));
  ExpectCreateUpload(&fs_, std::move(upload));
  KeptUploads kept;
  SessionOptions options;
  options.kept_uploads = &kept;
  v1::ClientMessage request;
  request.mutable_upload()->set_path("dir/target");
  request.mutable_upload()->set_size(9);
  request.mutable_upload()->set_overwrite(true);
  request.mutable_upload()->set_resumable(true);
  ClientScript script;
  script.Hello().Message(request).Chunk("abc");  // then the connection is lost
  const SessionResult result = RunSession(script, &fs_, options);
  EXPECT_THAT(result.Replies(), ElementsAre(HasBody(Body::kUploadReady)));
  EXPECT_EQ(kept.size(), 0u);
  EXPECT_EQ(fake_.ReadFileForTest(P("dir/target")).value(), "old contents");
}

struct CommitFailure {
  StatusCode code;
  v1::ErrorCode wire;
};

void PrintTo(const CommitFailure& c, std::ostream* os) { *os << StatusCodeName(c.code); }

class SessionCommitFails : public SessionWithMockTest,
                           public ::testing::WithParamInterface<CommitFailure> {};

TEST_P(SessionCommitFails, WithItsWireCodeAfterAllDataWasWritten) {
  auto upload = std::make_unique<StrictMock<MockPendingUpload>>();
  EXPECT_CALL(*upload, Write(_)).Times(2).WillRepeatedly(Return(Status::Ok()));
  EXPECT_CALL(*upload, Commit())
      .WillOnce(Return(Status::Error(GetParam().code, "commit: injected")));
  ExpectCreateUpload(&fs_, std::move(upload));
  ClientScript script;
  script.Hello().Upload("dir/target", 6, true).UploadData("abcdef", 3).Stat("other").Bye();
  EXPECT_THAT(Run(script).Replies(), ElementsAre(HasBody(Body::kUploadReady),
                                                 IsErrorFor(GetParam().wire, "dir/target", false),
                                                 HasBody(Body::kStat), HasBody(Body::kBye)));
}

INSTANTIATE_TEST_SUITE_P(Codes, SessionCommitFails,
                         ::testing::Values(CommitFailure{StatusCode::kIoError, v1::IO_ERROR},
                                           CommitFailure{StatusCode::kNoSpace, v1::NO_SPACE},
                                           CommitFailure{StatusCode::kAlreadyExists,
                                                         v1::ALREADY_EXISTS}));

TEST_F(SessionWithMockTest, NothingIsCommittedWhenSizeOrDigestIsWrongOrTheClientCancels) {
  ClientScript script;
  script.Hello();
  script.Upload("dir/target", 6, true).Chunk("abc").UploadEnd(6, DigestBytes("abc"));
  script.Upload("dir/target", 6, true).Chunk("abcdef").UploadEnd(6, DigestBytes("abcdeF"));
  script.Upload("dir/target", 6, true).Chunk("abcdef").UploadEnd(6, "short");
  script.Upload("dir/target", 6, true).Chunk("abc").Cancel();
  // The last one is right and commits: proof that a Commit would have been seen.
  script.Upload("dir/target", 6, true).UploadData("abcdef").Bye();

  std::vector<std::unique_ptr<StrictMock<MockPendingUpload>>> uploads;
  for (int i = 0; i < 5; ++i) {
    uploads.push_back(std::make_unique<StrictMock<MockPendingUpload>>());
    EXPECT_CALL(*uploads.back(), Write(_)).WillRepeatedly(Return(Status::Ok()));
  }
  EXPECT_CALL(*uploads.back(), Commit()).WillOnce(Return(Status::Ok()));
  {
    InSequence in_order;
    for (auto& upload : uploads) {
      EXPECT_CALL(fs_, CreateUpload(P("dir/target"), _))
          .WillOnce(Return(ByMove(StatusOr<std::unique_ptr<PendingUpload>>(
              std::unique_ptr<PendingUpload>(std::move(upload))))));
    }
  }
  EXPECT_THAT(
      Run(script).Replies(),
      ElementsAre(HasBody(Body::kUploadReady), IsError(v1::SIZE_MISMATCH, false),
                  HasBody(Body::kUploadReady), IsError(v1::CHECKSUM_MISMATCH, false),
                  HasBody(Body::kUploadReady), IsError(v1::INVALID_ARGUMENT, false),
                  HasBody(Body::kUploadReady), IsError(v1::CANCELLED, false),
                  HasBody(Body::kUploadReady), HasBody(Body::kUploadDone), HasBody(Body::kBye)));
}

// ---------------------------------------------------------------------------
// Downloads failing after DownloadBegin (MockReadableFile)

// A readable file of `size` bytes whose ReadAt is scripted by the test.
std::unique_ptr<StrictMock<MockReadableFile>> ScriptedFile(const FileInfo* info) {
  auto file = std::make_unique<StrictMock<MockReadableFile>>();
  EXPECT_CALL(*file, info()).WillRepeatedly(ReturnRef(*info));
  EXPECT_CALL(*file, native_handle()).WillRepeatedly(Return(-1));
  return file;
}

// Fills the buffer with 'r' and reports all of it read.
StatusOr<size_t> FullRead(uint64_t, std::span<uint8_t> out) {
  std::memset(out.data(), 'r', out.size());
  return out.size();
}

void ExpectOpenForRead(MockFileSystem* fs, std::unique_ptr<ReadableFile> file) {
  EXPECT_CALL(*fs, OpenForRead(P("dir/target")))
      .WillOnce(Return(ByMove(StatusOr<std::unique_ptr<ReadableFile>>(std::move(file)))));
}

TEST_F(SessionWithMockTest, ReadFailingMidDownloadIsIoErrorAfterTheChunksSent) {
  const FileInfo info{.name = "target", .size = 5 * kChunk};
  auto file = ScriptedFile(&info);
  {
    InSequence in_order;
    EXPECT_CALL(*file, ReadAt(0, _)).WillOnce(FullRead);
    EXPECT_CALL(*file, ReadAt(kChunk, _)).WillOnce(FullRead);
    EXPECT_CALL(*file, ReadAt(2 * kChunk, _))
        .WillOnce(Return(StatusOr<size_t>(Status::Error(StatusCode::kIoError, "read: EIO"))));
  }
  ExpectOpenForRead(&fs_, std::move(file));
  ClientScript script;
  script.Hello(kFrame).Download("dir/target").Stat("other").Bye();
  const SessionResult result = Run(script);
  EXPECT_THAT(result.Replies(), ElementsAre(HasBody(Body::kDownloadBegin),
                                            IsErrorFor(v1::IO_ERROR, "dir/target", false),
                                            HasBody(Body::kStat), HasBody(Body::kBye)));
  EXPECT_THAT(result.chunk_sizes, ElementsAre(kChunk, kChunk));
  ASSERT_THAT(result.records, SizeIs(3));
  EXPECT_EQ(result.records[0].bytes, 2u * kChunk);
}

TEST_F(SessionWithMockTest, FileShrinkingMidDownloadIsIoError) {
  const FileInfo info{.name = "target", .size = 3 * kChunk};
  auto file = ScriptedFile(&info);
  {
    InSequence in_order;
    EXPECT_CALL(*file, ReadAt(0, _)).WillOnce(FullRead);
    EXPECT_CALL(*file, ReadAt(kChunk, _)).WillOnce(Return(StatusOr<size_t>(size_t{0})));
  }
  ExpectOpenForRead(&fs_, std::move(file));
  ClientScript script;
  script.Hello(kFrame).Download("dir/target").Stat("other").Bye();
  const SessionResult result = Run(script);
  ASSERT_THAT(result.Replies(), ElementsAre(HasBody(Body::kDownloadBegin),
                                            IsErrorFor(v1::IO_ERROR, "dir/target", false),
                                            HasBody(Body::kStat), HasBody(Body::kBye)));
  EXPECT_THAT(result.Replies()[1].error().message(), HasSubstr("shrank"));
  EXPECT_THAT(result.chunk_sizes, ElementsAre(kChunk));
}

TEST_F(SessionWithMockTest, ShortReadsBecomeSmallerChunksAndTheDownloadCompletes) {
  const FileInfo info{.name = "target", .size = 10};
  auto file = ScriptedFile(&info);
  EXPECT_CALL(*file, ReadAt(_, _)).WillRepeatedly([](uint64_t offset, std::span<uint8_t> out) {
    // Three bytes at a time, each byte its offset's digit.
    const size_t n = std::min<size_t>(3, out.size());
    for (size_t i = 0; i < n; ++i) out[i] = static_cast<uint8_t>('0' + offset + i);
    return StatusOr<size_t>(n);
  });
  ExpectOpenForRead(&fs_, std::move(file));
  ClientScript script;
  script.Hello().Download("dir/target").Bye();
  const SessionResult result = Run(script);
  ASSERT_THAT(result.Replies(), ElementsAre(HasBody(Body::kDownloadBegin),
                                            HasBody(Body::kDownloadEnd), HasBody(Body::kBye)));
  EXPECT_THAT(result.chunk_sizes, ElementsAre(3u, 3u, 3u, 1u));
  EXPECT_EQ(result.chunk_bytes, "0123456789");
  EXPECT_EQ(result.Replies()[1].download_end().xxh3_128(), DigestBytes("0123456789"));
}

TEST_F(SessionWithMockTest, FileGrowingMidDownloadIsSentOnlyUpToItsSizeAtOpen) {
  const FileInfo info{.name = "target", .size = kChunk + 5};
  auto file = ScriptedFile(&info);
  std::vector<size_t> asked;
  EXPECT_CALL(*file, ReadAt(_, _)).WillRepeatedly([&](uint64_t, std::span<uint8_t> out) {
    asked.push_back(out.size());
    return FullRead(0, out);
  });
  ExpectOpenForRead(&fs_, std::move(file));
  ClientScript script;
  script.Hello(kFrame).Download("dir/target").Bye();
  const SessionResult result = Run(script);
  ASSERT_THAT(result.Replies(), ElementsAre(HasBody(Body::kDownloadBegin),
                                            HasBody(Body::kDownloadEnd), HasBody(Body::kBye)));
  EXPECT_THAT(asked, ElementsAre(kChunk, 5u));
  EXPECT_EQ(result.chunk_bytes, std::string(kChunk + 5, 'r'));
  EXPECT_EQ(result.Replies()[1].download_end().size(), kChunk + 5);
}

// R-HASH-2: a read failing part way through a hash ends it with the storage's
// error; no HashReply is sent, and the session goes on.
TEST_F(SessionWithMockTest, ReadFailingMidHashIsIoError) {
  const FileInfo info{.name = "target", .size = 3 * kChunk};
  auto file = ScriptedFile(&info);
  {
    InSequence in_order;
    EXPECT_CALL(*file, ReadAt(0, _)).WillOnce(FullRead);
    EXPECT_CALL(*file, ReadAt(kChunk, _))
        .WillOnce(Return(StatusOr<size_t>(Status::Error(StatusCode::kIoError, "read: EIO"))));
  }
  ExpectOpenForRead(&fs_, std::move(file));
  ClientScript script;
  script.Hello(kFrame).Hash("dir/target").Stat("other").Bye();
  EXPECT_THAT(Run(script).Replies(), ElementsAre(IsErrorFor(v1::IO_ERROR, "dir/target", false),
                                                 HasBody(Body::kStat), HasBody(Body::kBye)));
}

// R-HASH-2: a file that shrinks while hashed is IO_ERROR; one that grows is
// hashed only up to its size at open.
TEST_F(SessionWithMockTest, FileShrinkingMidHashIsIoErrorAndGrowingIsIgnored) {
  const FileInfo info{.name = "target", .size = kChunk + 5};
  auto shrinking = ScriptedFile(&info);
  {
    InSequence in_order;
    EXPECT_CALL(*shrinking, ReadAt(0, _)).WillOnce(FullRead);
    EXPECT_CALL(*shrinking, ReadAt(kChunk, _)).WillOnce(Return(StatusOr<size_t>(size_t{0})));
  }
  ExpectOpenForRead(&fs_, std::move(shrinking));
  ClientScript script;
  script.Hello(kFrame).Hash("dir/target").Bye();
  const SessionResult shrank = Run(script);
  ASSERT_THAT(shrank.Replies(),
              ElementsAre(IsErrorFor(v1::IO_ERROR, "dir/target", false), HasBody(Body::kBye)));
  EXPECT_THAT(shrank.Replies()[0].error().message(), HasSubstr("shrank"));

  auto growing = ScriptedFile(&info);
  std::vector<size_t> asked;
  EXPECT_CALL(*growing, ReadAt(_, _)).WillRepeatedly([&](uint64_t, std::span<uint8_t> out) {
    asked.push_back(out.size());
    return FullRead(0, out);
  });
  ExpectOpenForRead(&fs_, std::move(growing));
  const SessionResult grew = Run(script);
  ASSERT_THAT(grew.Replies(), ElementsAre(HasBody(Body::kHash), HasBody(Body::kBye)));
  EXPECT_THAT(asked, ElementsAre(kChunk, 5u));
  EXPECT_EQ(grew.Replies()[0].hash().digest(), DigestBytes(std::string(kChunk + 5, 'r')));
}

// R-HASH-4: with the keep-alive interval at 0, one in-progress HashReply goes
// out before every read, each with the bytes done so far; then the terminal one.
TEST_F(SessionWithMockTest, LongHashSendsKeepAlivesWithItsProgress) {
  const FileInfo info{.name = "target", .size = 2 * kChunk + 7, .mtime_unix_ns = 42};
  auto file = ScriptedFile(&info);
  EXPECT_CALL(*file, ReadAt(_, _)).WillRepeatedly(FullRead);
  ExpectOpenForRead(&fs_, std::move(file));
  ClientScript script;
  script.Hello(kFrame).Hash("dir/target", 5).Bye();
  SessionOptions options;
  options.hash_progress_interval = std::chrono::milliseconds(0);
  const std::vector<v1::ServerMessage> replies =
      RunSessionExpectingFrames(script, &fs_, options).Replies();
  ASSERT_THAT(replies, ElementsAre(HasBody(Body::kHash), HasBody(Body::kHash), HasBody(Body::kHash),
                                   HasBody(Body::kHash), HasBody(Body::kBye)));
  const uint64_t length = 2 * kChunk + 2;
  const std::vector<uint64_t> expected_done = {0, kChunk, 2 * kChunk};
  for (size_t i = 0; i < expected_done.size(); ++i) {
    const v1::HashReply& alive = replies[i].hash();
    EXPECT_TRUE(alive.in_progress());
    EXPECT_EQ(alive.hashed(), expected_done[i]);
    EXPECT_TRUE(alive.digest().empty());
    EXPECT_EQ(alive.algorithm(), "xxh3-128");
    EXPECT_EQ(alive.size(), info.size);
    EXPECT_EQ(alive.mtime_unix_ns(), 42);
    EXPECT_EQ(alive.offset(), 5u);
  }
  const v1::HashReply& done = replies[3].hash();
  EXPECT_FALSE(done.in_progress());
  EXPECT_EQ(done.hashed(), length);
  EXPECT_EQ(done.length(), length);
  EXPECT_EQ(done.digest(), DigestBytes(std::string(length, 'r')));
}

// R-HASH-3, R-CANCEL-2: a Cancel read before the next read ends the hash with
// CANCELLED; the next request is served as usual.
TEST_F(SessionWithMockTest, CancelEndsAHashBeforeItsNextRead) {
  const FileInfo info{.name = "target", .size = 3 * kChunk};
  auto file = ScriptedFile(&info);  // strict: no read may happen
  ExpectOpenForRead(&fs_, std::move(file));
  ClientScript script;
  script.Hello(kFrame).Hash("dir/target").Cancel().Stat("other").Bye();
  const SessionResult result = Run(script);
  EXPECT_THAT(result.Replies(), ElementsAre(IsErrorFor(v1::CANCELLED, "dir/target", false),
                                            HasBody(Body::kStat), HasBody(Body::kBye)));
}

// R-HASH-3, R-STATE-6: a request behind a hash is held, then served.
TEST_F(SessionWithMockTest, RequestBehindAHashIsHeldUntilItEnds) {
  ClientScript script;
  script.Hello().Hash("dir/target").Remove("dir/target").Bye();
  const SessionResult result = Run(script);
  ASSERT_THAT(result.Replies(),
              ElementsAre(HasBody(Body::kHash), HasBody(Body::kRemove), HasBody(Body::kBye)));
  EXPECT_EQ(result.Replies()[0].hash().digest(), DigestBytes("old contents"));
}

// R-RENAME-4, R-PATH-7, R-PATH-13: refused by the session itself.
TEST_F(SessionWithMockTest, RenameOfTheRootOrABadPathNeverReachesTheFileSystem) {
  EXPECT_CALL(fs_, Rename(_, _, _)).Times(0);
  ClientScript script;
  script.Hello().Rename("", "x").Rename("other", "/").Rename("other", "a/../b");
  script.Rename(".ferry-part.x", "y").Rename("other", "d/.ferry-part.y", true).Bye();
  EXPECT_THAT(Run(script).Replies(),
              ElementsAre(IsErrorFor(v1::INVALID_PATH, "", false),
                          IsErrorFor(v1::INVALID_PATH, "other", false),
                          IsErrorFor(v1::INVALID_PATH, "other", false),
                          IsErrorFor(v1::INVALID_PATH, ".ferry-part.x", false),
                          IsErrorFor(v1::INVALID_PATH, "other", false), HasBody(Body::kBye)));
}

// ---------------------------------------------------------------------------
// Listings failing part way (MockDirectoryStream)

TEST_F(SessionWithMockTest, DirectoryReadFailingAfterTwoPagesEndsTheListingWithIoError) {
  auto stream = std::make_unique<StrictMock<MockDirectoryStream>>();
  int served = 0;
  EXPECT_CALL(*stream, Next()).WillRepeatedly([&]() -> StatusOr<std::optional<FileInfo>> {
    if (served == 2500) return Status::Error(StatusCode::kIoError, "readdir: EIO");
    return std::optional<FileInfo>(FileInfo{.name = "entry-" + std::to_string(served++)});
  });
  EXPECT_CALL(fs_, OpenDirectory(P("dir")))
      .WillOnce(Return(ByMove(StatusOr<std::unique_ptr<DirectoryStream>>(
          std::unique_ptr<DirectoryStream>(std::move(stream))))));
  ClientScript script;
  script.Hello().List("dir").Stat("other").Bye();
  const SessionResult result = Run(script);
  const std::vector<v1::ServerMessage> replies = result.Replies();
  ASSERT_THAT(replies, ElementsAre(HasBody(Body::kList), HasBody(Body::kList),
                                   IsErrorFor(v1::IO_ERROR, "dir", false), HasBody(Body::kStat),
                                   HasBody(Body::kBye)));
  EXPECT_EQ(replies[0].list().entries_size(), 1000);
  EXPECT_FALSE(replies[0].list().last());
  EXPECT_EQ(replies[1].list().entries_size(), 1000);
  EXPECT_FALSE(replies[1].list().last());
}

TEST_F(SessionWithMockTest, ListingOmitsNamesNoRequestCouldAddress) {
  // R-LIST-4: whatever the file system yields, only valid components are listed.
  const std::vector<std::string> yielded = {"ok",
                                            "",
                                            ".",
                                            "..",
                                            "a/b",
                                            "bad\nname",
                                            "del\x7f",
                                            ".ferry-part.123",
                                            std::string(256, 'n'),
                                            "\xFF",
                                            "\xC0\xAF",
                                            "caf\xC3\xA9",
                                            ".hidden",
                                            ".ferry-part",
                                            std::string(255, 'n')};
  auto stream = std::make_unique<StrictMock<MockDirectoryStream>>();
  size_t next = 0;
  EXPECT_CALL(*stream, Next()).WillRepeatedly([&]() -> StatusOr<std::optional<FileInfo>> {
    if (next == yielded.size()) return std::optional<FileInfo>();
    return std::optional<FileInfo>(FileInfo{.name = yielded[next++]});
  });
  EXPECT_CALL(fs_, OpenDirectory(P("dir")))
      .WillOnce(Return(ByMove(StatusOr<std::unique_ptr<DirectoryStream>>(
          std::unique_ptr<DirectoryStream>(std::move(stream))))));
  ClientScript script;
  script.Hello().List("dir").Bye();
  const SessionResult result = Run(script);
  const std::vector<v1::ServerMessage> replies = result.Replies();
  ASSERT_THAT(replies, ElementsAre(HasBody(Body::kList), HasBody(Body::kBye)));
  std::vector<std::string> listed;
  for (const v1::FileInfo& entry : replies[0].list().entries()) {
    listed.push_back(entry.name());
  }
  EXPECT_THAT(listed,
              ElementsAre("ok", "caf\xC3\xA9", ".hidden", ".ferry-part", std::string(255, 'n')));
}

TEST_F(SessionWithMockTest, DirectoryReadFailingAtOnceIsOnlyAnError) {
  auto stream = std::make_unique<StrictMock<MockDirectoryStream>>();
  EXPECT_CALL(*stream, Next())
      .WillOnce(Return(StatusOr<std::optional<FileInfo>>(
          Status::Error(StatusCode::kPermissionDenied, "readdir: EACCES"))));
  EXPECT_CALL(fs_, OpenDirectory(P("dir")))
      .WillOnce(Return(ByMove(StatusOr<std::unique_ptr<DirectoryStream>>(
          std::unique_ptr<DirectoryStream>(std::move(stream))))));
  ClientScript script;
  script.Hello().List("dir").Bye();
  EXPECT_THAT(Run(script).Replies(),
              ElementsAre(IsErrorFor(v1::PERMISSION_DENIED, "dir", false), HasBody(Body::kBye)));
}

}  // namespace
}  // namespace ferry
