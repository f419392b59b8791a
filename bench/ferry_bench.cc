// ferry_bench: runs every scenario of the performance issue against a ferryd it
// starts itself (127.0.0.1, port 0, data in a temporary directory), each
// several times after a warm-up, next to its baseline measured in the same run;
// prints a table of medians [min..max] and ratios, and writes the results as
// JSON. Timing is the whole point here, so none of this is a test.
//
//   ferry_bench --ferryd build/server/ferryd [--quick] [--repeats N] [--json FILE]
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

#include "bench/bench_support.h"
#include "bench/pipelined_session.h"
#include "bench/tcp_baseline.h"
#include "ferry/v1/ferry.pb.h"
#include "src/client/client.h"
#include "src/codec/frame.h"
#include "src/codec/protobuf_logging.h"

namespace ferry::bench {
namespace {

using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

constexpr uint64_t kMiB = 1024 * 1024;

struct Config {
  std::string ferryd;
  std::string dir;
  std::string json = "ferry-bench.json";
  std::string only;  // comma-separated scenario names; empty: all
  int repeats = 5;
  uint64_t big_bytes = 1024 * kMiB;
  int stat_count = 5000;
  int list_entries = 10000;
  int small_files = 1000;
  size_t small_bytes = 4096;
  int concurrent_clients = 8;
  uint64_t concurrent_bytes = 128 * kMiB;
  int idle_clients = 1000;

  void Quick() {
    repeats = 2;
    big_bytes = 16 * kMiB;
    stat_count = 200;
    list_entries = 500;
    small_files = 50;
    concurrent_clients = 4;
    concurrent_bytes = 4 * kMiB;
    idle_clients = 50;
  }
};

// One line of the table. `value` and `baseline` are in `unit`; `ratio` is
// value's median over baseline's (0: no baseline).
struct Row {
  std::string scenario;
  std::string unit;
  Summary value;
  std::string baseline_name;
  Summary baseline;
  std::string target;
  bool has_baseline = false;
};

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

double Gbps(uint64_t bytes, double seconds) { return static_cast<double>(bytes) / seconds / 1e9; }
double MiB(uint64_t bytes) { return static_cast<double>(bytes) / kMiB; }

// Deterministic incompressible-looking bytes.
void FillPattern(std::span<uint8_t> out, uint64_t seed) {
  uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
  for (size_t i = 0; i + 8 <= out.size(); i += 8) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    std::memcpy(out.data() + i, &x, 8);
  }
}

Status WriteFile(const fs::path& path, uint64_t size, uint64_t seed) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  std::vector<uint8_t> buffer(std::min<uint64_t>(size, 4 * kMiB) + 8);
  for (uint64_t done = 0; done < size;) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(buffer.size() - 8, size - done));
    FillPattern(buffer, seed + done);
    out.write(reinterpret_cast<const char*>(buffer.data()), static_cast<std::streamsize>(n));
    done += n;
  }
  out.close();
  if (!out) return Status::Error(StatusCode::kIoError, "cannot write " + path.string());
  return Status::Ok();
}

class Bench {
 public:
  Bench(Config config, FerrydProcess* server, fs::path root)
      : config_(std::move(config)), server_(server), root_(std::move(root)) {}

  Status Run();

 private:
  bool Wanted(const std::string& name) const {
    if (config_.only.empty()) return true;
    return ("," + config_.only + ",").find("," + name + ",") != std::string::npos;
  }
  StatusOr<std::unique_ptr<Client>> NewClient() {
    return Client::Connect(server_->address(), ClientOptions{});
  }
  // Runs `once` warm-up + repeats times; returns the measurements after warm-up.
  StatusOr<std::vector<double>> Repeat(const std::function<StatusOr<double>()>& once) {
    std::vector<double> values;
    for (int i = 0; i <= config_.repeats; ++i) {
      FERRY_ASSIGN_OR_RETURN(double value, once());
      if (i > 0) values.push_back(value);
    }
    return values;
  }
  void Add(Row row) {
    Print(row);
    rows_.push_back(std::move(row));
  }
  void Note(const std::string& text) {
    std::printf("  %s\n", text.c_str());
    std::fflush(stdout);
    notes_.push_back(text);
  }
  static void Print(const Row& row);
  Status WriteJson() const;

  Status Download();
  Status Upload();
  Status StatRoundTrip();
  Status List();
  Status SmallFiles();
  Status Concurrent();
  Status IdleClients();

  Config config_;
  FerrydProcess* server_;
  fs::path root_;
  std::vector<Row> rows_;
  std::vector<std::string> notes_;
};

void Bench::Print(const Row& row) {
  const auto cell = [](const Summary& s) {
    char text[96];
    std::snprintf(text, sizeof(text), "%9.3f [%.3f..%.3f]", s.median, s.min, s.max);
    return std::string(text);
  };
  std::string line = "| " + row.scenario + " | " + row.unit + " | " + cell(row.value) + " | ";
  if (row.has_baseline) {
    char ratio[32];
    std::snprintf(ratio, sizeof(ratio), "%.2fx", row.value.median / row.baseline.median);
    line += row.baseline_name + " " + cell(row.baseline) + " | " + ratio;
  } else {
    line += row.baseline_name + " | ";
  }
  line += " | " + row.target + " |";
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
}

Status Bench::WriteJson() const {
  std::ofstream out(config_.json, std::ios::trunc);
  const auto summary = [](const Summary& s) {
    std::ostringstream text;
    text << "{\"median\": " << s.median << ", \"min\": " << s.min << ", \"max\": " << s.max
         << ", \"p99\": " << s.p99 << "}";
    return text.str();
  };
  const auto quoted = [](const std::string& text) {
    std::string json = "\"";
    for (char c : text) {
      if (c == '"' || c == '\\') json.push_back('\\');
      json.push_back(c);
    }
    return json + "\"";
  };
  out << "{\n  \"config\": {\"repeats\": " << config_.repeats
      << ", \"big_bytes\": " << config_.big_bytes << ", \"list_entries\": " << config_.list_entries
      << ", \"small_files\": " << config_.small_files
      << ", \"concurrent_clients\": " << config_.concurrent_clients
      << ", \"concurrent_bytes\": " << config_.concurrent_bytes
      << ", \"idle_clients\": " << config_.idle_clients << "},\n  \"results\": [\n";
  for (size_t i = 0; i < rows_.size(); ++i) {
    const Row& row = rows_[i];
    out << "    {\"scenario\": " << quoted(row.scenario) << ", \"unit\": " << quoted(row.unit)
        << ", \"value\": " << summary(row.value);
    if (row.has_baseline) {
      out << ", \"baseline\": " << quoted(row.baseline_name)
          << ", \"baseline_value\": " << summary(row.baseline)
          << ", \"ratio\": " << row.value.median / row.baseline.median;
    }
    out << ", \"target\": " << quoted(row.target) << "}" << (i + 1 < rows_.size() ? "," : "")
        << "\n";
  }
  out << "  ],\n  \"notes\": [";
  for (size_t i = 0; i < notes_.size(); ++i) {
    out << (i ? ", " : "") << quoted(notes_[i]);
  }
  out << "]\n}\n";
  out.close();
  if (!out) return Status::Error(StatusCode::kIoError, "cannot write " + config_.json);
  return Status::Ok();
}

Status Bench::Download() {
  const uint64_t size = config_.big_bytes;
  FERRY_RETURN_IF_ERROR(WriteFile(root_ / "big.bin", size, 1));
  FERRY_ASSIGN_OR_RETURN(std::unique_ptr<Client> client, NewClient());
  // The same write size as ferry's: one frame per max-size chunk.
  const size_t write_size = client->welcome().max_chunk_bytes() + kMaxChunkFrameHeaderBytes;
  const uint64_t idle_rss = ResidentBytes(server_->pid());
  uint64_t peak_rss = 0;
  std::vector<double> ferry, tcp;
  for (int i = 0; i <= config_.repeats; ++i) {
    FERRY_ASSIGN_OR_RETURN(double tcp_seconds, TcpThroughput(size, write_size, 1));
    double seconds = 0;
    {
      RssSampler sampler(server_->pid());
      const auto start = Clock::now();
      FERRY_ASSIGN_OR_RETURN(
          TransferResult result,
          client->Download("big.bin", [](std::span<const uint8_t>) { return Status::Ok(); }));
      seconds = Seconds(start);
      if (result.size != size) return Status::Error(StatusCode::kInternal, "short download");
      peak_rss = std::max(peak_rss, sampler.peak());
    }
    if (i == 0) continue;  // warm-up
    ferry.push_back(Gbps(size, seconds));
    tcp.push_back(Gbps(size, tcp_seconds));
  }
  Add({"download " + std::to_string(size / kMiB) + " MiB", "GB/s", Summarise(ferry),
       "raw TCP (" + std::to_string(write_size / 1024) + " KiB writes)", Summarise(tcp), ">= 0.8x",
       true});
  char text[160];
  std::snprintf(text, sizeof(text),
                "server RSS: %.1f MiB idle, %.1f MiB peak while downloading %llu MiB (+%.1f MiB)",
                MiB(idle_rss), MiB(peak_rss), static_cast<unsigned long long>(size / kMiB),
                MiB(peak_rss) - MiB(idle_rss));
  Note(text);
  return Status::Ok();
}

Status Bench::Upload() {
  const uint64_t size = config_.big_bytes;
  FERRY_ASSIGN_OR_RETURN(std::unique_ptr<Client> client, NewClient());
  std::vector<uint8_t> pattern(client->welcome().max_chunk_bytes() + 8);
  FillPattern(pattern, 7);
  const std::string disk_path = (root_ / "disk-baseline.bin").string();
  std::vector<double> ferry, disk, commit, disk_fsync;
  uint64_t peak_rss = 0;
  for (int i = 0; i <= config_.repeats; ++i) {
    FERRY_ASSIGN_OR_RETURN(DiskWrite dd, DiskWriteFsync(disk_path.c_str(), size, 1024 * 1024));
    uint64_t offset = 0;
    Clock::time_point last_chunk;
    TransferOptions options;
    options.overwrite = true;
    options.progress = [&](uint64_t done, uint64_t total) {
      if (done == total) last_chunk = Clock::now();
    };
    const auto source = [&](std::span<uint8_t> out) -> StatusOr<size_t> {
      // Vary the bytes so no layer could shortcut identical chunks.
      std::memcpy(out.data(), pattern.data() + (offset / out.size()) % 8, out.size());
      offset += out.size();
      return out.size();
    };
    RssSampler sampler(server_->pid());
    const auto start = Clock::now();
    FERRY_ASSIGN_OR_RETURN(TransferResult result,
                           client->Upload("upload.bin", size, source, options));
    const double seconds = Seconds(start);
    const double commit_seconds = Seconds(last_chunk);
    peak_rss = std::max(peak_rss, sampler.peak());
    if (result.size != size) return Status::Error(StatusCode::kInternal, "short upload");
    if (i == 0) continue;
    ferry.push_back(Gbps(size, seconds));
    disk.push_back(Gbps(size, dd.seconds));
    commit.push_back(commit_seconds * 1000);
    disk_fsync.push_back(dd.fsync_seconds * 1000);
  }
  Add({"upload " + std::to_string(size / kMiB) + " MiB, durable", "GB/s", Summarise(ferry),
       "disk write+fsync (dd conv=fsync)", Summarise(disk), "2x vsftpd (peers)", true});
  Add({"  upload commit (UploadEnd to UploadDone: fsync, rename, dir fsync)", "ms",
       Summarise(commit), "dd's fsync alone", Summarise(disk_fsync), "short", true});
  char text[96];
  std::snprintf(text, sizeof(text), "server RSS peak while uploading: %.1f MiB", MiB(peak_rss));
  Note(text);
  return Status::Ok();
}

Status Bench::StatRoundTrip() {
  FERRY_RETURN_IF_ERROR(WriteFile(root_ / "small.bin", 4096, 3));
  FERRY_ASSIGN_OR_RETURN(std::unique_ptr<Client> client, NewClient());
  // The baseline moves as many bytes each way as a stat does.
  std::string request_frame, reply_frame;
  v1::ClientMessage request;
  request.mutable_stat()->set_path("small.bin");
  EncodeFrame(request, &request_frame);
  FERRY_ASSIGN_OR_RETURN(FileInfo info, client->Stat("small.bin"));
  v1::ServerMessage reply;
  v1::FileInfo* wire = reply.mutable_stat()->mutable_info();
  wire->set_name(info.name);
  wire->set_type(v1::REGULAR);
  wire->set_size(info.size);
  wire->set_mtime_unix_ns(info.mtime_unix_ns);
  wire->set_mode(info.mode);
  EncodeFrame(reply, &reply_frame);

  std::vector<double> ferry_p50, ferry_p99, tcp_p50, tcp_p99;
  for (int i = 0; i <= config_.repeats; ++i) {
    FERRY_ASSIGN_OR_RETURN(
        std::vector<double> tcp,
        TcpPingPong(request_frame.size(), reply_frame.size(), config_.stat_count));
    std::vector<double> ferry;
    ferry.reserve(static_cast<size_t>(config_.stat_count));
    for (int n = 0; n < config_.stat_count; ++n) {
      const auto start = Clock::now();
      FERRY_RETURN_IF_ERROR(client->Stat("small.bin").status());
      ferry.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
    }
    if (i == 0) continue;
    const Summary f = Summarise(ferry), t = Summarise(tcp);
    ferry_p50.push_back(f.median);
    ferry_p99.push_back(f.p99);
    tcp_p50.push_back(t.median);
    tcp_p99.push_back(t.p99);
  }
  const std::string sizes =
      std::to_string(request_frame.size()) + "/" + std::to_string(reply_frame.size()) + " B";
  Add({"stat round trip p50", "us", Summarise(ferry_p50), "TCP ping-pong " + sizes,
       Summarise(tcp_p50), "<= 1.3x", true});
  Add({"stat round trip p99", "us", Summarise(ferry_p99), "TCP ping-pong " + sizes,
       Summarise(tcp_p99), "reported", true});
  return Status::Ok();
}

Status Bench::List() {
  const fs::path big = root_ / "many";
  const fs::path few = root_ / "few";
  fs::create_directories(big);
  fs::create_directories(few);
  for (int i = 0; i < config_.list_entries; ++i) {
    std::ofstream(big / ("entry-" + std::to_string(i) + ".dat")) << i;
  }
  for (int i = 0; i < 100; ++i) std::ofstream(few / ("entry-" + std::to_string(i))) << i;
  FERRY_ASSIGN_OR_RETURN(std::unique_ptr<Client> client, NewClient());

  // `ls -l` of the same directory, locally, output discarded.
  const auto ls = [&]() -> StatusOr<double> {
    const auto start = Clock::now();
    const pid_t pid = fork();
    if (pid == 0) {
      const int null = open("/dev/null", O_WRONLY);
      dup2(null, STDOUT_FILENO);
      setenv("LC_ALL", "C", 1);
      execlp("ls", "ls", "-l", big.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      return Status::Error(StatusCode::kInternal, "ls -l failed");
    }
    return Seconds(start) * 1000;
  };
  uint64_t peak_big = 0, peak_few = 0;
  const uint64_t idle = ResidentBytes(server_->pid());
  std::vector<double> ferry, local;
  for (int i = 0; i <= config_.repeats; ++i) {
    FERRY_ASSIGN_OR_RETURN(double ls_ms, ls());
    double ms = 0;
    {
      RssSampler sampler(server_->pid());
      const auto start = Clock::now();
      FERRY_ASSIGN_OR_RETURN(std::vector<FileInfo> entries, client->List("many"));
      ms = Seconds(start) * 1000;
      if (entries.size() != static_cast<size_t>(config_.list_entries)) {
        return Status::Error(StatusCode::kInternal, "listing is missing entries");
      }
      peak_big = std::max(peak_big, sampler.peak());
    }
    {
      RssSampler sampler(server_->pid());
      FERRY_RETURN_IF_ERROR(client->List("few").status());
      peak_few = std::max(peak_few, sampler.peak());
    }
    if (i == 0) continue;
    ferry.push_back(ms);
    local.push_back(ls_ms);
  }
  Add({"list " + std::to_string(config_.list_entries) + " entries", "ms", Summarise(ferry),
       "local ls -l", Summarise(local), "<= 3x", true});
  char text[160];
  std::snprintf(text, sizeof(text),
                "server RSS while listing: %.1f MiB idle, %.1f MiB peak for %d entries, %.1f MiB "
                "peak for 100",
                MiB(idle), MiB(peak_big), config_.list_entries, MiB(peak_few));
  Note(text);
  return Status::Ok();
}

Status Bench::SmallFiles() {
  std::vector<uint8_t> data(config_.small_bytes);
  FillPattern(data, 11);
  std::vector<std::string> names;
  for (int i = 0; i < config_.small_files; ++i) names.push_back("s" + std::to_string(i));
  FERRY_ASSIGN_OR_RETURN(std::unique_ptr<PipelinedSession> pipelined,
                         PipelinedSession::Connect(server_->address()));
  FERRY_ASSIGN_OR_RETURN(std::unique_ptr<Client> client, NewClient());
  std::vector<double> piped_up, piped_down, sequential_up, sequential_down;
  TransferOptions overwrite;
  overwrite.overwrite = true;
  const auto source = [&](std::span<uint8_t> out) -> StatusOr<size_t> {
    std::memcpy(out.data(), data.data(), out.size());
    return out.size();
  };
  const auto discard = [](std::span<const uint8_t>) { return Status::Ok(); };
  for (int i = 0; i <= config_.repeats; ++i) {
    auto start = Clock::now();
    FERRY_RETURN_IF_ERROR(pipelined->UploadAll(names, data));
    const double up_ms = Seconds(start) * 1000;
    start = Clock::now();
    FERRY_RETURN_IF_ERROR(pipelined->DownloadAll(names, data.size()));
    const double down_ms = Seconds(start) * 1000;

    start = Clock::now();
    for (const std::string& name : names) {
      FERRY_RETURN_IF_ERROR(client->Upload(name, data.size(), source, overwrite).status());
    }
    const double sequential_up_ms = Seconds(start) * 1000;
    start = Clock::now();
    for (const std::string& name : names) {
      FERRY_RETURN_IF_ERROR(client->Download(name, discard).status());
    }
    const double sequential_down_ms = Seconds(start) * 1000;
    if (i == 0) continue;
    piped_up.push_back(up_ms);
    piped_down.push_back(down_ms);
    sequential_up.push_back(sequential_up_ms);
    sequential_down.push_back(sequential_down_ms);
  }
  const std::string what = std::to_string(config_.small_files) + " x " +
                           std::to_string(config_.small_bytes / 1024) + " KiB";
  Add({what + " uploads (each durable), pipelined", "ms", Summarise(piped_up),
       "same, one request at a time", Summarise(sequential_up), "10x vsftpd (peers)", true});
  Add({what + " downloads, pipelined", "ms", Summarise(piped_down), "same, one request at a time",
       Summarise(sequential_down), "10x vsftpd (peers)", true});
  return Status::Ok();
}

Status Bench::Concurrent() {
  const int n = config_.concurrent_clients;
  const uint64_t size = config_.concurrent_bytes;
  for (int i = 0; i < n; ++i) {
    FERRY_RETURN_IF_ERROR(WriteFile(root_ / ("c" + std::to_string(i) + ".bin"), size, 100 + i));
  }
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < n; ++i) {
    FERRY_ASSIGN_OR_RETURN(std::unique_ptr<Client> client, NewClient());
    clients.push_back(std::move(client));
  }
  const size_t write_size = clients[0]->welcome().max_chunk_bytes() + kMaxChunkFrameHeaderBytes;
  std::vector<double> ferry, tcp;
  for (int r = 0; r <= config_.repeats; ++r) {
    FERRY_ASSIGN_OR_RETURN(double tcp_seconds, TcpThroughput(size, write_size, n));
    std::vector<Status> results(static_cast<size_t>(n));
    std::vector<std::thread> threads;
    const auto start = Clock::now();
    for (int i = 0; i < n; ++i) {
      threads.emplace_back([&, i] {
        results[static_cast<size_t>(i)] =
            clients[static_cast<size_t>(i)]
                ->Download("c" + std::to_string(i) + ".bin",
                           [](std::span<const uint8_t>) { return Status::Ok(); })
                .status();
      });
    }
    for (std::thread& thread : threads) thread.join();
    const double seconds = Seconds(start);
    for (const Status& status : results) FERRY_RETURN_IF_ERROR(status);
    if (r == 0) continue;
    ferry.push_back(Gbps(size * static_cast<uint64_t>(n), seconds));
    tcp.push_back(Gbps(size * static_cast<uint64_t>(n), tcp_seconds));
  }
  Add({std::to_string(n) + " clients x " + std::to_string(size / kMiB) + " MiB downloads at once",
       "GB/s", Summarise(ferry), std::to_string(n) + " raw TCP streams", Summarise(tcp),
       "1.2x vsftpd (peers)", true});
  return Status::Ok();
}

Status Bench::IdleClients() {
  const uint64_t before = ResidentBytes(server_->pid());
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < config_.idle_clients; ++i) {
    FERRY_ASSIGN_OR_RETURN(std::unique_ptr<Client> client, NewClient());
    clients.push_back(std::move(client));
  }
  // Every session has answered a request, so each has touched its buffers.
  for (auto& client : clients) FERRY_RETURN_IF_ERROR(client->Stat("").status());
  const uint64_t held = ResidentBytes(server_->pid());
  Summary held_mib{MiB(held), MiB(held), MiB(held), MiB(held)};
  Summary before_mib{MiB(before), MiB(before), MiB(before), MiB(before)};
  Add({std::to_string(config_.idle_clients) + " idle clients: server RSS", "MiB", held_mib,
       "server RSS before", before_mib, "<= 64 MiB", true});
  for (auto& client : clients) client->Bye().IgnoreError();
  return Status::Ok();
}

Status Bench::Run() {
  std::printf(
      "| scenario | unit | ferry median [min..max] | baseline median [min..max] | ratio | "
      "target |\n|---|---|---|---|---|---|\n");
  const std::pair<const char*, Status (Bench::*)()> scenarios[] = {
      {"download", &Bench::Download},  {"upload", &Bench::Upload},
      {"stat", &Bench::StatRoundTrip}, {"list", &Bench::List},
      {"small", &Bench::SmallFiles},   {"concurrent", &Bench::Concurrent},
      {"idle", &Bench::IdleClients},
  };
  for (const auto& [name, scenario] : scenarios) {
    if (!Wanted(name)) continue;
    if (Status status = (this->*scenario)(); !status.ok()) {
      return status.WithContext(std::string("scenario ") + name);
    }
  }
  return WriteJson();
}

}  // namespace
}  // namespace ferry::bench

int main(int argc, char** argv) {
  using ferry::bench::Config;
  CLI::App app{"ferry_bench: ferry against raw TCP and the disk, on loopback"};
  Config config;
  bool quick = false;
  app.add_option("--ferryd", config.ferryd, "The ferryd binary to measure")->required();
  app.add_option("--dir", config.dir, "Where to make the temporary data (default: $TMPDIR)");
  app.add_option("--json", config.json, "Where to write the results (the last one given)")
      ->capture_default_str()
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  app.add_option("--only", config.only,
                 "Comma-separated scenarios: download,upload,stat,list,small,concurrent,idle");
  app.add_flag("--quick", quick, "Tiny sizes, two repeats: checks that the benchmark runs");
  app.add_option("--repeats", config.repeats, "Measured runs after the warm-up");
  app.add_option("--big-mib", config.big_bytes, "Size of the single-transfer file, in MiB")
      ->transform([](const std::string& mib) { return std::to_string(std::stoull(mib) << 20); });
  CLI11_PARSE(app, argc, argv);
  if (quick) {
    const int repeats = config.repeats;
    config.Quick();
    if (app.count("--repeats")) config.repeats = repeats;
  }
  ferry::SilenceProtobufLogging();
  signal(SIGPIPE, SIG_IGN);
  ferry::bench::RaiseFileLimit();

  std::string base = config.dir;
  if (base.empty()) base = std::filesystem::temp_directory_path().string();
  std::string pattern = base + "/ferry-bench-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) {
    std::fprintf(stderr, "ferry_bench: cannot make a directory in %s\n", base.c_str());
    return 1;
  }
  const std::filesystem::path root = pattern;
  int rc = 0;
  {
    auto server =
        ferry::bench::FerrydProcess::Start(config.ferryd, root.string(), config.idle_clients + 64);
    if (!server.ok()) {
      std::fprintf(stderr, "ferry_bench: %s\n", server.status().ToString().c_str());
      rc = 1;
    } else {
      std::printf("ferry_bench: ferryd pid %d on %s, data in %s, %d runs after a warm-up\n\n",
                  (*server)->pid(), (*server)->address().ToString().c_str(), root.c_str(),
                  config.repeats);
      ferry::bench::Bench bench(config, server->get(), root);
      if (const ferry::Status status = bench.Run(); !status.ok()) {
        std::fprintf(stderr, "ferry_bench: %s\n", status.ToString().c_str());
        rc = 1;
      } else {
        std::printf("\nresults written to %s\n", config.json.c_str());
      }
    }
  }
  std::error_code ignored;
  std::filesystem::remove_all(root, ignored);
  return rc;
}
