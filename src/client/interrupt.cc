#include "src/client/interrupt.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>

namespace ferry {
namespace {

std::atomic<bool> interrupted{false};
static_assert(std::atomic<bool>::is_always_lock_free, "the flag is set in a signal handler");

bool exit_on_second = false;  // written before the handler is installed
int wake[2] = {-1, -1};       // the self-pipe: read end, write end

extern "C" void OnInterrupt(int) {
  if (interrupted.exchange(true) && exit_on_second) _exit(130);
  if (wake[1] >= 0) {
    const int saved = errno;  // the interrupted code may be about to read errno
    const char byte = 0;
    // A full pipe already says "wake up"; nothing else can be done here.
    [[maybe_unused]] const ssize_t ignored = write(wake[1], &byte, 1);
    errno = saved;
  }
}

}  // namespace

std::atomic<bool>& InterruptFlag() { return interrupted; }

void InstallInterruptHandler(bool second_exits) {
  exit_on_second = second_exits;
  if (wake[0] < 0 && pipe2(wake, O_CLOEXEC | O_NONBLOCK) != 0) wake[0] = wake[1] = -1;
  struct sigaction action {};
  action.sa_handler = OnInterrupt;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;
  sigaction(SIGINT, &action, nullptr);
}

int InterruptFd() { return wake[0]; }

void DrainInterruptFd() {
  char discard[64];
  while (wake[0] >= 0 && read(wake[0], discard, sizeof(discard)) > 0) {
  }
}

}  // namespace ferry
