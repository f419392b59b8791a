#include "src/auth/token_file.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "src/codec/limits.h"

namespace ferry {

Status CheckToken(std::string_view token) {
  if (token.empty()) return Status::Error(StatusCode::kInvalidArgument, "the token is empty");
  if (token.size() < limits::kMinTokenBytes) {
    return Status::Error(
        StatusCode::kInvalidArgument,
        "the token is shorter than " + std::to_string(limits::kMinTokenBytes) + " bytes");
  }
  if (token.size() > limits::kMaxTokenBytes) {
    return Status::Error(
        StatusCode::kInvalidArgument,
        "the token is longer than " + std::to_string(limits::kMaxTokenBytes) + " bytes");
  }
  return Status::Ok();
}

StatusOr<std::string> ReadTokenFile(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    return Status::Error(errno == ENOENT ? StatusCode::kNotFound : StatusCode::kPermissionDenied,
                         "cannot open token file " + path + ": " + std::strerror(errno));
  }
  struct stat info {};
  std::string contents;
  Status status;
  if (fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
    status = Status::Error(StatusCode::kInvalidArgument,
                           "token file " + path + " is not a regular file");
  } else if ((info.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    status = Status::Error(
        StatusCode::kPermissionDenied,
        "token file " + path + " is accessible by group or others; make it private (chmod 600)");
  } else {
    // One more byte than a line may hold, so an overlong token is noticed.
    char buffer[limits::kMaxTokenBytes + 2];
    size_t filled = 0;
    while (filled < sizeof(buffer)) {
      const ssize_t n = read(fd, buffer + filled, sizeof(buffer) - filled);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        status = Status::Error(StatusCode::kIoError,
                               "cannot read token file " + path + ": " + std::strerror(errno));
        break;
      }
      if (n == 0) break;
      filled += static_cast<size_t>(n);
    }
    contents.assign(buffer, filled);
    OPENSSL_cleanse(buffer, sizeof(buffer));
  }
  close(fd);
  if (!status.ok()) return status;
  std::string token = contents.substr(0, contents.find('\n'));
  OPENSSL_cleanse(contents.data(), contents.size());  // the rest of the file, too
  if (!token.empty() && token.back() == '\r') token.pop_back();
  if (const Status valid = CheckToken(token); !valid.ok()) {
    return valid.WithContext("token file " + path);
  }
  return token;
}

}  // namespace ferry
