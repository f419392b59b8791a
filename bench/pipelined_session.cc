#include "bench/pipelined_session.h"

#include <atomic>
#include <thread>

#include "ferry/v1/ferry.pb.h"
#include "src/base/digest.h"
#include "src/codec/limits.h"
#include "src/codec/messages.h"
#include "src/codec/wire_error.h"

namespace ferry::bench {
namespace {

Status Unexpected(const DecodedFrame<v1::ServerMessage>& frame) {
  if (!frame.is_chunk && frame.message.has_error()) return FromWireError(frame.message.error());
  return Status::Error(StatusCode::kUnexpectedMessage, "server sent an unexpected message");
}

}  // namespace

PipelinedSession::PipelinedSession(std::unique_ptr<SocketStream> stream)
    : stream_(std::move(stream)), reader_(stream_.get(), limits::kHandshakeMaxFrameBytes) {
  stream_->SetIoTimeout(std::chrono::seconds(60));
}

StatusOr<std::unique_ptr<PipelinedSession>> PipelinedSession::Connect(const HostPort& server) {
  FERRY_ASSIGN_OR_RETURN(std::unique_ptr<SocketStream> stream,
                         ::ferry::Connect(server, std::chrono::seconds(10)));
  std::unique_ptr<PipelinedSession> session(new PipelinedSession(std::move(stream)));
  FERRY_RETURN_IF_ERROR(session->Handshake());
  return session;
}

Status PipelinedSession::Handshake() {
  v1::ClientMessage hello;
  hello.mutable_hello()->set_min_version(limits::kProtocolVersion);
  hello.mutable_hello()->set_max_version(limits::kProtocolVersion);
  hello.mutable_hello()->set_client_name("ferry_bench");
  FERRY_RETURN_IF_ERROR(FrameWriter(stream_.get()).Write(hello));
  FERRY_ASSIGN_OR_RETURN(std::span<const uint8_t> payload, reader_.ReadFrame());
  DecodedFrame<v1::ServerMessage> frame;
  FERRY_RETURN_IF_ERROR(DecodeServerFrame(payload, &frame));
  if (frame.is_chunk || !frame.message.has_welcome()) return Unexpected(frame);
  reader_.set_max_frame_bytes(frame.message.welcome().max_frame_bytes());
  max_chunk_bytes_ = frame.message.welcome().max_chunk_bytes();
  return Status::Ok();
}

Status PipelinedSession::UploadAll(const std::vector<std::string>& names,
                                   const std::vector<uint8_t>& data) {
  if (data.empty() || data.size() > max_chunk_bytes_) {
    return Status::Error(StatusCode::kInvalidArgument, "one chunk per file in this benchmark");
  }
  const std::string digest = DigestToBytes(DigestOf(data));
  Status write_status;
  std::thread writer([&] {
    FrameWriter frames(stream_.get());
    v1::ClientMessage request, end;
    end.mutable_upload_end()->set_size(data.size());
    end.mutable_upload_end()->set_xxh3_128(digest);
    for (const std::string& name : names) {
      v1::UploadRequest* upload = request.mutable_upload();
      upload->set_path(name);
      upload->set_size(data.size());
      upload->set_overwrite(true);
      write_status = frames.Write(request);
      if (write_status.ok()) write_status = frames.WriteChunk(data);
      if (write_status.ok()) write_status = frames.Write(end);
      if (!write_status.ok()) return;
    }
  });
  Status read_status;
  DecodedFrame<v1::ServerMessage> frame;
  for (size_t i = 0; i < names.size() * 2 && read_status.ok(); ++i) {
    auto payload = reader_.ReadFrame();
    if (!payload.ok()) {
      read_status = payload.status();
      break;
    }
    read_status = DecodeServerFrame(*payload, &frame);
    if (!read_status.ok()) break;
    const bool want_ready = i % 2 == 0;
    if (frame.is_chunk || (want_ready && !frame.message.has_upload_ready()) ||
        (!want_ready &&
         (!frame.message.has_upload_done() || frame.message.upload_done().xxh3_128() != digest))) {
      read_status = Unexpected(frame);
    }
  }
  if (!read_status.ok()) stream_->Shutdown();  // unblocks the writer
  writer.join();
  FERRY_RETURN_IF_ERROR(read_status);
  return write_status;
}

Status PipelinedSession::DownloadAll(const std::vector<std::string>& names,
                                     uint64_t expected_size) {
  Status write_status;
  std::thread writer([&] {
    FrameWriter frames(stream_.get());
    v1::ClientMessage request;
    for (const std::string& name : names) {
      request.mutable_download()->set_path(name);
      write_status = frames.Write(request);
      if (!write_status.ok()) return;
    }
  });
  Status read_status;
  DecodedFrame<v1::ServerMessage> frame;
  StreamingDigest digest;
  uint64_t received = 0;
  for (size_t file = 0; file < names.size() && read_status.ok();) {
    auto payload = reader_.ReadFrame();
    if (!payload.ok()) {
      read_status = payload.status();
      break;
    }
    read_status = DecodeServerFrame(*payload, &frame);
    if (!read_status.ok()) break;
    if (frame.is_chunk) {
      digest.Update(frame.chunk);
      received += frame.chunk.size();
    } else if (frame.message.has_download_begin()) {
      digest.Reset();
      received = 0;
      if (frame.message.download_begin().size() != expected_size) {
        read_status = Status::Error(StatusCode::kSizeMismatch, "unexpected file size");
      }
    } else if (frame.message.has_download_end()) {
      Digest claimed;
      if (received != expected_size ||
          !DigestFromBytes(frame.message.download_end().xxh3_128(), &claimed) ||
          claimed != digest.Finish()) {
        read_status = Status::Error(StatusCode::kChecksumMismatch, "download digest differs");
      }
      ++file;
    } else {
      read_status = Unexpected(frame);
    }
  }
  if (!read_status.ok()) stream_->Shutdown();
  writer.join();
  FERRY_RETURN_IF_ERROR(read_status);
  return write_status;
}

}  // namespace ferry::bench
