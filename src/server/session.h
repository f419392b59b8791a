// Session: one client connection on the server, from Hello to close (spec 5-7).
//
// It owns the protocol state machine and nothing else: bytes come and go through
// a Stream, files only through a FileSystem, so tests and fuzzers drive it over
// memory and a fake filesystem exactly as the server drives it over TCP.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ferry/v1/ferry.pb.h"
#include "src/auth/token_verifier.h"
#include "src/base/digest.h"
#include "src/base/status.h"
#include "src/base/version.h"
#include "src/codec/frame_io.h"
#include "src/codec/limits.h"
#include "src/codec/messages.h"
#include "src/fs/file_system.h"
#include "src/net/stream.h"
#include "src/server/kept_uploads.h"

namespace ferry {

struct SessionOptions {
  std::string server_name = "ferryd/" FERRY_VERSION;
  // The largest frame this server accepts and offers (the client may ask for less).
  uint32_t max_frame_bytes = limits::kDefaultMaxFrameBytes;
  std::chrono::milliseconds handshake_timeout = limits::kHandshakeTimeout;
  std::chrono::milliseconds idle_timeout = limits::kIdleTimeout;
  std::chrono::milliseconds transfer_timeout = limits::kTransferStallTimeout;
  // When set, a client must present the token before any request (spec 5.9).
  std::shared_ptr<const TokenVerifier> token;
  // The pause before each AUTHENTICATION_FAILED reply (R-AUTH-5).
  std::chrono::milliseconds auth_failure_delay = limits::kAuthFailureDelay;
  // Refuse every request that would create, change or delete a file (R-ACCESS-1).
  bool read_only = false;
  // Where interrupted resumable uploads are kept (spec 7.8), shared by the
  // server's sessions; nullptr: this server does not resume uploads.
  KeptUploads* kept_uploads = nullptr;
  // How often a long hash sends a keep-alive (R-HASH-4); tests make it 0 to see
  // one after every read.
  std::chrono::milliseconds hash_progress_interval = limits::kHashProgressInterval;
};

// What the server logs about one request.
struct RequestRecord {
  std::string command;  // "list", "download", ...
  std::string path;     // as the client sent it
  uint64_t bytes = 0;   // file bytes transferred
  Status result;
  std::chrono::steady_clock::duration duration{};
};

class Session {
 public:
  using RequestObserver = std::function<void(const RequestRecord&)>;

  Session(Stream* stream, FileSystem* fs, SessionOptions options, RequestObserver observer = {});

  // Serves the connection until it ends and returns why: OK after Bye or a clean
  // close by the client, otherwise the error that ended it (already reported to
  // the client when the protocol says so).
  Status Run();

 private:
  // The outcome of one request: its status, and whether the connection must close.
  struct Outcome {
    Status status;
    bool close = false;
    uint64_t bytes = 0;
    bool replied = true;  // false for frames that get no reply (Cancel in READY)
    // An upload that joined the open group (R-GROUP-1): its index in
    // group_uploads_; its terminal reply and result come with the group's commit.
    int deferred = -1;
  };
  using Handler = Outcome (Session::*)(const v1::ClientMessage&, RequestRecord*);
  struct Route {
    v1::ClientMessage::BodyCase body;
    const char* name;
    Handler handler;
    // Creates, changes or deletes something: refused in read-only mode before
    // the handler runs (R-ACCESS-2). Every new request kind must say.
    bool mutates;
  };
  static const Route kRoutes[];

  Status Handshake();
  // State AUTHENTICATING (spec 5.9): OK once the token is accepted; otherwise why
  // the connection ends (already reported to the client). Bye ends it cleanly,
  // returned as kConnectionClosed.
  Status Authenticate();
  // The reply to a mutating request in read-only mode.
  Outcome RefuseReadOnly(const v1::ClientMessage& request, RequestRecord* record);
  // Serves one request frame in state READY.
  Outcome Dispatch(std::span<const uint8_t> payload, RequestRecord* record);

  Outcome HandleList(const v1::ClientMessage& request, RequestRecord* record);
  Outcome HandleStat(const v1::ClientMessage& request, RequestRecord* record);
  Outcome HandleRemove(const v1::ClientMessage& request, RequestRecord* record);
  Outcome HandleMakeDirectory(const v1::ClientMessage& request, RequestRecord* record);
  Outcome HandleRemoveDirectory(const v1::ClientMessage& request, RequestRecord* record);
  Outcome HandleRename(const v1::ClientMessage& request, RequestRecord* record);
  Outcome HandleHash(const v1::ClientMessage& request, RequestRecord* record);
  Outcome HandleDownload(const v1::ClientMessage& request, RequestRecord* record);
  Outcome HandleUpload(const v1::ClientMessage& request, RequestRecord* record);
  Outcome HandleBye(const v1::ClientMessage& request, RequestRecord* record);
  Outcome HandleCancel(const v1::ClientMessage& request, RequestRecord* record);

  // Receives the upload data phase into `upload`; returns the terminal outcome
  // (the reply has been sent unless the connection is closing). Takes ownership
  // so that a failure can discard the temporary before its Error goes out.
  // A resumed upload starts after `offset` kept bytes, whose digest `digest`
  // already holds. With a `resume_id`, a lost connection keeps the upload under it.
  Outcome ReceiveUpload(std::unique_ptr<PendingUpload> upload, const std::string& path,
                        uint64_t size, uint64_t offset, StreamingDigest* digest,
                        const std::string& resume_id);
  // Sends a download whose file fits in one chunk (DownloadBegin `begin` is
  // ready) as one write: begin, chunk, end.
  Outcome SendWholeDownload(ReadableFile& file, v1::ServerMessage& begin, const std::string& path);
  // After an early upload error: consumes the rest of the data phase (R-UPLOAD-8).
  Outcome DiscardUploadData(Outcome early);
  // Between download chunks: true if the client asked to cancel. Another request
  // arriving meanwhile is held for later (R-STATE-6).
  StatusOr<bool> CancelRequested();

  // The next request payload: a held one first, otherwise from the stream.
  StatusOr<std::span<const uint8_t>> NextRequest();

  // Group commit (spec R-GROUP-1 to R-GROUP-5). An upload whose UploadEnd
  // passed its checks while the client's next frame is already readable joins
  // the open group instead of committing at once; every frame the session sends
  // meanwhile is held, in order. The group commits (FileSystem::CommitUploads)
  // and its replies go out before any read that would wait, before any request
  // other than an upload (or one to a path the group touches), before a fatal
  // error, and when a bound is reached.
  struct GroupedUpload {
    std::unique_ptr<PendingUpload> upload;
    std::string wire_path;  // as the client sent it, for Error.path
    Path target;
    uint64_t size = 0;
    Digest digest;
  };
  // A frame held while a group is open: encoded, or (grouped >= 0) the terminal
  // reply of group_uploads_[grouped], decided by the commit.
  struct HeldFrame {
    std::string frame;
    int grouped = -1;
  };
  // A request's log record held with the group, so that the log keeps request order.
  struct HeldRecord {
    RequestRecord record;
    std::chrono::steady_clock::time_point start;
    int grouped = -1;
  };
  bool group_open() const { return !group_uploads_.empty(); }
  // Whether an upload of `size` bytes whose UploadEnd just passed may join the group.
  bool MayJoinGroup(uint64_t size);
  // Whether `path` is a grouped target or lies beneath one: an upload to it must
  // see the group committed, as if the uploads had been served one at a time.
  bool GroupTouches(const Path& path) const;
  // Commits the group and sends every held frame in order; a failure to send
  // ends the connection. A no-op when no group is open.
  Status CommitGroup();
  // Before a read: commits the group unless the read will not wait (R-GROUP-3).
  Status CommitGroupBeforeWaiting();

  Status Send(const v1::ServerMessage& message);
  // Sends an Error reply; its `fatal` flag is `close`.
  Outcome Fail(const Status& status, const std::string& path, bool close = false);

  Stream* stream_;
  FileSystem* fs_;
  SessionOptions options_;
  RequestObserver observer_;
  FrameReader reader_;
  FrameWriter writer_;
  uint32_t max_chunk_bytes_ = 0;
  uint32_t negotiated_max_frame_bytes_ = 0;  // Welcome.max_frame_bytes
  int consecutive_bad_requests_ = 0;
  std::optional<std::string> held_request_;  // a pipelined request read during a download
  std::string held_storage_;                 // backs the span NextRequest returns for it
  std::vector<uint8_t> transfer_buffer_;
  DecodedFrame<v1::ClientMessage> frame_;
  std::vector<GroupedUpload> group_uploads_;
  std::vector<HeldFrame> held_frames_;
  std::vector<HeldRecord> held_records_;
  uint64_t group_bytes_ = 0;
  std::chrono::steady_clock::time_point group_started_;
};

}  // namespace ferry
