// ParallelEach (src/base/parallel_each.h): every index runs exactly once, and
// the calls really do run side by side, up to the thread limit.
#include "src/base/parallel_each.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace ferry {
namespace {

TEST(ParallelEachTest, RunsEveryIndexExactlyOnce) {
  for (const size_t count : {0u, 1u, 7u, 1000u}) {
    for (const size_t threads : {0u, 1u, 4u, 64u}) {
      SCOPED_TRACE(std::to_string(count) + " indices on " + std::to_string(threads) + " threads");
      std::vector<std::atomic<int>> runs(count);
      ParallelEach(count, threads, [&](size_t i) { runs[i].fetch_add(1); });
      for (size_t i = 0; i < count; ++i) EXPECT_EQ(runs[i].load(), 1) << "index " << i;
    }
  }
}

// Each call waits until four are running at once: one after another, the
// first would wait for ever (here: until the hang guard) and the test fails.
TEST(ParallelEachTest, RunsUpToTheLimitAtOnce) {
  std::mutex mu;
  std::condition_variable all_in;
  size_t running = 0;
  size_t met = 0;
  ParallelEach(4, 4, [&](size_t) {
    std::unique_lock lock(mu);
    ++running;
    all_in.notify_all();
    if (all_in.wait_for(lock, std::chrono::seconds(30), [&] { return running == 4; })) ++met;
  });
  EXPECT_EQ(met, 4u);
}

TEST(ParallelEachTest, NeverRunsMoreThanTheLimitAtOnce) {
  std::atomic<int> running{0};
  std::atomic<int> most{0};
  ParallelEach(200, 3, [&](size_t) {
    const int now = running.fetch_add(1) + 1;
    int seen = most.load();
    while (now > seen && !most.compare_exchange_weak(seen, now)) {
    }
    std::this_thread::yield();
    running.fetch_sub(1);
  });
  EXPECT_LE(most.load(), 3);
  EXPECT_GE(most.load(), 1);
}

}  // namespace
}  // namespace ferry
