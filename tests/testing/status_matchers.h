// gMock matchers for Status and StatusOr: assert the exact code, never just "not OK".
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <ostream>

#include "src/base/status.h"

namespace ferry {

inline void PrintTo(const Status& status, std::ostream* os) { *os << status.ToString(); }
inline void PrintTo(StatusCode code, std::ostream* os) { *os << StatusCodeName(code); }
template <typename T>
void PrintTo(const StatusOr<T>& status_or, std::ostream* os) {
  *os << (status_or.ok() ? std::string("OK (with value)") : status_or.status().ToString());
}

namespace testing_internal {
inline const Status& GetStatus(const Status& status) { return status; }
template <typename T>
Status GetStatus(const StatusOr<T>& status_or) {
  return status_or.status();
}
}  // namespace testing_internal

MATCHER(IsOk, "is OK") {
  const Status status = testing_internal::GetStatus(arg);
  if (!status.ok()) *result_listener << "status is " << status.ToString();
  return status.ok();
}

MATCHER_P(StatusIs, code, std::string("has code ") + std::string(StatusCodeName(code))) {
  const Status status = testing_internal::GetStatus(arg);
  *result_listener << "status is " << status.ToString();
  return status.code() == code;
}

MATCHER_P2(StatusIs, code, message_matcher,
           std::string("has code ") + std::string(StatusCodeName(code))) {
  const Status status = testing_internal::GetStatus(arg);
  *result_listener << "status is " << status.ToString();
  return status.code() == code &&
         ::testing::ExplainMatchResult(message_matcher, status.message(), result_listener);
}

MATCHER_P(IsOkAndHolds, value_matcher, "is OK and holds a matching value") {
  if (!arg.ok()) {
    *result_listener << "status is " << arg.status().ToString();
    return false;
  }
  return ::testing::ExplainMatchResult(value_matcher, arg.value(), result_listener);
}

}  // namespace ferry

#define FERRY_ASSERT_OK(expr) ASSERT_THAT((expr), ::ferry::IsOk())
#define FERRY_EXPECT_OK(expr) EXPECT_THAT((expr), ::ferry::IsOk())
