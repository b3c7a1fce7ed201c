#include "recorder/camera/backoff.h"

#include <gtest/gtest.h>

using recorder::camera::Backoff;
using namespace std::chrono_literals;

TEST(Backoff, DoublesUpToTheCapAndStartsOverAfterReset) {
  Backoff backoff(250ms, 2000ms);
  EXPECT_EQ(backoff.next(), 250ms);
  EXPECT_EQ(backoff.next(), 500ms);
  EXPECT_EQ(backoff.next(), 1000ms);
  EXPECT_EQ(backoff.next(), 2000ms);
  EXPECT_EQ(backoff.next(), 2000ms);
  for (int i = 0; i < 100; ++i) backoff.next();  // no overflow after many failures
  EXPECT_EQ(backoff.next(), 2000ms);
  backoff.reset();
  EXPECT_EQ(backoff.next(), 250ms);
}

#include "recorder/core/clock_step_detector.h"

TEST(ClockStepDetector, ReportsStepsBeyondTheThresholdBothWaysAndNotSteadyTime) {
  recorder::ClockStepDetector detector(std::chrono::seconds(2));
  const recorder::WallTime wall0 = std::chrono::system_clock::now();
  const recorder::MonotonicTime mono0{};
  EXPECT_FALSE(detector.check(wall0, mono0));                             // first look: nothing to compare
  EXPECT_FALSE(detector.check(wall0 + 500ms, mono0 + 500ms));             // time passing is no step
  EXPECT_FALSE(detector.check(wall0 + 2500ms, mono0 + 1000ms));           // 1.5 s slew: under the threshold
  const auto forward = detector.check(wall0 + 33500ms, mono0 + 1500ms);   // +30.5 s
  ASSERT_TRUE(forward);
  EXPECT_EQ(*forward, 30500ms);
  const auto back = detector.check(wall0 + 4000ms, mono0 + 2000ms);       // -30 s
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, -30000ms);
}
