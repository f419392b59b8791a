// The server's registry of interrupted resumable uploads (spec 7.8): bounded in
// count and time, each id good for one continuation of the same path and size.
#include "src/server/kept_uploads.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "src/fs/in_memory_file_system.h"
#include "tests/testing/status_matchers.h"

namespace ferry {
namespace {

Path P(std::string_view text) { return Path::Parse(text).value(); }

class KeptUploadsTest : public ::testing::Test {
 protected:
  // A kept upload of `path` holding `bytes`, as a session leaves one.
  std::unique_ptr<KeptUpload> Keep(std::string_view path, std::string_view bytes) {
    auto upload = fs_.CreateUpload(P(path), {.size = 100, .overwrite = true});
    EXPECT_THAT(upload, IsOk());
    FERRY_EXPECT_OK(
        (*upload)->Write({reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()}));
    auto kept = (*upload)->Keep();
    EXPECT_THAT(kept, IsOk());
    return std::move(*kept);
  }

  KeptUploads::Options Options(size_t capacity) {
    KeptUploads::Options options;
    options.capacity = capacity;
    options.lifetime = std::chrono::seconds(60);
    options.now = [this] { return now_; };
    return options;
  }

  InMemoryFileSystem fs_;
  KeptUploads::Clock::time_point now_{};
};

// R-RESUME-6: ids are 16 random bytes, never repeated.
TEST_F(KeptUploadsTest, IdsAreSixteenFreshRandomBytes) {
  std::set<std::string> ids;
  for (int i = 0; i < 100; ++i) {
    auto id = KeptUploads::NewId();
    ASSERT_THAT(id, IsOk());
    EXPECT_EQ(id->size(), 16u);
    ids.insert(*id);
  }
  EXPECT_EQ(ids.size(), 100u);
}

// R-RESUME-7, R-RESUME-8: the id continues the upload once, for the same path
// and size only.
TEST_F(KeptUploadsTest, AnIdIsTakenOnceForTheSamePathAndSize) {
  KeptUploads kept(Options(4));
  kept.Put("id-1", P("a"), 100, Keep("a", "xyz"));
  std::unique_ptr<KeptUpload> taken = kept.Take("id-1", P("a"), 100);
  ASSERT_NE(taken, nullptr);
  EXPECT_EQ(taken->size(), 3u);
  EXPECT_EQ(kept.Take("id-1", P("a"), 100), nullptr);  // spent
  taken.reset();
  EXPECT_EQ(fs_.PendingUploadsForTest(), 0u);
}

// R-RESUME-8: presenting an id for another path or size removes what it named.
TEST_F(KeptUploadsTest, AMismatchingRequestRemovesTheKeptUpload) {
  KeptUploads kept(Options(4));
  kept.Put("id-1", P("a"), 100, Keep("a", "xyz"));
  kept.Put("id-2", P("b"), 100, Keep("b", "xyz"));
  EXPECT_EQ(kept.Take("id-1", P("a"), 99), nullptr);
  EXPECT_EQ(kept.Take("id-2", P("c"), 100), nullptr);
  EXPECT_EQ(kept.Take("id-1", P("a"), 100), nullptr);
  EXPECT_EQ(kept.Take("id-2", P("b"), 100), nullptr);
  EXPECT_EQ(kept.Take("unknown", P("a"), 100), nullptr);
  EXPECT_EQ(kept.size(), 0u);
  EXPECT_EQ(fs_.PendingUploadsForTest(), 0u);  // their temporaries are gone
}

// R-RESUME-9: when full, keeping another removes the oldest, temporary and all.
TEST_F(KeptUploadsTest, WhenFullTheOldestIsEvicted) {
  KeptUploads kept(Options(3));
  for (int i = 0; i < 5; ++i) {
    now_ += std::chrono::seconds(1);
    kept.Put("id-" + std::to_string(i), P("f" + std::to_string(i)), 100,
             Keep("f" + std::to_string(i), "x"));
  }
  EXPECT_EQ(kept.size(), 3u);
  EXPECT_EQ(fs_.PendingUploadsForTest(), 3u);
  EXPECT_EQ(kept.Take("id-0", P("f0"), 100), nullptr);
  EXPECT_EQ(kept.Take("id-1", P("f1"), 100), nullptr);
  EXPECT_NE(kept.Take("id-4", P("f4"), 100), nullptr);
}

// R-RESUME-9: a kept upload expires after the lifetime, and its temporary goes.
TEST_F(KeptUploadsTest, KeptUploadsExpire) {
  KeptUploads kept(Options(3));
  kept.Put("old", P("a"), 100, Keep("a", "x"));
  now_ += std::chrono::seconds(30);
  kept.Put("new", P("b"), 100, Keep("b", "x"));
  now_ += std::chrono::seconds(31);  // "old" is 61 s old, "new" 31 s
  EXPECT_EQ(kept.Take("old", P("a"), 100), nullptr);
  EXPECT_EQ(fs_.PendingUploadsForTest(), 1u);
  EXPECT_NE(kept.Take("new", P("b"), 100), nullptr);
}

// R-RESUME-9: what is still kept when the registry goes is removed with it.
TEST_F(KeptUploadsTest, DestroyingTheRegistryRemovesEveryTemporary) {
  {
    KeptUploads kept(Options(8));
    kept.Put("a", P("a"), 100, Keep("a", "x"));
    kept.Put("b", P("b"), 100, Keep("b", "y"));
    EXPECT_EQ(fs_.PendingUploadsForTest(), 2u);
  }
  EXPECT_EQ(fs_.PendingUploadsForTest(), 0u);
}

}  // namespace
}  // namespace ferry
