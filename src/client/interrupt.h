// Ctrl-C in the interactive shell: the SIGINT handler only sets a flag, which
// a running transfer polls between chunks (TransferOptions::cancel) and the
// line editor checks to abandon the line being typed.
#pragma once

#include <atomic>

namespace ferry {

// Set by SIGINT once InstallInterruptHandler has run; cleared by its readers.
std::atomic<bool>& InterruptFlag();

// Installs the handler, without SA_RESTART so a blocked terminal read returns.
void InstallInterruptHandler();

}  // namespace ferry
