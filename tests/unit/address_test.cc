// host[:port] parsing (src/net/address.h) for `ferryd --listen` and `connme`, and
// the loopback test behind ferryd's warning about unprotected listening (R-SEC-9).
#include "src/net/address.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "tests/testing/status_matchers.h"

namespace ferry {
namespace {

using ::testing::HasSubstr;

constexpr std::string_view kDefaultHost = "127.0.0.1";

struct AcceptCase {
  std::string_view text;
  HostPort expected;
};

void PrintTo(const AcceptCase& c, std::ostream* os) { *os << ::testing::PrintToString(c.text); }

class ParseHostPortAccepts : public ::testing::TestWithParam<AcceptCase> {};

TEST_P(ParseHostPortAccepts, Parses) {
  const StatusOr<HostPort> parsed = ParseHostPort(GetParam().text, kDefaultHost);
  ASSERT_THAT(parsed, IsOk());
  EXPECT_EQ(parsed->host, GetParam().expected.host);
  EXPECT_EQ(parsed->port, GetParam().expected.port);
}

INSTANTIATE_TEST_SUITE_P(
    Forms, ParseHostPortAccepts,
    ::testing::Values(AcceptCase{"", {"127.0.0.1", 7373}},                // everything defaulted
                      AcceptCase{"example.com", {"example.com", 7373}},   // host
                      AcceptCase{"example.com:80", {"example.com", 80}},  // host:port
                      AcceptCase{"10.1.2.3:7374", {"10.1.2.3", 7374}},
                      AcceptCase{":8000", {"127.0.0.1", 8000}},             // :port
                      AcceptCase{"[::1]", {"::1", 7373}},                   // [v6]
                      AcceptCase{"[::1]:9000", {"::1", 9000}},              // [v6]:port
                      AcceptCase{"[fe80::1%eth0]:1", {"fe80::1%eth0", 1}},  // scoped v6
                      AcceptCase{"::1", {"::1", 7373}},                     // bare v6
                      AcceptCase{"2001:db8::42", {"2001:db8::42", 7373}},
                      AcceptCase{"host:0", {"host", 0}},  // port bounds
                      AcceptCase{"host:65535", {"host", 65535}},
                      AcceptCase{"host:007", {"host", 7}}));

class ParseHostPortRefuses : public ::testing::TestWithParam<std::string_view> {};

TEST_P(ParseHostPortRefuses, WithInvalidArgumentNamingTheText) {
  const StatusOr<HostPort> parsed = ParseHostPort(GetParam(), kDefaultHost);
  EXPECT_THAT(parsed, StatusIs(StatusCode::kInvalidArgument, HasSubstr(std::string(GetParam()))));
}

INSTANTIATE_TEST_SUITE_P(Forms, ParseHostPortRefuses,
                         ::testing::Values("host:", ":", "host:65536", "host:99999999999",
                                           "host:-1", "host:+1", "host:8x", "host: 80", "host:0x10",
                                           "[::1", "[::1]x", "[::1]:", "[::1]:port", "[::1]80"));

TEST(ParseHostPort, EmptyHostWithoutADefaultIsRefused) {
  EXPECT_THAT(ParseHostPort(":80", ""), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseHostPort("", ""), StatusIs(StatusCode::kInvalidArgument));
}

TEST(ParseHostPort, DefaultPortIsTheCallersOr7373) {
  EXPECT_EQ(ParseHostPort("h", kDefaultHost)->port, 7373);
  EXPECT_EQ(ParseHostPort("h", kDefaultHost, 1234)->port, 1234);
  EXPECT_EQ(ParseHostPort("h:99", kDefaultHost, 1234)->port, 99);
}

TEST(HostPort, ToStringBracketsIpv6AndParsesBack) {
  for (const HostPort& address : {HostPort{"127.0.0.1", 7373}, HostPort{"::1", 0},
                                  HostPort{"example.com", 65535}, HostPort{"fe80::1", 80}}) {
    const std::string text = address.ToString();
    EXPECT_THAT(ParseHostPort(text, ""), IsOkAndHolds(address)) << text;
  }
  EXPECT_EQ((HostPort{"::1", 7373}.ToString()), "[::1]:7373");
  EXPECT_EQ((HostPort{"localhost", 80}.ToString()), "localhost:80");
}

TEST(IsLoopbackHost, AcceptsLoopbackAddresses) {
  for (const std::string_view host : {"localhost", "127.0.0.1", "127.0.0.2", "127.255.255.254",
                                      "::1", "0:0:0:0:0:0:0:1", "::ffff:127.0.0.1"}) {
    EXPECT_TRUE(IsLoopbackHost(host)) << host;
  }
}

TEST(IsLoopbackHost, RefusesEverythingElse) {
  for (const std::string_view host :
       {"", "0.0.0.0", "::", "10.0.0.1", "128.0.0.1", "126.255.255.255", "::2", "::ffff:10.0.0.1",
        "example.com", "localhost.example.com",
        // Host names that merely look like loopback addresses resolve anywhere.
        "127.example.com", "127.0.0.1.example.com", "127.0.0.1 ", "1127.0.0.1"}) {
    EXPECT_FALSE(IsLoopbackHost(host)) << host;
  }
}

}  // namespace
}  // namespace ferry
