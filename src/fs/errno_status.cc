#include "src/fs/errno_status.h"

#include <cerrno>
#include <string>

namespace ferry {
namespace {

struct ErrnoEntry {
  int err;
  StatusCode code;
  std::string_view name;
  std::string_view description;
};

// EXDEV and ELOOP only reach us from openat2, where they mean that resolving the
// path would leave the served root or pass through a refused symbolic link; the
// descriptions say so rather than what the C library would.
constexpr ErrnoEntry kErrnoTable[] = {
    {ENOENT, StatusCode::kNotFound, "ENOENT", "no such file or directory"},
    {EEXIST, StatusCode::kAlreadyExists, "EEXIST", "file exists"},
    {EISDIR, StatusCode::kIsADirectory, "EISDIR", "is a directory"},
    {ENOTDIR, StatusCode::kNotADirectory, "ENOTDIR", "not a directory"},
    {EACCES, StatusCode::kPermissionDenied, "EACCES", "permission denied"},
    {EPERM, StatusCode::kPermissionDenied, "EPERM", "operation not permitted"},
    {EROFS, StatusCode::kPermissionDenied, "EROFS", "read-only file system"},
    {EXDEV, StatusCode::kPermissionDenied, "EXDEV", "path leads outside the served root"},
    {ELOOP, StatusCode::kPermissionDenied, "ELOOP", "symbolic link refused or looping"},
    {ENOSPC, StatusCode::kNoSpace, "ENOSPC", "no space left on device"},
    {EDQUOT, StatusCode::kNoSpace, "EDQUOT", "disk quota exceeded"},
    {EFBIG, StatusCode::kNoSpace, "EFBIG", "file too large"},
    {EIO, StatusCode::kIoError, "EIO", "input/output error"},
    {ENAMETOOLONG, StatusCode::kInvalidPath, "ENAMETOOLONG", "name too long"},
    {ENOTEMPTY, StatusCode::kDirectoryNotEmpty, "ENOTEMPTY", "directory not empty"},
    {EBUSY, StatusCode::kBusy, "EBUSY", "resource busy"},
    {ETXTBSY, StatusCode::kBusy, "ETXTBSY", "text file busy"},
    {EMFILE, StatusCode::kBusy, "EMFILE", "too many open files"},
    {ENFILE, StatusCode::kBusy, "ENFILE", "too many open files in the system"},
    {EAGAIN, StatusCode::kBusy, "EAGAIN", "resource temporarily unavailable"},
};

const ErrnoEntry* Find(int err) {
  for (const ErrnoEntry& entry : kErrnoTable) {
    if (entry.err == err) return &entry;
  }
  return nullptr;
}

}  // namespace

Status ErrnoToStatus(int err, std::string_view context) {
  std::string message(context);
  message += ": ";
  const ErrnoEntry* entry = Find(err);
  if (entry == nullptr) {
    message += "unexpected system error";
    return Status::Error(StatusCode::kIoError, message);
  }
  message += entry->description;
  return Status::Error(entry->code, message);
}

std::string_view ErrnoName(int err) {
  const ErrnoEntry* entry = Find(err);
  return entry == nullptr ? "EUNKNOWN" : entry->name;
}

}  // namespace ferry
