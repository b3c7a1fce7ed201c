#include "recorder/app/config_reload.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

using recorder::app::describe;
using recorder::app::plan_reload;
using recorder::config::CameraConfig;
using recorder::config::Config;
using recorder::config::Secret;
using testing::ElementsAre;
using testing::IsEmpty;

namespace {

Config with_cameras(std::vector<CameraConfig> cameras) {
  Config config;
  config.storage.path = "/srv/footage";
  config.cameras = std::move(cameras);
  return config;
}

CameraConfig camera(const std::string& id) { return {.id = id, .url = "rtsp://10.0.0.1/" + id}; }

std::vector<std::string> ids(const std::vector<CameraConfig>& cameras) {
  std::vector<std::string> result;
  for (const auto& c : cameras) result.push_back(c.id);
  return result;
}

}  // namespace

TEST(ConfigReload, SortsCamerasIntoAddedRemovedChangedAndUnchanged) {
  auto c_moved = camera("c");
  c_moved.url = "rtsp://10.0.0.9/c";
  const auto plan = plan_reload(with_cameras({camera("a"), camera("b"), camera("c")}),
                                with_cameras({camera("b"), c_moved, camera("d")}));
  EXPECT_THAT(ids(plan.added), ElementsAre("d"));
  EXPECT_THAT(plan.removed, ElementsAre("a"));
  EXPECT_THAT(ids(plan.changed), ElementsAre("c"));
  EXPECT_EQ(plan.changed[0].url, "rtsp://10.0.0.9/c");  // restarted with the new settings
  EXPECT_THAT(plan.unchanged, ElementsAre("b"));
  EXPECT_THAT(plan.restart_needed, IsEmpty());
  EXPECT_EQ(describe(plan), "+1 camera (d), -1 (a), 1 restarted (c), 1 unchanged");
}

TEST(ConfigReload, EveryCameraFieldCountsAsAChange) {
  const auto base = camera("c");
  std::vector<CameraConfig> variants(7, base);
  variants[0].url = "rtsp://10.0.0.2/c";
  variants[1].transport = recorder::config::Transport::Udp;
  variants[2].username = "viewer";
  variants[3].password = Secret("new secret");
  variants[4].car = 3;
  variants[5].position = "door 2B";
  variants[6].max_bytes = 1 << 30;
  for (const auto& variant : variants) {
    const auto plan = plan_reload(with_cameras({base}), with_cameras({variant}));
    EXPECT_THAT(ids(plan.changed), ElementsAre("c"));
    EXPECT_THAT(plan.unchanged, IsEmpty());
  }
}

TEST(ConfigReload, OtherSectionsAreNamedForARestartAndNotApplied) {
  const auto running = with_cameras({camera("a")});
  auto loaded = running;
  loaded.storage.path = "/srv/elsewhere";
  loaded.storage.retention.max_age_days = 7;
  loaded.api.emplace();
  loaded.log_level = "debug";
  const auto plan = plan_reload(running, loaded);
  EXPECT_THAT(plan.restart_needed, ElementsAre("storage", "api", "log_level"));
  EXPECT_THAT(plan.unchanged, ElementsAre("a"));

  auto next = loaded;
  next.cameras.push_back(camera("b"));
  const auto applied = recorder::app::apply_cameras(running, next);
  EXPECT_EQ(applied.storage.path, "/srv/footage");  // the running storage stays
  EXPECT_FALSE(applied.api.has_value());
  EXPECT_EQ(applied.log_level, "info");
  EXPECT_THAT(ids(applied.cameras), ElementsAre("a", "b"));
}
