#include "src/server/session.h"

#include <algorithm>
#include <limits>
#include <thread>

#include "src/base/digest.h"
#include "src/codec/frame.h"
#include "src/codec/wire_error.h"

namespace ferry {
namespace {

using Clock = std::chrono::steady_clock;

// Bounds of a commit group (R-GROUP-3). With a client that pipelines small
// uploads, the group's flushes cost about as much as one upload's; beyond a few
// hundred files the renames and flushes dominate anyway. The byte bound keeps a
// group from holding many files' worth of unflushed data, and the delay bound
// caps how long the first reply is held while uploads keep arriving.
constexpr size_t kMaxGroupUploads = 256;
constexpr uint64_t kMaxGroupBytes = uint64_t{16} << 20;
constexpr Clock::duration kMaxGroupDelay = std::chrono::milliseconds(20);

bool IsBadRequest(StatusCode code) {
  return code == StatusCode::kMalformedMessage || code == StatusCode::kUnexpectedMessage ||
         code == StatusCode::kUnsupported || code == StatusCode::kInvalidArgument;
}

v1::FileType ToWireType(FileType type) {
  switch (type) {
    case FileType::kRegular:
      return v1::REGULAR;
    case FileType::kDirectory:
      return v1::DIRECTORY;
    case FileType::kSymlink:
      return v1::SYMLINK;
    case FileType::kOther:
      return v1::OTHER;
  }
  return v1::OTHER;
}

void ToWire(const FileInfo& info, v1::FileInfo* out) {
  out->set_name(info.name);
  out->set_type(ToWireType(info.type));
  out->set_size(info.size);
  out->set_mtime_unix_ns(info.mtime_unix_ns);
  out->set_mode(info.mode & 07777);
}

}  // namespace

const Session::Route Session::kRoutes[] = {
    {v1::ClientMessage::kList, "list", &Session::HandleList, /*mutates=*/false},
    {v1::ClientMessage::kStat, "stat", &Session::HandleStat, /*mutates=*/false},
    {v1::ClientMessage::kRemove, "remove", &Session::HandleRemove, /*mutates=*/true},
    {v1::ClientMessage::kDownload, "download", &Session::HandleDownload, /*mutates=*/false},
    {v1::ClientMessage::kUpload, "upload", &Session::HandleUpload, /*mutates=*/true},
    {v1::ClientMessage::kBye, "bye", &Session::HandleBye, /*mutates=*/false},
    {v1::ClientMessage::kCancel, "cancel", &Session::HandleCancel, /*mutates=*/false},
    {v1::ClientMessage::kMakeDirectory, "mkdir", &Session::HandleMakeDirectory,
     /*mutates=*/true},
    {v1::ClientMessage::kRemoveDirectory, "rmdir", &Session::HandleRemoveDirectory,
     /*mutates=*/true},
    {v1::ClientMessage::kRename, "rename", &Session::HandleRename, /*mutates=*/true},
    {v1::ClientMessage::kHash, "hash", &Session::HandleHash, /*mutates=*/false},
};

Session::Session(Stream* stream, FileSystem* fs, SessionOptions options, RequestObserver observer)
    : stream_(stream),
      fs_(fs),
      options_(std::move(options)),
      observer_(std::move(observer)),
      reader_(stream, limits::kHandshakeMaxFrameBytes),
      writer_(stream) {}

Status Session::Send(const v1::ServerMessage& message) {
  if (!group_open()) return writer_.Write(message);
  // Held behind the group's replies, so that every frame keeps request order
  // (R-STATE-4).
  HeldFrame held;
  if (!EncodeFrame(message, &held.frame)) {
    return Status::Error(StatusCode::kInternal, "message too large to encode");
  }
  held_frames_.push_back(std::move(held));
  return Status::Ok();
}

bool Session::MayJoinGroup(uint64_t size) {
  if (group_uploads_.size() >= kMaxGroupUploads || group_bytes_ + size > kMaxGroupBytes) {
    return false;
  }
  if (group_open() && Clock::now() - group_started_ >= kMaxGroupDelay) return false;
  // Only while the client's next frame is already here, whole: a client that
  // waits for this reply before it sends anything gets it at once (R-GROUP-3).
  return reader_.HasWholeFrame();
}

bool Session::GroupTouches(const Path& path) const {
  const std::vector<std::string>& names = path.components();
  for (const GroupedUpload& grouped : group_uploads_) {
    const std::vector<std::string>& target = grouped.target.components();
    if (target.size() <= names.size() && std::equal(target.begin(), target.end(), names.begin())) {
      return true;
    }
  }
  return false;
}

Status Session::CommitGroupBeforeWaiting() {
  if (!group_open()) return Status::Ok();
  if (group_uploads_.size() < kMaxGroupUploads && group_bytes_ < kMaxGroupBytes &&
      Clock::now() - group_started_ < kMaxGroupDelay && reader_.HasWholeFrame()) {
    return Status::Ok();
  }
  return CommitGroup();
}

Status Session::CommitGroup() {
  if (!group_open()) return Status::Ok();
  std::vector<PendingUpload*> uploads;
  for (const GroupedUpload& grouped : group_uploads_) uploads.push_back(grouped.upload.get());
  std::vector<Status> results(uploads.size());
  fs_->CommitUploads(uploads, results);
  // A failed upload's temporary is gone before its Error is sent (R-UPLOAD-14).
  for (GroupedUpload& grouped : group_uploads_) grouped.upload.reset();
  // Every held frame in order, in one write.
  std::string out;
  std::string frame;
  Status encoded;
  for (const HeldFrame& held : held_frames_) {
    if (held.grouped < 0) {
      out += held.frame;
      continue;
    }
    const GroupedUpload& grouped = group_uploads_[static_cast<size_t>(held.grouped)];
    const Status& result = results[static_cast<size_t>(held.grouped)];
    v1::ServerMessage reply;
    if (result.ok()) {
      reply.mutable_upload_done()->set_size(grouped.size);
      reply.mutable_upload_done()->set_xxh3_128(DigestToBytes(grouped.digest));
    } else {
      // A storage error, never a bad request: the budget is untouched (R-ERROR-10).
      *reply.mutable_error() = ToWireError(result, grouped.wire_path, /*fatal=*/false);
    }
    if (!EncodeFrame(reply, &frame)) {
      encoded = Status::Error(StatusCode::kInternal, "message too large to encode");
      break;
    }
    out += frame;
  }
  Status sent = encoded;
  if (sent.ok() && !out.empty()) {
    sent = stream_->Write(
        std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(out.data()), out.size()));
  }
  const auto now = Clock::now();
  for (HeldRecord& held : held_records_) {
    if (held.grouped >= 0) {
      held.record.result = results[static_cast<size_t>(held.grouped)];
      held.record.duration = now - held.start;
    }
    if (observer_ && !held.record.command.empty()) observer_(held.record);
  }
  group_uploads_.clear();
  held_frames_.clear();
  held_records_.clear();
  group_bytes_ = 0;
  return sent;
}

Session::Outcome Session::Fail(const Status& status, const std::string& path, bool close) {
  // The budget is applied here, where every error reply passes (R-ERROR-9).
  close = close || (IsBadRequest(status.code()) &&
                    consecutive_bad_requests_ + 1 >= limits::kMaxConsecutiveBadRequests);
  // The replies before a fatal error go out before it (R-STATE-4).
  if (close) CommitGroup().IgnoreError();
  v1::ServerMessage reply;
  *reply.mutable_error() = ToWireError(status, path, close);
  const Status sent = Send(reply);
  // A reply that cannot be delivered ends the connection whatever it said.
  return Outcome{status, close || !sent.ok()};
}

Status Session::Run() {
  stream_->SetDeadline(Clock::now() + options_.handshake_timeout);
  stream_->SetIoTimeout(options_.handshake_timeout);
  Status handshake = Handshake();
  // Authentication is part of the handshake: the same deadline covers both (R-AUTH-8).
  if (handshake.ok() && options_.token) handshake = Authenticate();
  if (!handshake.ok()) {
    stream_->Shutdown();
    // A client that leaves before saying Hello, or says Bye instead of
    // authenticating, has done nothing wrong.
    return handshake.code() == StatusCode::kConnectionClosed ? Status::Ok() : handshake;
  }
  stream_->SetDeadline(std::nullopt);
  while (true) {
    // The idle limit is a deadline for a whole request frame, so a client that
    // trickles bytes cannot stretch it (R-TIME-2). Replies are bounded by the
    // send-stall limit instead (R-TIME-4).
    if (const Status committed = CommitGroupBeforeWaiting(); !committed.ok()) {
      stream_->Shutdown();
      return committed;
    }
    stream_->SetIoTimeout(options_.idle_timeout);
    stream_->SetDeadline(Clock::now() + options_.idle_timeout);
    auto payload = NextRequest();
    stream_->SetDeadline(std::nullopt);
    stream_->SetIoTimeout(options_.transfer_timeout);
    if (!payload.ok()) {
      const Status status = payload.status();
      if (status.code() == StatusCode::kConnectionClosed) {
        // Uploads whose UploadEnd was read are committed, whoever hears of it
        // (R-DUR-2).
        CommitGroup().IgnoreError();
        return Status::Ok();  // client left
      }
      Fail(status, "", /*close=*/true);
      stream_->Shutdown();
      return status;
    }
    RequestRecord record;
    const auto start = Clock::now();
    Outcome outcome = Dispatch(*payload, &record);
    if (IsBadRequest(outcome.status.code())) {
      ++consecutive_bad_requests_;
    } else if (outcome.status.ok() && outcome.replied) {
      consecutive_bad_requests_ = 0;  // other errors leave the count alone (R-ERROR-10)
    }
    record.result = outcome.status;
    record.bytes = outcome.bytes;
    record.duration = Clock::now() - start;
    const bool bye = record.command == "bye";
    if (group_open()) {
      held_records_.push_back(HeldRecord{std::move(record), start, outcome.deferred});
    } else if (observer_ && !record.command.empty()) {
      observer_(record);
    }
    if (outcome.close) {
      CommitGroup().IgnoreError();
      stream_->Shutdown();
      return bye ? Status::Ok() : outcome.status;
    }
  }
}

Status Session::Handshake() {
  auto payload = reader_.ReadFrame();
  if (!payload.ok()) {
    if (payload.status().code() != StatusCode::kConnectionClosed) {
      Fail(payload.status(), "", /*close=*/true);
    }
    return payload.status();
  }
  const auto refuse = [&](StatusCode code, const std::string& why) {
    const Status status = Status::Error(code, why);
    Fail(status, "", /*close=*/true);
    return status;
  };
  if (const Status decoded = DecodeClientFrame(*payload, &frame_); !decoded.ok()) {
    return refuse(decoded.code(), decoded.message());
  }
  if (frame_.is_chunk || frame_.message.body_case() != v1::ClientMessage::kHello) {
    return refuse(StatusCode::kUnexpectedMessage, "the first message must be Hello");
  }
  const v1::Hello& hello = frame_.message.hello();
  if (hello.min_version() > hello.max_version()) {
    return refuse(StatusCode::kInvalidArgument, "min_version is greater than max_version");
  }
  if (hello.min_version() > limits::kProtocolVersion ||
      hello.max_version() < limits::kProtocolVersion) {
    return refuse(StatusCode::kUnsupportedVersion, "server speaks versions 1..1");
  }
  if (hello.client_name().size() > limits::kMaxPeerNameBytes) {
    return refuse(StatusCode::kInvalidArgument, "client_name longer than 256 bytes");
  }
  uint32_t max_frame = options_.max_frame_bytes;
  if (hello.max_frame_bytes() != 0) {
    if (hello.max_frame_bytes() < limits::kMinFrameBytes) {
      return refuse(StatusCode::kInvalidArgument, "max_frame_bytes below 65536");
    }
    max_frame = std::min(max_frame, hello.max_frame_bytes());
  }
  max_chunk_bytes_ = max_frame - limits::kChunkOverheadBytes;

  v1::ServerMessage reply;
  v1::Welcome* welcome = reply.mutable_welcome();
  welcome->set_version(limits::kProtocolVersion);
  welcome->set_server_name(options_.server_name);
  welcome->set_max_frame_bytes(max_frame);
  welcome->set_max_chunk_bytes(max_chunk_bytes_);
  welcome->set_max_path_bytes(limits::kMaxPathBytes);
  welcome->set_max_list_entries(limits::kMaxListEntries);
  if (options_.read_only) welcome->add_capabilities("read-only");
  if (options_.token) welcome->add_auth_methods("token");
  FERRY_RETURN_IF_ERROR(Send(reply));
  negotiated_max_frame_bytes_ = max_frame;
  // With authentication the handshake is complete only once the token matches;
  // until then the small handshake limit still applies (R-FRAME-4, R-AUTH-3).
  if (!options_.token) reader_.set_max_frame_bytes(max_frame);
  return Status::Ok();
}

Status Session::Authenticate() {
  // Nothing but Authenticate and Bye is served here, and nothing here touches
  // the filesystem (R-AUTH-3).
  const auto fatal = [&](StatusCode code, const std::string& why) {
    const Status status = Status::Error(code, why);
    Fail(status, "", /*close=*/true);
    return status;
  };
  const auto log = [&](const Status& result) {
    if (!observer_) return;
    RequestRecord record;
    record.command = "authenticate";  // never the token (R-AUTH-4)
    record.result = result;
    observer_(record);
  };
  int failures = 0;
  while (true) {
    auto payload = reader_.ReadFrame();
    if (!payload.ok()) {
      if (payload.status().code() != StatusCode::kConnectionClosed) {
        Fail(payload.status(), "", /*close=*/true);
      }
      return payload.status();
    }
    if (const Status decoded = DecodeClientFrame(*payload, &frame_); !decoded.ok()) {
      return fatal(decoded.code(), decoded.message());
    }
    const auto body = frame_.is_chunk ? v1::ClientMessage::kChunk : frame_.message.body_case();
    if (body == v1::ClientMessage::kBye) {
      v1::ServerMessage reply;
      reply.mutable_bye();
      Send(reply).IgnoreError();  // closing either way
      return Status::Error(StatusCode::kConnectionClosed, "client left before authenticating");
    }
    if (body != v1::ClientMessage::kAuthenticate) {
      return fatal(StatusCode::kAuthenticationRequired,
                   "authenticate before any request (auth method: token)");
    }
    const std::string& token = frame_.message.authenticate().token();
    // Bounded before it is used at all (R-AUTH-7).
    if (token.empty() || token.size() > limits::kMaxTokenBytes) {
      const Status status = fatal(StatusCode::kInvalidArgument, "token must be 1..1024 bytes");
      log(status);
      return status;
    }
    if (options_.token->Matches(token)) {
      v1::ServerMessage reply;
      reply.mutable_authenticated();
      FERRY_RETURN_IF_ERROR(Send(reply));
      reader_.set_max_frame_bytes(negotiated_max_frame_bytes_);
      log(Status::Ok());
      return Status::Ok();
    }
    // Slow down guessing; the third wrong token ends the connection (R-AUTH-5, R-AUTH-6).
    std::this_thread::sleep_for(options_.auth_failure_delay);
    ++failures;
    const bool last = failures >= limits::kMaxAuthenticationFailures;
    const Status wrong = Status::Error(StatusCode::kAuthenticationFailed,
                                       last ? "wrong token; too many failures" : "wrong token");
    log(wrong);
    if (last) return fatal(wrong.code(), wrong.message());
    if (const Outcome sent = Fail(wrong, ""); sent.close) return wrong;
  }
}

StatusOr<std::span<const uint8_t>> Session::NextRequest() {
  if (held_request_) {
    held_storage_ = std::move(*held_request_);
    held_request_.reset();
    return std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(held_storage_.data()),
                                    held_storage_.size());
  }
  return reader_.ReadFrame();
}

Session::Outcome Session::Dispatch(std::span<const uint8_t> payload, RequestRecord* record) {
  const Status decoded = DecodeClientFrame(payload, &frame_);
  // Only uploads join a group: anything else sees it committed (R-GROUP-4).
  if (group_open() && !(decoded.ok() && !frame_.is_chunk &&
                        frame_.message.body_case() == v1::ClientMessage::kUpload)) {
    if (const Status committed = CommitGroup(); !committed.ok()) return Outcome{committed, true};
  }
  if (!decoded.ok()) {
    record->command = "invalid";
    return Fail(decoded, "");
  }
  if (frame_.is_chunk || frame_.message.body_case() == v1::ClientMessage::kUploadEnd ||
      frame_.message.body_case() == v1::ClientMessage::kHello) {
    record->command = frame_.is_chunk              ? "chunk"
                      : frame_.message.has_hello() ? "hello"
                                                   : "upload_end";
    return Fail(Status::Error(StatusCode::kUnexpectedMessage,
                              record->command + " is not allowed outside its phase"),
                "");
  }
  for (const Route& route : kRoutes) {
    if (route.body == frame_.message.body_case()) {
      record->command = route.name;
      if (route.mutates && options_.read_only) return RefuseReadOnly(frame_.message, record);
      return (this->*route.handler)(frame_.message, record);
    }
  }
  if (frame_.message.body_case() == v1::ClientMessage::kAuthenticate) {
    record->command = "authenticate";
    return Fail(Status::Error(StatusCode::kUnexpectedMessage,
                              options_.token ? "already authenticated"
                                             : "this server does not ask for authentication"),
                "");
  }
  record->command = "unknown";
  return Fail(Status::Error(StatusCode::kUnsupported, "unknown or empty request"), "");
}

Session::Outcome Session::RefuseReadOnly(const v1::ClientMessage& request, RequestRecord* record) {
  const Status denied = Status::Error(StatusCode::kPermissionDenied, "server is read-only");
  switch (request.body_case()) {
    case v1::ClientMessage::kRemove:
      record->path = request.remove().path();
      return Fail(denied, record->path);
    case v1::ClientMessage::kMakeDirectory:
      record->path = request.make_directory().path();
      return Fail(denied, record->path);
    case v1::ClientMessage::kRemoveDirectory:
      record->path = request.remove_directory().path();
      return Fail(denied, record->path);
    case v1::ClientMessage::kRename:
      record->path = request.rename().from();  // R-RENAME-6
      return Fail(denied, record->path);
    case v1::ClientMessage::kUpload:
      // A refused upload still has its data phase (R-UPLOAD-2).
      record->path = request.upload().path();
      return DiscardUploadData(Fail(denied, record->path));
    default:
      return Fail(denied, "");
  }
}

Session::Outcome Session::HandleList(const v1::ClientMessage& request, RequestRecord* record) {
  record->path = request.list().path();
  auto path = Path::Parse(record->path);
  if (!path.ok()) return Fail(path.status(), record->path);
  auto dir = fs_->OpenDirectory(*path);
  if (!dir.ok()) return Fail(dir.status(), record->path);

  // Pages are bounded both by entry count and by the frame limit, so server
  // memory is one page whatever the directory's size (R-LIST-3).
  const size_t page_budget = reader_.max_frame_bytes() - 64;
  v1::ServerMessage reply;
  v1::ListReply* page = reply.mutable_list();
  size_t page_bytes = 0;
  while (true) {
    auto entry = (*dir)->Next();
    if (!entry.ok()) return Fail(entry.status(), record->path);
    if (!entry->has_value()) break;
    // A name no request could address (invalid UTF-8, control characters) is
    // left out: proto3 strings must be UTF-8, and the client could do nothing
    // with it (R-LIST-4).
    if (!IsValidName((*entry)->name)) continue;
    v1::FileInfo info;
    ToWire(**entry, &info);
    const size_t entry_bytes = info.ByteSizeLong() + 8;  // tag and length prefix
    if (page->entries_size() == static_cast<int>(limits::kMaxListEntries) ||
        page_bytes + entry_bytes > page_budget) {
      if (const Status sent = Send(reply); !sent.ok()) return Outcome{sent, true};
      page->Clear();
      page_bytes = 0;
    }
    *page->add_entries() = std::move(info);
    page_bytes += entry_bytes;
  }
  page->set_last(true);
  if (const Status sent = Send(reply); !sent.ok()) return Outcome{sent, true};
  return Outcome{Status::Ok(), false, 0};
}

Session::Outcome Session::HandleStat(const v1::ClientMessage& request, RequestRecord* record) {
  record->path = request.stat().path();
  auto path = Path::Parse(record->path);
  if (!path.ok()) return Fail(path.status(), record->path);
  auto info = fs_->Stat(*path);
  if (!info.ok()) return Fail(info.status(), record->path);
  info->name = std::string(path->Name());
  v1::ServerMessage reply;
  ToWire(*info, reply.mutable_stat()->mutable_info());
  if (const Status sent = Send(reply); !sent.ok()) return Outcome{sent, true};
  return Outcome{};
}

Session::Outcome Session::HandleRemove(const v1::ClientMessage& request, RequestRecord* record) {
  record->path = request.remove().path();
  auto path = Path::Parse(record->path);
  if (!path.ok()) return Fail(path.status(), record->path);
  if (path->IsRoot()) {
    return Fail(Status::Error(StatusCode::kInvalidPath, "the root cannot be removed"),
                record->path);
  }
  if (const Status removed = fs_->Remove(*path); !removed.ok()) {
    return Fail(removed, record->path);
  }
  v1::ServerMessage reply;
  reply.mutable_remove();
  if (const Status sent = Send(reply); !sent.ok()) return Outcome{sent, true};
  return Outcome{};
}

Session::Outcome Session::HandleMakeDirectory(const v1::ClientMessage& request,
                                              RequestRecord* record) {
  record->path = request.make_directory().path();
  auto path = Path::Parse(record->path);
  if (!path.ok()) return Fail(path.status(), record->path);
  if (path->IsRoot()) {
    return Fail(Status::Error(StatusCode::kInvalidPath, "the root already exists"), record->path);
  }
  if (const Status made = fs_->MakeDirectory(*path); !made.ok()) return Fail(made, record->path);
  v1::ServerMessage reply;
  reply.mutable_make_directory();
  if (const Status sent = Send(reply); !sent.ok()) return Outcome{sent, true};
  return Outcome{};
}

Session::Outcome Session::HandleRemoveDirectory(const v1::ClientMessage& request,
                                                RequestRecord* record) {
  record->path = request.remove_directory().path();
  auto path = Path::Parse(record->path);
  if (!path.ok()) return Fail(path.status(), record->path);
  if (path->IsRoot()) {
    return Fail(Status::Error(StatusCode::kInvalidPath, "the root cannot be removed"),
                record->path);
  }
  if (const Status removed = fs_->RemoveDirectory(*path); !removed.ok()) {
    return Fail(removed, record->path);
  }
  v1::ServerMessage reply;
  reply.mutable_remove_directory();
  if (const Status sent = Send(reply); !sent.ok()) return Outcome{sent, true};
  return Outcome{};
}

Session::Outcome Session::HandleRename(const v1::ClientMessage& request, RequestRecord* record) {
  const v1::RenameRequest& rename = request.rename();
  // Every error names `from` (R-RENAME-7); the message says which path it is about.
  record->path = rename.from();
  auto from = Path::Parse(rename.from());
  if (!from.ok()) return Fail(from.status(), record->path);
  auto to = Path::Parse(rename.to());
  if (!to.ok()) {
    return Fail(Status::Error(to.status().code(), "target: " + to.status().message()),
                record->path);
  }
  if (from->IsRoot() || to->IsRoot()) {
    return Fail(Status::Error(StatusCode::kInvalidPath, "the root cannot be moved or replaced"),
                record->path);
  }
  if (const Status moved = fs_->Rename(*from, *to, rename.overwrite()); !moved.ok()) {
    return Fail(moved, record->path);
  }
  v1::ServerMessage reply;
  reply.mutable_rename();
  if (const Status sent = Send(reply); !sent.ok()) return Outcome{sent, true};
  return Outcome{};
}

StatusOr<bool> Session::CancelRequested() {
  while (!held_request_ && reader_.HasInput()) {
    FERRY_ASSIGN_OR_RETURN(std::span<const uint8_t> payload, reader_.ReadFrame());
    DecodedFrame<v1::ClientMessage> frame;
    if (DecodeClientFrame(payload, &frame).ok() && !frame.is_chunk &&
        frame.message.body_case() == v1::ClientMessage::kCancel) {
      return true;
    }
    // Pipelined: keep it for after this download, and read nothing more until
    // then so a client cannot make the server buffer without bound.
    held_request_.emplace(reinterpret_cast<const char*>(payload.data()), payload.size());
  }
  return false;
}

Session::Outcome Session::HandleDownload(const v1::ClientMessage& request, RequestRecord* record) {
  const v1::DownloadRequest& download = request.download();
  record->path = download.path();
  auto path = Path::Parse(record->path);
  if (!path.ok()) return Fail(path.status(), record->path);
  auto opened = fs_->OpenForRead(*path);
  if (!opened.ok()) return Fail(opened.status(), record->path);
  ReadableFile& file = **opened;
  const uint64_t size = file.info().size;
  // A resumed download continues a file the client has begun: it must still be
  // that file, or the client would splice two versions together (R-RESUME-2).
  const uint64_t start = download.offset();
  if (start > 0) {
    if (start > download.expect_size()) {
      return Fail(Status::Error(StatusCode::kInvalidArgument, "offset is past expect_size"),
                  record->path);
    }
    if (size != download.expect_size() ||
        file.info().mtime_unix_ns != download.expect_mtime_unix_ns()) {
      return Fail(Status::Error(StatusCode::kSourceChanged,
                                "the file's size or modification time has changed"),
                  record->path);
    }
  }

  v1::ServerMessage reply;
  reply.mutable_download_begin()->set_size(size);
  reply.mutable_download_begin()->set_mtime_unix_ns(file.info().mtime_unix_ns);
  reply.mutable_download_begin()->set_offset(start);
  // A whole file in one chunk, with no frame waiting to be read (a Cancel is
  // checked for as between chunks): DownloadBegin, the chunk and DownloadEnd go
  // out in one write instead of three. The frames are the same.
  if (start == 0 && size > 0 && size <= max_chunk_bytes_ && !reader_.HasInput()) {
    return SendWholeDownload(file, reply, record->path);
  }
  if (const Status sent = Send(reply); !sent.ok()) return Outcome{sent, true};

  transfer_buffer_.resize(std::min<uint64_t>(max_chunk_bytes_, std::max<uint64_t>(size, 1)));
  // The digest covers the whole file: the prefix the client holds is read and
  // hashed here without being sent, so the client's kept bytes are verified too
  // (R-RESUME-3).
  StreamingDigest digest;
  uint64_t offset = 0;
  while (offset < size) {
    auto cancel = CancelRequested();
    if (!cancel.ok()) {
      if (cancel.status().code() == StatusCode::kConnectionClosed)
        return Outcome{cancel.status(), true, offset - std::min(offset, start)};
      // A frame error in the frame read ahead is not about this download's path.
      Outcome out = Fail(cancel.status(), "", /*close=*/true);
      out.bytes = offset - std::min(offset, start);
      return out;
    }
    if (*cancel) {
      Outcome out = Fail(Status::Error(StatusCode::kCancelled, "download cancelled by the client"),
                         record->path);
      out.bytes = offset - std::min(offset, start);
      return out;
    }
    // Reads stop at `start` so that the chunks begin exactly there.
    const uint64_t end = offset < start ? start : size;
    const size_t want =
        static_cast<size_t>(std::min<uint64_t>(transfer_buffer_.size(), end - offset));
    auto got = file.ReadAt(offset, std::span<uint8_t>(transfer_buffer_.data(), want));
    if (!got.ok() || *got == 0) {
      const Status error =
          got.ok() ? Status::Error(StatusCode::kIoError, "file shrank while it was being sent")
                   : got.status();
      Outcome out = Fail(error, record->path);
      out.bytes = offset - std::min(offset, start);
      return out;
    }
    const std::span<const uint8_t> data(transfer_buffer_.data(), *got);
    digest.Update(data);
    if (offset >= start) {
      if (const Status sent = writer_.WriteChunk(data); !sent.ok()) {
        return Outcome{sent, true, offset - start};
      }
    }
    offset += *got;
  }
  const uint64_t sent_bytes = size - start;
  reply.mutable_download_end()->set_size(size);
  reply.mutable_download_end()->set_xxh3_128(DigestToBytes(digest.Finish()));
  if (const Status sent = Send(reply); !sent.ok()) return Outcome{sent, true, sent_bytes};
  return Outcome{Status::Ok(), false, sent_bytes};
}

Session::Outcome Session::HandleHash(const v1::ClientMessage& request, RequestRecord* record) {
  const v1::HashRequest& hash = request.hash();
  record->path = hash.path();
  auto path = Path::Parse(record->path);
  if (!path.ok()) return Fail(path.status(), record->path);
  auto opened = fs_->OpenForRead(*path);
  if (!opened.ok()) return Fail(opened.status(), record->path);
  ReadableFile& file = **opened;
  const uint64_t size = file.info().size;
  const uint64_t start = hash.offset();
  if (start > size) {
    return Fail(Status::Error(StatusCode::kInvalidArgument, "offset is past the end of the file"),
                record->path);
  }
  // Clipped at the size the file had when opened (R-HASH-1, R-HASH-2).
  const uint64_t length =
      hash.length() == 0 ? size - start : std::min<uint64_t>(hash.length(), size - start);

  v1::ServerMessage reply;
  v1::HashReply* out = reply.mutable_hash();
  out->set_algorithm(std::string(kDigestAlgorithmName));
  out->set_size(size);
  out->set_mtime_unix_ns(file.info().mtime_unix_ns);
  out->set_offset(start);
  transfer_buffer_.resize(std::min<uint64_t>(max_chunk_bytes_, std::max<uint64_t>(length, 1)));
  StreamingDigest digest;
  uint64_t done = 0;
  auto last_sign_of_life = Clock::now();
  // The session is in DOWNLOADING meanwhile (R-HASH-3): it looks for a Cancel
  // between reads and holds any other frame.
  while (done < length) {
    auto cancel = CancelRequested();
    if (!cancel.ok()) {
      if (cancel.status().code() == StatusCode::kConnectionClosed) {
        return Outcome{cancel.status(), true};
      }
      return Fail(cancel.status(), "", /*close=*/true);
    }
    if (*cancel) {
      return Fail(Status::Error(StatusCode::kCancelled, "hash cancelled by the client"),
                  record->path);
    }
    if (Clock::now() - last_sign_of_life >= options_.hash_progress_interval) {
      // Nothing else is sent while hashing: keep the client's deadline alive (R-HASH-4).
      out->set_in_progress(true);
      out->set_hashed(done);
      if (const Status sent = Send(reply); !sent.ok()) return Outcome{sent, true};
      last_sign_of_life = Clock::now();
    }
    const size_t want =
        static_cast<size_t>(std::min<uint64_t>(transfer_buffer_.size(), length - done));
    auto got = file.ReadAt(start + done, std::span<uint8_t>(transfer_buffer_.data(), want));
    if (!got.ok() || *got == 0) {
      const Status error =
          got.ok() ? Status::Error(StatusCode::kIoError, "file shrank while it was being hashed")
                   : got.status();
      return Fail(error, record->path);
    }
    digest.Update(std::span<const uint8_t>(transfer_buffer_.data(), *got));
    done += *got;
  }
  out->set_in_progress(false);
  out->set_hashed(length);
  out->set_length(length);
  out->set_digest(DigestToBytes(digest.Finish()));
  if (const Status sent = Send(reply); !sent.ok()) return Outcome{sent, true};
  return Outcome{};
}

Session::Outcome Session::SendWholeDownload(ReadableFile& file, v1::ServerMessage& begin,
                                            const std::string& path) {
  const uint64_t size = file.info().size;
  transfer_buffer_.resize(size);
  uint64_t offset = 0;
  Status read;
  while (offset < size && read.ok()) {
    auto got = file.ReadAt(offset, std::span<uint8_t>(transfer_buffer_.data() + offset,
                                                      static_cast<size_t>(size - offset)));
    if (!got.ok()) {
      read = got.status();
    } else if (*got == 0) {
      read = Status::Error(StatusCode::kIoError, "file shrank while it was being sent");
    } else {
      offset += *got;
    }
  }
  if (!read.ok()) {
    // As in the general path: DownloadBegin, then the Error as terminal reply.
    if (const Status sent = Send(begin); !sent.ok()) return Outcome{sent, true};
    return Fail(read, path);
  }
  const std::span<const uint8_t> data(transfer_buffer_.data(), static_cast<size_t>(size));
  std::string out;
  if (!EncodeFrame(begin, &out)) {
    return Outcome{Status::Error(StatusCode::kInternal, "message too large to encode"), true};
  }
  const ChunkFrameHeader header = EncodeChunkFrameHeader(static_cast<uint32_t>(size));
  out.append(reinterpret_cast<const char*>(header.bytes.data()), header.size);
  out.append(reinterpret_cast<const char*>(data.data()), data.size());
  v1::ServerMessage end;
  end.mutable_download_end()->set_size(size);
  end.mutable_download_end()->set_xxh3_128(DigestToBytes(DigestOf(data)));
  std::string end_frame;
  if (!EncodeFrame(end, &end_frame)) {
    return Outcome{Status::Error(StatusCode::kInternal, "message too large to encode"), true};
  }
  out += end_frame;
  if (const Status sent = stream_->Write(
          std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(out.data()), out.size()));
      !sent.ok()) {
    return Outcome{sent, true, size};
  }
  return Outcome{Status::Ok(), false, size};
}

Session::Outcome Session::HandleUpload(const v1::ClientMessage& request, RequestRecord* record) {
  const v1::UploadRequest& upload = request.upload();
  record->path = upload.path();
  const uint64_t size = upload.size();
  const bool overwrite = upload.overwrite();

  auto path = Path::Parse(record->path);
  if (!path.ok()) return DiscardUploadData(Fail(path.status(), record->path));
  if (path->IsRoot()) {
    return DiscardUploadData(
        Fail(Status::Error(StatusCode::kInvalidPath, "cannot upload onto the root"), record->path));
  }
  // Its checks must see the earlier uploads to the same names in place (R-GROUP-4).
  if (GroupTouches(*path)) {
    if (const Status committed = CommitGroup(); !committed.ok()) return Outcome{committed, true};
  }
  // Sizes beyond off_t would turn negative in the filesystem calls (R-UPLOAD-4).
  if (size > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    return DiscardUploadData(Fail(
        Status::Error(StatusCode::kInvalidArgument, "size is larger than 2^63-1"), record->path));
  }
  // Resume (spec 7.8): continue the kept upload the id names, if it is still
  // there for this path and size; otherwise start afresh, never spliced.
  const bool resumable = upload.resumable() && options_.kept_uploads != nullptr;
  std::unique_ptr<KeptUpload> kept;
  if (resumable && !upload.resume_id().empty()) {
    kept = options_.kept_uploads->Take(upload.resume_id(), *path, size);
  }
  const UploadOptions upload_options{size, overwrite};
  const bool resuming = kept != nullptr;
  auto pending = resuming ? fs_->ResumeUpload(*path, upload_options, std::move(kept))
                          : fs_->CreateUpload(*path, upload_options);
  if (!pending.ok()) return DiscardUploadData(Fail(pending.status(), record->path));
  // A new id for every attempt: an id is spent once it has been presented.
  std::string resume_id;
  if (resumable) {
    auto id = KeptUploads::NewId();
    if (!id.ok()) return DiscardUploadData(Fail(id.status(), record->path));
    resume_id = std::move(*id);
  }
  // The kept prefix counts towards the whole file's digest (R-RESUME-7): read it
  // back once, before the rest arrives.
  StreamingDigest digest;
  const uint64_t offset = resuming ? (*pending)->resumed_size() : 0;
  transfer_buffer_.resize(std::min<uint64_t>(max_chunk_bytes_, std::max<uint64_t>(size, 1)));
  for (uint64_t hashed = 0; hashed < offset;) {
    const size_t want =
        static_cast<size_t>(std::min<uint64_t>(transfer_buffer_.size(), offset - hashed));
    auto got = (*pending)->ReadBack(hashed, std::span<uint8_t>(transfer_buffer_.data(), want));
    if (!got.ok() || *got == 0) {
      pending->reset();
      return DiscardUploadData(
          Fail(got.ok() ? Status::Error(StatusCode::kIoError, "kept upload shrank") : got.status(),
               record->path));
    }
    digest.Update(std::span<const uint8_t>(transfer_buffer_.data(), *got));
    hashed += *got;
  }

  v1::ServerMessage reply;
  reply.mutable_upload_ready()->set_offset(offset);
  reply.mutable_upload_ready()->set_resume_id(resume_id);
  if (const Status sent = Send(reply); !sent.ok()) {
    // The client is gone before it heard the id: what is kept cannot be named.
    return Outcome{sent, true};
  }
  return ReceiveUpload(std::move(*pending), record->path, size, offset, &digest, resume_id);
}

Session::Outcome Session::ReceiveUpload(std::unique_ptr<PendingUpload> upload,
                                        const std::string& path, uint64_t size, uint64_t offset,
                                        StreamingDigest* digest, const std::string& resume_id) {
  // Every failure discards the temporary before its Error is sent: once the
  // client reads the Error, no temporary remains (R-UPLOAD-14, R-UPLOAD-7).
  // The fatal ones are framing and protocol violations: about the connection,
  // not the path (R-ERROR-1).
  const auto fail = [&](const Status& status, bool close = false) {
    upload.reset();
    return Fail(status, close ? std::string() : path, close);
  };
  DecodedFrame<v1::ClientMessage> frame;
  uint64_t received = offset;
  // A resumable upload whose data phase ends because no frame could be read
  // (connection lost or broken, stalled) keeps what it has for a later
  // attempt (R-RESUME-6). Every byte kept came from a complete, accepted chunk.
  const auto keep = [&] {
    if (resume_id.empty()) return;
    auto kept = upload->Keep();
    upload.reset();
    if (kept.ok()) {
      options_.kept_uploads->Put(resume_id, *Path::Parse(path), size, std::move(*kept));
    }
  };
  while (true) {
    if (const Status committed = CommitGroupBeforeWaiting(); !committed.ok()) {
      keep();
      return Outcome{committed, true, received - offset};
    }
    auto payload = reader_.ReadFrame();
    if (!payload.ok()) {
      keep();
      if (payload.status().code() == StatusCode::kConnectionClosed) {
        return Outcome{payload.status(), true, received - offset};
      }
      Outcome out = fail(payload.status(), /*close=*/true);
      out.bytes = received - offset;
      return out;
    }
    if (const Status decoded = DecodeClientFrame(*payload, &frame); !decoded.ok()) {
      return fail(decoded, /*close=*/true);
    }
    if (frame.is_chunk) {
      Status status;
      if (frame.chunk.empty() || frame.chunk.size() > max_chunk_bytes_) {
        status = Status::Error(StatusCode::kInvalidArgument, "chunk size out of range");
      } else if (frame.chunk.size() > size - received) {
        status = Status::Error(StatusCode::kSizeMismatch, "more bytes than the announced size");
      } else {
        status = upload->Write(frame.chunk);
      }
      if (!status.ok()) {
        Outcome out = DiscardUploadData(fail(status));
        out.bytes = received - offset;
        return out;
      }
      digest->Update(frame.chunk);
      received += frame.chunk.size();
      continue;
    }
    v1::ServerMessage reply;
    switch (frame.message.body_case()) {
      case v1::ClientMessage::kCancel:
        return fail(Status::Error(StatusCode::kCancelled, "upload cancelled by the client"));
      case v1::ClientMessage::kUploadEnd: {
        const v1::UploadEnd& end = frame.message.upload_end();
        Digest claimed;
        if (received != size || end.size() != size) {
          return fail(Status::Error(StatusCode::kSizeMismatch,
                                    "received " + std::to_string(received) + " bytes, announced " +
                                        std::to_string(size)));
        }
        if (!DigestFromBytes(end.xxh3_128(), &claimed)) {
          return fail(Status::Error(StatusCode::kInvalidArgument, "xxh3_128 must be 16 bytes"));
        }
        const Digest actual = digest->Finish();
        if (claimed != actual) {
          return fail(Status::Error(StatusCode::kChecksumMismatch,
                                    "digest of received bytes does not match"));
        }
        // Group commit (R-GROUP-1): the reply waits for the group's commit.
        if (MayJoinGroup(size)) {
          const int index = static_cast<int>(group_uploads_.size());
          if (!group_open()) group_started_ = Clock::now();
          group_uploads_.push_back(
              GroupedUpload{std::move(upload), path, *Path::Parse(path), size, actual});
          held_frames_.push_back(HeldFrame{std::string(), index});
          group_bytes_ += size;
          return Outcome{Status::Ok(), false, received - offset, true, index};
        }
        // Committed after the group, so that uploads keep their order (R-GROUP-2).
        if (const Status committed = CommitGroup(); !committed.ok()) {
          return Outcome{committed, true, received - offset};
        }
        if (const Status committed = upload->Commit(); !committed.ok()) {
          return fail(committed);
        }
        reply.mutable_upload_done()->set_size(size);
        reply.mutable_upload_done()->set_xxh3_128(DigestToBytes(actual));
        if (const Status sent = Send(reply); !sent.ok()) {
          return Outcome{sent, true, received - offset};
        }
        return Outcome{Status::Ok(), false, received - offset};
      }
      default:
        return fail(Status::Error(StatusCode::kUnexpectedMessage,
                                  "only Chunk, UploadEnd or Cancel may follow UploadRequest"),
                    /*close=*/true);
    }
  }
}

Session::Outcome Session::DiscardUploadData(Outcome early) {
  if (early.close) return early;
  DecodedFrame<v1::ClientMessage> frame;
  while (true) {
    if (const Status committed = CommitGroupBeforeWaiting(); !committed.ok()) {
      return Outcome{early.status, true};
    }
    auto payload = reader_.ReadFrame();
    if (!payload.ok()) {
      if (payload.status().code() != StatusCode::kConnectionClosed) {
        Fail(payload.status(), "", /*close=*/true);
      }
      return Outcome{early.status, true};
    }
    const Status decoded = DecodeClientFrame(*payload, &frame);
    if (decoded.ok() && frame.is_chunk) continue;
    if (decoded.ok() && (frame.message.body_case() == v1::ClientMessage::kUploadEnd ||
                         frame.message.body_case() == v1::ClientMessage::kCancel)) {
      return early;
    }
    Fail(decoded.ok() ? Status::Error(StatusCode::kUnexpectedMessage,
                                      "only Chunk, UploadEnd or Cancel may follow UploadRequest")
                      : decoded,
         "", /*close=*/true);
    return Outcome{early.status, true};
  }
}

Session::Outcome Session::HandleBye(const v1::ClientMessage&, RequestRecord*) {
  v1::ServerMessage reply;
  reply.mutable_bye();
  const Status sent = Send(reply);
  return Outcome{sent, true};
}

Session::Outcome Session::HandleCancel(const v1::ClientMessage&, RequestRecord* record) {
  // A Cancel that raced with the end of its transfer: nothing to do, no reply
  // (R-CANCEL-1). Not logged as a request.
  record->command.clear();
  return Outcome{.replied = false};
}

}  // namespace ferry
