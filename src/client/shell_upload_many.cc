// Many-file uploads (several sources into a directory, wildcards, upload -r)
// with their requests pipelined through Client::UploadMany, so that the server
// can commit them in groups (spec 7.6) instead of flushing once per file. What
// the user sees is what one Put per file would show: the same lines and JSON
// objects, in the same order, the same warnings, failures and exit codes. Files
// of one chunk or less have no progress bar (each goes in one write); a larger
// one goes through Put, with its bar, as a single upload does.
#include <algorithm>
#include <chrono>
#include <deque>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <system_error>
#include <utility>
#include <vector>

#include "src/client/local_files.h"
#include "src/client/shell.h"
#include "src/client/shell_tree_tally.h"

namespace ferry {

// Hands the steps' files to UploadMany one at a time, each opened only when its
// turn comes, and reports the results as they arrive. Notes wait for the results
// of the files before them, so the output keeps the steps' order.
class Shell::PipelinedUpload {
 public:
  PipelinedUpload(Shell* shell, const std::vector<UploadStep>& steps, bool force, TreeTally* tally)
      : shell_(shell), steps_(steps), force_(force), tally_(tally) {}

  Status Run() {
    TransferOptions options;
    options.overwrite = force_;
    options.cancel = shell_->options_.interrupt;
    while (true) {
      const Status ended = shell_->client_->UploadMany(
          [this] { return Next(); },
          [this](const StatusOr<TransferResult>& result) { Report(result); }, options);
      PrintDueNotes();
      if (ended.code() == StatusCode::kCancelled) return Cancelled();
      if (!ended.ok()) return ended;  // the connection is gone; each file was told
      if (large_ == nullptr) return Status::Ok();
      // Every earlier file is reported: the large one goes as a single upload
      // does, resumable and with its progress bar.
      if (shell_->interrupted()) return Cancelled();
      const UploadStep& step = *std::exchange(large_, nullptr);
      ++next_;
      ++reported_;
      const Status copied = shell_->CopyOne(/*download=*/false, step.local, step.remote, force_,
                                            /*resume=*/false, tally_);
      if (copied.code() == StatusCode::kCancelled || !shell_->client_->connected()) return copied;
    }
  }

 private:
  // A file handed to UploadMany, waiting for its result.
  struct Sent {
    const UploadStep* step;
    std::chrono::steady_clock::time_point start;
    bool opened;  // else its result is the failure to open the local file
  };

  // The next file to send, opened now. A file of more than one chunk ends the
  // run (Run sends it once the earlier ones are answered).
  std::optional<StatusOr<Client::UploadItem>> Next() {
    while (next_ < steps_.size() && steps_[next_].note) ++next_;
    PrintDueNotes();
    if (next_ == steps_.size()) return std::nullopt;
    const UploadStep& step = steps_[next_];
    const auto start = std::chrono::steady_clock::now();
    auto opened = LocalSource::Open(step.local);
    if (!opened.ok()) {
      ++next_;
      sent_.push_back(Sent{&step, start, false});
      return StatusOr<Client::UploadItem>(opened.status());
    }
    if ((*opened)->size() > shell_->client_->welcome().max_chunk_bytes()) {
      large_ = &step;
      return std::nullopt;
    }
    ++next_;
    sent_.push_back(Sent{&step, start, true});
    // UploadMany drops the item once it is sent, which closes the file.
    std::shared_ptr<LocalSource> file = std::move(*opened);
    return StatusOr<Client::UploadItem>(Client::UploadItem{
        step.remote, file->size(), [file](std::span<uint8_t> out) { return file->Read(out); }});
  }

  // One file's result, reported and counted as Put and CopyOne do.
  void Report(const StatusOr<TransferResult>& result) {
    PrintDueNotes();
    const Sent sent = sent_.front();
    sent_.pop_front();
    ++reported_;
    const UploadStep& step = *sent.step;
    // A record an earlier interrupted upload left for this target is stale
    // once the target was written or refused (Put forgets it too).
    if (!state_.empty() && sent.opened && (result.ok() || shell_->client_->connected())) {
      ForgetUploadRecord(state_, shell_->server_, step.remote);
    }
    if (!result.ok()) {
      tally_->Fail(result.status());
      shell_->ReportPath(result.status(), sent.opened ? step.remote : step.local).IgnoreError();
      return;
    }
    const double seconds = std::max(
        1e-6, std::chrono::duration<double>(std::chrono::steady_clock::now() - sent.start).count());
    shell_->ReportTransfer(/*download=*/false, step.remote, step.local, *result, seconds);
    ++tally_->files;
    std::error_code ec;
    const uint64_t size = std::filesystem::file_size(step.local, ec);
    if (!ec) tally_->bytes += size;
  }

  // Prints the notes whose turn has come: those that Next passed and that no
  // file before them still waits for its result.
  void PrintDueNotes() {
    while (reported_ < next_ && steps_[reported_].note) steps_[reported_++].note();
  }

  // Ctrl-C stopped the run before the file at next_: it is the one cancelled,
  // as the file being sent is for a single upload. With no file left, nothing
  // was cancelled (the caller still sees the interrupt).
  Status Cancelled() {
    for (size_t i = next_; i < steps_.size(); ++i) {
      if (steps_[i].note) continue;
      const Status cancelled = Status::Error(StatusCode::kCancelled, "upload cancelled");
      tally_->Fail(cancelled);
      return shell_->ReportPath(cancelled, steps_[i].remote);
    }
    return Status::Ok();
  }

  Shell* shell_;
  const std::vector<UploadStep>& steps_;
  const bool force_;
  TreeTally* tally_;
  const std::string state_ = UploadStateDirectory();
  size_t next_ = 0;      // the step Next looks at first
  size_t reported_ = 0;  // every step before it has had its output
  std::deque<Sent> sent_;
  const UploadStep* large_ = nullptr;  // the file that ended a run, sent on its own
};

Status Shell::UploadSteps(const std::vector<UploadStep>& steps, bool force, bool resume,
                          TreeTally* tally) {
  if (!resume) return PipelinedUpload(this, steps, force, tally).Run();
  // Resuming needs each upload's own record (reput), so each goes alone.
  for (const UploadStep& step : steps) {
    if (step.note) {
      step.note();
      continue;
    }
    const Status copied =
        CopyOne(/*download=*/false, step.local, step.remote, force, resume, tally);
    if (copied.code() == StatusCode::kCancelled || !client_->connected()) return copied;
  }
  return Status::Ok();
}

}  // namespace ferry
