#pragma once
// Reading and validating the `cameras:` list.

#include <filesystem>
#include <vector>

#include "recorder/config/config_reader.h"

namespace recorder::config {

// Parses `cameras:`; password files are read relative to `relative_to` when not absolute, unless
// `secrets` says Skip (the password stays empty; the key is still checked).
std::vector<CameraConfig> read_cameras(const ConfigNode& cameras, const std::filesystem::path& relative_to,
                                       CameraSecrets secrets = CameraSecrets::Read);

// True for ids usable in file names and logs: 1-64 of letters, digits, '-', '_'.
bool is_valid_camera_id(const std::string& id);

}  // namespace recorder::config
