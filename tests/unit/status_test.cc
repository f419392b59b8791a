#include "src/base/status.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <set>
#include <string>

#include "tests/testing/status_matchers.h"

namespace ferry {
namespace {

using ::testing::HasSubstr;

TEST(Status, DefaultIsOk) {
  const Status status;
  EXPECT_TRUE(status.ok());
  EXPECT_EQ(status.code(), StatusCode::kOk);
  EXPECT_EQ(status.message(), "");
  EXPECT_EQ(status.ToString(), "OK");
  EXPECT_EQ(status, Status::Ok());
}

TEST(Status, ErrorCarriesCodeAndMessage) {
  const Status status = Status::Error(StatusCode::kNotFound, "no such file: a.txt");
  EXPECT_FALSE(status.ok());
  EXPECT_EQ(status.code(), StatusCode::kNotFound);
  EXPECT_EQ(status.message(), "no such file: a.txt");
  EXPECT_EQ(status.ToString(), "NOT_FOUND: no such file: a.txt");
}

TEST(Status, ErrorWithoutMessagePrintsCodeOnly) {
  EXPECT_EQ(Status::Error(StatusCode::kBusy, "").ToString(), "BUSY");
}

TEST(Status, EqualityComparesCodeAndMessage) {
  const Status a = Status::Error(StatusCode::kIoError, "x");
  EXPECT_EQ(a, Status::Error(StatusCode::kIoError, "x"));
  EXPECT_NE(a, Status::Error(StatusCode::kIoError, "y"));
  EXPECT_NE(a, Status::Error(StatusCode::kNoSpace, "x"));
}

TEST(Status, WithContextPrefixesTheMessage) {
  const Status status = Status::Error(StatusCode::kNoSpace, "disk full").WithContext("upload a");
  EXPECT_EQ(status.code(), StatusCode::kNoSpace);
  EXPECT_EQ(status.message(), "upload a: disk full");
}

TEST(Status, WithContextOnEmptyMessageIsJustTheContext) {
  EXPECT_EQ(Status::Error(StatusCode::kBusy, "").WithContext("remove a").message(), "remove a");
}

TEST(Status, WithContextLeavesOkAlone) {
  EXPECT_EQ(Status::Ok().WithContext("anything"), Status::Ok());
}

TEST(StatusCodeName, EveryCodeHasItsOwnName) {
  std::set<std::string_view> names;
  const int last = static_cast<int>(StatusCode::kUnavailable);
  for (int i = 0; i <= last; ++i) names.insert(StatusCodeName(static_cast<StatusCode>(i)));
  EXPECT_EQ(names.size(), static_cast<size_t>(last + 1));
  EXPECT_EQ(StatusCodeName(StatusCode::kOk), "OK");
  EXPECT_EQ(StatusCodeName(StatusCode::kNotARegularFile), "NOT_A_REGULAR_FILE");
  EXPECT_EQ(StatusCodeName(StatusCode::kUnavailable), "UNAVAILABLE");
}

TEST(StatusOr, HoldsAValue) {
  StatusOr<std::string> result(std::string("hello"));
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result.status(), Status::Ok());
  EXPECT_EQ(*result, "hello");
  EXPECT_EQ(result->size(), 5u);
  EXPECT_THAT(result, IsOkAndHolds("hello"));
}

TEST(StatusOr, HoldsAnError) {
  const StatusOr<int> result = Status::Error(StatusCode::kPermissionDenied, "nope");
  EXPECT_FALSE(result.ok());
  EXPECT_THAT(result, StatusIs(StatusCode::kPermissionDenied, "nope"));
}

TEST(StatusOr, MovesOutAMoveOnlyValue) {
  StatusOr<std::unique_ptr<int>> result = std::make_unique<int>(7);
  ASSERT_TRUE(result.ok());
  const std::unique_ptr<int> value = std::move(result).value();
  EXPECT_EQ(*value, 7);
}

Status FailIfNegative(int n) {
  return n < 0 ? Status::Error(StatusCode::kInvalidArgument, "negative") : Status::Ok();
}

Status CheckBoth(int a, int b, int* checked) {
  FERRY_RETURN_IF_ERROR(FailIfNegative(a));
  ++*checked;
  FERRY_RETURN_IF_ERROR(FailIfNegative(b));
  ++*checked;
  return Status::Ok();
}

TEST(ReturnIfError, ReturnsTheFirstError) {
  int checked = 0;
  EXPECT_THAT(CheckBoth(1, -1, &checked), StatusIs(StatusCode::kInvalidArgument, "negative"));
  EXPECT_EQ(checked, 1);
  checked = 0;
  FERRY_EXPECT_OK(CheckBoth(1, 2, &checked));
  EXPECT_EQ(checked, 2);
}

StatusOr<std::unique_ptr<int>> MakeBox(int n) {
  FERRY_RETURN_IF_ERROR(FailIfNegative(n));
  return std::make_unique<int>(n);
}

StatusOr<int> SumOfBoxes(int a, int b) {
  FERRY_ASSIGN_OR_RETURN(std::unique_ptr<int> x, MakeBox(a));
  FERRY_ASSIGN_OR_RETURN(const std::unique_ptr<int> y, MakeBox(b));
  return *x + *y;
}

TEST(AssignOrReturn, AssignsValuesIncludingMoveOnlyOnes) {
  EXPECT_THAT(SumOfBoxes(2, 3), IsOkAndHolds(5));
}

TEST(AssignOrReturn, ReturnsTheError) {
  EXPECT_THAT(SumOfBoxes(2, -3), StatusIs(StatusCode::kInvalidArgument, HasSubstr("negative")));
}

}  // namespace
}  // namespace ferry
