#pragma once
// The running recorder's status as a small JSON file, `<storage>/.status.json`, rewritten atomically
// every second: how `recorderctl status` sees the daemon without credentials, a socket or the API.
// A file older than `status_file_stale_after` means the recorder is not running (or is hung).

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>

#include "recorder/api/status_board.h"
#include "recorder/core/clock.h"

namespace recorder::api {

inline constexpr const char* status_file_name = ".status.json";
inline constexpr std::chrono::seconds status_file_stale_after{10};

struct StatusFile {
  WallTime written_at;
  long pid = 0;
  std::string summary;  // the one-line STATUS= text
  StatusSnapshot status;
};

std::filesystem::path status_file_in(const std::filesystem::path& storage);
std::string to_json(const StatusFile& file);
// Throws recorder::Error (DataLoss) naming what is missing or malformed.
StatusFile status_file_from_json(const std::string& text);
// Writes beside it and renames over it: a reader sees the old file or the new one, never half of one.
// No fsync: the file says what is true now and means nothing after a power cut.
void write_status_file(const std::filesystem::path& storage, const StatusFile& file);
// nullopt when there is no file.
std::optional<StatusFile> read_status_file(const std::filesystem::path& storage);

}  // namespace recorder::api
