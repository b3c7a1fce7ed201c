// The hash-chained audit log on a real SQLite catalog (docs/durability.md, "Audit log"): an intact chain
// verifies, and every kind of tampering done with raw SQL or to the head anchor is found and names the row.

#include "tests/support/catalog_times.h"
#include "tests/support/temp_dir.h"
#include "recorder/catalog/catalog.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <optional>
#include <sstream>
#include <string>
#include <sys/stat.h>
#include <vector>

using namespace recorder;
using namespace recorder::catalog;

namespace {

using test_support::base;
using test_support::minute;
using test_support::second;

class AuditTest : public ::testing::Test {
 protected:
  void SetUp() override {
    storage_ = test_support::fresh_temp_dir("audit");
    open();
  }
  void TearDown() override {
    catalog_.reset();
    std::filesystem::remove_all(storage_);
  }
  void open() {
    catalog_.reset();
    catalog_.emplace(storage_, Database::Mode::ReadWrite);
  }
  Catalog& catalog() { return *catalog_; }

  // Five rows as the API would write them, a minute apart.
  std::vector<AuditEntry> append_five() {
    std::vector<AuditEntry> rows;
    rows.push_back(catalog().append_audit(base, "alice", "10.20.0.5", "login", ""));
    rows.push_back(catalog().append_audit(base + minute, "alice", "10.20.0.5", "list-recordings", R"({"camera":"c01"})"));
    rows.push_back(catalog().append_audit(base + 2 * minute, "alice", "10.20.0.5", "export",
                                          R"({"camera":"c01","from":"2026-11-30T09:00:00Z","to":"2026-11-30T09:05:00Z"})"));
    rows.push_back(catalog().append_audit(base + 3 * minute, "-", "10.20.0.9", "login-failed", "bad password"));
    rows.push_back(catalog().append_audit(base + 4 * minute, "bob", "10.20.0.7", "protect", R"({"incident":1})"));
    return rows;
  }

  void sql(const std::string& statement) { catalog().database().execute(statement); }

  std::string anchor_text() {
    std::ifstream in(Catalog::audit_head_in(storage_));
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

  std::filesystem::path storage_;
  std::optional<Catalog> catalog_;
};

std::string all_of(const std::vector<std::string>& lines) {
  std::string text;
  for (const auto& line : lines) text += line + "\n";
  return text;
}

bool mentions(const AuditCheck& check, const std::string& fragment) {
  return std::any_of(check.problems.begin(), check.problems.end(),
                     [&](const std::string& problem) { return problem.find(fragment) != std::string::npos; });
}

}  // namespace

TEST_F(AuditTest, ChainOfSeveralRowsVerifies) {
  const auto rows = append_five();
  EXPECT_EQ(rows.front().id, 1);
  EXPECT_EQ(rows.front().previous_hash, std::string(64, '0'));
  for (std::size_t i = 1; i < rows.size(); ++i) {
    EXPECT_EQ(rows[i].id, rows[i - 1].id + 1);
    EXPECT_EQ(rows[i].previous_hash, rows[i - 1].hash);
  }
  for (const auto& row : rows) {
    EXPECT_EQ(row.hash.size(), 64u);
    EXPECT_EQ(row.hash.find_first_not_of("0123456789abcdef"), std::string::npos) << row.hash;
    EXPECT_EQ(row.hash, audit_hash(row));
  }
  EXPECT_EQ(anchor_text(), "5 " + rows.back().hash + "\n");
  // Readable like the catalog (an operator's recorderctl verifies it), and no temporaries left beside it.
  const mode_t umask_now = umask(0);
  umask(umask_now);
  EXPECT_EQ(static_cast<mode_t>(std::filesystem::status(Catalog::audit_head_in(storage_)).permissions()),
            0644 & ~umask_now);
  for (const auto& entry : std::filesystem::directory_iterator(storage_))
    EXPECT_EQ(entry.path().filename().string().rfind("audit.head.", 0), std::string::npos) << entry.path();

  const auto check = catalog().verify_audit_chain();
  EXPECT_TRUE(check.ok) << all_of(check.problems);
  EXPECT_EQ(check.rows, 5);
  EXPECT_EQ(check.head_hash, rows.back().hash);
  EXPECT_TRUE(check.notes.empty()) << all_of(check.notes);
}

TEST_F(AuditTest, EmptyLogWithoutAnchorVerifies) {
  const auto check = catalog().verify_audit_chain();
  EXPECT_TRUE(check.ok) << all_of(check.problems);
  EXPECT_EQ(check.rows, 0);
}

TEST_F(AuditTest, EditedDetailOfAMiddleRowIsNamed) {
  append_five();
  sql(R"(UPDATE audit_log SET detail = '{"camera":"c02"}' WHERE id = 3)");
  const auto check = catalog().verify_audit_chain();
  EXPECT_FALSE(check.ok);
  EXPECT_TRUE(mentions(check, "row 3: hash does not match its contents")) << all_of(check.problems);
  EXPECT_EQ(check.problems.size(), 1u) << all_of(check.problems);
}

TEST_F(AuditTest, EditedUserIsNamed) {
  append_five();
  sql("UPDATE audit_log SET user = 'mallory' WHERE id = 2");
  const auto check = catalog().verify_audit_chain();
  EXPECT_FALSE(check.ok);
  EXPECT_TRUE(mentions(check, "row 2: hash does not match its contents")) << all_of(check.problems);
}

TEST_F(AuditTest, DeletedMiddleRowIsNamed) {
  append_five();
  sql("DELETE FROM audit_log WHERE id = 3");
  const auto check = catalog().verify_audit_chain();
  EXPECT_FALSE(check.ok);
  EXPECT_EQ(check.rows, 4);
  EXPECT_TRUE(mentions(check, "row 3 is missing")) << all_of(check.problems);
}

TEST_F(AuditTest, DeletedNewestRowIsCaughtByTheAnchor) {
  append_five();
  sql("DELETE FROM audit_log WHERE id = 5");
  const auto check = catalog().verify_audit_chain();
  EXPECT_FALSE(check.ok);
  EXPECT_TRUE(mentions(check, "row 5 is missing")) << all_of(check.problems);
  EXPECT_TRUE(mentions(check, "newest rows were deleted")) << all_of(check.problems);
}

TEST_F(AuditTest, EveryRowDeletedIsCaughtByTheAnchor) {
  append_five();
  sql("DELETE FROM audit_log");
  const auto check = catalog().verify_audit_chain();
  EXPECT_FALSE(check.ok);
  EXPECT_TRUE(mentions(check, "row 5 is missing")) << all_of(check.problems);
}

TEST_F(AuditTest, SwappedRowsAreNamed) {
  append_five();
  // Rows 2 and 3 trade everything but their ids: the order of events is rewritten.
  sql("CREATE TEMP TABLE saved AS SELECT * FROM audit_log WHERE id IN (2, 3);"
      "UPDATE audit_log SET (at_us, user, remote, action, detail, previous_hash, hash) = "
      "(SELECT at_us, user, remote, action, detail, previous_hash, hash FROM saved WHERE saved.id = 5 - audit_log.id) "
      "WHERE id IN (2, 3);");
  const auto check = catalog().verify_audit_chain();
  EXPECT_FALSE(check.ok);
  EXPECT_TRUE(mentions(check, "row 2: hash does not match")) << all_of(check.problems);
  EXPECT_TRUE(mentions(check, "row 3: hash does not match")) << all_of(check.problems);
  EXPECT_TRUE(mentions(check, "row 4: previous_hash does not match row 3's hash")) << all_of(check.problems);
}

TEST_F(AuditTest, ForgedRowWithARecomputedHashBreaksItsSuccessor) {
  auto rows = append_five();
  AuditEntry forged = rows[2];
  forged.detail = R"({"camera":"c09"})";
  forged.hash = audit_hash(forged);
  sql("UPDATE audit_log SET detail = '" + forged.detail + "', hash = '" + forged.hash + "' WHERE id = 3");
  const auto check = catalog().verify_audit_chain();
  EXPECT_FALSE(check.ok);
  EXPECT_TRUE(mentions(check, "row 4: previous_hash does not match row 3's hash")) << all_of(check.problems);
  EXPECT_FALSE(mentions(check, "row 3:")) << "row 3 itself is consistent: " << all_of(check.problems);
}

TEST_F(AuditTest, ForgedNewestRowWithARecomputedHashDiffersFromTheAnchor) {
  auto rows = append_five();
  AuditEntry forged = rows[4];
  forged.user = "nobody";
  forged.hash = audit_hash(forged);
  sql("UPDATE audit_log SET user = 'nobody', hash = '" + forged.hash + "' WHERE id = 5");
  const auto check = catalog().verify_audit_chain();
  EXPECT_FALSE(check.ok);
  EXPECT_TRUE(mentions(check, "row 5: hash differs from the one anchored")) << all_of(check.problems);
}

TEST_F(AuditTest, RowWithAForgedIdBeyondTheEndLeavesAGap) {
  auto rows = append_five();
  AuditEntry forged{9, base + 5 * minute, "alice", "10.20.0.5", "login", "", rows[4].hash, ""};
  forged.hash = audit_hash(forged);
  sql("INSERT INTO audit_log VALUES (9, " + std::to_string(forged.at_us) + ", 'alice', '10.20.0.5', 'login', '', '" +
      forged.previous_hash + "', '" + forged.hash + "')");
  const auto check = catalog().verify_audit_chain();
  EXPECT_FALSE(check.ok);
  EXPECT_TRUE(mentions(check, "rows 6 to 8 are missing")) << all_of(check.problems);
}

TEST_F(AuditTest, FieldBoundaryShiftChangesTheHash) {
  AuditEntry entry{1, base, "ab", "c", "login", "", std::string(64, '0'), ""};
  AuditEntry shifted = entry;
  shifted.user = "a";
  shifted.remote = "bc";
  EXPECT_NE(audit_hash(entry), audit_hash(shifted));
  shifted = entry;
  shifted.action = "";
  shifted.detail = "login";
  EXPECT_NE(audit_hash(entry), audit_hash(shifted));

  append_five();
  // Row 2's user "alice" and remote "10.20.0.5" become "alice1" and "0.20.0.5": the same bytes in a row.
  sql("UPDATE audit_log SET user = user || substr(remote, 1, 1), remote = substr(remote, 2) WHERE id = 2");
  const auto check = catalog().verify_audit_chain();
  EXPECT_FALSE(check.ok);
  EXPECT_TRUE(mentions(check, "row 2: hash does not match its contents")) << all_of(check.problems);
}

TEST_F(AuditTest, MissingAnchorIsAProblem) {
  append_five();
  std::filesystem::remove(Catalog::audit_head_in(storage_));
  const auto check = catalog().verify_audit_chain();
  EXPECT_FALSE(check.ok);
  EXPECT_TRUE(mentions(check, "audit.head is missing while the log holds 5 rows")) << all_of(check.problems);
}

TEST_F(AuditTest, MalformedAnchorIsAProblem) {
  append_five();
  std::ofstream(Catalog::audit_head_in(storage_), std::ios::trunc) << "5\n";
  const auto check = catalog().verify_audit_chain();
  EXPECT_FALSE(check.ok);
  EXPECT_TRUE(mentions(check, "is malformed")) << all_of(check.problems);
}

TEST_F(AuditTest, RowsNewerThanTheAnchorAreANoteNotAProblem) {
  append_five();
  const std::string anchor_at_five = anchor_text();
  catalog().append_audit(base + 5 * minute, "bob", "10.20.0.7", "unprotect", R"({"incident":1})");
  catalog().append_audit(base + 6 * minute, "bob", "10.20.0.7", "export", R"({"camera":"c03"})");
  // A power cut between the commit of rows 6 and 7 and their anchor writes.
  std::ofstream(Catalog::audit_head_in(storage_), std::ios::trunc) << anchor_at_five;
  const auto check = catalog().verify_audit_chain();
  EXPECT_TRUE(check.ok) << all_of(check.problems);
  EXPECT_EQ(check.rows, 7);
  ASSERT_EQ(check.notes.size(), 1u);
  EXPECT_NE(check.notes[0].find("rows 6 to 7 are newer than the head anchor (row 5)"), std::string::npos)
      << check.notes[0];
}

TEST_F(AuditTest, AppendAfterReopenContinuesTheChain) {
  const auto rows = append_five();
  open();
  const auto next = catalog().append_audit(base + 5 * minute, "carol", "local", "audit-read", "");
  EXPECT_EQ(next.id, 6);
  EXPECT_EQ(next.previous_hash, rows.back().hash);
  catalog_.reset();

  // What recorderctl does: read-only, while nobody writes.
  const Catalog reader(storage_, Database::Mode::ReadOnly);
  const auto check = reader.verify_audit_chain();
  EXPECT_TRUE(check.ok) << all_of(check.problems);
  EXPECT_EQ(check.rows, 6);
  EXPECT_EQ(check.head_hash, next.hash);
}

TEST_F(AuditTest, EntriesAreFilteredByTimeOldestFirst) {
  append_five();
  // A clock stepped back: row 6 is older than rows 2 to 5, and is listed by its time, not its id.
  catalog().append_audit(base + 30 * second, "alice", "10.20.0.5", "list-cameras", "");

  const auto some = catalog().audit_entries(base + 30 * second, base + 3 * minute);
  std::vector<std::int64_t> ids;
  for (const auto& row : some) ids.push_back(row.id);
  EXPECT_EQ(ids, (std::vector<std::int64_t>{6, 2, 3}));  // to is exclusive: row 4 at base + 3 min is not in
  EXPECT_EQ(some[0].action, "list-cameras");
  EXPECT_EQ(some[2].detail, R"({"camera":"c01","from":"2026-11-30T09:00:00Z","to":"2026-11-30T09:05:00Z"})");

  EXPECT_EQ(catalog().audit_entries(base, base + 10 * minute).size(), 6u);
  EXPECT_EQ(catalog().audit_entries(base, base + 10 * minute, 2).size(), 2u);
  EXPECT_TRUE(catalog().audit_entries(base - 10 * minute, base).empty());
}
