// The reliability suite's main: runs every test, then prints the summary line
// (see tally.h). The line starts with "reliability:"; it is also written to the
// file $FERRY_RELIABILITY_SUMMARY names, if set, for CI to show.
#include <cstdio>
#include <cstdlib>

#include "gtest/gtest.h"
#include "tests/reliability/tally.h"

namespace {

class SummaryPrinter : public testing::Environment {
 public:
  void TearDown() override {
    const ferry::reliability::Totals totals = ferry::reliability::CurrentTotals();
    char line[256];
    std::snprintf(line, sizeof(line),
                  "reliability: %llu faults injected, %llu bad inputs tried, %llu bytes lost or "
                  "misplaced\n",
                  static_cast<unsigned long long>(totals.faults),
                  static_cast<unsigned long long>(totals.bad_inputs),
                  static_cast<unsigned long long>(totals.bytes_lost));
    std::fputs(line, stdout);
    std::fflush(stdout);
    // ctest shows a passing test's output to no one; CI prints this file instead.
    if (const char* path = std::getenv("FERRY_RELIABILITY_SUMMARY"); path != nullptr) {
      if (std::FILE* file = std::fopen(path, "w"); file != nullptr) {
        std::fputs(line, file);
        std::fclose(file);
      }
    }
    EXPECT_EQ(totals.bytes_lost, 0u) << "the reliability guarantees lost file bytes";
  }
};

}  // namespace

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  testing::AddGlobalTestEnvironment(new SummaryPrinter);
  return RUN_ALL_TESTS();
}
