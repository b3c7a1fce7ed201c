#include "pipelines/segment_dating.h"

#include <cmath>
#include <gtest/gtest.h>
#include <random>

using recorder::WallTime;
using recorder::pipelines::SegmentDating;
using namespace std::chrono_literals;

namespace {

const WallTime noon = WallTime{} + 1'796'040'000s;

double ms(WallTime::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

// The position of segment i on a time line of `length`-long segments.
std::chrono::nanoseconds at(int i, std::chrono::seconds length) { return std::chrono::nanoseconds(length) * i; }

TEST(SegmentDating, TheFirstSegmentOfARunIsDatedByItsArrivalOrElseNow) {
  SegmentDating dating;
  EXPECT_EQ(dating.date(7s, noon, noon + 3s), noon);
  SegmentDating unknown;
  EXPECT_EQ(unknown.date(7s, std::nullopt, noon + 3s), noon + 3s);
}

// 4 s segments whose key frames arrive up to 20 ms late: dates follow the stream, so one segment ends
// within half a millisecond of where the next begins, while arrival dates would leave gaps and overlaps
// of up to 20 ms.
TEST(SegmentDating, ArrivalJitterDoesNotReachTheDates) {
  SegmentDating dating;
  std::mt19937 random(7);
  std::uniform_int_distribution<int> late_us(0, 20'000);
  WallTime previous = dating.date(0s, noon, noon);
  double worst_arrival_jitter = 0;
  for (int i = 1; i <= 200; ++i) {
    const WallTime arrival = noon + at(i, 4s) + std::chrono::microseconds(late_us(random));
    const WallTime dated = dating.date(at(i, 4s), arrival, arrival);
    EXPECT_LE(std::abs(ms(dated - previous - 4s)), 0.5) << "segment " << i;
    worst_arrival_jitter = std::max(worst_arrival_jitter, std::abs(ms(arrival - (noon + at(i, 4s)))));
    previous = dated;
  }
  EXPECT_GT(worst_arrival_jitter, 15.0) << "the arrivals did jitter";
}

// A camera clock that runs fast (its T seconds are T / (1 + ppm) of ours). Dates follow our clock, not
// the camera's, whatever the segment length, and never jump back the way a restart would.
void expect_dates_follow_the_wall_clock(std::chrono::seconds length, int segments, double ppm, double within_ms) {
  SCOPED_TRACE(std::to_string(length.count()) + " s segments, " + std::to_string(ppm) + " ppm");
  SegmentDating dating;
  WallTime previous = dating.date(0s, noon, noon);
  for (int i = 1; i <= segments; ++i) {
    const WallTime arrival =
        noon + std::chrono::nanoseconds(static_cast<std::int64_t>(static_cast<double>(at(i, length).count()) / (1 + ppm * 1e-6)));
    const WallTime dated = dating.date(at(i, length), arrival, arrival);
    EXPECT_LT(std::abs(ms(dated - arrival)), within_ms) << "segment " << i;
    // Each boundary differs from the camera's segment length by at most the drift over one segment.
    EXPECT_LE(std::abs(ms(dated - previous - length)), ppm * 1e-3 * static_cast<double>(length.count()) + 0.01)
        << "segment " << i;
    previous = dated;
  }
}

TEST(SegmentDating, ACameraClockThatDriftsCannotPullDatesAwayFromTheWallClock) {
  expect_dates_follow_the_wall_clock(60s, 24 * 60, 100, 35);  // lags by about 100 ppm x 300 s = 30 ms
  expect_dates_follow_the_wall_clock(600s, 144, 50, 10);
  expect_dates_follow_the_wall_clock(3600s, 48, 20, 1);  // long segments follow their arrivals closely
  expect_dates_follow_the_wall_clock(60s, 600, 600, 200);
}

// A run's first key frame arrived 40 ms later than the ones after it (the pipeline was starting): the
// dates work that off in steps of half a millisecond per 4 s boundary, not in one jump.
TEST(SegmentDating, ALateFirstArrivalIsWorkedOffInSmallSteps) {
  SegmentDating dating;
  WallTime previous = dating.date(0s, noon + 40ms, noon + 40ms);
  for (int i = 1; i <= 300; ++i) {
    const WallTime dated = dating.date(at(i, 4s), noon + at(i, 4s), noon + at(i, 4s));
    EXPECT_LE(std::abs(ms(dated - previous - 4s)), 0.6) << "segment " << i;
    previous = dated;
  }
  EXPECT_LT(std::abs(ms(previous - (noon + at(300, 4s)))), 1.0) << "on time after 20 minutes";
}

// One key frame 2 s late (the recorder or the camera stalled on a busy machine) is not a new time line:
// its segment and the ones after keep their dates on the stream.
TEST(SegmentDating, OneStalledArrivalDoesNotMoveTheDates) {
  SegmentDating dating;
  dating.date(0s, noon, noon);
  EXPECT_EQ(dating.date(at(1, 4s), noon + at(1, 4s) + 2s, noon), noon + at(1, 4s));
  EXPECT_EQ(dating.date(at(2, 4s), noon + at(2, 4s), noon), noon + at(2, 4s));
}

TEST(SegmentDating, AStepOrARestartedTimeLineStartsAgainFromTheArrival) {
  SegmentDating dating;
  dating.date(0s, noon, noon);
  const auto step = 900ms;  // the wall clock jumped 0.9 s ahead, too little for the daemon to split the run
  EXPECT_EQ(dating.date(4s, noon + 4s + step, noon), noon + 4s) << "one arrival far off alone is not trusted";
  EXPECT_EQ(dating.date(8s, noon + 8s + step, noon), noon + 8s + step) << "two in a row: a new time line";
  EXPECT_EQ(dating.date(12s, noon + 12s + step, noon), noon + 12s + step) << "and it goes on from there";
  const WallTime after_restart = noon + 16s + step;
  EXPECT_EQ(dating.date(1s, after_restart, noon), after_restart) << "a time line that went back";
  dating.restart();
  const WallTime split = after_restart + 4s + 5ms;
  EXPECT_EQ(dating.date(5s, split, noon), split) << "restart(): the arrival alone";
}

TEST(SegmentDating, ASegmentWhoseArrivalIsUnknownIsDatedOnTheTimeLine) {
  SegmentDating dating;
  dating.date(0s, noon, noon);
  EXPECT_EQ(dating.date(4s, std::nullopt, noon + 9s), noon + 4s) << "not `now`, seconds after the key frame";
}

}  // namespace
