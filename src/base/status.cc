#include "src/base/status.h"

namespace ferry {

std::string_view StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return "OK";
    case StatusCode::kNotFound:
      return "NOT_FOUND";
    case StatusCode::kAlreadyExists:
      return "ALREADY_EXISTS";
    case StatusCode::kIsADirectory:
      return "IS_A_DIRECTORY";
    case StatusCode::kNotADirectory:
      return "NOT_A_DIRECTORY";
    case StatusCode::kNotARegularFile:
      return "NOT_A_REGULAR_FILE";
    case StatusCode::kPermissionDenied:
      return "PERMISSION_DENIED";
    case StatusCode::kNoSpace:
      return "NO_SPACE";
    case StatusCode::kIoError:
      return "IO_ERROR";
    case StatusCode::kInvalidPath:
      return "INVALID_PATH";
    case StatusCode::kDirectoryNotEmpty:
      return "DIRECTORY_NOT_EMPTY";
    case StatusCode::kBusy:
      return "BUSY";
    case StatusCode::kInvalidArgument:
      return "INVALID_ARGUMENT";
    case StatusCode::kSizeMismatch:
      return "SIZE_MISMATCH";
    case StatusCode::kChecksumMismatch:
      return "CHECKSUM_MISMATCH";
    case StatusCode::kCancelled:
      return "CANCELLED";
    case StatusCode::kSourceChanged:
      return "SOURCE_CHANGED";
    case StatusCode::kMalformedFrame:
      return "MALFORMED_FRAME";
    case StatusCode::kMessageTooLarge:
      return "MESSAGE_TOO_LARGE";
    case StatusCode::kMalformedMessage:
      return "MALFORMED_MESSAGE";
    case StatusCode::kUnexpectedMessage:
      return "UNEXPECTED_MESSAGE";
    case StatusCode::kUnsupportedVersion:
      return "UNSUPPORTED_VERSION";
    case StatusCode::kUnsupported:
      return "UNSUPPORTED";
    case StatusCode::kTimeout:
      return "TIMEOUT";
    case StatusCode::kTooManyConnections:
      return "TOO_MANY_CONNECTIONS";
    case StatusCode::kAuthenticationFailed:
      return "AUTHENTICATION_FAILED";
    case StatusCode::kAuthenticationRequired:
      return "AUTHENTICATION_REQUIRED";
    case StatusCode::kInternal:
      return "INTERNAL";
    case StatusCode::kConnectionClosed:
      return "CONNECTION_CLOSED";
    case StatusCode::kUnavailable:
      return "UNAVAILABLE";
  }
  return "INTERNAL";
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  std::string out(StatusCodeName(code_));
  if (!message_.empty()) {
    out += ": ";
    out += message_;
  }
  return out;
}

Status Status::WithContext(std::string_view context) const {
  if (ok()) return *this;
  std::string message(context);
  if (!message_.empty()) {
    message += ": ";
    message += message_;
  }
  return Status(code_, message);
}

}  // namespace ferry
