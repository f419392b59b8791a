// SessionRig: a real Session serving a FileSystem on one end of a socket pair and
// the Client library on the other, each on its own thread, so a reliability test
// drives whole transfers through the real protocol code without a process.
//
// Helpers transfer whole strings and read back what the disk or the protocol
// shows, so each trial reads as: arm a fault, transfer, check.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "src/base/status.h"
#include "src/client/client.h"
#include "src/codec/limits.h"
#include "src/fs/file_system.h"
#include "src/net/socket.h"

namespace ferry::reliability {

// A few chunks at the smallest frame limit, so a transfer has several steps.
inline constexpr size_t kRigFrameBytes = limits::kMinFrameBytes;
inline constexpr size_t kRigChunkBytes = kRigFrameBytes - limits::kChunkOverheadBytes;

// A failure a disk gives, and the code it must reach the client as (the errno
// column of spec 9.1).
struct InjectedErrno {
  int err;
  StatusCode code;
};

class SessionRig {
 public:
  // Serves `fs` (which must outlive the rig) and connects a client to it.
  explicit SessionRig(FileSystem* fs);
  ~SessionRig();  // the client leaves; the session ends
  SessionRig(const SessionRig&) = delete;
  SessionRig& operator=(const SessionRig&) = delete;

  bool ok() const { return client_ != nullptr; }
  Client& client() { return *client_; }

  StatusOr<TransferResult> Upload(std::string_view remote, const std::string& contents,
                                  bool overwrite);
  StatusOr<std::string> Download(std::string_view remote);
  // The names a listing of `directory` shows through the protocol.
  StatusOr<std::vector<std::string>> ListNames(std::string_view directory);

 private:
  std::unique_ptr<SocketStream> server_stream_;
  std::thread server_;
  std::unique_ptr<Client> client_;
};

// A deterministic byte pattern, different for each `seed`.
std::string Pattern(size_t size, uint64_t seed);

// Upload temporaries anywhere under `root` on disk.
size_t TemporariesOnDisk(const std::filesystem::path& root);

// The bytes by which `actual` differs from `expected`: the differing positions
// plus the difference in length. 0 when they are equal.
uint64_t BytesDiffering(std::string_view expected, std::string_view actual);

}  // namespace ferry::reliability
