// Two clients upload the same name at the same time, with overwrite, against a
// real ferryd on a real directory, 50 times over. Each round, both uploads are
// held at their midpoint until the other has reached it too, so their data
// phases always overlap and the two commits race.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <barrier>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "src/client/client.h"
#include "tests/reliability/session_rig.h"
#include "tests/reliability/tally.h"  // CountBytesLost
#include "tests/testing/server_process.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace ferry::reliability {
namespace {

constexpr int kRounds = 50;
constexpr size_t kFileBytes = 200'000;

// R-DUR-4, R-UPLOAD-13: both clients get a definite answer, and the file is then
// exactly one of the versions that was acknowledged, never a mix.
TEST(ConcurrentUploadTest, TwoClientsUploadingOneNameLeaveExactlyOneVersion) {
  TempDir root;
  ServerProcess server;
  FERRY_ASSERT_OK(server.Start(root.path()));
  const HostPort address{"127.0.0.1", server.port()};
  int first_won = 0;
  int second_won = 0;
  for (int round = 0; round < kRounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    const std::string versions[2] = {Pattern(kFileBytes, 2 * round + 100),
                                     Pattern(kFileBytes, 2 * round + 101)};
    std::barrier midpoint(2);
    std::optional<StatusOr<TransferResult>> results[2];
    const auto upload = [&](int which) {
      auto client = Client::Connect(address, ClientOptions{});
      if (!client.ok()) {
        midpoint.arrive_and_drop();
        results[which] = client.status();
        return;
      }
      const std::string& contents = versions[which];
      size_t offset = 0;
      bool waited = false;
      TransferOptions options;
      options.overwrite = true;
      results[which] = (*client)->Upload(
          "same.bin", contents.size(),
          [&](std::span<uint8_t> out) {
            if (!waited && offset >= contents.size() / 2) {
              midpoint.arrive_and_wait();
              waited = true;
            }
            const size_t n = std::min(out.size(), contents.size() - offset);
            std::memcpy(out.data(), contents.data() + offset, n);
            offset += n;
            return StatusOr<size_t>(n);
          },
          options);
      if (!waited) midpoint.arrive_and_drop();
      (*client)->Bye().IgnoreError();
    };
    std::thread first(upload, 0);
    std::thread second(upload, 1);
    first.join();
    second.join();
    // A definite answer each: with overwrite, both commit, one after the other.
    ASSERT_TRUE(results[0].has_value() && results[1].has_value());
    EXPECT_THAT(*results[0], IsOk());
    EXPECT_THAT(*results[1], IsOk());

    const StatusOr<std::string> final_content = root.ReadFile("same.bin");
    ASSERT_THAT(final_content, IsOk());
    if (*final_content == versions[0]) {
      ++first_won;
    } else if (*final_content == versions[1]) {
      ++second_won;
    } else {
      ADD_FAILURE() << "the file is a mix of the two uploads";
      CountBytesLost(std::min(BytesDiffering(versions[0], *final_content),
                              BytesDiffering(versions[1], *final_content)));
    }
    EXPECT_EQ(TemporariesOnDisk(root.path()), 0u);
  }
  std::printf("concurrent uploads: first won %d rounds, second %d\n", first_won, second_won);
}

}  // namespace
}  // namespace ferry::reliability
