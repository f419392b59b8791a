// The Server's connection limits over loopback (spec 5.7, 12.1): the total limit
// and the per-address limit, with clients from two source addresses. On Linux all
// of 127.0.0.0/8 is loopback, so a client bound to 127.0.0.2 reaches a server on
// 127.0.0.1 as a different address.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>

#include "src/client/client.h"
#include "src/fs/in_memory_file_system.h"
#include "src/server/server.h"
#include "tests/testing/status_matchers.h"

namespace ferry {
namespace {

using ::testing::HasSubstr;

// A TCP connection to 127.0.0.1:port from `source` (an IPv4 loopback address).
StatusOr<std::unique_ptr<Stream>> ConnectFrom(const std::string& source, uint16_t port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::Error(StatusCode::kUnavailable, "socket");
  sockaddr_in from{};
  from.sin_family = AF_INET;
  inet_pton(AF_INET, source.c_str(), &from.sin_addr);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof(from)) != 0 ||
      connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof(to)) != 0) {
    close(fd);
    return Status::Error(StatusCode::kUnavailable, "cannot connect from " + source);
  }
  return std::unique_ptr<Stream>(std::make_unique<SocketStream>(fd));
}

class ServerLimitsTest : public ::testing::Test {
 protected:
  void TearDown() override {
    clients_.clear();
    if (server_) {
      server_->Stop();
      runner_.join();
      FERRY_EXPECT_OK(run_status_);
      server_.reset();
    }
    if (log_file_ != nullptr) std::fclose(log_file_);
  }

  void StartServer(size_t max_connections, size_t per_address) {
    ASSERT_THAT(fs_.AddFile(*Path::Parse("a.txt"), "hello"), IsOk());
    log_file_ = std::tmpfile();
    ASSERT_NE(log_file_, nullptr);
    log_ = std::make_unique<RequestLog>(log_file_);
    ServerOptions options;
    options.listen = HostPort{"127.0.0.1", 0};
    options.max_connections = max_connections;
    options.max_connections_per_address = per_address;
    auto server = Server::Create(&fs_, log_.get(), options);
    ASSERT_THAT(server, IsOk());
    server_ = std::move(*server);
    runner_ = std::thread([this] { run_status_ = server_->Run(); });
  }

  // A client session from `source` (the handshake done), or the reason there is none.
  StatusOr<Client*> Open(const std::string& source) {
    FERRY_ASSIGN_OR_RETURN(std::unique_ptr<Stream> stream,
                           ConnectFrom(source, server_->address().port));
    ClientOptions options;
    options.io_timeout = std::chrono::seconds(10);  // hang guard
    FERRY_ASSIGN_OR_RETURN(std::unique_ptr<Client> client,
                           Client::Open(std::move(stream), options));
    clients_.push_back(std::move(client));
    return clients_.back().get();
  }

  // Opens a session from `source`, retrying while the server still counts a
  // session that has just ended (hang guard 10 s).
  StatusOr<Client*> OpenOnceReleased(const std::string& source) {
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (true) {
      auto client = Open(source);
      if (client.ok() || client.status().code() != StatusCode::kTooManyConnections ||
          std::chrono::steady_clock::now() > give_up) {
        return client;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }

  InMemoryFileSystem fs_;
  std::FILE* log_file_ = nullptr;
  std::unique_ptr<RequestLog> log_;
  std::unique_ptr<Server> server_;
  std::thread runner_;
  Status run_status_;
  std::vector<std::unique_ptr<Client>> clients_;
};

// R-ACCESS-3
TEST_F(ServerLimitsTest, ExtraConnectionFromOneAddressIsRefusedWhileOthersAreServed) {
  StartServer(/*max_connections=*/10, /*per_address=*/2);
  auto first = Open("127.0.0.2");
  ASSERT_THAT(first, IsOk());
  auto second = Open("127.0.0.2");
  ASSERT_THAT(second, IsOk());
  EXPECT_THAT(Open("127.0.0.2"),
              StatusIs(StatusCode::kTooManyConnections, HasSubstr("per address")));
  // The existing sessions go on.
  EXPECT_THAT((*first)->Stat("a.txt"), IsOk());
  EXPECT_THAT((*second)->Stat("a.txt"), IsOk());
  // Another address is still served, up to its own limit.
  auto other = Open("127.0.0.1");
  ASSERT_THAT(other, IsOk());
  EXPECT_THAT((*other)->Stat("a.txt"), IsOk());
  EXPECT_THAT(Open("127.0.0.1"), IsOk());
  EXPECT_THAT(Open("127.0.0.1"), StatusIs(StatusCode::kTooManyConnections));
}

// R-ACCESS-4: a session that ends, by Bye or by the client vanishing, frees its slot.
TEST_F(ServerLimitsTest, SlotIsReleasedWhenASessionEnds) {
  StartServer(/*max_connections=*/10, /*per_address=*/1);
  auto first = Open("127.0.0.2");
  ASSERT_THAT(first, IsOk());
  EXPECT_THAT(Open("127.0.0.2"), StatusIs(StatusCode::kTooManyConnections));
  FERRY_ASSERT_OK((*first)->Bye());
  auto second = OpenOnceReleased("127.0.0.2");
  ASSERT_THAT(second, IsOk());
  EXPECT_THAT((*second)->Stat("a.txt"), IsOk());
  // Gone without Bye: the connection is simply closed.
  clients_.clear();
  auto third = OpenOnceReleased("127.0.0.2");
  ASSERT_THAT(third, IsOk());
  EXPECT_THAT((*third)->Stat("a.txt"), IsOk());
}

// R-ACCESS-4: refused connections never count, so refusals cannot lock an address out.
TEST_F(ServerLimitsTest, RefusedConnectionsDoNotCount) {
  StartServer(/*max_connections=*/10, /*per_address=*/1);
  auto first = Open("127.0.0.2");
  ASSERT_THAT(first, IsOk());
  for (int i = 0; i < 5; ++i) {
    EXPECT_THAT(Open("127.0.0.2"), StatusIs(StatusCode::kTooManyConnections));
  }
  FERRY_ASSERT_OK((*first)->Bye());
  EXPECT_THAT(OpenOnceReleased("127.0.0.2"), IsOk());
}

// R-STATE-8: the total limit names itself, and applies across addresses.
TEST_F(ServerLimitsTest, TotalLimitAppliesAcrossAddressesAndSaysSo) {
  StartServer(/*max_connections=*/2, /*per_address=*/0);
  ASSERT_THAT(Open("127.0.0.1"), IsOk());
  ASSERT_THAT(Open("127.0.0.2"), IsOk());
  EXPECT_THAT(Open("127.0.0.3"), StatusIs(StatusCode::kTooManyConnections, HasSubstr("in total")));
}

// R-ACCESS-3: 0 means no per-address limit.
TEST_F(ServerLimitsTest, ZeroMeansNoPerAddressLimit) {
  StartServer(/*max_connections=*/10, /*per_address=*/0);
  for (int i = 0; i < 5; ++i) EXPECT_THAT(Open("127.0.0.2"), IsOk());
}

// Stopping the server with sessions open ends them all and leaves no count behind
// to wait for.
TEST_F(ServerLimitsTest, StopEndsOpenSessions) {
  StartServer(/*max_connections=*/10, /*per_address=*/2);
  ASSERT_THAT(Open("127.0.0.2"), IsOk());
  ASSERT_THAT(Open("127.0.0.2"), IsOk());
  server_->Stop();
  runner_.join();
  FERRY_EXPECT_OK(run_status_);
  server_.reset();
}

}  // namespace
}  // namespace ferry
