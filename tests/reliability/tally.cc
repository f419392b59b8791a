#include "tests/reliability/tally.h"

#include <atomic>

namespace ferry::reliability {
namespace {

std::atomic<uint64_t> faults{0};
std::atomic<uint64_t> bad_inputs{0};
std::atomic<uint64_t> bytes_lost{0};

}  // namespace

void CountFaults(uint64_t n) { faults += n; }
void CountBadInputs(uint64_t n) { bad_inputs += n; }
void CountBytesLost(uint64_t n) { bytes_lost += n; }

Totals CurrentTotals() { return Totals{faults.load(), bad_inputs.load(), bytes_lost.load()}; }

}  // namespace ferry::reliability
