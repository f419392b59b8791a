// ParallelEach: runs `action(i)` for every i in [0, count) on up to `max_threads`
// threads (the caller's included), each taking the next index as it finishes the
// last. For work that mostly waits in the kernel, such as fsync, where running
// the calls side by side lets the kernel merge what they wait for.
//
// `action` must be safe to run concurrently for distinct indices. With one
// thread, the calls run in index order on the caller's. It returns when every
// call has returned.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <system_error>
#include <thread>
#include <vector>

namespace ferry {

template <typename Action>
void ParallelEach(size_t count, size_t max_threads, Action&& action) {
  std::atomic<size_t> next{0};
  const auto work = [&] {
    for (size_t i = next.fetch_add(1); i < count; i = next.fetch_add(1)) action(i);
  };
  if (count == 0) return;
  // The caller's thread is one of them.
  const size_t helpers = std::min(count, std::max<size_t>(max_threads, 1)) - 1;
  std::vector<std::jthread> threads;
  threads.reserve(helpers);
  for (size_t t = 0; t < helpers; ++t) {
    // Fewer threads only make it slower: the caller's own does all that is left.
    try {
      threads.emplace_back(work);
    } catch (const std::system_error&) {
      break;
    }
  }
  work();
}  // the jthreads join here

}  // namespace ferry
