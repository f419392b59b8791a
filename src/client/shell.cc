#include "src/client/shell.h"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <filesystem>

#include "src/base/text.h"
#include "src/client/command_line.h"
#include "src/client/listing.h"
#include "src/client/local_files.h"
#include "src/client/progress.h"
#include "src/net/address.h"

namespace ferry {
namespace {

// What each code means to a person at the prompt; the code itself is printed
// too, for scripts and for searching the documentation.
std::string_view Describe(StatusCode code) {
  switch (code) {
    case StatusCode::kNotFound:
      return "no such file";
    case StatusCode::kAlreadyExists:
      return "already exists (use -f to overwrite)";
    case StatusCode::kIsADirectory:
      return "is a directory";
    case StatusCode::kNotADirectory:
      return "not a directory";
    case StatusCode::kNotARegularFile:
      return "not a regular file";
    case StatusCode::kPermissionDenied:
      return "permission denied";
    case StatusCode::kNoSpace:
      return "no space left";
    case StatusCode::kIoError:
      return "input/output error";
    case StatusCode::kInvalidPath:
      return "invalid path";
    case StatusCode::kDirectoryNotEmpty:
      return "directory not empty";
    case StatusCode::kBusy:
      return "busy, try again later";
    case StatusCode::kInvalidArgument:
      return "invalid argument";
    case StatusCode::kSizeMismatch:
      return "size mismatch, nothing was saved";
    case StatusCode::kChecksumMismatch:
      return "checksum mismatch, nothing was saved";
    case StatusCode::kCancelled:
      return "interrupted";
    case StatusCode::kSourceChanged:
      return "the file changed since the interrupted transfer; start it again";
    case StatusCode::kTimeout:
      return "timed out";
    case StatusCode::kTooManyConnections:
      return "server is full, try again later";
    case StatusCode::kAuthenticationFailed:
      return "wrong token";
    case StatusCode::kAuthenticationRequired:
      return "the server requires a token (--token-file)";
    case StatusCode::kUnsupportedVersion:
      return "server speaks another protocol version";
    case StatusCode::kConnectionClosed:
      return "connection closed";
    case StatusCode::kUnavailable:
      return "cannot connect";
    default:
      return "protocol error";
  }
}

std::string BaseName(std::string_view path) {
  while (path.size() > 1 && path.ends_with('/')) path.remove_suffix(1);
  const size_t slash = path.rfind('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

// True if `word` is one of the one-letter `flags`, written "-x".
bool IsFlag(std::string_view word, const char* flags) {
  // Letters may be combined, as in "ls -lh".
  return word.size() >= 2 && word[0] == '-' &&
         word.find_first_not_of(flags, 1) == std::string_view::npos;
}

// Splits the leading flags off the arguments; returns their letters.
std::string TakeFlags(std::vector<std::string>* args, const char* flags) {
  std::string taken;
  while (!args->empty() && IsFlag(args->front(), flags)) {
    taken += args->front().substr(1);
    args->erase(args->begin());
  }
  return taken;
}

bool Has(std::string_view taken, char flag) { return taken.find(flag) != std::string_view::npos; }

std::string Rate(uint64_t bytes, std::chrono::steady_clock::duration elapsed) {
  const double seconds = std::max(1e-6, std::chrono::duration<double>(elapsed).count());
  char text[64];
  std::snprintf(text, sizeof(text), "%.2f s, %.1f MB/s", seconds, bytes / seconds / 1e6);
  return text;
}

}  // namespace

const Shell::Command Shell::kCommands[] = {
    {"connme", "connme [HOST[:PORT]]", "connect to a server (default 127.0.0.1:7373)", 0, 1, "",
     false, &Shell::Connme, "-"},
    {"ls", "ls [-l] [-h] [PATH]",
     "list a directory (default: the root); -l: mode, size, time; -h: sizes in K, M, G", 0, 1, "lh",
     true, &Shell::Ls, "R"},
    {"rm", "rm PATH...", "delete files", 1, SIZE_MAX, "", true, &Shell::Rm, "R"},
    {"size", "size PATH", "print a file's size in bytes", 1, 1, "", true, &Shell::Size, "R"},
    {"download", "download [-f] [-a] REMOTE [LOCAL]",
     "copy a server file here (-f: replace an existing local file; -a: resume an interrupted one)",
     1, 2, "fa", true, &Shell::Download, "RL"},
    {"reget", "reget [-f] REMOTE [LOCAL]", "resume an interrupted download (download -a)", 1, 2,
     "f", true, &Shell::Reget, "RL"},
    {"upload", "upload [-f] [-a] LOCAL [REMOTE]",
     "copy a local file to the server (-f: replace an existing remote file; -a: resume an "
     "interrupted one)",
     1, 2, "fa", true, &Shell::Upload, "LR"},
    {"reput", "reput [-f] LOCAL [REMOTE]", "resume an interrupted upload (upload -a)", 1, 2, "f",
     true, &Shell::Reput, "LR"},
    {"get", "get [-f] [-a] REMOTE [LOCAL]", "the same as download", 1, 2, "fa", true,
     &Shell::Download, "RL"},
    {"put", "put [-f] [-a] LOCAL [REMOTE]", "the same as upload", 1, 2, "fa", true, &Shell::Upload,
     "LR"},
    {"stat", "stat PATH...", "describe files: type, size, permissions, modification time", 1,
     SIZE_MAX, "", true, &Shell::StatCommand, "R"},
    {"mkdir", "mkdir PATH...", "create directories (each parent must exist)", 1, SIZE_MAX, "", true,
     &Shell::Mkdir, "R"},
    {"rmdir", "rmdir PATH...", "remove empty directories", 1, SIZE_MAX, "", true, &Shell::Rmdir,
     "R"},
    {"mv", "mv [-f] SOURCE TARGET",
     "move or rename (into TARGET if it is a directory or ends in /; -f: replace a file at TARGET)",
     2, 2, "f", true, &Shell::Mv, "RR"},
    {"hash", "hash [-l] PATH...",
     "print each file's XXH3-128 digest as the server computes it (-l: of local files)", 1,
     SIZE_MAX, "l", false, &Shell::Hash, "R"},
    {"lcd", "lcd [DIR]", "change the local directory (default: your home)", 0, 1, "", false,
     &Shell::Lcd, "L"},
    {"lpwd", "lpwd", "print the local directory", 0, 0, "", false, &Shell::Lpwd},
    {"byebye", "byebye", "say goodbye to the server and leave", 0, 0, "", false, &Shell::Byebye},
    {"help", "help [COMMAND]", "list the commands, or explain one", 0, 1, "", false, &Shell::Help,
     "C"},
};

Shell::Shell(std::FILE* out, std::FILE* err, ShellOptions options)
    : out_(out), err_(err), options_(std::move(options)) {}

Shell::~Shell() { Disconnect(); }

Status Shell::Report(const Status& status, std::string_view subject) {
  if (status.ok()) return status;
  std::string line = "error: " + std::string(StatusCodeName(status.code())) + ": " +
                     std::string(Describe(status.code()));
  if (!subject.empty()) line += ": " + std::string(subject);
  if (options_.verbose && !status.message().empty()) {
    line += " (" + EscapeForDisplay(status.message()) + ")";
  }
  // The server's error names the request, as ferryd's log numbers it on this
  // connection: "(request 4)" is the log line with id cN/4.
  if (const uint64_t request = client_ ? client_->TakeErrorRequestNumber() : 0;
      options_.verbose && request != 0) {
    line += " (request " + std::to_string(request) + ")";
  }
  std::fprintf(err_, "%s\n", line.c_str());
  std::fflush(err_);
  return status;
}

Status Shell::ReportPath(const Status& status, std::string_view path) {
  return Report(status, QuoteForDisplay(path));
}

void Shell::Disconnect() {
  if (client_ && client_->connected()) client_->Bye().IgnoreError();  // leaving either way
  client_.reset();
  server_.clear();
}

Status Shell::RunLine(std::string_view line) {
  auto words = SplitCommandLine(line);
  if (!words.ok()) return Report(words.status(), "");
  if (words->empty()) return Status::Ok();
  const std::string name = (*words)[0];
  Args args(words->begin() + 1, words->end());
  for (const Command& command : kCommands) {
    if (name != command.name) continue;
    // Leading flags are not positional arguments.
    size_t flags = 0;
    while (flags < args.size() && IsFlag(args[flags], command.flags)) ++flags;
    const size_t positional = args.size() - flags;
    if (positional < command.min_args || positional > command.max_args) {
      return Report(Status::Error(StatusCode::kInvalidArgument, command.usage),
                    std::string("usage: ") + command.usage);
    }
    if (command.needs_connection && (client_ == nullptr || !client_->connected())) {
      client_.reset();
      return Report(Status::Error(StatusCode::kConnectionClosed, "not connected"),
                    "use connme HOST[:PORT] first");
    }
    return (this->*command.handler)(args);
  }
  return Report(Status::Error(StatusCode::kInvalidArgument, "unknown command"),
                "unknown command " + name + " (try help)");
}

int Shell::Run(std::FILE* in) {
  PlainLineReader reader(in);
  return Run(reader);
}

int Shell::Run(LineReader& reader) {
  if (options_.interactive && !options_.quiet) {
    std::fprintf(out_, "ferry 0.1.0 ready. Type help for the commands.\n");
  }
  bool failed = false;
  while (!finished_) {
    std::string prompt;
    if (options_.interactive) {
      prompt = "ferry" + (server_.empty() ? "" : " " + server_) + "> ";
      std::fflush(out_);
    }
    if (completer_) completer_->NewLine();
    const std::optional<std::string> line = reader.ReadLine(prompt);
    if (!line) break;
    if (!RunLine(*line).ok()) failed = true;
    // One command's output is complete before the next runs, even into a pipe.
    std::fflush(out_);
  }
  if (options_.interactive && !finished_) std::fprintf(out_, "\n");
  Disconnect();
  return failed && !options_.interactive ? 1 : 0;
}

Completion Shell::Complete(std::string_view before_cursor) {
  if (!completer_) {
    std::vector<CompletableCommand> commands;
    for (const Command& command : kCommands) commands.push_back({command.name, command.arg_kinds});
    auto list_local = [](const std::string& dir) -> StatusOr<std::vector<CompletionEntry>> {
      std::vector<CompletionEntry> entries;
      std::error_code ec;
      for (auto it = std::filesystem::directory_iterator(dir, ec);
           !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
        std::error_code type_ec;
        entries.push_back({it->path().filename().string(), it->is_directory(type_ec)});
      }
      if (ec) return Status::Error(StatusCode::kNotFound, ec.message());
      return entries;
    };
    auto list_remote = [this](const std::string& dir) -> StatusOr<std::vector<CompletionEntry>> {
      if (client_ == nullptr || !client_->connected()) {
        return Status::Error(StatusCode::kConnectionClosed, "not connected");
      }
      // The root is "" on the wire; "/" typed at the prompt means the same.
      auto listed = client_->List(dir == "/" ? "" : dir, nullptr);
      if (!listed.ok()) return listed.status();
      std::vector<CompletionEntry> entries;
      for (const FileInfo& info : *listed) {
        entries.push_back({info.name, info.type == FileType::kDirectory});
      }
      return entries;
    };
    completer_ = std::make_unique<Completer>(std::move(commands), list_local, list_remote);
  }
  return completer_->Complete(before_cursor);
}

Status Shell::Connme(const Args& args) {
  auto target = ParseHostPort(args.empty() ? "" : args[0], "127.0.0.1");
  if (!target.ok()) return ReportPath(target.status(), args.empty() ? "" : args[0]);
  Disconnect();
  auto client = Client::Connect(*target, options_.client);
  if (!client.ok()) {
    // Past the TCP connect, the reason is the point of the message (a
    // certificate that does not verify, a server that requires TLS): show it
    // without -v. Plain connect failures keep their one-word line.
    const Status& failed = client.status();
    // A reason that only repeats the code's description adds nothing.
    if ((options_.client.tls == nullptr && failed.code() == StatusCode::kUnavailable) ||
        failed.message() == Describe(failed.code())) {
      return ReportPath(failed, target->ToString());
    }
    Report(Status::Error(failed.code(), ""),
           QuoteForDisplay(target->ToString()) + " (" + EscapeForDisplay(failed.message()) + ")")
        .IgnoreError();  // the line is printed; the caller gets the full status
    return failed;
  }
  client_ = std::move(*client);
  server_ = target->ToString();
  if (options_.quiet) return Status::Ok();
  std::fprintf(out_, "connected to %s (%s, protocol %u)\n", server_.c_str(),
               EscapeForDisplay(client_->welcome().server_name()).c_str(),
               client_->welcome().version());
  return Status::Ok();
}

Status Shell::Ls(const Args& args) {
  Args rest = args;
  const std::string flags = TakeFlags(&rest, "lh");
  const std::string path = rest.empty() ? "" : rest[0];
  std::vector<std::string> skipped;
  auto entries = client_->List(path, &skipped);
  if (!entries.ok() && entries.status().code() == StatusCode::kNotADirectory) {
    // Like ls(1): listing a file shows that file.
    auto info = client_->Stat(path);
    if (!info.ok()) return ReportPath(info.status(), path);
    info->name = BaseName(path);
    entries = std::vector<FileInfo>{*info};
  }
  if (!entries.ok()) return ReportPath(entries.status(), path);
  std::sort(entries->begin(), entries->end(),
            [](const FileInfo& a, const FileInfo& b) { return a.name < b.name; });
  for (const std::string& line :
       FormatListing(*entries, Has(flags, 'l'), Has(flags, 'h'), &LocalTime)) {
    std::fprintf(out_, "%s\n", line.c_str());
  }
  // Names that are not plain components are not shown as entries (R-SEC-5), but
  // the user is told, with the name escaped (R-SEC-6).
  for (const std::string& name : skipped) {
    std::fprintf(err_, "warning: skipped an entry with an unsafe name: %s\n",
                 QuoteForDisplay(name).c_str());
  }
  std::fflush(err_);
  return Status::Ok();
}

Status Shell::Rm(const Args& args) {
  Status result;
  for (const std::string& path : args) {
    if (Status removed = client_->Remove(path); !removed.ok()) result = ReportPath(removed, path);
  }
  return result;
}

Status Shell::Size(const Args& args) {
  auto info = client_->Stat(args[0]);
  if (!info.ok()) return ReportPath(info.status(), args[0]);
  if (info->type == FileType::kDirectory) {
    return ReportPath(Status::Error(StatusCode::kIsADirectory, "size of a directory"), args[0]);
  }
  std::fprintf(out_, "%llu\n", static_cast<unsigned long long>(info->size));
  return Status::Ok();
}

Status Shell::Download(const Args& args) {
  Args rest = args;
  const std::string flags = TakeFlags(&rest, "fa");
  if (Has(flags, 'f')) rest.insert(rest.begin(), "-f");
  return Get(rest, Has(flags, 'a'));
}

Status Shell::Reget(const Args& args) { return Get(args, /*resume=*/true); }

// Whether a failed download leaves its partial for reget: only when it was
// interrupted (connection lost, cancelled), never after the server refused or
// the bytes failed verification (R-RESUME-5).
static bool KeepsPartial(const Status& status, bool still_connected) {
  switch (status.code()) {
    case StatusCode::kCancelled:
    case StatusCode::kConnectionClosed:
    case StatusCode::kTimeout:
      return true;
    case StatusCode::kIoError:
    case StatusCode::kMalformedFrame:
      return !still_connected;  // the connection failed, not the server's storage
    default:
      return false;
  }
}

Status Shell::Get(const Args& raw_args, bool resume) {
  Args args = raw_args;
  const bool force = Has(TakeFlags(&args, "f"), 'f');
  const std::string& remote = args[0];
  std::string local = args.size() > 1 ? args[1] : BaseName(remote);
  if (local.empty() || IsLocalDirectory(local)) {
    local = (local.empty() ? "." : local) + "/" + BaseName(remote);
  }
  auto target =
      resume ? LocalDownload::Resume(local, force, remote) : LocalDownload::Create(local, force);
  if (!target.ok()) return ReportPath(target.status(), local);
  LocalDownload& file = **target;
  const auto start = std::chrono::steady_clock::now();
  TransferOptions transfer;
  StreamingDigest prefix;
  DownloadResume from;
  if (file.kept_bytes() > 0) {
    if (Status hashed = file.HashKept(&prefix); !hashed.ok()) return ReportPath(hashed, local);
    from = DownloadResume{file.kept_bytes(), file.kept_size(), file.kept_mtime_unix_ns(), &prefix};
    transfer.resume = &from;
  }
  ProgressBar bar(err_, options_.progress && !options_.quiet);
  transfer.progress = [&](uint64_t done, uint64_t total) { bar.Update(done, total); };
  if (options_.interrupt != nullptr) {
    options_.interrupt->store(false);  // a Ctrl-C typed before this transfer is not for it
    transfer.cancel = options_.interrupt;
  }
  transfer.on_begin = [&](const DownloadStart& begin) {
    return file.Begin(remote, begin.size, begin.mtime_unix_ns, begin.offset);
  };
  auto result = client_->Download(
      remote, [&](std::span<const uint8_t> data) { return file.Write(data); }, transfer);
  bar.Clear();
  if (!result.ok()) {
    if (KeepsPartial(result.status(), client_->connected())) file.Keep();
    return ReportPath(result.status(), remote);
  }
  if (Status committed = file.Commit(); !committed.ok()) return ReportPath(committed, local);
  if (options_.quiet) return Status::Ok();
  const uint64_t moved = result->size - result->resumed_from;
  std::string resumed;
  if (result->resumed_from > 0) {
    resumed = "resumed after " + std::to_string(result->resumed_from) + " bytes, ";
  }
  std::fprintf(out_, "downloaded %s -> %s: %llu bytes (%s%s)\n", QuoteForDisplay(remote).c_str(),
               QuoteForDisplay(local).c_str(), static_cast<unsigned long long>(result->size),
               resumed.c_str(), Rate(moved, std::chrono::steady_clock::now() - start).c_str());
  return Status::Ok();
}

Status Shell::Upload(const Args& args) {
  Args rest = args;
  const std::string flags = TakeFlags(&rest, "fa");
  if (Has(flags, 'f')) rest.insert(rest.begin(), "-f");
  return Put(rest, Has(flags, 'a'));
}

Status Shell::Reput(const Args& args) { return Put(args, /*resume=*/true); }

Status Shell::Put(const Args& raw_args, bool resume) {
  Args args = raw_args;
  TransferOptions transfer;
  transfer.overwrite = Has(TakeFlags(&args, "f"), 'f');
  const std::string& local = args[0];
  std::string remote = args.size() > 1 ? args[1] : BaseName(local);
  if (remote.ends_with('/')) remote += BaseName(local);
  auto source = LocalSource::Open(local);
  if (!source.ok()) return ReportPath(source.status(), local);
  // Every upload is resumable: the server keeps what it received if the
  // connection is lost, and the id goes in a record for reput (spec 7.8). The
  // record names the source as it is now; a source that changed since starts
  // afresh (R-RESUME-10).
  std::error_code ec;
  const std::string absolute = std::filesystem::absolute(local, ec).string();
  const std::string state = UploadStateDirectory();
  const UploadRecord current{"", absolute, (*source)->size(), (*source)->mtime_unix_ns()};
  transfer.resumable = true;
  if (resume && !state.empty()) {
    auto record = LoadUploadRecord(state, server_, remote);
    if (record.ok() && record->local == current.local && record->size == current.size &&
        record->mtime_unix_ns == current.mtime_unix_ns) {
      transfer.resume_id = record->resume_id;
    }
  }
  transfer.on_ready = [&](std::string_view id, uint64_t) {
    if (state.empty() || id.empty()) return Status::Ok();
    UploadRecord record = current;
    record.resume_id = std::string(id);
    // Without the record only reput is lost, not the upload.
    SaveUploadRecord(state, server_, remote, record).IgnoreError();
    return Status::Ok();
  };
  ProgressBar bar(err_, options_.progress && !options_.quiet);
  transfer.progress = [&](uint64_t done, uint64_t total) { bar.Update(done, total); };
  if (options_.interrupt != nullptr) {
    options_.interrupt->store(false);  // a Ctrl-C typed before this transfer is not for it
    transfer.cancel = options_.interrupt;
  }
  const auto start = std::chrono::steady_clock::now();
  auto result = client_->Upload(
      remote, (*source)->size(), [&](std::span<uint8_t> out) { return (*source)->Read(out); },
      transfer);
  bar.Clear();
  if (!result.ok()) {
    // The server keeps an upload only when the connection is lost; after any
    // reply (an error, or CANCELLED) it has nothing left to resume.
    if (!state.empty() && client_->connected()) ForgetUploadRecord(state, server_, remote);
    return ReportPath(result.status(), remote);
  }
  if (!state.empty()) ForgetUploadRecord(state, server_, remote);
  if (options_.quiet) return Status::Ok();
  const uint64_t moved = result->size - result->resumed_from;
  std::string resumed;
  if (result->resumed_from > 0) {
    resumed = "resumed after " + std::to_string(result->resumed_from) + " bytes, ";
  }
  std::fprintf(out_, "uploaded %s -> %s: %llu bytes (%s%s)\n", QuoteForDisplay(local).c_str(),
               QuoteForDisplay(remote).c_str(), static_cast<unsigned long long>(result->size),
               resumed.c_str(), Rate(moved, std::chrono::steady_clock::now() - start).c_str());
  return Status::Ok();
}

Status Shell::Byebye(const Args&) {
  Status said;
  if (client_ && client_->connected()) said = client_->Bye();
  client_.reset();
  server_.clear();
  finished_ = true;
  if (!said.ok()) return Report(said, "");
  if (!options_.quiet) std::fprintf(out_, "bye\n");
  return Status::Ok();
}

Status Shell::Help(const Args& args) {
  for (const Command& command : kCommands) {
    if (!args.empty() && args[0] != command.name) continue;
    std::fprintf(out_, "  %-30s %s\n", command.usage, command.summary);
    if (!args.empty()) return Status::Ok();
  }
  if (!args.empty()) {
    return Report(Status::Error(StatusCode::kInvalidArgument, "unknown command"),
                  "unknown command " + args[0]);
  }
  std::fprintf(out_, "Quote names with spaces: upload \"my file.txt\"\n");
  return Status::Ok();
}

}  // namespace ferry
