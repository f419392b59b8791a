// ferryd's command line and configuration file (src/server/ferryd_settings.h,
// src/server/config_file.h): what a file sets, what it may not contain, and
// that flags win over it.
#include "src/server/ferryd_settings.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>

#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace ferry {
namespace {

using ::testing::HasSubstr;

class FerrydSettingsTest : public ::testing::Test {
 protected:
  FerrydSettingsTest() : settings_(DefaultFerrydSettings()) {
    DefineFerrydCommandLine(&app_, &settings_);
  }

  std::string WriteConfig(const std::string& text) {
    const auto path = dir_.path() / "ferryd.conf";
    EXPECT_THAT(WriteFile(path, text), IsOk());
    return path.string();
  }

  // Parses the arguments (after the program name) and returns what CLI11 threw,
  // or "" when parsing succeeded.
  std::string Parse(std::vector<std::string> args) {
    args.insert(args.begin(), "ferryd");
    std::vector<const char*> argv;
    for (const std::string& arg : args) argv.push_back(arg.c_str());
    try {
      app_.parse(static_cast<int>(argv.size()), argv.data());
    } catch (const CLI::ParseError& error) {
      return error.what();
    }
    return "";
  }

  TempDir dir_;
  CLI::App app_{"ferryd", "ferryd"};
  FerrydSettings settings_;
};

TEST_F(FerrydSettingsTest, AFileSetsEveryKindOfSettingByItsLongFlagName) {
  const std::string served = dir_.path().string();
  const std::string config = WriteConfig(
      "# ferryd.conf\n"
      "\n"
      "root = " +
      served +
      "\n"
      "  listen=0.0.0.0:7000  \n"
      "; another comment\n"
      "max-connections = 12\n"
      "read-only = true\n"
      "idle-timeout = 2.5\n"
      "log-format = json\n");
  ASSERT_EQ(Parse({"--config", config}), "");
  EXPECT_EQ(settings_.root, served);
  EXPECT_EQ(settings_.listen, "0.0.0.0:7000");
  EXPECT_EQ(settings_.max_connections, 12u);
  EXPECT_TRUE(settings_.read_only);
  EXPECT_EQ(settings_.idle_timeout, 2.5);
  EXPECT_EQ(settings_.log_format, LogFormat::kJson);
  // Untouched settings keep their defaults.
  EXPECT_EQ(settings_.transfer_timeout, DefaultFerrydSettings().transfer_timeout);
}

TEST_F(FerrydSettingsTest, FlagsOnTheCommandLineWinOverTheFile) {
  const std::string config = WriteConfig(
      "root = /nonexistent-directory\n"
      "listen = 0.0.0.0:7000\n"
      "log-format = json\n");
  // The file's root would fail its check: the flag's value is the one used.
  ASSERT_EQ(Parse({"--config", config, "--root", dir_.path().string(), "--listen", "127.0.0.1:0",
                   "--log-format", "text"}),
            "");
  EXPECT_EQ(settings_.root, dir_.path().string());
  EXPECT_EQ(settings_.listen, "127.0.0.1:0");
  EXPECT_EQ(settings_.log_format, LogFormat::kText);
}

TEST_F(FerrydSettingsTest, AnUnknownKeyIsAnErrorNamingTheFileAndLine) {
  const std::string config =
      WriteConfig("root = " + dir_.path().string() + "\n# comment\nread_only = true\n");
  EXPECT_EQ(Parse({"--config", config}), config + " line 3: unknown setting \"read_only\"");
}

TEST_F(FerrydSettingsTest, HelpVersionAndConfigAreNotSettingsOfTheFile) {
  for (const std::string key : {"help", "version", "config", "h", "r"}) {
    const std::string config =
        WriteConfig("root = " + dir_.path().string() + "\n" + key + " = x\n");
    EXPECT_THAT(Parse({"--config", config}), HasSubstr("line 2: unknown setting")) << key;
  }
}

TEST_F(FerrydSettingsTest, ALineWithoutEqualsSignIsAnError) {
  const std::string config = WriteConfig("root " + dir_.path().string() + "\n");
  EXPECT_EQ(Parse({"--config", config}), config + " line 1: expected `key = value`");
}

TEST_F(FerrydSettingsTest, AKeySetTwiceIsAnError) {
  const std::string config =
      WriteConfig("root = " + dir_.path().string() + "\nlisten = a:1\nlisten = b:2\n");
  EXPECT_EQ(Parse({"--config", config}), config + " line 3: \"listen\" is set twice");
}

TEST_F(FerrydSettingsTest, FileValuesGoThroughTheFlagsChecks) {
  const std::string config =
      WriteConfig("root = " + dir_.path().string() + "\nmax-connections = 0\n");
  EXPECT_THAT(Parse({"--config", config}), HasSubstr("max-connections"));
  const std::string format = WriteConfig("root = " + dir_.path().string() + "\nlog-format = xml\n");
  EXPECT_THAT(Parse({"--config", format}), HasSubstr("log-format"));
}

TEST_F(FerrydSettingsTest, QuotesKeepAValuesOuterSpaces) {
  const std::string spaced = (dir_.path() / " spaced ").string();
  std::filesystem::create_directory(spaced);
  const std::string config = WriteConfig("root = \"" + spaced + "\"\n");
  ASSERT_EQ(Parse({"--config", config}), "");
  EXPECT_EQ(settings_.root, spaced);
}

TEST_F(FerrydSettingsTest, ThePackagedExampleConfigurationIsAccepted) {
  // Its root, /srv/ferry, need not exist here: the flag overrides it.
  const std::string example = std::string(FERRY_SOURCE_DIR) + "/server/ferryd.conf";
  ASSERT_EQ(Parse({"--config", example, "--root", dir_.path().string()}), "");
  EXPECT_EQ(settings_.listen, "127.0.0.1:7373");
  EXPECT_EQ(settings_.log_format, LogFormat::kText);
}

TEST_F(FerrydSettingsTest, AMissingFileIsAnError) {
  EXPECT_THAT(Parse({"--config", (dir_.path() / "none.conf").string()}), HasSubstr("none.conf"));
}

TEST_F(FerrydSettingsTest, WithoutAFileRootIsRequired) {
  EXPECT_THAT(Parse({}), HasSubstr("--root is required"));
}

}  // namespace
}  // namespace ferry
