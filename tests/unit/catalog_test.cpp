// The catalog on real SQLite files: segment rows and their states, time-range queries, recording runs,
// protected incidents and what retention may delete, storage identity and locking, torn segment files,
// and start-up recovery on synthetic state (docs/durability.md).

#include "tests/support/catalog_times.h"
#include "tests/support/temp_dir.h"
#include "tests/support/incident_fixture.h"
#include "recorder/catalog/catalog.h"

#include <chrono>
#include <csignal>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <optional>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include "recorder/catalog/recovery.h"
#include "recorder/catalog/segment_file.h"
#include "recorder/catalog/segment_layout.h"
#include "recorder/catalog/storage_identity.h"

using namespace recorder;
using namespace recorder::catalog;

namespace {

using test_support::base;
using test_support::minute;
using test_support::second;

using test_support::fresh_temp_dir;

std::vector<std::int64_t> ids_of(const std::vector<Segment>& segments) {
  std::vector<std::int64_t> ids;
  for (const auto& s : segments) ids.push_back(s.id);
  return ids;
}

void write_bytes(const std::filesystem::path& file, const std::vector<std::uint8_t>& bytes) {
  std::filesystem::create_directories(file.parent_path());
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

// A top-level MP4 box: 32-bit big-endian size (header included), four-character type, filler body.
std::vector<std::uint8_t> box(const std::string& type, std::uint32_t body) {
  const std::uint32_t size = body + 8;
  std::vector<std::uint8_t> bytes = {std::uint8_t(size >> 24), std::uint8_t(size >> 16), std::uint8_t(size >> 8),
                                     std::uint8_t(size)};
  bytes.insert(bytes.end(), type.begin(), type.end());
  bytes.resize(size, 0xAB);
  return bytes;
}

// A box with a 64-bit size: size field 1, then the 8-byte large size (header of 16 bytes included).
std::vector<std::uint8_t> large_box(const std::string& type, std::uint64_t declared_size, std::size_t body) {
  std::vector<std::uint8_t> bytes = {0, 0, 0, 1};
  bytes.insert(bytes.end(), type.begin(), type.end());
  for (int shift = 56; shift >= 0; shift -= 8) bytes.push_back(std::uint8_t(declared_size >> shift));
  bytes.resize(16 + body, 0xCD);
  return bytes;
}

std::vector<std::uint8_t> concat(std::initializer_list<std::vector<std::uint8_t>> parts) {
  std::vector<std::uint8_t> all;
  for (const auto& part : parts) all.insert(all.end(), part.begin(), part.end());
  return all;
}

// A fresh storage directory and a read-write catalog in it, per test.
class CatalogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    storage_ = fresh_temp_dir("catalog-test");
    catalog_.emplace(storage_, Database::Mode::ReadWrite);
  }
  void TearDown() override {
    catalog_.reset();
    std::filesystem::remove_all(storage_);
  }

  Catalog& catalog() { return *catalog_; }

  void camera(const std::string& id) { catalog().upsert_camera(id, std::nullopt, "", base); }

  // A segment row of `camera` from `start` lasting `duration` (no end: still writing).
  std::int64_t segment(const std::string& camera_id, Micros start, std::optional<Micros> duration,
                       SegmentState state = SegmentState::Complete, std::optional<std::int64_t> bytes = 1000,
                       std::optional<std::int64_t> run = std::nullopt) {
    Segment s;
    s.camera_id = camera_id;
    s.run_id = run;
    s.path = segment_path(".", camera_id, from_micros(start)).lexically_normal().string();
    s.start_us = start;
    if (duration) {
      s.end_us = start + *duration;
      s.media_duration_us = *duration;
      s.key_frames = *duration / (2 * second);
    }
    s.bytes = duration ? bytes : std::nullopt;
    s.state = state;
    return catalog().insert_segment(s);
  }

  std::optional<Segment> by_id(std::int64_t id) {
    for (auto state : {SegmentState::Writing, SegmentState::Complete, SegmentState::Recovered, SegmentState::Lost,
                       SegmentState::Deleting})
      for (const auto& s : catalog().segments_in_state(state))
        if (s.id == id) return s;
    return std::nullopt;
  }

  std::filesystem::path storage_;
  std::optional<Catalog> catalog_;
};

}  // namespace

// ---------------------------------------------------------------------------------------------------------------
// Segment rows

TEST_F(CatalogTest, SegmentLifecycleFromWritingToRemoved) {
  camera("c01");
  const std::int64_t run = catalog().begin_run("c01", base);
  Segment s;
  s.camera_id = "c01";
  s.run_id = run;
  s.path = "c01/2026-11-30/c01-20261130T100000.000Z.mp4";
  s.start_us = base;
  s.state = SegmentState::Writing;
  const std::int64_t id = catalog().insert_segment(s);
  EXPECT_GT(id, 0);

  auto row = catalog().segment_by_path(s.path);
  ASSERT_TRUE(row.has_value());
  EXPECT_EQ(row->id, id);
  EXPECT_EQ(row->camera_id, "c01");
  EXPECT_EQ(row->run_id, run);
  EXPECT_EQ(row->start_us, base);
  EXPECT_FALSE(row->end_us.has_value());
  EXPECT_FALSE(row->bytes.has_value());
  EXPECT_EQ(row->state, SegmentState::Writing);
  EXPECT_EQ(ids_of(catalog().segments_in_state(SegmentState::Writing)), std::vector<std::int64_t>{id});
  EXPECT_TRUE(catalog().segments_in_state(SegmentState::Complete).empty());

  catalog().close_segment(id, SegmentMeasure{59'960'000, 7'654'321, 30}, SegmentState::Complete);
  row = catalog().segment_by_path(s.path);
  ASSERT_TRUE(row.has_value());
  EXPECT_EQ(row->state, SegmentState::Complete);
  EXPECT_EQ(row->start_us, base);
  EXPECT_EQ(row->end_us, base + 59'960'000);
  EXPECT_EQ(row->media_duration_us, 59'960'000);
  EXPECT_EQ(row->bytes, 7'654'321);
  EXPECT_EQ(row->key_frames, 30);
  EXPECT_TRUE(catalog().segments_in_state(SegmentState::Writing).empty());
  EXPECT_EQ(ids_of(catalog().segments_in_state(SegmentState::Complete)), std::vector<std::int64_t>{id});
  EXPECT_EQ(ids_of(catalog().segments_with_files()), std::vector<std::int64_t>{id});

  catalog().set_segment_state(id, SegmentState::Deleting);
  EXPECT_EQ(catalog().segment_by_path(s.path)->state, SegmentState::Deleting);
  EXPECT_EQ(ids_of(catalog().segments_in_state(SegmentState::Deleting)), std::vector<std::int64_t>{id});
  EXPECT_TRUE(catalog().segments_with_files().empty());  // a deleting row no longer promises a file

  catalog().remove_segment(id);
  EXPECT_FALSE(catalog().segment_by_path(s.path).has_value());
  EXPECT_TRUE(catalog().segments_in_state(SegmentState::Deleting).empty());
}

TEST_F(CatalogTest, RowsSurviveReopeningTheCatalog) {
  camera("c01");
  const auto id = segment("c01", base, minute);
  catalog_.reset();
  catalog_.emplace(storage_, Database::Mode::ReadWrite);
  const auto row = by_id(id);
  ASSERT_TRUE(row.has_value());
  EXPECT_EQ(row->end_us, base + minute);
  Catalog reader(storage_, Database::Mode::ReadOnly);
  EXPECT_EQ(reader.segments("c01", base, base + minute).size(), 1u);
}

TEST_F(CatalogTest, TwoRowsCannotNameTheSameFile) {
  camera("c01");
  segment("c01", base, minute);
  EXPECT_THROW(segment("c01", base, minute), Error);
  EXPECT_EQ(catalog().segments_in_state(SegmentState::Complete).size(), 1u);
}

TEST_F(CatalogTest, SegmentOfAnUnknownCameraIsRefused) {
  // foreign_keys is on: a segment must belong to a camera the catalog knows.
  EXPECT_THROW(segment("ghost", base, minute), Error);
}

TEST_F(CatalogTest, UnknownSegmentStateInTheDatabaseIsDataLoss) {
  EXPECT_THROW(segment_state_from("exploded"), Error);
  for (auto state : {SegmentState::Writing, SegmentState::Complete, SegmentState::Recovered, SegmentState::Lost,
                     SegmentState::Deleting})
    EXPECT_EQ(segment_state_from(to_string(state)), state);
}

TEST_F(CatalogTest, MetaIsSetReadAndOverwritten) {
  EXPECT_FALSE(catalog().meta("storage_id").has_value());
  catalog().set_meta("storage_id", "one");
  EXPECT_EQ(catalog().meta("storage_id"), "one");
  catalog().set_meta("storage_id", "two");
  EXPECT_EQ(catalog().meta("storage_id"), "two");
}

TEST_F(CatalogTest, SegmentsInARangeAreThoseOverlappingItByStart) {
  camera("c01");
  camera("c02");
  const Micros from = base + 10 * minute, to = base + 13 * minute;
  // Inserted out of order: the result must be ordered by start, not by id.
  const auto inside_late = segment("c01", from + 2 * minute, minute);               // [from+2m, from+3m)
  const auto runs_into = segment("c01", from - 30 * second, minute);               // starts before `from`
  const auto inside = segment("c01", from + 30 * second, 90 * second);             // [from+30s, from+2m)
  const auto before = segment("c01", from - 3 * minute, minute);                   // ends 2 min before
  const auto at_end = segment("c01", to, minute);                                  // starts at `to`: outside
  const auto after = segment("c01", to + 5 * minute, minute);                      // well after
  const auto other_camera = segment("c02", from + 30 * second, minute);            // right time, wrong camera
  const auto writing = segment("c01", to - 10 * second, std::nullopt, SegmentState::Writing);  // open, inside
  (void)before, (void)at_end, (void)after, (void)other_camera;

  const auto found = catalog().segments("c01", from, to);
  EXPECT_EQ(ids_of(found), (std::vector<std::int64_t>{runs_into, inside, inside_late, writing}));
  ASSERT_EQ(found.size(), 4u);
  EXPECT_EQ(found[0].start_us, from - 30 * second);
  EXPECT_EQ(found[0].end_us, from + 30 * second);

  EXPECT_EQ(ids_of(catalog().segments("c02", from, to)), std::vector<std::int64_t>{other_camera});
  EXPECT_TRUE(catalog().segments("c03", from, to).empty());
}

TEST_F(CatalogTest, SegmentEndingExactlyAtTheRangeStartIsNotInTheRange) {
  // [from, to) is half-open on both sides: footage ending at `from` holds no frame of the range.
  camera("c01");
  const Micros from = base + 10 * minute, to = base + 11 * minute;
  const auto adjacent_before = segment("c01", from - minute, minute);  // [from-1m, from)
  const auto first_inside = segment("c01", from, minute);              // [from, to)
  (void)adjacent_before;
  EXPECT_EQ(ids_of(catalog().segments("c01", from, to)), std::vector<std::int64_t>{first_inside});
}

TEST_F(CatalogTest, WritingSegmentStartingExactlyAtTheRangeStartIsInTheRange) {
  camera("c01");
  const Micros from = base + 10 * minute, to = base + 11 * minute;
  const auto writing = segment("c01", from, std::nullopt, SegmentState::Writing);
  EXPECT_EQ(ids_of(catalog().segments("c01", from, to)), std::vector<std::int64_t>{writing});
  EXPECT_TRUE(catalog().segments("c01", from - minute, from).empty());  // starts at the range's end: outside
}

// ---------------------------------------------------------------------------------------------------------------
// Recording runs

TEST_F(CatalogTest, RunsBeginEndAndAreFoundByTime) {
  camera("c01");
  camera("c02");
  const auto first = catalog().begin_run("c01", base);
  const auto second_camera = catalog().begin_run("c02", base + minute);
  EXPECT_NE(first, second_camera);

  auto open = catalog().open_runs();
  ASSERT_EQ(open.size(), 2u);
  EXPECT_EQ(open[0].id, first);
  EXPECT_EQ(open[0].camera_id, "c01");
  EXPECT_EQ(open[0].started_us, base);
  EXPECT_FALSE(open[0].ended_us.has_value());
  EXPECT_EQ(open[0].end_reason, "");
  EXPECT_EQ(open[1].id, second_camera);

  catalog().end_run(first, base + 5 * minute, "stopped");
  open = catalog().open_runs();
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(open[0].id, second_camera);

  // Ending a run twice keeps the first ending.
  catalog().end_run(first, base + 9 * minute, "crash");

  auto runs = catalog().runs("c01", base - minute, base + 10 * minute);
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].id, first);
  EXPECT_EQ(runs[0].ended_us, base + 5 * minute);
  EXPECT_EQ(runs[0].end_reason, "stopped");

  // The range is half-open: a run ending at `from` or starting at `to` is outside it.
  EXPECT_TRUE(catalog().runs("c01", base + 5 * minute, base + 10 * minute).empty());
  EXPECT_TRUE(catalog().runs("c01", base - minute, base).empty());
  EXPECT_EQ(catalog().runs("c01", base + 4 * minute, base + 10 * minute).size(), 1u);
  // An open run reaches into any later range; other cameras' runs are not listed.
  runs = catalog().runs("c02", base + 100 * minute, base + 101 * minute);
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].id, second_camera);
  EXPECT_TRUE(catalog().runs("c03", base - minute, base + 100 * minute).empty());
}

// ---------------------------------------------------------------------------------------------------------------
// Incidents and retention

class CatalogIncidents : public CatalogTest {
 protected:
  void SetUp() override {
    CatalogTest::SetUp();
    for (const char* id : {"A", "B", "C"}) camera(id);
    a_old = segment("A", base, minute, SegmentState::Complete, 100);                 // [0, 1m)
    a_mid = segment("A", base + minute, minute, SegmentState::Complete, 1000);       // [1m, 2m)
    b_mid = segment("B", base + minute, minute, SegmentState::Recovered, 2000);      // [1m, 2m)
    c_mid = segment("C", base + minute, minute, SegmentState::Complete, 4000);       // [1m, 2m)
    a_new = segment("A", base + 2 * minute, minute, SegmentState::Complete, 300);    // [2m, 3m)
    a_writing = segment("A", base + 3 * minute, std::nullopt, SegmentState::Writing);  // still being written
    a_deleting = segment("A", base - minute, minute, SegmentState::Deleting, 50);      // retention took it
  }

  Incident incident(std::vector<std::string> cameras, Micros start, Micros end,
                    std::optional<Micros> expires = std::nullopt) {
    return test_support::make_incident(std::move(cameras), start, end, now, expires);
  }

  const Micros now = base + 60 * minute;
  std::int64_t a_old = 0, a_mid = 0, b_mid = 0, c_mid = 0, a_new = 0, a_writing = 0, a_deleting = 0;
};

TEST_F(CatalogIncidents, WithoutIncidentsTheOldestFinishedSegmentsAreDeletable) {
  // Oldest first (ties by id); never `writing` or `deleting` rows.
  EXPECT_EQ(ids_of(catalog().deletable_segments(now, 100)),
            (std::vector<std::int64_t>{a_old, a_mid, b_mid, c_mid, a_new}));
  EXPECT_EQ(ids_of(catalog().deletable_segments(now, 2)), (std::vector<std::int64_t>{a_old, a_mid}));
  EXPECT_EQ(ids_of(catalog().deletable_segments(now, 100, "A")), (std::vector<std::int64_t>{a_old, a_mid, a_new}));
  EXPECT_EQ(catalog().protected_bytes(now), 0);
}

TEST_F(CatalogIncidents, IncidentProtectsOverlappingSegmentsOfItsCamerasOnly) {
  // 10 s inside the second minute, on cameras A and B.
  const auto id = catalog().add_incident(incident({"A", "B"}, base + minute + 10 * second, base + minute + 20 * second));
  EXPECT_GT(id, 0);

  const auto deletable = ids_of(catalog().deletable_segments(now, 100));
  EXPECT_EQ(deletable, (std::vector<std::int64_t>{a_old, c_mid, a_new}));
  EXPECT_EQ(ids_of(catalog().deletable_segments(now, 100, "A")), (std::vector<std::int64_t>{a_old, a_new}));
  EXPECT_TRUE(catalog().deletable_segments(now, 100, "B").empty());
  EXPECT_EQ(catalog().protected_bytes(now), 1000 + 2000);

  const auto in_force = catalog().incidents(now);
  ASSERT_EQ(in_force.size(), 1u);
  EXPECT_EQ(in_force[0].id, id);
  EXPECT_EQ(in_force[0].cameras, (std::vector<std::string>{"A", "B"}));
  EXPECT_EQ(in_force[0].reason, "door incident (test)");
  EXPECT_EQ(in_force[0].created_by, "tester");

  EXPECT_TRUE(catalog().remove_incident(id));
  EXPECT_FALSE(catalog().remove_incident(id));  // already gone
  EXPECT_EQ(ids_of(catalog().deletable_segments(now, 100)),
            (std::vector<std::int64_t>{a_old, a_mid, b_mid, c_mid, a_new}));
  EXPECT_EQ(catalog().protected_bytes(now), 0);
  EXPECT_TRUE(catalog().incidents(now).empty());
}

TEST_F(CatalogIncidents, IncidentBoundariesAreHalfOpen) {
  // [1m, 2m) exactly: overlaps a_mid, touches a_old's end and a_new's start without overlapping them.
  catalog().add_incident(incident({"A"}, base + minute, base + 2 * minute));
  EXPECT_EQ(ids_of(catalog().deletable_segments(now, 100, "A")), (std::vector<std::int64_t>{a_old, a_new}));
  EXPECT_EQ(catalog().protected_bytes(now), 1000);
}

TEST_F(CatalogIncidents, ExpiredIncidentNoLongerProtects) {
  const Micros expires = now - second;
  catalog().add_incident(incident({"C"}, base + minute, base + 2 * minute, expires));
  // Before it expires it protects c_mid ...
  EXPECT_EQ(ids_of(catalog().deletable_segments(expires - 1, 100, "C")), std::vector<std::int64_t>{});
  EXPECT_EQ(catalog().protected_bytes(expires - 1), 4000);
  EXPECT_EQ(catalog().incidents(expires - 1).size(), 1u);
  // ... from the moment it expires, not any more.
  EXPECT_EQ(ids_of(catalog().deletable_segments(expires, 100, "C")), std::vector<std::int64_t>{c_mid});
  EXPECT_EQ(ids_of(catalog().deletable_segments(now, 100, "C")), std::vector<std::int64_t>{c_mid});
  EXPECT_EQ(catalog().protected_bytes(now), 0);
  EXPECT_TRUE(catalog().incidents(now).empty());
}

TEST_F(CatalogIncidents, ProtectedBytesCountsASegmentOnceAndAddsACandidate) {
  catalog().add_incident(incident({"A", "B"}, base + minute + 10 * second, base + minute + 20 * second));
  catalog().add_incident(incident({"A"}, base + minute + 30 * second, base + minute + 40 * second));  // a_mid again
  EXPECT_EQ(catalog().protected_bytes(now), 1000 + 2000);

  // A candidate on C adds c_mid; one on A over a_mid (already protected) and a_new adds only a_new.
  auto on_c = incident({"C"}, base + minute, base + minute + second);
  EXPECT_EQ(catalog().protected_bytes(now, &on_c), 1000 + 2000 + 4000);
  auto on_a = incident({"A"}, base + minute + 50 * second, base + 2 * minute + 5 * second);
  EXPECT_EQ(catalog().protected_bytes(now, &on_a), 1000 + 2000 + 300);
  // A candidate that only touches a_old's end adds nothing; one on two cameras adds both.
  auto touching = incident({"A"}, base + minute, base + minute + second);
  EXPECT_EQ(catalog().protected_bytes(now, &touching), 1000 + 2000);
  auto both = incident({"A", "C"}, base, base + second);
  EXPECT_EQ(catalog().protected_bytes(now, &both), 1000 + 2000 + 100);
  // Asking does not protect anything.
  EXPECT_EQ(catalog().protected_bytes(now), 1000 + 2000);
}

TEST_F(CatalogIncidents, LostFootageIsNotCountedAsProtected) {
  catalog().add_incident(incident({"A", "B"}, base + minute, base + 2 * minute));
  catalog().set_segment_state(b_mid, SegmentState::Lost);
  EXPECT_EQ(catalog().protected_bytes(now), 1000);
}

// ---------------------------------------------------------------------------------------------------------------
// Totals

TEST_F(CatalogTest, DeletionsAreTotalledPerCause) {
  EXPECT_TRUE(catalog().deletions().empty());
  catalog().count_deletion("age", 100);
  catalog().count_deletion("age", 50);
  catalog().count_deletion("space", 7);
  const auto totals = catalog().deletions();
  ASSERT_EQ(totals.size(), 2u);
  EXPECT_EQ(totals.at("age").segments, 2);
  EXPECT_EQ(totals.at("age").bytes, 150);
  EXPECT_EQ(totals.at("space").segments, 1);
  EXPECT_EQ(totals.at("space").bytes, 7);
}

TEST_F(CatalogTest, CameraBytesOldestStartAndLastSegmentEnd) {
  camera("c01");
  camera("c02");
  EXPECT_EQ(catalog().camera_bytes("c01"), 0);
  EXPECT_FALSE(catalog().oldest_start().has_value());
  EXPECT_FALSE(catalog().last_segment_end("c01").has_value());

  segment("c01", base - 10 * minute, minute, SegmentState::Lost, 5000);       // gone: counts nowhere
  segment("c01", base - 5 * minute, minute, SegmentState::Deleting, 70);      // on its way out
  segment("c01", base, minute, SegmentState::Complete, 100);
  segment("c01", base + minute, 30 * second, SegmentState::Recovered, 20);
  segment("c02", base - 2 * minute, minute, SegmentState::Complete, 9);
  segment("c02", base + 3 * minute, std::nullopt, SegmentState::Writing);     // no bytes yet

  EXPECT_EQ(catalog().camera_bytes("c01"), 100 + 20 + 70);
  EXPECT_EQ(catalog().camera_bytes("c02"), 9);
  EXPECT_EQ(catalog().camera_bytes("c03"), 0);

  EXPECT_EQ(catalog().oldest_start(), base - 2 * minute);  // lost and deleting rows do not count

  EXPECT_EQ(catalog().last_segment_end("c01"), base + minute + 30 * second);
  EXPECT_EQ(catalog().last_segment_end("c02"), base + 3 * minute);  // an open segment: its start
  EXPECT_FALSE(catalog().last_segment_end("c03").has_value());
}

TEST_F(CatalogTest, MicrosConvertBothWays) {
  const WallTime time = from_micros(base + 123);
  EXPECT_EQ(to_micros(time), base + 123);
}

// ---------------------------------------------------------------------------------------------------------------
// Storage identity and lock

class StorageIdentity : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = fresh_temp_dir("storage-test"); }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(StorageIdentity, InitialiseWritesAnIdOnceOnly) {
  const auto storage = dir_ / "disk";  // created by initialise_storage
  const std::string id = initialise_storage(storage);
  EXPECT_GE(id.size(), 16u);
  EXPECT_TRUE(std::filesystem::exists(storage / storage_id_file_name));
  EXPECT_EQ(read_storage_id(storage), id);

  EXPECT_THROW(initialise_storage(storage), Error);
  EXPECT_EQ(read_storage_id(storage), id);  // the refused second call did not replace it

  const std::string other = initialise_storage(dir_ / "other-disk");
  EXPECT_NE(other, id);
}

TEST_F(StorageIdentity, MissingDirectoryOrIdFileIsRefusedWithAMountHint) {
  for (const auto& storage : {dir_ / "not-there", dir_}) {
    try {
      read_storage_id(storage);
      FAIL() << "read_storage_id accepted " << storage;
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::NotFound);
      EXPECT_NE(std::string(e.what()).find("mount"), std::string::npos) << e.what();
    }
  }
  // An empty id file is no identity either.
  std::ofstream(dir_ / storage_id_file_name) << "";
  EXPECT_THROW(read_storage_id(dir_), Error);
}

TEST_F(StorageIdentity, OnlyOneLockHolderAtATime) {
  EXPECT_FALSE(StorageLock::held_by_another(dir_));
  {
    StorageLock first(dir_);
    EXPECT_TRUE(StorageLock::held_by_another(dir_));
    EXPECT_THROW(StorageLock second(dir_), Error);
    EXPECT_TRUE(StorageLock::held_by_another(dir_));  // the refused attempt did not drop the first lock
  }
  EXPECT_FALSE(StorageLock::held_by_another(dir_));
  StorageLock again(dir_);
  EXPECT_TRUE(StorageLock::held_by_another(dir_));
}

TEST_F(StorageIdentity, LockInAMissingDirectoryThrows) {
  EXPECT_THROW(StorageLock(dir_ / "not-there"), Error);
  EXPECT_FALSE(StorageLock::held_by_another(dir_ / "not-there"));
}

// ---------------------------------------------------------------------------------------------------------------
// Segment files: the whole part of a file cut short

class SegmentFile : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = fresh_temp_dir("segment-file-test"); }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(SegmentFile, WholeFileIsCompleteAndCuttingItChangesNothing) {
  const auto file = dir_ / "whole.mp4";
  const auto bytes = concat({box("ftyp", 16), box("moov", 200), box("moof", 40), box("mdat", 1000)});
  write_bytes(file, bytes);
  const auto extent = file_extent(file);
  ASSERT_TRUE(extent.has_value());
  EXPECT_EQ(extent->size, bytes.size());
  EXPECT_EQ(extent->complete_size, bytes.size());
  cut_to_complete_boxes(file, *extent);
  EXPECT_EQ(std::filesystem::file_size(file), bytes.size());
}

TEST_F(SegmentFile, TornLastBoxIsCutOff) {
  const auto file = dir_ / "torn.mp4";
  const auto whole = concat({box("ftyp", 16), box("moov", 200), box("moof", 40), box("mdat", 1000),
                             box("moof", 40)});
  auto torn_mdat = box("mdat", 5000);
  torn_mdat.resize(1234);  // the power went at byte 1234 of a 5008-byte box
  write_bytes(file, concat({whole, torn_mdat}));

  const auto extent = file_extent(file);
  ASSERT_TRUE(extent.has_value());
  EXPECT_EQ(extent->size, whole.size() + 1234);
  EXPECT_EQ(extent->complete_size, whole.size());

  cut_to_complete_boxes(file, *extent);
  EXPECT_EQ(std::filesystem::file_size(file), whole.size());
  const auto after = file_extent(file);
  ASSERT_TRUE(after.has_value());
  EXPECT_EQ(after->size, after->complete_size);
  // The bytes kept are the ones written: only the tail went.
  std::ifstream in(file, std::ios::binary);
  std::vector<std::uint8_t> kept(whole.size());
  in.read(reinterpret_cast<char*>(kept.data()), static_cast<std::streamsize>(kept.size()));
  EXPECT_EQ(kept, whole);
}

TEST_F(SegmentFile, TornBoxHeaderIsCutOff) {
  const auto file = dir_ / "torn-header.mp4";
  const auto whole = concat({box("ftyp", 16), box("moov", 100)});
  auto header = box("moof", 40);
  header.resize(5);  // not even a whole 8-byte header
  write_bytes(file, concat({whole, header}));
  const auto extent = file_extent(file);
  ASSERT_TRUE(extent.has_value());
  EXPECT_EQ(extent->complete_size, whole.size());
  EXPECT_EQ(extent->size, whole.size() + 5);
}

TEST_F(SegmentFile, LargeSizeBoxesAreFollowed) {
  const auto file = dir_ / "large.mp4";
  const auto whole = concat({box("ftyp", 16), box("moov", 100), large_box("mdat", 16 + 300, 300)});
  const auto torn = large_box("mdat", 16 + 100000, 50);
  write_bytes(file, concat({whole, torn}));
  const auto extent = file_extent(file);
  ASSERT_TRUE(extent.has_value());
  EXPECT_EQ(extent->complete_size, whole.size());
  EXPECT_EQ(extent->size, whole.size() + torn.size());
}

TEST_F(SegmentFile, MissingFileHasNoExtent) { EXPECT_FALSE(file_extent(dir_ / "nothing.mp4").has_value()); }

TEST_F(SegmentFile, CorruptLargeSizeDoesNotHangTheWalk) {
  // Bytes damaged on disk may claim any size. A 64-bit size that wraps the offset around to the start
  // of the file must end the walk, not send it back to the beginning forever (start-up recovery would hang
  // and no camera would ever record).
  const auto file = dir_ / "corrupt.mp4";
  const auto head = concat({box("ftyp", 16), box("moov", 100)});
  const auto corrupt = large_box("mdat", ~std::uint64_t{0} - head.size() + 1, 32);  // offset + size == 0 (mod 2^64)
  write_bytes(file, concat({head, corrupt}));

  // Walk in a child process so that a hang fails this test instead of the whole suite.
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    const auto extent = file_extent(file);
    _exit(extent && extent->complete_size == head.size() ? 0 : 1);
  }
  int status = 0;
  pid_t done = 0;
  for (int waited_ms = 0; waited_ms < 2000 && done == 0; waited_ms += 20) {
    done = waitpid(child, &status, WNOHANG);
    if (done == 0) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (done == 0) {
    kill(child, SIGKILL);
    waitpid(child, &status, 0);
    FAIL() << "file_extent did not return within 2 s on a damaged 64-bit box size";
  }
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "the walk stopped, but not at the end of the last whole box";
}

// ---------------------------------------------------------------------------------------------------------------
// Start-up recovery on synthetic state (real video is covered by the integration tests)

class Recovery : public CatalogTest {
 protected:
  // A segment row with its file on disk (or not), in the storage layout.
  std::int64_t row_with_file(const std::string& camera_id, Micros start, std::optional<Micros> duration,
                             SegmentState state, bool file_exists, std::optional<std::int64_t> run = std::nullopt) {
    const auto id = segment(camera_id, start, duration, state, 1000, run);
    if (file_exists) write_bytes(file_of(id), concat({box("ftyp", 16), box("moov", 100)}));
    return id;
  }

  std::filesystem::path file_of(std::int64_t id) {
    const auto row = by_id(id);
    return catalog().absolute(row ? row->path : "missing");
  }

  const Micros now = base + 60 * minute;
};

TEST_F(Recovery, InterruptedDeletionIsFinished) {
  camera("c01");
  const auto id = row_with_file("c01", base, minute, SegmentState::Deleting, true);
  const auto file = file_of(id);
  ASSERT_TRUE(std::filesystem::exists(file));

  const auto report = reconcile(catalog(), RecoveryMode::Repair, now);
  EXPECT_EQ(report.deletions_finished, 1);
  EXPECT_EQ(report.findings.size(), 1u);
  EXPECT_EQ(report.unrepaired, 0);
  EXPECT_FALSE(std::filesystem::exists(file));
  EXPECT_FALSE(by_id(id).has_value());

  EXPECT_TRUE(reconcile(catalog(), RecoveryMode::Report, now).consistent());
}

TEST_F(Recovery, ReportModeChangesNothingButListsEveryFinding) {
  camera("c01");
  camera("c02");
  const auto run = catalog().begin_run("c01", base);
  const auto deleting = row_with_file("c01", base, minute, SegmentState::Deleting, true, run);
  const auto missing = row_with_file("c01", base + minute, minute, SegmentState::Complete, false, run);
  const auto fine = row_with_file("c02", base, minute, SegmentState::Complete, true);
  const auto deleting_file = file_of(deleting);

  const auto report = reconcile(catalog(), RecoveryMode::Report, now);
  EXPECT_FALSE(report.consistent());
  EXPECT_EQ(report.findings.size(), 3u) << report.summary();  // deletion, missing file, open run
  EXPECT_EQ(report.unrepaired, 3);
  EXPECT_EQ(report.deletions_finished, 0);
  EXPECT_EQ(report.marked_lost, 0);
  EXPECT_EQ(report.runs_closed, 0);
  EXPECT_TRUE(std::filesystem::exists(deleting_file));
  EXPECT_EQ(by_id(deleting)->state, SegmentState::Deleting);
  EXPECT_EQ(by_id(missing)->state, SegmentState::Complete);
  EXPECT_EQ(by_id(fine)->state, SegmentState::Complete);
  EXPECT_EQ(catalog().open_runs().size(), 1u);

  // Report again: the same findings, since nothing was repaired.
  EXPECT_EQ(reconcile(catalog(), RecoveryMode::Report, now).findings, report.findings);
}

TEST_F(Recovery, CompleteRowWithoutItsFileIsMarkedLost) {
  camera("c01");
  const auto gone = row_with_file("c01", base, minute, SegmentState::Complete, false);
  const auto recovered_gone = row_with_file("c01", base + minute, minute, SegmentState::Recovered, false);
  const auto present = row_with_file("c01", base + 2 * minute, minute, SegmentState::Complete, true);

  const auto report = reconcile(catalog(), RecoveryMode::Repair, now);
  EXPECT_EQ(report.marked_lost, 2);
  EXPECT_EQ(report.segments_checked, 3);
  EXPECT_EQ(report.unrepaired, 0);
  EXPECT_EQ(by_id(gone)->state, SegmentState::Lost);
  EXPECT_EQ(by_id(recovered_gone)->state, SegmentState::Lost);
  EXPECT_EQ(by_id(present)->state, SegmentState::Complete);
  // A lost row stays (it explains the gap) and is not a finding the next time.
  EXPECT_TRUE(reconcile(catalog(), RecoveryMode::Report, now).consistent());
}

TEST_F(Recovery, OpenRunIsClosedAsCrashAtTheEndOfItsLastSegment) {
  camera("c01");
  camera("c02");
  const auto run = catalog().begin_run("c01", base);
  row_with_file("c01", base, minute, SegmentState::Complete, true, run);
  row_with_file("c01", base + minute, 45 * second, SegmentState::Complete, true, run);
  const auto empty_run = catalog().begin_run("c02", base + 5 * minute);  // never got a segment
  const auto closed = catalog().begin_run("c01", base - 10 * minute);
  catalog().end_run(closed, base - 9 * minute, "stopped");

  const auto report = reconcile(catalog(), RecoveryMode::Repair, now);
  EXPECT_EQ(report.runs_closed, 2);
  EXPECT_TRUE(catalog().open_runs().empty());

  const auto runs = catalog().runs("c01", base - 20 * minute, now);
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].id, closed);
  EXPECT_EQ(runs[0].end_reason, "stopped");  // an already closed run is left alone
  EXPECT_EQ(runs[1].id, run);
  EXPECT_EQ(runs[1].ended_us, base + minute + 45 * second);
  EXPECT_EQ(runs[1].end_reason, "crash");

  const auto c02 = catalog().runs("c02", base, now);
  ASSERT_EQ(c02.size(), 1u);
  EXPECT_EQ(c02[0].id, empty_run);
  EXPECT_EQ(c02[0].ended_us, base + 5 * minute);  // no segment: closed where it began
  EXPECT_EQ(c02[0].end_reason, "crash");
}

TEST_F(Recovery, WritingRowIsNotAFindingWhileTheRecorderRuns) {
  camera("c01");
  const auto run = catalog().begin_run("c01", base);
  const auto writing = row_with_file("c01", now - 10 * second, std::nullopt, SegmentState::Writing, true, run);
  const auto file = file_of(writing);
  const auto size = std::filesystem::file_size(file);

  const auto live = reconcile(catalog(), RecoveryMode::Report, now, /*in_progress_ok=*/true);
  EXPECT_TRUE(live.consistent()) << (live.findings.empty() ? "" : live.findings.front());
  EXPECT_EQ(live.unrepaired, 0);

  // The same state after a crash is a finding (left writing, and its run left open).
  const auto after_crash = reconcile(catalog(), RecoveryMode::Report, now, /*in_progress_ok=*/false);
  EXPECT_FALSE(after_crash.consistent());
  EXPECT_EQ(after_crash.unrepaired, 2) << after_crash.summary();
  // Neither report touched anything.
  EXPECT_EQ(by_id(writing)->state, SegmentState::Writing);
  EXPECT_EQ(std::filesystem::file_size(file), size);
  EXPECT_EQ(catalog().open_runs().size(), 1u);
}

TEST_F(Recovery, WritingRowWithATornFileAndNoFrameIsRemovedInRepairOnly) {
  camera("c01");
  const auto writing = segment("c01", base, std::nullopt, SegmentState::Writing);
  const auto file = file_of(writing);
  const auto whole = concat({box("ftyp", 16), box("moov", 100)});
  auto torn = box("moof", 400);
  torn.resize(100);
  write_bytes(file, concat({whole, torn}));

  const auto report = reconcile(catalog(), RecoveryMode::Report, now);
  EXPECT_EQ(report.findings.size(), 2u) << report.summary();  // torn tail; left writing
  EXPECT_EQ(report.tails_cut, 0);
  EXPECT_EQ(std::filesystem::file_size(file), whole.size() + 100);  // not cut in Report mode
  EXPECT_EQ(by_id(writing)->state, SegmentState::Writing);

  const auto repair = reconcile(catalog(), RecoveryMode::Repair, now);
  EXPECT_EQ(repair.tails_cut, 1);
  EXPECT_EQ(repair.empty_files_removed, 1);  // no video frame in it: nothing to keep
  EXPECT_FALSE(std::filesystem::exists(file));
  EXPECT_FALSE(by_id(writing).has_value());
}

TEST_F(Recovery, MissingWritingRowIsMarkedLost) {
  camera("c01");
  const auto writing = row_with_file("c01", base, std::nullopt, SegmentState::Writing, false);
  const auto report = reconcile(catalog(), RecoveryMode::Repair, now);
  EXPECT_EQ(report.marked_lost, 1);
  EXPECT_EQ(by_id(writing)->state, SegmentState::Lost);
}

TEST_F(Recovery, UnknownFileWithoutVideoIsRemovedAndOtherFilesAreLeftAlone) {
  const auto stray = segment_path(storage_, "c09", from_micros(base));
  write_bytes(stray, concat({box("ftyp", 16), box("moov", 100)}));
  const auto notes = storage_ / "c09" / "notes.txt";
  write_bytes(notes, {'h', 'i'});

  const auto report_only = reconcile(catalog(), RecoveryMode::Report, now);
  EXPECT_EQ(report_only.findings.size(), 1u) << report_only.summary();
  EXPECT_TRUE(std::filesystem::exists(stray));

  // While the recorder runs, a file just created may still be waiting for its row: not a finding.
  EXPECT_TRUE(reconcile(catalog(), RecoveryMode::Report, to_micros(std::chrono::system_clock::now()), true)
                  .consistent());

  const auto report = reconcile(catalog(), RecoveryMode::Repair, now);
  EXPECT_EQ(report.empty_files_removed, 1);
  EXPECT_EQ(report.files_adopted, 0);
  EXPECT_FALSE(std::filesystem::exists(stray));
  EXPECT_TRUE(std::filesystem::exists(notes));
  EXPECT_TRUE(std::filesystem::exists(Catalog::file_in(storage_)));
}
