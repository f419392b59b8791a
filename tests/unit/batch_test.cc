// Batch-file lines (src/client/batch.h): the `-` prefix that ignores a line's
// failure, as in sftp -b.
#include "src/client/batch.h"

#include <gtest/gtest.h>

namespace ferry {
namespace {

TEST(BatchLineTest, APlainLineIsRunAsWritten) {
  const BatchLine line = ParseBatchLine("rm a-b.txt");
  EXPECT_EQ(line.command, "rm a-b.txt");
  EXPECT_FALSE(line.ignore_failure);
}

TEST(BatchLineTest, ALeadingDashIgnoresTheFailureAndIsRemoved) {
  const BatchLine line = ParseBatchLine("-mkdir reports");
  EXPECT_EQ(line.command, "mkdir reports");
  EXPECT_TRUE(line.ignore_failure);
  const BatchLine indented = ParseBatchLine(" \t-rm x");
  EXPECT_EQ(indented.command, "rm x");
  EXPECT_TRUE(indented.ignore_failure);
}

TEST(BatchLineTest, BlankLinesAndLoneDashes) {
  EXPECT_FALSE(ParseBatchLine("").ignore_failure);
  EXPECT_FALSE(ParseBatchLine("   ").ignore_failure);
  const BatchLine dash = ParseBatchLine("-");
  EXPECT_EQ(dash.command, "");
  EXPECT_TRUE(dash.ignore_failure);
}

}  // namespace
}  // namespace ferry
