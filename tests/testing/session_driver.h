// SessionDriver: runs a server Session over memory, as a scripted client would.
//
// A test writes what the client sends with ClientScript (Hello, requests, chunks,
// UploadEnd with the right digest, or any raw bytes), runs one Session over it on a
// MemoryStream and the FileSystem of its choice, and gets back every frame the
// server wrote, decoded:
//
//   InMemoryFileSystem fs;
//   ClientScript script;
//   script.Hello().Stat("a.txt").Bye();
//   SessionResult result = RunSession(script, &fs);
//   EXPECT_THAT(result.Replies(), ElementsAre(IsErrorFor(v1::NOT_FOUND, "a.txt", false),
//                                             HasBody(v1::ServerMessage::kBye)));
//
// MemoryStream hands the server all input at once, which is what a pipelining
// client does. To model a client that waits for replies before sending more, use
// AfterServerFrames: the bytes after it become readable only once the server has
// written that many frames.
#pragma once

#include <gmock/gmock.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ferry/v1/ferry.pb.h"
#include "src/base/status.h"
#include "src/fs/file_system.h"
#include "src/server/session.h"

namespace ferry::testing {

// The 16-byte wire form of the XXH3-128 digest of `contents`.
std::string DigestBytes(std::string_view contents);

// Everything the client sends, frame by frame.
class ClientScript {
 public:
  // Where the bytes from `offset` on become readable: once the server has written
  // `server_frames` frames.
  struct Gate {
    size_t offset = 0;
    size_t server_frames = 0;
  };

  // Hello for versions 1..1 with the given max_frame_bytes (0 = server default).
  ClientScript& Hello(uint32_t max_frame_bytes = 0);
  ClientScript& Hello(uint32_t min_version, uint32_t max_version, uint32_t max_frame_bytes);

  ClientScript& List(std::string_view path);
  ClientScript& Stat(std::string_view path);
  ClientScript& Remove(std::string_view path);
  ClientScript& MakeDirectory(std::string_view path);
  ClientScript& RemoveDirectory(std::string_view path);
  ClientScript& Rename(std::string_view from, std::string_view to, bool overwrite = false);
  ClientScript& Hash(std::string_view path, uint64_t offset = 0, uint64_t length = 0);
  ClientScript& Download(std::string_view path);
  ClientScript& Upload(std::string_view path, uint64_t size, bool overwrite = false);
  // One chunk frame in the canonical encoding (spec 4.4).
  ClientScript& Chunk(std::string_view data);
  ClientScript& UploadEnd(uint64_t size, std::string_view digest);
  // `contents` as chunks of at most `chunk_bytes`, then UploadEnd with its size and
  // digest: a complete, correct data phase.
  ClientScript& UploadData(std::string_view contents, size_t chunk_bytes = 1000);
  ClientScript& Cancel();
  ClientScript& Bye();

  // Any envelope, serialised by protobuf.
  ClientScript& Message(const v1::ClientMessage& message);
  // Any payload behind a correct length prefix.
  ClientScript& Frame(std::string_view payload);
  // Bytes as they are, no framing.
  ClientScript& Raw(std::string_view bytes);

  // The bytes added after this call reach the server only after it has written
  // `server_frames` frames in all (the Welcome counts). Before that the stream
  // reports nothing ready, and a read that waits anyway times out (kTimeout), as
  // it would on a socket whose peer waits for a reply.
  ClientScript& AfterServerFrames(size_t server_frames);

  const std::string& bytes() const { return bytes_; }
  const std::vector<Gate>& gates() const { return gates_; }

 private:
  std::string bytes_;
  std::vector<Gate> gates_;
};

// What one Session did.
struct SessionResult {
  Status status;                            // what Session::Run returned
  std::vector<v1::ServerMessage> messages;  // every frame the server wrote, chunks included
  std::vector<size_t> frame_sizes;          // the payload length of each
  std::vector<size_t> chunk_sizes;          // the data length of each Chunk frame
  std::string chunk_bytes;                  // the data of every Chunk frame, in order
  bool all_chunks_canonical = true;         // every chunk frame used the fixed encoding
  std::string decode_error;                 // why the output is not whole frames, if so
  bool stream_shut_down = false;            // the session called Shutdown()
  std::vector<RequestRecord> records;       // what the RequestObserver saw

  // The messages without the leading Welcome and without Chunk frames: the replies
  // a test usually asserts on.
  std::vector<v1::ServerMessage> Replies() const;
  // The largest payload the server wrote.
  size_t LargestFrame() const;
};

// Runs a Session to its end over `script` and `fs`. `max_read` caps each read of
// the stream (1 = byte at a time).
SessionResult RunSession(const ClientScript& script, FileSystem* fs, SessionOptions options = {},
                         size_t max_read = SIZE_MAX);

// RunSession, and a test failure if the server wrote anything that is not whole
// frames: what most tests want, since every assertion on replies assumes frames.
SessionResult RunSessionExpectingFrames(const ClientScript& script, FileSystem* fs,
                                        SessionOptions options = {}, size_t max_read = SIZE_MAX);

// Options of a server that requires `token` (spec 5.9), with `failure_delay`
// after a wrong one: tests pass a short delay so that they stay fast.
SessionOptions TokenOptions(std::string_view token, std::chrono::milliseconds failure_delay);

// The Authenticate request carrying `token`.
v1::ClientMessage AuthenticateMessage(std::string_view token);

// Matchers for v1::ServerMessage.

MATCHER_P(HasBody, body_case, "has body case " + ::testing::PrintToString(body_case)) {
  return arg.body_case() == body_case;
}

MATCHER_P2(IsError, code, fatal,
           "is Error " + v1::ErrorCode_Name(code) + (fatal ? " (fatal)" : " (not fatal)")) {
  return arg.has_error() && arg.error().code() == code && arg.error().fatal() == fatal;
}

MATCHER_P3(IsErrorFor, code, path, fatal,
           "is Error " + v1::ErrorCode_Name(code) + " for path \"" + std::string(path) + "\"" +
               (fatal ? " (fatal)" : " (not fatal)")) {
  return arg.has_error() && arg.error().code() == code && arg.error().path() == path &&
         arg.error().fatal() == fatal;
}

}  // namespace ferry::testing
