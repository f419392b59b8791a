#include "src/client/exit_code.h"

namespace ferry {

ExitCode ExitCodeFor(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return ExitCode::kOk;
    case StatusCode::kInvalidArgument:
    case StatusCode::kInvalidPath:
      return ExitCode::kUsage;
    case StatusCode::kConnectionClosed:
    case StatusCode::kUnavailable:
    case StatusCode::kTimeout:
    case StatusCode::kTooManyConnections:
      return ExitCode::kConnection;
    case StatusCode::kAuthenticationFailed:
    case StatusCode::kAuthenticationRequired:
      return ExitCode::kAuthentication;
    case StatusCode::kNotFound:
      return ExitCode::kNotFound;
    case StatusCode::kPermissionDenied:
      return ExitCode::kPermission;
    case StatusCode::kAlreadyExists:
    case StatusCode::kIsADirectory:
    case StatusCode::kNotADirectory:
    case StatusCode::kNotARegularFile:
    case StatusCode::kDirectoryNotEmpty:
    case StatusCode::kBusy:
    case StatusCode::kSourceChanged:
      return ExitCode::kConflict;
    case StatusCode::kNoSpace:
      return ExitCode::kSpace;
    case StatusCode::kSizeMismatch:
    case StatusCode::kChecksumMismatch:
      return ExitCode::kIntegrity;
    case StatusCode::kMalformedFrame:
    case StatusCode::kMessageTooLarge:
    case StatusCode::kMalformedMessage:
    case StatusCode::kUnexpectedMessage:
    case StatusCode::kUnsupportedVersion:
    case StatusCode::kUnsupported:
      return ExitCode::kProtocol;
    case StatusCode::kIoError:
    case StatusCode::kInternal:
      return ExitCode::kIo;
    case StatusCode::kCancelled:
      return ExitCode::kInterrupted;
  }
  return ExitCode::kProtocol;  // a code this build does not know came off the wire
}

std::string_view ExitCodeName(ExitCode code) {
  switch (code) {
    case ExitCode::kOk:
      return "ok";
    case ExitCode::kUsage:
      return "usage";
    case ExitCode::kConnection:
      return "connection";
    case ExitCode::kAuthentication:
      return "authentication";
    case ExitCode::kNotFound:
      return "not-found";
    case ExitCode::kPermission:
      return "permission";
    case ExitCode::kConflict:
      return "conflict";
    case ExitCode::kSpace:
      return "space";
    case ExitCode::kIntegrity:
      return "integrity";
    case ExitCode::kProtocol:
      return "protocol";
    case ExitCode::kIo:
      return "io";
    case ExitCode::kInterrupted:
      return "interrupted";
  }
  return "unknown";
}

}  // namespace ferry
