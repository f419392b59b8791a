// Moving around and many files at once: the remote working directory (cd, pwd;
// spec 6.12), the arguments' resolution against it and the expansion of
// wildcards (the one place every command's arguments go through), lls, and
// transfers of several files or of whole trees (download/upload -r).
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "src/base/text.h"
#include "src/client/glob.h"
#include "src/client/listing.h"
#include "src/client/local_files.h"
#include "src/client/remote_path.h"
#include "src/client/shell.h"
#include "src/client/shell_tree_tally.h"
#include "src/client/time_text.h"
#include "src/fs/errno_status.h"
#include "src/fs/path.h"

namespace ferry {

namespace {

// Splits leading one-letter flags ("-f", "-fr") off `args`; returns their letters.
std::string TakeLeadingFlags(std::vector<std::string>* args, std::string_view letters) {
  std::string taken;
  while (!args->empty() && args->front().size() >= 2 && args->front()[0] == '-' &&
         args->front().find_first_not_of(letters, 1) == std::string::npos) {
    taken += args->front().substr(1);
    args->erase(args->begin());
  }
  return taken;
}

bool Has(std::string_view letters, char flag) { return letters.find(flag) != std::string::npos; }

FileType LocalType(mode_t mode) {
  if (S_ISREG(mode)) return FileType::kRegular;
  if (S_ISDIR(mode)) return FileType::kDirectory;
  if (S_ISLNK(mode)) return FileType::kSymlink;
  return FileType::kOther;
}

// The entry itself, not what a symlink points to, as a listing shows it.
StatusOr<FileInfo> DescribeLocal(const std::string& path, std::string name) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return ErrnoToStatus(errno, "lstat");
  FileInfo info;
  info.name = std::move(name);
  info.type = LocalType(st.st_mode);
  info.size = info.type == FileType::kRegular ? static_cast<uint64_t>(st.st_size) : 0;
  info.mtime_unix_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
  info.mode = st.st_mode & 07777;
  return info;
}

// A local directory for a download to fill: created if missing; one that
// exists must be a real directory, never a symlink, so that no name from the
// server lands outside the tree the user asked for.
Status MakeLocalDirectory(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directory(dir, ec);
  if (ec && ec != std::errc::file_exists) return ErrnoToStatus(ec.value(), "mkdir");
  const std::filesystem::file_status status = std::filesystem::symlink_status(dir, ec);
  if (ec) return ErrnoToStatus(ec.value(), "lstat");
  if (!std::filesystem::is_directory(status)) {
    return Status::Error(StatusCode::kNotADirectory, "exists and is not a directory");
  }
  return Status::Ok();
}

// The entries of a local directory, sorted by name, without following links.
StatusOr<std::vector<std::filesystem::directory_entry>> LocalEntries(
    const std::filesystem::path& dir) {
  std::vector<std::filesystem::directory_entry> entries;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator(dir, ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    entries.push_back(*it);
  }
  if (ec) return ErrnoToStatus(ec.value(), "opendir");
  std::sort(entries.begin(), entries.end(),
            [](const auto& a, const auto& b) { return a.path().filename() < b.path().filename(); });
  return entries;
}

}  // namespace

Status Shell::RunArguments(const std::vector<std::string>& words) {
  std::vector<CommandWord> unquoted;
  for (const std::string& word : words) unquoted.push_back(CommandWord{word, false});
  return RunWords(unquoted);
}

StatusOr<Shell::Args> Shell::PrepareArguments(const Command& command,
                                              const std::vector<CommandWord>& words, size_t flags) {
  Args args;
  for (size_t i = 0; i < flags; ++i) args.push_back(words[i].text);
  const std::string_view kinds = command.arg_kinds;
  bool local = false;  // "hash -l": the paths are local ones
  for (size_t i = 0; i < flags; ++i) {
    if (command.local_flag != 0 && words[i].text.find(command.local_flag) != std::string::npos) {
      local = true;
    }
  }
  auto kind_at = [&](size_t position) {
    const char kind = kinds.empty() ? '-' : kinds[std::min(position, kinds.size() - 1)];
    return local && kind == 'R' ? 'L' : kind;
  };
  const size_t typed = words.size() - flags;
  for (size_t position = 0; position < typed; ++position) {
    const CommandWord& word = words[flags + position];
    const char kind = kind_at(position);
    const bool target = command.sources_then_target && position > 0;
    if (!word.quoted && !target && (kind == 'R' || kind == 'L') && HasWildcard(word.text)) {
      auto matches =
          kind == 'R'
              ? ExpandRemotePattern(remote_cwd_, word.text,
                                    [this](const std::string& dir) { return ListRemoteNames(dir); })
              : ExpandLocalPattern(word.text);
      if (!matches.ok())
        return Report(matches.status(), QuoteForDisplay(word.text) + " (no match)");
      args.insert(args.end(), matches->begin(), matches->end());
    } else if (kind == 'R') {
      args.push_back(ResolveRemotePath(remote_cwd_, word.text));  // R-CWD-1
    } else {
      args.push_back(word.text);
    }
  }
  if (command.sources_then_target && typed == 1) {
    // The default target: here for a download, the working directory for an upload.
    args.push_back(kind_at(1) == 'R' ? ResolveRemotePath(remote_cwd_, "") : "");
  }
  if (!command.sources_then_target && args.size() - flags > command.max_args) {
    return Report(Status::Error(StatusCode::kInvalidArgument, "a pattern matched several names"),
                  std::string("usage: ") + command.usage);
  }
  return args;
}

StatusOr<std::vector<CompletionEntry>> Shell::ListRemoteNames(const std::string& dir) {
  if (client_ == nullptr || !client_->connected()) {
    return Status::Error(StatusCode::kConnectionClosed, "not connected");
  }
  auto listed = client_->List(dir, nullptr);
  if (!listed.ok()) return listed.status();
  std::vector<CompletionEntry> entries;
  for (const FileInfo& info : *listed) {
    entries.push_back({info.name, info.type == FileType::kDirectory});
  }
  return entries;
}

std::string Shell::Prompt() const {
  if (server_.empty()) return "ferry> ";
  return "ferry " + server_ + ":" + EscapeForDisplay(DisplayRemoteDirectory(remote_cwd_)) + "> ";
}

Status Shell::Cd(const Args& args) {
  // The dispatch resolved the argument (R-CWD-1); none is the root.
  const std::string dir(WithoutTrailingSlash(args.empty() ? "" : args[0]));
  if (!dir.empty()) {
    // R-CWD-4: only an existing directory becomes the working directory.
    auto info = client_->Stat(dir);
    if (!info.ok()) return ReportPath(info.status(), dir);
    if (info->type != FileType::kDirectory) {
      return ReportPath(Status::Error(StatusCode::kNotADirectory, "cd"), dir);
    }
  }
  remote_cwd_ = dir;
  output_.Done(JsonObject().Add("path", DisplayRemoteDirectory(remote_cwd_)), "");
  return Status::Ok();
}

Status Shell::Pwd(const Args&) {
  const std::string shown = DisplayRemoteDirectory(remote_cwd_);
  output_.Answer(JsonObject().Add("path", shown), EscapeForDisplay(shown) + "\n");
  return Status::Ok();
}

Status Shell::Lls(const Args& args) {
  Args rest = args;
  const std::string flags = TakeLeadingFlags(&rest, "lh");
  const std::string dir = rest.empty() ? "." : rest[0];
  std::vector<FileInfo> entries;
  std::error_code ec;
  if (std::filesystem::is_directory(dir, ec)) {
    auto listed = LocalEntries(dir);
    if (!listed.ok()) return ReportPath(listed.status(), dir);
    for (const auto& entry : *listed) {
      // An entry that vanished since the directory was read is left out.
      auto info = DescribeLocal(entry.path().string(), entry.path().filename().string());
      if (info.ok()) entries.push_back(std::move(*info));
    }
  } else {
    // Like ls(1): listing a file shows that file.
    auto info = DescribeLocal(dir, std::filesystem::path(dir).filename().string());
    if (!info.ok()) return ReportPath(info.status(), dir);
    entries.push_back(std::move(*info));
  }
  std::sort(entries.begin(), entries.end(),
            [](const FileInfo& a, const FileInfo& b) { return a.name < b.name; });
  std::string text;
  for (const std::string& line : FormatListing(
           entries, Has(flags, 'l'), Has(flags, 'h'),
           [](int64_t unix_ns) { return FormatLocalTime(unix_ns, kListingTimeFormat); })) {
    text += line + "\n";
  }
  JsonArray listed;
  for (const FileInfo& entry : entries) {
    listed.Add(JsonObject().Add("name", entry.name).Merge(FileFields(entry)));
  }
  output_.Answer(JsonObject().Add("path", dir).Add("entries", listed), text);
  return Status::Ok();
}

Status Shell::Transfer(const Args& args, bool download) {
  Args sources = args;
  const std::string flags = TakeLeadingFlags(&sources, "far");
  const bool force = Has(flags, 'f');
  const bool resume = Has(flags, 'a');
  // The dispatch always passes the target last (sources_then_target).
  const std::string target = sources.back();
  sources.pop_back();
  auto one = [&](const std::string& from, const std::string& to) {
    Args single;
    if (force) single.push_back("-f");
    single.push_back(from);
    if (!to.empty()) single.push_back(to);  // else the file keeps its name, here
    return download ? Get(single, resume) : Put(single, resume);
  };
  if (!Has(flags, 'r') && sources.size() == 1) return one(sources[0], target);
  if (Has(flags, 'r') && resume) {
    return Report(Status::Error(StatusCode::kInvalidArgument, "-r with -a"),
                  "-r and -a do not go together");
  }
  TreeTally tally;
  // A many-file upload polls Ctrl-C across all its files (a single one clears
  // the flag as it starts): one typed before this command is not for it.
  if (!download && options_.interrupt != nullptr) options_.interrupt->store(false);
  if (Has(flags, 'r')) {
    for (const std::string& source : sources) {
      if (download) {
        DownloadTree(source, target, force, &tally).IgnoreError();  // in the tally
      } else {
        UploadTree(source, target, force, &tally).IgnoreError();
      }
      if (tally.first_failure.code() == StatusCode::kCancelled || (!download && interrupted())) {
        break;
      }
    }
  } else {
    // Several files go into a directory, each keeping its name.
    const std::string dir =
        download ? (target.empty() ? "." : target) : std::string(WithoutTrailingSlash(target));
    if (download && !IsLocalDirectory(dir)) {
      return ReportPath(Status::Error(StatusCode::kNotADirectory, "several files need a directory"),
                        dir);
    }
    if (!download && !dir.empty()) {
      auto info = client_->Stat(dir);
      if (!info.ok()) return ReportPath(info.status(), dir);
      if (info->type != FileType::kDirectory) {
        return ReportPath(
            Status::Error(StatusCode::kNotADirectory, "several files need a directory"), dir);
      }
    }
    // As sftp does, a wildcard's directories are passed over without -r.
    const auto skip_directory = [this](const std::string& source) {
      output_.Warning("directory-skipped",
                      "skipped a directory (-r copies directories): " + QuoteForDisplay(source),
                      JsonObject().Add("path", source));
    };
    if (!download) {
      std::vector<UploadStep> steps;
      for (const std::string& source : sources) {
        if (IsLocalDirectory(source)) {
          steps.push_back({.note = [skip_directory, source] { skip_directory(source); }});
        } else {
          steps.push_back(
              {source, JoinRemotePath(dir, std::filesystem::path(source).filename().string())});
        }
      }
      UploadSteps(steps, force, resume, &tally).IgnoreError();  // in the tally
    } else {
      for (const std::string& source : sources) {
        if (source.ends_with('/')) {
          skip_directory(source);
          continue;
        }
        const std::string to = dir + "/" + RemoteBaseName(source);
        const Status copied = CopyOne(download, source, to, force, resume, &tally);
        if (copied.code() == StatusCode::kCancelled || !client_->connected()) break;
      }
    }
  }
  // The summary closes the per-file objects; in JSON it is one more object,
  // "ok" only if every file went.
  output_.Summary(tally.first_failure.ok(),
                  JsonObject()
                      .Add("summary", true)
                      .Add("recursive", Has(flags, 'r'))
                      .Add("files", tally.files)
                      .Add("bytes", tally.bytes)
                      .Add("failed", tally.failed),
                  std::string(download ? "downloaded " : "uploaded ") +
                      std::to_string(tally.files) + " files, " + std::to_string(tally.bytes) +
                      " bytes, " + std::to_string(tally.failed) + " failed\n");
  return tally.first_failure;
}

Status Shell::CopyOne(bool download, const std::string& from, const std::string& to, bool force,
                      bool resume, TreeTally* tally) {
  Args single;
  if (force) single.push_back("-f");
  single.push_back(from);
  single.push_back(to);
  const Status copied = download ? Get(single, resume) : Put(single, resume);
  if (!copied.ok()) {
    tally->Fail(copied);
    return copied;
  }
  ++tally->files;
  // The bytes now in place: the local file, on either side of the transfer.
  std::error_code ec;
  const uint64_t size = std::filesystem::file_size(download ? to : from, ec);
  if (!ec) tally->bytes += size;
  return Status::Ok();
}

Status Shell::DownloadTree(const std::string& remote, const std::string& target, bool force,
                           TreeTally* tally) {
  const std::string top(WithoutTrailingSlash(remote));
  auto info = client_->Stat(top);
  if (!info.ok()) {
    tally->Fail(info.status());
    return ReportPath(info.status(), top);
  }
  // Into LOCAL under the remote name when LOCAL is an existing directory, as
  // LOCAL itself otherwise (cp -r).
  const std::string base = target.empty() ? "." : target;
  std::filesystem::path local_top = base;
  if (IsLocalDirectory(base) && !top.empty()) local_top /= RemoteBaseName(top);
  if (info->type != FileType::kDirectory) {
    // A file among the sources (download -r *) is copied as it is.
    return CopyOne(/*download=*/true, top, local_top.string(), force, /*resume=*/false, tally);
  }
  std::vector<std::pair<std::string, std::filesystem::path>> pending = {{top, local_top}};
  while (!pending.empty() && client_->connected()) {
    auto [dir, local_dir] = std::move(pending.back());
    pending.pop_back();
    if (Status made = MakeLocalDirectory(local_dir); !made.ok()) {
      tally->Fail(made);
      ReportPath(made, local_dir.string()).IgnoreError();
      continue;
    }
    std::vector<std::string> skipped;
    auto entries = client_->List(dir, &skipped);
    if (!entries.ok()) {
      tally->Fail(entries.status());
      ReportPath(entries.status(), dir).IgnoreError();
      continue;
    }
    for (const std::string& name : skipped) {
      output_.Warning("unsafe-name-skipped",
                      "skipped an entry with an unsafe name: " + QuoteForDisplay(name),
                      JsonObject().Add("name", name));
    }
    std::sort(entries->begin(), entries->end(),
              [](const FileInfo& a, const FileInfo& b) { return a.name < b.name; });
    for (const FileInfo& entry : *entries) {
      const std::string path = JoinRemotePath(dir, entry.name);
      // Client::List keeps only single, valid components (R-SEC-5); checked
      // again here because this name becomes a local path.
      if (!IsValidName(entry.name)) {
        output_.Warning("unsafe-name-skipped",
                        "skipped an entry with an unsafe name: " + QuoteForDisplay(entry.name),
                        JsonObject().Add("name", entry.name));
        continue;
      }
      const std::filesystem::path local = local_dir / entry.name;
      if (entry.type == FileType::kDirectory) {
        pending.emplace_back(path, local);
      } else if (entry.type == FileType::kRegular) {
        const Status copied =
            CopyOne(/*download=*/true, path, local.string(), force, /*resume=*/false, tally);
        if (copied.code() == StatusCode::kCancelled || !client_->connected()) return copied;
      } else {
        const bool link = entry.type == FileType::kSymlink;
        output_.Warning(link ? "symlink-skipped" : "special-file-skipped",
                        std::string("skipped ") + (link ? "a symbolic link" : "a special file") +
                            ": " + QuoteForDisplay(path),
                        JsonObject().Add("path", path));
      }
    }
  }
  return tally->first_failure;
}

Status Shell::UploadTree(const std::string& local, const std::string& target, bool force,
                         TreeTally* tally) {
  std::error_code ec;
  const std::filesystem::file_status status = std::filesystem::symlink_status(local, ec);
  if (ec || !(std::filesystem::is_directory(status) || std::filesystem::is_regular_file(status))) {
    const Status failed =
        ec ? ErrnoToStatus(ec.value(), "lstat")
           : Status::Error(StatusCode::kNotARegularFile, "neither a directory nor a regular file");
    tally->Fail(failed);
    return ReportPath(failed, local);
  }
  // The source's own name, also for "." or "dir/".
  const std::filesystem::path normal = std::filesystem::absolute(local, ec).lexically_normal();
  const std::string name = (normal.has_filename() ? normal : normal.parent_path()).filename();
  // Into REMOTE under the local name when REMOTE is an existing directory, as
  // REMOTE itself otherwise.
  const std::string base(WithoutTrailingSlash(target));
  std::string remote_top = base;
  if (base.empty()) {
    remote_top = name;
  } else if (auto info = client_->Stat(base); info.ok() && info->type == FileType::kDirectory) {
    remote_top = JoinRemotePath(base, name);
  }
  if (std::filesystem::is_regular_file(status)) {
    // A file among the sources (upload -r *) is copied as it is.
    return CopyOne(/*download=*/false, local, remote_top, force, /*resume=*/false, tally);
  }
  std::vector<std::pair<std::filesystem::path, std::string>> pending = {{local, remote_top}};
  // After Ctrl-C no more directories are made either.
  while (!pending.empty() && client_->connected() && !interrupted()) {
    auto [local_dir, dir] = std::move(pending.back());
    pending.pop_back();
    if (Status made = client_->MakeDirectory(dir); !made.ok()) {
      // A directory that is already there is filled; anything else is not.
      auto info =
          made.code() == StatusCode::kAlreadyExists ? client_->Stat(dir) : StatusOr<FileInfo>(made);
      if (!info.ok() || info->type != FileType::kDirectory) {
        const Status failed =
            info.ok() ? Status::Error(StatusCode::kNotADirectory, "exists, not a directory") : made;
        tally->Fail(failed);
        ReportPath(failed, dir).IgnoreError();
        continue;
      }
    }
    auto entries = LocalEntries(local_dir);
    if (!entries.ok()) {
      tally->Fail(entries.status());
      ReportPath(entries.status(), local_dir.string()).IgnoreError();
      continue;
    }
    // The directory's files go pipelined, one run per directory (a directory
    // request between uploads would close the server's group anyway, R-GROUP-4).
    std::vector<UploadStep> steps;
    for (const auto& entry : *entries) {
      const std::string entry_name = entry.path().filename().string();
      const std::string local_path = entry.path().string();
      const std::string path = JoinRemotePath(dir, entry_name);
      const std::filesystem::file_status type = entry.symlink_status(ec);
      if (std::filesystem::is_directory(type) || std::filesystem::is_regular_file(type)) {
        if (!IsValidName(entry_name)) {
          // The protocol cannot carry this name (spec 3.1): say so, go on.
          steps.push_back({.note = [this, tally, local_path] {
            const Status failed =
                Status::Error(StatusCode::kInvalidPath, "not a valid remote name");
            tally->Fail(failed);
            ReportPath(failed, local_path).IgnoreError();
          }});
          continue;
        }
      }
      if (std::filesystem::is_directory(type)) {
        pending.emplace_back(entry.path(), path);
      } else if (std::filesystem::is_regular_file(type)) {
        steps.push_back({local_path, path});
      } else {
        const bool link = std::filesystem::is_symlink(type);
        steps.push_back({.note = [this, link, local_path] {
          output_.Warning(link ? "symlink-skipped" : "special-file-skipped",
                          std::string("skipped ") + (link ? "a symbolic link" : "a special file") +
                              ": " + QuoteForDisplay(local_path),
                          JsonObject().Add("path", local_path));
        }});
      }
    }
    if (Status stopped = UploadSteps(steps, force, /*resume=*/false, tally); !stopped.ok()) {
      return stopped;
    }
  }
  return tally->first_failure;
}

}  // namespace ferry
