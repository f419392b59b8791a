#include "src/client/remote_path.h"

namespace ferry {
std::vector<std::string> SplitRemoteComponents(std::string_view path) {
  std::vector<std::string> components;
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    if (slash > start) components.emplace_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return components;
}

std::string ResolveRemotePath(std::string_view cwd, std::string_view typed) {
  std::vector<std::string> resolved;
  if (!typed.starts_with('/')) resolved = SplitRemoteComponents(cwd);
  const std::vector<std::string> typed_components = SplitRemoteComponents(typed);
  for (const std::string& component : typed_components) {
    if (component == ".") continue;
    if (component == "..") {
      if (!resolved.empty()) resolved.pop_back();  // the root is its own parent
      continue;
    }
    resolved.push_back(component);
  }
  std::string path;
  for (const std::string& component : resolved) {
    if (!path.empty()) path.push_back('/');
    path += component;
  }
  const bool names_a_directory = typed_components.empty() || typed.ends_with('/') ||
                                 typed_components.back() == "." || typed_components.back() == "..";
  if (names_a_directory && !path.empty()) path.push_back('/');
  return path;
}

std::string_view WithoutTrailingSlash(std::string_view path) {
  while (path.ends_with('/')) path.remove_suffix(1);
  return path;
}

std::string JoinRemotePath(std::string_view dir, std::string_view name) {
  dir = WithoutTrailingSlash(dir);
  if (dir.empty()) return std::string(name);
  return std::string(dir) + "/" + std::string(name);
}

std::string RemoteBaseName(std::string_view path) {
  path = WithoutTrailingSlash(path);
  const size_t slash = path.rfind('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

std::string DisplayRemoteDirectory(std::string_view cwd) {
  return "/" + std::string(WithoutTrailingSlash(cwd));
}

DirectoryLister ListRelativeToWorkingDirectory(std::function<std::string()> cwd,
                                               DirectoryLister list_root_relative) {
  return [cwd = std::move(cwd), list = std::move(list_root_relative)](const std::string& typed) {
    return list(std::string(WithoutTrailingSlash(ResolveRemotePath(cwd(), typed))));
  };
}

}  // namespace ferry
