// Exports from a real recording, checked with libav: the clip starts at `from` (an edit list hides the
// pre-roll from the key frame before it), lasts `to - from`, crosses segment boundaries, and gaps are
// reported rather than hidden.

#include <csignal>
#include <fstream>
#include <gtest/gtest.h>
#include <random>
#include <thread>

#include "recorder/catalog/catalog.h"
#include "recorder/core/clock.h"
#include "tests/support/media_probe.h"
#include "tests/support/recording_run.h"

using namespace test_support;
using namespace std::chrono_literals;
namespace catalog = recorder::catalog;

namespace {

// The camera's continuous footage, as the catalog of a stopped recorder lists it.
std::vector<catalog::Catalog::Span> recorded_spans(const std::filesystem::path& storage, const std::string& camera) {
  catalog::Catalog view(storage, catalog::Database::Mode::ReadOnly);
  return view.spans(camera, 0, INT64_MAX);
}

std::string rfc3339(catalog::Micros at) { return recorder::format_rfc3339(catalog::from_micros(at)); }

int export_clip(const ScratchDir& dir, const std::string& camera, catalog::Micros from, catalog::Micros to,
                const std::filesystem::path& out, std::string* output) {
  return run_recorderctl(dir.path(),
                         {"export", "--storage", (dir.path() / "storage").string(), "--camera", camera, "--from",
                          rfc3339(from), "--to", rfc3339(to), "-o", out.string(), "--key",
                          (dir.path() / "keys" / "signing.key").string(), "--user", "inspector-k"},
                         output);
}

}  // namespace

TEST(Export, ClipsStartAtFromLastToMinusFromAcrossSegmentsAndReportGaps) {
  ScratchDir dir;
  Camsim camera("cam", {.gop_seconds = 2, .audio = true}, dir.path());
  RecorderRun recorder(dir.path(), {{.id = "door", .url = camera.urls()[0]}}, 4);
  std::this_thread::sleep_for(16s);
  recorder.process().signal(SIGTERM);  // a pause of 5 s: a gap in the footage
  ASSERT_EQ(recorder.process().wait(5s), 0);
  std::this_thread::sleep_for(5s);
  recorder.restart();
  std::this_thread::sleep_for(9s);
  recorder.process().signal(SIGTERM);
  ASSERT_EQ(recorder.process().wait(5s), 0) << recorder.log();

  const auto spans = recorded_spans(recorder.storage(), "door");
  ASSERT_EQ(spans.size(), 2u);
  const auto& first = spans[0];
  ASSERT_GT(first.end_us - first.start_us, 12'000'000);
  {
    // Within a run each segment begins where the one before ended on the camera's time line (dated by
    // SegmentDating), not where its key frame's arrival happened to put it: clips across a boundary
    // neither gain nor lose the arrival jitter. (3 ms: file names keep milliseconds, arrivals steer a little.)
    catalog::Catalog view(recorder.storage(), catalog::Database::Mode::ReadOnly);
    const auto segments = view.segments("door", first.start_us, first.end_us);
    ASSERT_GE(segments.size(), 3u);
    for (std::size_t i = 1; i < segments.size(); ++i) {
      const auto& before = segments[i - 1];
      ASSERT_TRUE(before.end_us.has_value());
      EXPECT_NEAR(static_cast<double>(segments[i].start_us - *before.end_us), 0.0, 3'000.0)
          << "between segments " << i - 1 << " and " << i << " (µs)";
    }
  }

  // Random ranges inside the first span: some inside one segment, some across segment boundaries.
  std::mt19937 random(42);
  constexpr double frame = 0.040;  // 25 fps
  for (int i = 0; i < 6; ++i) {
    const catalog::Micros length = std::uniform_int_distribution<catalog::Micros>(1'000'000, 9'000'000)(random);
    const catalog::Micros from = std::uniform_int_distribution<catalog::Micros>(
        first.start_us + 500'000, first.end_us - length - 500'000)(random);
    const catalog::Micros to = from + length;
    const auto clip = dir.path() / ("clip-" + std::to_string(i) + ".mp4");
    std::string output;
    ASSERT_EQ(export_clip(dir, "door", from, to, clip, &output), 0) << output;
    const MediaSummary media = probe_media(clip);
    SCOPED_TRACE(rfc3339(from) + " .. " + rfc3339(to));
    ASSERT_TRUE(media.opened);
    EXPECT_TRUE(media.starts_with_key_frame) << "an export starts on the key frame at or before `from`";
    EXPECT_NEAR(media.displayed_start_seconds, 0.0, frame) << "the first frame shown is at `from`";
    // A clip of up to 9 s holds up to 3 boundaries of 4 s segments, each placed within 3 ms (checked above).
    EXPECT_NEAR(media.displayed_end_seconds - media.displayed_start_seconds, static_cast<double>(length) / 1e6,
                frame + 3 * 0.003);
    EXPECT_TRUE(media.has_audio);
    EXPECT_EQ(output.find("gap:"), std::string::npos) << output;
  }

  // Across the pause: the clip spans both runs and the gap is reported with its times.
  const auto gap_clip = dir.path() / "across-gap.mp4";
  std::string output;
  ASSERT_EQ(export_clip(dir, "door", first.end_us - 2'000'000, spans[1].start_us + 2'000'000, gap_clip, &output), 0)
      << output;
  EXPECT_NE(output.find("gap: no footage from " + rfc3339(first.end_us).substr(0, 19)), std::string::npos) << output;
  const MediaSummary across = probe_media(gap_clip);
  EXPECT_NEAR(across.displayed_end_seconds, static_cast<double>(spans[1].start_us + 2'000'000 - (first.end_us - 2'000'000)) / 1e6,
              0.2)
      << "time stamps keep the gap: the clip is as long as the wall-clock range";

  // The manifest: verifies; one flipped byte in the clip, or one edited field in the manifest, does not.
  const auto clip = dir.path() / "clip-0.mp4";
  const auto manifest = dir.path() / "clip-0.mp4.manifest.json";
  ASSERT_TRUE(std::filesystem::exists(manifest));
  EXPECT_NE(read_file(manifest).find("\"exported_by\":\"inspector-k (offline export)\""), std::string::npos);
  EXPECT_EQ(std::filesystem::status(dir.path() / "keys" / "signing.key").permissions() &
                (std::filesystem::perms::group_all | std::filesystem::perms::others_all),
            std::filesystem::perms::none)
      << "the signing key must be readable by its owner only";
  EXPECT_EQ(run_recorderctl(dir.path(), {"verify", clip.string(), manifest.string()}, &output), 0) << output;
  EXPECT_NE(output.find("OK: "), std::string::npos) << output;
  // The manifest names the clip file, so the altered copy keeps the name, in a folder of its own.
  std::filesystem::create_directory(dir.path() / "tampered");
  const auto tampered_clip = dir.path() / "tampered" / "clip-0.mp4";
  std::filesystem::copy_file(clip, tampered_clip);
  {
    std::fstream bytes(tampered_clip, std::ios::in | std::ios::out | std::ios::binary);
    bytes.seekg(static_cast<std::streamoff>(std::filesystem::file_size(tampered_clip) / 2));
    const char byte = static_cast<char>(bytes.peek() ^ 0x01);
    bytes.seekp(static_cast<std::streamoff>(std::filesystem::file_size(tampered_clip) / 2));
    bytes.put(byte);
  }
  EXPECT_EQ(run_recorderctl(dir.path(), {"verify", tampered_clip.string(), manifest.string()}, &output), 1);
  EXPECT_NE(output.find("FAILED: the clip's SHA-256 differs"), std::string::npos) << output;
  auto edited = read_file(manifest);
  const std::string camera_field = "\"camera\":\"door\"";
  edited.replace(edited.find(camera_field), camera_field.size(), "\"camera\":\"cab1\"");
  std::ofstream(dir.path() / "edited.json") << edited;
  EXPECT_EQ(run_recorderctl(dir.path(), {"verify", clip.string(), (dir.path() / "edited.json").string()}, &output), 1);
  EXPECT_NE(output.find("FAILED: the signature does not match"), std::string::npos) << output;
  EXPECT_EQ(run_recorderctl(dir.path(), {"verify", gap_clip.string(), manifest.string()}, &output), 1);
  EXPECT_NE(output.find("FAILED: the manifest lists no clip named"), std::string::npos) << output;

  // Bad requests: clear errors, no file.
  EXPECT_EQ(export_clip(dir, "door", first.start_us + 2'000'000, first.start_us + 1'000'000, dir.path() / "x.mp4", &output), 1);
  EXPECT_NE(output.find("start must be before its end"), std::string::npos) << output;
  EXPECT_EQ(export_clip(dir, "door", first.start_us, first.start_us + 5LL * 3600 * 1'000'000, dir.path() / "x.mp4", &output), 1);
  EXPECT_NE(output.find("more than the limit of 4.0 h"), std::string::npos) << output;
  EXPECT_EQ(export_clip(dir, "nobody", first.start_us, first.end_us, dir.path() / "x.mp4", &output), 1);
  EXPECT_NE(output.find("camera nobody has no footage"), std::string::npos) << output;
  EXPECT_EQ(export_clip(dir, "door", first.start_us, first.end_us, gap_clip, &output), 1) << "overwrote an export";
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "x.mp4"));
}

// Only an export's first segment is probed; later ones are read as their headers say. A camera restarted
// with another resolution must not end up in the same track, where its frames would not decode: the export
// fails and says where and what changed, while each side of the change exports on its own.
TEST(Export, RefusesAClipAcrossAChangeOfResolutionAndSaysWhere) {
  ScratchDir dir;
  auto small = std::make_unique<Camsim>("small", CamsimOptions{.resolution = "320x240", .gop_seconds = 1}, dir.path());
  const int port = small->port();
  const std::string url = small->urls()[0];
  RecorderRun recorder(dir.path(), {{.id = "door", .url = url}}, 2);
  std::this_thread::sleep_for(7s);
  recorder.process().signal(SIGTERM);
  ASSERT_EQ(recorder.process().wait(5s), 0) << recorder.log();
  small.reset();  // the camera restarts with another resolution, at the same address
  Camsim large("large", {.port = port, .resolution = "640x360", .gop_seconds = 1}, dir.path());
  ASSERT_EQ(large.urls()[0], url);
  recorder.restart();
  std::this_thread::sleep_for(7s);
  recorder.process().signal(SIGTERM);
  ASSERT_EQ(recorder.process().wait(5s), 0) << recorder.log();

  const auto spans = recorded_spans(recorder.storage(), "door");
  ASSERT_EQ(spans.size(), 2u);
  std::string output;
  const auto across = dir.path() / "across.mp4";
  EXPECT_EQ(export_clip(dir, "door", spans[0].start_us + 1'000'000, spans[1].end_us - 1'000'000, across, &output), 1);
  EXPECT_NE(output.find("the footage changes format at " + rfc3339(spans[1].start_us).substr(0, 19)), std::string::npos)
      << output;
  EXPECT_NE(output.find("h264 320x240 before, h264 640x360 from there on"), std::string::npos) << output;
  EXPECT_FALSE(std::filesystem::exists(across)) << "half a clip was left behind";

  // After the change, the later segments (not probed) still place the clip exactly at `from`.
  const auto after = dir.path() / "after.mp4";
  const catalog::Micros from = spans[1].start_us + 1'500'000, to = spans[1].end_us - 500'000;
  ASSERT_EQ(export_clip(dir, "door", from, to, after, &output), 0) << output;
  const MediaSummary media = probe_media(after);
  ASSERT_TRUE(media.opened) << media.error;
  EXPECT_NEAR(media.displayed_start_seconds, 0.0, 0.040);
  EXPECT_NEAR(media.displayed_end_seconds - media.displayed_start_seconds, static_cast<double>(to - from) / 1e6, 0.040);
}
