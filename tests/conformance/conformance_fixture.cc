#include "tests/conformance/conformance_fixture.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <thread>

namespace ferry::conformance {

void PrintTo(const ServerFrame& frame, std::ostream* os) {
  if (frame.is_chunk()) {
    *os << "chunk of " << frame.chunk_data().size() << " bytes";
  } else if (frame.message.body_case() == v1::ServerMessage::BODY_NOT_SET) {
    *os << "(no frame, or a frame with no body; payload of " << frame.payload.size() << " bytes)";
  } else {
    *os << frame.message.ShortDebugString();
  }
}

std::vector<NamedFrame> RequestFrames() {
  return {
      {"Hello", Frame(Hello())},
      {"List", Frame(ListMessage(""))},
      {"Stat", Frame(StatMessage("victim.txt"))},
      {"Remove", Frame(RemoveMessage("victim.txt"))},
      {"MakeDirectory", Frame(MakeDirectoryMessage("victim_dir"))},
      {"RemoveDirectory", Frame(RemoveDirectoryMessage("victim_dir"))},
      {"Rename", Frame(RenameMessage("victim_dir", "renamed_dir"))},
      {"Hash", Frame(HashMessage("victim.txt"))},
      {"Download", Frame(DownloadMessage("victim.txt"))},
      {"Upload", Frame(UploadMessage("victim.txt", 0, /*overwrite=*/true))},
      {"Bye", Frame(ByeMessage())},
      {"NoBody", Frame(NoBodyPayload())},
      {"Unparsable", Frame(UnparsablePayload())},
  };
}

void ConformanceTest::SetUp() {
  std::filesystem::create_directory(root_);
  std::filesystem::create_directory(outside_);
  FERRY_ASSERT_OK(server_.Start(root_, ServerArgs()));
  if (OpenClientInSetUp()) {
    client_ = OpenSession();
    ASSERT_NE(client_, nullptr);
  }
}

void ConformanceTest::TearDown() {
  if (HasFailure()) std::cerr << "--- ferryd log ---\n" << server_.Log() << "------------------\n";
}

std::unique_ptr<RawConnection> ConformanceTest::Connect(int receive_buffer_bytes) {
  auto connection = RawConnection::Connect(server_.port(), receive_buffer_bytes);
  if (!connection.ok()) {
    ADD_FAILURE() << "cannot connect to ferryd: " << connection.status().ToString();
    return nullptr;
  }
  return std::move(*connection);
}

std::unique_ptr<RawConnection> ConformanceTest::OpenSession(uint32_t max_frame_bytes,
                                                            int receive_buffer_bytes) {
  std::unique_ptr<RawConnection> connection = Connect(receive_buffer_bytes);
  if (connection == nullptr) return nullptr;
  const auto welcome = connection->Handshake(max_frame_bytes);
  if (!welcome.ok()) {
    ADD_FAILURE() << "handshake failed: " << welcome.status().ToString();
    return nullptr;
  }
  return connection;
}

ServerFrame ConformanceTest::Read(RawConnection& connection) {
  auto frame = connection.ReadFrame();
  if (!frame.ok()) {
    ADD_FAILURE() << "reading a server frame failed: " << frame.status().ToString();
    return ServerFrame{};
  }
  return std::move(*frame);
}

ServerFrame ConformanceTest::Call(RawConnection& connection, const v1::ClientMessage& message) {
  if (const Status sent = connection.SendFrame(message); !sent.ok()) {
    ADD_FAILURE() << "sending " << message.ShortDebugString() << " failed: " << sent.ToString();
    return ServerFrame{};
  }
  return Read(connection);
}

std::vector<ServerFrame> ConformanceTest::ReadListing(RawConnection& connection) {
  std::vector<ServerFrame> pages;
  while (true) {
    pages.push_back(Read(connection));
    const v1::ServerMessage& message = pages.back().message;
    if (!message.has_list() || message.list().last()) return pages;
  }
}

DownloadResult ConformanceTest::ReadDownload(RawConnection& connection) {
  DownloadResult result;
  ServerFrame first = Read(connection);
  if (!first.message.has_download_begin()) {
    result.terminal = std::move(first);
    return result;
  }
  result.begin = first.message.download_begin();
  while (true) {
    ServerFrame frame = Read(connection);
    if (!frame.is_chunk()) {
      result.terminal = std::move(frame);
      return result;
    }
    result.data += frame.chunk_data();
    result.chunks.push_back(std::move(frame));
  }
}

ServerFrame ConformanceTest::Upload(RawConnection& connection, std::string_view path,
                                    std::string_view content, bool overwrite, size_t chunk_size) {
  ServerFrame ready = Call(connection, UploadMessage(path, content.size(), overwrite));
  if (!ready.message.has_upload_ready()) {
    // An early error: end the data phase at once (R-UPLOAD-10); no reply follows.
    connection.SendFrame(CancelMessage()).IgnoreError();
    return ready;
  }
  for (size_t offset = 0; offset < content.size(); offset += chunk_size) {
    if (const Status sent = connection.SendChunk(content.substr(offset, chunk_size)); !sent.ok()) {
      ADD_FAILURE() << "sending a chunk failed: " << sent.ToString();
      return ServerFrame{};
    }
  }
  return Call(connection, UploadEndMessage(content.size(), WireDigest(content)));
}

bool ConformanceTest::WaitForLog(std::string_view text) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    if (server_.Log().find(text) != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ADD_FAILURE() << "the server log never showed \"" << text << "\"";
  return false;
}

void ConformanceTest::Put(std::string_view relative, std::string_view content) {
  const std::filesystem::path path = root_ / relative;
  std::filesystem::create_directories(path.parent_path());
  const Status written = WriteFile(path, content);
  if (!written.ok()) ADD_FAILURE() << "cannot write " << path << ": " << written.ToString();
}

std::string ConformanceTest::Get(std::string_view relative) {
  auto content = ReadFile(root_ / relative);
  if (!content.ok()) {
    ADD_FAILURE() << "cannot read " << relative << ": " << content.status().ToString();
    return "";
  }
  return *content;
}

bool ConformanceTest::Exists(std::string_view relative) const {
  std::error_code error;
  return std::filesystem::symlink_status(root_ / relative, error).type() !=
         std::filesystem::file_type::not_found;
}

std::vector<std::string> ConformanceTest::Temporaries() const {
  std::vector<std::string> found;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root_)) {
    if (entry.path().filename().string().starts_with(".ferry-part.")) {
      found.push_back(std::filesystem::relative(entry.path(), root_).string());
    }
  }
  return found;
}

}  // namespace ferry::conformance

namespace ferry::conformance {

void ConformanceTest::MakeFifo(const std::filesystem::path& path) {
  const std::filesystem::path full = root_ / path;
  if (mkfifo(full.c_str(), 0644) != 0)
    ADD_FAILURE() << "mkfifo " << full << ": " << strerror(errno);
}

void ConformanceTest::MakeSocket(const std::filesystem::path& path) {
  const std::filesystem::path full = root_ / path;
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (full.string().size() >= sizeof(address.sun_path)) {
    ADD_FAILURE() << "socket path too long: " << full;
    return;
  }
  std::strcpy(address.sun_path, full.c_str());
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
    ADD_FAILURE() << "cannot create socket " << full << ": " << strerror(errno);
  }
  if (fd >= 0) close(fd);  // the socket file stays
}

void ConformanceTest::MakeSymlink(const std::filesystem::path& target,
                                  const std::filesystem::path& link) {
  std::error_code error;
  std::filesystem::create_symlink(target, root_ / link, error);
  if (error) ADD_FAILURE() << "symlink " << link << " -> " << target << ": " << error.message();
}

void ConformanceTest::SetMtime(const std::filesystem::path& path, int64_t unix_ns) {
  const std::filesystem::path full = root_ / path;
  const timespec times[2] = {{unix_ns / 1'000'000'000, unix_ns % 1'000'000'000},
                             {unix_ns / 1'000'000'000, unix_ns % 1'000'000'000}};
  if (utimensat(AT_FDCWD, full.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0) {
    ADD_FAILURE() << "utimensat " << full << ": " << strerror(errno);
  }
}

}  // namespace ferry::conformance
