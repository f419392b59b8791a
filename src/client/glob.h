// Wildcards the shell expands on the client, as sftp does: `*`, `?` and
// `[...]` in unquoted words (the protocol has no globbing, R-PATH-8).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "src/base/status.h"
#include "src/client/completion.h"

namespace ferry {

// True if `word` holds a wildcard character: '*', '?' or '['.
bool HasWildcard(std::string_view word);

// True if the single name `name` matches `pattern`: '*' matches any run of
// bytes, '?' one character (a whole UTF-8 sequence), "[abc]", "[a-z]" one byte
// from the set, "[!...]" or "[^...]" one byte not in it (a ']' right after the
// opening bracket belongs to the set). A '[' with no closing ']' is an ordinary
// byte. Every other byte matches itself. A leading '.' is not special here;
// ExpandRemotePattern applies the hidden-name rule.
bool GlobMatch(std::string_view pattern, std::string_view name);

// Expands a typed remote argument: resolved against `cwd` as
// ResolveRemotePath does, then each component that holds a wildcard is matched
// against a listing (`list`, root-relative directories) of the directories
// matched so far. Names starting with '.' match only a pattern that starts
// with '.'; a component before the last matches directories only. A component
// without wildcards is joined as typed, unchecked (the request that uses the
// path gets the server's answer). The result is sorted, root-relative paths, a
// directory matched by the last component marked with a trailing '/'; no match
// at all is kNotFound ("no match").
StatusOr<std::vector<std::string>> ExpandRemotePattern(std::string_view cwd, std::string_view typed,
                                                       const DirectoryLister& list);

// Expands a typed local argument with glob(3) against the local file system
// (hidden names only when the pattern's '.' is explicit). Sorted; no match is
// kNotFound ("no match").
StatusOr<std::vector<std::string>> ExpandLocalPattern(const std::string& typed);

}  // namespace ferry
