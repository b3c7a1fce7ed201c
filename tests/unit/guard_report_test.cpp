// The firewall guard's result file: written atomically and readable by the recorder's user, read back
// as written, malformed input reported, and how a recorder without CAP_NET_ADMIN judges the firewall
// by it (fresh, failed, silent), down to the health it reports.

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "recorder/app/health_model.h"
#include "recorder/core/error.h"
#include "recorder/firewall/guard_report.h"

using namespace recorder;
using namespace recorder::firewall;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

class GuardReportFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("guard-report-test-" + std::to_string(getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

const WallTime noon = *parse_rfc3339("2026-11-30T12:00:00Z");
constexpr std::chrono::seconds period{30};

GuardReport report(GuardOutcome outcome, WallTime at = noon, std::string detail = "") {
  return {at, outcome, std::move(detail), "ab12", 2, "cd34"};
}

}  // namespace

TEST_F(GuardReportFiles, WrittenWholeReadableByAllAndReadBackAsWritten) {
  const auto file = dir_ / "run" / "guard-result.json";  // the folder does not exist yet
  write_guard_report(file, report(GuardOutcome::Repaired, noon, "the table was removed from outside"));
  EXPECT_EQ(fs::status(file).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read | fs::perms::others_read);
  EXPECT_EQ(std::distance(fs::directory_iterator(file.parent_path()), fs::directory_iterator()), 1)
      << "a temporary file was left beside it";
  const auto read = read_guard_report(file);
  ASSERT_TRUE(read);
  EXPECT_EQ(std::chrono::floor<std::chrono::milliseconds>(read->at), noon);
  EXPECT_EQ(read->outcome, GuardOutcome::Repaired);
  EXPECT_EQ(read->detail, "the table was removed from outside");
  EXPECT_EQ(read->table_sha256, "ab12");
  EXPECT_EQ(read->drift_repairs, 2);
  EXPECT_EQ(read->ruleset_sha256, "cd34");
}

// A result written before the ruleset's hash was recorded still reads, with no hash: the guard then
// applies the table once and records it.
TEST_F(GuardReportFiles, AResultWithoutTheRulesetHashReadsWithAnEmptyOne) {
  fs::create_directories(dir_);
  std::ofstream(dir_ / "old.json") << R"({"at":"x","at_unix":1796040000,"outcome":"verified","detail":"",)"
                                      R"("table_sha256":"ab12","drift_repairs":3})";
  const auto read = read_guard_report(dir_ / "old.json");
  ASSERT_TRUE(read);
  EXPECT_EQ(read->outcome, GuardOutcome::Verified);
  EXPECT_EQ(read->drift_repairs, 3);
  EXPECT_EQ(read->ruleset_sha256, "");
}

TEST_F(GuardReportFiles, MissingIsNothingAndMalformedIsAnErrorNamingTheFile) {
  EXPECT_FALSE(read_guard_report(dir_ / "absent.json"));
  fs::create_directories(dir_);
  for (const std::string text : {"", "{", "{\"at_unix\": 1}", R"({"at_unix":1,"outcome":"maybe","detail":"",)"
                                                                 R"("table_sha256":"","drift_repairs":0})"}) {
    std::ofstream(dir_ / "bad.json") << text;
    try {
      read_guard_report(dir_ / "bad.json");
      ADD_FAILURE() << "accepted '" << text << "'";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::DataLoss);
      EXPECT_NE(std::string(e.what()).find((dir_ / "bad.json").string()), std::string::npos) << e.what();
    }
  }
}

TEST(GuardVerdict, ARecentSuccessMeansTheTableIsInPlace) {
  for (const auto outcome : {GuardOutcome::Applied, GuardOutcome::Verified, GuardOutcome::Repaired}) {
    const auto verdict = judge_guard_report(report(outcome), noon + 89s, period, "/run/g.json");
    EXPECT_EQ(verdict.applied, true) << to_string(outcome);
    EXPECT_EQ(verdict.problem, "");
    EXPECT_EQ(verdict.drift_repairs, 2);
  }
}

TEST(GuardVerdict, AFailureIsTheGuardsReasonOnOneLine) {
  const auto verdict = judge_guard_report(
      report(GuardOutcome::Failed, noon, "nftables could not apply the ruleset: Error: No such file\n  table inet x\n"),
      noon + 1s, period, "/run/g.json");
  EXPECT_EQ(verdict.applied, false);
  EXPECT_EQ(verdict.problem, "nftables could not apply the ruleset: Error: No such file table inet x");
  const auto long_reason = judge_guard_report(report(GuardOutcome::Failed, noon, std::string(5000, 'x')), noon, period, "");
  EXPECT_LE(long_reason.problem.size(), 200u);
}

TEST(GuardVerdict, SilenceBeyondThreePeriodsOrNoResultIsSaidWithSinceWhen) {
  EXPECT_EQ(judge_guard_report(report(GuardOutcome::Verified), noon + 90s, period, "").applied, true);
  const auto stale = judge_guard_report(report(GuardOutcome::Verified), noon + 91s, period, "/run/g.json");
  EXPECT_EQ(stale.applied, std::nullopt);
  EXPECT_EQ(stale.problem, "firewall guard silent since 2026-11-30T12:00:00.000Z");
  // Even a failure, once old, only says the guard stopped: it is no longer news about the table.
  EXPECT_EQ(judge_guard_report(report(GuardOutcome::Failed), noon + 1h, period, "").applied, std::nullopt);
  const auto missing = judge_guard_report(std::nullopt, noon, period, "/run/g.json");
  EXPECT_EQ(missing.applied, std::nullopt);
  EXPECT_EQ(missing.problem, "firewall guard silent: no result in /run/g.json");
  // Written "in the future": the clock was stepped back since; not held against the guard.
  EXPECT_EQ(judge_guard_report(report(GuardOutcome::Verified, noon + 1h), noon, period, "").applied, true);
}

namespace {

api::StatusSnapshot guarded(const GuardVerdict& verdict) {
  api::StatusSnapshot s;
  s.firewall_guarded = true;
  s.firewall_applied = verdict.applied;
  s.firewall_problem = verdict.problem;
  return s;
}

}  // namespace

TEST(GuardVerdict, TheHealthFollowsTheGuard) {
  auto health = app::assess_health(guarded(judge_guard_report(report(GuardOutcome::Verified), noon, period, "")));
  EXPECT_EQ(health.state, app::HealthState::Ok);
  EXPECT_TRUE(health.reasons.empty());

  health = app::assess_health(guarded(judge_guard_report(report(GuardOutcome::Failed, noon, "nft said no"), noon, period, "")));
  EXPECT_EQ(health.state, app::HealthState::Fault);
  EXPECT_EQ(health.reasons, std::vector<std::string>{"firewall guard failed: nft said no"});

  health = app::assess_health(guarded(judge_guard_report(report(GuardOutcome::Verified), noon + 1h, period, "")));
  EXPECT_EQ(health.state, app::HealthState::Degraded);
  EXPECT_EQ(health.reasons, std::vector<std::string>{"firewall guard silent since 2026-11-30T12:00:00.000Z"});
}
