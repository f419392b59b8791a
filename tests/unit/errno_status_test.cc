#include "src/fs/errno_status.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>

#include "tests/testing/status_matchers.h"

namespace ferry {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

struct Mapping {
  int err;
  StatusCode code;
  std::string_view name;
};

void PrintTo(const Mapping& m, std::ostream* os) { *os << m.name; }

// Every errno ErrnoToStatus knows (the table in the protocol notes).
constexpr Mapping kMappings[] = {
    {ENOENT, StatusCode::kNotFound, "ENOENT"},
    {EEXIST, StatusCode::kAlreadyExists, "EEXIST"},
    {EISDIR, StatusCode::kIsADirectory, "EISDIR"},
    {ENOTDIR, StatusCode::kNotADirectory, "ENOTDIR"},
    {EACCES, StatusCode::kPermissionDenied, "EACCES"},
    {EPERM, StatusCode::kPermissionDenied, "EPERM"},
    {EROFS, StatusCode::kPermissionDenied, "EROFS"},
    {EXDEV, StatusCode::kPermissionDenied, "EXDEV"},
    {ELOOP, StatusCode::kPermissionDenied, "ELOOP"},
    {ENOSPC, StatusCode::kNoSpace, "ENOSPC"},
    {EDQUOT, StatusCode::kNoSpace, "EDQUOT"},
    {EFBIG, StatusCode::kNoSpace, "EFBIG"},
    {EIO, StatusCode::kIoError, "EIO"},
    {ENAMETOOLONG, StatusCode::kInvalidPath, "ENAMETOOLONG"},
    {ENOTEMPTY, StatusCode::kDirectoryNotEmpty, "ENOTEMPTY"},
    {EBUSY, StatusCode::kBusy, "EBUSY"},
    {ETXTBSY, StatusCode::kBusy, "ETXTBSY"},
    {EMFILE, StatusCode::kBusy, "EMFILE"},
    {ENFILE, StatusCode::kBusy, "ENFILE"},
    {EAGAIN, StatusCode::kBusy, "EAGAIN"},
};

class ErrnoToStatusTable : public ::testing::TestWithParam<Mapping> {};

TEST_P(ErrnoToStatusTable, MapsToItsCode) {
  EXPECT_THAT(ErrnoToStatus(GetParam().err, "stat /a"), StatusIs(GetParam().code));
}

TEST_P(ErrnoToStatusTable, MessageIsContextThenAFixedDescription) {
  const Status status = ErrnoToStatus(GetParam().err, "stat /a");
  EXPECT_THAT(status.message(), StartsWith("stat /a: "));
  EXPECT_GT(status.message().size(), std::string_view("stat /a: ").size());
  // strerror's text depends on the C library and the locale; it is never used.
  EXPECT_THAT(status.message(), Not(HasSubstr(std::strerror(GetParam().err))));
}

INSTANTIATE_TEST_SUITE_P(Every, ErrnoToStatusTable, ::testing::ValuesIn(kMappings));

TEST(ErrnoToStatus, WouldBlockIsTheSameAsAgain) {
  EXPECT_THAT(ErrnoToStatus(EWOULDBLOCK, "read /a"), StatusIs(StatusCode::kBusy));
}

TEST(ErrnoToStatus, AnythingElseIsIoError) {
  for (const int err : {EINVAL, ENXIO, ENODEV, EOPNOTSUPP, EBADF, EINTR, ENOSYS, 4095}) {
    const Status status = ErrnoToStatus(err, "read /a");
    EXPECT_THAT(status, StatusIs(StatusCode::kIoError, StartsWith("read /a: "))) << err;
    EXPECT_THAT(status.message(), Not(HasSubstr(std::strerror(err)))) << err;
  }
}

// R-RENAME-4: from a rename, EINVAL is a directory moved into its own subtree;
// every other errno maps as the table says.
TEST(RenameErrnoToStatus, EinvalIsInvalidPathAndTheRestAsTheTable) {
  EXPECT_THAT(RenameErrnoToStatus(EINVAL, "rename"),
              StatusIs(StatusCode::kInvalidPath, HasSubstr("into itself")));
  for (const int err : {ENOENT, EEXIST, ENOTEMPTY, EXDEV, EISDIR, ENOTDIR, EBUSY, EIO, ENXIO}) {
    EXPECT_EQ(RenameErrnoToStatus(err, "rename").code(), ErrnoToStatus(err, "rename").code())
        << err;
  }
}

TEST(ErrnoToStatus, ExdevSaysThePathLeavesTheRoot) {
  EXPECT_THAT(ErrnoToStatus(EXDEV, "read /evil"),
              StatusIs(StatusCode::kPermissionDenied, HasSubstr("outside the served root")));
}

}  // namespace
}  // namespace ferry
