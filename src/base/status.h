// Status and StatusOr<T>: errors as values, in the manner of leveldb::Status.
//
// Every fallible call inside ferry returns one of these; nothing throws across a
// module boundary. A Status carries a code saying what kind of failure it is (the
// code decides what the peer is told) and a "context: detail" message for logs.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace ferry {

// The failure kinds ferry distinguishes. They mirror the wire's ErrorCode one to
// one (src/codec/wire_error.h holds the only mapping), so a server error reaches
// the client's caller with its kind intact.
enum class StatusCode {
  kOk = 0,
  kNotFound,
  kAlreadyExists,
  kIsADirectory,
  kNotADirectory,
  kNotARegularFile,
  kPermissionDenied,
  kNoSpace,
  kIoError,
  kInvalidPath,
  kDirectoryNotEmpty,
  kBusy,
  kInvalidArgument,
  kSizeMismatch,
  kChecksumMismatch,
  kCancelled,
  kSourceChanged,
  kMalformedFrame,
  kMessageTooLarge,
  kMalformedMessage,
  kUnexpectedMessage,
  kUnsupportedVersion,
  kUnsupported,
  kTimeout,
  kTooManyConnections,
  kAuthenticationFailed,
  kAuthenticationRequired,
  kInternal,
  // Local conditions that never cross the wire as such.
  kConnectionClosed,  // the peer closed or reset the connection
  kUnavailable,       // could not connect / resolve
};

// The wire name of a code, e.g. "NOT_FOUND"; what users see in error lines.
std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK

  static Status Ok() { return Status(); }
  static Status Error(StatusCode code, std::string_view message) {
    assert(code != StatusCode::kOk);
    return Status(code, message);
  }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // "NOT_FOUND: no such file: a.txt", or "OK".
  std::string ToString() const;

  // For the rare call whose failure changes nothing (a best-effort goodbye).
  void IgnoreError() const {}

  // Returns a copy whose message is prefixed with "context: ".
  Status WithContext(std::string_view context) const;

  bool operator==(const Status& other) const {
    return code_ == other.code_ && message_ == other.message_;
  }

 private:
  Status(StatusCode code, std::string_view message) : code_(code), message_(message) {}

  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

// Either a value or a non-OK Status.
template <typename T>
class [[nodiscard]] StatusOr {
 public:
  StatusOr(const Status& status) : rep_(status) { assert(!status.ok()); }  // NOLINT
  StatusOr(Status&& status) : rep_(std::move(status)) {                    // NOLINT
    assert(!std::get<Status>(rep_).ok());
  }
  StatusOr(const T& value) : rep_(value) {}        // NOLINT
  StatusOr(T&& value) : rep_(std::move(value)) {}  // NOLINT

  bool ok() const { return std::holds_alternative<T>(rep_); }
  Status status() const { return ok() ? Status::Ok() : std::get<Status>(rep_); }

  T& value() & {
    assert(ok());
    return std::get<T>(rep_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<T>(rep_);
  }
  T&& value() && {
    assert(ok());
    return std::get<T>(std::move(rep_));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<Status, T> rep_;
};

}  // namespace ferry

// Early return of a non-OK Status from a function returning Status or StatusOr.
#define FERRY_RETURN_IF_ERROR(expr)                \
  do {                                             \
    ::ferry::Status ferry_status_ = (expr);        \
    if (!ferry_status_.ok()) return ferry_status_; \
  } while (0)

#define FERRY_CONCAT_INNER_(a, b) a##b
#define FERRY_CONCAT_(a, b) FERRY_CONCAT_INNER_(a, b)
#define FERRY_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                 \
  if (!tmp.ok()) return tmp.status();                \
  lhs = std::move(tmp).value()

// FERRY_ASSIGN_OR_RETURN(auto x, Foo()); declares x from a StatusOr or returns its error.
#define FERRY_ASSIGN_OR_RETURN(lhs, expr) \
  FERRY_ASSIGN_OR_RETURN_IMPL_(FERRY_CONCAT_(ferry_statusor_, __LINE__), lhs, expr)
