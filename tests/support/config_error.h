#pragma once
// For configuration tests: what loading a file says is wrong.

#include <filesystem>
#include <string>

#include "recorder/config/config.h"

namespace test_support {

// The error message of loading `file`, or "" when it loaded.
inline std::string config_error_of(const std::filesystem::path& file) {
  try {
    recorder::config::load_config(file);
  } catch (const recorder::config::ConfigError& e) {
    return e.what();
  }
  return "";
}

}  // namespace test_support
