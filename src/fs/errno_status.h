// The one place where an errno value becomes a Status.
//
// Code that calls the operating system turns every failure into a Status here,
// so the rest of ferry deals in StatusCode alone. Messages go to the peer (spec
// R-SEC-4), so they hold no errno number and no strerror() text (which varies
// with the C library and the locale), only the caller's context and a fixed
// description. The table is the errno column of spec 9.1 (R-ERROR-6).
#pragma once

#include <string_view>

#include "src/base/status.h"

namespace ferry {

// A non-OK Status for `err`, with the message "<context>: <fixed description>".
// Unlisted values become kIoError. `err` must not be 0.
Status ErrnoToStatus(int err, std::string_view context);
// The same for the errno of a rename (spec 6.10), where EINVAL has a meaning of
// its own: a directory moved into its own subtree, kInvalidPath (R-RENAME-4).
Status RenameErrnoToStatus(int err, std::string_view context);

}  // namespace ferry
