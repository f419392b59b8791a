// Client: one typed call per protocol request, over one connection.
//
// The client trusts nothing the server sends: frames are bounded by the
// negotiated limit, a download that sends more than it announced or whose digest
// differs fails, and listing names that are not plain components are skipped. After any error that
// leaves the stream out of step, the connection is closed and every later call fails with
// kConnectionClosed.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ferry/v1/ferry.pb.h"
#include "src/base/digest.h"
#include "src/base/status.h"
#include "src/base/version.h"
#include "src/codec/frame_io.h"
#include "src/codec/messages.h"
#include "src/fs/file_system.h"
#include "src/net/address.h"
#include "src/net/stream.h"
#include "src/net/tls.h"

namespace ferry {

struct ClientOptions {
  std::string client_name = "ferry/" FERRY_VERSION;
  std::chrono::milliseconds connect_timeout{10'000};
  // The longest the client waits for the server to make progress.
  std::chrono::milliseconds io_timeout{60'000};
  uint32_t max_frame_bytes = 0;  // 0: the server's default
  // The shared secret presented when the server asks for one (spec 5.9); empty:
  // none, and connecting to a server that requires one fails.
  std::string token;
  // When set, Connect speaks TLS from the first byte and verifies the server as
  // the context says (R-TLS-4); the TLS handshake shares connect_timeout.
  std::shared_ptr<const TlsClientContext> tls;
};

// Progress of a transfer: bytes so far, of `total`.
using ProgressFn = std::function<void(uint64_t done, uint64_t total)>;

// What the server announced for a download (DownloadBegin).
struct DownloadStart {
  uint64_t size = 0;  // the whole file
  int64_t mtime_unix_ns = 0;
  uint64_t offset = 0;  // the sink receives the bytes [offset, size)
};

// A download that continues an earlier one (spec 7.8): the caller holds the
// file's first `offset` bytes, of a file announced as `size` and `mtime_unix_ns`,
// and `prefix` is their digest so far. The client keeps feeding it, so the whole
// file is verified.
struct DownloadResume {
  uint64_t offset = 0;
  uint64_t size = 0;
  int64_t mtime_unix_ns = 0;
  StreamingDigest* prefix = nullptr;
};

struct TransferOptions {
  bool overwrite = false;
  ProgressFn progress;
  // Checked between chunks; when it becomes true the transfer is cancelled
  // cleanly (the server is told) and the call returns kCancelled.
  const std::atomic<bool>* cancel = nullptr;

  // Download only. When set, asks the server to send only what follows the
  // caller's prefix.
  const DownloadResume* resume = nullptr;
  // Download only. Called once, after DownloadBegin and before the first byte
  // reaches the sink. Its `offset` is 0 when the server sends the whole file
  // (a fresh download, or a server that does not resume): the caller then drops
  // any prefix it held. A failure cancels the download and is returned.
  std::function<Status(const DownloadStart&)> on_begin;

  // Upload only. Ask the server to keep what it received if the connection is
  // lost (spec 7.8), and continue the earlier upload `resume_id` names, if the
  // server still holds it for the same path and size (else it starts afresh).
  bool resumable = false;
  std::string resume_id;
  // Upload only, with resumable. Called once UploadReady has come, before any
  // byte is sent: the id that names this attempt for a later resume, and the
  // bytes the server already holds (they are read from the source and hashed,
  // not sent). A failure cancels the upload and is returned.
  std::function<Status(std::string_view resume_id, uint64_t offset)> on_ready;
};

struct TransferResult {
  uint64_t size = 0;          // the whole file
  Digest digest{};            // of the whole file
  uint64_t resumed_from = 0;  // bytes that were already in place and did not cross the wire
};

// What the server reported for a hash (spec 6.11): the digest of the file's
// bytes [offset, offset + length), and the file's size and mtime when opened.
struct HashResult {
  std::string algorithm;  // "xxh3-128"
  Digest digest{};
  uint64_t size = 0;
  int64_t mtime_unix_ns = 0;
  uint64_t offset = 0;
  uint64_t length = 0;
};

class Client {
 public:
  static StatusOr<std::unique_ptr<Client>> Connect(const HostPort& server,
                                                   const ClientOptions& options);
  // Performs the handshake over an established stream.
  static StatusOr<std::unique_ptr<Client>> Open(std::unique_ptr<Stream> stream,
                                                const ClientOptions& options);
  ~Client();

  const v1::Welcome& welcome() const { return welcome_; }
  bool connected() const { return stream_ != nullptr; }

  // All entries of a directory, in the server's order. An entry whose name is
  // not one valid component (R-SEC-5: empty, ".", "..", '/', a control byte,
  // invalid UTF-8, over 255 bytes, or reserved) is left out, and its name as
  // received is appended to `skipped` when given, for the caller to report.
  StatusOr<std::vector<FileInfo>> List(std::string_view path,
                                       std::vector<std::string>* skipped = nullptr);
  StatusOr<FileInfo> Stat(std::string_view path);
  Status Remove(std::string_view path);
  // Creates one directory; its parent must exist (spec 6.8).
  Status MakeDirectory(std::string_view path);
  // Removes one empty directory (spec 6.9).
  Status RemoveDirectory(std::string_view path);
  // Moves or renames one entry on the server; an existing `to` is replaced only
  // with `overwrite` (spec 6.10).
  Status Rename(std::string_view from, std::string_view to, bool overwrite);
  // The server's digest of the file's bytes [offset, offset + length) (0: to the
  // end), without transferring them (spec 6.11). `options.progress` sees the
  // server's keep-alives; `options.cancel` is checked whenever a frame arrives
  // (at least every 10 s, R-HASH-4) and cancels the hash cleanly.
  StatusOr<HashResult> Hash(std::string_view path, uint64_t offset = 0, uint64_t length = 0,
                            const TransferOptions& options = {});

  // Streams the file's bytes to `sink` as they arrive. On failure the sink has
  // seen a prefix at most, which the caller must discard.
  using Sink = std::function<Status(std::span<const uint8_t>)>;
  StatusOr<TransferResult> Download(std::string_view remote, const Sink& sink,
                                    const TransferOptions& options = {});

  // Sends exactly `size` bytes pulled from `source` (which fills the span it is
  // given and returns how many bytes it wrote; 0 means it ran dry early).
  using Source = std::function<StatusOr<size_t>(std::span<uint8_t>)>;
  StatusOr<TransferResult> Upload(std::string_view remote, uint64_t size, const Source& source,
                                  const TransferOptions& options = {});

  // Many uploads on this connection with requests pipelined (spec 5.6, R-UPLOAD-3),
  // so that the server can commit them in groups (R-GROUP-1): each upload that
  // fits in one chunk is sent whole (request, chunk, UploadEnd) without waiting,
  // with a bounded number of bytes and uploads outstanding, while the replies are
  // read in order. A larger file waits for the earlier ones and goes as Upload
  // does. Each source is read before its request is sent. Of `options`,
  // `overwrite` applies to all, `progress` to the larger files, and `cancel` as
  // the streaming form below says (the uploads not sent get kCancelled). The
  // results are in the order of `items`, each that upload's own. After a
  // connection failure the remaining results are that failure; for those
  // already sent the outcome is unknown (R-UPLOAD-18).
  struct UploadItem {
    std::string remote;
    uint64_t size = 0;
    Source source;
  };
  std::vector<StatusOr<TransferResult>> UploadMany(std::span<const UploadItem> items,
                                                   const TransferOptions& options = {});

  // The same with the uploads asked for one at a time, each only when its turn
  // comes (just before it is sent), so that a caller opens a local file only
  // then and holds one open at a time. `next` returns the next upload; or an
  // error found before anything was sent (its file could not be opened), which
  // becomes that upload's result; or nullopt when there are no more.
  // `on_result` hears every upload's result, in order, as soon as it is known,
  // so a caller can report while later uploads are still on the way. Once
  // `options.cancel` is true no further upload is asked for; those already sent
  // were sent whole and are answered as usual, so nothing is left half sent, and
  // the call returns kCancelled. Otherwise it returns OK, or the connection's
  // failure, which is then also the result of every upload in flight.
  using NextUpload = std::function<std::optional<StatusOr<UploadItem>>()>;
  using UploadResultFn = std::function<void(const StatusOr<TransferResult>&)>;
  Status UploadMany(const NextUpload& next, const UploadResultFn& on_result,
                    const TransferOptions& options = {});

  // Says goodbye and closes the connection.
  Status Bye();

  // The number of the request the server's last error answered, counted as
  // ferryd's request log counts them (spec/DESIGN.md, "Request log and request
  // ids"), so `ferry -v` can name the log line; 0 when no error has come since
  // the last call. Reading it clears it.
  uint64_t TakeErrorRequestNumber() { return std::exchange(error_request_, 0); }

 private:
  Client(std::unique_ptr<Stream> stream, const ClientOptions& options);

  Status Handshake(const ClientOptions& options);
  // Presents options.token if the Welcome asks for authentication.
  Status Authenticate(const ClientOptions& options);
  Status Send(const v1::ClientMessage& message);
  // The next server frame, decoded. Any failure here breaks the connection.
  StatusOr<const DecodedFrame<v1::ServerMessage>*> Receive();
  // Reads a reply of type `expected` (or an Error, returned as its Status).
  StatusOr<const v1::ServerMessage*> ReceiveReply(v1::ServerMessage::BodyCase expected);
  // Closes the connection after an error that leaves the stream out of step.
  Status Break(Status status);
  Status NotConnected() const;
  Status CancelDownload();

  std::unique_ptr<Stream> stream_;
  // Requests sent on this connection: every message after Hello but Cancel and
  // UploadEnd, which belong to their transfer; and which one the last error answered.
  uint64_t requests_sent_ = 0;
  uint64_t error_request_ = 0;
  FrameReader reader_;
  FrameWriter writer_;
  v1::Welcome welcome_;
  DecodedFrame<v1::ServerMessage> frame_;
  std::vector<uint8_t> buffer_;
};

}  // namespace ferry
