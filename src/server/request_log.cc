#include "src/server/request_log.h"

#include <chrono>
#include <cinttypes>
#include <ctime>

#include "src/base/json_writer.h"
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

std::string Milliseconds(std::chrono::steady_clock::duration duration) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.3f",
                std::chrono::duration<double, std::milli>(duration).count());
  return text;
}

}  // namespace

std::string RequestId::ToString() const {
  return number == 0 ? connection : connection + "/" + std::to_string(number);
}

std::string RequestLog::NewConnectionId() {
  return "c" + std::to_string(connections_.fetch_add(1) + 1);
}

std::string RequestLog::FormatRequest(const std::string& peer, const RequestId& id,
                                      const RequestRecord& record) {
  std::string line = "peer=" + peer + " id=" + id.ToString() + " cmd=" + record.command;
  line += " path=\"" + EscapeForDisplay(record.path) + "\"";
  line += " bytes=" + std::to_string(record.bytes) + " result=" + Result(record.result) +
          " ms=" + Milliseconds(record.duration);
  return line;
}

std::string RequestLog::FormatRequestJson(const std::string& time, const std::string& peer,
                                          const RequestId& id, const RequestRecord& record) {
  std::string line = "{\"time\":" + JsonString(time) + ",\"peer\":" + JsonString(peer);
  line += ",\"id\":" + JsonString(id.ToString()) + ",\"cmd\":" + JsonString(record.command);
  line += ",\"path\":" + JsonString(record.path) + ",\"bytes\":" + std::to_string(record.bytes);
  line += ",\"result\":" + JsonString(StatusCodeName(record.result.code()));
  line += ",\"message\":" + JsonString(record.result.message());
  line += ",\"ms\":" + Milliseconds(record.duration) + "}";
  return line;
}

void RequestLog::Request(const std::string& peer, const RequestId& id,
                         const RequestRecord& record) {
  const std::string time = Timestamp();
  if (format_ == LogFormat::kJson) return WriteLine(FormatRequestJson(time, peer, id, record));
  WriteLine(time + " " + FormatRequest(peer, id, record));
}

void RequestLog::Event(const std::string& peer, const std::string& connection,
                       const std::string& event, const Status& status) {
  const std::string time = Timestamp();
  if (format_ == LogFormat::kJson) {
    WriteLine("{\"time\":" + JsonString(time) + ",\"peer\":" + JsonString(peer) +
              ",\"id\":" + JsonString(connection) + ",\"event\":" + JsonString(event) +
              ",\"result\":" + JsonString(StatusCodeName(status.code())) +
              ",\"message\":" + JsonString(status.message()) + "}");
    return;
  }
  WriteLine(time + " peer=" + peer + " id=" + connection + " event=" + event +
            " result=" + Result(status));
}

void RequestLog::WriteLine(const std::string& line) {
  const std::string whole = line + "\n";
  std::lock_guard<std::mutex> lock(mu_);
  std::fwrite(whole.data(), 1, whole.size(), out_);
  std::fflush(out_);
}

}  // namespace ferry
