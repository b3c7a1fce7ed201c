// Catalog schema: an old catalog upgrades to exactly what a fresh one looks like and keeps its rows; a
// catalog newer than this build is refused untouched; a read-only reader refuses an old catalog.

#include "recorder/catalog/schema.h"

#include <filesystem>
#include <gtest/gtest.h>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

#include "recorder/catalog/catalog.h"
#include "recorder/catalog/sqlite_database.h"

using namespace recorder;
using namespace recorder::catalog;

namespace {

class Schema : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("schema-test-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_ / "old");
    std::filesystem::create_directories(dir_ / "fresh");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::filesystem::path old_storage() const { return dir_ / "old"; }
  std::filesystem::path fresh_storage() const { return dir_ / "fresh"; }

  std::filesystem::path dir_;
};

std::string normalise_whitespace(const std::string& text) {
  std::istringstream words(text);
  std::string word, out;
  while (words >> word) {
    if (!out.empty()) out += ' ';
    out += word;
  }
  return out;
}

// Every schema object as "type|name|tbl_name|sql", whitespace in the SQL collapsed.
std::vector<std::string> schema_of(Database& db) {
  std::vector<std::string> objects;
  Statement query = db.prepare("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY name");
  while (query.step())
    objects.push_back(query.text(0) + "|" + query.text(1) + "|" + query.text(2) + "|" +
                      normalise_whitespace(query.text(3)));
  return objects;
}

std::int64_t count(Database& db, const std::string& table) {
  Statement query = db.prepare("SELECT count(*) FROM " + table);
  query.step();
  return query.integer(0);
}

}  // namespace

TEST_F(Schema, OldDatabaseUpgradesToExactlyTheFreshSchemaAndKeepsItsRows) {
  ASSERT_GE(latest_schema_version(), 2) << "this test needs at least one upgrade step after version 1";
  {
    Database db(Catalog::file_in(old_storage()), Database::Mode::ReadWrite);
    upgrade_schema(db, 1);
    ASSERT_EQ(schema_version(db), 1);
    // Version 1 has no incidents yet: the upgrade must add them.
    EXPECT_EQ(db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'incidents'").step(), false);
    db.execute(
        "INSERT INTO meta (key, value) VALUES ('storage_id', 'abc123');"
        "INSERT INTO cameras (id, first_seen_us) VALUES ('c01', 1000), ('c02', 2000);"
        "INSERT INTO recording_runs (id, camera_id, started_us, ended_us, end_reason) "
        "  VALUES (7, 'c01', 5000, 9000, 'stopped');"
        "INSERT INTO segments (camera_id, run_id, path, start_us, end_us, media_duration_us, bytes, key_frames, state) "
        "  VALUES ('c01', 7, 'c01/1970-01-01/a.mp4', 5000, 8000, 3000, 4096, 3, 'complete'),"
        "         ('c02', NULL, 'c02/1970-01-01/b.mp4', 6000, NULL, NULL, NULL, NULL, 'writing');");

    upgrade_schema(db);
    EXPECT_EQ(schema_version(db), latest_schema_version());
  }
  std::vector<std::string> fresh_schema;
  {
    Database fresh(Catalog::file_in(fresh_storage()), Database::Mode::ReadWrite);
    upgrade_schema(fresh);
    EXPECT_EQ(schema_version(fresh), latest_schema_version());
    fresh_schema = schema_of(fresh);
  }

  Database upgraded(Catalog::file_in(old_storage()), Database::Mode::ReadWrite);
  const auto upgraded_schema = schema_of(upgraded);
  EXPECT_EQ(upgraded_schema, fresh_schema);
  EXPECT_GT(fresh_schema.size(), 5u);  // the comparison is between real schemas, not two empty lists
  EXPECT_EQ(schema_version(upgraded), latest_schema_version());

  // The version-1 rows are all still there, with their values.
  EXPECT_EQ(count(upgraded, "meta"), 1);
  EXPECT_EQ(count(upgraded, "cameras"), 2);
  EXPECT_EQ(count(upgraded, "recording_runs"), 1);
  EXPECT_EQ(count(upgraded, "segments"), 2);
  {
    Statement camera = upgraded.prepare("SELECT first_seen_us, car, position FROM cameras WHERE id = 'c02'");
    ASSERT_TRUE(camera.step());
    EXPECT_EQ(camera.integer(0), 2000);
    EXPECT_FALSE(camera.optional_integer(1).has_value());  // new column, NULL for old rows
  }

  // And the catalog API reads them through the upgraded schema.
  Catalog catalog(old_storage(), Database::Mode::ReadOnly);
  EXPECT_EQ(catalog.meta("storage_id"), "abc123");
  const auto segment = catalog.segment_by_path("c01/1970-01-01/a.mp4");
  ASSERT_TRUE(segment.has_value());
  EXPECT_EQ(segment->camera_id, "c01");
  EXPECT_EQ(segment->run_id, 7);
  EXPECT_EQ(segment->start_us, 5000);
  EXPECT_EQ(segment->end_us, 8000);
  EXPECT_EQ(segment->bytes, 4096);
  EXPECT_EQ(segment->state, SegmentState::Complete);
  const auto runs = catalog.runs("c01", 0, 100000);
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].id, 7);
  EXPECT_EQ(runs[0].end_reason, "stopped");
  EXPECT_EQ(catalog.segments_in_state(SegmentState::Writing).size(), 1u);
}

// The audit log is read by time range (Catalog::audit_entries); the log only grows, so that read must
// use an index rather than scan it.
TEST_F(Schema, AuditReadsByTimeUseAnIndex) {
  Database db(Catalog::file_in(fresh_storage()), Database::Mode::ReadWrite);
  upgrade_schema(db);
  Statement plan = db.prepare(
      "EXPLAIN QUERY PLAN SELECT * FROM audit_log WHERE at_us >= 1 AND at_us < 2 ORDER BY at_us, id LIMIT 10");
  std::string steps;
  while (plan.step()) steps += plan.text(3) + "\n";
  EXPECT_NE(steps.find("USING INDEX audit_log_by_time"), std::string::npos) << steps;
  EXPECT_EQ(steps.find("USE TEMP B-TREE"), std::string::npos) << "sorted again after the index: " << steps;
}

TEST_F(Schema, UpgradingTwiceChangesNothing) {
  Database db(Catalog::file_in(fresh_storage()), Database::Mode::ReadWrite);
  upgrade_schema(db);
  const auto before = schema_of(db);
  upgrade_schema(db);  // every step already applied: must not re-run a CREATE TABLE and fail
  EXPECT_EQ(schema_of(db), before);
  EXPECT_EQ(schema_version(db), latest_schema_version());
}

TEST_F(Schema, NewerDatabaseIsRefusedAndLeftUntouched) {
  const auto file = Catalog::file_in(old_storage());
  const int newer = latest_schema_version() + 1;
  std::vector<std::string> schema_before;
  {
    Database db(file, Database::Mode::ReadWrite);
    upgrade_schema(db);
    db.execute("INSERT INTO meta (key, value) VALUES ('written_by', 'a newer recorder')");
    db.execute("CREATE TABLE from_the_future (x INTEGER)");
    db.execute("PRAGMA user_version = " + std::to_string(newer));
    schema_before = schema_of(db);
  }

  {
    Database db(file, Database::Mode::ReadWrite);
    try {
      upgrade_schema(db);
      FAIL() << "upgrade_schema accepted a catalog of version " << newer;
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::InvalidArgument);
      EXPECT_NE(std::string(e.what()).find(std::to_string(newer)), std::string::npos) << e.what();
    }
    EXPECT_EQ(schema_version(db), newer);
    EXPECT_EQ(schema_of(db), schema_before);
  }

  // Through the catalog, in either mode, the same refusal.
  EXPECT_THROW(Catalog(old_storage(), Database::Mode::ReadWrite), Error);
  EXPECT_THROW(Catalog(old_storage(), Database::Mode::ReadOnly), Error);

  Database db(file, Database::Mode::ReadOnly);
  EXPECT_EQ(schema_version(db), newer);
  EXPECT_EQ(schema_of(db), schema_before);
  Statement integrity = db.prepare("PRAGMA integrity_check");
  ASSERT_TRUE(integrity.step());
  EXPECT_EQ(integrity.text(0), "ok");
  Statement row = db.prepare("SELECT value FROM meta WHERE key = 'written_by'");
  ASSERT_TRUE(row.step());
  EXPECT_EQ(row.text(0), "a newer recorder");
}

TEST_F(Schema, ReadOnlyCatalogOnAnOlderDatabaseSaysToUpgrade) {
  {
    Database db(Catalog::file_in(old_storage()), Database::Mode::ReadWrite);
    upgrade_schema(db, 1);
  }
  try {
    Catalog catalog(old_storage(), Database::Mode::ReadOnly);
    FAIL() << "a read-only catalog opened a version-1 database";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("upgrade"), std::string::npos) << e.what();
  }
  // The read-only open did not upgrade it behind the operator's back.
  Database db(Catalog::file_in(old_storage()), Database::Mode::ReadOnly);
  EXPECT_EQ(schema_version(db), 1);

  // Whereas the recorder (read-write) upgrades it, after which a reader opens it.
  { Catalog writer(old_storage(), Database::Mode::ReadWrite); }
  EXPECT_NO_THROW(Catalog(old_storage(), Database::Mode::ReadOnly));
}

TEST_F(Schema, ReadOnlyCatalogWithoutADatabaseFileThrows) {
  EXPECT_THROW(Catalog(dir_ / "nowhere", Database::Mode::ReadOnly), Error);
  EXPECT_FALSE(std::filesystem::exists(Catalog::file_in(dir_ / "nowhere")));
}
