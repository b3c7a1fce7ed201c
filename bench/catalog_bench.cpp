// Catalog benchmark: a synthetic catalog the size of a full retention period (by default 50 cameras x 28 days
// of 60 s segments, about 2 million rows), timed on the queries the recorder, retention and the API run on it.
//
// usage: catalog_bench [--cameras N] [--days N] [STORAGE_DIR]
// Without STORAGE_DIR the catalog goes to a fresh directory under /tmp that is removed at the end; a given
// STORAGE_DIR must not exist (or be empty) and is kept, so that its catalog can be inspected with sqlite3.
// No segment files are written: recovery therefore finds every row's file missing, which is what makes it a
// measure of the per-row cost of the start-up check.

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <fmt/format.h>
#include <fstream>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <sys/resource.h>
#include <vector>

#include "recorder/catalog/catalog.h"
#include "recorder/catalog/recovery.h"
#include "recorder/catalog/segment_layout.h"

namespace {

using namespace recorder::catalog;
using Steady = std::chrono::steady_clock;

constexpr Micros second_us = 1'000'000;
constexpr Micros minute_us = 60 * second_us;
constexpr Micros day_us = 24 * 60 * minute_us;
constexpr int segments_per_day = 1440;

struct Options {
  int cameras = 50;
  int days = 28;
  std::filesystem::path storage;  // empty: a temporary directory
};

// A fixed calendar, so that runs are comparable: day 0 starts at midnight UTC, `now` is the end of the last day.
Micros day_start(int day) {
  using namespace std::chrono;
  return to_micros(sys_days{year{2026} / November / 1}) + day * day_us;
}

// Names shaped like the train's (car, then a camera in it), ten cameras to a car.
std::string camera_name(int index) { return fmt::format("c{}-cam-{:02}", index / 10 + 1, index % 10 + 1); }

// Cameras do not start recording in the same millisecond; this also makes every file name different.
Micros camera_offset(int index) { return index * 1'137'000; }

double seconds_since(Steady::time_point start) {
  return std::chrono::duration<double>(Steady::now() - start).count();
}

// User + system CPU time of the process: beside wall time, it tells waiting (disk, a busy machine) from work.
double cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

// Fills the catalog the way the recorder would over the period: minute by minute, all cameras in turn, so that
// rows and index pages are laid out as in a real catalog. One transaction per day keeps it quick.
void populate(Catalog& catalog, const Options& options) {
  for (int i = 0; i < options.cameras; ++i) catalog.upsert_camera(camera_name(i), i / 10 + 1, "bench", day_start(0));

  std::mt19937_64 random(1);
  std::uniform_int_distribution<std::int64_t> jitter(-1'000'000, 1'000'000);  // bytes, around 30 MB (4 Mbit/s)
  const auto started = Steady::now();
  const double cpu_started = cpu_seconds();
  double first_day_rate = 0, last_day_rate = 0;

  for (int day = 0; day < options.days; ++day) {
    const auto day_started = Steady::now();
    Transaction transaction(catalog.database());
    std::vector<std::int64_t> runs;
    for (int i = 0; i < options.cameras; ++i)
      runs.push_back(catalog.begin_run(camera_name(i), day_start(day) + camera_offset(i)));
    for (int minute = 0; minute < segments_per_day; ++minute) {
      for (int i = 0; i < options.cameras; ++i) {
        Segment segment;
        segment.camera_id = camera_name(i);
        segment.run_id = runs[static_cast<std::size_t>(i)];
        segment.start_us = day_start(day) + minute * minute_us + camera_offset(i);
        segment.end_us = segment.start_us + minute_us;
        segment.media_duration_us = minute_us;
        segment.bytes = 30'000'000 + jitter(random);
        segment.key_frames = 30;
        segment.state = SegmentState::Complete;
        // An empty storage path gives the path relative to the storage, as the catalog keeps it.
        segment.path = segment_path({}, segment.camera_id, from_micros(segment.start_us)).string();
        catalog.insert_segment(segment);
      }
    }
    for (int i = 0; i < options.cameras; ++i)
      catalog.end_run(runs[static_cast<std::size_t>(i)], day_start(day + 1) + camera_offset(i), "stopped");
    transaction.commit();

    const double rate = options.cameras * segments_per_day / seconds_since(day_started);
    if (day == 0) first_day_rate = rate;
    last_day_rate = rate;
  }

  const double elapsed = seconds_since(started);
  const double rows = double(options.cameras) * options.days * segments_per_day;
  fmt::print("insert: {:.0f} segment rows in {:.1f} s (CPU {:.1f} s): {:.0f} rows/s ({:.1f} us/row); "
             "first day {:.0f} rows/s, last day {:.0f} rows/s\n",
             rows, elapsed, cpu_seconds() - cpu_started, rows / elapsed, elapsed / rows * 1e6, first_day_rate,
             last_day_rate);
}

// Runs `query` up to `runs` times (fewer if it is slow: at most ~10 s in all, at least 5 runs) and prints the
// median and 99th percentile. `query` returns a count of what it found, printed as a sanity check.
void time_query(const std::string& label, int runs, const std::function<std::int64_t()>& query) {
  std::vector<double> samples_ms;
  std::int64_t found = 0;
  const auto started = Steady::now();
  while (static_cast<int>(samples_ms.size()) < runs && (samples_ms.size() < 5 || seconds_since(started) < 10)) {
    const auto start = Steady::now();
    found += query();
    samples_ms.push_back(std::chrono::duration<double, std::milli>(Steady::now() - start).count());
  }
  std::sort(samples_ms.begin(), samples_ms.end());
  const auto rank = [&](double fraction) {  // nearest rank
    const auto index = static_cast<std::size_t>(std::ceil(fraction * double(samples_ms.size()))) - 1;
    return samples_ms[std::min(index, samples_ms.size() - 1)];
  };
  fmt::print("{:<48} median {:8.3f} ms  p99 {:8.3f} ms  ({} runs, {:.1f} found per run)\n", label, rank(0.5),
             rank(0.99), samples_ms.size(), double(found) / double(samples_ms.size()));
}

void time_queries(Catalog& catalog, const Options& options) {
  std::mt19937_64 random(2);
  std::uniform_int_distribution<int> any_camera(0, options.cameras - 1);
  std::uniform_int_distribution<int> any_day(0, options.days - 1);
  std::uniform_int_distribution<Micros> any_time(day_start(0), day_start(options.days) - 10 * minute_us);
  const Micros now = day_start(options.days);

  time_query("list one camera's day", 100, [&] {
    const int day = any_day(random);
    return std::ssize(catalog.segments(camera_name(any_camera(random)), day_start(day), day_start(day + 1)));
  });
  time_query("segments covering a 10-minute range", 100, [&] {
    const Micros from = any_time(random);
    return std::ssize(catalog.segments(camera_name(any_camera(random)), from, from + 10 * minute_us));
  });
  // Recovery looks up every file it finds on disk by its path; without files here, this is its per-file cost.
  std::uniform_int_distribution<int> any_minute(0, segments_per_day - 1);
  time_query("segment_by_path (per file found at start-up)", 100, [&] {
    const int camera = any_camera(random);
    const Micros start = day_start(any_day(random)) + any_minute(random) * minute_us + camera_offset(camera);
    return catalog.segment_by_path(segment_path({}, camera_name(camera), from_micros(start)).string()) ? 1 : 0;
  });
  time_query("deletable_segments(now, 100), no incidents", 100,
             [&] { return std::ssize(catalog.deletable_segments(now, 100)); });
  time_query("protected_bytes(now), no incidents (found: MB)", 100,
             [&] { return catalog.protected_bytes(now) / 1'000'000; });

  // A few incidents, one of them over the oldest footage of the whole train, which retention must then skip
  // row by row (18,000 rows at full size) on every call.
  const auto incident = [&](int day, Micros from, Micros length, int first_camera, int cameras) {
    Incident added;
    for (int i = first_camera; i < first_camera + cameras && i < options.cameras; ++i)
      added.cameras.push_back(camera_name(i));
    added.start_us = day_start(day) + from;
    added.end_us = added.start_us + length;
    added.reason = "bench";
    added.created_by = "bench";
    added.created_us = now;
    catalog.add_incident(added);
  };
  incident(0, 0, 6 * 60 * minute_us, 0, options.cameras);  // the oldest 6 hours
  incident(std::min(3, options.days - 1), 9 * 60 * minute_us, 60 * minute_us, 12, 2);
  incident(std::min(10, options.days - 1), 17 * 60 * minute_us, 30 * minute_us, 20, 4);
  incident(std::min(20, options.days - 1), 6 * 60 * minute_us, 120 * minute_us, 33, 1);
  incident(options.days - 1, 12 * 60 * minute_us, 10 * minute_us, 0, options.cameras);  // the whole train
  time_query("deletable_segments(now, 100), 5 incidents", 100,
             [&] { return std::ssize(catalog.deletable_segments(now, 100)); });
  time_query("protected_bytes(now), 5 incidents (found: MB)", 100,
             [&] { return catalog.protected_bytes(now) / 1'000'000; });
}

// Start-up: a new connection, as after a power cut, then the reconciliation in Report mode.
void time_recovery(const Options& options) {
  const Micros now = day_start(options.days);
  {
    const auto started = Steady::now();
    Catalog catalog(options.storage, Database::Mode::ReadWrite);
    const auto rows = catalog.segments_with_files().size();
    fmt::print("recovery, reading the rows alone: {} rows in {:.2f} s\n", rows, seconds_since(started));
  }
  const auto started = Steady::now();
  const double cpu_started = cpu_seconds();
  Catalog catalog(options.storage, Database::Mode::ReadWrite);
  const RecoveryReport report = reconcile(catalog, RecoveryMode::Report, now);
  const double elapsed = seconds_since(started);
  fmt::print("recovery (Report): {} rows checked, {} findings in {:.2f} s (CPU {:.2f} s): {:.2f} us/row\n",
             report.segments_checked, report.findings.size(), elapsed, cpu_seconds() - cpu_started,
             elapsed / report.segments_checked * 1e6);
}

std::uintmax_t size_or_zero(const std::filesystem::path& file) {
  std::error_code error;
  const auto size = std::filesystem::file_size(file, error);
  return error ? 0 : size;
}

void print_size(const Options& options) {
  const auto file = Catalog::file_in(options.storage);
  const auto main_bytes = size_or_zero(file);
  const auto wal_bytes = size_or_zero(file.string() + "-wal");
  const double rows = double(options.cameras) * options.days * segments_per_day;
  fmt::print("database: catalog.sqlite3 {:.1f} MiB + wal {:.1f} MiB = {:.1f} MiB; {:.0f} bytes per segment row\n",
             main_bytes / 1048576.0, wal_bytes / 1048576.0, (main_bytes + wal_bytes) / 1048576.0,
             (main_bytes + wal_bytes) / rows);
}

// Peak resident memory: recovery holds every row (and every finding) in memory at once.
std::string peak_rss() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("VmHWM:", 0) == 0) return line.substr(6);
  return " unknown";
}

int usage(const std::string& problem) {
  fmt::print(stderr, "catalog_bench: {}\nusage: catalog_bench [--cameras N] [--days N] [STORAGE_DIR]\n", problem);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  bool temporary = true;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if ((arg == "--cameras" || arg == "--days") && i + 1 < argc) {
      const int value = std::atoi(argv[++i]);
      if (value < 1 || value > 1000) return usage(arg + " wants a number from 1 to 1000");
      (arg == "--cameras" ? options.cameras : options.days) = value;
    } else if (!arg.starts_with("-") && options.storage.empty()) {
      options.storage = arg;
      temporary = false;
    } else {
      return usage("unknown argument '" + arg + "'");
    }
  }

  try {
    if (temporary) {
      std::string pattern = (std::filesystem::temp_directory_path() / "catalog_bench.XXXXXX").string();
      if (mkdtemp(pattern.data()) == nullptr) return usage("cannot create a temporary directory");
      options.storage = pattern;
    } else if (std::filesystem::exists(options.storage) && !std::filesystem::is_empty(options.storage)) {
      return usage(options.storage.string() + " is not empty: the benchmark needs a fresh catalog");
    }
    std::filesystem::create_directories(options.storage);
    fmt::print("catalog_bench: {} cameras x {} days x {} segments = {} rows, storage {}\n", options.cameras,
               options.days, segments_per_day, options.cameras * options.days * segments_per_day,
               options.storage.string());

    {
      Catalog catalog(options.storage, Database::Mode::ReadWrite);
      populate(catalog, options);
      print_size(options);
      time_queries(catalog, options);
    }
    time_recovery(options);
    fmt::print("peak resident memory:{}\n", peak_rss());

    if (temporary) std::filesystem::remove_all(options.storage);
  } catch (const std::exception& e) {
    fmt::print(stderr, "catalog_bench: {}\n", e.what());
    if (temporary && !options.storage.empty()) std::filesystem::remove_all(options.storage);
    return 1;
  }
  return 0;
}
