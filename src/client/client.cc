#include "src/client/client.h"

#include <algorithm>
#include <deque>

#include "src/codec/limits.h"
#include "src/codec/wire_error.h"
#include "src/fs/path.h"
#include "src/net/socket.h"

namespace ferry {
namespace {

FileType FromWireType(v1::FileType type) {
  switch (type) {
    case v1::REGULAR:
      return FileType::kRegular;
    case v1::DIRECTORY:
      return FileType::kDirectory;
    case v1::SYMLINK:
      return FileType::kSymlink;
    default:
      return FileType::kOther;
  }
}

FileInfo FromWire(const v1::FileInfo& info) {
  return FileInfo{info.name(), FromWireType(info.type()), info.size(), info.mtime_unix_ns(),
                  info.mode() & 07777};
}

// A listing name must be one valid component under the rules the server's own
// paths follow: anything else could make a client that trusts it write outside
// the directory it meant, or corrupt a terminal (R-SEC-5).
bool IsSafeEntryName(std::string_view name) { return IsValidName(name); }

Status ProtocolError(std::string_view what) {
  return Status::Error(StatusCode::kUnexpectedMessage, std::string(what));
}

}  // namespace

Client::Client(std::unique_ptr<Stream> stream, const ClientOptions& options)
    : stream_(std::move(stream)),
      reader_(stream_.get(), limits::kHandshakeMaxFrameBytes),
      writer_(stream_.get()) {
  stream_->SetIoTimeout(options.io_timeout);
}

Client::~Client() = default;

StatusOr<std::unique_ptr<Client>> Client::Connect(const HostPort& server,
                                                  const ClientOptions& options) {
  const auto deadline = std::chrono::steady_clock::now() + options.connect_timeout;
  FERRY_ASSIGN_OR_RETURN(std::unique_ptr<SocketStream> stream,
                         ::ferry::Connect(server, options.connect_timeout));
  if (options.tls == nullptr) return Open(std::move(stream), options);
  FERRY_ASSIGN_OR_RETURN(std::unique_ptr<TlsStream> secured,
                         options.tls->Connect(std::move(stream), server.host, deadline));
  return Open(std::move(secured), options);
}

StatusOr<std::unique_ptr<Client>> Client::Open(std::unique_ptr<Stream> stream,
                                               const ClientOptions& options) {
  std::unique_ptr<Client> client(new Client(std::move(stream), options));
  FERRY_RETURN_IF_ERROR(client->Handshake(options));
  return client;
}

Status Client::Handshake(const ClientOptions& options) {
  v1::ClientMessage hello;
  hello.mutable_hello()->set_min_version(limits::kProtocolVersion);
  hello.mutable_hello()->set_max_version(limits::kProtocolVersion);
  hello.mutable_hello()->set_client_name(options.client_name);
  hello.mutable_hello()->set_max_frame_bytes(options.max_frame_bytes);
  FERRY_RETURN_IF_ERROR(Send(hello));
  FERRY_ASSIGN_OR_RETURN(const v1::ServerMessage* reply, ReceiveReply(v1::ServerMessage::kWelcome));
  welcome_ = reply->welcome();
  const uint32_t asked =
      options.max_frame_bytes ? options.max_frame_bytes : limits::kMaxFrameBytesCeiling;
  if (welcome_.version() != limits::kProtocolVersion) {
    return Break(Status::Error(StatusCode::kUnsupportedVersion, "server chose an unknown version"));
  }
  if (welcome_.max_frame_bytes() < limits::kMinFrameBytes || welcome_.max_frame_bytes() > asked ||
      welcome_.max_chunk_bytes() == 0 ||
      welcome_.max_chunk_bytes() > welcome_.max_frame_bytes() - limits::kChunkOverheadBytes) {
    return Break(ProtocolError("server offered invalid frame limits"));
  }
  reader_.set_max_frame_bytes(welcome_.max_frame_bytes());
  return Authenticate(options);
}

Status Client::Authenticate(const ClientOptions& options) {
  if (welcome_.auth_methods().empty()) return Status::Ok();
  if (std::find(welcome_.auth_methods().begin(), welcome_.auth_methods().end(), "token") ==
      welcome_.auth_methods().end()) {
    return Break(Status::Error(StatusCode::kUnsupported,
                               "the server asks for an authentication method this client lacks"));
  }
  if (options.token.empty()) {
    return Break(Status::Error(StatusCode::kAuthenticationRequired,
                               "the server requires a token (--token-file)"));
  }
  v1::ClientMessage request;
  request.mutable_authenticate()->set_token(options.token);
  FERRY_RETURN_IF_ERROR(Send(request));
  auto reply = ReceiveReply(v1::ServerMessage::kAuthenticated);
  // The client does not retry: a refused token leaves nothing to do on this connection.
  if (!reply.ok()) return connected() ? Break(reply.status()) : reply.status();
  return Status::Ok();
}

Status Client::NotConnected() const {
  return Status::Error(StatusCode::kConnectionClosed, "not connected");
}

Status Client::Break(Status status) {
  if (stream_) {
    stream_->Shutdown();
    stream_.reset();
  }
  return status;
}

Status Client::Send(const v1::ClientMessage& message) {
  if (!stream_) return NotConnected();
  // UploadEnd, like Cancel and the chunks, belongs to its upload's data phase:
  // the server logs it as part of that request.
  if (!message.has_hello() && !message.has_cancel() && !message.has_upload_end()) {
    ++requests_sent_;
  }
  if (Status sent = writer_.Write(message); !sent.ok()) return Break(sent);
  return Status::Ok();
}

StatusOr<const DecodedFrame<v1::ServerMessage>*> Client::Receive() {
  if (!stream_) return NotConnected();
  auto payload = reader_.ReadFrame();
  if (!payload.ok()) return Break(payload.status());
  if (Status decoded = DecodeServerFrame(*payload, &frame_); !decoded.ok()) return Break(decoded);
  if (!frame_.is_chunk && frame_.message.has_error()) error_request_ = requests_sent_;
  if (!frame_.is_chunk && frame_.message.has_error() && frame_.message.error().fatal()) {
    return Break(FromWireError(frame_.message.error()));
  }
  return &frame_;
}

StatusOr<const v1::ServerMessage*> Client::ReceiveReply(v1::ServerMessage::BodyCase expected) {
  FERRY_ASSIGN_OR_RETURN(const DecodedFrame<v1::ServerMessage>* frame, Receive());
  if (!frame->is_chunk && frame->message.has_error()) {
    return FromWireError(frame->message.error());
  }
  if (frame->is_chunk || frame->message.body_case() != expected) {
    return Break(ProtocolError("server sent an unexpected message"));
  }
  return &frame->message;
}

StatusOr<std::vector<FileInfo>> Client::List(std::string_view path,
                                             std::vector<std::string>* skipped) {
  v1::ClientMessage request;
  request.mutable_list()->set_path(std::string(path));
  FERRY_RETURN_IF_ERROR(Send(request));
  std::vector<FileInfo> entries;
  while (true) {
    FERRY_ASSIGN_OR_RETURN(const v1::ServerMessage* page, ReceiveReply(v1::ServerMessage::kList));
    for (const v1::FileInfo& entry : page->list().entries()) {
      if (IsSafeEntryName(entry.name())) {
        entries.push_back(FromWire(entry));
      } else if (skipped != nullptr) {
        skipped->push_back(entry.name());
      }
    }
    if (page->list().last()) break;
  }
  return entries;
}

StatusOr<FileInfo> Client::Stat(std::string_view path) {
  v1::ClientMessage request;
  request.mutable_stat()->set_path(std::string(path));
  FERRY_RETURN_IF_ERROR(Send(request));
  FERRY_ASSIGN_OR_RETURN(const v1::ServerMessage* reply, ReceiveReply(v1::ServerMessage::kStat));
  return FromWire(reply->stat().info());
}

Status Client::Remove(std::string_view path) {
  v1::ClientMessage request;
  request.mutable_remove()->set_path(std::string(path));
  FERRY_RETURN_IF_ERROR(Send(request));
  return ReceiveReply(v1::ServerMessage::kRemove).status();
}

Status Client::MakeDirectory(std::string_view path) {
  v1::ClientMessage request;
  request.mutable_make_directory()->set_path(std::string(path));
  FERRY_RETURN_IF_ERROR(Send(request));
  return ReceiveReply(v1::ServerMessage::kMakeDirectory).status();
}

Status Client::RemoveDirectory(std::string_view path) {
  v1::ClientMessage request;
  request.mutable_remove_directory()->set_path(std::string(path));
  FERRY_RETURN_IF_ERROR(Send(request));
  return ReceiveReply(v1::ServerMessage::kRemoveDirectory).status();
}

Status Client::Rename(std::string_view from, std::string_view to, bool overwrite) {
  v1::ClientMessage request;
  v1::RenameRequest* rename = request.mutable_rename();
  rename->set_from(std::string(from));
  rename->set_to(std::string(to));
  rename->set_overwrite(overwrite);
  FERRY_RETURN_IF_ERROR(Send(request));
  return ReceiveReply(v1::ServerMessage::kRename).status();
}

StatusOr<HashResult> Client::Hash(std::string_view path, uint64_t offset, uint64_t length,
                                  const TransferOptions& options) {
  v1::ClientMessage request;
  v1::HashRequest* hash = request.mutable_hash();
  hash->set_path(std::string(path));
  hash->set_offset(offset);
  hash->set_length(length);
  FERRY_RETURN_IF_ERROR(Send(request));
  bool cancelled = false;
  uint64_t hashed = 0;
  while (true) {
    if (!cancelled && options.cancel != nullptr && options.cancel->load()) {
      v1::ClientMessage cancel;
      cancel.mutable_cancel();
      FERRY_RETURN_IF_ERROR(Send(cancel));
      cancelled = true;  // read on to the terminal reply (R-CANCEL-3)
    }
    FERRY_ASSIGN_OR_RETURN(const v1::ServerMessage* reply, ReceiveReply(v1::ServerMessage::kHash));
    const v1::HashReply& got = reply->hash();
    // Everything the server says is checked against the request (R-HASH-4).
    if (got.offset() != offset || got.offset() > got.size()) {
      return Break(ProtocolError("server hashed a range not asked for"));
    }
    const uint64_t available = got.size() - got.offset();
    const uint64_t expected = length == 0 ? available : std::min(length, available);
    if (got.hashed() < hashed || got.hashed() > expected) {
      return Break(ProtocolError("server reported impossible hash progress"));
    }
    hashed = got.hashed();
    if (got.in_progress()) {
      if (options.progress) options.progress(hashed, expected);
      continue;
    }
    HashResult result;
    result.algorithm = got.algorithm();
    if (got.algorithm() != kDigestAlgorithmName || got.length() != expected ||
        got.hashed() != expected || !DigestFromBytes(got.digest(), &result.digest)) {
      return Break(ProtocolError("server sent a malformed hash reply"));
    }
    result.size = got.size();
    result.mtime_unix_ns = got.mtime_unix_ns();
    result.offset = got.offset();
    result.length = got.length();
    return result;
  }
}

Status Client::CancelDownload() {
  v1::ClientMessage cancel;
  cancel.mutable_cancel();
  FERRY_RETURN_IF_ERROR(Send(cancel));
  // Chunks already in flight are drained until the terminal reply (R-CANCEL-3).
  while (true) {
    FERRY_ASSIGN_OR_RETURN(const DecodedFrame<v1::ServerMessage>* frame, Receive());
    if (frame->is_chunk) continue;
    if (frame->message.has_download_end() || frame->message.has_error()) break;
    return Break(ProtocolError("server sent an unexpected message during a download"));
  }
  return Status::Error(StatusCode::kCancelled, "download cancelled");
}

StatusOr<TransferResult> Client::Download(std::string_view remote, const Sink& sink,
                                          const TransferOptions& options) {
  v1::ClientMessage request;
  v1::DownloadRequest* download = request.mutable_download();
  download->set_path(std::string(remote));
  const DownloadResume* resume =
      options.resume != nullptr && options.resume->offset > 0 ? options.resume : nullptr;
  if (resume != nullptr) {
    download->set_offset(resume->offset);
    download->set_expect_size(resume->size);
    download->set_expect_mtime_unix_ns(resume->mtime_unix_ns);
  }
  FERRY_RETURN_IF_ERROR(Send(request));
  FERRY_ASSIGN_OR_RETURN(const v1::ServerMessage* begin,
                         ReceiveReply(v1::ServerMessage::kDownloadBegin));
  const DownloadStart start{begin->download_begin().size(), begin->download_begin().mtime_unix_ns(),
                            begin->download_begin().offset()};
  const uint64_t size = start.size;
  // The server either resumes exactly where asked, for the file the caller
  // expects, or (not knowing offsets) sends it all from 0 (R-RESUME-4).
  if (start.offset != 0 &&
      (resume == nullptr || start.offset > start.size || start.offset != resume->offset ||
       start.size != resume->size || start.mtime_unix_ns != resume->mtime_unix_ns)) {
    return Break(ProtocolError("server resumed a download at an offset not asked for"));
  }
  StreamingDigest fresh;
  StreamingDigest& digest = start.offset != 0 ? *resume->prefix : fresh;
  uint64_t received = start.offset;
  if (options.on_begin) {
    if (Status accepted = options.on_begin(start); !accepted.ok()) {
      const Status cancelled = CancelDownload();
      if (cancelled.code() != StatusCode::kCancelled) return cancelled;
      return accepted;
    }
  }
  if (options.progress) options.progress(received, size);
  while (true) {
    if (options.cancel != nullptr && options.cancel->load()) return CancelDownload();
    FERRY_ASSIGN_OR_RETURN(const DecodedFrame<v1::ServerMessage>* frame, Receive());
    if (frame->is_chunk) {
      if (frame->chunk.size() > size - received) {
        return Break(
            Status::Error(StatusCode::kSizeMismatch, "server sent more bytes than it announced"));
      }
      if (Status written = sink(frame->chunk); !written.ok()) {
        // The local side failed: stop the server, keep the connection.
        const Status cancelled = CancelDownload();
        if (cancelled.code() != StatusCode::kCancelled) return cancelled;
        return written;
      }
      digest.Update(frame->chunk);
      received += frame->chunk.size();
      if (options.progress) options.progress(received, size);
      continue;
    }
    if (frame->message.has_error()) return FromWireError(frame->message.error());
    if (!frame->message.has_download_end()) {
      return Break(ProtocolError("server sent an unexpected message during a download"));
    }
    const v1::DownloadEnd& end = frame->message.download_end();
    Digest claimed;
    if (received != size || end.size() != size) {
      return Status::Error(
          StatusCode::kSizeMismatch,
          "server sent " + std::to_string(received) + " bytes, announced " + std::to_string(size));
    }
    if (!DigestFromBytes(end.xxh3_128(), &claimed) || claimed != digest.Finish()) {
      return Status::Error(StatusCode::kChecksumMismatch, "downloaded bytes fail verification");
    }
    return TransferResult{size, claimed, start.offset};
  }
}

StatusOr<TransferResult> Client::Upload(std::string_view remote, uint64_t size,
                                        const Source& source, const TransferOptions& options) {
  v1::ClientMessage message;
  v1::UploadRequest* request = message.mutable_upload();
  request->set_path(std::string(remote));
  request->set_size(size);
  request->set_overwrite(options.overwrite);
  if (options.resumable) {
    request->set_resumable(true);
    request->set_resume_id(options.resume_id);
  }
  FERRY_RETURN_IF_ERROR(Send(message));

  v1::ClientMessage cancel;
  cancel.mutable_cancel();
  // Every UploadRequest is followed by a data phase, even a refused one (R-UPLOAD-2):
  // close it with Cancel and report `status`.
  const auto abandon = [&](Status status) -> Status {
    FERRY_RETURN_IF_ERROR(Send(cancel));
    return status;
  };
  auto ready = ReceiveReply(v1::ServerMessage::kUploadReady);
  if (!ready.ok()) return connected() ? abandon(ready.status()) : ready.status();
  // A resumable upload continues after the bytes the server holds; a server
  // never holds bytes of an upload that was not resumable (R-RESUME-7).
  const uint64_t offset = (*ready)->upload_ready().offset();
  const std::string resume_id = (*ready)->upload_ready().resume_id();
  if (offset > size || (offset > 0 && !options.resumable)) {
    return Break(ProtocolError("server resumed an upload at an impossible offset"));
  }
  if (options.resumable && options.on_ready) {
    if (Status accepted = options.on_ready(resume_id, offset); !accepted.ok()) {
      FERRY_RETURN_IF_ERROR(Send(cancel));
      const Status reply = ReceiveReply(v1::ServerMessage::kUploadDone).status();
      return connected() ? accepted : reply;
    }
  }

  buffer_.resize(std::min<uint64_t>(welcome_.max_chunk_bytes(), std::max<uint64_t>(size, 1)));
  StreamingDigest digest;
  // The prefix the server kept is read and hashed here, not sent: UploadEnd's
  // digest is of the whole file, so a prefix that is not this file's fails.
  for (uint64_t skipped = 0; skipped < offset;) {
    const size_t want = static_cast<size_t>(std::min<uint64_t>(buffer_.size(), offset - skipped));
    auto got = source(std::span<uint8_t>(buffer_.data(), want));
    if (!got.ok() || *got == 0) {
      FERRY_RETURN_IF_ERROR(Send(cancel));
      const Status reply = ReceiveReply(v1::ServerMessage::kUploadDone).status();
      if (!connected()) return reply;
      return got.ok() ? Status::Error(StatusCode::kSizeMismatch,
                                      "local file is shorter than when the upload began")
                      : got.status();
    }
    digest.Update(std::span<const uint8_t>(buffer_.data(), *got));
    skipped += *got;
  }
  uint64_t sent = offset;
  if (options.progress) options.progress(sent, size);
  while (sent < size) {
    if (options.cancel != nullptr && options.cancel->load()) {
      FERRY_RETURN_IF_ERROR(Send(cancel));
      const Status reply = ReceiveReply(v1::ServerMessage::kUploadDone).status();
      return reply.ok()
                 ? Status::Error(StatusCode::kInternal, "server committed a cancelled upload")
                 : Status::Error(StatusCode::kCancelled, "upload cancelled");
    }
    if (reader_.HasInput()) {
      // Only an early Error can arrive now: the server gave up on this upload.
      FERRY_ASSIGN_OR_RETURN(const DecodedFrame<v1::ServerMessage>* frame, Receive());
      if (frame->is_chunk || !frame->message.has_error()) {
        return Break(ProtocolError("server sent an unexpected message during an upload"));
      }
      return abandon(FromWireError(frame->message.error()));
    }
    const size_t want = static_cast<size_t>(std::min<uint64_t>(buffer_.size(), size - sent));
    auto got = source(std::span<uint8_t>(buffer_.data(), want));
    if (!got.ok() || *got == 0) {
      Status local = got.ok() ? Status::Error(StatusCode::kSizeMismatch,
                                              "local file is shorter than when the upload began")
                              : got.status();
      FERRY_RETURN_IF_ERROR(Send(cancel));
      // Consume the terminal reply (CANCELLED, or an earlier error).
      const Status reply = ReceiveReply(v1::ServerMessage::kUploadDone).status();
      if (!connected()) return reply;
      return local;
    }
    const std::span<const uint8_t> data(buffer_.data(), *got);
    digest.Update(data);
    if (Status written = writer_.WriteChunk(data); !written.ok()) return Break(written);
    sent += *got;
    if (options.progress) options.progress(sent, size);
  }
  const Digest local_digest = digest.Finish();
  message.mutable_upload_end()->set_size(size);
  message.mutable_upload_end()->set_xxh3_128(DigestToBytes(local_digest));
  FERRY_RETURN_IF_ERROR(Send(message));
  FERRY_ASSIGN_OR_RETURN(const v1::ServerMessage* done,
                         ReceiveReply(v1::ServerMessage::kUploadDone));
  Digest confirmed;
  if (done->upload_done().size() != size ||
      !DigestFromBytes(done->upload_done().xxh3_128(), &confirmed) || confirmed != local_digest) {
    return Break(ProtocolError("server confirmed different bytes than were sent"));
  }
  return TransferResult{size, local_digest, offset};
}

std::vector<StatusOr<TransferResult>> Client::UploadMany(std::span<const UploadItem> items,
                                                         const TransferOptions& options) {
  std::vector<StatusOr<TransferResult>> results;
  size_t asked = 0;
  const Status ended = UploadMany(
      [&]() -> std::optional<StatusOr<UploadItem>> {
        if (asked == items.size()) return std::nullopt;
        return StatusOr<UploadItem>(items[asked++]);
      },
      [&](const StatusOr<TransferResult>& result) { results.push_back(result); }, options);
  // The uploads never asked for share the reason the run ended early (a
  // cancel, or the connection lost); a run that ended well asked for them all.
  while (results.size() < items.size()) results.push_back(ended);
  return results;
}

Status Client::UploadMany(const NextUpload& next, const UploadResultFn& on_result,
                          const TransferOptions& options) {
  // Bounds on what is sent but not yet answered. The server's replies to them
  // (UploadReady and UploadDone, a few dozen bytes each) always fit in the socket
  // buffers, so the server never blocks writing while this client writes, and
  // neither side can stall the other (the note of spec 5.6).
  constexpr uint64_t kWindowBytes = uint64_t{1} << 20;
  constexpr size_t kWindowUploads = 256;
  constexpr uint64_t kFrameOverheadBytes = 64;  // request and UploadEnd frames, roughly
  struct InFlight {
    uint64_t size;
    Digest digest;
    uint64_t request;  // its UploadRequest's number, for the error it may get
    bool ready = false;
  };
  std::deque<InFlight> in_flight;
  uint64_t outstanding_bytes = 0;
  // Reads one reply and applies it to the oldest upload in flight.
  const auto receive_one = [&]() -> Status {
    InFlight& oldest = in_flight.front();
    FERRY_ASSIGN_OR_RETURN(const DecodedFrame<v1::ServerMessage>* frame, Receive());
    StatusOr<TransferResult> result = TransferResult{};
    if (!frame->is_chunk && frame->message.has_error()) {
      // Terminal: an early error, or one in the data phase or at commit. The
      // server discards the rest of the data phase, which was sent whole.
      // Later requests were sent since; the error answers this one.
      error_request_ = oldest.request;
      result = FromWireError(frame->message.error());
    } else if (!oldest.ready && !frame->is_chunk && frame->message.has_upload_ready()) {
      if (frame->message.upload_ready().offset() != 0) {
        return Break(ProtocolError("server resumed an upload that was not resumable"));
      }
      oldest.ready = true;
      return Status::Ok();
    } else if (oldest.ready && !frame->is_chunk && frame->message.has_upload_done()) {
      Digest confirmed;
      const v1::UploadDone& done = frame->message.upload_done();
      if (done.size() != oldest.size || !DigestFromBytes(done.xxh3_128(), &confirmed) ||
          confirmed != oldest.digest) {
        return Break(ProtocolError("server confirmed different bytes than were sent"));
      }
      result = TransferResult{oldest.size, oldest.digest, 0};
    } else {
      return Break(ProtocolError("server sent an unexpected message during an upload"));
    }
    // Finished: out of the window before the caller hears of it.
    outstanding_bytes -= oldest.size + kFrameOverheadBytes;
    in_flight.pop_front();
    on_result(result);
    return Status::Ok();
  };
  const auto drain = [&](size_t keep, uint64_t bytes_to_add) -> Status {
    while (!in_flight.empty() &&
           (in_flight.size() > keep || outstanding_bytes + bytes_to_add > kWindowBytes)) {
      FERRY_RETURN_IF_ERROR(receive_one());
    }
    return Status::Ok();
  };
  // The connection failed: every upload in flight shares the failure, in order,
  // and so do `unsent` more that were asked for but not sent.
  const auto lose = [&](const Status& failure, size_t unsent = 0) {
    for (size_t n = in_flight.size() + unsent; n > 0; --n) on_result(failure);
    in_flight.clear();
    return failure;
  };
  // A result known here, before anything of its upload was sent, waits for the
  // earlier uploads' results so that every result arrives in order.
  const auto settle = [&](const StatusOr<TransferResult>& result) {
    if (Status drained = drain(0, 0); !drained.ok()) return lose(drained, 1);
    on_result(result);
    return Status::Ok();
  };
  TransferOptions large;
  large.overwrite = options.overwrite;
  large.progress = options.progress;
  large.cancel = options.cancel;
  const uint64_t max_chunk = welcome_.max_chunk_bytes();
  while (true) {
    if (options.cancel != nullptr && options.cancel->load()) {
      // Nothing is half sent: those in flight are answered, the rest not asked for.
      if (Status drained = drain(0, 0); !drained.ok()) return lose(drained);
      return Status::Error(StatusCode::kCancelled, "upload cancelled");
    }
    std::optional<StatusOr<UploadItem>> got = next();
    if (!got.has_value()) break;
    if (!got->ok()) {
      FERRY_RETURN_IF_ERROR(settle(got->status()));
      continue;
    }
    const UploadItem& item = **got;
    if (item.size > max_chunk) {
      // Several chunks: R-UPLOAD-3 asks to wait for UploadReady first.
      if (Status drained = drain(0, 0); !drained.ok()) return lose(drained, 1);
      const StatusOr<TransferResult> result = Upload(item.remote, item.size, item.source, large);
      on_result(result);
      if (!connected()) return result.ok() ? NotConnected() : result.status();
      continue;
    }
    buffer_.resize(std::max<uint64_t>(item.size, 1));
    auto read = item.source(std::span<uint8_t>(buffer_.data(), item.size));
    if (!read.ok() || *read != item.size) {
      FERRY_RETURN_IF_ERROR(
          settle(read.ok() ? Status::Error(StatusCode::kSizeMismatch,
                                           "local file is shorter than when the upload began")
                           : read.status()));
      continue;
    }
    if (Status drained = drain(kWindowUploads - 1, item.size + kFrameOverheadBytes);
        !drained.ok()) {
      return lose(drained, 1);  // this one was not sent
    }
    const std::span<const uint8_t> data(buffer_.data(), item.size);
    v1::ClientMessage message;
    v1::UploadRequest* request = message.mutable_upload();
    request->set_path(item.remote);
    request->set_size(item.size);
    request->set_overwrite(options.overwrite);
    Status sent = Send(message);
    in_flight.push_back(InFlight{item.size, DigestOf(data), requests_sent_});
    outstanding_bytes += item.size + kFrameOverheadBytes;
    if (sent.ok() && !data.empty()) {
      if (Status written = writer_.WriteChunk(data); !written.ok()) sent = Break(written);
    }
    if (sent.ok()) {
      message.mutable_upload_end()->set_size(item.size);
      message.mutable_upload_end()->set_xxh3_128(DigestToBytes(in_flight.back().digest));
      sent = Send(message);
    }
    if (!sent.ok()) return lose(sent);  // half sent: the connection is gone
  }
  if (Status drained = drain(0, 0); !drained.ok()) return lose(drained);
  return Status::Ok();
}

Status Client::Bye() {
  v1::ClientMessage bye;
  bye.mutable_bye();
  FERRY_RETURN_IF_ERROR(Send(bye));
  const Status reply = ReceiveReply(v1::ServerMessage::kBye).status();
  Break(Status::Ok()).IgnoreError();
  return reply;
}

}  // namespace ferry
