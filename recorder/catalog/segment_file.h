#pragma once
// Reading segment files on disk: how much of a file is whole, cutting off a torn tail, and measuring
// what a file holds with libavformat. Used by start-up recovery and `recorderctl check`.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "recorder/catalog/catalog.h"

namespace recorder::catalog {

struct FileExtent {
  std::uint64_t size = 0;           // bytes in the file
  std::uint64_t complete_size = 0;  // bytes up to the end of the last complete top-level MP4 box
};
// Walks the top-level boxes. nullopt when the file cannot be read.
std::optional<FileExtent> file_extent(const std::filesystem::path& file);

// Cuts a torn tail (a fragment cut short by a crash) and syncs. Safe because files are append-only.
void cut_to_complete_boxes(const std::filesystem::path& file, const FileExtent& extent);

// What libav reads from the file: video duration from the stream's time stamps, key frames, bytes.
// nullopt (with `why`) when the file holds no readable video frame.
std::optional<SegmentMeasure> measure_segment_file(const std::filesystem::path& file, std::string* why = nullptr);

// Makes the file's data durable (the catalog's own sync before a row says `complete`).
bool sync_file(const std::filesystem::path& file);

}  // namespace recorder::catalog
