#include "recorder/app/health_model.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

using recorder::app::assess_health;
using recorder::app::HealthState;
using recorder::api::StatusSnapshot;
using testing::ElementsAre;
using testing::IsEmpty;

namespace {

// Two recording cameras, a checked disk well above its floor, the firewall applied, the clock synchronised.
StatusSnapshot healthy() {
  StatusSnapshot s;
  s.cameras = {{"c01", "recording"}, {"c02", "recording"}};
  s.storage_checked = true;
  s.storage_free_bytes = 100ull << 30;
  s.storage_capacity_bytes = 500ull << 30;
  s.storage_floor_bytes = 10ull << 30;
  s.firewall_applied = true;
  s.clock_synchronised = true;
  return s;
}

}  // namespace

TEST(HealthModel, EverythingWorkingIsOkWithoutReasons) {
  const auto health = assess_health(healthy());
  EXPECT_EQ(health.state, HealthState::Ok);
  EXPECT_THAT(health.reasons, IsEmpty());
}

TEST(HealthModel, ACameraDownIsDegradedAndNamesTheCamera) {
  auto s = healthy();
  s.cameras[1].state = "backoff";
  const auto health = assess_health(s);
  EXPECT_EQ(health.state, HealthState::Degraded);
  EXPECT_THAT(health.reasons, ElementsAre("camera c02 not recording"));
}

TEST(HealthModel, NoCameraRecordingIsStillOnlyDegraded) {
  // As at every start, for a moment: not a FAULT (/healthz would answer 503), each camera named.
  auto s = healthy();
  s.cameras[0].state = "connecting";
  s.cameras[1].state = "backoff";
  const auto health = assess_health(s);
  EXPECT_EQ(health.state, HealthState::Degraded);
  EXPECT_THAT(health.reasons, ElementsAre("camera c01 not recording", "camera c02 not recording"));
}

TEST(HealthModel, StorageUnderTheFloorIsDegradedAndFullWithNothingDeletableIsAFault) {
  auto s = healthy();
  s.storage_free_bytes = 5ull << 30;
  EXPECT_EQ(assess_health(s).state, HealthState::Degraded);
  EXPECT_THAT(assess_health(s).reasons, ElementsAre("storage under the free-space floor"));
  s.storage_alarm = true;
  EXPECT_EQ(assess_health(s).state, HealthState::Fault);
  EXPECT_THAT(assess_health(s).reasons, ElementsAre("storage full: nothing may be deleted"));
}

TEST(HealthModel, SpaceIsNotJudgedBeforeTheFirstRetentionPass) {
  auto s = healthy();
  s.storage_checked = false;
  s.storage_free_bytes = 0;
  EXPECT_EQ(assess_health(s).state, HealthState::Ok);
}

TEST(HealthModel, AMissingDiskIsAFault) {
  auto s = healthy();
  s.storage_present = false;
  EXPECT_EQ(assess_health(s).state, HealthState::Fault);
  EXPECT_THAT(assess_health(s).reasons, ElementsAre("storage missing"));
}

TEST(HealthModel, FirewallNotAppliedIsAFaultNotWatchedIsDegradedAbsentIsFine) {
  auto s = healthy();
  s.firewall_applied = false;
  s.firewall_problem = "Operation not permitted";
  EXPECT_EQ(assess_health(s).state, HealthState::Fault);
  EXPECT_THAT(assess_health(s).reasons, ElementsAre("firewall not applied"));

  s.firewall_applied.reset();  // the recorder cannot read the kernel's table (no CAP_NET_ADMIN)
  EXPECT_EQ(assess_health(s).state, HealthState::Degraded);
  EXPECT_THAT(assess_health(s).reasons, ElementsAre("firewall not verified by the recorder"));

  s.firewall_problem.clear();  // no network: block at all: nothing to judge
  EXPECT_EQ(assess_health(s).state, HealthState::Ok);
}

TEST(HealthModel, UnattributedDropsAndAnUnsynchronisedClockAreDegraded) {
  auto s = healthy();
  s.drop_monitor_problem = "no CAP_NET_ADMIN";
  s.clock_synchronised = false;
  const auto health = assess_health(s);
  EXPECT_EQ(health.state, HealthState::Degraded);
  EXPECT_THAT(health.reasons, ElementsAre("blocked camera traffic not attributed", "clock not synchronised"));
  s.drop_monitor_problem.clear();
  s.clock_synchronised.reset();  // the kernel would not say: not held against the recorder
  EXPECT_EQ(assess_health(s).state, HealthState::Ok);
}

TEST(HealthModel, TheWorstReasonDecidesTheState) {
  auto s = healthy();
  s.cameras[0].state = "backoff";
  s.firewall_applied = false;
  const auto health = assess_health(s);
  EXPECT_EQ(health.state, HealthState::Fault);
  EXPECT_THAT(health.reasons, ElementsAre("camera c01 not recording", "firewall not applied"));
}

#include "recorder/api/metrics.h"

TEST(HealthModel, MetricsCarryOneSeriesPerReason) {
  auto s = healthy();
  s.cameras[1].state = "backoff";
  s.clock_synchronised = false;
  const auto health = assess_health(s);
  s.health = to_string(health.state);
  s.health_reasons = health.reasons;
  const std::string text = recorder::api::render_metrics(s);
  for (const char* line : {"recorder_health{state=\"DEGRADED\"} 1\n",
                           "recorder_health_reason{reason=\"camera c02 not recording\"} 1\n",
                           "recorder_health_reason{reason=\"clock not synchronised\"} 1\n",
                           "recorder_clock_synchronised 0\n"})
    EXPECT_NE(text.find(line), std::string::npos) << line << " missing from\n" << text;
}

TEST(HealthModel, StatusLineSaysHealthCamerasSpaceFirewallAndReasons) {
  auto s = healthy();
  s.cameras[1].state = "backoff";
  s.health = "DEGRADED";
  s.health_reasons = {"camera c02 not recording"};
  EXPECT_EQ(recorder::app::status_line(s),
            "DEGRADED: 1/2 cameras recording; 100.0 GiB free; firewall applied (camera c02 not recording)");
}
