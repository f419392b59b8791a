// One log line per request: who, what, which path, how much, the result, how long.
#pragma once

#include <cstdio>
#include <mutex>
#include <string>

#include "src/server/session.h"

namespace ferry {

class RequestLog {
 public:
  // Lines go to `out` (not owned), whole lines at a time from any thread.
  explicit RequestLog(std::FILE* out) : out_(out) {}

  void Request(const std::string& peer, const RequestRecord& record);
  // A connection-level event: "connect", "disconnect", "refused".
  void Event(const std::string& peer, const std::string& event, const Status& status);

  // The line for one request, e.g.
  // 2026-11-24T10:00:00.123Z peer=127.0.0.1:5000 cmd=download path="a b" bytes=5 result=OK ms=0.4
  // Names are escaped, so a client cannot forge a line or a terminal sequence.
  static std::string FormatRequest(const std::string& peer, const RequestRecord& record);

 private:
  void WriteLine(const std::string& line);

  std::FILE* out_;
  std::mutex mu_;
};

}  // namespace ferry
