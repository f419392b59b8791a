#include "src/server/server.h"

#include <thread>

#include "src/codec/frame_io.h"
#include "src/codec/wire_error.h"

namespace ferry {
namespace {

// The client's IP address from "host:port" or "[v6]:port": what the
// per-address limit counts by.
std::string AddressOf(const std::string& peer) {
  const size_t colon = peer.rfind(':');
  return colon == std::string::npos ? peer : peer.substr(0, colon);
}

}  // namespace

StatusOr<std::unique_ptr<Server>> Server::Create(FileSystem* fs, RequestLog* log,
                                                 ServerOptions options) {
  FERRY_ASSIGN_OR_RETURN(std::unique_ptr<Listener> listener, Listener::Bind(options.listen));
  return std::unique_ptr<Server>(new Server(fs, log, std::move(options), std::move(listener)));
}

Server::~Server() {
  Stop();
  std::unique_lock<std::mutex> lock(mu_);
  idle_.wait(lock, [&] { return active_.empty(); });
}

Status Server::Run() {
  // Short accept waits let Stop take effect promptly without signals.
  constexpr std::chrono::milliseconds kPollInterval{100};
  while (!stopping_) {
    auto accepted = listener_->Accept(kPollInterval);
    if (!accepted.ok()) return accepted.status();
    if (*accepted == nullptr) continue;
    std::unique_ptr<SocketStream> stream = std::move(*accepted);
    std::string address = AddressOf(stream->peer());
    std::unique_lock<std::mutex> lock(mu_);
    if (active_.size() >= options_.max_connections) {
      lock.unlock();
      Refuse(std::move(stream), "server is at its connection limit (" +
                                    std::to_string(options_.max_connections) + " in total)");
      continue;
    }
    size_t& from_address = per_address_[address];
    if (options_.max_connections_per_address != 0 &&
        from_address >= options_.max_connections_per_address) {
      lock.unlock();
      Refuse(std::move(stream), "too many connections from your address (limit " +
                                    std::to_string(options_.max_connections_per_address) +
                                    " per address)");
      continue;
    }
    ++from_address;
    active_.insert(stream.get());
    lock.unlock();
    std::thread(&Server::Serve, this, std::move(stream), std::move(address)).detach();
  }
  std::unique_lock<std::mutex> lock(mu_);
  for (SocketStream* stream : active_) stream->Shutdown();
  idle_.wait(lock, [&] { return active_.empty(); });
  return Status::Ok();
}

void Server::Serve(std::unique_ptr<SocketStream> stream, std::string address) {
  const std::string peer = stream->peer();
  log_->Event(peer, "connect", Status::Ok());
  Session session(stream.get(), fs_, options_.session,
                  [&](const RequestRecord& record) { log_->Request(peer, record); });
  const Status ended = session.Run();
  log_->Event(peer, "disconnect", ended);
  std::lock_guard<std::mutex> lock(mu_);
  active_.erase(stream.get());
  if (const auto it = per_address_.find(address); it != per_address_.end() && --it->second == 0) {
    per_address_.erase(it);  // the map holds only addresses with live connections
  }
  stream.reset();  // close before anyone waiting on idle_ sees the count drop
  if (active_.empty()) idle_.notify_all();
}

void Server::Refuse(std::unique_ptr<SocketStream> stream, const std::string& why) {
  stream->SetIoTimeout(std::chrono::seconds(1));
  v1::ServerMessage reply;
  const Status full = Status::Error(StatusCode::kTooManyConnections, why);
  *reply.mutable_error() = ToWireError(full, "", /*fatal=*/true);
  FrameWriter(stream.get()).Write(reply).IgnoreError();  // best effort: it is closing anyway
  stream->Shutdown();
  log_->Event(stream->peer(), "refused", full);
}

}  // namespace ferry
