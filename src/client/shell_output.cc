#include "src/client/shell_output.h"

#include "src/base/text.h"
#include "src/client/exit_code.h"
#include "src/client/time_text.h"

namespace ferry {

std::string_view DescribeStatusCode(StatusCode code) {
  switch (code) {
    case StatusCode::kNotFound:
      return "no such file";
    case StatusCode::kAlreadyExists:
      return "already exists (use -f to overwrite)";
    case StatusCode::kIsADirectory:
      return "is a directory";
    case StatusCode::kNotADirectory:
      return "not a directory";
    case StatusCode::kNotARegularFile:
      return "not a regular file";
    case StatusCode::kPermissionDenied:
      return "permission denied";
    case StatusCode::kNoSpace:
      return "no space left";
    case StatusCode::kIoError:
      return "input/output error";
    case StatusCode::kInvalidPath:
      return "invalid path";
    case StatusCode::kDirectoryNotEmpty:
      return "directory not empty";
    case StatusCode::kBusy:
      return "busy, try again later";
    case StatusCode::kInvalidArgument:
      return "invalid argument";
    case StatusCode::kSizeMismatch:
      return "size mismatch, nothing was saved";
    case StatusCode::kChecksumMismatch:
      return "checksum mismatch, nothing was saved";
    case StatusCode::kCancelled:
      return "interrupted";
    case StatusCode::kSourceChanged:
      return "the file changed since the interrupted transfer; start it again";
    case StatusCode::kTimeout:
      return "timed out";
    case StatusCode::kTooManyConnections:
      return "server is full, try again later";
    case StatusCode::kAuthenticationFailed:
      return "wrong token";
    case StatusCode::kAuthenticationRequired:
      return "the server requires a token (--token-file)";
    case StatusCode::kUnsupportedVersion:
      return "server speaks another protocol version";
    case StatusCode::kConnectionClosed:
      return "connection closed";
    case StatusCode::kUnavailable:
      return "cannot connect";
    default:
      return "protocol error";
  }
}

JsonObject FileFields(const FileInfo& info) {
  std::string_view type = "other";
  switch (info.type) {
    case FileType::kRegular:
      type = "file";
      break;
    case FileType::kDirectory:
      type = "directory";
      break;
    case FileType::kSymlink:
      type = "symlink";
      break;
    case FileType::kOther:
      break;
  }
  char mode[16];
  std::snprintf(mode, sizeof(mode), "%04o", info.mode & 07777);
  return JsonObject()
      .Add("type", type)
      .Add("size", info.size)
      .Add("mode", mode)
      .Add("mtime_ns", info.mtime_unix_ns)
      .Add("mtime", FormatUtcTime(info.mtime_unix_ns));
}

void ShellOutput::WriteObject(bool ok, const JsonObject& fields) {
  JsonObject object;
  object.Add("command", command_).Add("ok", ok).Merge(fields);
  const std::string line = object.ToString();
  std::fprintf(out_, "%s\n", line.c_str());
  // A script reading the pipe sees each result as soon as it exists.
  std::fflush(out_);
}

void ShellOutput::Answer(const JsonObject& fields, std::string_view text) {
  if (options_.json) return WriteObject(true, fields);
  std::fwrite(text.data(), 1, text.size(), out_);
}

void ShellOutput::Done(const JsonObject& fields, std::string_view text) {
  if (options_.json) return WriteObject(true, fields);
  if (!options_.quiet) std::fwrite(text.data(), 1, text.size(), out_);
}

void ShellOutput::Summary(bool ok, const JsonObject& fields, std::string_view text) {
  if (options_.json) return WriteObject(ok, fields);
  if (!options_.quiet) std::fwrite(text.data(), 1, text.size(), out_);
}

void ShellOutput::Warning(std::string_view kind, std::string_view text, const JsonObject& fields) {
  if (options_.json) {
    JsonObject warning;
    warning.Add("kind", kind).Add("message", text).Merge(fields);
    return WriteObject(true, JsonObject().Add("warning", warning));
  }
  std::fprintf(err_, "warning: %.*s\n", static_cast<int>(text.size()), text.data());
  std::fflush(err_);
}

void ShellOutput::Error(const ShellError& error) {
  if (options_.json) return WriteObject(false, JsonObject().Add("error", ErrorObject(error)));
  std::fprintf(err_, "%s\n", ErrorLine(error).c_str());
  std::fflush(err_);
}

void ShellOutput::Chatter(std::string_view text) {
  if (!options_.json) std::fwrite(text.data(), 1, text.size(), out_);
}

std::string ShellOutput::ErrorLine(const ShellError& error) const {
  const Status& status = error.status;
  std::string line = "error: " + std::string(StatusCodeName(status.code())) + ": " +
                     std::string(DescribeStatusCode(status.code()));
  const std::string subject = error.has_path ? QuoteForDisplay(error.path) : error.subject;
  if (!subject.empty()) line += ": " + subject;
  if (!error.reason.empty()) line += " (" + EscapeForDisplay(error.reason) + ")";
  if (options_.verbose && !status.message().empty() && status.message() != error.reason) {
    line += " (" + EscapeForDisplay(status.message()) + ")";
  }
  // The server's error names the request, as ferryd's log numbers it on this
  // connection: "(request 4)" is the log line with id cN/4.
  if (options_.verbose && error.request != 0) {
    line += " (request " + std::to_string(error.request) + ")";
  }
  return line;
}

JsonObject ShellOutput::ErrorObject(const ShellError& error) const {
  const Status& status = error.status;
  const ExitCode exit = ExitCodeFor(status.code());
  std::string message(DescribeStatusCode(status.code()));
  if (!error.has_path && !error.subject.empty()) message += ": " + error.subject;
  if (!error.reason.empty()) message += " (" + error.reason + ")";
  JsonObject object;
  object.Add("code", StatusCodeName(status.code()))
      .Add("class", ExitCodeName(exit))
      .Add("exit", ExitStatus(exit))
      .Add("message", message);
  // Scripts get the detail and the request whether or not -v was given.
  if (!status.message().empty() && status.message() != error.reason) {
    object.Add("detail", status.message());
  }
  if (error.has_path) object.Add("path", error.path);
  if (error.request != 0) object.Add("request", error.request);
  return object;
}

}  // namespace ferry
