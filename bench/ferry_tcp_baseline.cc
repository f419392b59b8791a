// ferry_tcp_baseline: raw loopback TCP with no protocol, the yardstick ferry's
// transfers and round trips are measured against (ferry_bench runs the same
// code in-process; this is the same thing by hand).
//
//   ferry_tcp_baseline throughput --bytes N --write-size W [--streams S]
//   ferry_tcp_baseline pingpong --request-bytes Q --reply-bytes R --count C
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>

#include "bench/tcp_baseline.h"

int main(int argc, char** argv) {
  CLI::App app{"ferry_tcp_baseline: raw loopback TCP throughput and ping-pong"};
  app.require_subcommand(1);
  uint64_t bytes = 1ull << 30;
  size_t write_size = 1 << 20;
  int streams = 1;
  CLI::App* throughput = app.add_subcommand("throughput", "bytes per second over loopback");
  throughput->add_option("--bytes", bytes, "Bytes per stream")->capture_default_str();
  throughput->add_option("--write-size", write_size, "Bytes per write")->capture_default_str();
  throughput->add_option("--streams", streams, "Connections at once")->capture_default_str();
  size_t request_bytes = 16, reply_bytes = 64;
  int count = 10000;
  CLI::App* pingpong = app.add_subcommand("pingpong", "request/response round-trip times");
  pingpong->add_option("--request-bytes", request_bytes)->capture_default_str();
  pingpong->add_option("--reply-bytes", reply_bytes)->capture_default_str();
  pingpong->add_option("--count", count)->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  if (throughput->parsed()) {
    auto seconds = ferry::bench::TcpThroughput(bytes, write_size, streams);
    if (!seconds.ok()) {
      std::fprintf(stderr, "ferry_tcp_baseline: %s\n", seconds.status().ToString().c_str());
      return 1;
    }
    std::printf("%d stream(s) x %llu bytes in %.4f s: %.3f GB/s aggregate\n", streams,
                static_cast<unsigned long long>(bytes), *seconds,
                static_cast<double>(bytes) * streams / *seconds / 1e9);
    return 0;
  }
  auto micros = ferry::bench::TcpPingPong(request_bytes, reply_bytes, count);
  if (!micros.ok()) {
    std::fprintf(stderr, "ferry_tcp_baseline: %s\n", micros.status().ToString().c_str());
    return 1;
  }
  std::sort(micros->begin(), micros->end());
  const auto at = [&](double q) {
    return (*micros)[static_cast<size_t>(q * (micros->size() - 1))];
  };
  std::printf("%d round trips (%zu B / %zu B): p50 %.1f us, p99 %.1f us\n", count, request_bytes,
              reply_bytes, at(0.5), at(0.99));
  return 0;
}
