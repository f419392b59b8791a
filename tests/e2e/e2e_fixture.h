// The shared setting of the end-to-end tests: one real ferryd serving `root`,
// the real ferry client run in `local` (its working directory), and `outside`,
// a directory next to the root that no request may touch.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <iostream>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <vector>

#include "src/base/version.h"
#include "tests/testing/server_process.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace ferry {

// The lines of a program's output, without their newlines.
inline std::vector<std::string> Lines(std::string_view text) {
  std::vector<std::string> lines;
  std::istringstream in{std::string(text)};
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// `name` as one argument of a ferry command line: quoted, with '"' and '\'
// escaped, so spaces and backslashes reach the program unchanged.
inline std::string Arg(std::string_view name) {
  std::string out = "\"";
  for (const char c : name) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

// The hidden temporary a download into `dir` writes to, once it holds at least
// one byte; empty if none appears before `timeout`. Lets a test interrupt a
// download that has surely begun.
inline std::filesystem::path WaitForNonEmptyPartFile(const std::filesystem::path& dir,
                                                     std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
      if (entry.path().filename().string().find(".ferry-part.") != std::string::npos &&
          entry.file_size(ec) > 0 && !ec) {
        return entry.path();
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return {};
}

class E2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const auto& dir : {root_, local_, outside_}) std::filesystem::create_directory(dir);
    FERRY_ASSERT_OK(server_.Start(root_));
  }

  void TearDown() override {
    if (HasFailure())
      std::cerr << "--- ferryd log ---\n" << server_.Log() << "------------------\n";
  }

  // Runs ferry in local_ with `script` as its input, unchanged.
  ProcessResult RunScript(std::string_view script, const RunClientOptions& options = {}) {
    return RunClient(script, local_, {}, options);
  }

  // Runs ferry in local_ on a whole session: connme, the `commands` (lines ending
  // in '\n'), byebye.
  ProcessResult RunSession(std::string_view commands, const RunClientOptions& options = {}) {
    return RunScript(ConnectLine() + std::string(commands) + "byebye\n", options);
  }

  std::string ConnectLine() const { return "connme " + server_.address() + "\n"; }
  std::string ConnectedLine() const {
    return "connected to " + server_.address() + " (ferryd/" FERRY_VERSION ", protocol 1)";
  }

  TempDir top_;
  const std::filesystem::path root_ = top_.Path("root");
  const std::filesystem::path local_ = top_.Path("local");
  const std::filesystem::path outside_ = top_.Path("outside");
  ServerProcess server_;
};

}  // namespace ferry
