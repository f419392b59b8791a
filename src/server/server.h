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
      : fs_(fs), log_(log), options_(std::move(options)), listener_(std::move(listener)) {}

  void Serve(std::unique_ptr<SocketStream> stream, std::string address);
  // Tells a client which connection limit it hit (R-STATE-8, R-ACCESS-3) and
  // closes the connection.
  void Refuse(std::unique_ptr<SocketStream> stream, const std::string& why);

  FileSystem* fs_;
  RequestLog* log_;
  ServerOptions options_;
  std::unique_ptr<Listener> listener_;
  std::atomic<bool> stopping_{false};

  std::mutex mu_;
  std::condition_variable idle_;
  std::set<SocketStream*> active_;             // guarded by mu_
  std::map<std::string, size_t> per_address_;  // client IP -> connections; guarded by mu_
};

}  // namespace ferry
