// End to end: `ferry --json` against a real ferryd. Every line of stdout is
// parsed as one JSON object and checked field by field; stdout holds nothing
// else, and errors come there too, not on stderr.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "src/base/digest.h"
#include "src/base/json_writer.h"
#include "tests/e2e/e2e_fixture.h"
#include "tests/testing/json_object.h"

namespace ferry {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using testing::JsonMember;
using ::testing::MatchesRegex;
using Members = std::map<std::string, JsonMember>;

constexpr char kRfc3339Nanos[] =
    "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{9}Z";

std::string HexDigestOf(std::string_view content) {
  return DigestToHex(DigestOf(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(content.data()), content.size())));
}

class JsonE2e : public E2eTest {
 protected:
  // Runs a whole session with --json; every stdout line must be one JSON
  // object, and stdout must end with a newline.
  std::vector<Members> RunJson(std::string_view commands, ProcessResult* run = nullptr) {
    ProcessResult result = RunSession(commands, RunClientOptions{{"--json"}});
    std::vector<Members> objects = Parse(result);
    if (run != nullptr) *run = std::move(result);
    return objects;
  }

  static std::vector<Members> Parse(const ProcessResult& run) {
    EXPECT_FALSE(run.timed_out) << run;
    if (!run.out.empty()) {
      EXPECT_EQ(run.out.back(), '\n') << run;
    }
    std::vector<Members> objects;
    for (const std::string& line : Lines(run.out)) {
      Members members;
      std::string error;
      EXPECT_TRUE(testing::ParseJsonObject(line, &members, &error)) << error << ": " << line;
      EXPECT_EQ(members.at("command").kind, JsonMember::Kind::kString) << line;
      EXPECT_EQ(members.at("ok").kind, JsonMember::Kind::kBool) << line;
      objects.push_back(std::move(members));
    }
    return objects;
  }

  // The commands of the objects, in order, with "!" after each failure.
  static std::vector<std::string> Commands(const std::vector<Members>& objects) {
    std::vector<std::string> names;
    for (const Members& object : objects) {
      names.push_back(object.at("command").text + (object.at("ok").text == "true" ? "" : "!"));
    }
    return names;
  }

  // Checks an error object's fields.
  static void ExpectError(const Members& object, std::string_view code, std::string_view exit_class,
                          int exit_number, std::string_view path) {
    EXPECT_EQ(object.at("ok").text, "false");
    const Members& error = object.at("error").members;
    EXPECT_EQ(error.at("code").text, code);
    EXPECT_EQ(error.at("class").text, exit_class);
    EXPECT_EQ(error.at("exit").kind, JsonMember::Kind::kNumber);
    EXPECT_EQ(error.at("exit").text, std::to_string(exit_number));
    EXPECT_FALSE(error.at("message").text.empty());
    EXPECT_EQ(error.at("path").text, path);
  }

  // Checks a file description (FileFields) against what is on disk.
  void ExpectFile(const Members& object, std::string_view type, uint64_t size, std::string mode) {
    EXPECT_EQ(object.at("type").text, type);
    EXPECT_EQ(object.at("size").text, std::to_string(size));
    EXPECT_EQ(object.at("mode").text, mode);
    EXPECT_EQ(object.at("mtime_ns").kind, JsonMember::Kind::kNumber);
    EXPECT_GT(std::stoll(object.at("mtime_ns").text), 0);
    EXPECT_THAT(object.at("mtime").text, MatchesRegex(kRfc3339Nanos));
  }
};

// Every command of a session, one object each; nothing on stderr.
TEST_F(JsonE2e, EverySuccessfulCommandWritesOneObjectWithItsFields) {
  FERRY_ASSERT_OK(WriteFile(root_ / "a.txt", "hello"));
  std::filesystem::permissions(root_ / "a.txt", std::filesystem::perms(0640));
  std::filesystem::create_directory(root_ / "d");
  std::filesystem::permissions(root_ / "d", std::filesystem::perms(0750));
  FERRY_ASSERT_OK(WriteFile(root_ / "old.txt", "x"));
  std::filesystem::create_directory(local_ / "sub");
  ProcessResult run;
  const std::vector<Members> objects = RunJson(
      "ls -l\nsize a.txt\nstat a.txt d\nmkdir new\nrmdir new\nrm old.txt\n"
      "help\nhelp size\nlcd sub\nlpwd\n",
      &run);
  EXPECT_EQ(run.exit_code, 0) << run;
  EXPECT_THAT(run.err, IsEmpty());
  ASSERT_THAT(Commands(objects),
              ElementsAre("connme", "ls", "size", "stat", "stat", "mkdir", "rmdir", "rm", "help",
                          "help", "lcd", "lpwd", "byebye"))
      << run;

  const Members& connme = objects[0];
  EXPECT_EQ(connme.at("server").text, server_.address());
  EXPECT_EQ(connme.at("server_name").text, "ferryd/0.1.0");
  EXPECT_EQ(connme.at("protocol").text, "1");
  EXPECT_EQ(connme.at("capabilities").kind, JsonMember::Kind::kArray);

  const Members& ls = objects[1];
  EXPECT_EQ(ls.at("path").text, "");
  const std::vector<JsonMember>& entries = ls.at("entries").elements;
  ASSERT_EQ(entries.size(), 3u) << run;
  EXPECT_EQ(entries[0].members.at("name").text, "a.txt");
  ExpectFile(entries[0].members, "file", 5, "0640");
  EXPECT_EQ(entries[1].members.at("name").text, "d");
  ExpectFile(entries[1].members, "directory", 0, "0750");
  EXPECT_EQ(entries[2].members.at("name").text, "old.txt");

  EXPECT_EQ(objects[2].at("path").text, "a.txt");
  EXPECT_EQ(objects[2].at("size").text, "5");

  EXPECT_EQ(objects[3].at("path").text, "a.txt");
  ExpectFile(objects[3], "file", 5, "0640");
  // The integer and the text are the same instant.
  EXPECT_EQ(objects[3].at("mtime_ns").text, entries[0].members.at("mtime_ns").text);
  EXPECT_EQ(objects[3].at("mtime").text, entries[0].members.at("mtime").text);
  EXPECT_EQ(objects[4].at("path").text, "d");
  ExpectFile(objects[4], "directory", 0, "0750");

  EXPECT_EQ(objects[5].at("path").text, "new");
  EXPECT_EQ(objects[6].at("path").text, "new");
  EXPECT_EQ(objects[7].at("path").text, "old.txt");
  EXPECT_FALSE(std::filesystem::exists(root_ / "old.txt"));

  const std::vector<JsonMember>& all = objects[8].at("commands").elements;
  EXPECT_GE(all.size(), 15u);
  std::vector<std::string> names;
  for (const JsonMember& command : all) names.push_back(command.members.at("name").text);
  EXPECT_THAT(names, ::testing::IsSupersetOf({"connme", "ls", "rm", "size", "download", "upload",
                                              "stat", "mkdir", "rmdir", "byebye", "help"}));
  const std::vector<JsonMember>& one = objects[9].at("commands").elements;
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0].members.at("name").text, "size");
  EXPECT_EQ(one[0].members.at("usage").text, "size PATH");
  EXPECT_FALSE(one[0].members.at("summary").text.empty());

  const std::string sub = std::filesystem::canonical(local_ / "sub").string();
  EXPECT_EQ(objects[10].at("path").text, sub);
  EXPECT_EQ(objects[11].at("path").text, sub);
  EXPECT_EQ(objects[12].size(), 2u);  // byebye: command and ok only
}

// Downloads and uploads report both names, the bytes, where they resumed from,
// the time taken and the digest the client verified.
TEST_F(JsonE2e, TransfersReportBytesAndTheVerifiedDigest) {
  const std::string down(100'000, 'd');
  const std::string up = "uploaded content\n";
  FERRY_ASSERT_OK(WriteFile(root_ / "down.bin", down));
  FERRY_ASSERT_OK(WriteFile(local_ / "up.txt", up));
  ProcessResult run;
  const std::vector<Members> objects =
      RunJson("download down.bin copy.bin\nupload up.txt \"dir less.txt\"\nget down.bin\n", &run);
  EXPECT_EQ(run.exit_code, 0) << run;
  EXPECT_THAT(run.err, IsEmpty());
  ASSERT_THAT(Commands(objects), ElementsAre("connme", "download", "upload", "get", "byebye"))
      << run;

  const Members& download = objects[1];
  EXPECT_EQ(download.at("remote").text, "down.bin");
  EXPECT_EQ(download.at("local").text, "copy.bin");
  EXPECT_EQ(download.at("bytes").text, "100000");
  EXPECT_EQ(download.at("resumed_from").text, "0");
  EXPECT_EQ(download.at("seconds").kind, JsonMember::Kind::kNumber);
  EXPECT_GT(std::stod(download.at("seconds").text), 0.0);
  EXPECT_EQ(download.at("digest").text, HexDigestOf(down));
  EXPECT_THAT(ReadFile(local_ / "copy.bin"), IsOkAndHolds(down));

  const Members& upload = objects[2];
  EXPECT_EQ(upload.at("local").text, "up.txt");
  EXPECT_EQ(upload.at("remote").text, "dir less.txt");
  EXPECT_EQ(upload.at("bytes").text, std::to_string(up.size()));
  EXPECT_EQ(upload.at("resumed_from").text, "0");
  EXPECT_EQ(upload.at("digest").text, HexDigestOf(up));
  EXPECT_THAT(ReadFile(root_ / "dir less.txt"), IsOkAndHolds(up));

  EXPECT_EQ(objects[3].at("local").text, "down.bin");
  EXPECT_EQ(objects[3].at("digest").text, HexDigestOf(down));
}

// Errors come on stdout as objects with the wire code, the exit class and its
// number, the path and the server's request number; stderr stays empty.
TEST_F(JsonE2e, ErrorsAreObjectsWithCodeClassExitNumberAndPath) {
  FERRY_ASSERT_OK(WriteFile(root_ / "taken", "x"));
  FERRY_ASSERT_OK(WriteFile(root_ / "gone", "x"));
  FERRY_ASSERT_OK(WriteFile(local_ / "taken", "local"));
  std::filesystem::create_directories(root_ / "full/inner");
  ProcessResult run;
  const std::vector<Members> objects = RunJson(
      "rm missing gone also-missing\nstat taken nope\nsize full\nrmdir full\n"
      "download taken\nupload taken\nsize\nfrobnicate x\nrm /\n",
      &run);
  EXPECT_NE(run.exit_code, 0) << run;
  EXPECT_THAT(run.err, IsEmpty());
  ASSERT_THAT(Commands(objects),
              ElementsAre("connme", "rm!", "rm", "rm!", "stat", "stat!", "size!", "rmdir!",
                          "download!", "upload!", "size!", "frobnicate!", "rm!", "byebye"))
      << run;
  ExpectError(objects[1], "NOT_FOUND", "not-found", 5, "missing");
  EXPECT_EQ(objects[2].at("path").text, "gone");
  EXPECT_FALSE(std::filesystem::exists(root_ / "gone"));
  ExpectError(objects[3], "NOT_FOUND", "not-found", 5, "also-missing");
  ExpectError(objects[5], "NOT_FOUND", "not-found", 5, "nope");
  ExpectError(objects[6], "IS_A_DIRECTORY", "conflict", 7, "full");
  ExpectError(objects[7], "DIRECTORY_NOT_EMPTY", "conflict", 7, "full");
  ExpectError(objects[8], "ALREADY_EXISTS", "conflict", 7, "taken");  // the local file
  // The server's refusals name its request: connme's Hello is not one, so the
  // rm of "missing" is request 1 and "also-missing" request 3.
  EXPECT_EQ(objects[1].at("error").members.at("request").text, "1");
  EXPECT_EQ(objects[3].at("error").members.at("request").text, "3");
  EXPECT_FALSE(objects[1].at("error").members.at("detail").text.empty());
  EXPECT_EQ(objects[8].at("error").members.count("request"), 0u);  // refused locally

  // upload of a name the server has already.
  ExpectError(objects[9], "ALREADY_EXISTS", "conflict", 7, "taken");
  // Usage errors have no path.
  const Members& usage = objects[10].at("error").members;
  EXPECT_EQ(usage.at("code").text, "INVALID_ARGUMENT");
  EXPECT_EQ(usage.at("class").text, "usage");
  EXPECT_EQ(usage.at("exit").text, "2");
  EXPECT_EQ(usage.at("message").text, "invalid argument: usage: size PATH");
  EXPECT_EQ(usage.count("path"), 0u);
  EXPECT_EQ(objects[11].at("error").members.at("class").text, "usage");
  // The root cannot be removed; ".." would not do here, as the client resolves
  // it against the working directory before sending (spec 6.12).
  ExpectError(objects[12], "INVALID_PATH", "usage", 2, "");
}

// The working directory and many-file transfers: cd and pwd report the
// directory, lls lists like ls, each file of a recursive or wildcard transfer is
// its own object, a closing summary object counts them, and what was skipped
// is a warning object.
TEST_F(JsonE2e, NavigationAndManyFileTransfersReportEachFileAndASummary) {
  std::filesystem::create_directories(root_ / "logs/old");
  FERRY_ASSERT_OK(WriteFile(root_ / "logs/a.log", "aaa"));
  FERRY_ASSERT_OK(WriteFile(root_ / "logs/b.log", "bb"));
  FERRY_ASSERT_OK(WriteFile(root_ / "logs/old/c.log", "c"));
  FERRY_ASSERT_OK(WriteFile(local_ / "here.txt", "12345"));
  std::filesystem::create_directory(local_ / "flat");
  FERRY_ASSERT_OK(WriteFile(local_ / "flat/b.log", "mine"));
  ProcessResult run;
  const std::vector<Members> objects =
      RunJson("cd logs\npwd\nlls\ndownload * flat\ndownload -r old\ncd /\npwd\ncd nowhere\n", &run);
  EXPECT_NE(run.exit_code, 0) << run;  // cd nowhere
  EXPECT_THAT(run.err, IsEmpty());
  ASSERT_THAT(Commands(objects),
              ElementsAre("connme", "cd", "pwd", "lls", "download", "download!", "download",
                          "download!", "download", "download", "cd", "pwd", "cd!", "byebye"))
      << run;
  EXPECT_EQ(objects[1].at("path").text, "/logs");
  EXPECT_EQ(objects[2].at("path").text, "/logs");
  const std::vector<JsonMember>& local = objects[3].at("entries").elements;
  ASSERT_EQ(local.size(), 2u) << run;
  EXPECT_EQ(local[0].members.at("name").text, "flat");
  EXPECT_EQ(local[1].members.at("name").text, "here.txt");
  ExpectFile(local[1].members, "file", 5, local[1].members.at("mode").text);

  // * matched a.log, b.log and the directory old/: a.log is copied, b.log is
  // refused (a local file of that name exists), old/ is skipped without -r.
  EXPECT_EQ(objects[4].at("remote").text, "logs/a.log");
  EXPECT_EQ(objects[4].at("local").text, "flat/a.log");
  EXPECT_EQ(objects[4].at("digest").text, HexDigestOf("aaa"));
  ExpectError(objects[5], "ALREADY_EXISTS", "conflict", 7, "flat/b.log");
  EXPECT_THAT(ReadFile(local_ / "flat/b.log"), IsOkAndHolds("mine"));
  const Members& warning = objects[6].at("warning").members;
  EXPECT_EQ(objects[6].at("ok").text, "true");
  EXPECT_EQ(warning.at("kind").text, "directory-skipped");
  EXPECT_EQ(warning.at("path").text, "logs/old/");
  const Members& summary = objects[7];
  EXPECT_EQ(summary.at("summary").text, "true");
  EXPECT_EQ(summary.at("recursive").text, "false");
  EXPECT_EQ(summary.at("files").text, "1");
  EXPECT_EQ(summary.at("bytes").text, "3");
  EXPECT_EQ(summary.at("failed").text, "1");
  EXPECT_EQ(summary.at("ok").text, "false");

  EXPECT_EQ(objects[8].at("remote").text, "logs/old/c.log");
  EXPECT_THAT(ReadFile(local_ / "old/c.log"), IsOkAndHolds("c"));
  EXPECT_EQ(objects[9].at("summary").text, "true");
  EXPECT_EQ(objects[9].at("recursive").text, "true");
  EXPECT_EQ(objects[9].at("files").text, "1");
  EXPECT_EQ(objects[9].at("ok").text, "true");

  EXPECT_EQ(objects[10].at("path").text, "/");
  EXPECT_EQ(objects[11].at("path").text, "/");
  ExpectError(objects[12], "NOT_FOUND", "not-found", 5, "nowhere");
}

// mv reports where the entry went; hash reports the digest the server
// computed, and hash -l the same for a local file. After cd, hash -l's paths
// stay local: the working directory is the server's (R-CWD-1 is for remote
// paths only).
TEST_F(JsonE2e, MvAndHashReportPathsAndDigests) {
  FERRY_ASSERT_OK(WriteFile(root_ / "a.txt", "abc"));
  FERRY_ASSERT_OK(WriteFile(local_ / "b.txt", "abc"));
  ProcessResult run;
  const std::vector<Members> objects =
      RunJson("mkdir d\ncd d\nhash -l b.txt\ncd /\nmv a.txt d/\nhash d/a.txt\n", &run);
  EXPECT_EQ(run.exit_code, 0) << run;
  EXPECT_THAT(run.err, IsEmpty());
  ASSERT_THAT(Commands(objects),
              ElementsAre("connme", "mkdir", "cd", "hash", "cd", "mv", "hash", "byebye"))
      << run;
  const Members& local = objects[3];
  EXPECT_EQ(local.at("path").text, "b.txt");
  EXPECT_EQ(local.at("local").text, "true");
  EXPECT_EQ(local.at("algorithm").text, "xxh3-128");
  EXPECT_EQ(local.at("digest").text, HexDigestOf("abc"));
  EXPECT_EQ(objects[5].at("from").text, "a.txt");
  EXPECT_EQ(objects[5].at("to").text, "d/a.txt");
  EXPECT_THAT(ReadFile(root_ / "d/a.txt"), IsOkAndHolds("abc"));
  const Members& remote = objects[6];
  EXPECT_EQ(remote.at("path").text, "d/a.txt");
  EXPECT_EQ(remote.at("local").text, "false");
  EXPECT_EQ(remote.at("digest").text, HexDigestOf("abc"));
  EXPECT_EQ(remote.at("size").text, "3");
}

// R-ACCESS-2: a read-only server's refusals are the permission class.
TEST_F(JsonE2e, ReadOnlyRefusalsArePermissionErrors) {
  ServerProcess read_only;
  FERRY_ASSERT_OK(read_only.Start(root_, {"--read-only"}));
  FERRY_ASSERT_OK(WriteFile(root_ / "keep", "x"));
  const ProcessResult run =
      RunScript("connme " + read_only.address() + "\nrm keep\nmkdir new\nbyebye\n",
                RunClientOptions{{"--json"}});
  const std::vector<Members> objects = Parse(run);
  ASSERT_THAT(Commands(objects), ElementsAre("connme", "rm!", "mkdir!", "byebye")) << run;
  ExpectError(objects[1], "PERMISSION_DENIED", "permission", 6, "keep");
  ExpectError(objects[2], "PERMISSION_DENIED", "permission", 6, "new");
  EXPECT_THAT(run.err, IsEmpty());
}

// Commands before connme, and a connme to a port nobody listens on, fail in the
// connection class.
TEST_F(JsonE2e, ConnectionFailuresAreConnectionErrors) {
  const ProcessResult run =
      RunScript("ls\nconnme 127.0.0.1:1\n", RunClientOptions{{"--json", "-q"}});
  const std::vector<Members> objects = Parse(run);
  ASSERT_THAT(Commands(objects), ElementsAre("ls!", "connme!")) << run;
  EXPECT_EQ(objects[0].at("error").members.at("code").text, "CONNECTION_CLOSED");
  EXPECT_EQ(objects[0].at("error").members.at("class").text, "connection");
  EXPECT_EQ(objects[0].at("error").members.at("exit").text, "3");
  ExpectError(objects[1], "UNAVAILABLE", "connection", 3, "127.0.0.1:1");
  EXPECT_THAT(run.err, IsEmpty());
}

// Names with spaces, quotes, backslashes, C1 controls and bidirectional
// overrides come back exactly; a name with a C0 control is not a valid
// component (R-PATH-5) and the server leaves it out.
TEST_F(JsonE2e, ListingNamesWithControlCharactersAndSpacesDecodeExactly) {
  const std::vector<std::string> names = {"a name with spaces", "back\\slash \"quoted\"",
                                          "csi\xc2\x9b[2J", "rtl\xe2\x80\xaetxt.exe", "tab\there"};
  for (const std::string& name : names) FERRY_ASSERT_OK(WriteFile(root_ / name, name));
  ProcessResult run;
  const std::vector<Members> objects = RunJson("ls\nstat " + Arg(names[2]) + "\n", &run);
  EXPECT_EQ(run.exit_code, 0) << run;
  ASSERT_THAT(Commands(objects), ElementsAre("connme", "ls", "stat", "byebye")) << run;
  std::vector<std::string> listed;
  for (const JsonMember& entry : objects[1].at("entries").elements) {
    listed.push_back(entry.members.at("name").text);
    EXPECT_EQ(entry.members.at("size").text, std::to_string(entry.members.at("name").text.size()));
  }
  EXPECT_THAT(listed, ElementsAre(names[0], names[1], names[2], names[3]));
  EXPECT_EQ(objects[2].at("path").text, names[2]);
  // On the wire of stdout the controls are escapes: no raw ESC, CSI or override.
  EXPECT_EQ(run.out.find('\x1b'), std::string::npos);
  EXPECT_EQ(run.out.find("\xc2\x9b"), std::string::npos);
  EXPECT_EQ(run.out.find("\xe2\x80\xae"), std::string::npos);
  EXPECT_NE(run.out.find("\\u009b"), std::string::npos);
}

// Local names are any bytes: one with a control character or that is not
// UTF-8 still gives valid JSON, and "_hex" carries its exact bytes.
TEST_F(JsonE2e, LocalNamesThatAreNotUtf8GiveValidJsonWithTheirBytesInHex) {
  const std::string odd = "odd\xff\xfe name";
  const std::string escape = "esc\x1b[31mred";
  std::filesystem::create_directory(local_ / odd);
  FERRY_ASSERT_OK(WriteFile(local_ / escape, "x"));
  ProcessResult run;
  const std::vector<Members> objects =
      RunJson("upload " + Arg(escape) + "\nlcd " + Arg(odd) + "\nlpwd\n", &run);
  ASSERT_THAT(Commands(objects), ElementsAre("connme", "upload!", "lcd", "lpwd", "byebye")) << run;
  ExpectError(objects[1], "INVALID_PATH", "usage", 2, escape);
  EXPECT_EQ(objects[1].at("error").members.count("path_hex"), 0u);  // valid UTF-8
  const std::string here = std::filesystem::canonical(local_ / odd).string();
  for (const Members* object : {&objects[2], &objects[3]}) {
    EXPECT_EQ(object->at("path_hex").text, HexBytes(here));
    EXPECT_NE(object->at("path").text.find("odd\xef\xbf\xbd\xef\xbf\xbd name"), std::string::npos);
  }
  EXPECT_EQ(run.out.find('\x1b'), std::string::npos);
  EXPECT_THAT(run.err, IsEmpty());
}

// The text rendering is unchanged without --json: results on stdout, errors on
// stderr, the same lines as before the output layer.
TEST_F(JsonE2e, WithoutJsonTheTextIsAsBefore) {
  FERRY_ASSERT_OK(WriteFile(root_ / "a.txt", "hello"));
  const ProcessResult run = RunSession("size a.txt\nrm missing\n", RunClientOptions{{"-v"}});
  EXPECT_THAT(Lines(run.out), ElementsAre(ConnectedLine(), "5", "bye")) << run;
  EXPECT_THAT(Lines(run.err), ElementsAre("error: NOT_FOUND: no such file: missing "
                                          "(remove: no such file or directory) (request 2)"))
      << run;
}

}  // namespace
}  // namespace ferry
