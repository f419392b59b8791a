#include "tests/testing/session_driver.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <utility>

#include "src/auth/token_verifier.h"
#include "src/base/digest.h"
#include "src/codec/frame.h"
#include "src/codec/limits.h"
#include "src/codec/messages.h"
#include "src/net/memory_stream.h"

namespace ferry::testing {
namespace {

std::span<const uint8_t> AsBytes(std::string_view text) {
  return {reinterpret_cast<const uint8_t*>(text.data()), text.size()};
}

// A MemoryStream whose input is released in segments, each once the server has
// written a given number of frames (ClientScript::AfterServerFrames).
class GatedStream : public Stream {
 public:
  GatedStream(std::string input, std::vector<ClientScript::Gate> gates, size_t max_read)
      : input_(std::move(input)), gates_(std::move(gates)), max_read_(max_read) {}

  StatusOr<size_t> ReadSome(std::span<uint8_t> out) override {
    if (closed_ || position_ == input_.size()) {
      if (!closed_ && !Released(position_)) return TimedOut();
      return Status::Error(StatusCode::kConnectionClosed, "end of input");
    }
    if (!Released(position_)) return TimedOut();
    // Never hand out bytes across a gate, so buffering cannot defeat it.
    const size_t n = std::min({out.size(), SegmentEnd(position_) - position_, max_read_});
    std::memcpy(out.data(), input_.data() + position_, n);
    position_ += n;
    return n;
  }

  Status Write(std::span<const uint8_t> first, std::span<const uint8_t> second) override {
    if (closed_) return Status::Error(StatusCode::kConnectionClosed, "stream shut down");
    for (std::span<const uint8_t> part : {first, second}) {
      output_.append(reinterpret_cast<const char*>(part.data()), part.size());
    }
    CountFrames();
    return Status::Ok();
  }

  bool ReadReady() override { return closed_ || Released(position_); }
  void SetIoTimeout(std::chrono::milliseconds) override {}
  void SetDeadline(std::optional<std::chrono::steady_clock::time_point>) override {}
  void Shutdown() override { closed_ = true; }

  const std::string& output() const { return output_; }
  bool closed() const { return closed_; }

 private:
  static Status TimedOut() {
    return Status::Error(StatusCode::kTimeout,
                         "the scripted client waits for more server frames before sending");
  }

  // The gate that governs the byte at `offset`: the last one at or before it.
  bool Released(size_t offset) const {
    size_t needed = 0;
    for (const ClientScript::Gate& gate : gates_) {
      if (gate.offset <= offset) needed = gate.server_frames;
    }
    return frames_written_ >= needed;
  }

  size_t SegmentEnd(size_t offset) const {
    for (const ClientScript::Gate& gate : gates_) {
      if (gate.offset > offset) return gate.offset;
    }
    return input_.size();
  }

  void CountFrames() {
    while (output_.size() - parsed_ >= limits::kFrameHeaderBytes) {
      const uint32_t length = DecodeFrameLength(std::span<const uint8_t, 4>(
          reinterpret_cast<const uint8_t*>(output_.data()) + parsed_, 4));
      if (output_.size() - parsed_ < limits::kFrameHeaderBytes + length) break;
      parsed_ += limits::kFrameHeaderBytes + length;
      ++frames_written_;
    }
  }

  const std::string input_;
  const std::vector<ClientScript::Gate> gates_;
  const size_t max_read_;
  size_t position_ = 0;
  std::string output_;
  size_t parsed_ = 0;
  size_t frames_written_ = 0;
  bool closed_ = false;
};

void DecodeOutput(const std::string& output, SessionResult* result) {
  const std::span<const uint8_t> bytes = AsBytes(output);
  size_t pos = 0;
  DecodedFrame<v1::ServerMessage> frame;
  while (pos < bytes.size()) {
    if (bytes.size() - pos < limits::kFrameHeaderBytes) {
      result->decode_error = "output ends inside a frame header";
      return;
    }
    const uint32_t length = DecodeFrameLength(bytes.subspan(pos).first<4>());
    pos += limits::kFrameHeaderBytes;
    if (bytes.size() - pos < length) {
      result->decode_error = "output ends inside a frame payload";
      return;
    }
    const std::span<const uint8_t> payload = bytes.subspan(pos, length);
    pos += length;
    if (const Status decoded = DecodeServerFrame(payload, &frame); !decoded.ok()) {
      result->decode_error = "frame " + std::to_string(result->messages.size()) +
                             " does not parse: " + decoded.ToString();
      return;
    }
    v1::ServerMessage message = frame.message;
    if (frame.is_chunk) {
      const std::string data(reinterpret_cast<const char*>(frame.chunk.data()), frame.chunk.size());
      result->chunk_sizes.push_back(data.size());
      result->chunk_bytes += data;
      result->all_chunks_canonical =
          result->all_chunks_canonical && ParseCanonicalChunk(payload).has_value();
      message.mutable_chunk()->set_data(data);
    }
    result->messages.push_back(std::move(message));
    result->frame_sizes.push_back(length);
  }
}

}  // namespace

std::string DigestBytes(std::string_view contents) {
  return DigestToBytes(DigestOf(AsBytes(contents)));
}

ClientScript& ClientScript::Hello(uint32_t max_frame_bytes) { return Hello(1, 1, max_frame_bytes); }

ClientScript& ClientScript::Hello(uint32_t min_version, uint32_t max_version,
                                  uint32_t max_frame_bytes) {
  v1::ClientMessage message;
  v1::Hello* hello = message.mutable_hello();
  hello->set_min_version(min_version);
  hello->set_max_version(max_version);
  hello->set_client_name("session-driver");
  hello->set_max_frame_bytes(max_frame_bytes);
  return Message(message);
}

ClientScript& ClientScript::List(std::string_view path) {
  v1::ClientMessage message;
  message.mutable_list()->set_path(std::string(path));
  return Message(message);
}

ClientScript& ClientScript::Stat(std::string_view path) {
  v1::ClientMessage message;
  message.mutable_stat()->set_path(std::string(path));
  return Message(message);
}

ClientScript& ClientScript::Remove(std::string_view path) {
  v1::ClientMessage message;
  message.mutable_remove()->set_path(std::string(path));
  return Message(message);
}

ClientScript& ClientScript::MakeDirectory(std::string_view path) {
  v1::ClientMessage message;
  message.mutable_make_directory()->set_path(std::string(path));
  return Message(message);
}

ClientScript& ClientScript::RemoveDirectory(std::string_view path) {
  v1::ClientMessage message;
  message.mutable_remove_directory()->set_path(std::string(path));
  return Message(message);
}

ClientScript& ClientScript::Rename(std::string_view from, std::string_view to, bool overwrite) {
  v1::ClientMessage message;
  message.mutable_rename()->set_from(std::string(from));
  message.mutable_rename()->set_to(std::string(to));
  message.mutable_rename()->set_overwrite(overwrite);
  return Message(message);
}

ClientScript& ClientScript::Hash(std::string_view path, uint64_t offset, uint64_t length) {
  v1::ClientMessage message;
  message.mutable_hash()->set_path(std::string(path));
  message.mutable_hash()->set_offset(offset);
  message.mutable_hash()->set_length(length);
  return Message(message);
}

ClientScript& ClientScript::Download(std::string_view path) {
  v1::ClientMessage message;
  message.mutable_download()->set_path(std::string(path));
  return Message(message);
}

ClientScript& ClientScript::Upload(std::string_view path, uint64_t size, bool overwrite) {
  v1::ClientMessage message;
  v1::UploadRequest* upload = message.mutable_upload();
  upload->set_path(std::string(path));
  upload->set_size(size);
  upload->set_overwrite(overwrite);
  return Message(message);
}

ClientScript& ClientScript::Chunk(std::string_view data) {
  const ChunkFrameHeader header = EncodeChunkFrameHeader(static_cast<uint32_t>(data.size()));
  bytes_.append(reinterpret_cast<const char*>(header.bytes.data()), header.size);
  bytes_.append(data);
  return *this;
}

ClientScript& ClientScript::UploadEnd(uint64_t size, std::string_view digest) {
  v1::ClientMessage message;
  message.mutable_upload_end()->set_size(size);
  message.mutable_upload_end()->set_xxh3_128(std::string(digest));
  return Message(message);
}

ClientScript& ClientScript::UploadData(std::string_view contents, size_t chunk_bytes) {
  for (size_t offset = 0; offset < contents.size(); offset += chunk_bytes) {
    Chunk(contents.substr(offset, chunk_bytes));
  }
  return UploadEnd(contents.size(), DigestBytes(contents));
}

ClientScript& ClientScript::Cancel() {
  v1::ClientMessage message;
  message.mutable_cancel();
  return Message(message);
}

ClientScript& ClientScript::Bye() {
  v1::ClientMessage message;
  message.mutable_bye();
  return Message(message);
}

ClientScript& ClientScript::Message(const v1::ClientMessage& message) {
  std::string frame;
  if (!EncodeFrame(message, &frame)) ADD_FAILURE() << "cannot encode " << message.DebugString();
  bytes_ += frame;
  return *this;
}

ClientScript& ClientScript::Frame(std::string_view payload) {
  const auto length = static_cast<uint32_t>(payload.size());
  const char header[4] = {static_cast<char>(length >> 24), static_cast<char>(length >> 16),
                          static_cast<char>(length >> 8), static_cast<char>(length)};
  bytes_.append(header, sizeof(header));
  bytes_.append(payload);
  return *this;
}

ClientScript& ClientScript::Raw(std::string_view bytes) {
  bytes_.append(bytes);
  return *this;
}

ClientScript& ClientScript::AfterServerFrames(size_t server_frames) {
  gates_.push_back(Gate{bytes_.size(), server_frames});
  return *this;
}

std::vector<v1::ServerMessage> SessionResult::Replies() const {
  std::vector<v1::ServerMessage> replies;
  for (size_t i = 0; i < messages.size(); ++i) {
    if (i == 0 && messages[i].has_welcome()) continue;
    if (messages[i].has_chunk()) continue;
    replies.push_back(messages[i]);
  }
  return replies;
}

size_t SessionResult::LargestFrame() const {
  return frame_sizes.empty() ? 0 : *std::max_element(frame_sizes.begin(), frame_sizes.end());
}

SessionResult RunSession(const ClientScript& script, FileSystem* fs, SessionOptions options,
                         size_t max_read) {
  SessionResult result;
  const auto observe = [&result](const RequestRecord& record) { result.records.push_back(record); };
  if (script.gates().empty()) {
    MemoryStream stream(script.bytes(), max_read);
    Session session(&stream, fs, std::move(options), observe);
    result.status = session.Run();
    result.stream_shut_down = stream.closed();
    DecodeOutput(stream.output(), &result);
  } else {
    GatedStream stream(script.bytes(), script.gates(), max_read);
    Session session(&stream, fs, std::move(options), observe);
    result.status = session.Run();
    result.stream_shut_down = stream.closed();
    DecodeOutput(stream.output(), &result);
  }
  return result;
}

SessionResult RunSessionExpectingFrames(const ClientScript& script, FileSystem* fs,
                                        SessionOptions options, size_t max_read) {
  SessionResult result = RunSession(script, fs, std::move(options), max_read);
  EXPECT_THAT(result.decode_error, ::testing::IsEmpty())
      << "the server wrote something that is not frames";
  return result;
}

SessionOptions TokenOptions(std::string_view token, std::chrono::milliseconds failure_delay) {
  SessionOptions options;
  options.token = std::make_shared<const TokenVerifier>(TokenVerifier::Create(token).value());
  options.auth_failure_delay = failure_delay;
  return options;
}

v1::ClientMessage AuthenticateMessage(std::string_view token) {
  v1::ClientMessage message;
  message.mutable_authenticate()->set_token(std::string(token));
  return message;
}

}  // namespace ferry::testing
