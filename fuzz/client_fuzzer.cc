// Fuzzes the client library against a hostile server: the input is everything
// the "server" sends, and the client runs a fixed session over it.
//
// Input: one mode byte, then the server's bytes. Mode bits 0-3 cap each read
// (0: no cap, k: k bytes). Bit 4 makes the stream report "nothing to read yet"
// between calls (a server that answers only when asked); without it the stream
// always reports input waiting, as a server that pushed an early Error would.
// Seeds that complete an upload set bit 4 and read one byte at a time, so the
// reply to the upload is not already buffered while the chunks go out.
//
// The session: Open (handshake), then List, Stat, Download, Upload, Remove, Bye,
// each attempted whatever the previous one returned.
//
// Invariants: a successful download delivered exactly the announced bytes and
// the digest it reports is theirs; a successful upload reports the size and
// digest of what was sent; a successful listing holds only plain names
// (R-SEC-10); a broken connection stays broken.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "fuzz/fuzz_support.h"
#include "src/base/digest.h"
#include "src/client/client.h"
#include "src/net/memory_stream.h"

namespace ferry {
namespace {

// The server's bytes in memory. `quiet` makes ReadReady() report nothing waiting,
// as a server that has not answered yet; reads still return the bytes.
class ScriptedServerStream : public MemoryStream {
 public:
  ScriptedServerStream(std::string input, size_t max_read, bool quiet)
      : MemoryStream(std::move(input), max_read), quiet_(quiet) {}
  bool ReadReady() override { return !quiet_; }

 private:
  bool quiet_;
};

// What the client uploads: a few bytes, enough for one chunk.
constexpr std::string_view kUploadBytes = "ferry fuzz upload\n";

bool IsPlainName(const std::string& name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string::npos &&
         name.find('\0') == std::string::npos;
}

}  // namespace
}  // namespace ferry

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ferry;
  SilenceProtobufLogs();
  auto input = SplitModeByte(data, size);
  if (!input) return 0;
  const bool quiet = (input->mode & 0x10) != 0;
  auto stream =
      std::make_unique<ScriptedServerStream>(std::move(input->script), input->max_read, quiet);

  auto opened = Client::Open(std::move(stream), ClientOptions{});
  if (!opened.ok()) return 0;
  Client& client = **opened;

  auto listing = client.List("docs");
  if (listing.ok()) {
    for (const FileInfo& entry : *listing) FUZZ_CHECK(IsPlainName(entry.name));
  }

  client.Stat("a.txt").status().IgnoreError();

  StreamingDigest sunk_digest;
  uint64_t sunk = 0;
  auto downloaded = client.Download("a.txt", [&](std::span<const uint8_t> bytes) {
    sunk_digest.Update(bytes);
    sunk += bytes.size();
    return Status::Ok();
  });
  if (downloaded.ok()) {
    FUZZ_CHECK(downloaded->size == sunk);
    FUZZ_CHECK(downloaded->digest == sunk_digest.Finish());
  }

  size_t offered = 0;
  auto uploaded =
      client.Upload("up.txt", kUploadBytes.size(), [&](std::span<uint8_t> out) -> StatusOr<size_t> {
        const size_t n = std::min(out.size(), kUploadBytes.size() - offered);
        std::memcpy(out.data(), kUploadBytes.data() + offered, n);
        offered += n;
        return n;
      });
  if (uploaded.ok()) {
    FUZZ_CHECK(uploaded->size == kUploadBytes.size());
    FUZZ_CHECK(uploaded->digest ==
               DigestOf(std::span<const uint8_t>(
                   reinterpret_cast<const uint8_t*>(kUploadBytes.data()), kUploadBytes.size())));
  }

  client.Remove("up.txt").IgnoreError();
  const bool connected_before_bye = client.connected();
  const Status bye = client.Bye();
  if (!connected_before_bye) FUZZ_CHECK(bye.code() == StatusCode::kConnectionClosed);
  FUZZ_CHECK(!client.connected());
  return 0;
}
