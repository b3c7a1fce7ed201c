#pragma once
// The archive of a multi-camera export (an incident "case"): a POSIX tar, written by libarchive, holding
// one MP4 per camera and the one manifest, so that it opens with any tool on any workstation.

#include <filesystem>
#include <vector>

namespace recorder::exporting {

// Writes `files` (by their file names, flat) into a new tar at `archive`. Throws recorder::Error.
void write_tar(const std::filesystem::path& archive, const std::vector<std::filesystem::path>& files);

}  // namespace recorder::exporting
