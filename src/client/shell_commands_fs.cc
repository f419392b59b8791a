// The shell's directory and file-system verbs: stat, mkdir, rmdir, and
// the local lcd and lpwd. Each is one
// protocol request per path (spec 6.2, 6.8 and on); every path that fails gets
// its own error line, and the others are still done.
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <string>
#include <system_error>

#include "src/base/text.h"
#include "src/client/shell.h"
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

// Local time to the second, with the zone, so that it can be compared with
// what `date` prints.
std::string LocalTimeText(int64_t unix_ns) {
  const std::time_t seconds = static_cast<std::time_t>(unix_ns / 1'000'000'000);
  std::tm local{};
  localtime_r(&seconds, &local);
  char text[64];
  std::strftime(text, sizeof(text), "%Y-%m-%d %H:%M:%S %z", &local);
  return text;
}

}  // namespace

Status Shell::StatCommand(const Args& args) {
  Status result;
  for (const std::string& path : args) {
    auto info = client_->Stat(path);
    if (!info.ok()) {
      result = ReportPath(info.status(), path);
      continue;
    }
    std::fprintf(out_,
                 "    path: %s\n"
                 "    type: %s\n"
                 "    size: %llu bytes\n"
                 "    mode: %s\n"
                 "modified: %s\n",
                 QuoteForDisplay(path).c_str(), std::string(TypeName(info->type)).c_str(),
                 static_cast<unsigned long long>(info->size), ModeText(info->mode).c_str(),
                 LocalTimeText(info->mtime_unix_ns).c_str());
  }
  return result;
}

Status Shell::Mkdir(const Args& args) {
  Status result;
  for (const std::string& path : args) {
    if (Status made = client_->MakeDirectory(path); !made.ok()) result = ReportPath(made, path);
  }
  return result;
}

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
  return Status::Ok();
}

Status Shell::Lpwd(const Args&) {
  std::error_code ec;
  const std::filesystem::path here = std::filesystem::current_path(ec);
  if (ec) return Report(ErrnoToStatus(ec.value(), "lpwd"), "");
  std::fprintf(out_, "%s\n", EscapeForDisplay(here.string()).c_str());
  return Status::Ok();
}

Status Shell::Rmdir(const Args& args) {
  Status result;
  for (const std::string& path : args) {
    if (Status removed = client_->RemoveDirectory(path); !removed.ok()) {
      result = ReportPath(removed, path);
    }
  }
  return result;
}

}  // namespace ferry
