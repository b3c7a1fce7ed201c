// Disk full, for real: a size-limited tmpfs filled by recording. Needs root (to mount); skipped otherwise.

#include <csignal>
#include <gtest/gtest.h>
#include <set>
#include <sys/mount.h>
#include <thread>
#include <unistd.h>

#include "recorder/catalog/catalog.h"
#include "tests/support/recording_run.h"

using namespace test_support;
using namespace std::chrono_literals;
namespace catalog = recorder::catalog;

namespace {

// A tmpfs of `size` mounted at `where` for the life of this object.
class SmallFilesystem {
 public:
  SmallFilesystem(const std::filesystem::path& where, const std::string& size) : where_(where) {
    std::filesystem::create_directories(where);
    mounted_ = mount("tmpfs", where.c_str(), "tmpfs", 0, ("size=" + size + ",mode=0755").c_str()) == 0;
  }
  ~SmallFilesystem() {
    if (mounted_) umount2(where_.c_str(), MNT_DETACH);
  }
  bool mounted() const { return mounted_; }

 private:
  std::filesystem::path where_;
  bool mounted_ = false;
};

std::set<std::string> files_of(const std::filesystem::path& storage, const std::string& camera) {
  std::set<std::string> names;
  for (const auto& segment : segments_of(storage, camera)) names.insert(segment.path.filename().string());
  return names;
}

std::int64_t protect(const std::filesystem::path& storage, std::vector<std::string> cameras, catalog::Micros from,
                     catalog::Micros to) {
  catalog::Catalog writer(storage, catalog::Database::Mode::ReadWrite);  // beside the recorder's, through WAL
  catalog::Incident incident;
  incident.cameras = std::move(cameras);
  incident.start_us = from;
  incident.end_us = to;
  incident.reason = "door incident (test)";
  incident.created_by = "test";
  incident.created_us = catalog::to_micros(std::chrono::system_clock::now());
  return writer.add_incident(incident);
}

}  // namespace

TEST(DiskFull, RecordingGoesOnOldestUnprotectedFirstProtectedKeptAlarmWhenOnlyProtectedRemains) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to mount a size-limited tmpfs";
  ScratchDir dir;
  SmallFilesystem disk(dir.path() / "storage", "48m");
  if (!disk.mounted()) GTEST_SKIP() << "cannot mount tmpfs here (no CAP_SYS_ADMIN?)";
  // Two cameras at 4 Mbit/s: 1 MB/s together, so 48 MiB fill in well under a minute.
  Camsim cameras("cams", {.cameras = 2, .resolution = "640x360", .bitrate_kbps = 4000}, dir.path());
  RecorderRun recorder(dir.path(), {{.id = "a", .url = cameras.urls()[0]}, {.id = "b", .url = cameras.urls()[1]}}, 3,
                       true,
                       "  retention:\n    min_free_bytes: 12M\n    min_free_percent: 0\n"
                       "    max_protected_percent: 100\n    check_seconds: 1\n");

  // Phase 1: protect the first seconds of camera a, then record until retention has had to work hard.
  std::this_thread::sleep_for(8s);
  const auto first_a = segments_of(recorder.storage(), "a").at(0);
  const auto protected_from = catalog::to_micros(first_a.start);
  protect(recorder.storage(), {"a"}, protected_from, protected_from + 4'000'000);
  const auto protected_files = files_of(recorder.storage(), "a");  // includes the protected ones
  std::this_thread::sleep_for(55s);
  ASSERT_TRUE(recorder.process().running()) << recorder.log();

  {
    catalog::Catalog view(recorder.storage(), catalog::Database::Mode::ReadOnly);
    const auto deletions = view.deletions();
    ASSERT_TRUE(deletions.count("space")) << recorder.log();
    EXPECT_GT(deletions.at("space").segments, 5);
    // Protected footage is still there; what went was older than everything unprotected that is left.
    const auto protected_rows = view.segments("a", protected_from, protected_from + 4'000'000);
    ASSERT_FALSE(protected_rows.empty());
    for (const auto& row : protected_rows) EXPECT_TRUE(std::filesystem::exists(view.absolute(row.path))) << row.path;
    catalog::Micros oldest_unprotected_left = INT64_MAX;
    for (const std::string camera : {"a", "b"}) {
      for (const auto& row : view.segments(camera, 0, INT64_MAX)) {
        const bool is_protected = camera == "a" && row.start_us < protected_from + 4'000'000;
        if (!is_protected) oldest_unprotected_left = std::min(oldest_unprotected_left, row.start_us);
      }
    }
    EXPECT_GT(oldest_unprotected_left, protected_from + 10'000'000) << "nothing old was deleted";
  }
  for (const std::string camera : {"a", "b"}) {
    // Recording goes on: each camera's newest segment is recent.
    const auto newest = segments_of(recorder.storage(), camera).back();
    EXPECT_LT(seconds_between(newest.start, std::chrono::system_clock::now()), 8.0) << camera;
  }
  EXPECT_EQ(recorder.log().find("No space left"), std::string::npos) << "retention fell behind the cameras";
  const auto log_before_alarm = recorder.log().size();

  // Phase 2: everything is protected. Retention may delete nothing: alarm, and nothing protected goes.
  const auto everything = protect(recorder.storage(), {"a", "b"}, 0, INT64_MAX / 2);
  const auto before_a = files_of(recorder.storage(), "a");
  const auto before_b = files_of(recorder.storage(), "b");
  std::this_thread::sleep_for(30s);
  EXPECT_NE(recorder.log().find("storage alarm: recording disk nearly full"), std::string::npos) << recorder.log();
  ASSERT_TRUE(recorder.process().running()) << "the recorder must keep running with a full disk";
  // The cameras stopped at the reserve, not at a full disk: the catalog could always be written.
  EXPECT_NE(recorder.log().find("keeping the last", log_before_alarm), std::string::npos);
  EXPECT_EQ(recorder.log().find("database or disk is full"), std::string::npos);
  for (const auto& name : before_a) EXPECT_TRUE(files_of(recorder.storage(), "a").count(name)) << name;
  for (const auto& name : before_b) EXPECT_TRUE(files_of(recorder.storage(), "b").count(name)) << name;

  // Phase 3: the protection is lifted; retention makes room again and recording resumes by itself.
  {
    catalog::Catalog writer(recorder.storage(), catalog::Database::Mode::ReadWrite);
    ASSERT_TRUE(writer.remove_incident(everything));
  }
  const auto lifted = std::chrono::system_clock::now();
  std::this_thread::sleep_for(20s);
  EXPECT_NE(recorder.log().find("storage alarm cleared"), std::string::npos) << recorder.log();
  for (const std::string camera : {"a", "b"}) {
    const auto newest = segments_of(recorder.storage(), camera).back();
    EXPECT_GT(seconds_between(lifted, newest.start), 0.0) << camera << ": recording did not resume";
  }
  recorder.process().signal(SIGTERM);
  ASSERT_EQ(recorder.process().wait(5s), 0) << recorder.log();
  std::string report;
  EXPECT_EQ(run_recorderctl(dir.path(), {"check", "--config", recorder.config().string()}, &report), 0) << report;
  (void)protected_files;
}
