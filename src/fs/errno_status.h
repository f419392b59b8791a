// The one place where an errno value becomes a Status.
//
// Only the POSIX filesystem layer sees errno. It turns every failure into a
// Status here, so the rest of ferry deals in StatusCode alone and a peer never
// learns an errno or a strerror() text (which varies with the C library and the
// locale). The table is in /tmp/ferry-semantics.md, "ErrorCode -> errno".
#pragma once

#include <string_view>

#include "src/base/status.h"

namespace ferry {

// A non-OK Status for `err`, with the message "<context>: <fixed description>".
// Unlisted values become kIoError. `err` must not be 0.
Status ErrnoToStatus(int err, std::string_view context);

// The symbolic name of `err` ("ENOENT"), for server logs; "EUNKNOWN" when `err` is
// not one of the values ErrnoToStatus knows.
std::string_view ErrnoName(int err);

}  // namespace ferry
