#include "src/client/interrupt.h"

#include <signal.h>
#include <unistd.h>

namespace ferry {
namespace {

std::atomic<bool> interrupted{false};
static_assert(std::atomic<bool>::is_always_lock_free, "the flag is set in a signal handler");

bool exit_on_second = false;  // written before the handler is installed

extern "C" void OnInterrupt(int) {
  if (interrupted.exchange(true) && exit_on_second) _exit(130);
}

}  // namespace

std::atomic<bool>& InterruptFlag() { return interrupted; }

void InstallInterruptHandler(bool second_exits) {
  exit_on_second = second_exits;
  struct sigaction action {};
  action.sa_handler = OnInterrupt;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;
  sigaction(SIGINT, &action, nullptr);
}

}  // namespace ferry
