#include "recorder/core/logging.h"

#include <mutex>
#include <spdlog/sinks/stdout_sinks.h>

namespace recorder {
namespace {

std::mutex registry_mutex;
spdlog::level::level_enum current_level = spdlog::level::info;

spdlog::sink_ptr shared_sink() {
  // stderr: under systemd it goes to the journal with the unit's name; in a terminal it is visible.
  static spdlog::sink_ptr sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  return sink;
}

}  // namespace

bool set_log_level(const std::string& level_name) {
  const auto level = spdlog::level::from_str(level_name);
  // from_str answers "off" for anything it does not know: accept "off" only when asked for.
  if (level == spdlog::level::off && level_name != "off") return false;
  std::lock_guard lock(registry_mutex);
  current_level = level;
  spdlog::apply_all([level](const std::shared_ptr<spdlog::logger>& l) { l->set_level(level); });
  return true;
}

std::shared_ptr<spdlog::logger> component_logger(const std::string& name) {
  std::lock_guard lock(registry_mutex);
  if (auto existing = spdlog::get(name)) return existing;
  auto logger = std::make_shared<spdlog::logger>(name, shared_sink());
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %^%l%$ [%n] %v", spdlog::pattern_time_type::utc);
  logger->set_level(current_level);
  spdlog::register_logger(logger);
  return logger;
}

}  // namespace recorder
