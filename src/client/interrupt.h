// Ctrl-C in the interactive shell: the SIGINT handler only sets a flag, which
// a running transfer polls between chunks (TransferOptions::cancel) and the
// line editor checks to abandon the line being typed, and wakes the line
// editor through a self-pipe.
#pragma once

#include <atomic>

namespace ferry {

// Set by SIGINT once InstallInterruptHandler has run; cleared by its readers.
std::atomic<bool>& InterruptFlag();

// Installs the handler, without SA_RESTART so a blocked terminal read returns.
// With `second_exits` (one-shot, batch and piped modes, where nothing clears
// the flag), a Ctrl-C while the flag is still set ends the process at once
// with status 130: the impatient second press.
void InstallInterruptHandler(bool second_exits = false);

// A descriptor that becomes readable when SIGINT arrives (a self-pipe the
// handler writes to), or -1 before InstallInterruptHandler. A signal that lands
// between two system calls interrupts neither, so a reader that must notice
// every Ctrl-C waits on this as well as on its input. Drain it with
// DrainInterruptFd; the flag, not the pipe, says whether Ctrl-C is pending.
int InterruptFd();
void DrainInterruptFd();

}  // namespace ferry
