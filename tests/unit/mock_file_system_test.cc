// The mocks compile against the interface, and DelegateToFake makes a mock that
// behaves like the in-memory filesystem except where a test says otherwise.
#include "tests/mocks/mock_file_system.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/testing/status_matchers.h"

namespace ferry {
namespace {

using ::testing::_;
using ::testing::ByMove;
using ::testing::NiceMock;
using ::testing::Return;
using ::testing::ReturnRef;

Path P(std::string_view text) { return Path::Parse(text).value(); }

std::span<const uint8_t> Bytes(std::string_view text) {
  return {reinterpret_cast<const uint8_t*>(text.data()), text.size()};
}

class MockFileSystemTest : public ::testing::Test {
 protected:
  void SetUp() override {
    FERRY_ASSERT_OK(fake_.AddFile(P("d/f"), "contents"));
    fs_.DelegateToFake(&fake_);
  }

  InMemoryFileSystem fake_;
  NiceMock<MockFileSystem> fs_;
};

TEST_F(MockFileSystemTest, DelegatesEveryCallToTheFake) {
  EXPECT_EQ(fs_.Stat(P("d/f")).value().size, 8u);
  EXPECT_THAT(fs_.Stat(P("missing")), StatusIs(StatusCode::kNotFound));

  StatusOr<std::unique_ptr<DirectoryStream>> listing = fs_.OpenDirectory(P("d"));
  ASSERT_THAT(listing, IsOk());
  EXPECT_EQ((*listing)->Next().value().value().name, "f");

  StatusOr<std::unique_ptr<ReadableFile>> file = fs_.OpenForRead(P("d/f"));
  ASSERT_THAT(file, IsOk());
  EXPECT_EQ((*file)->info().size, 8u);

  StatusOr<std::unique_ptr<PendingUpload>> upload = fs_.CreateUpload(P("d/g"), {});
  ASSERT_THAT(upload, IsOk());
  FERRY_ASSERT_OK((*upload)->Write(Bytes("new")));
  FERRY_ASSERT_OK((*upload)->Commit());
  EXPECT_THAT(fake_.ReadFileForTest(P("d/g")), IsOkAndHolds("new"));

  FERRY_EXPECT_OK(fs_.Remove(P("d/f")));
  EXPECT_THAT(fake_.Stat(P("d/f")), StatusIs(StatusCode::kNotFound));
}

TEST_F(MockFileSystemTest, OneInjectedFailureLeavesTheRestReal) {
  EXPECT_CALL(fs_, Remove(P("d/f")))
      .WillOnce(Return(Status::Error(StatusCode::kBusy, "remove /d/f: resource busy")));
  EXPECT_THAT(fs_.Remove(P("d/f")), StatusIs(StatusCode::kBusy));
  EXPECT_THAT(fs_.Stat(P("d/f")), IsOk());
}

TEST_F(MockFileSystemTest, InjectsAFailingUpload) {
  auto upload = std::make_unique<MockPendingUpload>();
  EXPECT_CALL(*upload, Write(_)).WillOnce(Return(Status::Error(StatusCode::kNoSpace, "full")));
  EXPECT_CALL(*upload, Commit()).Times(0);
  EXPECT_CALL(fs_, CreateUpload(P("d/g"), _))
      .WillOnce(Return(ByMove(StatusOr<std::unique_ptr<PendingUpload>>(std::move(upload)))));

  StatusOr<std::unique_ptr<PendingUpload>> created = fs_.CreateUpload(P("d/g"), {});
  ASSERT_THAT(created, IsOk());
  EXPECT_THAT((*created)->Write(Bytes("x")), StatusIs(StatusCode::kNoSpace));
}

TEST(MockReadableFile, ServesScriptedReads) {
  const FileInfo info{.name = "f", .size = 3};
  MockReadableFile file;
  EXPECT_CALL(file, info()).WillRepeatedly(ReturnRef(info));
  EXPECT_CALL(file, ReadAt(0, _)).WillOnce(Return(StatusOr<size_t>(3)));
  EXPECT_CALL(file, ReadAt(3, _))
      .WillOnce(Return(StatusOr<size_t>(Status::Error(StatusCode::kIoError, "bad sector"))));
  std::array<uint8_t, 8> buffer;
  EXPECT_EQ(file.info().size, 3u);
  EXPECT_THAT(file.ReadAt(0, buffer), IsOkAndHolds(3u));
  EXPECT_THAT(file.ReadAt(3, buffer), StatusIs(StatusCode::kIoError));
}

TEST(MockDirectoryStream, ServesScriptedEntries) {
  MockDirectoryStream stream;
  EXPECT_CALL(stream, Next())
      .WillOnce(Return(std::optional<FileInfo>(FileInfo{.name = "a"})))
      .WillOnce(Return(std::optional<FileInfo>()));
  EXPECT_EQ(stream.Next().value()->name, "a");
  EXPECT_THAT(stream.Next(), IsOkAndHolds(std::nullopt));
}

}  // namespace
}  // namespace ferry
