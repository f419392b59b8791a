// Server: accepts connections and runs one Session per connection on its own
// thread, up to a limit; stops cleanly on request.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "src/fs/file_system.h"
#include "src/net/socket.h"
#include "src/net/tls.h"
#include "src/server/kept_uploads.h"
#include "src/server/request_log.h"
#include "src/server/session.h"

namespace ferry {

struct ServerOptions {
  HostPort listen{"127.0.0.1", kDefaultPort};
  size_t max_connections = 256;
  // Most connections from one client IP address at once; 0 means no per-address
  // limit, only the total one (R-ACCESS-3).
  size_t max_connections_per_address = limits::kDefaultMaxConnectionsPerAddress;
  SessionOptions session;
  // When set, every connection is TLS from its first byte (R-TLS-1): the TLS
  // handshake runs on the connection's thread, under the handshake timeout.
  std::shared_ptr<const TlsServerContext> tls;
};

class Server {
 public:
  // Binds the listening socket; serving starts with Run. `fs` and `log` must
  // outlive the server.
  static StatusOr<std::unique_ptr<Server>> Create(FileSystem* fs, RequestLog* log,
                                                  ServerOptions options);
  ~Server();

  // The address actually bound (the real port when port 0 was asked for).
  const HostPort& address() const { return listener_->local_address(); }

  // Accepts and serves until Stop is called, then ends every connection (an upload
  // in progress is discarded, never half-committed) and waits for them to finish.
  Status Run();

  // Safe from any thread. Run returns soon after.
  void Stop() { stopping_ = true; }

 private:
  Server(FileSystem* fs, RequestLog* log, ServerOptions options, std::unique_ptr<Listener> listener)
      : fs_(fs), log_(log), options_(std::move(options)), listener_(std::move(listener)) {
    options_.session.kept_uploads = &kept_uploads_;
  }

  // Serves one accepted connection; `address` is the client's IP, counted in
  // per_address_ until the connection ends.
  void Serve(std::unique_ptr<SocketStream> socket, std::string address);
  // Turns a connection away with TOO_MANY_CONNECTIONS and `why` (which limit):
  // in plaintext right here, over TLS on a thread of its own (R-TLS-9).
  void TurnAway(std::unique_ptr<SocketStream> socket, const std::string& why);
  // Tells a client which connection limit it hit (R-STATE-8, R-ACCESS-3) and
  // closes the connection.
  void Refuse(Stream* stream, const std::string& peer, const std::string& connection,
              const std::string& why);
  // The refusal over TLS, on its own thread: the handshake first (R-TLS-9).
  void RefuseOverTls(std::unique_ptr<SocketStream> socket, std::string why);
  // Runs the TLS handshake over `socket` and returns the stream that now owns
  // it, whatever happened; `secured` says whether the handshake succeeded. A
  // failure is logged, and answered in plaintext to a plaintext client (R-TLS-8).
  std::unique_ptr<Stream> Secure(std::unique_ptr<SocketStream> socket,
                                 const std::string& connection, std::chrono::milliseconds timeout,
                                 bool* secured);
  // Forgets a connection of `set` (and, when given, one connection from
  // `address`) and closes it.
  void Finish(std::set<SocketStream*>* set, SocketStream* key, std::unique_ptr<Stream> stream,
              const std::string* address = nullptr);

  FileSystem* fs_;
  RequestLog* log_;
  // Interrupted resumable uploads, shared by all sessions; its temporaries are
  // removed when the server goes (spec 7.8).
  KeptUploads kept_uploads_;
  ServerOptions options_;
  std::unique_ptr<Listener> listener_;
  std::atomic<bool> stopping_{false};

  std::mutex mu_;
  std::condition_variable idle_;
  std::set<SocketStream*> active_;             // guarded by mu_
  std::set<SocketStream*> refusing_;           // TLS refusals in progress; guarded by mu_
  std::map<std::string, size_t> per_address_;  // client IP -> connections; guarded by mu_
};

}  // namespace ferry
