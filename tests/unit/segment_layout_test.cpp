#include "recorder/catalog/segment_layout.h"

#include <gtest/gtest.h>

using namespace recorder;
using namespace std::chrono;

TEST(SegmentLayout, PathFollowsCameraDayAndUtcStart) {
  const WallTime start = sys_days{year{2026} / 11 / 30} + 23h + 59min + 58s + 123ms;
  EXPECT_EQ(catalog::segment_path("/srv/footage", "c01-door-1a", start).string(),
            "/srv/footage/c01-door-1a/2026-11-30/c01-door-1a-20261130T235958.123Z.mp4");
}

TEST(SegmentLayout, FileNameRoundTrips) {
  const WallTime start = sys_days{year{2027} / 1 / 2} + 3h + 4min + 5s + 6ms;
  const auto path = catalog::segment_path("/x", "cam_2-b", start);
  const auto parsed = catalog::parse_segment_file_name(path.filename().string());
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->camera_id, "cam_2-b");
  EXPECT_EQ(parsed->start, start);
}

TEST(SegmentLayout, OtherFileNamesAreNotSegments) {
  for (const char* name : {"notes.txt", "c1-20261130T235958.123Z.mkv", "c1-20261130X235958.123Z.mp4",
                           "-20261130T235958.123Z.mp4", "c1-2026113T235958.123Z.mp4", ".mp4"}) {
    EXPECT_FALSE(catalog::parse_segment_file_name(name).has_value()) << name;
  }
}
