#include "src/codec/wire_error.h"

#include <array>
#include <utility>

#include "src/codec/limits.h"

namespace ferry {
namespace {

// Every StatusCode with a wire equivalent; the mapping is this table, both ways.
constexpr std::array<std::pair<StatusCode, v1::ErrorCode>, 28> kWireCodes = {{
    {StatusCode::kNotFound, v1::NOT_FOUND},
    {StatusCode::kAlreadyExists, v1::ALREADY_EXISTS},
    {StatusCode::kIsADirectory, v1::IS_A_DIRECTORY},
    {StatusCode::kNotADirectory, v1::NOT_A_DIRECTORY},
    {StatusCode::kNotARegularFile, v1::NOT_A_REGULAR_FILE},
    {StatusCode::kPermissionDenied, v1::PERMISSION_DENIED},
    {StatusCode::kNoSpace, v1::NO_SPACE},
    {StatusCode::kIoError, v1::IO_ERROR},
    {StatusCode::kInvalidPath, v1::INVALID_PATH},
    {StatusCode::kDirectoryNotEmpty, v1::DIRECTORY_NOT_EMPTY},
    {StatusCode::kBusy, v1::BUSY},
    {StatusCode::kInvalidArgument, v1::INVALID_ARGUMENT},
    {StatusCode::kSizeMismatch, v1::SIZE_MISMATCH},
    {StatusCode::kChecksumMismatch, v1::CHECKSUM_MISMATCH},
    {StatusCode::kCancelled, v1::CANCELLED},
    {StatusCode::kSourceChanged, v1::SOURCE_CHANGED},
    {StatusCode::kMalformedFrame, v1::MALFORMED_FRAME},
    {StatusCode::kMessageTooLarge, v1::MESSAGE_TOO_LARGE},
    {StatusCode::kMalformedMessage, v1::MALFORMED_MESSAGE},
    {StatusCode::kUnexpectedMessage, v1::UNEXPECTED_MESSAGE},
    {StatusCode::kUnsupportedVersion, v1::UNSUPPORTED_VERSION},
    {StatusCode::kUnsupported, v1::UNSUPPORTED},
    {StatusCode::kTimeout, v1::TIMEOUT},
    {StatusCode::kTooManyConnections, v1::TOO_MANY_CONNECTIONS},
    {StatusCode::kAuthenticationFailed, v1::AUTHENTICATION_FAILED},
    {StatusCode::kAuthenticationRequired, v1::AUTHENTICATION_REQUIRED},
    {StatusCode::kInternal, v1::INTERNAL},
    // A connection that is "closed" from the server's point of view is never
    // reported to the client it closed on; it has no wire code of its own.
    {StatusCode::kConnectionClosed, v1::INTERNAL},
}};

// Error.message is advisory; keep it short so an Error always fits the smallest frame.
constexpr size_t kMaxErrorMessageBytes = 1024;

// At most `limit` bytes of `text`, cut before a character rather than inside one:
// Error's fields are proto3 strings, and a peer refuses a whole frame whose strings
// are not valid UTF-8 (R-FRAME-9).
std::string Truncate(std::string_view text, size_t limit) {
  if (text.size() <= limit) return std::string(text);
  size_t cut = limit;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return std::string(text.substr(0, cut));
}

}  // namespace

v1::ErrorCode ToWireCode(StatusCode code) {
  for (const auto& [status_code, wire] : kWireCodes) {
    if (status_code == code) return wire;
  }
  return v1::INTERNAL;
}

StatusCode FromWireCode(int wire_code) {
  for (const auto& [status_code, wire] : kWireCodes) {
    if (wire == wire_code && status_code != StatusCode::kConnectionClosed) return status_code;
  }
  return StatusCode::kInternal;
}

v1::Error ToWireError(const Status& status, std::string_view path, bool fatal) {
  v1::Error error;
  error.set_code(ToWireCode(status.code()));
  error.set_message(Truncate(status.message(), kMaxErrorMessageBytes));
  error.set_path(Truncate(path, limits::kMaxPathBytes));
  error.set_fatal(fatal);
  return error;
}

Status FromWireError(const v1::Error& error) {
  StatusCode code = FromWireCode(error.code());
  if (code == StatusCode::kOk) code = StatusCode::kInternal;
  std::string message = error.message();
  if (message.empty()) message = "server reported an error";
  return Status::Error(code, message);
}

}  // namespace ferry
