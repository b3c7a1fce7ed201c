// Retention and protection on a real catalog in a fresh storage directory per test, with real segment files
// (deleting one really unlinks it) and a fake disk whose free space is its capacity minus what the segment
// files still on disk hold, so that a deletion really frees "space".
//
// What is checked: age (max_age_days), the free-space floor with write-rate headroom, oldest first across
// cameras, per-camera quota, what may never be deleted (protected footage, segments being written), lost
// rows, the alarm when nothing may be deleted, the guard against deleting when deleting frees nothing, the
// protection cap (max_protected_percent) and the deletion counts in the catalog.

#include "tests/support/temp_dir.h"
#include "tests/support/incident_fixture.h"
#include "recorder/retention/retention.h"

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <gtest/gtest.h>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unistd.h>
#include <vector>

#include "recorder/catalog/catalog.h"
#include "recorder/config/config.h"
#include "recorder/core/error.h"
#include "recorder/retention/disk_space.h"
#include "recorder/retention/protection.h"

using namespace recorder;
using namespace recorder::catalog;
using recorder::retention::DiskSpace;
using recorder::retention::DiskSpaceSource;
using recorder::retention::Retention;
using recorder::retention::RetentionOutcome;

namespace {

constexpr Micros second = 1'000'000;
constexpr Micros minute = 60 * second;
constexpr Micros hour = 60 * minute;
constexpr Micros day = 24 * hour;
// 2026-11-30T10:00:00Z: "now" for every pass unless a test moves it.
constexpr Micros now = 1'796'032'800 * second;
constexpr std::uint64_t MiB = 1 << 20;

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

using test_support::fresh_temp_dir;

// A disk of `capacity` bytes that holds the segment files (*.mp4) under the storage directory, plus
// `other_used` bytes of something else. `frozen` makes it report a constant free space whatever is deleted
// (space held by something else: a file kept open, another writer).
class FakeDisk final : public DiskSpaceSource {
 public:
  FakeDisk(std::filesystem::path storage, std::uint64_t capacity) : storage_(std::move(storage)), capacity(capacity) {}

  DiskSpace space(const std::filesystem::path& path) const override {
    ++calls;
    last_path = path;
    if (frozen) return {capacity, *frozen};
    const std::uint64_t used = other_used + footage_bytes();
    return {capacity, used >= capacity ? 0 : capacity - used};
  }

  // Sum of the sizes of the segment files on disk now.
  std::uint64_t footage_bytes() const {
    std::uint64_t sum = 0;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(storage_))
      if (entry.is_regular_file() && entry.path().extension() == ".mp4") sum += entry.file_size();
    return sum;
  }

  std::uint64_t available() const { return space(storage_).available; }

 private:
  std::filesystem::path storage_;

 public:
  std::uint64_t capacity;
  std::uint64_t other_used = 0;
  std::optional<std::uint64_t> frozen;
  mutable int calls = 0;
  mutable std::filesystem::path last_path;
};

// A fresh storage directory, a read-write catalog in it with cameras c01..c03, a fake disk, and a storage
// configuration with the defaults of the issue (28 days, 25 % protected) and a 10 % floor.
class StorageFixture : public ::testing::Test {
 protected:
  void SetUp() override { open_fresh(); }
  void TearDown() override {
    catalog_.reset();
    std::filesystem::remove_all(storage_);
  }

  // (Re)starts from an empty storage directory; for tests that compare two scenarios.
  void open_fresh() {
    catalog_.reset();
    if (!storage_.empty()) std::filesystem::remove_all(storage_);
    storage_ = fresh_temp_dir("retention-test");
    catalog_.emplace(storage_, Database::Mode::ReadWrite);
    for (const char* camera : {"c01", "c02", "c03"}) catalog().upsert_camera(camera, std::nullopt, "", now - 60 * day);
    disk_.emplace(storage_, 100'000);
    storage_config_ = {};
    storage_config_.path = storage_;
    storage_config_.segment_seconds = 60;
    storage_config_.retention.max_age_days = 28;
    storage_config_.retention.min_free_percent = 10;
    storage_config_.retention.min_free_bytes = 0;
    storage_config_.retention.max_protected_percent = 25;
    storage_config_.retention.check_seconds = 10;
  }

  Catalog& catalog() { return *catalog_; }
  FakeDisk& disk() { return *disk_; }

  // A segment of `camera_id` from `start` lasting `duration`, whose file holds `bytes` bytes (the catalog's
  // `bytes` column says the same). Writing: no end, no bytes in the row, the file exists. Lost: the row keeps
  // its bytes, there is no file.
  std::int64_t segment(const std::string& camera_id, Micros start, Micros duration, std::uint64_t bytes,
                       SegmentState state = SegmentState::Complete) {
    Segment s;
    s.camera_id = camera_id;
    s.path = camera_id + "/" + camera_id + "-" + std::to_string(start) + ".mp4";
    s.start_us = start;
    s.state = state;
    if (state != SegmentState::Writing) {
      s.end_us = start + duration;
      s.media_duration_us = duration;
      s.bytes = static_cast<std::int64_t>(bytes);
      s.key_frames = duration / (2 * second);
    }
    if (state != SegmentState::Lost) write_file(catalog().absolute(s.path), bytes);
    const std::int64_t id = catalog().insert_segment(s);
    paths_[id] = s.path;
    return id;
  }

  static void write_file(const std::filesystem::path& file, std::uint64_t bytes) {
    std::filesystem::create_directories(file.parent_path());
    {
      std::ofstream out(file, std::ios::binary | std::ios::trunc);
      if (bytes < MiB) out << std::string(bytes, 'x');  // small: real bytes
    }
    if (bytes >= MiB) std::filesystem::resize_file(file, bytes);  // large: sparse, same size
    ASSERT_EQ(std::filesystem::file_size(file), bytes);
  }

  // `count` consecutive segments of `duration`, the first starting at `start`.
  std::vector<std::int64_t> segments(const std::string& camera_id, Micros start, int count, std::uint64_t bytes,
                                     Micros duration = minute) {
    std::vector<std::int64_t> ids;
    for (int i = 0; i < count; ++i) ids.push_back(segment(camera_id, start + i * duration, duration, bytes));
    return ids;
  }

  // Every segment row still in the catalog, in any state.
  std::set<std::int64_t> rows() {
    std::set<std::int64_t> ids;
    for (auto state : {SegmentState::Writing, SegmentState::Complete, SegmentState::Recovered, SegmentState::Lost,
                       SegmentState::Deleting})
      for (const auto& s : catalog().segments_in_state(state)) ids.insert(s.id);
    return ids;
  }

  bool has_row(std::int64_t id) { return rows().count(id) > 0; }
  bool has_file(std::int64_t id) { return std::filesystem::exists(catalog().absolute(paths_.at(id))); }
  // Kept: row and file both still there. Gone: neither is.
  bool kept(std::int64_t id) { return has_row(id) && has_file(id); }
  bool gone(std::int64_t id) { return !has_row(id) && !has_file(id); }

  DeletionTotals deletions(const std::string& cause) {
    const auto all = catalog().deletions();
    const auto found = all.find(cause);
    return found == all.end() ? DeletionTotals{} : found->second;
  }

  RetentionOutcome run(Micros at = now, std::map<std::string, std::uint64_t> quotas = {}) {
    Retention retention(storage_config_, std::move(quotas), disk());
    return retention.run(catalog(), at);
  }

  std::int64_t protect(std::vector<std::string> cameras, Micros start, Micros end,
                       std::optional<Micros> expires = std::nullopt, Micros at = now) {
    return retention::protect(catalog(), test_support::make_incident(std::move(cameras), start, end, at, expires),
                              storage_config_, disk(), at);
  }

  std::filesystem::path storage_;
  std::optional<Catalog> catalog_;
  std::optional<FakeDisk> disk_;
  config::StorageConfig storage_config_;
  std::map<std::int64_t, std::string> paths_;
};

class RetentionTest : public StorageFixture {};
class ProtectTest : public StorageFixture {};

// The cut-off of a pass at `now` with the default 28 days.
constexpr Micros cutoff = now - 28 * day;

}  // namespace

// ---------------------------------------------------------------------------------------------------------------
// Age

TEST_F(RetentionTest, AgeDeletesSegmentsEntirelyOlderThanMaxAgeAndKeepsOneStraddlingTheCutoff) {
  const auto old1 = segment("c01", cutoff - 3 * minute, minute, 1000);
  const auto old2 = segment("c01", cutoff - 2 * minute, minute, 1100);
  const auto straddling = segment("c01", cutoff - 30 * second, minute, 1200);
  const auto young = segment("c01", cutoff + 30 * second, minute, 1300);
  const auto recent = segment("c01", now - 2 * minute, minute, 1400);
  const auto old_other_camera = segment("c02", cutoff - 10 * day, minute, 1500);
  const auto ten_days = segment("c03", now - 10 * day, minute, 1600);

  const RetentionOutcome outcome = run();

  EXPECT_EQ(outcome.deleted.at("age"), 3);
  EXPECT_EQ(outcome.deleted.at("space"), 0);
  EXPECT_EQ(outcome.deleted.at("quota"), 0);
  EXPECT_TRUE(gone(old1));
  EXPECT_TRUE(gone(old2));
  EXPECT_TRUE(gone(old_other_camera));
  EXPECT_TRUE(kept(straddling)) << "part of it is younger than max_age_days";
  EXPECT_TRUE(kept(young));
  EXPECT_TRUE(kept(recent));
  EXPECT_TRUE(kept(ten_days));
  EXPECT_EQ(rows(), (std::set<std::int64_t>{straddling, young, recent, ten_days}));
  EXPECT_EQ(deletions("age").segments, 3);
  EXPECT_EQ(deletions("age").bytes, 1000 + 1100 + 1500);
  EXPECT_FALSE(outcome.alarm);

  // The straddling segment goes once all of it is past the limit.
  const RetentionOutcome later = run(now + minute);
  EXPECT_EQ(later.deleted.at("age"), 1);
  EXPECT_TRUE(gone(straddling));
  EXPECT_TRUE(kept(young));
  EXPECT_EQ(deletions("age").segments, 4);
  EXPECT_EQ(deletions("age").bytes, 1000 + 1100 + 1500 + 1200);
}

TEST_F(RetentionTest, AgeFollowsConfiguredMaxAgeDays) {
  const auto ten_days = segment("c01", now - 10 * day, minute, 1000);
  const auto six_days = segment("c01", now - 6 * day, minute, 1000);

  EXPECT_EQ(run().deleted.at("age"), 0) << "28 days by default";
  EXPECT_TRUE(kept(ten_days));

  storage_config_.retention.max_age_days = 7;
  EXPECT_EQ(run().deleted.at("age"), 1);
  EXPECT_TRUE(gone(ten_days));
  EXPECT_TRUE(kept(six_days));
}

TEST_F(RetentionTest, AgeSparesProtectedFootage) {
  const auto before = segment("c01", cutoff - 3 * day, minute, 1000);
  const auto covered = segment("c01", cutoff - 2 * day, minute, 1000);
  const auto after = segment("c01", cutoff - 1 * day, minute, 1000);
  const auto other_camera_same_time = segment("c02", cutoff - 2 * day, minute, 1000);
  protect({"c01"}, cutoff - 2 * day + 10 * second, cutoff - 2 * day + 20 * second);

  const RetentionOutcome outcome = run();

  EXPECT_EQ(outcome.deleted.at("age"), 3);
  EXPECT_TRUE(kept(covered)) << "protected footage is never deleted by age";
  EXPECT_TRUE(gone(before));
  EXPECT_TRUE(gone(after));
  EXPECT_TRUE(gone(other_camera_same_time)) << "the incident protects c01 only";
  // And it stays, pass after pass.
  EXPECT_EQ(run(now + day).deleted.at("age"), 0);
  EXPECT_TRUE(kept(covered));
}

TEST_F(RetentionTest, ExpiredProtectionReturnsFootageToAgeRetention) {
  const auto expiring = segment("c01", cutoff - day, minute, 1000);
  const auto forever = segment("c02", cutoff - day, minute, 1000);
  protect({"c01"}, cutoff - day, cutoff - day + minute, now + hour);
  protect({"c02"}, cutoff - day, cutoff - day + minute);

  EXPECT_EQ(run().deleted.at("age"), 0);
  EXPECT_TRUE(kept(expiring));
  EXPECT_TRUE(kept(forever));

  const RetentionOutcome after_expiry = run(now + 2 * hour);
  EXPECT_EQ(after_expiry.deleted.at("age"), 1);
  EXPECT_TRUE(gone(expiring)) << "an expired protection no longer protects";
  EXPECT_TRUE(kept(forever)) << "a protection without expiry still does";
  EXPECT_EQ(deletions("age").segments, 1);
  EXPECT_EQ(deletions("age").bytes, 1000);
}

TEST_F(RetentionTest, AgeStraddlingSegmentOfOneCameraDoesNotShieldOlderFootageOfAnother) {
  // c01's segment starts first and straddles the cut-off; c02's starts later but is entirely older.
  const auto straddling = segment("c01", cutoff - 50 * second, minute, 1000);
  const auto short_old = segment("c02", cutoff - 40 * second, 10 * second, 1000);

  const RetentionOutcome outcome = run();

  EXPECT_TRUE(kept(straddling));
  EXPECT_TRUE(gone(short_old)) << "all of it is older than max_age_days";
  EXPECT_EQ(outcome.deleted.at("age"), 1);
}

// ---------------------------------------------------------------------------------------------------------------
// Free space

TEST_F(RetentionTest, SpaceDeletesTheOldestAcrossAllCamerasUntilTheFloor) {
  // Three cameras, ten 2000-byte segments each, starts interleaved: c01 at :00, c02 at :10, c03 at :20.
  // All ended more than 5 minutes ago, so there is no write-rate headroom.
  const Micros start = now - 2 * day;
  std::map<std::string, std::vector<std::int64_t>> ids;
  for (int i = 0; i < 10; ++i)
    for (int c = 0; c < 3; ++c) {
      const std::string camera = "c0" + std::to_string(c + 1);
      ids[camera].push_back(segment(camera, start + i * minute + c * 10 * second, minute, 2000));
    }
  // 60'000 bytes of footage and 35'000 of something else on a 100'000-byte disk: 5'000 free, floor 10'000.
  disk().other_used = 35'000;
  storage_config_.retention.min_free_bytes = 3'000;  // smaller than 10 %: the percentage applies
  ASSERT_EQ(disk().available(), 5'000u);

  const RetentionOutcome outcome = run();

  EXPECT_EQ(outcome.floor_bytes, 10'000u);
  EXPECT_EQ(outcome.headroom_bytes, 0u);
  EXPECT_EQ(outcome.deleted.at("space"), 3);
  EXPECT_EQ(outcome.deleted.at("age"), 0);
  EXPECT_GE(outcome.disk.available, outcome.floor_bytes);
  EXPECT_EQ(outcome.disk.available, 11'000u);
  EXPECT_EQ(disk().last_path, storage_);
  // The oldest segment of each camera went (they are the three oldest overall); nothing else.
  std::set<std::int64_t> expected;
  for (const auto& [camera, camera_ids] : ids) {
    EXPECT_TRUE(gone(camera_ids[0])) << camera;
    expected.insert(camera_ids.begin() + 1, camera_ids.end());
  }
  EXPECT_EQ(rows(), expected);
  for (auto id : expected) EXPECT_TRUE(has_file(id));
  EXPECT_EQ(deletions("space").segments, 3);
  EXPECT_EQ(deletions("space").bytes, 6'000);
  EXPECT_FALSE(outcome.alarm);

  // Above the floor, the next pass deletes nothing.
  EXPECT_EQ(run().deleted.at("space"), 0);
  EXPECT_EQ(rows(), expected);
}

TEST_F(RetentionTest, SpaceOldestFirstEvenWhenOneCameraHoldsAllTheOldFootage) {
  // c02's footage is all older than c01's: the floor is met from c02 alone, c01 keeps everything.
  const auto c01 = segments("c01", now - 1 * day, 10, 1000);
  const auto c02 = segments("c02", now - 3 * day, 10, 1000);
  disk().other_used = 100'000 - 20'000 - 7'500;  // 7'500 free, floor 10'000: three segments go
  const RetentionOutcome outcome = run();

  EXPECT_EQ(outcome.deleted.at("space"), 3);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(gone(c02[i])) << i;
  for (int i = 3; i < 10; ++i) EXPECT_TRUE(kept(c02[i])) << i;
  for (auto id : c01) EXPECT_TRUE(kept(id));
}

TEST_F(RetentionTest, SpaceFloorIsMinFreeBytesWhenLargerThanThePercentage) {
  const auto ids = segments("c01", now - day, 20, 1000);
  storage_config_.retention.min_free_percent = 5;      // 5'000
  storage_config_.retention.min_free_bytes = 12'000;  // the larger floor applies
  disk().other_used = 100'000 - 20'000 - 6'000;       // 6'000 free: above 5 %, under 12'000

  const RetentionOutcome outcome = run();

  EXPECT_EQ(outcome.floor_bytes, 12'000u);
  EXPECT_EQ(outcome.deleted.at("space"), 6);
  EXPECT_EQ(outcome.disk.available, 12'000u);
  for (int i = 0; i < 6; ++i) EXPECT_TRUE(gone(ids[i])) << i;
  for (int i = 6; i < 20; ++i) EXPECT_TRUE(kept(ids[i])) << i;
  EXPECT_EQ(deletions("space").bytes, 6'000);
}

namespace {

// The same disk and the same footage, once with 30'000 bytes written in the last 5 minutes and once with
// those bytes written 10 to 15 minutes ago. Returns the pass's outcome and how many segments remain.
struct RateScenario {
  RetentionOutcome outcome;
  std::size_t remaining = 0;
};

}  // namespace

TEST_F(RetentionTest, HeadroomGrowsWithTheObservedWriteRateAndAHigherRateDeletesMore) {
  auto scenario = [this](bool written_recently) {
    open_fresh();
    const std::vector<std::int64_t> old_c01 = segments("c01", now - 2 * day, 10, 1000);
    const std::vector<std::int64_t> old_c02 = segments("c02", now - 2 * day + 30 * second, 10, 1000);
    // 5 one-minute segments of 3'000 bytes per camera, ending at now-4min .. now (recent) or 10 minutes earlier.
    const Micros shift = written_recently ? 0 : -10 * minute;
    for (const char* camera : {"c01", "c02"}) segments(camera, now - 5 * minute + shift, 5, 3000);
    // 50'000 bytes of footage, 9'000 free: 1'000 under the 10'000 floor.
    disk().other_used = 100'000 - 50'000 - 9'000;
    EXPECT_EQ(disk().available(), 9'000u);
    RateScenario result;
    result.outcome = run();
    result.remaining = rows().size();
    // Oldest first: whatever went is the oldest of the old footage.
    std::vector<std::int64_t> old;
    for (int i = 0; i < 10; ++i) old.insert(old.end(), {old_c01[i], old_c02[i]});
    const int deleted = result.outcome.deleted.at("space");
    for (int i = 0; i < 20; ++i) EXPECT_EQ(has_row(old[i]), i >= deleted) << "old segment " << i;
    return result;
  };

  const RateScenario slow = scenario(false);
  EXPECT_EQ(slow.outcome.headroom_bytes, 0u) << "nothing ended in the last 5 minutes";
  EXPECT_EQ(slow.outcome.deleted.at("space"), 1);
  EXPECT_EQ(slow.outcome.disk.available, 10'000u);

  const RateScenario fast = scenario(true);
  // 30'000 bytes in 300 s: 100 bytes/s, for check_seconds + segment_seconds = 70 s.
  EXPECT_EQ(fast.outcome.headroom_bytes, 7'000u);
  EXPECT_EQ(fast.outcome.floor_bytes, 10'000u);
  EXPECT_EQ(fast.outcome.deleted.at("space"), 8);
  EXPECT_GE(fast.outcome.disk.available, fast.outcome.floor_bytes + fast.outcome.headroom_bytes);
  EXPECT_EQ(fast.outcome.disk.available, 17'000u);

  EXPECT_GT(fast.outcome.deleted.at("space"), slow.outcome.deleted.at("space"))
      << "a higher recent write rate makes room ahead of need";
  EXPECT_LT(fast.remaining, slow.remaining);
}

TEST_F(RetentionTest, HeadroomScalesWithCheckAndSegmentInterval) {
  segments("c01", now - day, 30, 1000);
  segments("c02", now - 5 * minute, 5, 6000);  // 30'000 bytes in the last 5 minutes: 100 bytes/s
  // 60'000 of footage, 40'000 free: above floor and headroom, only the headroom figure matters here.
  storage_config_.retention.check_seconds = 30;
  storage_config_.segment_seconds = 120;
  const RetentionOutcome outcome = run();
  EXPECT_EQ(outcome.headroom_bytes, 15'000u);  // 100 bytes/s * (30 + 120) s
  EXPECT_EQ(outcome.deleted.at("space"), 0);
}

TEST_F(RetentionTest, WritingSegmentsAreNeverDeleted) {
  // A segment still being written, started long ago (older than max_age_days), and the oldest of all.
  const auto writing = segment("c01", now - 40 * day, 0, 5'000, SegmentState::Writing);
  const auto old = segment("c02", now - 30 * day, minute, 1'000);
  const auto others = segments("c02", now - day, 5, 1'000);
  disk().other_used = 100'000 - 11'000 - 1'000;  // 1'000 free, floor 10'000: more than can be freed

  const RetentionOutcome outcome = run();

  EXPECT_TRUE(kept(writing));
  ASSERT_EQ(catalog().segments_in_state(SegmentState::Writing).size(), 1u);
  EXPECT_EQ(catalog().segments_in_state(SegmentState::Writing)[0].id, writing);
  EXPECT_EQ(std::filesystem::file_size(catalog().absolute(paths_.at(writing))), 5'000u);
  EXPECT_EQ(outcome.deleted.at("age"), 1);
  EXPECT_TRUE(gone(old));
  EXPECT_EQ(outcome.deleted.at("space"), 5);
  for (auto id : others) EXPECT_TRUE(gone(id));
  EXPECT_EQ(rows(), std::set<std::int64_t>{writing});
  EXPECT_TRUE(outcome.alarm) << "still short and only a segment being written is left";
}

TEST_F(RetentionTest, LostRowsAreRemovedWithoutFreeingBytes) {
  // A lost row past max_age_days and one within it, both claiming 5'000 bytes that are not on disk.
  const auto lost_old = segment("c01", now - 30 * day, minute, 5'000, SegmentState::Lost);
  const auto lost_young = segment("c01", now - 3 * day, minute, 5'000, SegmentState::Lost);
  const auto ids = segments("c02", now - 2 * day, 10, 1'000);
  disk().other_used = 100'000 - 10'000 - 7'500;  // 7'500 free, floor 10'000
  ASSERT_EQ(disk().available(), 7'500u);

  const RetentionOutcome outcome = run();

  EXPECT_FALSE(has_row(lost_old));
  EXPECT_FALSE(has_row(lost_young));
  EXPECT_EQ(outcome.deleted.at("age"), 1);
  EXPECT_EQ(deletions("age").segments, 1);
  EXPECT_EQ(deletions("age").bytes, 0) << "a lost row frees nothing";
  // The lost row (oldest) plus three real segments to cover 2'500 bytes.
  EXPECT_EQ(outcome.deleted.at("space"), 4);
  EXPECT_EQ(deletions("space").segments, 4);
  EXPECT_EQ(deletions("space").bytes, 3'000);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(gone(ids[i])) << i;
  for (int i = 3; i < 10; ++i) EXPECT_TRUE(kept(ids[i])) << i;
  EXPECT_EQ(outcome.disk.available, 10'500u);
}

// ---------------------------------------------------------------------------------------------------------------
// Quota

TEST_F(RetentionTest, QuotaDeletesTheOldestOfACameraOverItsQuotaOnly) {
  const auto c02 = segments("c02", now - 5 * day, 8, 2'000);  // oldest overall, within its quota
  const auto c01 = segments("c01", now - 2 * day, 8, 2'000);  // 16'000 over a 10'000 quota
  const auto c03 = segments("c03", now - 4 * day, 8, 2'000);  // no quota

  const RetentionOutcome outcome = run(now, {{"c01", 10'000}, {"c02", 16'000}});

  EXPECT_EQ(outcome.deleted.at("quota"), 3);
  EXPECT_EQ(outcome.deleted.at("space"), 0);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(gone(c01[i])) << i;
  for (int i = 3; i < 8; ++i) EXPECT_TRUE(kept(c01[i])) << i;
  for (auto id : c02) EXPECT_TRUE(kept(id)) << "at its quota, not over it";
  for (auto id : c03) EXPECT_TRUE(kept(id)) << "no quota";
  EXPECT_EQ(catalog().camera_bytes("c01"), 10'000);
  EXPECT_EQ(deletions("quota").segments, 3);
  EXPECT_EQ(deletions("quota").bytes, 6'000);

  // Under quota now: the next pass leaves it alone.
  EXPECT_EQ(run(now, {{"c01", 10'000}, {"c02", 16'000}}).deleted.at("quota"), 0);
  EXPECT_EQ(catalog().camera_bytes("c01"), 10'000);
}

TEST_F(RetentionTest, QuotaNeverDeletesProtectedFootage) {
  const auto ids = segments("c01", now - day, 6, 2'000);  // 12'000 over a 6'000 quota
  protect({"c01"}, now - day, now - day + 2 * minute);     // the two oldest

  const RetentionOutcome outcome = run(now, {{"c01", 6'000}});

  EXPECT_TRUE(kept(ids[0]));
  EXPECT_TRUE(kept(ids[1]));
  // The protected 4'000 count towards the quota: one more segment of 2'000 fits, the newest.
  EXPECT_EQ(outcome.deleted.at("quota"), 3);
  for (int i = 2; i < 5; ++i) EXPECT_TRUE(gone(ids[i])) << i;
  EXPECT_TRUE(kept(ids[5]));
}

// ---------------------------------------------------------------------------------------------------------------
// Alarm

TEST_F(RetentionTest, AlarmWhenOnlyProtectedAndWritingFootageRemainsAndGoneOnceSpaceIsBack) {
  const auto guarded = segments("c01", now - 2 * day, 10, 2'000);  // 20'000, protected (cap 25'000)
  protect({"c01"}, now - 3 * day, now);
  const auto writing = segment("c02", now - 30 * second, 0, 3'000, SegmentState::Writing);
  disk().other_used = 100'000 - 23'000 - 2'000;  // 2'000 free, floor 10'000
  ASSERT_EQ(disk().available(), 2'000u);

  for (int pass = 0; pass < 2; ++pass) {  // it keeps trying, and keeps saying so
    const RetentionOutcome outcome = run(now + pass * 10 * second);
    ASSERT_TRUE(outcome.alarm) << "pass " << pass;
    EXPECT_TRUE(contains(*outcome.alarm, "nothing more may be deleted")) << *outcome.alarm;
    EXPECT_EQ(outcome.deleted.at("space"), 0);
    EXPECT_EQ(outcome.deleted.at("age"), 0);
    EXPECT_EQ(outcome.disk.available, 2'000u);
    EXPECT_EQ(outcome.floor_bytes, 10'000u);
  }
  for (auto id : guarded) EXPECT_TRUE(kept(id)) << "protected footage is never deleted, whatever the pressure";
  EXPECT_TRUE(kept(writing));
  EXPECT_TRUE(catalog().deletions().empty());

  disk().other_used = 100'000 - 23'000 - 20'000;  // something else freed room
  const RetentionOutcome recovered = run(now + 20 * second);
  EXPECT_FALSE(recovered.alarm);
  EXPECT_EQ(recovered.deleted.at("space"), 0);
  for (auto id : guarded) EXPECT_TRUE(kept(id));
}

TEST_F(RetentionTest, AlarmAfterAllUnprotectedFootageWentAndExpiryReturnsProtectedFootageToSpaceRetention) {
  const auto guarded = segments("c01", now - 3 * day, 10, 2'000);  // 20'000, protected until now + 1 h
  protect({"c01"}, now - 3 * day, now - 2 * day, now + hour);
  const auto loose = segments("c02", now - 2 * day, 5, 1'000);
  disk().other_used = 100'000 - 25'000 - 1'000;  // 1'000 free: 9'000 short, only 5'000 deletable

  const RetentionOutcome outcome = run();
  ASSERT_TRUE(outcome.alarm);
  EXPECT_EQ(outcome.deleted.at("space"), 5);
  for (auto id : loose) EXPECT_TRUE(gone(id));
  for (auto id : guarded) EXPECT_TRUE(kept(id));
  EXPECT_EQ(outcome.disk.available, 6'000u);

  // Once the protection expired, its footage is ordinary footage again: the oldest of it goes.
  const RetentionOutcome after_expiry = run(now + 2 * hour);
  EXPECT_FALSE(after_expiry.alarm);
  EXPECT_EQ(after_expiry.deleted.at("space"), 2);
  EXPECT_TRUE(gone(guarded[0]));
  EXPECT_TRUE(gone(guarded[1]));
  for (int i = 2; i < 10; ++i) EXPECT_TRUE(kept(guarded[i])) << i;
  EXPECT_EQ(deletions("space").segments, 7);
  EXPECT_EQ(deletions("space").bytes, 5'000 + 4'000);
}

// ---------------------------------------------------------------------------------------------------------------
// Runaway guard: deleting that does not show on the disk

TEST_F(RetentionTest, SpacePassStopsWhenDeletingDoesNotFreeDiskSpace) {
  disk().capacity = 200'000;  // floor 20'000
  const auto c01 = segments("c01", now - 2 * day, 50, 1'000);
  const auto c02 = segments("c02", now - 2 * day + 30 * second, 50, 1'000);
  disk().frozen = 5'000;  // 15'000 short, and stays so whatever is deleted

  const RetentionOutcome outcome = run();

  const int deleted = outcome.deleted.at("space");
  EXPECT_GE(deleted, 1) << "it tries";
  EXPECT_LE(deleted, 15) << "no more than what covers the shortfall once";
  EXPECT_EQ(rows().size(), 100u - static_cast<std::size_t>(deleted));
  EXPECT_GT(rows().size(), 0u) << "a pass must not delete everything";
  EXPECT_FALSE(outcome.alarm) << "there is still deletable footage";
}

TEST_F(RetentionTest, SpacePassStopsWhenDeletingDoesNotFreeDiskSpaceEvenIfTheShortfallExceedsAllFootage) {
  disk().capacity = 1'000'000;  // floor 100'000
  segments("c01", now - 2 * day, 100, 1'000);
  segments("c02", now - 2 * day + 30 * second, 100, 1'000);  // 200 segments, 200'000 bytes
  disk().frozen = 0;                                          // 100'000 short

  const RetentionOutcome outcome = run();

  EXPECT_GE(outcome.deleted.at("space"), 1);
  EXPECT_LT(outcome.deleted.at("space"), 100) << "covering the shortfall would take 100 segments";
  EXPECT_GT(rows().size(), 100u);
}

TEST_F(RetentionTest, SpacePassDoesNotDeleteAllFootageWhenDeletingDoesNotFreeDiskSpace) {
  disk().capacity = 1'000'000;  // floor 100'000
  segments("c01", now - 2 * day, 20, 1'000);
  segments("c02", now - 2 * day + 30 * second, 20, 1'000);  // 40'000 bytes, less than the shortfall
  disk().frozen = 0;

  const RetentionOutcome outcome = run();

  EXPECT_GE(outcome.deleted.at("space"), 1);
  EXPECT_GT(rows().size(), 0u) << "a pass must not delete everything when deleting frees nothing";
}

// ---------------------------------------------------------------------------------------------------------------
// Protection

namespace {

void expect_refused(const std::function<void()>& request, const std::vector<std::string>& mentions) {
  try {
    request();
    ADD_FAILURE() << "not refused";
  } catch (const recorder::Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidArgument) << e.what();
    for (const auto& text : mentions) EXPECT_TRUE(contains(e.what(), text)) << "no '" << text << "' in: " << e.what();
  }
}

}  // namespace

TEST_F(ProtectTest, RefusedWhenProtectedFootageWouldExceedMaxProtectedPercent) {
  disk().capacity = 100 * MiB;                            // limit: 25 MiB
  segments("c01", now - hour, 40, MiB);                   // one MiB a minute
  const Micros start = now - hour;

  expect_refused([&] { protect({"c01"}, start, start + 26 * minute); },
                 {"26 MiB", "limit of 25 MiB", "25 %", "max_protected_percent"});
  EXPECT_TRUE(catalog().incidents(now).empty()) << "a refused request adds nothing";
  EXPECT_EQ(catalog().protected_bytes(now), 0);
}

TEST_F(ProtectTest, AcceptedUpToTheLimitAndExistingProtectionsCount) {
  disk().capacity = 100 * MiB;                                           // limit: 25 MiB
  segments("c01", now - hour, 40, MiB);
  segments("c02", now - hour, 40, MiB);
  const Micros start = now - hour;

  const std::int64_t first = protect({"c01"}, start, start + 20 * minute);  // 20 MiB
  EXPECT_GT(first, 0);
  ASSERT_EQ(catalog().incidents(now).size(), 1u);
  EXPECT_EQ(catalog().incidents(now)[0].cameras, std::vector<std::string>{"c01"});
  EXPECT_EQ(catalog().protected_bytes(now), static_cast<std::int64_t>(20 * MiB));

  // 20 + 6 (another camera, same time) > 25: refused.
  expect_refused([&] { protect({"c02"}, start, start + 6 * minute); }, {"26 MiB", "max_protected_percent"});
  // Overlapping footage is counted once: c01's first 25 minutes (5 new) plus nothing else fits exactly.
  EXPECT_GT(protect({"c01"}, start + 10 * minute, start + 25 * minute), first);
  EXPECT_EQ(catalog().protected_bytes(now), static_cast<std::int64_t>(25 * MiB));
  // At the limit, one more segment is refused.
  expect_refused([&] { protect({"c02"}, start, start + minute); }, {"26 MiB", "25 MiB"});
  EXPECT_EQ(catalog().incidents(now).size(), 2u);
}

TEST_F(ProtectTest, LimitFollowsConfiguredPercent) {
  disk().capacity = 100 * MiB;
  storage_config_.retention.max_protected_percent = 10;  // limit: 10 MiB
  segments("c01", now - hour, 20, MiB);
  const Micros start = now - hour;
  expect_refused([&] { protect({"c01"}, start, start + 11 * minute); }, {"11 MiB", "10 MiB", "10 %"});
  EXPECT_GT(protect({"c01"}, start, start + 10 * minute), 0);
}

TEST_F(ProtectTest, ExpiredProtectionsNoLongerCountTowardsTheLimit) {
  disk().capacity = 100 * MiB;
  segments("c01", now - hour, 40, MiB);
  const Micros start = now - hour;
  protect({"c01"}, start, start + 20 * minute, now + hour);

  expect_refused([&] { protect({"c01"}, start + 20 * minute, start + 30 * minute, std::nullopt, now); },
                 {"30 MiB"});
  const Micros later = now + 2 * hour;
  EXPECT_GT(protect({"c01"}, start + 20 * minute, start + 30 * minute, std::nullopt, later), 0);
  EXPECT_EQ(catalog().protected_bytes(later), static_cast<std::int64_t>(10 * MiB));
}

TEST_F(ProtectTest, RefusesMalformedRequests) {
  segments("c01", now - hour, 5, 1'000);
  expect_refused([&] { protect({}, now - hour, now); }, {"at least one camera"});
  expect_refused([&] { protect({"c 01"}, now - hour, now); }, {"not a valid camera id"});
  expect_refused([&] { protect({"c01", "../etc"}, now - hour, now); }, {"'../etc'"});
  expect_refused([&] { protect({""}, now - hour, now); }, {"not a valid camera id"});
  expect_refused([&] { protect({"c01"}, now, now); }, {"end must be after its start"});
  expect_refused([&] { protect({"c01"}, now, now - minute); }, {"end must be after its start"});
  EXPECT_TRUE(catalog().incidents(now).empty());
  // The same request, well formed, is accepted.
  EXPECT_GT(protect({"c01"}, now - hour, now), 0);
  EXPECT_EQ(catalog().incidents(now).size(), 1u);
}
