// The exit status of `ferry`: one number per class of failure, the same in
// every mode (interactive, piped, one-shot, batch, --json), so that a script can
// tell "not there" from "not allowed" from "the network broke" without parsing
// text. The table is documented in ferry(1) and the README; change all three
// together.
#pragma once

#include <string_view>

#include "src/base/status.h"

namespace ferry {

enum class ExitCode : int {
  kOk = 0,
  kUsage = 2,           // a bad command line, an unknown command, an invalid path
  kConnection = 3,      // cannot connect, connection lost, timed out, server full, TLS
  kAuthentication = 4,  // the server wants a token, or refused the one given
  kNotFound = 5,        // no such file or directory
  kPermission = 6,      // permission denied, or a read-only server
  kConflict = 7,        // exists already, is/is not a directory, not empty, busy, changed
  kSpace = 8,           // no space left, or over quota
  kIntegrity = 9,       // size or checksum mismatch: nothing was saved
  kProtocol = 10,       // the peer broke the protocol, or speaks another version
  kIo = 11,             // storage failed on either side (I/O error, internal error)
  kInterrupted = 130,   // cancelled by Ctrl-C or a signal, as shells count it
};

// The class a failure belongs to; kOk for an OK code.
ExitCode ExitCodeFor(StatusCode code);

// The class's name as the documentation and --json output spell it, e.g.
// "not-found".
std::string_view ExitCodeName(ExitCode code);

inline int ExitStatus(ExitCode code) { return static_cast<int>(code); }

}  // namespace ferry
