// A request path that has passed the protocol's path rules (spec 3).
//
// Every path a client sends goes through Path::Parse before anything else sees
// it, so the filesystem layer only ever receives a normalised, root-relative list
// of plain names: no "..", no ".", no empty names, no NUL or control bytes, no
// invalid UTF-8, nothing over the length limits.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "src/base/status.h"

namespace ferry {

class Path {
 public:
  // The served root itself.
  Path() = default;

  // Applies spec 3 (R-PATH-1 .. R-PATH-8). Fails with kInvalidPath, naming the rule
  // that was broken.
  static StatusOr<Path> Parse(std::string_view text);

  bool IsRoot() const { return components_.empty(); }
  const std::vector<std::string>& components() const { return components_; }

  // The last component; "" for the root.
  std::string_view Name() const;
  // Everything but the last component; the root's parent is the root.
  Path Parent() const;
  // This path with one more component; `name` must be a valid name.
  Path Child(std::string_view name) const;

  // Canonical text: components joined by '/', no leading or trailing slash; ""
  // for the root.
  std::string ToString() const;

  bool operator==(const Path& other) const = default;

 private:
  std::vector<std::string> components_;
};

// True if `name` is a valid single component under spec 3 (used for names the
// server itself produces, such as directory entries).
bool IsValidName(std::string_view name);

// Names that begin with this prefix belong to the server (upload temporaries):
// requests naming them are refused and listings never show them (R-PATH-7).
inline constexpr std::string_view kReservedNamePrefix = ".ferry-part.";

bool IsReservedName(std::string_view name);

}  // namespace ferry
