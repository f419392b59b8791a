// The exit-code table of ferry(1): every status code has a class, the classes
// are distinct numbers, and the names are the documented ones.
#include "src/client/exit_code.h"

#include <gtest/gtest.h>

#include <set>

namespace ferry {
namespace {

TEST(ExitCodeTest, EachDocumentedClassHasItsNumber) {
  EXPECT_EQ(ExitStatus(ExitCodeFor(StatusCode::kOk)), 0);
  EXPECT_EQ(ExitStatus(ExitCodeFor(StatusCode::kInvalidArgument)), 2);
  EXPECT_EQ(ExitStatus(ExitCodeFor(StatusCode::kUnavailable)), 3);
  EXPECT_EQ(ExitStatus(ExitCodeFor(StatusCode::kConnectionClosed)), 3);
  EXPECT_EQ(ExitStatus(ExitCodeFor(StatusCode::kAuthenticationFailed)), 4);
  EXPECT_EQ(ExitStatus(ExitCodeFor(StatusCode::kNotFound)), 5);
  EXPECT_EQ(ExitStatus(ExitCodeFor(StatusCode::kPermissionDenied)), 6);
  EXPECT_EQ(ExitStatus(ExitCodeFor(StatusCode::kAlreadyExists)), 7);
  EXPECT_EQ(ExitStatus(ExitCodeFor(StatusCode::kNoSpace)), 8);
  EXPECT_EQ(ExitStatus(ExitCodeFor(StatusCode::kChecksumMismatch)), 9);
  EXPECT_EQ(ExitStatus(ExitCodeFor(StatusCode::kMalformedFrame)), 10);
  EXPECT_EQ(ExitStatus(ExitCodeFor(StatusCode::kIoError)), 11);
  EXPECT_EQ(ExitStatus(ExitCodeFor(StatusCode::kCancelled)), 130);
}

TEST(ExitCodeTest, EveryStatusCodeMapsToANamedClass) {
  for (int raw = 0; raw <= static_cast<int>(StatusCode::kUnavailable); ++raw) {
    const ExitCode code = ExitCodeFor(static_cast<StatusCode>(raw));
    EXPECT_NE(ExitCodeName(code), "unknown") << StatusCodeName(static_cast<StatusCode>(raw));
    EXPECT_EQ(code == ExitCode::kOk, raw == 0) << StatusCodeName(static_cast<StatusCode>(raw));
  }
}

TEST(ExitCodeTest, ClassNamesAreDistinct) {
  std::set<std::string_view> names;
  for (ExitCode code :
       {ExitCode::kOk, ExitCode::kUsage, ExitCode::kConnection, ExitCode::kAuthentication,
        ExitCode::kNotFound, ExitCode::kPermission, ExitCode::kConflict, ExitCode::kSpace,
        ExitCode::kIntegrity, ExitCode::kProtocol, ExitCode::kIo, ExitCode::kInterrupted}) {
    EXPECT_TRUE(names.insert(ExitCodeName(code)).second) << ExitCodeName(code);
  }
}

}  // namespace
}  // namespace ferry
