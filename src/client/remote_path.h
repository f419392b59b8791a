// The client's remote working directory (spec 6.12). The protocol has no
// server-side current directory: every path a request carries is relative to
// the served root (spec 3). The shell keeps one and turns what the user typed
// into such a path before anything is sent.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "src/client/completion.h"

namespace ferry {

// Resolves `typed` against the working directory `cwd` (root-relative, no
// leading or trailing '/', "" for the root), lexically, as R-CWD-1 to R-CWD-3
// say: a leading '/' starts from the root, "." and empty components are
// dropped, ".." removes the previous component and stops at the root. The
// result never holds "." or ".." and never starts with '/'. When `typed` names
// a directory by its form ("", ".", "..", or a trailing '/') and the result is
// not the root, the result keeps one trailing '/', so "copy into" can be told
// from "copy as".
std::string ResolveRemotePath(std::string_view cwd, std::string_view typed);

// The non-empty components of `path` ("a//b/" -> {"a", "b"}).
std::vector<std::string> SplitRemoteComponents(std::string_view path);

// "a/b/" -> "a/b": the path without the trailing '/' ResolveRemotePath may add.
std::string_view WithoutTrailingSlash(std::string_view path);

// `dir` (root-relative, "" for the root) joined with the single component `name`.
std::string JoinRemotePath(std::string_view dir, std::string_view name);

// The last component of a path ("" for the root).
std::string RemoteBaseName(std::string_view path);

// How the prompt and pwd show a working directory: "/" or "/a/b".
std::string DisplayRemoteDirectory(std::string_view cwd);

// Wraps a lister of root-relative directories (as the protocol names them) into
// one that takes directories as the user types them, relative to `cwd()`: what
// Tab completion needs once the shell has a working directory.
DirectoryLister ListRelativeToWorkingDirectory(std::function<std::string()> cwd,
                                               DirectoryLister list_root_relative);

}  // namespace ferry
