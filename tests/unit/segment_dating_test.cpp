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

TEST(SegmentDating, TheFirstSegmentOfARunIsDatedByItsArrival) {
  SegmentDating dating;
  EXPECT_EQ(dating.date(7s, noon), noon);
}

// 4 s segments whose key frames arrive up to 20 ms late: dates follow the stream, so one segment ends
// within a millisecond (250 ppm of 4 s) of where the next begins, while arrival dates would leave gaps
// and overlaps of up to 20 ms.
TEST(SegmentDating, ArrivalJitterDoesNotReachTheDates) {
  SegmentDating dating;
  std::mt19937 random(7);
  std::uniform_int_distribution<int> late_us(0, 20'000);
  WallTime previous = dating.date(0s, noon);
  double worst_arrival_jitter = 0;
  for (int i = 1; i <= 200; ++i) {
    const auto position = std::chrono::nanoseconds(4s) * i;
    const WallTime arrival = noon + position + std::chrono::microseconds(late_us(random));
    const WallTime dated = dating.date(position, arrival);
    EXPECT_LE(std::abs(ms(dated - previous - 4s)), 1.0) << "segment " << i;
    worst_arrival_jitter = std::max(worst_arrival_jitter, std::abs(ms(arrival - (noon + position))));
    previous = dated;
  }
  EXPECT_GT(worst_arrival_jitter, 15.0) << "the arrivals did jitter";
}

// A camera clock 100 ppm fast: its 60 s are 59.994 s of ours. Dates follow our clock, not the camera's:
// after 24 h they are still within 0.1 s of the arrivals, where the camera's clock alone would be 8.6 s off.
TEST(SegmentDating, ACameraClockThatDriftsCannotPullDatesAwayFromTheWallClock) {
  SegmentDating dating;
  dating.date(0s, noon);
  WallTime last_arrival{}, last_date{};
  for (int i = 1; i <= 24 * 60; ++i) {
    const auto position = std::chrono::nanoseconds(60s) * i;
    last_arrival = noon + std::chrono::nanoseconds(static_cast<std::int64_t>(60e9 * i / 1.0001));
    last_date = dating.date(position, last_arrival);
  }
  EXPECT_LT(std::abs(ms(last_date - last_arrival)), 100.0);
}

// A run's first key frame arrived 40 ms later than the ones after it (the pipeline was starting): the
// dates work that off a millisecond per 4 s boundary, not in one jump, and are on time within 4 minutes.
TEST(SegmentDating, ALateFirstArrivalIsWorkedOffInSmallSteps) {
  SegmentDating dating;
  WallTime previous = dating.date(0s, noon + 40ms);
  for (int i = 1; i <= 60; ++i) {
    const auto position = std::chrono::nanoseconds(4s) * i;
    const WallTime dated = dating.date(position, noon + position);
    EXPECT_LE(std::abs(ms(dated - previous - 4s)), 1.0) << "segment " << i;
    previous = dated;
  }
  EXPECT_LT(std::abs(ms(previous - (noon + 240s))), 1.0);
}

TEST(SegmentDating, AStepOrARestartedTimeLineStartsAgainFromTheArrival) {
  SegmentDating dating;
  dating.date(0s, noon);
  const WallTime stepped = noon + 4s + 900ms;  // the wall clock jumped 0.9 s ahead
  EXPECT_EQ(dating.date(4s, stepped), stepped);
  const WallTime on_time_line = stepped + 4s;
  EXPECT_EQ(dating.date(8s, on_time_line), on_time_line) << "and goes on from there";
  const WallTime after_restart = on_time_line + 4s;
  EXPECT_EQ(dating.date(1s, after_restart), after_restart) << "a time line that went back";
  dating.restart();
  const WallTime split = after_restart + 4s + 5ms;
  EXPECT_EQ(dating.date(5s, split), split) << "restart(): the arrival alone";
}

}  // namespace
