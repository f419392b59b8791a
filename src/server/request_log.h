// One log line per request: who, what, which path, how much, the result, how long,
// as human-readable text or as one JSON object per line.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>
#include <string_view>

#include "src/server/session.h"

namespace ferry {

enum class LogFormat { kText, kJson };

// Which request a line is about. Connection ids count up from c1 in each server
// run; requests count up from 1 on each connection, in the order the client sent
// them, so a client can name its own request ("c17/4") without the server telling
// it anything.
struct RequestId {
  std::string connection;  // "c17"
  uint64_t number = 0;     // 4; 0 for connection events
  std::string ToString() const;
};

class RequestLog {
 public:
  // Lines go to `out` (not owned), whole lines at a time from any thread.
  explicit RequestLog(std::FILE* out, LogFormat format = LogFormat::kText)
      : out_(out), format_(format) {}

  // The id of a new connection; unique within this log's lifetime.
  std::string NewConnectionId();

  void Request(const std::string& peer, const RequestId& id, const RequestRecord& record);
  // A connection-level event: "connect", "disconnect", "refused", "tls-failed".
  void Event(const std::string& peer, const std::string& connection, const std::string& event,
             const Status& status);

  // The line for one request (without the time stamp and newline), e.g.
  //   peer=127.0.0.1:5000 id=c3/1 cmd=download path="a b" bytes=5 result=OK ms=0.400
  // or as JSON
  //   {"time":"…","peer":"127.0.0.1:5000","id":"c3/1","cmd":"download","path":"a b",
  //    "bytes":5,"result":"OK","message":"","ms":0.400}
  // Names are escaped, so a client cannot forge a line or a terminal sequence;
  // JSON strings are written by JsonString (src/base/json_writer.h).
  static std::string FormatRequest(const std::string& peer, const RequestId& id,
                                   const RequestRecord& record);
  static std::string FormatRequestJson(const std::string& time, const std::string& peer,
                                       const RequestId& id, const RequestRecord& record);

 private:
  void WriteLine(const std::string& line);

  std::FILE* out_;
  const LogFormat format_;
  std::atomic<uint64_t> connections_{0};
  std::mutex mu_;
};

}  // namespace ferry
