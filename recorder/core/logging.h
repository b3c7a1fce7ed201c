#pragma once
// Named spdlog loggers that share one output, so that every line says which component or camera spoke.

#include <memory>
#include <spdlog/spdlog.h>
#include <string>

namespace recorder {

// Sets the level of every logger made by component_logger ("trace".."critical", "off").
// Returns false for a level name spdlog does not know.
bool set_log_level(const std::string& level_name);

// The logger of a component or camera, e.g. component_logger("camera c01-door-1a").
// Made once per name and shared; safe to call from any thread.
std::shared_ptr<spdlog::logger> component_logger(const std::string& name);

}  // namespace recorder
