// Making untrusted names safe to print.
//
// File names come from the network (and from disks other people filled). They
// may hold newlines that forge log lines, terminal escape sequences that rewrite
// the screen (CVE-2019-6109), or bidirectional overrides that disguise a name.
// Everything printed to a terminal or a log goes through EscapeForDisplay.
#pragma once

#include <string>
#include <string_view>

namespace ferry {

// C0 controls, DEL, C1 controls and invalid UTF-8 bytes become \xNN; the Unicode
// bidirectional controls (U+202A..U+202E, U+2066..U+2069) become \u{NNNN}; a
// backslash becomes "\\" so the escaping is unambiguous. Everything else is kept.
std::string EscapeForDisplay(std::string_view text);

// Like EscapeForDisplay, and additionally wraps the result in double quotes when
// it is empty or holds a space or a quote mark, so it reads as one argument
// of the ferry command line.
std::string QuoteForDisplay(std::string_view text);

}  // namespace ferry
