// The reliability suite's main: runs every test, then prints the summary line
// (see tally.h). The line starts with "reliability:" so CI can show it.
#include <cstdio>

#include "gtest/gtest.h"
#include "tests/reliability/tally.h"

namespace {

class SummaryPrinter : public testing::Environment {
 public:
  void TearDown() override {
    const ferry::reliability::Totals totals = ferry::reliability::CurrentTotals();
    std::printf(
        "reliability: %llu faults injected, %llu bad inputs tried, %llu bytes lost or "
        "misplaced\n",
        static_cast<unsigned long long>(totals.faults),
        static_cast<unsigned long long>(totals.bad_inputs),
        static_cast<unsigned long long>(totals.bytes_lost));
    std::fflush(stdout);
    EXPECT_EQ(totals.bytes_lost, 0u) << "the reliability guarantees lost file bytes";
  }
};

}  // namespace

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  testing::AddGlobalTestEnvironment(new SummaryPrinter);
  return RUN_ALL_TESTS();
}
