#include "src/client/shell.h"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <filesystem>

#include "src/base/text.h"
#include "src/base/version.h"
#include "src/client/batch.h"
#include "src/client/command_line.h"
#include "src/client/exit_code.h"
#include "src/client/listing.h"
#include "src/client/local_files.h"
#include "src/client/progress.h"
#include "src/client/remote_path.h"
#include "src/client/time_text.h"
#include "src/net/address.h"

namespace ferry {
namespace {

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

double Seconds(std::chrono::steady_clock::duration elapsed) {
  return std::max(1e-6, std::chrono::duration<double>(elapsed).count());
}

std::string Rate(uint64_t bytes, double seconds) {
  char text[64];
  std::snprintf(text, sizeof(text), "%.2f s, %.1f MB/s", seconds, bytes / seconds / 1e6);
  return text;
}

}  // namespace

const Shell::Command Shell::kCommands[] = {
    {"connme", "connme [HOST[:PORT]]", "connect to a server (default 127.0.0.1:7373)", 0, 1, "",
     false, &Shell::Connme, "-"},
    {"ls", "ls [-l] [-h] [PATH]",
     "list a directory (default: the working directory); -l: mode, size, time; "
     "-h: sizes in K, M, G",
     0, 1, "lh", true, &Shell::Ls, "R"},
    {"rm", "rm PATH...", "delete files", 1, SIZE_MAX, "", true, &Shell::Rm, "R"},
    {"size", "size PATH", "print a file's size in bytes", 1, 1, "", true, &Shell::Size, "R"},
    {"download", "download [-f] [-a] [-r] REMOTE... [LOCAL]",
     "copy server files here (-f: replace an existing local file; -a: resume an interrupted one; "
     "-r: whole directories); several go into the directory LOCAL",
     1, 2, "far", true, &Shell::Download, "RL", true},
    {"reget", "reget [-f] REMOTE [LOCAL]", "resume an interrupted download (download -a)", 1, 2,
     "f", true, &Shell::Reget, "RL"},
    {"upload", "upload [-f] [-a] [-r] LOCAL... [REMOTE]",
     "copy local files to the server (-f: replace an existing remote file; -a: resume an "
     "interrupted one; -r: whole directories); several go into the directory REMOTE",
     1, 2, "far", true, &Shell::Upload, "LR", true},
    {"reput", "reput [-f] LOCAL [REMOTE]", "resume an interrupted upload (upload -a)", 1, 2, "f",
     true, &Shell::Reput, "LR"},
    {"get", "get [-f] [-a] [-r] REMOTE... [LOCAL]", "the same as download", 1, 2, "far", true,
     &Shell::Download, "RL", true},
    {"put", "put [-f] [-a] [-r] LOCAL... [REMOTE]", "the same as upload", 1, 2, "far", true,
     &Shell::Upload, "LR", true},
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
     SIZE_MAX, "l", false, &Shell::Hash, "R", false, 'l'},
    {"lcd", "lcd [DIR]", "change the local directory (default: your home)", 0, 1, "", false,
     &Shell::Lcd, "L"},
    {"lpwd", "lpwd", "print the local directory", 0, 0, "", false, &Shell::Lpwd},
    // The remote working directory and the local listing (shell_commands_nav.cc).
    {"cd", "cd [DIR]", "change the remote directory (default: the root)", 0, 1, "", true,
     &Shell::Cd, "R"},
    {"pwd", "pwd", "print the remote directory", 0, 0, "", true, &Shell::Pwd},
    {"lls", "lls [-l] [-h] [DIR]", "list a local directory (default: the local one), as ls does", 0,
     1, "lh", false, &Shell::Lls, "L"},
    {"byebye", "byebye", "say goodbye to the server and leave", 0, 0, "", false, &Shell::Byebye},
    {"help", "help [COMMAND]", "list the commands, or explain one", 0, 1, "", false, &Shell::Help,
     "C"},
};

Shell::Shell(std::FILE* out, std::FILE* err, ShellOptions options)
    : out_(out),
      err_(err),
      options_(std::move(options)),
      output_(out, err, {options_.json, options_.quiet, options_.verbose}) {}

Shell::~Shell() { Disconnect(); }

Status Shell::Report(ShellError error) {
  if (error.status.ok()) return error.status;
  if (error.request == 0 && client_ != nullptr) error.request = client_->TakeErrorRequestNumber();
  output_.Error(error);
  return error.status;
}

Status Shell::Report(const Status& status, std::string_view subject) {
  return Report(ShellError{.status = status, .subject = std::string(subject)});
}

Status Shell::ReportPath(const Status& status, std::string_view path) {
  return Report(ShellError{.status = status, .path = std::string(path), .has_path = true});
}

void Shell::Disconnect() {
  if (client_ && client_->connected()) client_->Bye().IgnoreError();  // leaving either way
  client_.reset();
  server_.clear();
  remote_cwd_.clear();  // a new connection starts at the root
}

Status Shell::RunLine(std::string_view line) {
  output_.BeginCommand("");
  auto words = SplitCommandWords(line);
  if (!words.ok()) return Report(words.status(), "");
  return RunWords(*words);
}

Status Shell::RunWords(const std::vector<CommandWord>& words) {
  if (words.empty()) return Status::Ok();
  const std::string name = words[0].text;
  output_.BeginCommand(name);
  Args args;
  for (size_t i = 1; i < words.size(); ++i) args.push_back(words[i].text);
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
    // Remote paths resolved against the working directory, wildcards expanded.
    auto prepared = PrepareArguments(command, {words.begin() + 1, words.end()}, flags);
    if (!prepared.ok()) return prepared.status();  // already reported
    return (this->*command.handler)(*prepared);
  }
  return Report(Status::Error(StatusCode::kInvalidArgument, "unknown command"),
                "unknown command " + name + " (try help)");
}

int Shell::Run(std::FILE* in) {
  PlainLineReader reader(in);
  return Run(reader);
}

Status Shell::Open(const std::string& server) {
  // Silent in text and in JSON alike: the output is the command's alone.
  opening_ = true;
  Status connected = RunArguments({"connme", server});
  opening_ = false;
  return connected;
}

bool Shell::IsCommand(std::string_view word) {
  for (const Command& command : kCommands) {
    if (word == command.name) return true;
  }
  return false;
}

bool Shell::IsLocalCommand(std::string_view word) {
  for (const Command& command : kCommands) {
    if (word == command.name) return !command.needs_connection && word != "connme";
  }
  return false;
}

bool Shell::interrupted() const {
  return options_.interrupt != nullptr && options_.interrupt->load();
}

int Shell::Run(LineReader& reader) {
  if (options_.interactive && !options_.quiet) {
    output_.Chatter("ferry " FERRY_VERSION " ready. Type help for the commands.\n");
  }
  if (!options_.connect_first.empty()) {
    const Status connected = options_.interactive ? RunArguments({"connme", options_.connect_first})
                                                  : Open(options_.connect_first);
    if (!connected.ok() && !options_.interactive) {
      Disconnect();
      return ExitStatus(interrupted() ? ExitCode::kInterrupted : ExitCodeFor(connected.code()));
    }
  }
  ExitCode first_failure = ExitCode::kOk;
  size_t number = 0;
  while (!finished_) {
    std::string prompt;
    if (options_.interactive && !options_.json) {
      prompt = Prompt();
      std::fflush(out_);
    }
    if (completer_) completer_->NewLine();
    const std::optional<std::string> line = reader.ReadLine(prompt);
    if (!line) break;
    ++number;
    const BatchLine batch = options_.batch ? ParseBatchLine(*line) : BatchLine{*line, false};
    const Status status = RunLine(batch.command);
    // One command's output is complete before the next runs, even into a pipe.
    std::fflush(out_);
    if (options_.interactive) continue;
    // Not interactive, Ctrl-C ends the run: the transfer it cancelled was the
    // point of the script.
    if (interrupted() || status.code() == StatusCode::kCancelled) {
      first_failure = ExitCode::kInterrupted;
      break;
    }
    if (status.ok() || batch.ignore_failure) continue;
    if (first_failure == ExitCode::kOk) first_failure = ExitCodeFor(status.code());
    if (options_.batch) {
      std::fprintf(err_, "ferry: %s line %zu failed; stopping: %s\n", options_.batch_name.c_str(),
                   number, EscapeForDisplay(batch.command).c_str());
      break;
    }
  }
  // A Ctrl-C while waiting for input ends the input too.
  if (!options_.interactive && interrupted()) first_failure = ExitCode::kInterrupted;
  if (options_.interactive && !finished_) output_.Chatter("\n");
  Disconnect();
  return options_.interactive ? 0 : ExitStatus(first_failure);
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
    // What is typed is relative to the remote working directory.
    auto list_remote = ListRelativeToWorkingDirectory(
        [this] { return remote_cwd_; },
        [this](const std::string& dir) { return ListRemoteNames(dir); });
    completer_ = std::make_unique<Completer>(std::move(commands), list_local, list_remote);
  }
  return completer_->Complete(before_cursor);
}

Status Shell::Connme(const Args& args) {
  std::string address = args.empty() ? options_.default_server : args[0];
  ClientOptions connection = options_.client;
  if (options_.resolve_server) {
    auto resolved = options_.resolve_server(address);
    if (!resolved.ok())
      return Report(resolved.status(), EscapeForDisplay(resolved.status().message()));
    std::tie(address, connection) = std::move(*resolved);
  }
  auto target = ParseHostPort(address, "127.0.0.1");
  if (!target.ok()) return ReportPath(target.status(), args.empty() ? "" : args[0]);
  Disconnect();
  auto client = Client::Connect(*target, connection);
  if (!client.ok()) {
    // Past the TCP connect, the reason is the point of the message (a
    // certificate that does not verify, a server that requires TLS): show it
    // without -v. Plain connect failures keep their one-word line.
    const Status& failed = client.status();
    // A reason that only repeats the code's description adds nothing.
    if ((connection.tls == nullptr && failed.code() == StatusCode::kUnavailable) ||
        failed.message() == DescribeStatusCode(failed.code())) {
      return ReportPath(failed, target->ToString());
    }
    return Report(ShellError{.status = failed,
                             .path = target->ToString(),
                             .has_path = true,
                             .reason = failed.message()});
  }
  client_ = std::move(*client);
  server_ = target->ToString();
  const v1::Welcome& welcome = client_->welcome();
  JsonArray capabilities;
  for (const std::string& capability : welcome.capabilities()) capabilities.Add(capability);
  if (opening_) return Status::Ok();  // one-shot and batch: no word of it
  output_.Done(JsonObject()
                   .Add("server", server_)
                   .Add("server_name", welcome.server_name())
                   .Add("protocol", welcome.version())
                   .Add("capabilities", capabilities),
               "connected to " + server_ + " (" + EscapeForDisplay(welcome.server_name()) +
                   ", protocol " + std::to_string(welcome.version()) + ")\n");
  return Status::Ok();
}

Status Shell::Ls(const Args& args) {
  Args rest = args;
  const std::string flags = TakeFlags(&rest, "lh");
  const std::string path = rest.empty() ? remote_cwd_ : rest[0];
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
  std::string text;
  for (const std::string& line : FormatListing(
           *entries, Has(flags, 'l'), Has(flags, 'h'),
           [](int64_t unix_ns) { return FormatLocalTime(unix_ns, kListingTimeFormat); })) {
    text += line + "\n";
  }
  JsonArray listed;
  for (const FileInfo& entry : *entries) {
    listed.Add(JsonObject().Add("name", entry.name).Merge(FileFields(entry)));
  }
  output_.Answer(JsonObject().Add("path", path).Add("entries", listed), text);
  // Names that are not plain components are not shown as entries (R-SEC-5), but
  // the user is told, with the name escaped (R-SEC-6).
  for (const std::string& name : skipped) {
    output_.Warning("unsafe-name-skipped",
                    "skipped an entry with an unsafe name: " + QuoteForDisplay(name),
                    JsonObject().Add("name", name));
  }
  return Status::Ok();
}

Status Shell::Rm(const Args& args) { return EachPath(args, &Client::Remove); }

Status Shell::EachPath(const Args& paths, Status (Client::*request)(std::string_view)) {
  Status result;
  for (const std::string& path : paths) {
    if (Status done = (client_.get()->*request)(path); !done.ok()) {
      const Status failed = ReportPath(done, path);
      if (result.ok()) result = failed;  // the first failure is the command's
    } else {
      output_.Done(JsonObject().Add("path", path), "");
    }
  }
  return result;
}

Status Shell::Size(const Args& args) {
  auto info = client_->Stat(args[0]);
  if (!info.ok()) return ReportPath(info.status(), args[0]);
  if (info->type == FileType::kDirectory) {
    return ReportPath(Status::Error(StatusCode::kIsADirectory, "size of a directory"), args[0]);
  }
  output_.Answer(JsonObject().Add("path", args[0]).Add("size", info->size),
                 std::to_string(info->size) + "\n");
  return Status::Ok();
}

Status Shell::Download(const Args& args) { return Transfer(args, /*download=*/true); }

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
  ProgressBar bar(err_, options_.progress && !options_.quiet && !options_.json);
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
  ReportTransfer(/*download=*/true, remote, local, *result,
                 Seconds(std::chrono::steady_clock::now() - start));
  return Status::Ok();
}

Status Shell::Upload(const Args& args) { return Transfer(args, /*download=*/false); }

Status Shell::Reput(const Args& args) { return Put(args, /*resume=*/true); }

Status Shell::Put(const Args& raw_args, bool resume) {
  Args args = raw_args;
  TransferOptions transfer;
  transfer.overwrite = Has(TakeFlags(&args, "f"), 'f');
  const std::string& local = args[0];
  // No remote name, or a directory ("", the root, or a trailing '/'): the
  // file keeps its name, in the working directory or that directory.
  std::string remote = args.size() > 1 ? args[1] : remote_cwd_ + "/";
  if (remote.empty() || remote.ends_with('/')) remote = JoinRemotePath(remote, BaseName(local));
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
  ProgressBar bar(err_, options_.progress && !options_.quiet && !options_.json);
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
  ReportTransfer(/*download=*/false, remote, local, *result,
                 Seconds(std::chrono::steady_clock::now() - start));
  return Status::Ok();
}

void Shell::ReportTransfer(bool download, std::string_view remote, std::string_view local,
                           const TransferResult& result, double seconds) {
  const uint64_t moved = result.size - result.resumed_from;
  std::string resumed;
  if (result.resumed_from > 0) {
    resumed = "resumed after " + std::to_string(result.resumed_from) + " bytes, ";
  }
  const std::string from = QuoteForDisplay(download ? remote : local);
  const std::string to = QuoteForDisplay(download ? local : remote);
  output_.Done(JsonObject()
                   .Add("remote", remote)
                   .Add("local", local)
                   .Add("bytes", result.size)
                   .Add("resumed_from", result.resumed_from)
                   .Add("seconds", seconds)
                   .Add("digest", DigestToHex(result.digest)),
               std::string(download ? "downloaded " : "uploaded ") + from + " -> " + to + ": " +
                   std::to_string(result.size) + " bytes (" + resumed + Rate(moved, seconds) +
                   ")\n");
}

Status Shell::Byebye(const Args&) {
  Status said;
  if (client_ && client_->connected()) said = client_->Bye();
  client_.reset();
  server_.clear();
  finished_ = true;
  if (!said.ok()) return Report(said, "");
  output_.Done(JsonObject(), "bye\n");
  return Status::Ok();
}

Status Shell::Help(const Args& args) {
  JsonArray commands;
  std::string text;
  for (const Command& command : kCommands) {
    if (!args.empty() && args[0] != command.name) continue;
    commands.Add(JsonObject()
                     .Add("name", command.name)
                     .Add("usage", command.usage)
                     .Add("summary", command.summary));
    char line[512];
    std::snprintf(line, sizeof(line), "  %-30s %s\n", command.usage, command.summary);
    text += line;
  }
  if (!args.empty() && commands.empty()) {
    return Report(Status::Error(StatusCode::kInvalidArgument, "unknown command"),
                  "unknown command " + args[0]);
  }
  if (args.empty()) {
    text += "Quote names with spaces: upload \"my file.txt\"\n";
    text +=
        "Remote paths are relative to the working directory (cd, pwd); * ? [...] "
        "expand unless quoted: download *.log, rm '*.tmp'\n";
  }
  output_.Answer(JsonObject().Add("commands", commands), text);
  return Status::Ok();
}

}  // namespace ferry
