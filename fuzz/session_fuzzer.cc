// Fuzzes the server's protocol state machine: a whole Session over a memory
// stream whose input is the client's bytes, against an in-memory filesystem.
//
// Input: everything a client sends, from its first byte (so every seed is a
// plain client transcript). The memory stream never blocks and never times out,
// so deadlines play no part; it reads as closed at the end of the input.
//
// Invariants (spec sections 4-9):
// - everything the server writes is a sequence of valid ServerMessage frames,
//   none larger than the limit in force (64 KiB, then what Welcome announced);
// - the first frame is Welcome, or a fatal Error and nothing else;
// - a fatal Error, or a ByeReply, is the last frame sent;
// - every Error carries a real code (never UNSPECIFIED, never INTERNAL: the
//   in-memory filesystem has no failure that should surface as one);
// - no upload temporary outlives the session (R-UPLOAD-9).

#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz/fuzz_support.h"
#include "src/codec/frame_io.h"
#include "src/codec/limits.h"
#include "src/codec/messages.h"
#include "src/fs/in_memory_file_system.h"
#include "src/fs/path.h"
#include "src/net/memory_stream.h"
#include "src/server/session.h"

namespace ferry {
namespace {

// Downloads of the larger file repeated over a long input could otherwise make
// the output grow without bound; past this the "client" stops reading, which
// exercises the server's handling of a peer that went away.
constexpr size_t kMaxOutputBytes = 8 << 20;

Path P(const char* text) { return *Path::Parse(text); }

// The served tree every input starts from. The generator in make_corpus.cc
// builds its transcripts against the same names.
void Populate(InMemoryFileSystem* fs) {
  fs->AddFile(P("a.txt"), "hello, ferry\n").IgnoreError();
  fs->AddFile(P("docs/readme.md"), "# docs\nsee spec/PROTOCOL.md\n").IgnoreError();
  // Larger than one chunk when the client asks for 64 KiB frames.
  fs->AddFile(P("docs/big.bin"), std::string(100'000, 'b')).IgnoreError();
  fs->AddFile(P("docs/sub/deep.txt"), "deep\n").IgnoreError();
  fs->AddDirectory(P("empty")).IgnoreError();
  fs->AddSpecialFile(P("fifo")).IgnoreError();
}

// `output` may end inside a frame only if a write was refused at the cap.
void CheckServerOutput(const std::string& output) {
  const bool may_be_cut = output.size() + limits::kDefaultMaxFrameBytes + 16 > kMaxOutputBytes;
  MemoryStream replay(output);
  // Until Welcome the handshake limit holds; after it, the negotiated one.
  FrameReader reader(&replay, limits::kHandshakeMaxFrameBytes);
  DecodedFrame<v1::ServerMessage> frame;
  bool first = true;
  bool ended = false;  // a frame that must be the last one was seen
  while (true) {
    auto payload = reader.ReadFrame();
    if (!payload.ok()) {
      FUZZ_CHECK(payload.status().code() == StatusCode::kConnectionClosed ||
                 (may_be_cut && payload.status().code() == StatusCode::kMalformedFrame));
      return;
    }
    FUZZ_CHECK(!ended);
    FUZZ_CHECK(DecodeServerFrame(*payload, &frame).ok());
    const v1::ServerMessage& message = frame.message;
    if (first) {
      FUZZ_CHECK(!frame.is_chunk);
      FUZZ_CHECK(message.has_welcome() || (message.has_error() && message.error().fatal()));
      if (message.has_welcome()) reader.set_max_frame_bytes(message.welcome().max_frame_bytes());
      first = false;
    }
    if (!frame.is_chunk && message.has_error()) {
      FUZZ_CHECK(message.error().code() != v1::ERROR_CODE_UNSPECIFIED);
      FUZZ_CHECK(message.error().code() != v1::INTERNAL);
      if (message.error().fatal()) ended = true;
    }
    if (!frame.is_chunk && message.has_bye()) ended = true;
  }
}

}  // namespace
}  // namespace ferry

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ferry;
  SilenceProtobufLogs();
  InMemoryFileSystem fs;
  Populate(&fs);
  MemoryStream stream(std::string(reinterpret_cast<const char*>(data), size));
  stream.FailWritesAfter(kMaxOutputBytes);
  {
    // Resumable uploads cut off by the end of the input are kept (spec 7.8):
    // every temporary left is one the registry holds, and it goes with it.
    KeptUploads kept;
    SessionOptions options;
    options.kept_uploads = &kept;
    {
      Session session(&stream, &fs, options);
      session.Run().IgnoreError();
    }
    FUZZ_CHECK(fs.PendingUploadsForTest() == kept.size());
  }
  FUZZ_CHECK(fs.PendingUploadsForTest() == 0);
  CheckServerOutput(stream.output());
  return 0;
}
