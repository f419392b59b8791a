// The reliability suite's running account: how many faults it injected, how many
// hostile inputs it tried, and how many file bytes ended up lost or misplaced.
//
// Every reliability test adds what it did; the suite's main prints one summary
// line at the end (reliability_main.cc), and a non-zero loss fails the run even
// when each test passed on its own.
#pragma once

#include <cstdint>

namespace ferry::reliability {

// A fault the test made happen: a failing or short system call, a killed process,
// a dropped connection.
void CountFaults(uint64_t n = 1);
// A hostile or malformed input the test fed to a peer.
void CountBadInputs(uint64_t n = 1);
// File bytes that are not where the guarantees say they must be: an acknowledged
// upload that is missing or different, an old file that changed, a temporary that
// became visible. Tests also assert on their own; this feeds the summary.
void CountBytesLost(uint64_t n);

struct Totals {
  uint64_t faults = 0;
  uint64_t bad_inputs = 0;
  uint64_t bytes_lost = 0;
};
Totals CurrentTotals();

}  // namespace ferry::reliability
