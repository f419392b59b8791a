#include "tests/reliability/session_rig.h"

#include <sys/socket.h>

#include <algorithm>
#include <cstring>

#include "src/fs/path.h"
#include "src/server/session.h"

namespace ferry::reliability {

SessionRig::SessionRig(FileSystem* fs) {
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) return;
  server_stream_ = std::make_unique<SocketStream>(fds[0]);
  server_ = std::thread([this, fs] {
    Session session(server_stream_.get(), fs, SessionOptions{});
    session.Run().IgnoreError();  // tests assert through the client
  });
  ClientOptions options;
  options.max_frame_bytes = kRigFrameBytes;
  auto client = Client::Open(std::make_unique<SocketStream>(fds[1]), options);
  if (client.ok()) client_ = std::move(*client);
}

SessionRig::~SessionRig() {
  client_.reset();
  if (server_.joinable()) server_.join();
}

StatusOr<TransferResult> SessionRig::Upload(std::string_view remote, const std::string& contents,
                                            bool overwrite) {
  size_t offset = 0;
  TransferOptions options;
  options.overwrite = overwrite;
  return client_->Upload(
      remote, contents.size(),
      [&](std::span<uint8_t> out) {
        const size_t n = std::min(out.size(), contents.size() - offset);
        std::memcpy(out.data(), contents.data() + offset, n);
        offset += n;
        return StatusOr<size_t>(n);
      },
      options);
}

StatusOr<std::string> SessionRig::Download(std::string_view remote) {
  std::string received;
  FERRY_RETURN_IF_ERROR(client_
                            ->Download(remote,
                                       [&](std::span<const uint8_t> data) {
                                         received.append(reinterpret_cast<const char*>(data.data()),
                                                         data.size());
                                         return Status::Ok();
                                       })
                            .status());
  return received;
}

StatusOr<std::vector<std::string>> SessionRig::ListNames(std::string_view directory) {
  FERRY_ASSIGN_OR_RETURN(std::vector<FileInfo> entries, client_->List(directory));
  std::vector<std::string> names;
  for (const FileInfo& entry : entries) names.push_back(entry.name);
  std::sort(names.begin(), names.end());
  return names;
}

std::string Pattern(size_t size, uint64_t seed) {
  std::string out(size, '\0');
  uint64_t state = seed * 0x9E3779B97F4A7C15ull + 1;
  for (size_t i = 0; i < size; ++i) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    out[i] = static_cast<char>(state >> 56);
  }
  return out;
}

size_t TemporariesOnDisk(const std::filesystem::path& root) {
  size_t count = 0;
  std::error_code error;
  for (auto it = std::filesystem::recursive_directory_iterator(root, error);
       it != std::filesystem::recursive_directory_iterator(); it.increment(error)) {
    if (error) break;
    if (IsReservedName(it->path().filename().string())) ++count;
  }
  return count;
}

uint64_t BytesDiffering(std::string_view expected, std::string_view actual) {
  const size_t common = std::min(expected.size(), actual.size());
  uint64_t differing = std::max(expected.size(), actual.size()) - common;
  for (size_t i = 0; i < common; ++i) differing += expected[i] != actual[i];
  return differing;
}

}  // namespace ferry::reliability
