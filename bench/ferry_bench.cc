// ferry_bench: runs every scenario of the performance issue against a ferryd it
// starts itself (127.0.0.1, port 0, data in a temporary directory), each
// several times after a warm-up, next to its baseline measured in the same run;
// prints a table of medians [min..max] and ratios, and writes the results as
// JSON. Timing is the whole point here, so none of this is a test.
//
// With --peers, vsftpd, OpenSSH's sftp and pyftpdlib (those installed) are
// started on loopback too (bench/peers.h) and measured in the same runs, one
// after another within each repetition, so that the machine's drift hits all
// alike.
//
//   ferry_bench --ferryd build/server/ferryd [--quick] [--peers] [--repeats N] [--json FILE]
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
#include "bench/local_floors.h"
#include "bench/peers.h"
#include "bench/pipelined_session.h"
#include "bench/tcp_baseline.h"
#include "bench/throwaway_certificate.h"
#include "ferry/v1/ferry.pb.h"
#include "src/client/client.h"
#include "src/codec/frame.h"
#include "src/codec/protobuf_logging.h"
#include "src/net/tls.h"

namespace ferry::bench {
namespace {

using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

constexpr uint64_t kMiB = 1024 * 1024;

struct Config {
  std::string ferryd;
  std::string dir;
  bool peers = false;
  std::string peer_script = FERRY_BENCH_PEER_SCRIPT;
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
// value's median over baseline's (0: no baseline). A peer's row compares ferry
// (`value`) with the peer (`baseline`) and shows ferry's advantage instead: the
// ratio oriented so that above 1 means ferry did better.
struct Row {
  std::string scenario;
  std::string unit;
  Summary value;
  std::string baseline_name;
  Summary baseline;
  std::string target;
  bool has_baseline = false;
  // Peer rows: +1 when a higher value is better (throughput), -1 when lower is (time).
  int better = 0;

  double Advantage() const {
    return better > 0 ? value.median / baseline.median : baseline.median / value.median;
  }
};

// What one peer measured in one scenario, a series per figure; a peer whose
// measurement fails is noted and left out of that scenario.
struct PeerSeries {
  Peer* peer;
  std::array<std::vector<double>, 5> values;
  bool failed = false;
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
  Bench(Config config, FerrydProcess* server, fs::path root, fs::path work)
      : config_(std::move(config)),
        server_(server),
        root_(std::move(root)),
        work_(std::move(work)) {}

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
  std::vector<PeerSeries> NewPeerSeries() {
    std::vector<PeerSeries> series;
    for (const auto& peer : peers_) series.push_back({peer.get(), {}, false});
    return series;
  }
  // Runs `once` for every peer still in `series`.
  void MeasurePeers(std::vector<PeerSeries>& series,
                    const std::function<Status(Peer&, PeerSeries&)>& once) {
    for (PeerSeries& one : series) {
      if (one.failed) continue;
      if (Status status = once(*one.peer, one); !status.ok()) {
        one.failed = true;
        Note(one.peer->name() + " left out of this scenario: " + status.ToString());
      }
    }
  }
  // A row per peer comparing `ferry` with the peer's series `index`. `target`
  // is the target against that peer ("reported" when it has none).
  void AddVersus(const std::string& scenario, const std::string& unit, const Summary& ferry,
                 const std::vector<PeerSeries>& series, size_t index, int better,
                 const std::function<std::string(const std::string& peer)>& target) {
    for (const PeerSeries& one : series) {
      if (one.failed || one.values[index].empty()) continue;
      Row row{"  " + scenario + ": ferry vs " + one.peer->name(),
              unit,
              ferry,
              one.peer->name(),
              Summarise(one.values[index]),
              target(one.peer->name()),
              true,
              better};
      Add(std::move(row));
    }
  }
  Status StartPeers();
  Status StartTls();
  static void Print(const Row& row);
  Status WriteJson() const;

  Status Download();
  Status TlsDownload();
  Status Upload();
  Status StatRoundTrip();
  Status List();
  Status SmallFiles();
  Status Concurrent();
  Status IdleClients();

  Config config_;
  FerrydProcess* server_;
  fs::path root_;
  fs::path work_;  // the peers' and TLS's files, beside the data (not served)
  std::vector<std::unique_ptr<Peer>> peers_;
  std::unique_ptr<FerrydProcess> tls_server_;
  std::shared_ptr<const TlsClientContext> tls_client_;
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
  if (row.better != 0) {
    char ratio[48];
    const double advantage = row.Advantage();
    std::snprintf(ratio, sizeof(ratio), "%.2fx (%s)", advantage,
                  advantage >= 1 ? "ferry better" : "peer better");
    line += row.baseline_name + " " + cell(row.baseline) + " | " + ratio;
  } else if (row.has_baseline) {
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
      << ", \"idle_clients\": " << config_.idle_clients << ", \"peers\": [";
  for (size_t i = 0; i < peers_.size(); ++i) {
    out << (i ? ", " : "") << "{\"name\": " << quoted(peers_[i]->name())
        << ", \"method\": " << quoted(peers_[i]->method()) << "}";
  }
  out << "]},\n  \"results\": [\n";
  for (size_t i = 0; i < rows_.size(); ++i) {
    const Row& row = rows_[i];
    // The table's indentation of sub-rows means nothing in JSON.
    const std::string scenario = row.scenario.substr(row.scenario.find_first_not_of(' '));
    out << "    {\"scenario\": " << quoted(scenario) << ", \"unit\": " << quoted(row.unit)
        << ", \"value\": " << summary(row.value);
    if (row.better != 0) {
      out << ", \"peer\": " << quoted(row.baseline_name)
          << ", \"peer_value\": " << summary(row.baseline)
          << ", \"ferry_advantage\": " << row.Advantage()
          << ", \"higher_is_better\": " << (row.better > 0 ? "true" : "false");
    } else if (row.has_baseline) {
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
  std::vector<PeerSeries> peers = NewPeerSeries();
  for (int i = 0; i <= config_.repeats; ++i) {
    MeasurePeers(peers, [&](Peer& peer, PeerSeries& series) -> Status {
      FERRY_ASSIGN_OR_RETURN(const double seconds, peer.Download("big.bin"));
      if (i > 0) series.values[0].push_back(Gbps(size, seconds));
      return Status::Ok();
    });
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
  AddVersus("download", "GB/s", Summarise(ferry), peers, 0, +1,
            [](const std::string& peer) { return peer == "vsftpd" ? "> 1x" : "reported"; });
  char text[160];
  std::snprintf(text, sizeof(text),
                "server RSS: %.1f MiB idle, %.1f MiB peak while downloading %llu MiB (+%.1f MiB)",
                MiB(idle_rss), MiB(peak_rss), static_cast<unsigned long long>(size / kMiB),
                MiB(peak_rss) - MiB(idle_rss));
  Note(text);
  return Status::Ok();
}

Status Bench::StartTls() {
  if (tls_server_ != nullptr) return Status::Ok();
  FERRY_ASSIGN_OR_RETURN(auto files, WriteThrowawayCertificate(work_.string()));
  TlsServerConfig server_config;
  server_config.certificate_file = files.first;
  server_config.private_key_file = files.second;
  // The fingerprint the client pins, computed as ferryd computes it.
  FERRY_ASSIGN_OR_RETURN(std::unique_ptr<TlsServerContext> server_context,
                         TlsServerContext::Create(server_config));
  TlsClientConfig client_config;
  client_config.pinned_fingerprint = server_context->fingerprint();
  FERRY_ASSIGN_OR_RETURN(tls_client_, TlsClientContext::Create(client_config));
  FERRY_ASSIGN_OR_RETURN(
      tls_server_, FerrydProcess::Start(config_.ferryd, root_.string(), 16,
                                        {"--tls-cert", files.first, "--tls-key", files.second}));
  return Status::Ok();
}

Status Bench::TlsDownload() {
  const uint64_t size = config_.big_bytes;
  if (!fs::exists(root_ / "big.bin") || fs::file_size(root_ / "big.bin") != size) {
    FERRY_RETURN_IF_ERROR(WriteFile(root_ / "big.bin", size, 1));
  }
  FERRY_RETURN_IF_ERROR(StartTls());
  ClientOptions options;
  const auto deadline = Clock::now() + options.connect_timeout;
  FERRY_ASSIGN_OR_RETURN(std::unique_ptr<SocketStream> socket,
                         Connect(tls_server_->address(), options.connect_timeout));
  FERRY_ASSIGN_OR_RETURN(
      std::unique_ptr<TlsStream> secured,
      tls_client_->Connect(std::move(socket), tls_server_->address().host, deadline));
  const std::string suite = secured->cipher_suite();
  FERRY_ASSIGN_OR_RETURN(std::unique_ptr<Client> tls, Client::Open(std::move(secured), options));
  FERRY_ASSIGN_OR_RETURN(std::unique_ptr<Client> plain, NewClient());
  // TLS's target is against OpenSSH's sftp alone.
  std::vector<PeerSeries> peers = NewPeerSeries();
  std::erase_if(peers, [](const PeerSeries& one) { return one.peer->name() != "sftp"; });
  const auto discard = [](std::span<const uint8_t>) { return Status::Ok(); };
  // CPU seconds per GiB on each side, which the machine's load does not
  // change much: {server, client} for plaintext, then for TLS.
  double cpu[2][2] = {{0, 0}, {0, 0}};
  const auto download = [&](Client& client, pid_t server, double* cpu_used) -> StatusOr<double> {
    const double server_cpu = CpuSeconds(server), client_cpu = ThreadCpuSeconds();
    const auto start = Clock::now();
    FERRY_ASSIGN_OR_RETURN(TransferResult result, client.Download("big.bin", discard));
    const double seconds = Seconds(start);
    if (result.size != size) return Status::Error(StatusCode::kInternal, "short download");
    cpu_used[0] += CpuSeconds(server) - server_cpu;
    cpu_used[1] += ThreadCpuSeconds() - client_cpu;
    return Gbps(size, seconds);
  };
  std::vector<double> ferry_tls, ferry_plain;
  for (int i = 0; i <= config_.repeats; ++i) {
    MeasurePeers(peers, [&](Peer& peer, PeerSeries& series) -> Status {
      FERRY_ASSIGN_OR_RETURN(const double seconds, peer.Download("big.bin"));
      if (i > 0) series.values[0].push_back(Gbps(size, seconds));
      return Status::Ok();
    });
    FERRY_ASSIGN_OR_RETURN(const double plain_gbps, download(*plain, server_->pid(), cpu[0]));
    FERRY_ASSIGN_OR_RETURN(const double tls_gbps, download(*tls, tls_server_->pid(), cpu[1]));
    if (i == 0) continue;
    ferry_plain.push_back(plain_gbps);
    ferry_tls.push_back(tls_gbps);
  }
  Add({"download " + std::to_string(size / kMiB) + " MiB over TLS (" + suite + ")", "GB/s",
       Summarise(ferry_tls), "ferry without TLS", Summarise(ferry_plain), "reported", true});
  AddVersus("download over TLS", "GB/s", Summarise(ferry_tls), peers, 0, +1,
            [](const std::string&) { return ">= 2x"; });
  const double gib = static_cast<double>(size) * (config_.repeats + 1) / (1024.0 * kMiB);
  char text[200];
  std::snprintf(text, sizeof(text),
                "CPU seconds per GiB downloaded: server %.2f, client %.2f over TLS; server %.2f, "
                "client %.2f without",
                cpu[1][0] / gib, cpu[1][1] / gib, cpu[0][0] / gib, cpu[0][1] / gib);
  Note(text);
  return Status::Ok();
}

Status Bench::Upload() {
  const uint64_t size = config_.big_bytes;
  FERRY_ASSIGN_OR_RETURN(std::unique_ptr<Client> client, NewClient());
  std::vector<uint8_t> pattern(client->welcome().max_chunk_bytes() + 8);
  FillPattern(pattern, 7);
  const std::string disk_path = (root_ / "disk-baseline.bin").string();
  std::vector<double> ferry, disk, commit, disk_fsync, floor;
  uint64_t peak_rss = 0;
  std::vector<PeerSeries> peers = NewPeerSeries();
  const fs::path peer_source = root_ / "big.bin";
  if (!peers.empty() && (!fs::exists(peer_source) || fs::file_size(peer_source) != size)) {
    FERRY_RETURN_IF_ERROR(WriteFile(peer_source, size, 1));
  }
  for (int i = 0; i <= config_.repeats; ++i) {
    MeasurePeers(peers, [&](Peer& peer, PeerSeries& series) -> Status {
      FERRY_ASSIGN_OR_RETURN(const double seconds,
                             peer.UploadDurably(peer_source.string(), "peer-upload.bin"));
      if (i > 0) series.values[0].push_back(Gbps(size, seconds));
      return Status::Ok();
    });
    FERRY_ASSIGN_OR_RETURN(DiskWrite dd, DiskWriteFsync(disk_path.c_str(), size, 1024 * 1024));
    FERRY_ASSIGN_OR_RETURN(const double floor_seconds,
                           DurableWriteWithWriteBehind(disk_path, size, 1024 * 1024));
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
    floor.push_back(Gbps(size, floor_seconds));
  }
  Add({"upload " + std::to_string(size / kMiB) + " MiB, durable", "GB/s", Summarise(ferry),
       "disk write+fsync (dd conv=fsync)", Summarise(disk), "2x vsftpd (peers)", true});
  Add({"  upload commit (UploadEnd to UploadDone: fsync, rename, dir fsync)", "ms",
       Summarise(commit), "dd's fsync alone", Summarise(disk_fsync), "short", true});
  AddVersus("upload, peers' time includes an fsync after", "GB/s", Summarise(ferry), peers, 0, +1,
            [](const std::string& peer) { return peer == "vsftpd" ? ">= 2x" : "reported"; });
  // No upload can be durable faster than one process writes the same bytes to
  // the same disk: this row is the ceiling over every upload figure above.
  const Summary ceiling = Summarise(floor);
  Add({"  upload vs the same bytes written durably in one process (write-behind, no network)",
       "GB/s", Summarise(ferry), "local write + write-behind + fsync", ceiling, "reported", true});
  for (const PeerSeries& one : peers) {
    if (one.peer->name() != "vsftpd" || one.failed || one.values[0].empty()) continue;
    const double wanted = 2 * Summarise(one.values[0]).median;
    char text[200];
    std::snprintf(text, sizeof(text),
                  "2x vsftpd's durable upload is %.2f GB/s; one local process writes this disk "
                  "durably at %.2f GB/s",
                  wanted, ceiling.median);
    Note(text);
  }
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
  std::vector<PeerSeries> peers = NewPeerSeries();
  for (int i = 0; i <= config_.repeats; ++i) {
    MeasurePeers(peers, [&](Peer& peer, PeerSeries& series) -> Status {
      FERRY_ASSIGN_OR_RETURN(std::vector<double> times,
                             peer.StatRoundTrips("small.bin", config_.stat_count));
      if (i > 0) {
        const Summary summary = Summarise(std::move(times));
        series.values[0].push_back(summary.median);
        series.values[1].push_back(summary.p99);
      }
      return Status::Ok();
    });
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
  AddVersus("stat p50 (FTP: SIZE)", "us", Summarise(ferry_p50), peers, 0, -1,
            [](const std::string& peer) { return peer == "vsftpd" ? "about 2x" : "reported"; });
  AddVersus("stat p99 (FTP: SIZE)", "us", Summarise(ferry_p99), peers, 1, -1,
            [](const std::string&) { return "reported"; });
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
  std::vector<double> ferry, local, local_stat;
  std::vector<PeerSeries> peers = NewPeerSeries();
  for (int i = 0; i <= config_.repeats; ++i) {
    MeasurePeers(peers, [&](Peer& peer, PeerSeries& series) -> Status {
      FERRY_ASSIGN_OR_RETURN(const double ms, peer.ListMillis("many"));
      if (i > 0) series.values[0].push_back(ms);
      return Status::Ok();
    });
    FERRY_ASSIGN_OR_RETURN(double ls_ms, ls());
    int stat_entries = 0;
    FERRY_ASSIGN_OR_RETURN(const double stat_ms, ListAndStat(big.string(), &stat_entries));
    if (stat_entries != config_.list_entries) {
      return Status::Error(StatusCode::kInternal, "the local listing is missing entries");
    }
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
    local_stat.push_back(stat_ms);
  }
  Add({"list " + std::to_string(config_.list_entries) + " entries", "ms", Summarise(ferry),
       "local ls -l", Summarise(local), "<= 3x", true});
  // Every long listing, ferry's and the peers', stats each entry: this row is
  // the floor under all of them.
  Add({"  list vs readdir + lstat of each entry in one process (no network)", "ms",
       Summarise(ferry), "readdir + lstat", Summarise(local_stat), "reported", true});
  AddVersus("list", "ms", Summarise(ferry), peers, 0, -1, [](const std::string& peer) {
    return peer == "vsftpd" ? ">= 3.33x (<= 0.3x the time)" : "reported";
  });
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
  std::vector<PeerSeries> peers = NewPeerSeries();
  std::vector<double> piped_both, local_floor;
  const fs::path floor_dir = work_ / "small-floor";
  fs::create_directories(floor_dir);
  const fs::path peer_source = work_ / "small-source.bin";
  if (!peers.empty()) FERRY_RETURN_IF_ERROR(WriteFile(peer_source, config_.small_bytes, 11));
  for (const PeerSeries& one : peers) fs::create_directories(root_ / ("small-" + one.peer->name()));
  for (int i = 0; i <= config_.repeats; ++i) {
    MeasurePeers(peers, [&](Peer& peer, PeerSeries& series) -> Status {
      FERRY_ASSIGN_OR_RETURN(Peer::SmallFiles result,
                             peer.SmallFileRoundTrip("small-" + peer.name(), config_.small_files,
                                                     peer_source.string()));
      if (i > 0) {
        series.values[0].push_back(result.upload_ms);
        series.values[1].push_back(result.download_ms);
        series.values[2].push_back(result.upload_ms + result.download_ms);
        series.values[3].push_back(result.upload_ms + result.sync_ms);
        series.values[4].push_back(result.upload_ms + result.sync_ms + result.download_ms);
      }
      return Status::Ok();
    });
    FERRY_ASSIGN_OR_RETURN(const double floor_ms,
                           DurableSmallFiles(floor_dir.string(), config_.small_files, data.size()));
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
    piped_both.push_back(up_ms + down_ms);
    local_floor.push_back(floor_ms);
    sequential_up.push_back(sequential_up_ms);
    sequential_down.push_back(sequential_down_ms);
  }
  const std::string what = std::to_string(config_.small_files) + " x " +
                           std::to_string(config_.small_bytes / 1024) + " KiB";
  Add({what + " uploads (each durable), pipelined", "ms", Summarise(piped_up),
       "same, one request at a time", Summarise(sequential_up), "10x vsftpd (peers)", true});
  Add({what + " downloads, pipelined", "ms", Summarise(piped_down), "same, one request at a time",
       Summarise(sequential_down), "10x vsftpd (peers)", true});
  const auto ten_times_vsftpd = [](const std::string& peer) {
    return peer == "vsftpd" ? ">= 10x" : "reported";
  };
  AddVersus(what + " up", "ms", Summarise(piped_up), peers, 0, -1, ten_times_vsftpd);
  AddVersus(what + " down", "ms", Summarise(piped_down), peers, 1, -1, ten_times_vsftpd);
  AddVersus(what + " up, then down", "ms", Summarise(piped_both), peers, 2, -1, ten_times_vsftpd);
  // The peers do not sync small uploads; ferry makes each durable before it
  // answers. Like for like: the peers' time plus an fsync of each file after.
  const auto like_for_like = [](const std::string&) { return "reported"; };
  AddVersus(what + " up, peers' time includes an fsync of each file after", "ms",
            Summarise(piped_up), peers, 3, -1, like_for_like);
  AddVersus(what + " up (peers + fsync of each), then down", "ms", Summarise(piped_both), peers, 4,
            -1, like_for_like);
  Add({"  " + what + " up vs the same files made durable locally, one at a time (no network)", "ms",
       Summarise(piped_up), "write, fsync, rename each", Summarise(local_floor), "reported", true});
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
  std::vector<PeerSeries> peers = NewPeerSeries();
  std::vector<std::string> names;
  for (int i = 0; i < n; ++i) names.push_back("c" + std::to_string(i) + ".bin");
  for (int r = 0; r <= config_.repeats; ++r) {
    MeasurePeers(peers, [&](Peer& peer, PeerSeries& series) -> Status {
      FERRY_ASSIGN_OR_RETURN(const double seconds, peer.DownloadAtOnce(names));
      if (r > 0) series.values[0].push_back(Gbps(size * static_cast<uint64_t>(n), seconds));
      return Status::Ok();
    });
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
  AddVersus(std::to_string(n) + " clients at once", "GB/s", Summarise(ferry), peers, 0, +1,
            [](const std::string& peer) { return peer == "vsftpd" ? ">= 1.2x" : "reported"; });
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

Status Bench::StartPeers() {
  const fs::path work = work_ / "peers";
  fs::create_directories(work);
  std::vector<std::string> skipped;
  peers_ = Peer::StartAll({root_.string(), work.string(), config_.peer_script}, &skipped);
  for (const std::string& line : skipped) Note(line);
  for (const auto& peer : peers_) Note("peer " + peer->method());
  if (!peers_.empty()) {
    Note(
        "peer rows: the ratio is ferry's advantage (ferry/peer for throughput, peer/ferry for "
        "times): above 1 means ferry did better");
  }
  return Status::Ok();
}

Status Bench::Run() {
  if (config_.peers) FERRY_RETURN_IF_ERROR(StartPeers());
  std::printf(
      "| scenario | unit | ferry median [min..max] | baseline median [min..max] | ratio | "
      "target |\n|---|---|---|---|---|---|\n");
  const std::pair<const char*, Status (Bench::*)()> scenarios[] = {
      {"download", &Bench::Download},
      {"tls", &Bench::TlsDownload},
      {"upload", &Bench::Upload},
      {"stat", &Bench::StatRoundTrip},
      {"list", &Bench::List},
      {"small", &Bench::SmallFiles},
      {"concurrent", &Bench::Concurrent},
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
                 "Comma-separated scenarios: download,tls,upload,stat,list,small,concurrent,idle");
  app.add_flag("--peers", config.peers,
               "Also measure vsftpd, OpenSSH sftp and pyftpdlib, those installed, on loopback");
  app.add_option("--peer-script", config.peer_script,
                 "bench/peer_client.py, the peers' Python client")
      ->capture_default_str();
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
  // data/ is what the servers serve; work/ holds the peers' configurations and
  // keys and the TLS certificate, out of the clients' reach.
  const std::filesystem::path top = pattern;
  const std::filesystem::path root = top / "data";
  const std::filesystem::path work = top / "work";
  std::filesystem::create_directories(root);
  std::filesystem::create_directories(work);
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
      ferry::bench::Bench bench(config, server->get(), root, work);
      if (const ferry::Status status = bench.Run(); !status.ok()) {
        std::fprintf(stderr, "ferry_bench: %s\n", status.ToString().c_str());
        rc = 1;
      } else {
        std::printf("\nresults written to %s\n", config.json.c_str());
      }
    }
  }
  std::error_code ignored;
  std::filesystem::remove_all(top, ignored);
  return rc;
}
