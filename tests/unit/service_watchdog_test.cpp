#include "recorder/app/service_watchdog.h"

#include <gtest/gtest.h>

#include <algorithm>

using namespace std::chrono_literals;
using recorder::MonotonicTime;
using recorder::app::ServiceWatchdog;

namespace {

struct FakeClock final : recorder::Clock {
  MonotonicTime now{std::chrono::hours(1)};
  recorder::WallTime wall_now() const override { return recorder::WallTime{} + now.time_since_epoch(); }
  MonotonicTime monotonic_now() const override { return now; }
};

struct FakeNotifier final : recorder::app::ServiceNotifier {
  std::vector<std::string> sent;
  void notify(const std::string& assignments) override { sent.push_back(assignments); }
  int pings() const { return static_cast<int>(std::count(sent.begin(), sent.end(), "WATCHDOG=1")); }
};

// A component whose progress the test sets: it "ticks" when told to.
struct FakeComponent {
  const FakeClock& clock;
  MonotonicTime last{clock.now};
  void tick() { last = clock.now; }
  recorder::app::ProgressSource source(const std::string& name) {
    return {name, [this] { return last; }};
  }
};

struct Rig {
  FakeClock clock;
  FakeNotifier notifier;
  FakeComponent loop{clock}, catalog{clock}, camera{clock};
  ServiceWatchdog watchdog{notifier, clock, 20s};
  Rig() {
    watchdog.add_source(loop.source("event loop"));
    watchdog.add_source(catalog.source("catalog writer"));
    watchdog.add_source(camera.source("camera c01"));
  }
};

}  // namespace

TEST(ServiceWatchdog, PingsWhileEveryComponentMakesProgress) {
  Rig rig;
  for (int i = 0; i < 10; ++i) {
    rig.clock.now += 5s;
    rig.loop.tick();
    rig.catalog.tick();
    rig.camera.tick();
    EXPECT_TRUE(rig.watchdog.check().empty());
  }
  EXPECT_EQ(rig.notifier.pings(), 10);
}

TEST(ServiceWatchdog, OneStalledComponentStopsThePingsAndIsNamedThenPingsResume) {
  Rig rig;
  // The catalog writer hangs (a disk that stopped answering): the others go on.
  for (int i = 0; i < 4; ++i) {
    rig.clock.now += 5s;
    rig.loop.tick();
    rig.camera.tick();
    rig.watchdog.check();
  }
  EXPECT_EQ(rig.notifier.pings(), 2) << "fresh for 10 s (half the 20 s interval), then stalled";
  const auto why = rig.watchdog.check();
  ASSERT_EQ(why.size(), 1u);
  EXPECT_EQ(why[0], "catalog writer made no progress for 20.0 s");
  EXPECT_EQ(rig.notifier.pings(), 2);

  rig.catalog.tick();  // the disk answers again
  EXPECT_TRUE(rig.watchdog.check().empty());
  EXPECT_EQ(rig.notifier.pings(), 3);
}

TEST(ServiceWatchdog, ADeadlockedCameraSupervisorStopsThePingsByName) {
  Rig rig;
  rig.clock.now += 11s;
  rig.loop.tick();
  rig.catalog.tick();
  const auto why = rig.watchdog.check();
  ASSERT_EQ(why.size(), 1u);
  EXPECT_EQ(why[0], "camera c01 made no progress for 11.0 s");
  EXPECT_EQ(rig.notifier.pings(), 0);
}

TEST(ServiceWatchdog, ChecksAQuarterOfTheIntervalApart) {
  Rig rig;
  EXPECT_EQ(rig.watchdog.check_period(), 5000ms);
}
