#include "src/fs/path.h"

#include "src/base/utf8.h"
#include "src/codec/limits.h"

namespace ferry {
namespace {

Status CheckName(std::string_view name) {
  if (name.empty()) return Status::Error(StatusCode::kInvalidPath, "empty path component");
  if (name == "." || name == "..") {
    return Status::Error(StatusCode::kInvalidPath, "'.' and '..' are not allowed");
  }
  if (name.size() > limits::kMaxNameBytes) {
    return Status::Error(StatusCode::kInvalidPath, "path component longer than 255 bytes");
  }
  for (size_t i = 0; i < name.size();) {
    const unsigned char c = static_cast<unsigned char>(name[i]);
    if (c < 0x20 || c == 0x7F) {
      return Status::Error(StatusCode::kInvalidPath, "control character in path");
    }
    uint32_t code_point;
    const size_t len = DecodeUtf8(name, i, &code_point);
    if (len == 0) return Status::Error(StatusCode::kInvalidPath, "path is not valid UTF-8");
    i += len;
  }
  if (IsReservedName(name)) {
    return Status::Error(StatusCode::kInvalidPath, "name is reserved by the server");
  }
  return Status::Ok();
}

}  // namespace

bool IsReservedName(std::string_view name) { return name.starts_with(kReservedNamePrefix); }

// CheckName never sees a '/' when called from Parse, which splits on it first; a
// name from elsewhere (a directory entry) must be refused for holding one.
bool IsValidName(std::string_view name) {
  return name.find('/') == std::string_view::npos && CheckName(name).ok();
}

StatusOr<Path> Path::Parse(std::string_view text) {
  if (text.size() > limits::kMaxPathBytes) {
    return Status::Error(StatusCode::kInvalidPath, "path longer than 4096 bytes");
  }
  // One leading and one trailing slash are accepted and mean nothing (R-PATH-2).
  if (text.starts_with('/')) text.remove_prefix(1);
  if (text.ends_with('/')) text.remove_suffix(1);
  Path path;
  if (text.empty()) return path;
  size_t start = 0;
  while (true) {
    const size_t slash = text.find('/', start);
    const std::string_view name = text.substr(
        start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    FERRY_RETURN_IF_ERROR(CheckName(name));
    path.components_.emplace_back(name);
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return path;
}

std::string_view Path::Name() const {
  return components_.empty() ? std::string_view() : std::string_view(components_.back());
}

Path Path::Parent() const {
  Path parent = *this;
  if (!parent.components_.empty()) parent.components_.pop_back();
  return parent;
}

Path Path::Child(std::string_view name) const {
  Path child = *this;
  child.components_.emplace_back(name);
  return child;
}

std::string Path::ToString() const {
  std::string out;
  for (const std::string& c : components_) {
    if (!out.empty()) out.push_back('/');
    out += c;
  }
  return out;
}

}  // namespace ferry
