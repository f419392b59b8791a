// The client library's side of authentication (spec 5.9, R-AUTH-10): against a
// real Session that requires a token over a socket pair, and against a scripted
// server that asks for a method the client does not know.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "src/auth/token_verifier.h"
#include "src/client/client.h"
#include "src/codec/frame_io.h"
#include "src/fs/in_memory_file_system.h"
#include "src/net/socket.h"
#include "src/server/session.h"
#include "tests/testing/status_matchers.h"

namespace ferry {
namespace {

using ::testing::HasSubstr;

const std::string kToken = "client side token, 32 bytes long";

class ClientAuthTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (server_.joinable()) server_.join();
  }

  // Starts a Session requiring kToken and connects a client with `token`.
  StatusOr<std::unique_ptr<Client>> Connect(std::string token) {
    int fds[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
      return Status::Error(StatusCode::kUnavailable, "socketpair");
    }
    server_stream_ = std::make_unique<SocketStream>(fds[0]);
    server_ = std::thread([this] {
      SessionOptions options;
      options.token = std::make_shared<const TokenVerifier>(TokenVerifier::Create(kToken).value());
      options.auth_failure_delay = std::chrono::milliseconds(1);
      Session session(server_stream_.get(), &fs_, options);
      server_status_ = session.Run();
    });
    ClientOptions options;
    options.io_timeout = std::chrono::seconds(10);  // hang guard
    options.token = std::move(token);
    return Client::Open(std::make_unique<SocketStream>(fds[1]), options);
  }

  InMemoryFileSystem fs_;
  std::unique_ptr<SocketStream> server_stream_;
  std::thread server_;
  Status server_status_;
};

// R-AUTH-10, R-AUTH-2
TEST_F(ClientAuthTest, ClientWithTheTokenAuthenticatesBeforeItsFirstRequest) {
  ASSERT_THAT(fs_.AddFile(*Path::Parse("a.txt"), "hello"), IsOk());
  auto client = Connect(kToken);
  ASSERT_THAT(client, IsOk());
  EXPECT_THAT((*client)->Stat("a.txt"), IsOk());
  FERRY_EXPECT_OK((*client)->Bye());
  server_.join();
  FERRY_EXPECT_OK(server_status_);
}

// R-AUTH-10
TEST_F(ClientAuthTest, ClientWithoutATokenSaysTheServerRequiresOne) {
  auto client = Connect("");
  EXPECT_THAT(client, StatusIs(StatusCode::kAuthenticationRequired,
                               HasSubstr("the server requires a token (--token-file)")));
  server_.join();
  // The client closed without sending anything after Hello: a clean leave.
  FERRY_EXPECT_OK(server_status_);
}

// R-AUTH-10, R-AUTH-5: ferry does not retry; the connection is closed.
TEST_F(ClientAuthTest, WrongTokenFailsTheConnect) {
  auto client = Connect("a token that is not the right one");
  EXPECT_THAT(client, StatusIs(StatusCode::kAuthenticationFailed));
  server_.join();
}

// R-AUTH-10: a method the client does not know.
TEST(ClientAuthUnknownMethod, ClientClosesWhenItKnowsNoOfferedMethod) {
  int fds[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
  SocketStream server_end(fds[0]);
  std::thread server([&] {
    FrameReader reader(&server_end, limits::kHandshakeMaxFrameBytes);
    ASSERT_THAT(reader.ReadFrame(), IsOk());  // Hello
    v1::ServerMessage welcome;
    v1::Welcome* w = welcome.mutable_welcome();
    w->set_version(1);
    w->set_max_frame_bytes(limits::kDefaultMaxFrameBytes);
    w->set_max_chunk_bytes(limits::kDefaultMaxFrameBytes - limits::kChunkOverheadBytes);
    w->add_auth_methods("kerberos");
    ASSERT_THAT(FrameWriter(&server_end).Write(welcome), IsOk());
    // The client sends nothing more: the next read sees it close.
    EXPECT_THAT(reader.ReadFrame(), StatusIs(StatusCode::kConnectionClosed));
  });
  ClientOptions options;
  options.io_timeout = std::chrono::seconds(10);
  options.token = kToken;
  EXPECT_THAT(Client::Open(std::make_unique<SocketStream>(fds[1]), options),
              StatusIs(StatusCode::kUnsupported));
  server.join();
}

}  // namespace
}  // namespace ferry
