// Spec section 13 (examples), with the worked encodings of 4.5 (chunk headers)
// and 7.4 (digests): the hex dumps are read from spec/PROTOCOL.md itself, the
// client frames are sent to a real ferryd byte for byte, and its replies are
// compared with the server frames of the dumps. Replies match to the byte
// wherever the spec fixes every field; an Error's message text is free
// (R-ERROR-2) and a listing's order is not fixed (R-LIST-4), so those are
// compared structurally. This proves that the dumps are true.
#include <google/protobuf/text_format.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <regex>
#include <sstream>

#include "tests/conformance/conformance_fixture.h"

namespace ferry::conformance {
namespace {

using ::testing::SizeIs;

constexpr int64_t kExampleMtime = 1'700'000'000'000'000'000;

// One hex dump of section 13: its transcript line, the note under it, and the
// frame it shows.
struct Dump {
  std::string section;  // "13.4"
  char direction = 0;   // 'C' or 'S'
  std::string text;     // the transcript after "C: " / "S: "
  std::string note;     // "(ClientMessage; payload 13 bytes = ...)" or ""
  std::string bytes;    // the whole frame
};

std::string ReadSpec() {
  std::ifstream in(FERRY_SPEC_PATH);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The bytes of one xxd -g1 line ("00000010: 79 2f ...  y/0.1.0") if it is one,
// checking its offset against `expected_offset`.
std::optional<std::string> HexLine(const std::string& line, size_t expected_offset) {
  static const std::regex kOffset("^([0-9a-f]{8}): ");
  std::smatch match;
  if (!std::regex_search(line, match, kOffset)) return std::nullopt;
  EXPECT_EQ(std::stoul(match[1].str(), nullptr, 16), expected_offset) << line;
  std::string bytes;
  for (size_t i = 0; i < 16; ++i) {
    const size_t pos = 10 + 3 * i;
    if (pos + 1 >= line.size() || !std::isxdigit(static_cast<unsigned char>(line[pos])) ||
        !std::isxdigit(static_cast<unsigned char>(line[pos + 1]))) {
      break;
    }
    bytes.push_back(static_cast<char>(std::stoi(line.substr(pos, 2), nullptr, 16)));
  }
  return bytes;
}

std::vector<Dump> ParseDumps(const std::string& spec, std::string_view first_heading,
                             std::string_view end_heading) {
  std::vector<Dump> dumps;
  const size_t begin = spec.find(first_heading);
  const size_t end = spec.find(end_heading, begin);
  if (begin == std::string::npos || end == std::string::npos) return dumps;
  std::istringstream lines(spec.substr(begin, end - begin));
  std::string section;
  bool in_code = false;
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with("### ")) section = line.substr(4, line.find(' ', 4) - 4);
    if (line.starts_with("```")) {
      in_code = !in_code;
      continue;
    }
    if (!in_code) continue;
    if (line.starts_with("C: ") || line.starts_with("S: ")) {
      dumps.push_back(Dump{section, line[0], line.substr(3), "", ""});
    } else if (!dumps.empty() && line.starts_with("   (")) {
      dumps.back().note = line.substr(3);
    } else if (!dumps.empty()) {
      if (auto bytes = HexLine(line, dumps.back().bytes.size())) dumps.back().bytes += *bytes;
    }
  }
  return dumps;
}

const std::vector<Dump>& Dumps() {
  static const std::vector<Dump> dumps = ParseDumps(ReadSpec(), "## 13 Examples", "## 14 Errata");
  return dumps;
}

std::vector<Dump> DumpsIn(std::string_view section) {
  std::vector<Dump> found;
  for (const Dump& dump : Dumps()) {
    if (dump.section == section) found.push_back(dump);
  }
  return found;
}

std::string Payload(const Dump& dump) { return dump.bytes.substr(4); }

v1::ServerMessage ServerMessageOf(const Dump& dump) {
  v1::ServerMessage message;
  EXPECT_TRUE(message.ParseFromString(Payload(dump))) << dump.text;
  return message;
}

// An Error compared without its free-text message.
v1::Error WithoutMessage(v1::Error error) {
  error.clear_message();
  return error;
}

// A listing compared regardless of entry order.
v1::ServerMessage Sorted(v1::ServerMessage message) {
  auto* entries = message.mutable_list()->mutable_entries();
  std::sort(entries->begin(), entries->end(),
            [](const v1::FileInfo& a, const v1::FileInfo& b) { return a.name() < b.name(); });
  return message;
}

MATCHER_P(EqualsProto, expected, "equals " + expected.ShortDebugString()) {
  return arg.SerializeAsString() == expected.SerializeAsString();
}

// The server frame's bytes equal the dump's.
MATCHER_P(HasDumpBytes, dump, "is the frame of \"" + dump.text + "\"") {
  return arg.Bytes() == dump.bytes;
}

// Section 13 as a whole: every dump is a well-formed frame of its note's sizes,
// and encodes the transcript text shown above it.
TEST(ExamplesSpec, EveryDumpIsTheEncodingOfItsTranscript) {
  ASSERT_THAT(Dumps(), SizeIs(55));
  static const std::regex kNote(R"(payload (\d+) bytes = 0x([0-9a-f]{8}); frame (\d+) bytes)");
  for (const Dump& dump : Dumps()) {
    SCOPED_TRACE(dump.section + " " + dump.direction + ": " + dump.text);
    ASSERT_GE(dump.bytes.size(), 4u);
    const uint32_t length = (uint32_t{static_cast<uint8_t>(dump.bytes[0])} << 24) |
                            (uint32_t{static_cast<uint8_t>(dump.bytes[1])} << 16) |
                            (uint32_t{static_cast<uint8_t>(dump.bytes[2])} << 8) |
                            uint32_t{static_cast<uint8_t>(dump.bytes[3])};
    std::smatch note;
    if (!std::regex_search(dump.note, note, kNote)) {
      // Only 13.10's bare header has no payload to describe.
      EXPECT_EQ(dump.bytes.size(), 4u);
      continue;
    }
    EXPECT_EQ(length, std::stoul(note[1].str()));
    EXPECT_EQ(length, std::stoul(note[2].str(), nullptr, 16));
    EXPECT_EQ(dump.bytes.size(), std::stoul(note[3].str()));
    EXPECT_EQ(dump.bytes.size(), 4 + length);
    if (dump.note.find("later schema") != std::string::npos) continue;
    std::unique_ptr<google::protobuf::Message> message;
    if (dump.direction == 'C') {
      message = std::make_unique<v1::ClientMessage>();
    } else {
      message = std::make_unique<v1::ServerMessage>();
    }
    ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(dump.text, message.get()));
    EXPECT_EQ(message->SerializeAsString(), Payload(dump));
  }
}

class ExamplesConformance : public ConformanceTest {
 protected:
  bool OpenClientInSetUp() const override { return false; }

  // A regular file with the examples' mode and mtime.
  void PutExampleFile(std::string_view relative, std::string_view content) {
    Put(relative, content);
    ASSERT_EQ(chmod((root_ / relative).c_str(), 0644), 0);
    SetMtime(std::string(relative), kExampleMtime);
  }

  // A connection that has completed the handshake of 13.1 with its exact bytes.
  std::unique_ptr<RawConnection> OpenExampleSession() {
    const std::vector<Dump> handshake = DumpsIn("13.1");
    auto connection = Connect();
    if (connection == nullptr || handshake.size() < 2) return nullptr;
    EXPECT_THAT(connection->SendRaw(handshake[0].bytes), IsOk());
    EXPECT_THAT(Read(*connection), HasDumpBytes(handshake[1]));
    return connection;
  }
};

// 13.1, R-HELLO-7
TEST_F(ExamplesConformance, Handshake) {
  const std::vector<Dump> dumps = DumpsIn("13.1");
  ASSERT_THAT(dumps, SizeIs(4));
  auto connection = Connect();
  ASSERT_NE(connection, nullptr);
  FERRY_ASSERT_OK(connection->SendRaw(dumps[0].bytes));
  EXPECT_THAT(Read(*connection), HasDumpBytes(dumps[1]));
}

// 13.1, R-HELLO-4: the refusal's message is fixed, so it matches to the byte.
TEST_F(ExamplesConformance, RefusedVersion) {
  const std::vector<Dump> dumps = DumpsIn("13.1");
  ASSERT_THAT(dumps, SizeIs(4));
  auto connection = Connect();
  ASSERT_NE(connection, nullptr);
  FERRY_ASSERT_OK(connection->SendRaw(dumps[2].bytes));
  EXPECT_THAT(Read(*connection), HasDumpBytes(dumps[3]));
  EXPECT_TRUE(connection->ExpectClosed());
}

// 13.2, R-STAT-1, R-STAT-2
TEST_F(ExamplesConformance, StatOfATxt) {
  const std::vector<Dump> dumps = DumpsIn("13.2");
  ASSERT_THAT(dumps, SizeIs(2));
  PutExampleFile("a.txt", "hello");
  auto session = OpenExampleSession();
  ASSERT_NE(session, nullptr);
  FERRY_ASSERT_OK(session->SendRaw(dumps[0].bytes));
  EXPECT_THAT(Read(*session), HasDumpBytes(dumps[1]));
}

// 13.3, R-LIST-1, R-LIST-2, R-LIST-5
TEST_F(ExamplesConformance, ListWithOnePage) {
  const std::vector<Dump> dumps = DumpsIn("13.3");
  ASSERT_THAT(dumps, SizeIs(4));
  PutExampleFile("docs/a.txt", "hello");
  std::filesystem::create_directory(root_ / "docs" / "img");
  ASSERT_EQ(chmod((root_ / "docs" / "img").c_str(), 0755), 0);
  SetMtime("docs/img", kExampleMtime);
  auto session = OpenExampleSession();
  ASSERT_NE(session, nullptr);
  FERRY_ASSERT_OK(session->SendRaw(dumps[0].bytes));
  const ServerFrame page = Read(*session);
  ASSERT_THAT(page, HasBody(v1::ServerMessage::kList));
  EXPECT_THAT(Sorted(page.message), EqualsProto(Sorted(ServerMessageOf(dumps[1]))));
  EXPECT_EQ(page.payload.size(), Payload(dumps[1]).size());
  // The empty root (docs is moved away first).
  std::filesystem::rename(root_ / "docs", outside_ / "docs");
  FERRY_ASSERT_OK(session->SendRaw(dumps[2].bytes));
  EXPECT_THAT(Read(*session), HasDumpBytes(dumps[3]));
}

// 13.4, R-DOWNLOAD-1, R-DOWNLOAD-6, R-FRAME-12
TEST_F(ExamplesConformance, DownloadOfHello) {
  const std::vector<Dump> dumps = DumpsIn("13.4");
  ASSERT_THAT(dumps, SizeIs(4));
  PutExampleFile("hello.txt", "hello");
  auto session = OpenExampleSession();
  ASSERT_NE(session, nullptr);
  FERRY_ASSERT_OK(session->SendRaw(dumps[0].bytes));
  for (size_t i = 1; i < dumps.size(); ++i) EXPECT_THAT(Read(*session), HasDumpBytes(dumps[i]));
}

// 13.5, R-UPLOAD-6, R-UPLOAD-9, R-UPLOAD-16
TEST_F(ExamplesConformance, UploadOfHelloAndOfAnEmptyFile) {
  const std::vector<Dump> dumps = DumpsIn("13.5");
  ASSERT_THAT(dumps, SizeIs(9));
  PutExampleFile("empty.txt", "previous");  // the example overwrites
  auto session = OpenExampleSession();
  ASSERT_NE(session, nullptr);
  FERRY_ASSERT_OK(session->SendRaw(dumps[0].bytes));
  EXPECT_THAT(Read(*session), HasDumpBytes(dumps[1]));
  FERRY_ASSERT_OK(session->SendRaw(dumps[2].bytes + dumps[3].bytes));
  EXPECT_THAT(Read(*session), HasDumpBytes(dumps[4]));
  EXPECT_EQ(Get("hello.txt"), "hello");
  FERRY_ASSERT_OK(session->SendRaw(dumps[5].bytes));
  EXPECT_THAT(Read(*session), HasDumpBytes(dumps[6]));
  FERRY_ASSERT_OK(session->SendRaw(dumps[7].bytes));
  EXPECT_THAT(Read(*session), HasDumpBytes(dumps[8]));
  EXPECT_EQ(Get("empty.txt"), "");
}

// 13.6, R-ERROR-1
TEST_F(ExamplesConformance, ErrorNotFound) {
  const std::vector<Dump> dumps = DumpsIn("13.6");
  ASSERT_THAT(dumps, SizeIs(2));
  auto session = OpenExampleSession();
  ASSERT_NE(session, nullptr);
  FERRY_ASSERT_OK(session->SendRaw(dumps[0].bytes));
  const ServerFrame reply = Read(*session);
  ASSERT_TRUE(reply.is_error());
  EXPECT_THAT(WithoutMessage(reply.message.error()),
              EqualsProto(WithoutMessage(ServerMessageOf(dumps[1]).error())));
}

// 13.7, R-UPLOAD-8
TEST_F(ExamplesConformance, EarlyErrorWithTheDataPhaseDiscarded) {
  const std::vector<Dump> dumps = DumpsIn("13.7");
  ASSERT_THAT(dumps, SizeIs(4));
  PutExampleFile("hello.txt", "hello");
  auto session = OpenExampleSession();
  ASSERT_NE(session, nullptr);
  FERRY_ASSERT_OK(session->SendRaw(dumps[0].bytes + dumps[1].bytes + dumps[2].bytes));
  const ServerFrame reply = Read(*session);
  ASSERT_TRUE(reply.is_error());
  EXPECT_THAT(WithoutMessage(reply.message.error()),
              EqualsProto(WithoutMessage(ServerMessageOf(dumps[3]).error())));
  // "the early error is the only reply": the next frame answers the next request.
  EXPECT_THAT(Call(*session, StatMessage("hello.txt")), HasBody(v1::ServerMessage::kStat));
}

// 13.8, R-REMOVE-1, R-BYE-1
TEST_F(ExamplesConformance, RemoveAndBye) {
  const std::vector<Dump> dumps = DumpsIn("13.8");
  ASSERT_THAT(dumps, SizeIs(6));
  PutExampleFile("hello.txt", "hello");
  auto session = OpenExampleSession();
  ASSERT_NE(session, nullptr);
  FERRY_ASSERT_OK(session->SendRaw(dumps[0].bytes));
  EXPECT_THAT(Read(*session), HasDumpBytes(dumps[1]));
  EXPECT_FALSE(Exists("hello.txt"));
  FERRY_ASSERT_OK(session->SendRaw(dumps[2].bytes));
  EXPECT_THAT(Read(*session), HasDumpBytes(dumps[3]));
  EXPECT_TRUE(session->ExpectClosed());
}

// 13.8, R-CANCEL-2: the Cancel frame, sent during a download of big.bin.
TEST_F(ExamplesConformance, CancelOfADownload) {
  const std::vector<Dump> dumps = DumpsIn("13.8");
  ASSERT_THAT(dumps, SizeIs(6));
  FERRY_ASSERT_OK(WriteRandomFile(root_ / "big.bin", 8 * 1024 * 1024, 51).status());
  auto session = OpenExampleSession();
  ASSERT_NE(session, nullptr);
  FERRY_ASSERT_OK(session->SendRaw(Frame(DownloadMessage("big.bin")) + dumps[4].bytes));
  const DownloadResult download = ReadDownload(*session);
  ASSERT_TRUE(download.terminal.is_error());
  EXPECT_THAT(WithoutMessage(download.terminal.message.error()),
              EqualsProto(WithoutMessage(ServerMessageOf(dumps[5]).error())));
}

// 13.9, R-FRAME-10, R-FRAME-11, R-VERSION-4
TEST_F(ExamplesConformance, FieldsAndMessagesAV1PeerDoesNotKnow) {
  const std::vector<Dump> dumps = DumpsIn("13.9");
  ASSERT_THAT(dumps, SizeIs(4));
  PutExampleFile("a.txt", "hello");
  auto session = OpenExampleSession();
  ASSERT_NE(session, nullptr);
  FERRY_ASSERT_OK(session->SendRaw(dumps[0].bytes));
  EXPECT_THAT(Read(*session), HasDumpBytes(dumps[1]));
  FERRY_ASSERT_OK(session->SendRaw(dumps[2].bytes));
  const ServerFrame reply = Read(*session);
  ASSERT_TRUE(reply.is_error());
  EXPECT_THAT(WithoutMessage(reply.message.error()),
              EqualsProto(WithoutMessage(ServerMessageOf(dumps[3]).error())));
  // The connection stays open (R-VERSION-5's example).
  EXPECT_THAT(Call(*session, StatMessage("a.txt")), HasBody(v1::ServerMessage::kStat));
}

// 13.12, R-RENAME-1, R-RENAME-2, R-RENAME-7
TEST_F(ExamplesConformance, RenameIntoADirectoryThenOntoATakenName) {
  const std::vector<Dump> dumps = DumpsIn("13.12");
  ASSERT_THAT(dumps, SizeIs(4));
  PutExampleFile("a.txt", "hello");
  PutExampleFile("b.txt", "other");
  std::filesystem::create_directory(root_ / "docs");
  auto session = OpenExampleSession();
  ASSERT_NE(session, nullptr);
  FERRY_ASSERT_OK(session->SendRaw(dumps[0].bytes));
  EXPECT_THAT(Read(*session), HasDumpBytes(dumps[1]));
  EXPECT_EQ(Get("docs/a.txt"), "hello");
  FERRY_ASSERT_OK(session->SendRaw(dumps[2].bytes));
  EXPECT_THAT(Read(*session), HasDumpBytes(dumps[3]));
  EXPECT_EQ(Get("b.txt"), "other");
  EXPECT_EQ(Get("docs/a.txt"), "hello");
}

// 13.13, R-HASH-1, R-HASH-4
TEST_F(ExamplesConformance, HashOfAWholeFileAndOfARange) {
  const std::vector<Dump> dumps = DumpsIn("13.13");
  ASSERT_THAT(dumps, SizeIs(4));
  PutExampleFile("hello.txt", "hello");
  auto session = OpenExampleSession();
  ASSERT_NE(session, nullptr);
  FERRY_ASSERT_OK(session->SendRaw(dumps[0].bytes));
  EXPECT_THAT(Read(*session), HasDumpBytes(dumps[1]));
  FERRY_ASSERT_OK(session->SendRaw(dumps[2].bytes));
  EXPECT_THAT(Read(*session), HasDumpBytes(dumps[3]));
  // The whole file's digest is 13.4's DownloadEnd digest.
  EXPECT_EQ(ServerMessageOf(dumps[1]).hash().digest(),
            ServerMessageOf(DumpsIn("13.4")[3]).download_end().xxh3_128());
}

class AuthExamplesConformance : public ExamplesConformance {
 protected:
  void SetUp() override {
    FERRY_ASSERT_OK(top_.WriteFile("token", "correct horse battery staple\n"));
    ASSERT_EQ(chmod(top_.Path("token").c_str(), 0600), 0);
    ExamplesConformance::SetUp();
  }
  std::vector<std::string> ServerArgs() const override {
    return {"--token-file", top_.Path("token").string(), "--auth-failure-delay", "0.01"};
  }
};

// 13.11, R-AUTH-1, R-AUTH-2, R-AUTH-5
TEST_F(AuthExamplesConformance, Authentication) {
  const std::vector<Dump> dumps = DumpsIn("13.11");
  ASSERT_THAT(dumps, SizeIs(6));
  auto connection = Connect();
  ASSERT_NE(connection, nullptr);
  FERRY_ASSERT_OK(connection->SendRaw(dumps[0].bytes));
  EXPECT_THAT(Read(*connection), HasDumpBytes(dumps[1]));
  FERRY_ASSERT_OK(connection->SendRaw(dumps[2].bytes));
  const ServerFrame refused = Read(*connection);
  ASSERT_TRUE(refused.is_error());
  EXPECT_THAT(WithoutMessage(refused.message.error()),
              EqualsProto(WithoutMessage(ServerMessageOf(dumps[3]).error())));
  FERRY_ASSERT_OK(connection->SendRaw(dumps[4].bytes));
  EXPECT_THAT(Read(*connection), HasDumpBytes(dumps[5]));
  EXPECT_THAT(Call(*connection, StatMessage("")), HasBody(v1::ServerMessage::kStat));
}

// 13.10, R-FRAME-4
TEST_F(ExamplesConformance, OversizeFrameBeforeTheHandshake) {
  const std::vector<Dump> dumps = DumpsIn("13.10");
  ASSERT_THAT(dumps, SizeIs(2));
  auto connection = Connect();
  ASSERT_NE(connection, nullptr);
  FERRY_ASSERT_OK(connection->SendRaw(dumps[0].bytes));
  const ServerFrame reply = Read(*connection);
  ASSERT_TRUE(reply.is_error());
  EXPECT_THAT(WithoutMessage(reply.message.error()),
              EqualsProto(WithoutMessage(ServerMessageOf(dumps[1]).error())));
  EXPECT_TRUE(connection->ExpectClosed());
}

// 4.5: the table of chunk headers, row by row, against the server's chunk frames.
// R-FRAME-12
TEST_F(ExamplesConformance, ChunkHeaderTableMatchesTheServersChunkFrames) {
  const std::string spec = ReadSpec();
  const size_t table = spec.find("| N | Payload header (hex) | L |");
  ASSERT_NE(table, std::string::npos);
  static const std::regex kRow(R"(^\| (\d+)[^|]*\| `([0-9a-f ]+)` \| (\d+) \|$)");
  std::istringstream lines(spec.substr(table));
  std::string line;
  std::getline(lines, line);  // the header row
  std::getline(lines, line);  // the separator row
  auto session = OpenSession();
  ASSERT_NE(session, nullptr);
  int rows = 0;
  while (std::getline(lines, line) && line.starts_with("|")) {
    std::smatch row;
    ASSERT_TRUE(std::regex_match(line, row, kRow)) << line;
    const size_t n = std::stoul(row[1].str());
    const uint32_t l = static_cast<uint32_t>(std::stoul(row[3].str()));
    std::string header;
    std::istringstream hex(row[2].str());
    for (std::string byte; hex >> byte;)
      header.push_back(static_cast<char>(std::stoi(byte, nullptr, 16)));
    SCOPED_TRACE(line);
    Put("n.bin", std::string(n, 'd'));
    FERRY_ASSERT_OK(session->SendFrame(DownloadMessage("n.bin")));
    const DownloadResult download = ReadDownload(*session);
    ASSERT_THAT(download.chunks, SizeIs(1));
    EXPECT_EQ(download.chunks[0].Bytes().substr(0, 4 + header.size()), BigEndian32(l) + header);
    EXPECT_EQ(download.chunks[0].payload.size(), l);
    ++rows;
  }
  EXPECT_EQ(rows, 7);
}

// 7.4: the digest table, against DownloadEnd for files holding those inputs.
TEST_F(ExamplesConformance, DigestTableMatchesTheServersDigests) {
  const std::string spec = ReadSpec();
  static const std::regex kRow(R"(\| (empty \(0 bytes\)|`hello`[^|]*) \| `([0-9a-f]{32})` \|)");
  auto session = OpenSession();
  ASSERT_NE(session, nullptr);
  int rows = 0;
  for (std::sregex_iterator it(spec.begin(), spec.end(), kRow), end; it != end; ++it) {
    const std::string input = (*it)[1].str().starts_with("empty") ? "" : "hello";
    std::string digest;
    for (size_t i = 0; i < 32; i += 2) {
      digest.push_back(static_cast<char>(std::stoi((*it)[2].str().substr(i, 2), nullptr, 16)));
    }
    Put("d.bin", input);
    FERRY_ASSERT_OK(session->SendFrame(DownloadMessage("d.bin")));
    const DownloadResult download = ReadDownload(*session);
    ASSERT_THAT(download.terminal, HasBody(v1::ServerMessage::kDownloadEnd));
    EXPECT_EQ(download.terminal.message.download_end().xxh3_128(), digest) << "input: " << input;
    ++rows;
  }
  EXPECT_EQ(rows, 2);
}

}  // namespace
}  // namespace ferry::conformance
