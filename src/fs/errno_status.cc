#include "src/fs/errno_status.h"

#include <cerrno>
#include <string>

namespace ferry {
namespace {

struct ErrnoEntry {
  int err;
  StatusCode code;
  std::string_view description;
};

// EXDEV and ELOOP only reach us from openat2, where they mean that resolving the
// path would leave the served root or pass through a refused symbolic link; the
// descriptions say so rather than what the C library would.
constexpr ErrnoEntry kErrnoTable[] = {
    {ENOENT, StatusCode::kNotFound, "no such file or directory"},
    {EEXIST, StatusCode::kAlreadyExists, "file exists"},
    {EISDIR, StatusCode::kIsADirectory, "is a directory"},
    {ENOTDIR, StatusCode::kNotADirectory, "not a directory"},
    {EACCES, StatusCode::kPermissionDenied, "permission denied"},
    {EPERM, StatusCode::kPermissionDenied, "operation not permitted"},
    {EROFS, StatusCode::kPermissionDenied, "read-only file system"},
    {EXDEV, StatusCode::kPermissionDenied, "path leads outside the served root"},
    {ELOOP, StatusCode::kPermissionDenied, "symbolic link refused or looping"},
    {ENOSPC, StatusCode::kNoSpace, "no space left on device"},
    {EDQUOT, StatusCode::kNoSpace, "disk quota exceeded"},
    {EFBIG, StatusCode::kNoSpace, "file too large"},
    {EIO, StatusCode::kIoError, "input/output error"},
    {ENAMETOOLONG, StatusCode::kInvalidPath, "name too long"},
    {ENOTEMPTY, StatusCode::kDirectoryNotEmpty, "directory not empty"},
    {EBUSY, StatusCode::kBusy, "resource busy"},
    {ETXTBSY, StatusCode::kBusy, "text file busy"},
    {EMFILE, StatusCode::kBusy, "too many open files"},
    {ENFILE, StatusCode::kBusy, "too many open files in the system"},
    {EAGAIN, StatusCode::kBusy, "resource temporarily unavailable"},
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

Status RenameErrnoToStatus(int err, std::string_view context) {
  // rename(2) gives EINVAL for a directory moved into its own subtree (once a
  // file system without RENAME_NOREPLACE has been ruled out); from any other
  // call EINVAL is an unexpected system error.
  if (err == EINVAL) {
    return Status::Error(StatusCode::kInvalidPath,
                         std::string(context) + ": a directory cannot move into itself");
  }
  return ErrnoToStatus(err, context);
}

}  // namespace ferry
