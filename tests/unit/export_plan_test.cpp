#include "recorder/export/export_plan.h"

#include <gtest/gtest.h>

#include "recorder/core/clock.h"

using namespace recorder;
using catalog::Segment;
using catalog::SegmentState;

namespace {

Segment row(std::int64_t id, catalog::Micros start, catalog::Micros duration, SegmentState state = SegmentState::Complete) {
  Segment s;
  s.id = id;
  s.camera_id = "door";
  s.path = "door/x/" + std::to_string(id) + ".mp4";
  s.start_us = start;
  s.end_us = start + duration;
  s.state = state;
  return s;
}

constexpr catalog::Micros second = 1'000'000;

}  // namespace

TEST(ExportPlan, TakesOverlappingPlayableSegmentsAndReportsGaps) {
  const std::vector<Segment> rows = {row(1, 0, 60 * second), row(2, 60 * second, 60 * second),
                                     row(3, 150 * second, 60 * second), row(4, 210 * second, 60 * second, SegmentState::Lost),
                                     row(5, 270 * second, 60 * second, SegmentState::Writing)};
  const auto plan = exporting::plan_export("door", 30 * second, 300 * second, rows);
  ASSERT_EQ(plan.segments.size(), 3u);
  EXPECT_EQ(plan.segments[0].id, 1);
  EXPECT_EQ(plan.segments[2].id, 3);
  ASSERT_EQ(plan.gaps.size(), 2u);
  EXPECT_EQ(plan.gaps[0].from_us, 120 * second);  // between segments 2 and 3
  EXPECT_EQ(plan.gaps[0].to_us, 150 * second);
  EXPECT_EQ(plan.gaps[1].from_us, 210 * second);  // lost and still-writing footage is not exported
  EXPECT_EQ(plan.gaps[1].to_us, 300 * second);
}

TEST(ExportPlan, ArrivalJitterBetweenSegmentsIsNotAGap) {
  const auto plan = exporting::plan_export("door", 0, 100 * second,
                                           {row(1, 0, 50 * second), row(2, 50 * second + 300'000, 50 * second)});
  EXPECT_TRUE(plan.gaps.empty());
}

TEST(ExportPlan, RefusesBadRangesAndMissingFootage) {
  const std::vector<Segment> rows = {row(1, 0, 60 * second)};
  EXPECT_THROW(exporting::plan_export("door", 10 * second, 10 * second, rows), Error);
  EXPECT_THROW(exporting::plan_export("door", 0, 5 * 3600 * second, rows), Error);
  try {
    exporting::plan_export("door", 100 * second, 200 * second, rows);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::NotFound);
  }
}

TEST(Rfc3339, ParsesUtcOffsetsAndFractionsAndRefusesTheRest) {
  const auto utc = parse_rfc3339("2026-11-30T14:03:00Z");
  ASSERT_TRUE(utc);
  EXPECT_EQ(format_rfc3339(*utc), "2026-11-30T14:03:00.000Z");
  EXPECT_EQ(parse_rfc3339("2026-11-30T15:03:00.250+01:00"), *utc + std::chrono::milliseconds(250));
  EXPECT_EQ(parse_rfc3339("2026-11-30T13:03:00-01:00"), utc);
  for (const char* bad : {"2026-11-30T14:03:00", "2026-02-31T00:00:00Z", "2026-11-30 14:03Z", "yesterday",
                          "2026-11-30T25:00:00Z", "2026-11-30T14:03:00Zjunk", "2026-11-30T14:03:00+1:00", ""}) {
    EXPECT_FALSE(parse_rfc3339(bad).has_value()) << bad;
  }
}
