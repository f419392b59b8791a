// ShellOutput: the one place the shell's results, errors and warnings are
// written, either as the human text people read (results on stdout, errors and
// warnings on stderr) or, with --json, as one JSON object per line, all on
// stdout, for scripts.
//
// Porting a command onto it. A handler reports what it did once, with the JSON
// fields and the text side by side; RunLine has already told the output which
// command is running (its "command" member), and "ok" is added for you:
//
//   // a query whose text is the point (shown even with -q):
//   output_.Answer(JsonObject().Add("path", path).Add("digest", hex), hex + "  " + name + "\n");
//   // an action (its text, if any, is left out with -q; "" for silent ones):
//   output_.Done(JsonObject().Add("from", from).Add("to", to), "");
//   // a failure: the path goes in the error object and in the text line
//   return ReportPath(status, path);
//
// Multi-path commands call Done/Answer or ReportPath once per path, so JSON
// gets one object per path. Names go in as raw bytes: the text side must escape
// them itself (EscapeForDisplay, QuoteForDisplay); the JSON side escapes them
// (and adds "name_hex" for bytes that are not UTF-8; src/base/json_writer.h).
// The JSON schema is documented in ferry(1), section JSON OUTPUT.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "src/base/json_writer.h"
#include "src/base/status.h"
#include "src/fs/file_system.h"

namespace ferry {

struct ShellOutputOptions {
  bool json = false;     // --json
  bool quiet = false;    // -q: no Done text (JSON objects are always written)
  bool verbose = false;  // -v: the detail and the request number in error lines
};

// Everything the shell knows about one failure.
struct ShellError {
  Status status;
  // The file (remote or local) or server it concerns, as given; empty if none.
  std::string path;
  bool has_path = false;
  // Text after the code's description when there is no path, e.g.
  // "usage: size PATH".
  std::string subject;
  // A reason people need even without -v (why a connection was refused); the
  // status message is then not repeated by -v.
  std::string reason;
  // The number of the server request that failed (ferryd's log counts the same
  // way); 0 when the failure did not come from a request.
  uint64_t request = 0;
};

// What each code means to a person at the prompt ("no such file").
std::string_view DescribeStatusCode(StatusCode code);

// A file's description for JSON: "type" ("file", "directory", "symlink",
// "other"), "size", "mode" (the permission bits in octal as chmod takes them,
// "0644"), "mtime_ns" and "mtime" (FormatUtcTime).
JsonObject FileFields(const FileInfo& info);

class ShellOutput {
 public:
  ShellOutput(std::FILE* out, std::FILE* err, ShellOutputOptions options)
      : out_(out), err_(err), options_(options) {}

  bool json() const { return options_.json; }

  // Names the command the next reports belong to: the word as typed ("get",
  // "download"), or "" before any.
  void BeginCommand(std::string_view name) { command_ = std::string(name); }
  const std::string& command() const { return command_; }

  // The result of a query: `text` (whole lines) on stdout even with -q, or the
  // fields as one object.
  void Answer(const JsonObject& fields, std::string_view text);
  // An action that succeeded: `text` on stdout unless -q, or the fields as one
  // object.
  void Done(const JsonObject& fields, std::string_view text);
  // The closing line of a command that did many things (a recursive or
  // many-file transfer): like Done, but "ok" says whether all of them went.
  void Summary(bool ok, const JsonObject& fields, std::string_view text);
  // Something people should know that did not fail the command: "warning: "
  // and `text` on stderr, or {"command","ok":true,"warning":{"kind":KIND,
  // "message":TEXT, FIELDS...}}.
  void Warning(std::string_view kind, std::string_view text, const JsonObject& fields);
  // A failure: "error: CODE: description: subject (...)" on stderr, or
  // {"command","ok":false,"error":{...}} on stdout.
  void Error(const ShellError& error);
  // Lines only for people at a terminal (the greeting): nothing with --json.
  void Chatter(std::string_view text);

  // The text and the JSON renderings of an error, exposed for tests.
  std::string ErrorLine(const ShellError& error) const;
  JsonObject ErrorObject(const ShellError& error) const;

 private:
  void WriteObject(bool ok, const JsonObject& fields);

  std::FILE* out_;
  std::FILE* err_;
  ShellOutputOptions options_;
  std::string command_;
};

}  // namespace ferry
