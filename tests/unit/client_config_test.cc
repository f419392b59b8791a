// ferry's connection settings (src/client/client_config.h): the configuration
// file's syntax and its errors, the environment's variables, where the file is
// looked for, the file checks ssh would make, and the precedence of the layers.
#include "src/client/client_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <map>
#include <string>

#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace ferry {
namespace {

using ::testing::HasSubstr;

StatusOr<ClientConfig> Parse(std::string_view text) {
  return ParseClientConfig(text, "cfg", "/home/me");
}

// The error message of parsing `text`, which must fail.
std::string ErrorOf(std::string_view text) {
  auto parsed = Parse(text);
  EXPECT_FALSE(parsed.ok()) << text;
  if (parsed.ok()) return "";
  EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument) << text;
  return parsed.status().message();
}

GetEnv EnvFrom(const std::map<std::string, std::string>& vars) {
  return [vars](const char* name) -> const char* {
    const auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  };
}

TEST(ClientConfigParseTest, EmptyTextIsAnEmptyConfig) {
  auto parsed = Parse("");
  ASSERT_THAT(parsed, IsOk());
  EXPECT_EQ(parsed->top, ConnectionSettings{});
  EXPECT_TRUE(parsed->hosts.empty());
}

TEST(ClientConfigParseTest, TopKeysAndHostSections) {
  auto parsed = Parse(
      "# defaults\n"
      "server = backup\n"
      "token-file = /etc/ferry/token\n"
      "\n"
      "[host backup]\n"
      "  address = 10.0.0.5:7373\n"
      "\ttls-pin = sha256:abcd\n"
      "token-file = ~/.config/ferry/backup.token\n"
      "; another comment style\n"
      "[host lab-2.example]\n"
      "address = lab2:9000\n"
      "tls = true\n"
      "tls-ca = ca.pem\n"
      "tls-cert = c.pem\n"
      "tls-key = k.pem\n");
  ASSERT_THAT(parsed, IsOk());
  EXPECT_EQ(parsed->top.server, "backup");
  EXPECT_EQ(parsed->top.token_file, "/etc/ferry/token");
  ASSERT_EQ(parsed->hosts.size(), 2u);
  const ConnectionSettings& backup = parsed->hosts.at("backup");
  EXPECT_EQ(backup.server, "10.0.0.5:7373");
  EXPECT_EQ(backup.tls_pin, "sha256:abcd");
  EXPECT_EQ(backup.token_file, "/home/me/.config/ferry/backup.token");  // ~/ is the home
  const ConnectionSettings& lab = parsed->hosts.at("lab-2.example");
  EXPECT_EQ(lab.server, "lab2:9000");
  EXPECT_EQ(lab.tls, true);
  EXPECT_EQ(lab.tls_ca, "ca.pem");  // relative names stay as written
  EXPECT_EQ(lab.tls_cert, "c.pem");
  EXPECT_EQ(lab.tls_key, "k.pem");
}

TEST(ClientConfigParseTest, DoubleQuotesKeepSpacesAndHashes) {
  auto parsed = Parse("token-file = \"  my token #1 \"\r\n[host a]\naddress=\"h:1\"\n");
  ASSERT_THAT(parsed, IsOk());
  EXPECT_EQ(parsed->top.token_file, "  my token #1 ");
  EXPECT_EQ(parsed->hosts.at("a").server, "h:1");
}

TEST(ClientConfigParseTest, AHashInsideAValueIsPartOfIt) {
  // Only a line that starts with # is a comment: a pin or a path may hold one.
  auto parsed = Parse("token-file = /tmp/a#b\n");
  ASSERT_THAT(parsed, IsOk());
  EXPECT_EQ(parsed->top.token_file, "/tmp/a#b");
}

TEST(ClientConfigParseTest, TlsIsATruthValue) {
  auto off = Parse("tls = no\n");
  ASSERT_THAT(off, IsOk());
  EXPECT_EQ(off->top.tls, false);
  EXPECT_THAT(ErrorOf("tls = maybe\n"), HasSubstr("cfg line 1: tls is true or false"));
}

TEST(ClientConfigParseTest, ErrorsNameTheFileAndTheLine) {
  EXPECT_EQ(ErrorOf("# ok\n\nthis is not a setting\n"), "cfg line 3: expected `key = value`");
  EXPECT_EQ(ErrorOf("= value\n"), "cfg line 1: expected `key = value`");
  EXPECT_EQ(ErrorOf("colour = blue\n"), "cfg line 1: unknown setting \"colour\"");
  EXPECT_EQ(ErrorOf("server = a\nserver = b\n"), "cfg line 2: \"server\" is set twice");
  EXPECT_EQ(ErrorOf("server =\n"), "cfg line 1: \"server\" has no value");
  EXPECT_EQ(ErrorOf("server = \"a\n"), "cfg line 1: unbalanced double quote");
  EXPECT_EQ(ErrorOf("server = a\"\n"), "cfg line 1: unbalanced double quote");
  EXPECT_EQ(ErrorOf("server = \"\n"), "cfg line 1: unbalanced double quote");
}

TEST(ClientConfigParseTest, SectionErrors) {
  EXPECT_EQ(ErrorOf("[host a]\naddress = x\n[host a]\naddress = y\n"),
            "cfg line 3: [host a] appears twice");
  EXPECT_EQ(ErrorOf("[host a\n"), "cfg line 1: expected `[host NAME]`");
  EXPECT_EQ(ErrorOf("[server a]\n"), "cfg line 1: expected `[host NAME]`");
  EXPECT_EQ(ErrorOf("[hostname]\n"), "cfg line 1: expected `[host NAME]`");
  EXPECT_EQ(ErrorOf("[host]\n"), "cfg line 1: expected `[host NAME]`");
  EXPECT_THAT(ErrorOf("[host a b]\naddress = x\n"), HasSubstr("cfg line 1: a host name is"));
  EXPECT_THAT(ErrorOf("[host a/b]\naddress = x\n"), HasSubstr("cfg line 1: a host name is"));
  // Every section says where its host is.
  EXPECT_EQ(ErrorOf("[host a]\ntls = true\n[host b]\naddress = y\n"),
            "cfg line 1: [host a] has no address");
  EXPECT_EQ(ErrorOf("\n[host last]\n"), "cfg line 2: [host last] has no address");
  // `server` is the top's default; `address` is a section's.
  EXPECT_THAT(ErrorOf("[host a]\nserver = x\n"), HasSubstr("cfg line 2: a host section gives"));
  EXPECT_THAT(ErrorOf("address = x\n"), HasSubstr("cfg line 1: `address` belongs in"));
}

TEST(ClientConfigParseTest, KeysMayRepeatInDifferentSections) {
  auto parsed = Parse("tls = true\n[host a]\naddress = x\ntls = false\n[host b]\naddress = y\n");
  ASSERT_THAT(parsed, IsOk());
  EXPECT_EQ(parsed->top.tls, true);
  EXPECT_EQ(parsed->hosts.at("a").tls, false);
  EXPECT_FALSE(parsed->hosts.at("b").tls.has_value());
}

TEST(ClientConfigParseTest, CaAndPinInOneSectionAreRefused) {
  EXPECT_THAT(ErrorOf("tls-ca = a\ntls-pin = b\n"), HasSubstr("both tls-ca and tls-pin"));
  EXPECT_THAT(ErrorOf("[host h]\naddress = x\ntls-ca = a\ntls-pin = b\n"),
              HasSubstr("[host h] sets both tls-ca and tls-pin"));
}

TEST(ClientConfigParseTest, OverlongLinesAndNulBytesAreRefused) {
  const std::string longest = "server = " + std::string(kMaxConfigLineBytes - 9, 'a');
  EXPECT_THAT(Parse(longest + "\n"), IsOk());
  EXPECT_THAT(ErrorOf("# fine\n" + longest + "a\n"), HasSubstr("cfg line 2: line longer than"));
  // Even a comment is bounded.
  EXPECT_THAT(ErrorOf("#" + std::string(kMaxConfigLineBytes, 'c')), HasSubstr("cfg line 1"));
  EXPECT_EQ(ErrorOf(std::string("server = a\0b\n", 13)), "cfg line 1: NUL byte in the line");
}

TEST(ClientConfigParseTest, TheLastLineNeedsNoNewline) {
  auto parsed = Parse("[host a]\naddress = x:1");
  ASSERT_THAT(parsed, IsOk());
  EXPECT_EQ(parsed->hosts.at("a").server, "x:1");
}

TEST(ClientConfigEnvironmentTest, ReadsEveryVariable) {
  auto env = SettingsFromEnvironment(EnvFrom({{"FERRY_SERVER", "s:1"},
                                              {"FERRY_TOKEN_FILE", "/t"},
                                              {"FERRY_TLS", "1"},
                                              {"FERRY_TLS_PIN", "sha256:00"},
                                              {"FERRY_TLS_CERT", "c"},
                                              {"FERRY_TLS_KEY", "k"}}));
  ASSERT_THAT(env, IsOk());
  EXPECT_EQ(env->server, "s:1");
  EXPECT_EQ(env->token_file, "/t");
  EXPECT_EQ(env->tls, true);
  EXPECT_EQ(env->tls_pin, "sha256:00");
  EXPECT_EQ(env->tls_cert, "c");
  EXPECT_EQ(env->tls_key, "k");
  EXPECT_FALSE(env->tls_ca.has_value());
}

TEST(ClientConfigEnvironmentTest, ATokenFileHidesTheLiteralToken) {
  auto both = SettingsFromEnvironment(EnvFrom({{"FERRY_TOKEN_FILE", "/t"}, {"FERRY_TOKEN", "x"}}));
  ASSERT_THAT(both, IsOk());
  EXPECT_EQ(both->token_file, "/t");
  EXPECT_FALSE(both->token.has_value());
  auto literal = SettingsFromEnvironment(EnvFrom({{"FERRY_TOKEN", "x"}}));
  ASSERT_THAT(literal, IsOk());
  EXPECT_EQ(literal->token, "x");
}

TEST(ClientConfigEnvironmentTest, EmptyVariablesAreUnsetAndBadValuesAreErrors) {
  auto empty = SettingsFromEnvironment(EnvFrom({{"FERRY_SERVER", ""}, {"FERRY_TLS", ""}}));
  ASSERT_THAT(empty, IsOk());
  EXPECT_EQ(*empty, ConnectionSettings{});
  EXPECT_THAT(SettingsFromEnvironment(EnvFrom({{"FERRY_TLS", "sure"}})),
              StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(SettingsFromEnvironment(EnvFrom({{"FERRY_TLS_CA", "a"}, {"FERRY_TLS_PIN", "b"}})),
              StatusIs(StatusCode::kInvalidArgument));
}

TEST(ClientConfigLocationTest, FlagThenVariableThenXdgThenHome) {
  const GetEnv all =
      EnvFrom({{"FERRY_CONFIG", "/named"}, {"XDG_CONFIG_HOME", "/xdg"}, {"HOME", "/h"}});
  EXPECT_EQ(FindClientConfig("/flag", all).path, "/flag");
  EXPECT_TRUE(FindClientConfig("/flag", all).required);
  EXPECT_EQ(FindClientConfig("", all).path, "/named");
  EXPECT_TRUE(FindClientConfig("", all).required);
  const ConfigLocation xdg =
      FindClientConfig("", EnvFrom({{"XDG_CONFIG_HOME", "/xdg"}, {"HOME", "/h"}}));
  EXPECT_EQ(xdg.path, "/xdg/ferry/config");
  EXPECT_FALSE(xdg.required);
  EXPECT_EQ(FindClientConfig("", EnvFrom({{"HOME", "/h"}})).path, "/h/.config/ferry/config");
  EXPECT_EQ(FindClientConfig("", EnvFrom({})).path, "");
}

class ClientConfigFileTest : public ::testing::Test {
 protected:
  std::string Write(const std::string& text, std::filesystem::perms mode) {
    const std::filesystem::path path = dir_.Path("config");
    FILE* file = std::fopen(path.c_str(), "w");
    std::fputs(text.c_str(), file);
    std::fclose(file);
    std::filesystem::permissions(path, mode);
    return path.string();
  }
  TempDir dir_;
};

TEST_F(ClientConfigFileTest, AMissingDefaultFileIsEmptyAMissingNamedFileIsAnError) {
  const std::string absent = dir_.Path("absent").string();
  auto optional = LoadClientConfig({absent, false}, "");
  ASSERT_THAT(optional, IsOk());
  EXPECT_TRUE(optional->hosts.empty());
  auto named = LoadClientConfig({absent, true}, "");
  EXPECT_THAT(named, StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(named.status().message(), HasSubstr(absent));
}

TEST_F(ClientConfigFileTest, ReadsAPrivateFile) {
  const std::string path = Write("[host h]\naddress = x:1\n", std::filesystem::perms(0600));
  auto config = LoadClientConfig({path, true}, "");
  ASSERT_THAT(config, IsOk());
  EXPECT_EQ(config->hosts.at("h").server, "x:1");
  // Readable by others is fine, as ssh_config is: it holds no secret.
  EXPECT_THAT(LoadClientConfig({Write("server = a\n", std::filesystem::perms(0644)), true}, ""),
              IsOk());
}

TEST_F(ClientConfigFileTest, AFileOthersMayWriteIsRefused) {
  for (const auto mode : {std::filesystem::perms(0620), std::filesystem::perms(0602)}) {
    const std::string path = Write("server = a\n", mode);
    auto config = LoadClientConfig({path, false}, "");
    EXPECT_THAT(config, StatusIs(StatusCode::kPermissionDenied));
    EXPECT_THAT(config.status().message(), HasSubstr(path));
  }
}

TEST_F(ClientConfigFileTest, ADirectoryIsRefused) {
  auto config = LoadClientConfig({dir_.Path("").string(), true}, "");
  EXPECT_THAT(config, StatusIs(StatusCode::kInvalidArgument));
}

TEST_F(ClientConfigFileTest, ParseErrorsNameThePath) {
  const std::string path = Write("server = a\nbogus\n", std::filesystem::perms(0600));
  auto config = LoadClientConfig({path, true}, "");
  EXPECT_THAT(config, StatusIs(StatusCode::kInvalidArgument));
  EXPECT_EQ(config.status().message(), path + " line 2: expected `key = value`");
}

TEST_F(ClientConfigFileTest, AnOversizedFileIsRefused) {
  const std::string line = "# " + std::string(1000, 'x') + "\n";
  std::string text;
  while (text.size() <= kMaxConfigFileBytes) text += line;
  auto config = LoadClientConfig({Write(text, std::filesystem::perms(0600)), true}, "");
  EXPECT_THAT(config, StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(config.status().message(), HasSubstr("larger than"));
}

TEST(ClientConfigResolveTest, FlagsOverEnvironmentOverFile) {
  ClientConfig file;
  file.top.server = "file:1";
  file.top.token_file = "/file-token";
  file.top.tls = true;
  ConnectionSettings env;
  env.server = "env:2";
  env.token_file = "/env-token";
  ConnectionSettings flags;
  flags.token_file = "/flag-token";

  const ConnectionSettings resolved = ResolveSettings(flags, env, file);
  EXPECT_EQ(resolved.server, "env:2");
  EXPECT_EQ(resolved.token_file, "/flag-token");
  EXPECT_EQ(resolved.tls, true);

  EXPECT_EQ(ResolveSettings({}, {}, file).server, "file:1");
  EXPECT_EQ(ResolveSettings({}, {}, file).token_file, "/file-token");
  EXPECT_EQ(ResolveSettings({}, {}, {}), ConnectionSettings{});
}

TEST(ClientConfigResolveTest, AHostSectionSitsBetweenTheEnvironmentAndTheTop) {
  auto file = Parse(
      "token-file = /top-token\n"
      "tls-ca = /top-ca\n"
      "[host work]\n"
      "address = work.example:7000\n"
      "tls-pin = sha256:11\n");
  ASSERT_THAT(file, IsOk());
  ConnectionSettings flags;
  flags.server = "work";

  const ConnectionSettings resolved = ResolveSettings(flags, {}, *file);
  EXPECT_EQ(resolved.server, "work.example:7000");  // the name became the address
  EXPECT_EQ(resolved.tls_pin, "sha256:11");
  EXPECT_FALSE(resolved.tls_ca.has_value());  // the section's pin hides the top's CA
  EXPECT_EQ(resolved.token_file, "/top-token");

  // The environment overrides the section.
  ConnectionSettings env;
  env.tls_ca = "/env-ca";
  const ConnectionSettings with_env = ResolveSettings(flags, env, *file);
  EXPECT_EQ(with_env.tls_ca, "/env-ca");
  EXPECT_FALSE(with_env.tls_pin.has_value());

  // The section also applies when the default server names it.
  ConnectionSettings by_env;
  by_env.server = "work";
  EXPECT_EQ(ResolveSettings({}, by_env, *file).server, "work.example:7000");
  // Another host does not get the section.
  ConnectionSettings other;
  other.server = "other:1";
  const ConnectionSettings elsewhere = ResolveSettings(other, {}, *file);
  EXPECT_EQ(elsewhere.server, "other:1");
  EXPECT_EQ(elsewhere.tls_ca, "/top-ca");
  EXPECT_FALSE(elsewhere.tls_pin.has_value());
}

TEST(ClientConfigResolveTest, PairsMoveTogether) {
  ConnectionSettings low;
  low.token_file = "/low";
  low.tls_cert = "low-cert";
  low.tls_key = "low-key";
  ConnectionSettings high;
  high.token = "literal-token";
  high.tls_cert = "high-cert";
  const ConnectionSettings merged = Overlay(high, low);
  EXPECT_EQ(merged.token, "literal-token");
  EXPECT_FALSE(merged.token_file.has_value());
  EXPECT_EQ(merged.tls_cert, "high-cert");
  EXPECT_FALSE(merged.tls_key.has_value());  // never the low layer's key for the high cert
}

}  // namespace
}  // namespace ferry
