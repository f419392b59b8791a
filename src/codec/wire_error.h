// The one place where internal status codes meet the wire's ErrorCode (spec 9.1).
#pragma once

#include <string_view>

#include "ferry/v1/ferry.pb.h"
#include "src/base/status.h"

namespace ferry {

// Codes without a wire equivalent (local conditions) map to INTERNAL.
v1::ErrorCode ToWireCode(StatusCode code);

// Unknown or unspecified wire values map to kInternal (R-ERROR-3).
StatusCode FromWireCode(int wire_code);

// The Error message a server sends for `status`.
v1::Error ToWireError(const Status& status, std::string_view path, bool fatal);

// The Status a client reports for a received Error: its code and its message.
Status FromWireError(const v1::Error& error);

}  // namespace ferry
