// End to end with a file far larger than any buffer: 300 MiB up and back down.
// Labelled `large` so quick runs can leave it out (ctest -LE large).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "tests/e2e/e2e_fixture.h"

namespace ferry {
namespace {

using ::testing::IsEmpty;

constexpr uint64_t kSize = 300ull * 1024 * 1024;

class LargeFileE2e : public E2eTest {};

TEST_F(LargeFileE2e, ThreeHundredMiBRoundTripIsByteIdentical) {
  auto digest = WriteRandomFile(local_ / "large.bin", kSize, /*seed=*/300);
  ASSERT_THAT(digest, IsOk());

  RunClientOptions options;
  options.timeout = std::chrono::minutes(5);  // hang guard only
  const ProcessResult run =
      RunSession("upload large.bin\ndownload large.bin large-copy.bin\n", options);

  ASSERT_EQ(run.exit_code, 0) << run;
  EXPECT_THAT(run.err, IsEmpty());
  EXPECT_THAT(DigestOfFile(root_ / "large.bin"), IsOkAndHolds(*digest));
  EXPECT_THAT(DigestOfFile(local_ / "large-copy.bin"), IsOkAndHolds(*digest));
  EXPECT_EQ(std::filesystem::file_size(local_ / "large-copy.bin"), kSize);
}

}  // namespace
}  // namespace ferry
