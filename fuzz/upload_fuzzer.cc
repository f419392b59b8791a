// Fuzzes the server's upload state machine, structure-aware: the input is not a
// byte transcript but a sequence of operations, which this target encodes into
// valid frames (UploadRequest, Chunk, UploadEnd, Cancel, Stat, List) and feeds to
// a Session over the in-memory filesystem. The fuzzer therefore spends its time
// on orders of operations, sizes, digests and paths, not on rediscovering
// framing and protobuf.
//
// Input: a Hello is always sent first (max_frame_bytes 65536, so max_chunk_bytes
// is 65520). Then, until the input ends, one operation per selector byte
// (selector % 8; argument bytes as described at each kOp* constant below):
//   0 upload   path, size, overwrite      4 stat    path
//   1 chunk    length, fill byte          5 list    path
//   2 end      mode (right / size + 1 /   6 disconnect (the input's end)
//              one digest bit flipped /   7 disconnect inside an UploadEnd frame
//              15-byte digest)
//   3 cancel
// make_corpus.cc writes seeds in this encoding: keep the two in step.
//
// Invariants (spec 7.3, 7.6, R-PATH-7):
// - every file's content afterwards is its content before the session, or
//   exactly the bytes of an upload that announced that many bytes, sent them all
//   and ended with UploadEnd of the right size and digest (R-UPLOAD-14);
// - nothing but regular files is ever created, and nothing is ever removed;
// - every UploadDone reports the size and digest of such an upload;
// - no listing shows a reserved name, or any name that is not a valid component;
// - no upload temporary outlives the session.

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "fuzz/fuzz_support.h"
#include "src/base/digest.h"
#include "src/codec/frame.h"
#include "src/codec/frame_io.h"
#include "src/codec/limits.h"
#include "src/codec/messages.h"
#include "src/fs/in_memory_file_system.h"
#include "src/fs/path.h"
#include "src/net/memory_stream.h"
#include "src/server/session.h"

namespace ferry {
namespace {

constexpr uint32_t kFrameLimit = 65536;
constexpr uint32_t kChunkLimit = kFrameLimit - limits::kChunkOverheadBytes;
// Chunks add up fast; past this the transcript ends (the session sees the
// client disconnect).
constexpr size_t kMaxTranscriptBytes = 4 << 20;

enum Op : uint8_t {
  kOpUpload = 0,            // path, size, overwrite byte (bit 0)
  kOpChunk = 1,             // length, fill byte
  kOpUploadEnd = 2,         // mode byte (% 4): right, size + 1, digest flipped, 15-byte digest
  kOpCancel = 3,            //
  kOpStat = 4,              // path
  kOpList = 5,              // path
  kOpDisconnect = 6,        //
  kOpDisconnectInFrame = 7  //
};

// Path argument: a byte < 240 picks from this table; otherwise a length byte
// (% 24) and that many raw bytes follow.
const char* const kPaths[] = {
    "a.txt",     "new.txt",   "docs/readme.md", "docs/new.txt",
    "docs",      "empty",     "empty/x",        "fifo",
    "missing/x", "a.txt/x",   ".ferry-part.x",  "docs/.ferry-part.y",
    "",          "/new.txt/", "../x",           "docs/sub/new.txt",
};
constexpr size_t kPathCount = sizeof(kPaths) / sizeof(kPaths[0]);

// Size argument: a byte (% 10) picks one of these; 9 reads a 16-bit value.
constexpr uint64_t kSizes[] = {0, 1, 3, 10, 100, 1000, kChunkLimit, kChunkLimit + 1, UINT64_MAX};

// Chunk length argument: a byte < 200 is the length; 200-249 read a 16-bit
// length; 250+ pick from these (the limit, one over it, a frame over 64 KiB).
constexpr size_t kChunkLengths[] = {kChunkLimit, kChunkLimit + 1, kFrameLimit + 1};

Path P(const char* text) { return *Path::Parse(text); }

// The tree every input starts from (the same names as session_fuzzer.cc).
void Populate(InMemoryFileSystem* fs) {
  fs->AddFile(P("a.txt"), "hello, ferry\n").IgnoreError();
  fs->AddFile(P("docs/readme.md"), "# docs\n").IgnoreError();
  fs->AddFile(P("docs/sub/deep.txt"), "deep\n").IgnoreError();
  fs->AddDirectory(P("empty")).IgnoreError();
  fs->AddSpecialFile(P("fifo")).IgnoreError();
}

std::string Encode(const v1::ClientMessage& message) {
  std::string out;
  FUZZ_CHECK(EncodeFrame(message, &out));
  return out;
}

std::string ChunkFrame(const std::string& data) {
  const ChunkFrameHeader header = EncodeChunkFrameHeader(static_cast<uint32_t>(data.size()));
  return std::string(reinterpret_cast<const char*>(header.bytes.data()), header.size) + data;
}

std::string DigestBytes(const std::string& data) {
  return DigestToBytes(DigestOf(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(data.data()), data.size())));
}

std::string ReadPath(FuzzReader& in) {
  const uint8_t pick = in.Byte();
  if (pick < 240) return kPaths[pick % kPathCount];
  return in.Bytes(in.Byte() % 24);
}

// Everything a node of the tree is, for comparing trees.
struct Node {
  FileType type;
  std::string content;  // regular files only
};
using Tree = std::map<std::string, Node>;

void Walk(InMemoryFileSystem& fs, const Path& dir, Tree* tree) {
  auto stream = fs.OpenDirectory(dir);
  FUZZ_CHECK(stream.ok());
  while (true) {
    auto entry = (*stream)->Next();
    FUZZ_CHECK(entry.ok());
    if (!entry->has_value()) return;
    const FileInfo& info = **entry;
    FUZZ_CHECK(IsValidName(info.name));  // never reserved, never "." or ".."
    const Path path = dir.Child(info.name);
    Node node{info.type, ""};
    if (info.type == FileType::kRegular) {
      auto content = fs.ReadFileForTest(path);
      FUZZ_CHECK(content.ok());
      node.content = *content;
    }
    (*tree)[path.ToString()] = node;
    if (info.type == FileType::kDirectory) Walk(fs, path, tree);
  }
}

// What the transcript makes legitimate: per canonical path, the contents a
// well-formed upload sent; and the (size, digest) pairs of those uploads.
struct Legitimate {
  std::map<std::string, std::set<std::string>> contents;
  std::set<std::pair<uint64_t, std::string>> done;
};

// Encodes the operations into a client transcript, and works out from it alone
// which uploads were well-formed.
std::string Transcript(FuzzReader& in, Legitimate* legitimate) {
  v1::ClientMessage hello;
  hello.mutable_hello()->set_min_version(1);
  hello.mutable_hello()->set_max_version(1);
  hello.mutable_hello()->set_max_frame_bytes(kFrameLimit);
  std::string out = Encode(hello);

  // The upload whose data phase the client believes it is in.
  struct Current {
    std::optional<std::string> path;  // canonical; nullopt if it does not parse
    uint64_t announced = 0;
    std::string sent;
  };
  std::optional<Current> current;

  while (!in.empty() && out.size() < kMaxTranscriptBytes) {
    v1::ClientMessage message;
    switch (in.Byte() % 8) {
      case kOpUpload: {
        const std::string path = ReadPath(in);
        const uint8_t size_pick = in.Byte() % 10;
        const uint64_t size = size_pick < 9 ? kSizes[size_pick] : in.Uint16();
        const bool overwrite = (in.Byte() & 1) != 0;
        message.mutable_upload()->set_path(path);
        message.mutable_upload()->set_size(size);
        message.mutable_upload()->set_overwrite(overwrite);
        out += Encode(message);
        auto parsed = Path::Parse(path);
        current = Current{
            parsed.ok() ? std::optional<std::string>(parsed->ToString()) : std::nullopt, size, ""};
        break;
      }
      case kOpChunk: {
        const uint8_t pick = in.Byte();
        const size_t length = pick < 200   ? pick
                              : pick < 250 ? in.Uint16()
                                           : kChunkLengths[pick % 3];
        const uint8_t fill = in.Byte();
        std::string data(length, '\0');
        for (size_t i = 0; i < length; ++i) data[i] = static_cast<char>(fill + i);
        out += ChunkFrame(data);
        if (current) current->sent += data;
        break;
      }
      case kOpUploadEnd: {
        const uint8_t mode = in.Byte() % 4;
        const uint64_t announced = current ? current->announced : 0;
        std::string digest = DigestBytes(current ? current->sent : "");
        if (mode == 2) digest[0] = static_cast<char>(digest[0] ^ 1);
        if (mode == 3) digest.resize(15);
        message.mutable_upload_end()->set_size(mode == 1 ? announced + 1 : announced);
        message.mutable_upload_end()->set_xxh3_128(digest);
        out += Encode(message);
        if (current && mode == 0 && current->sent.size() == current->announced) {
          if (current->path) legitimate->contents[*current->path].insert(current->sent);
          legitimate->done.insert({current->announced, digest});
        }
        current.reset();
        break;
      }
      case kOpCancel:
        message.mutable_cancel();
        out += Encode(message);
        current.reset();
        break;
      case kOpStat:
        message.mutable_stat()->set_path(ReadPath(in));
        out += Encode(message);
        current.reset();  // an intruder in a data phase ends the session
        break;
      case kOpList:
        message.mutable_list()->set_path(ReadPath(in));
        out += Encode(message);
        current.reset();
        break;
      case kOpDisconnect:
        return out;
      case kOpDisconnectInFrame: {
        const uint64_t announced = current ? current->announced : 0;
        message.mutable_upload_end()->set_size(announced);
        message.mutable_upload_end()->set_xxh3_128(DigestBytes(current ? current->sent : ""));
        const std::string frame = Encode(message);
        out += frame.substr(0, frame.size() - 1);
        return out;
      }
    }
  }
  return out;
}

// Every UploadDone names a legitimate upload; no listing shows an unsafe name.
void CheckServerOutput(const std::string& output, const Legitimate& legitimate) {
  MemoryStream replay(output);
  FrameReader reader(&replay, limits::kHandshakeMaxFrameBytes);
  DecodedFrame<v1::ServerMessage> frame;
  while (true) {
    auto payload = reader.ReadFrame();
    if (!payload.ok()) return;
    FUZZ_CHECK(DecodeServerFrame(*payload, &frame).ok());
    if (frame.is_chunk) continue;
    const v1::ServerMessage& message = frame.message;
    if (message.has_welcome()) reader.set_max_frame_bytes(message.welcome().max_frame_bytes());
    if (message.has_upload_done()) {
      FUZZ_CHECK(legitimate.done.count(
                     {message.upload_done().size(), message.upload_done().xxh3_128()}) == 1);
    }
    if (message.has_list()) {
      for (const v1::FileInfo& entry : message.list().entries()) {
        FUZZ_CHECK(!IsReservedName(entry.name()));
        FUZZ_CHECK(IsValidName(entry.name()));
      }
    }
  }
}

}  // namespace
}  // namespace ferry

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ferry;
  SilenceProtobufLogs();
  InMemoryFileSystem fs;
  Populate(&fs);
  Tree before;
  Walk(fs, Path(), &before);

  FuzzReader in(data, size);
  Legitimate legitimate;
  MemoryStream stream(Transcript(in, &legitimate));
  {
    SessionOptions options;
    options.max_frame_bytes = kFrameLimit;
    Session session(&stream, &fs, options);
    session.Run().IgnoreError();
  }
  FUZZ_CHECK(fs.PendingUploadsForTest() == 0);
  CheckServerOutput(stream.output(), legitimate);

  Tree after;
  Walk(fs, Path(), &after);
  // Nothing is removed, and nothing changes type.
  for (const auto& [path, node] : before) {
    const auto found = after.find(path);
    FUZZ_CHECK(found != after.end());
    FUZZ_CHECK(found->second.type == node.type);
  }
  for (const auto& [path, node] : after) {
    const auto old = before.find(path);
    if (old != before.end() && old->second.content == node.content) continue;
    // A new or changed node is a regular file holding a legitimate upload.
    FUZZ_CHECK(node.type == FileType::kRegular);
    const auto allowed = legitimate.contents.find(path);
    FUZZ_CHECK(allowed != legitimate.contents.end());
    FUZZ_CHECK(allowed->second.count(node.content) == 1);
  }
  return 0;
}
