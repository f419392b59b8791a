// Ctrl-C in the interactive shell: the SIGINT handler only sets a flag, which
// a running transfer polls between chunks (TransferOptions::cancel) and the
// line editor checks to abandon the line being typed.
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

}  // namespace ferry
