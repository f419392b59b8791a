#include "src/client/glob.h"

#include <glob.h>

#include <algorithm>

#include "src/client/remote_path.h"

namespace ferry {
namespace {

// Matches the bracket expression that opens at pattern[open] against `c`. False
// when the expression has no closing ']' (then '[' is an ordinary byte); else
// `end` is just past it and `matched` says whether `c` is in the set.
bool MatchBracket(std::string_view pattern, size_t open, unsigned char c, size_t* end,
                  bool* matched) {
  size_t i = open + 1;
  bool negate = false;
  if (i < pattern.size() && (pattern[i] == '!' || pattern[i] == '^')) {
    negate = true;
    ++i;
  }
  bool in_set = false;
  for (bool first = true; i < pattern.size(); first = false) {
    const unsigned char low = static_cast<unsigned char>(pattern[i]);
    if (low == ']' && !first) {
      *end = i + 1;
      *matched = in_set != negate;
      return true;
    }
    if (i + 2 < pattern.size() && pattern[i + 1] == '-' && pattern[i + 2] != ']') {
      const unsigned char high = static_cast<unsigned char>(pattern[i + 2]);
      if (low <= c && c <= high) in_set = true;
      i += 3;
    } else {
      if (low == c) in_set = true;
      ++i;
    }
  }
  return false;
}

// Past the character that starts at name[at]: its UTF-8 continuation bytes
// belong to it.
size_t NextCharacter(std::string_view name, size_t at) {
  ++at;
  while (at < name.size() && (static_cast<unsigned char>(name[at]) & 0xC0) == 0x80) ++at;
  return at;
}

}  // namespace

bool HasWildcard(std::string_view word) {
  return word.find_first_of("*?[") != std::string_view::npos;
}

bool GlobMatch(std::string_view pattern, std::string_view name) {
  size_t p = 0;
  size_t n = 0;
  // The last '*' seen, and where in `name` its run currently ends: on a
  // mismatch the run grows by one character and matching resumes after it.
  size_t star = std::string_view::npos;
  size_t star_end = 0;
  while (n < name.size()) {
    if (p < pattern.size()) {
      const char pc = pattern[p];
      if (pc == '*') {
        star = ++p;
        star_end = n;
        continue;
      }
      if (pc == '?') {
        ++p;
        n = NextCharacter(name, n);
        continue;
      }
      size_t end = 0;
      bool matched = false;
      if (pc == '[' &&
          MatchBracket(pattern, p, static_cast<unsigned char>(name[n]), &end, &matched)) {
        if (matched) {
          p = end;
          ++n;
          continue;
        }
      } else if (pc == name[n]) {
        ++p;
        ++n;
        continue;
      }
    }
    if (star == std::string_view::npos) return false;
    p = star;
    star_end = NextCharacter(name, star_end);
    n = star_end;
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

StatusOr<std::vector<std::string>> ExpandRemotePattern(std::string_view cwd, std::string_view typed,
                                                       const DirectoryLister& list) {
  struct Part {
    std::string name;
    bool pattern;
  };
  std::vector<Part> parts;
  if (!typed.starts_with('/')) {
    for (std::string& name : SplitRemoteComponents(cwd)) parts.push_back({std::move(name), false});
  }
  for (std::string& name : SplitRemoteComponents(typed)) {
    if (name == ".") continue;
    if (name == "..") {
      if (!parts.empty()) parts.pop_back();
      continue;
    }
    const bool pattern = HasWildcard(name);
    parts.push_back({std::move(name), pattern});
  }
  std::vector<std::string> matches = {""};
  for (size_t i = 0; i < parts.size() && !matches.empty(); ++i) {
    const Part& part = parts[i];
    if (!part.pattern) {
      for (std::string& match : matches) match = JoinRemotePath(match, part.name);
      continue;
    }
    const bool last = i + 1 == parts.size();
    std::vector<std::string> next;
    for (const std::string& dir : matches) {
      auto entries = list(dir);
      if (!entries.ok()) {
        // One directory named outright that cannot be listed is the error to
        // report; among several matched ones, it just matches nothing.
        if (matches.size() == 1) return entries.status();
        continue;
      }
      for (const CompletionEntry& entry : *entries) {
        if (entry.name.starts_with('.') && !part.name.starts_with('.')) continue;
        if (!last && !entry.directory) continue;
        if (!GlobMatch(part.name, entry.name)) continue;
        // A matched directory keeps a trailing '/', as ResolveRemotePath marks
        // one, so that a command given many names can pass over directories.
        next.push_back(JoinRemotePath(dir, entry.name) + (last && entry.directory ? "/" : ""));
      }
    }
    std::sort(next.begin(), next.end());
    matches = std::move(next);
  }
  if (matches.empty()) return Status::Error(StatusCode::kNotFound, "no match");
  return matches;
}

StatusOr<std::vector<std::string>> ExpandLocalPattern(const std::string& typed) {
  glob_t found{};
  // An unquoted word holds no backslash (the shell reads one as quoting), so
  // there is nothing to escape.
  const int result = ::glob(typed.c_str(), GLOB_NOESCAPE, nullptr, &found);
  std::vector<std::string> matches;
  if (result == 0) {
    for (size_t i = 0; i < found.gl_pathc; ++i) matches.emplace_back(found.gl_pathv[i]);
  }
  globfree(&found);
  if (result == GLOB_NOMATCH) return Status::Error(StatusCode::kNotFound, "no match");
  if (result != 0) return Status::Error(StatusCode::kIoError, "cannot read a directory");
  return matches;
}

}  // namespace ferry
