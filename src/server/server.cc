#include "src/server/server.h"

#include <thread>

#include "src/codec/frame_io.h"
#include "src/codec/wire_error.h"

namespace ferry {
namespace {

// At most this many refusals over TLS run at once; beyond that a connection
// that finds the server full is closed before its TLS handshake (R-TLS-9), so
// a flood of connections cannot make the refusals themselves unbounded.
constexpr size_t kMaxTlsRefusals = 4;
// A refusal's handshake gets no longer than this: it delays nobody else.
constexpr std::chrono::milliseconds kRefusalHandshakeTimeout{5000};

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
  idle_.wait(lock, [&] { return active_.empty() && refusing_.empty(); });
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
      TurnAway(std::move(stream), "server is at its connection limit (" +
                                      std::to_string(options_.max_connections) + " in total)");
      continue;
    }
    size_t& from_address = per_address_[address];
    if (options_.max_connections_per_address != 0 &&
        from_address >= options_.max_connections_per_address) {
      if (from_address == 0) per_address_.erase(address);
      lock.unlock();
      TurnAway(std::move(stream), "too many connections from your address (limit " +
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
  // The sockets, not any TLS layer above them: shutting a socket down is safe
  // while its connection thread is inside OpenSSL.
  for (SocketStream* stream : active_) stream->Shutdown();
  for (SocketStream* stream : refusing_) stream->Shutdown();
  idle_.wait(lock, [&] { return active_.empty() && refusing_.empty(); });
  return Status::Ok();
}

void Server::TurnAway(std::unique_ptr<SocketStream> socket, const std::string& why) {
  if (options_.tls == nullptr) {
    const std::string peer = socket->peer();
    Refuse(socket.get(), peer, log_->NewConnectionId(), why);
    return;
  }
  std::unique_lock<std::mutex> lock(mu_);
  if (refusing_.size() < kMaxTlsRefusals) {
    refusing_.insert(socket.get());
    lock.unlock();
    std::thread(&Server::RefuseOverTls, this, std::move(socket), why).detach();
    return;
  }
  lock.unlock();
  log_->Event(socket->peer(), log_->NewConnectionId(), "refused",
              Status::Error(StatusCode::kTooManyConnections, why + "; closed before TLS"));
}

void Server::Finish(std::set<SocketStream*>* set, SocketStream* key, std::unique_ptr<Stream> stream,
                    const std::string* address) {
  std::lock_guard<std::mutex> lock(mu_);
  set->erase(key);
  if (address != nullptr) {
    if (const auto it = per_address_.find(*address);
        it != per_address_.end() && --it->second == 0) {
      per_address_.erase(it);  // the map holds only addresses with live connections
    }
  }
  stream.reset();  // close before anyone waiting on idle_ sees the count drop
  if (active_.empty() && refusing_.empty()) idle_.notify_all();
}

std::unique_ptr<Stream> Server::Secure(std::unique_ptr<SocketStream> socket,
                                       const std::string& connection,
                                       std::chrono::milliseconds timeout, bool* secured) {
  *secured = false;
  const std::string peer = socket->peer();
  auto wrapped = options_.tls->Wrap(std::move(socket));
  if (!wrapped.ok()) {
    log_->Event(peer, connection, "tls-failed", wrapped.status());
    return socket;  // Wrap leaves the socket with us when it fails
  }
  std::unique_ptr<TlsStream> stream = std::move(*wrapped);
  const Status handshake = stream->Handshake(std::chrono::steady_clock::now() + timeout);
  if (handshake.ok()) {
    *secured = true;
    return stream;
  }
  log_->Event(peer, connection, "tls-failed", handshake);
  if (stream->notes().peer_spoke_plaintext) {
    // Tell a plaintext client, in its own framing, why it is turned away (R-TLS-8).
    SocketStream* plain = stream->socket();
    // One second for the reply and the drain together: a trickling client
    // cannot stretch it.
    plain->SetIoTimeout(std::chrono::seconds(1));
    plain->SetDeadline(std::chrono::steady_clock::now() + std::chrono::seconds(1));
    v1::ServerMessage reply;
    *reply.mutable_error() = ToWireError(
        Status::Error(StatusCode::kUnsupported, "this server requires TLS"), "", /*fatal=*/true);
    FrameWriter(plain).Write(reply).IgnoreError();  // best effort: it is closing anyway
    // Closing with the rest of its Hello unread would reset the connection and
    // could destroy the reply in flight: read (a bounded amount) until it leaves.
    uint8_t discard[4096];
    for (size_t drained = 0; drained < 64 * 1024;) {
      auto n = plain->ReadSome(discard);
      if (!n.ok()) break;
      drained += *n;
    }
    plain->Shutdown();
  }
  return stream;
}

void Server::Serve(std::unique_ptr<SocketStream> socket, std::string address) {
  SocketStream* const key = socket.get();
  const std::string peer = socket->peer();
  const std::string connection = log_->NewConnectionId();
  log_->Event(peer, connection, "connect", Status::Ok());
  std::unique_ptr<Stream> stream;
  if (options_.tls == nullptr) {
    stream = std::move(socket);
  } else {
    // The socket lives on inside `stream` until Finish, so `key` stays valid.
    bool secured = false;
    stream = Secure(std::move(socket), connection, options_.session.handshake_timeout, &secured);
    if (!secured) return Finish(&active_, key, std::move(stream), &address);
  }
  // Requests are numbered in the order they arrive on the connection (spec/DESIGN.md).
  uint64_t requests = 0;
  Session session(stream.get(), fs_, options_.session, [&](const RequestRecord& record) {
    log_->Request(peer, RequestId{connection, ++requests}, record);
  });
  const Status ended = session.Run();
  log_->Event(peer, connection, "disconnect", ended);
  Finish(&active_, key, std::move(stream), &address);
}

void Server::Refuse(Stream* stream, const std::string& peer, const std::string& connection,
                    const std::string& why) {
  stream->SetIoTimeout(std::chrono::seconds(1));
  v1::ServerMessage reply;
  const Status full = Status::Error(StatusCode::kTooManyConnections, why);
  *reply.mutable_error() = ToWireError(full, "", /*fatal=*/true);
  FrameWriter(stream).Write(reply).IgnoreError();  // best effort: it is closing anyway
  stream->Shutdown();
  log_->Event(peer, connection, "refused", full);
}

void Server::RefuseOverTls(std::unique_ptr<SocketStream> socket, std::string why) {
  SocketStream* const key = socket.get();
  const std::string peer = socket->peer();
  const std::string connection = log_->NewConnectionId();
  bool secured = false;
  std::unique_ptr<Stream> stream =
      Secure(std::move(socket), connection,
             std::min<std::chrono::milliseconds>(options_.session.handshake_timeout,
                                                 kRefusalHandshakeTimeout),
             &secured);
  if (secured) Refuse(stream.get(), peer, connection, why);
  Finish(&refusing_, key, std::move(stream));
}

}  // namespace ferry
