// The shell's directory and file-system verbs: stat, mkdir, rmdir, and
// the local lcd and lpwd. Each is one
// protocol request per path (spec 6.2, 6.8 and on); every path that fails gets
// its own error line, and the others are still done.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>

#include "src/base/text.h"
#include "src/client/shell.h"
#include "src/client/time_text.h"
#include "src/fs/errno_status.h"

namespace ferry {
namespace {

std::string_view TypeName(FileType type) {
  switch (type) {
    case FileType::kRegular:
      return "regular file";
    case FileType::kDirectory:
      return "directory";
    case FileType::kSymlink:
      return "symbolic link";
    case FileType::kOther:
      return "special file";
  }
  return "unknown";
}

// "0644 (rw-r--r--)": the bits as chmod takes them, and as ls shows them.
std::string ModeText(uint32_t mode) {
  static constexpr char kBits[] = "rwxrwxrwx";
  char octal[8];
  std::snprintf(octal, sizeof(octal), "%04o", mode & 07777);
  std::string text = std::string(octal) + " (";
  for (int bit = 8; bit >= 0; --bit) text.push_back((mode >> bit) & 1 ? kBits[8 - bit] : '-');
  return text + ")";
}

}  // namespace

Status Shell::StatCommand(const Args& args) {
  Status result;
  for (const std::string& path : args) {
    auto info = client_->Stat(path);
    if (!info.ok()) {
      const Status failed = ReportPath(info.status(), path);
      if (result.ok()) result = failed;  // the first failure is the command's
      continue;
    }
    std::string text = "    path: " + QuoteForDisplay(path) + "\n";
    text += "    type: " + std::string(TypeName(info->type)) + "\n";
    text += "    size: " + std::to_string(info->size) + " bytes\n";
    text += "    mode: " + ModeText(info->mode) + "\n";
    text += "modified: " + FormatLocalTime(info->mtime_unix_ns, kStatTimeFormat) + "\n";
    output_.Answer(JsonObject().Add("path", path).Merge(FileFields(*info)), text);
  }
  return result;
}

Status Shell::Mkdir(const Args& args) { return EachPath(args, &Client::MakeDirectory); }

Status Shell::Lcd(const Args& args) {
  std::string dir;
  if (!args.empty()) {
    dir = args[0];
  } else if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
    dir = home;
  } else {
    return Report(Status::Error(StatusCode::kInvalidArgument, "HOME is not set"),
                  "lcd needs a directory");
  }
  std::error_code ec;
  std::filesystem::current_path(dir, ec);
  if (ec) return ReportPath(ErrnoToStatus(ec.value(), "lcd"), dir);
  const std::filesystem::path here = std::filesystem::current_path(ec);
  output_.Done(JsonObject().Add("path", ec ? dir : here.string()), "");
  return Status::Ok();
}

Status Shell::Lpwd(const Args&) {
  std::error_code ec;
  const std::filesystem::path here = std::filesystem::current_path(ec);
  if (ec) return Report(ErrnoToStatus(ec.value(), "lpwd"), "");
  output_.Answer(JsonObject().Add("path", here.string()), EscapeForDisplay(here.string()) + "\n");
  return Status::Ok();
}

Status Shell::Rmdir(const Args& args) { return EachPath(args, &Client::RemoveDirectory); }

}  // namespace ferry
