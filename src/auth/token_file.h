// Shared-secret tokens (spec 5.9) as they are kept on disk: the first line of a
// file that only its owner may read.
#pragma once

#include <string>
#include <string_view>

#include "src/base/status.h"

namespace ferry {

// The token in `path`: its first line without the line ending. kPermissionDenied
// if group or others have any access to the file (a secret others can read, or
// replace, is no secret); kInvalidArgument if the token is empty or outside the
// length bounds of CheckToken. The token itself never appears in a message, and
// the file's bytes are wiped from this function's buffers.
StatusOr<std::string> ReadTokenFile(const std::string& path);

// kInvalidArgument unless `token` is kMinTokenBytes..kMaxTokenBytes long (spec 5.9).
Status CheckToken(std::string_view token);

}  // namespace ferry
