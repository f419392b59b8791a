// The request log's lines (src/server/request_log.h): request ids, and JSON
// lines that stay valid and faithful whatever bytes a client puts in a path.
#include "src/server/request_log.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>

#include "tests/testing/json_object.h"

namespace ferry {
namespace {

using ::testing::HasSubstr;
using testing::JsonMember;
using testing::ParseJsonObject;

std::map<std::string, JsonMember> ParsedOrFail(const std::string& line) {
  std::map<std::string, JsonMember> members;
  std::string error;
  EXPECT_TRUE(ParseJsonObject(line, &members, &error)) << error << ": " << line;
  return members;
}

RequestRecord Record(std::string path) {
  RequestRecord record;
  record.command = "download";
  record.path = std::move(path);
  record.bytes = 1234;
  record.result = Status::Error(StatusCode::kNotFound, "no such \"file\"");
  record.duration = std::chrono::microseconds(1500);
  return record;
}

TEST(RequestLogJson, EveryByteValueInAPathGivesAValidLineWithThePathDecodable) {
  std::string path;
  for (int byte = 1; byte < 0x80; ++byte) path += static_cast<char>(byte);
  const std::string line = RequestLog::FormatRequestJson("2026-01-01T00:00:00.000Z", "127.0.0.1:5",
                                                         {"c3", 7}, Record(path));
  EXPECT_EQ(line.find('\n'), std::string::npos);
  const auto members = ParsedOrFail(line);
  ASSERT_EQ(members.count("path"), 1u);
  EXPECT_EQ(members.at("path").text, path);  // ASCII survives exactly
}

TEST(RequestLogJson, ALineHasEveryFieldWithItsType) {
  const std::string line = RequestLog::FormatRequestJson("2026-01-01T00:00:00.000Z", "[::1]:5000",
                                                         {"c3", 7}, Record("a b"));
  const auto members = ParsedOrFail(line);
  using Kind = JsonMember::Kind;
  const std::vector<std::pair<std::string, Kind>> expected = {
      {"time", Kind::kString},   {"peer", Kind::kString},    {"id", Kind::kString},
      {"cmd", Kind::kString},    {"path", Kind::kString},    {"bytes", Kind::kNumber},
      {"result", Kind::kString}, {"message", Kind::kString}, {"ms", Kind::kNumber}};
  ASSERT_EQ(members.size(), expected.size()) << line;
  for (const auto& [name, kind] : expected) {
    ASSERT_EQ(members.count(name), 1u) << name;
    EXPECT_EQ(members.at(name).kind, kind) << name;
  }
  EXPECT_EQ(members.at("time").text, "2026-01-01T00:00:00.000Z");
  EXPECT_EQ(members.at("peer").text, "[::1]:5000");
  EXPECT_EQ(members.at("id").text, "c3/7");
  EXPECT_EQ(members.at("cmd").text, "download");
  EXPECT_EQ(members.at("path").text, "a b");
  EXPECT_EQ(members.at("bytes").text, "1234");
  EXPECT_EQ(members.at("result").text, "NOT_FOUND");
  EXPECT_EQ(members.at("message").text, "no such \"file\"");
  EXPECT_EQ(members.at("ms").text, "1.500");
}

TEST(RequestLogText, ALineCarriesTheRequestIdAndEscapesThePath) {
  const std::string line = RequestLog::FormatRequest("127.0.0.1:5", {"c12", 4}, Record("x\ny\x1b"));
  EXPECT_THAT(line, HasSubstr("peer=127.0.0.1:5 id=c12/4 cmd=download path=\""));
  EXPECT_EQ(line.find('\n'), std::string::npos);
  EXPECT_EQ(line.find('\x1b'), std::string::npos);
}

TEST(RequestLog, ConnectionIdsAreNewForEveryConnection) {
  RequestLog log(stderr);
  EXPECT_EQ(log.NewConnectionId(), "c1");
  EXPECT_EQ(log.NewConnectionId(), "c2");
  EXPECT_EQ((RequestId{"c2", 0}).ToString(), "c2");
  EXPECT_EQ((RequestId{"c2", 9}).ToString(), "c2/9");
}

TEST(RequestLog, JsonModeWritesOneParsableObjectPerLine) {
  char* buffer = nullptr;
  size_t size = 0;
  std::FILE* out = open_memstream(&buffer, &size);
  ASSERT_NE(out, nullptr);
  {
    RequestLog log(out, LogFormat::kJson);
    const std::string connection = log.NewConnectionId();
    log.Event("127.0.0.1:9", connection, "connect", Status::Ok());
    log.Request("127.0.0.1:9", {connection, 1}, Record("\"quoted\"\n"));
    log.Event("127.0.0.1:9", connection, "disconnect",
              Status::Error(StatusCode::kTimeout, "idle \x01"));
  }
  std::fclose(out);
  const std::string text(buffer, size);
  std::free(buffer);
  std::vector<std::map<std::string, JsonMember>> lines;
  size_t start = 0;
  for (size_t end; (end = text.find('\n', start)) != std::string::npos; start = end + 1) {
    lines.push_back(ParsedOrFail(text.substr(start, end - start)));
  }
  EXPECT_EQ(start, text.size()) << "the last line is unterminated";
  ASSERT_EQ(lines.size(), 3u) << text;
  EXPECT_EQ(lines[0].at("event").text, "connect");
  EXPECT_EQ(lines[0].at("id").text, "c1");
  EXPECT_EQ(lines[1].at("path").text, "\"quoted\"\n");
  EXPECT_EQ(lines[1].at("id").text, "c1/1");
  EXPECT_EQ(lines[2].at("result").text, "TIMEOUT");
  EXPECT_EQ(lines[2].at("message").text, "idle \x01");
}

TEST(JsonObjectReader, RejectsWhatIsNotJson) {
  // The checker the tests above rely on must itself catch broken lines.
  std::map<std::string, JsonMember> members;
  std::string error;
  for (const std::string bad : {"", "{", "{\"a\":1,}", "{\"a\":1}x", "{\"a\":\"\x01\"}",
                                "{\"a\":\"\\x41\"}", "{\"a\":\"\xff\"}", "{\"a\":01}",
                                "{\"a\":1,\"a\":2}", "[1]", "{\"a\":\"\\ud800\"}", "{a:1}"}) {
    EXPECT_FALSE(ParseJsonObject(bad, &members, &error)) << bad;
  }
  EXPECT_TRUE(ParseJsonObject(R"( {"a":[1,{"b":null}],"c":-1.5e3,"d":true,"e":"\u00e9"} )",
                              &members, &error))
      << error;
  EXPECT_EQ(members.at("e").text, "\xc3\xa9");
}

}  // namespace
}  // namespace ferry
