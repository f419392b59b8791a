// Writes the seed corpora for the fuzz targets: conversations built from real
// encodings, so the fuzzers start from inputs that reach deep into each state
// machine instead of rediscovering the framing and the handshake.
//
// Usage: ferry_make_corpus DIR   (writes DIR/<target>/<seed>, replacing only the
// files it names; crash repros and other files in DIR are left alone).
//
// The transcripts follow spec/PROTOCOL.md's examples. They name the files that
// session_fuzzer.cc serves (a.txt, docs/, docs/big.bin, empty/, fifo) and the
// calls that client_fuzzer.cc makes (List docs, Stat a.txt, Download a.txt,
// Upload up.txt, Remove up.txt, Bye): keep the three in step. The
// upload_fuzzer seeds are operation codes, not transcripts, in the encoding
// upload_fuzzer.cc documents; the path_resolver_fuzzer seeds name the links of
// the tree path_resolver_fuzzer.cc builds.

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ferry/v1/ferry.pb.h"
#include "src/base/digest.h"
#include "src/codec/frame.h"
#include "src/codec/limits.h"

namespace ferry {
namespace {

using Bytes = std::string;
using namespace std::literals;

// Seeds stay small so that libFuzzer's default -max_len (the largest seed) keeps
// executions fast.
constexpr size_t kMaxSeedBytes = 64 * 1024 - 1;

// ---------------------------------------------------------------------------
// Encoding helpers

std::span<const uint8_t> AsBytes(std::string_view text) {
  return {reinterpret_cast<const uint8_t*>(text.data()), text.size()};
}

std::string DigestBytesOf(std::string_view contents) {
  return DigestToBytes(DigestOf(AsBytes(contents)));
}

Bytes Frame(const google::protobuf::MessageLite& message) {
  Bytes out;
  if (!EncodeFrame(message, &out)) {
    std::fprintf(stderr, "cannot encode a seed message\n");
    std::exit(1);
  }
  return out;
}

Bytes BigEndian32(uint32_t value) {
  return Bytes{static_cast<char>(value >> 24), static_cast<char>(value >> 16),
               static_cast<char>(value >> 8), static_cast<char>(value)};
}

// A frame around an arbitrary payload.
Bytes RawFrame(std::string_view payload) {
  return BigEndian32(static_cast<uint32_t>(payload.size())) + Bytes(payload);
}

// A chunk frame as every sender writes it: the hand-built header, then the data.
Bytes ChunkFrame(std::string_view data) {
  const ChunkFrameHeader header = EncodeChunkFrameHeader(static_cast<uint32_t>(data.size()));
  return Bytes(reinterpret_cast<const char*>(header.bytes.data()), header.size) + Bytes(data);
}

// The chunk frames for `contents`, at most `max_chunk` bytes each.
Bytes ChunkFrames(std::string_view contents, size_t max_chunk) {
  Bytes out;
  for (size_t at = 0; at < contents.size(); at += max_chunk) {
    out += ChunkFrame(contents.substr(at, max_chunk));
  }
  return out;
}

Bytes Concat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& part : parts) out += part;
  return out;
}

// ---------------------------------------------------------------------------
// Client messages

Bytes Hello(uint32_t max_frame_bytes = 0, uint32_t min_version = 1, uint32_t max_version = 1) {
  v1::ClientMessage m;
  m.mutable_hello()->set_min_version(min_version);
  m.mutable_hello()->set_max_version(max_version);
  m.mutable_hello()->set_client_name("ferry/0.1.0");
  m.mutable_hello()->set_max_frame_bytes(max_frame_bytes);
  return Frame(m);
}

Bytes List(const std::string& path) {
  v1::ClientMessage m;
  m.mutable_list()->set_path(path);
  return Frame(m);
}

Bytes Stat(const std::string& path) {
  v1::ClientMessage m;
  m.mutable_stat()->set_path(path);
  return Frame(m);
}

Bytes Remove(const std::string& path) {
  v1::ClientMessage m;
  m.mutable_remove()->set_path(path);
  return Frame(m);
}

Bytes Rename(const std::string& from, const std::string& to, bool overwrite = false) {
  v1::ClientMessage m;
  m.mutable_rename()->set_from(from);
  m.mutable_rename()->set_to(to);
  m.mutable_rename()->set_overwrite(overwrite);
  return Frame(m);
}

Bytes Hash(const std::string& path, uint64_t offset = 0, uint64_t length = 0) {
  v1::ClientMessage m;
  m.mutable_hash()->set_path(path);
  m.mutable_hash()->set_offset(offset);
  m.mutable_hash()->set_length(length);
  return Frame(m);
}

Bytes Download(const std::string& path) {
  v1::ClientMessage m;
  m.mutable_download()->set_path(path);
  return Frame(m);
}

Bytes Upload(const std::string& path, uint64_t size, bool overwrite = false) {
  v1::ClientMessage m;
  m.mutable_upload()->set_path(path);
  m.mutable_upload()->set_size(size);
  m.mutable_upload()->set_overwrite(overwrite);
  return Frame(m);
}

Bytes UploadEnd(uint64_t size, const std::string& digest) {
  v1::ClientMessage m;
  m.mutable_upload_end()->set_size(size);
  m.mutable_upload_end()->set_xxh3_128(digest);
  return Frame(m);
}

// A whole upload: request, data phase, UploadEnd with the true digest.
Bytes UploadWhole(const std::string& path, std::string_view contents, bool overwrite = false) {
  return Upload(path, contents.size(), overwrite) +
         ChunkFrames(contents, limits::kDefaultMaxFrameBytes - limits::kChunkOverheadBytes) +
         UploadEnd(contents.size(), DigestBytesOf(contents));
}

Bytes Cancel() {
  v1::ClientMessage m;
  m.mutable_cancel();
  return Frame(m);
}

Bytes Bye() {
  v1::ClientMessage m;
  m.mutable_bye();
  return Frame(m);
}

// ---------------------------------------------------------------------------
// Server messages

Bytes Welcome(uint32_t max_frame_bytes = limits::kDefaultMaxFrameBytes, uint32_t version = 1,
              std::initializer_list<const char*> capabilities = {}) {
  v1::ServerMessage m;
  v1::Welcome* w = m.mutable_welcome();
  w->set_version(version);
  w->set_server_name("ferryd/0.1.0");
  w->set_max_frame_bytes(max_frame_bytes);
  w->set_max_chunk_bytes(max_frame_bytes - limits::kChunkOverheadBytes);
  w->set_max_path_bytes(limits::kMaxPathBytes);
  w->set_max_list_entries(limits::kMaxListEntries);
  for (const char* capability : capabilities) w->add_capabilities(capability);
  return Frame(m);
}

struct Entry {
  const char* name;
  v1::FileType type;
  uint64_t size;
};

Bytes ListPage(std::initializer_list<Entry> entries, bool last) {
  v1::ServerMessage m;
  v1::ListReply* page = m.mutable_list();
  int64_t mtime = 1'700'000'000'000'000'000;
  for (const Entry& entry : entries) {
    v1::FileInfo* info = page->add_entries();
    info->set_name(entry.name);
    info->set_type(entry.type);
    info->set_size(entry.size);
    info->set_mtime_unix_ns(mtime += 1'000'000'000);
    info->set_mode(entry.type == v1::DIRECTORY ? 0755 : 0644);
  }
  page->set_last(last);
  return Frame(m);
}

Bytes StatReply(const char* name, uint64_t size) {
  v1::ServerMessage m;
  v1::FileInfo* info = m.mutable_stat()->mutable_info();
  info->set_name(name);
  info->set_type(v1::REGULAR);
  info->set_size(size);
  info->set_mtime_unix_ns(1'700'000'000'000'000'000);
  info->set_mode(0644);
  return Frame(m);
}

Bytes RemoveReply() {
  v1::ServerMessage m;
  m.mutable_remove();
  return Frame(m);
}

Bytes DownloadBegin(uint64_t size) {
  v1::ServerMessage m;
  m.mutable_download_begin()->set_size(size);
  m.mutable_download_begin()->set_mtime_unix_ns(1'700'000'000'000'000'000);
  return Frame(m);
}

Bytes DownloadEnd(uint64_t size, const std::string& digest) {
  v1::ServerMessage m;
  m.mutable_download_end()->set_size(size);
  m.mutable_download_end()->set_xxh3_128(digest);
  return Frame(m);
}

// A whole successful download of `contents` in chunks of at most `max_chunk`.
Bytes DownloadWhole(std::string_view contents, size_t max_chunk = 8) {
  return DownloadBegin(contents.size()) + ChunkFrames(contents, max_chunk) +
         DownloadEnd(contents.size(), DigestBytesOf(contents));
}

Bytes UploadReady() {
  v1::ServerMessage m;
  m.mutable_upload_ready();
  return Frame(m);
}

Bytes UploadDone(uint64_t size, const std::string& digest) {
  v1::ServerMessage m;
  m.mutable_upload_done()->set_size(size);
  m.mutable_upload_done()->set_xxh3_128(digest);
  return Frame(m);
}

Bytes ByeReply() {
  v1::ServerMessage m;
  m.mutable_bye();
  return Frame(m);
}

Bytes Error(v1::ErrorCode code, const char* message, const char* path = "", bool fatal = false) {
  v1::ServerMessage m;
  m.mutable_error()->set_code(code);
  m.mutable_error()->set_message(message);
  m.mutable_error()->set_path(path);
  m.mutable_error()->set_fatal(fatal);
  return Frame(m);
}

// ---------------------------------------------------------------------------
// Output

class CorpusWriter {
 public:
  explicit CorpusWriter(std::filesystem::path root) : root_(std::move(root)) {}

  void Write(const char* target, const char* name, const Bytes& bytes) {
    if (bytes.size() > kMaxSeedBytes) {
      std::fprintf(stderr, "seed %s/%s is %zu bytes, over the limit\n", target, name, bytes.size());
      std::exit(1);
    }
    const std::filesystem::path dir = root_ / target;
    std::filesystem::create_directories(dir);
    std::ofstream out(dir / name, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) {
      std::fprintf(stderr, "cannot write %s\n", (dir / name).c_str());
      std::exit(1);
    }
    ++written_;
  }

  int written() const { return written_; }

 private:
  std::filesystem::path root_;
  int written_ = 0;
};

// The client fuzzer's and the frame decoder's first input byte (see their headers).
Bytes Mode(uint8_t mode) { return Bytes(1, static_cast<char>(mode)); }
constexpr uint8_t kNoReadCap = 0x00;
constexpr uint8_t kOneByteReads = 0x01;
constexpr uint8_t kThreeByteReads = 0x03;
constexpr uint8_t kQuietPeer = 0x10;          // client fuzzer: ReadReady() is false
constexpr uint8_t kDefaultFrameLimit = 0x10;  // frame decoder: 1 MiB limit, not 64 KiB

// The files session_fuzzer.cc serves.
const std::string kSmallFile = "hello, ferry\n";
const std::string kBigFile(100'000, 'b');

// What client_fuzzer.cc uploads.
constexpr std::string_view kClientUpload = "ferry fuzz upload\n";

// ---------------------------------------------------------------------------
// session_fuzzer: the bytes a client sends.

std::vector<std::pair<const char*, Bytes>> SessionSeeds() {
  const std::string new_file = "uploaded by the corpus\n";
  Bytes eight_bad;
  for (int i = 0; i < limits::kMaxConsecutiveBadRequests; ++i) eight_bad += RawFrame("\xff\xff");
  return {
      {"hello_only", Hello()},
      {"hello_list_root", Hello() + List("")},
      {"hello_list_docs", Hello() + List("/docs/")},
      {"hello_list_file_not_a_directory", Hello() + List("a.txt")},
      {"hello_list_empty_dir", Hello() + List("empty")},
      {"hello_stat_file", Hello() + Stat("a.txt")},
      {"hello_stat_missing", Hello() + Stat("nope.txt")},
      {"hello_stat_invalid_path", Hello() + Stat("docs/../a.txt")},
      {"hello_remove_file", Hello() + Remove("docs/readme.md") + Stat("docs/readme.md")},
      {"hello_remove_directory", Hello() + Remove("docs")},
      {"hello_remove_root", Hello() + Remove("/")},
      {"hello_rename_file_then_back", Hello() + Rename("a.txt", "docs/moved.txt") +
                                          Stat("docs/moved.txt") +
                                          Rename("docs/moved.txt", "a.txt", true)},
      {"hello_rename_directory_into_itself", Hello() + Rename("docs", "docs/inner")},
      {"hello_hash_range_then_whole", Hello() + Hash("a.txt", 1, 3) + Hash("docs/big.bin")},
      {"hello_hash_then_cancel", Hello() + Hash("docs/big.bin") + Cancel() + Stat("a.txt")},
      {"hello_download_then_bye", Hello() + Download("a.txt") + Bye()},
      {"hello_download_big_64k_frames_then_list",
       Hello(limits::kMinFrameBytes) + Download("docs/big.bin") + List("docs")},
      {"hello_download_special_file", Hello() + Download("fifo")},
      {"hello_download_directory", Hello() + Download("docs")},
      {"hello_download_then_cancel", Hello() + Download("docs/big.bin") + Cancel() + Stat("a.txt")},
      {"hello_upload_then_download",
       Hello() + UploadWhole("docs/new.txt", new_file) + Download("docs/new.txt") + Bye()},
      {"hello_upload_overwrite", Hello() + UploadWhole("a.txt", new_file, true) + Stat("a.txt")},
      {"hello_upload_empty_file", Hello() + UploadWhole("empty/zero", "") + Stat("empty/zero")},
      {"hello_upload_exists_data_discarded", Hello() + UploadWhole("a.txt", new_file) + List("")},
      {"hello_upload_missing_parent", Hello() + UploadWhole("no/such/dir.txt", new_file)},
      {"hello_upload_wrong_digest",
       Hello() + Upload("w.txt", new_file.size()) + ChunkFrame(new_file) +
           UploadEnd(new_file.size(), DigestBytesOf("something else")) + Stat("w.txt")},
      {"hello_upload_short_digest",
       Hello() + Upload("w.txt", 3) + ChunkFrame("abc") + UploadEnd(3, "short")},
      {"hello_upload_more_than_size",
       Hello() + Upload("w.txt", 3) + ChunkFrame("abcdef") + UploadEnd(3, DigestBytesOf("abc"))},
      {"hello_upload_fewer_than_size",
       Hello() + Upload("w.txt", 10) + ChunkFrame("abc") + UploadEnd(10, DigestBytesOf("abc"))},
      {"hello_upload_cancel", Hello() + Upload("w.txt", 10) + ChunkFrame("abc") + Cancel() + Bye()},
      {"hello_upload_request_in_data_phase",
       Hello() + Upload("w.txt", 10) + ChunkFrame("abc") + Stat("a.txt")},
      // The same chunk spelled with an unknown envelope field: protobuf accepts
      // it, the fast path must hand it over.
      {"hello_upload_noncanonical_chunk", Hello() + Upload("n.txt", 3) +
                                              RawFrame("\x3a\x05\x0a\x03"
                                                       "abc"
                                                       "\xa0\x01\x07") +
                                              UploadEnd(3, DigestBytesOf("abc"))},
      {"hello_pipelined_requests", Hello() + Stat("a.txt") + List("docs/sub") +
                                       Download("docs/sub/deep.txt") + Stat("docs/sub/deep.txt") +
                                       Remove("docs/sub/deep.txt") + Bye()},
      {"hello_bye", Hello() + Bye() + Stat("a.txt")},
      {"hello_cancel_in_ready", Hello() + Cancel() + Stat("a.txt")},
      {"hello_chunk_in_ready", Hello() + ChunkFrame("stray") + UploadEnd(0, "") + Stat("a.txt")},
      {"hello_second_hello", Hello() + Hello() + Stat("a.txt")},
      {"hello_empty_envelope_unsupported", Hello() + RawFrame("\xa0\x01\x01")},
      {"hello_eight_malformed_requests", Hello() + eight_bad + Stat("a.txt")},
      {"hello_zero_length_frame", Hello() + BigEndian32(0)},
      {"hello_frame_over_negotiated_limit",
       Hello(limits::kMinFrameBytes) + BigEndian32(limits::kMinFrameBytes + 1) + "xyz"},
      {"hello_truncated_frame", Hello() + List("docs").substr(0, 6)},
      {"hello_small_max_frame", Hello(1024)},
      {"hello_unsupported_version", Hello(0, 2, 3)},
      {"hello_min_over_max", Hello(0, 2, 1)},
      {"request_before_hello", List("")},
      {"malformed_before_hello", RawFrame("\x0a\xff")},
      {"zero_length_first_frame", BigEndian32(0)},
      {"too_large_length_before_hello", BigEndian32(limits::kHandshakeMaxFrameBytes + 1) + "x"},
      {"huge_length_before_hello", BigEndian32(0xFFFFFFFF)},
  };
}

// ---------------------------------------------------------------------------
// client_fuzzer: a mode byte, then the bytes a server sends in reply to
// Hello, List docs, Stat a.txt, Download a.txt, Upload up.txt, Remove up.txt, Bye.

std::vector<std::pair<const char*, Bytes>> ClientSeeds() {
  const std::string upload_digest = DigestBytesOf(kClientUpload);
  const Bytes listing =
      ListPage({{"readme.md", v1::REGULAR, 28}, {"big.bin", v1::REGULAR, 100'000}}, false) +
      ListPage({{"sub", v1::DIRECTORY, 0}, {"link", v1::SYMLINK, 0}}, true);
  const Bytes after_download =
      UploadReady() + UploadDone(kClientUpload.size(), upload_digest) + RemoveReply() + ByeReply();
  const Bytes full = Concat({Welcome(), listing, StatReply("a.txt", kSmallFile.size()),
                             DownloadWhole(kSmallFile), after_download});
  return {
      {"welcome_only", Mode(kNoReadCap) + Welcome()},
      {"full_session", Mode(kQuietPeer | kOneByteReads) + full},
      {"full_session_reply_already_waiting", Mode(kNoReadCap) + full},
      {"full_session_short_reads", Mode(kQuietPeer | kThreeByteReads) + full},
      {"full_session_unknown_capabilities",
       Mode(kQuietPeer | kOneByteReads) +
           Welcome(limits::kMinFrameBytes, 1, {"read-only", "x-future"}) + listing +
           StatReply("a.txt", 13) + DownloadWhole(kSmallFile, 1) + after_download},
      {"error_for_each_request",
       Mode(kQuietPeer | kOneByteReads) +
           Concat({Welcome(), Error(v1::NOT_FOUND, "no such file", "docs"),
                   Error(v1::PERMISSION_DENIED, "permission denied", "a.txt"),
                   Error(v1::IS_A_DIRECTORY, "is a directory", "a.txt"),
                   Error(v1::ALREADY_EXISTS, "file exists", "up.txt"),
                   Error(v1::NOT_FOUND, "no such file", "up.txt"), ByeReply()})},
      {"unknown_error_code",
       Mode(kNoReadCap) + Welcome() + Error(static_cast<v1::ErrorCode>(99), "from the future")},
      {"download_wrong_digest",
       Mode(kQuietPeer | kOneByteReads) +
           Concat({Welcome(), ListPage({}, true), StatReply("a.txt", 13),
                   DownloadBegin(kSmallFile.size()), ChunkFrame(kSmallFile),
                   DownloadEnd(kSmallFile.size(), DigestBytesOf("other")), after_download})},
      {"download_more_than_announced",
       Mode(kQuietPeer | kOneByteReads) +
           Concat({Welcome(), ListPage({}, true), StatReply("a.txt", 13), DownloadBegin(4),
                   ChunkFrame(kSmallFile), after_download})},
      {"download_fewer_than_announced",
       Mode(kQuietPeer | kOneByteReads) +
           Concat({Welcome(), ListPage({}, true), StatReply("a.txt", 13), DownloadBegin(100),
                   ChunkFrame(kSmallFile), DownloadEnd(100, DigestBytesOf(kSmallFile)),
                   after_download})},
      {"download_error_after_chunk",
       Mode(kQuietPeer | kOneByteReads) +
           Concat({Welcome(), ListPage({}, true), StatReply("a.txt", 13),
                   DownloadBegin(kSmallFile.size()), ChunkFrame(kSmallFile.substr(0, 5)),
                   Error(v1::IO_ERROR, "file shrank while it was being sent", "a.txt"),
                   after_download})},
      {"download_noncanonical_chunk",
       Mode(kQuietPeer | kOneByteReads) +
           Concat({Welcome(), ListPage({}, true), StatReply("a.txt", 3), DownloadBegin(3),
                   RawFrame("\x3a\x05\x0a\x03"
                            "abc"
                            "\xa0\x01\x07"),
                   DownloadEnd(3, DigestBytesOf("abc")), after_download})},
      {"list_suspect_name",
       Mode(kQuietPeer | kOneByteReads) + Welcome() + ListPage({{"ok", v1::REGULAR, 1}}, false) +
           ListPage({{"..", v1::DIRECTORY, 0}, {"a/b", v1::REGULAR, 1}}, true) +
           StatReply("a.txt", 1) + DownloadWhole(kSmallFile) + after_download},
      {"list_error_after_page",
       Mode(kQuietPeer | kOneByteReads) + Welcome() + ListPage({{"ok", v1::REGULAR, 1}}, false) +
           Error(v1::IO_ERROR, "directory read failed", "docs") + StatReply("a.txt", 1) +
           DownloadWhole(kSmallFile) + after_download},
      {"unexpected_reply_kind", Mode(kNoReadCap) + Welcome() + StatReply("docs", 0) + ByeReply()},
      {"upload_early_error_while_sending",
       Mode(kNoReadCap) +
           Concat({Welcome(), ListPage({}, true), StatReply("a.txt", 13), DownloadWhole(kSmallFile),
                   UploadReady(), Error(v1::NO_SPACE, "no space left", "up.txt"), RemoveReply(),
                   ByeReply()})},
      {"upload_done_wrong_digest",
       Mode(kQuietPeer | kOneByteReads) +
           Concat({Welcome(), ListPage({}, true), StatReply("a.txt", 13), DownloadWhole(kSmallFile),
                   UploadReady(), UploadDone(kClientUpload.size(), DigestBytesOf("not it")),
                   RemoveReply()})},
      {"fatal_error_mid_session", Mode(kNoReadCap) + Welcome() +
                                      Error(v1::TIMEOUT, "idle for 300 s", "", /*fatal=*/true) +
                                      ListPage({}, true)},
      {"welcome_fatal_too_many_connections",
       Mode(kNoReadCap) + Error(v1::TOO_MANY_CONNECTIONS, "server is full", "", /*fatal=*/true)},
      {"welcome_unknown_version", Mode(kNoReadCap) + Welcome(limits::kDefaultMaxFrameBytes, 2)},
      {"welcome_frame_limit_too_small", Mode(kNoReadCap) + Welcome(1024)},
      {"frame_over_limit_after_welcome", Mode(kNoReadCap) + Welcome(limits::kMinFrameBytes) +
                                             BigEndian32(limits::kMinFrameBytes + 1) + "xyz"},
      {"malformed_payload_after_welcome", Mode(kNoReadCap) + Welcome() + RawFrame("\x12\xff")},
      {"zero_length_frame_after_welcome", Mode(kNoReadCap) + Welcome() + BigEndian32(0)},
      {"truncated_welcome", Mode(kOneByteReads) + Welcome().substr(0, 9)},
  };
}

// ---------------------------------------------------------------------------
// frame_decoder_fuzzer: a mode byte, then frames in either direction.

std::vector<std::pair<const char*, Bytes>> FrameSeeds() {
  const Bytes client_side = Concat({Hello(), List("docs"), Stat("a.txt"), Download("a.txt"),
                                    UploadWhole("up.txt", kClientUpload), Cancel(), Bye()});
  const Bytes server_side =
      Concat({Welcome(), ListPage({{"a.txt", v1::REGULAR, 13}}, true), StatReply("a.txt", 13),
              DownloadWhole(kSmallFile), UploadReady(), UploadDone(3, DigestBytesOf("abc")),
              Error(v1::NOT_FOUND, "no such file", "x"), ByeReply()});
  return {
      {"client_conversation", Mode(kNoReadCap) + client_side},
      {"client_conversation_one_byte_reads", Mode(kOneByteReads) + client_side},
      {"server_conversation", Mode(kNoReadCap) + server_side},
      {"server_conversation_three_byte_reads", Mode(kThreeByteReads) + server_side},
      {"chunk_of_one_byte", Mode(kNoReadCap) + ChunkFrame("x")},
      {"chunk_noncanonical_unknown_field", Mode(kNoReadCap) + RawFrame("\x3a\x05\x0a\x03"
                                                                       "abc"
                                                                       "\xa0\x01\x07")},
      {"chunk_overlong_varints", Mode(kNoReadCap) + RawFrame("\x3a\x86\x00\x0a\x83\x00"
                                                             "abc"sv)},
      {"chunk_empty", Mode(kNoReadCap) + RawFrame("\x3a\x02\x0a\x00"sv)},
      {"chunk_length_mismatch", Mode(kNoReadCap) + RawFrame("\x3a\x09\x0a\x03"
                                                            "abc")},
      {"chunk_large_default_limit",
       Mode(kDefaultFrameLimit) + ChunkFrame(Bytes(20'000, 'z')) + Stat("a.txt")},
      {"malformed_payload", Mode(kNoReadCap) + RawFrame("\x0a\xff\xff\xff\xff\xff")},
      {"zero_length", Mode(kNoReadCap) + BigEndian32(0) + Bye()},
      {"too_large_length", Mode(kNoReadCap) + BigEndian32(limits::kHandshakeMaxFrameBytes + 1)},
      {"huge_length", Mode(kDefaultFrameLimit) + BigEndian32(0xFFFFFFFF) + "abc"},
      {"truncated_header", Mode(kOneByteReads) + Bye() + Bytes("\x00\x00", 2)},
      {"truncated_payload", Mode(kNoReadCap) + Bye() + Stat("a.txt").substr(0, 7)},
  };
}

// ---------------------------------------------------------------------------
// path_fuzzer: path text.

std::vector<std::pair<const char*, Bytes>> PathSeeds() {
  // 16 names of 255 bytes, each followed by a slash: exactly 4096 bytes, valid.
  Bytes longest;
  for (int i = 0; i < 16; ++i) longest += Bytes(255, 'n') + "/";
  return {
      {"root_empty", ""},
      {"root_slash", "/"},
      {"plain", "docs/readme.md"},
      {"leading_and_trailing_slash", "/docs/sub/"},
      {"double_slash", "a//b"},
      {"dot", "a/./b"},
      {"dot_dot", "docs/../../etc/passwd"},
      {"percent_encoded_dot_dot", "%2e%2e/x"},
      {"backslash", "a\\..\\b"},
      {"reserved_prefix", "docs/.ferry-part.123"},
      {"dotfile", ".hidden/.ferry-partial"},
      {"utf8", "r\xc3\xa9sum\xc3\xa9/\xe6\x97\xa5\xe6\x9c\xac/\xf0\x9f\x93\x81"},
      {"invalid_utf8", "a/\xff\xfe"},
      {"overlong_utf8_slash",
       "a\xc0\xaf"
       "b"},
      {"surrogate", "\xed\xa0\x80x"},
      {"control_byte", "a\x01z"},
      {"delete_byte", "a\x7fz"},
      {"nul", Bytes("a\0b", 3)},
      {"component_255", Bytes(255, 'n') + "/x"},
      {"component_256", Bytes(256, 'n')},
      {"path_4096", longest},
      {"path_4097", longest + "x"},
  };
}

// ---------------------------------------------------------------------------
// upload_fuzzer: operations in the encoding upload_fuzzer.cc decodes.

namespace upload_ops {

// Indices into upload_fuzzer.cc's kPaths.
enum PathIndex : uint8_t {
  kA = 0,           // "a.txt", exists
  kNew = 1,         // "new.txt"
  kDocs = 4,        // "docs", a directory
  kFifo = 7,        // "fifo", a special file
  kMissingDir = 8,  // "missing/x"
  kUnderFile = 9,   // "a.txt/x"
  kReserved = 10,   // ".ferry-part.x"
  kRoot = 12,       // ""
  kSlashes = 13,    // "/new.txt/", the same file as "new.txt"
  kDeepNew = 15,    // "docs/sub/new.txt"
};
// Indices into kSizes; kSized reads a 16-bit size.
enum SizeIndex : uint8_t { kZero = 0, kTen = 3, kChunkLimit = 6, kOverChunkLimit = 7, kSized = 9 };
// Chunk length bytes that pick the limit, or one over it.
constexpr uint8_t kLengthAtLimit = 252;
constexpr uint8_t kLengthOverLimit = 250;
enum EndMode : uint8_t { kRight = 0, kSizePlusOne = 1, kDigestFlipped = 2, kShortDigest = 3 };

Bytes B(std::initializer_list<uint8_t> bytes) {
  Bytes out;
  for (const uint8_t b : bytes) out.push_back(static_cast<char>(b));
  return out;
}
Bytes Upload(uint8_t path, uint8_t size, bool overwrite = false) {
  return B({0, path, size, overwrite ? uint8_t{1} : uint8_t{0}});
}
Bytes UploadNamed(std::string_view path, uint8_t size) {
  return B({0, 240, static_cast<uint8_t>(path.size())}) + Bytes(path) + B({size, 0});
}
Bytes Chunk(uint8_t length, char fill = 'a') { return B({1, length, static_cast<uint8_t>(fill)}); }
Bytes End(uint8_t mode = kRight) { return B({2, mode}); }
Bytes CancelOp() { return B({3}); }
Bytes Stat(uint8_t path) { return B({4, path}); }
Bytes List(uint8_t path) { return B({5, path}); }
Bytes Disconnect() { return B({6}); }
Bytes DisconnectInFrame() { return B({7}); }

}  // namespace upload_ops

std::vector<std::pair<std::string, Bytes>> UploadSeeds() {
  using namespace upload_ops;
  return {
      {"new_file", Concat({Upload(kNew, kTen), Chunk(10), End(), List(kRoot), Stat(kNew)})},
      {"two_chunks",
       Concat({Upload(kDeepNew, kTen), Chunk(4, 'x'), Chunk(6, 'y'), End(), List(kDocs)})},
      {"overwrite", Concat({Upload(kA, kTen, true), Chunk(10), End(), Stat(kA)})},
      {"exists_without_overwrite", Concat({Upload(kA, kTen), Chunk(10), End(), Stat(kA)})},
      {"digest_flipped", Concat({Upload(kNew, kTen), Chunk(10), End(kDigestFlipped), Stat(kNew)})},
      {"overwrite_digest_flipped",
       Concat({Upload(kA, kTen, true), Chunk(10), End(kDigestFlipped), Stat(kA)})},
      {"end_size_plus_one", Concat({Upload(kNew, kTen), Chunk(10), End(kSizePlusOne)})},
      {"short_digest", Concat({Upload(kNew, kTen), Chunk(10), End(kShortDigest)})},
      {"more_than_announced", Concat({Upload(kNew, kTen), Chunk(6), Chunk(6), End(), Stat(kNew)})},
      {"fewer_than_announced", Concat({Upload(kNew, kTen), Chunk(5), End(), Stat(kNew)})},
      {"empty_chunk", Concat({Upload(kNew, kTen), Chunk(0), Chunk(10), End()})},
      {"cancel", Concat({Upload(kNew, kTen), Chunk(5), CancelOp(), Stat(kNew)})},
      {"empty_file", Concat({Upload(kNew, kZero), End(), List(kRoot)})},
      {"chunk_at_limit", Concat({Upload(kNew, kChunkLimit), Chunk(kLengthAtLimit), End()})},
      {"chunk_over_limit", Concat({Upload(kNew, kOverChunkLimit), Chunk(kLengthOverLimit), End()})},
      {"sized_upload",
       Concat({B({0, kNew, kSized, 0x2c, 0x01, 0}), Chunk(200), Chunk(100), End()})},
      {"reserved_name", Concat({Upload(kReserved, kTen), Chunk(10), End(), List(kRoot)})},
      {"into_directory", Concat({Upload(kDocs, kTen), Chunk(10), End()})},
      {"into_special_file", Concat({Upload(kFifo, kTen, true), Chunk(10), End()})},
      {"missing_parent", Concat({Upload(kMissingDir, kTen), Chunk(10), End()})},
      {"under_a_file", Concat({Upload(kUnderFile, kTen), Chunk(10), End()})},
      {"root", Concat({Upload(kRoot, kTen), Chunk(10), End()})},
      {"slashes_name_the_same_file",
       Concat({Upload(kSlashes, kTen), Chunk(10), End(), Upload(kNew, kTen), Chunk(10), End()})},
      {"named_path", Concat({UploadNamed("docs/fuzz.txt", kTen), Chunk(10), End(), List(kDocs)})},
      {"stat_intrudes", Concat({Upload(kNew, kTen), Chunk(5), Stat(kA), Chunk(5), End()})},
      {"list_intrudes", Concat({Upload(kNew, kTen), Chunk(5), List(kRoot)})},
      {"disconnect_in_data_phase", Concat({Upload(kNew, kTen), Chunk(10), Disconnect()})},
      {"disconnect_inside_end", Concat({Upload(kNew, kTen), Chunk(10), DisconnectInFrame()})},
      {"chunk_and_end_in_ready", Concat({Chunk(5), End(), CancelOp(), Stat(kA)})},
      {"second_upload_replaces_first",
       Concat({Upload(kNew, kTen), Chunk(10, 'a'), End(), Upload(kNew, kTen, true), Chunk(10, 'b'),
               End(), Upload(kNew, kTen, true), Chunk(10, 'c'), End(kDigestFlipped), Stat(kNew)})},
  };
}

// ---------------------------------------------------------------------------
// path_resolver_fuzzer: an operation byte, then a path into the tree that
// path_resolver_fuzzer.cc builds.

std::vector<std::pair<std::string, Bytes>> PathResolverSeeds() {
  const std::pair<const char*, char> ops[] = {{"stat", 0},   {"read", 1},   {"list", 2},
                                              {"remove", 3}, {"upload", 4}, {"overwrite", 12}};
  const std::pair<const char*, const char*> paths[] = {
      {"abs_secret", "abs-secret"},
      {"through_abs_outside", "abs-outside/secret.txt"},
      {"abs_outside", "abs-outside"},
      {"rel_secret", "rel-secret"},
      {"up_up", "docs/up-up"},
      {"through_up_up", "docs/up-up/hidden-dir/inner.txt"},
      {"rel_inner", "docs/rel-inner"},
      {"dangling", "dangling"},
      {"dangling_out", "dangling-out"},
      {"loop", "loop-a"},
      {"through_self", "self/x"},
      {"inside_link", "inside"},
      {"through_dir_link", "docs-link/readme.md"},
      {"plain_file", "a.txt"},
      {"root", ""},
  };
  std::vector<std::pair<std::string, Bytes>> seeds;
  for (const auto& [op_name, op] : ops) {
    for (const auto& [path_name, path] : paths) {
      seeds.emplace_back(std::string(op_name) + "_" + path_name, Bytes(1, op) + path);
    }
  }
  return seeds;
}

}  // namespace
}  // namespace ferry

int main(int argc, char** argv) {
  using namespace ferry;
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
    return 1;
  }
  CorpusWriter writer(argv[1]);
  for (const auto& [name, bytes] : SessionSeeds()) writer.Write("session_fuzzer", name, bytes);
  for (const auto& [name, bytes] : ClientSeeds()) writer.Write("client_fuzzer", name, bytes);
  for (const auto& [name, bytes] : FrameSeeds()) writer.Write("frame_decoder_fuzzer", name, bytes);
  for (const auto& [name, bytes] : PathSeeds()) writer.Write("path_fuzzer", name, bytes);
  for (const auto& [name, bytes] : UploadSeeds()) {
    writer.Write("upload_fuzzer", name.c_str(), bytes);
  }
  for (const auto& [name, bytes] : PathResolverSeeds()) {
    writer.Write("path_resolver_fuzzer", name.c_str(), bytes);
  }
  std::printf("wrote %d seeds under %s\n", writer.written(), argv[1]);
  return 0;
}
