#include "recorder/core/loop_timer.h"

namespace recorder {

guint run_after(std::chrono::milliseconds delay, std::function<bool()> callback) {
  using Callback = std::function<bool()>;
  return g_timeout_add_full(
      G_PRIORITY_DEFAULT, static_cast<guint>(delay.count()),
      [](gpointer data) -> gboolean { return (*static_cast<Callback*>(data))() ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE; },
      new Callback(std::move(callback)), [](gpointer data) { delete static_cast<Callback*>(data); });
}

}  // namespace recorder
