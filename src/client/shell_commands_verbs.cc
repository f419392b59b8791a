// The shell's mv and hash verbs (spec 6.10 and 6.11), and hash -l, which
// computes the same digest of local files so that both sides can be compared
// without a transfer.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "src/base/digest.h"
#include "src/base/text.h"
#include "src/client/progress.h"
#include "src/client/shell.h"
#include "src/fs/errno_status.h"
#include "src/fs/unique_fd.h"

namespace ferry {
namespace {

// Removes a leading "-x" (alone, as the command table allows) from `args`.
bool TakeFlag(std::vector<std::string>* args, std::string_view flag) {
  if (args->empty() || args->front() != flag) return false;
  args->erase(args->begin());
  return true;
}

// "a/b/" -> "b": the name an entry keeps when it moves into a directory.
std::string LastComponent(std::string_view path) {
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  const size_t slash = path.rfind('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

// What sha256sum prints: the digest in hex, two spaces, the name (escaped, so
// that a name cannot forge a line or move the cursor).
std::string DigestLine(const Digest& digest, std::string_view name) {
  return DigestToHex(digest) + "  " + EscapeForDisplay(name) + "\n";
}

// The JSON side of a DigestLine.
JsonObject DigestFields(const Digest& digest, std::string_view path, bool local) {
  return JsonObject()
      .Add("path", path)
      .Add("local", local)
      .Add("algorithm", kDigestAlgorithmName)
      .Add("digest", DigestToHex(digest));
}

// The digest of a whole local file, exactly as the server computes it (7.4).
StatusOr<Digest> HashLocalFile(const std::string& path) {
  constexpr std::string_view kOperation = "hash";
  // O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below.
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  if (!fd.valid()) return ErrnoToStatus(errno, kOperation);
  struct stat st;
  if (fstat(fd.get(), &st) != 0) return ErrnoToStatus(errno, kOperation);
  if (S_ISDIR(st.st_mode)) return ErrnoToStatus(EISDIR, kOperation);
  if (!S_ISREG(st.st_mode)) {
    return Status::Error(StatusCode::kNotARegularFile, "hash: not a regular file");
  }
  StreamingDigest digest;
  std::vector<uint8_t> buffer(1 << 20);
  while (true) {
    const ssize_t got = read(fd.get(), buffer.data(), buffer.size());
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return ErrnoToStatus(errno, kOperation);
    if (got == 0) break;
    digest.Update(std::span<const uint8_t>(buffer.data(), static_cast<size_t>(got)));
  }
  return digest.Finish();
}

}  // namespace

Status Shell::Mv(const Args& raw_args) {
  Args args = raw_args;
  const bool overwrite = TakeFlag(&args, "-f");
  const std::string& from = args[0];
  std::string to = args[1];
  // As mv(1) does: a target that ends in '/' or names an existing directory
  // receives the entry under its own name. Only a plain name is renamed onto.
  bool into = !to.empty() && to.back() == '/';
  if (!into) {
    auto target = client_->Stat(to);
    if (!target.ok() && !client_->connected()) return ReportPath(target.status(), to);
    into = target.ok() && target->type == FileType::kDirectory;
  }
  if (into) {
    while (!to.empty() && to.back() == '/') to.pop_back();
    to = to.empty() ? LastComponent(from) : to + "/" + LastComponent(from);
  }
  if (Status moved = client_->Rename(from, to, overwrite); !moved.ok()) {
    return ReportPath(moved, from);
  }
  output_.Done(JsonObject().Add("from", from).Add("to", to), "");
  return Status::Ok();
}

Status Shell::Hash(const Args& raw_args) {
  Args args = raw_args;
  const bool local = TakeFlag(&args, "-l");
  Status result;
  if (local) {
    for (const std::string& path : args) {
      auto digest = HashLocalFile(path);
      if (!digest.ok()) {
        const Status failed = ReportPath(digest.status(), path);
        if (result.ok()) result = failed;  // the first failure is the command's
        continue;
      }
      output_.Answer(DigestFields(*digest, path, /*local=*/true), DigestLine(*digest, path));
    }
    return result;
  }
  if (client_ == nullptr || !client_->connected()) {
    client_.reset();
    return Report(Status::Error(StatusCode::kConnectionClosed, "not connected"),
                  "use connme HOST[:PORT] first");
  }
  for (const std::string& path : args) {
    ProgressBar bar(err_, options_.progress && !options_.quiet && !options_.json);
    TransferOptions transfer;
    transfer.progress = [&](uint64_t done, uint64_t total) { bar.Update(done, total); };
    if (options_.interrupt != nullptr) {
      options_.interrupt->store(false);  // a Ctrl-C typed before this hash is not for it
      transfer.cancel = options_.interrupt;
    }
    auto hashed = client_->Hash(path, 0, 0, transfer);
    bar.Clear();
    if (!hashed.ok()) {
      const Status failed = ReportPath(hashed.status(), path);
      if (result.ok()) result = failed;  // the first failure is the command's
      if (!client_->connected()) break;
      continue;
    }
    output_.Answer(DigestFields(hashed->digest, path, /*local=*/false).Add("size", hashed->size),
                   DigestLine(hashed->digest, path));
  }
  return result;
}

}  // namespace ferry
