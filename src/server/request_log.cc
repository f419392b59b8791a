#include "src/server/request_log.h"

#include <chrono>
#include <cinttypes>
#include <ctime>

#include "src/base/text.h"

namespace ferry {
namespace {

std::string Timestamp() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  const auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[80];
  std::snprintf(text, sizeof(text), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                static_cast<int>(millis));
  return text;
}

std::string Result(const Status& status) {
  std::string out(StatusCodeName(status.code()));
  if (!status.ok() && !status.message().empty())
    out += " (" + EscapeForDisplay(status.message()) + ")";
  return out;
}

}  // namespace

std::string RequestLog::FormatRequest(const std::string& peer, const RequestRecord& record) {
  char duration[32];
  std::snprintf(duration, sizeof(duration), "%.3f",
                std::chrono::duration<double, std::milli>(record.duration).count());
  std::string line = "peer=" + peer + " cmd=" + record.command;
  line += " path=\"" + EscapeForDisplay(record.path) + "\"";
  line += " bytes=" + std::to_string(record.bytes) + " result=" + Result(record.result) +
          " ms=" + duration;
  return line;
}

void RequestLog::Request(const std::string& peer, const RequestRecord& record) {
  WriteLine(FormatRequest(peer, record));
}

void RequestLog::Event(const std::string& peer, const std::string& event, const Status& status) {
  WriteLine("peer=" + peer + " event=" + event + " result=" + Result(status));
}

void RequestLog::WriteLine(const std::string& line) {
  const std::string stamped = Timestamp() + " " + line + "\n";
  std::lock_guard<std::mutex> lock(mu_);
  std::fwrite(stamped.data(), 1, stamped.size(), out_);
  std::fflush(out_);
}

}  // namespace ferry
