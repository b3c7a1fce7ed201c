#include "pipelines/mp4_box_tracker.h"

#include <gtest/gtest.h>
#include <string>
#include <vector>

using recorder::pipelines::Mp4BoxTracker;

namespace {

std::vector<std::uint8_t> box(const std::string& type, std::size_t body) {
  const std::uint32_t size = static_cast<std::uint32_t>(body + 8);
  std::vector<std::uint8_t> bytes = {std::uint8_t(size >> 24), std::uint8_t(size >> 16), std::uint8_t(size >> 8),
                                     std::uint8_t(size)};
  bytes.insert(bytes.end(), type.begin(), type.end());
  bytes.resize(body + 8, 0xAB);
  return bytes;
}

std::vector<std::uint8_t> fragmented_file() {
  std::vector<std::uint8_t> file;
  for (const auto& [type, body] : std::vector<std::pair<std::string, std::size_t>>{
           {"ftyp", 24}, {"moov", 500}, {"moof", 100}, {"mdat", 3000}, {"moof", 90}, {"mdat", 10}}) {
    const auto b = box(type, body);
    file.insert(file.end(), b.begin(), b.end());
  }
  return file;
}

}  // namespace

TEST(Mp4BoxTracker, CountsDurableUnitsWhateverTheWriteSizes) {
  const auto file = fragmented_file();
  for (std::size_t chunk : {std::size_t(1), std::size_t(3), std::size_t(8), std::size_t(100), file.size()}) {
    Mp4BoxTracker tracker;
    int units = 0;
    for (std::size_t at = 0; at < file.size(); at += chunk)
      units += tracker.feed(file.data() + at, std::min(chunk, file.size() - at));
    EXPECT_EQ(units, 3) << "chunk " << chunk;  // moov + two mdat
    EXPECT_EQ(tracker.boxes_completed(), 6u) << "chunk " << chunk;
  }
}

TEST(Mp4BoxTracker, ReportsAFragmentOnlyWhenItsLastByteArrives) {
  const auto file = fragmented_file();
  Mp4BoxTracker tracker;
  const std::size_t first_mdat_end = 32 + 508 + 108 + 3008;
  EXPECT_EQ(tracker.feed(file.data(), first_mdat_end - 1), 1);  // only moov so far
  EXPECT_EQ(tracker.feed(file.data() + first_mdat_end - 1, 1), 1);
}

TEST(Mp4BoxTracker, HandlesSixtyFourBitSizes) {
  std::vector<std::uint8_t> large = {0, 0, 0, 1, 'm', 'd', 'a', 't', 0, 0, 0, 0, 0, 0, 0, 20, 1, 2, 3, 4};
  Mp4BoxTracker tracker;
  EXPECT_EQ(tracker.feed(large.data(), 10), 0);
  EXPECT_EQ(tracker.feed(large.data() + 10, large.size() - 10), 1);
}

TEST(Mp4BoxTracker, CountsOnlyCompleteMediaBoxesAsFragments) {
  const auto file = fragmented_file();
  Mp4BoxTracker tracker;
  tracker.feed(file.data(), 32 + 508 + 108);  // ftyp, moov, moof: a head without media
  EXPECT_EQ(tracker.media_boxes_completed(), 0u);
  tracker.feed(file.data() + 648, file.size() - 648);
  EXPECT_EQ(tracker.media_boxes_completed(), 2u);
}
