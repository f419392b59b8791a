// Server: accepts connections and runs one Session per connection on its own
// thread, up to a limit; stops cleanly on request.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <set>

#include "src/fs/file_system.h"
#include "src/net/socket.h"
#include "src/server/kept_uploads.h"
#include "src/server/request_log.h"
#include "src/server/session.h"

namespace ferry {

struct ServerOptions {
  HostPort listen{"127.0.0.1", kDefaultPort};
  size_t max_connections = 256;
  SessionOptions session;
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

  void Serve(std::unique_ptr<SocketStream> stream);
  // Tells a client the server is full (R-STATE-8) and closes the connection.
  void Refuse(std::unique_ptr<SocketStream> stream);

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
  std::set<SocketStream*> active_;  // guarded by mu_
};

}  // namespace ferry
