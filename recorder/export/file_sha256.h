#pragma once
// The SHA-256 of a file, as manifests record it: an export hashes a clip of gigabytes, so this is on the
// export's critical path and uses the CPU's SHA instructions where it has them.

#include <filesystem>
#include <string>

namespace recorder::exporting {

std::string sha256_of_file(const std::filesystem::path& file);  // lower-case hex

}  // namespace recorder::exporting
