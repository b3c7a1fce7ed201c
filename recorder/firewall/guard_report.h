#pragma once
// What the privileged firewall units last did, for a recorder that cannot look at the table itself.
// `recorderctl firewall apply` (recorder-firewall.service, at boot) and `recorderctl firewall guard`
// (recorder-firewall-guard.timer, every 30 s) write it to network.guard_result_file; a recorder
// without CAP_NET_ADMIN reads it every second and judges the firewall by it (judge_guard_report).
// A small JSON file, replaced atomically, mode 0644: the recorder's user must read what root writes.

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>

#include "recorder/core/clock.h"

namespace recorder::firewall {

enum class GuardOutcome {
  Applied,   // `firewall apply` put the table in place
  Verified,  // the guard found the table as it was applied
  Repaired,  // the guard found it changed or removed, and applied it again
  Failed,    // the table could not be applied (detail says why): cameras may not be isolated
};
const char* to_string(GuardOutcome outcome);

struct GuardReport {
  WallTime at;
  GuardOutcome outcome = GuardOutcome::Failed;
  std::string detail;        // the drift found, or why it failed; "" otherwise
  std::string table_sha256;  // of the kernel's listing of the table after the run; "" when failed
  int drift_repairs = 0;     // since boot (the file lives in /run): carried from the previous report
  // Of the ruleset the table was applied from, rendered from the configuration; carried over a failed
  // run. A guard that renders another one (a camera was added) applies that instead. "" in a report
  // written before this field existed.
  std::string ruleset_sha256;
};

std::string to_json(const GuardReport& report);
// Throws recorder::Error (DataLoss) saying what is missing or malformed.
GuardReport guard_report_from_json(const std::string& text);
// Writes beside `file` and renames over it, mode 0644, making its folder if needed. Throws on failure.
void write_guard_report(const std::filesystem::path& file, const GuardReport& report);
// nullopt when there is no file; throws recorder::Error (DataLoss, naming the file) when it is malformed.
std::optional<GuardReport> read_guard_report(const std::filesystem::path& file);

// The firewall as a recorder without CAP_NET_ADMIN sees it through the report.
struct GuardVerdict {
  std::optional<bool> applied;  // true: in place; false: the guard failed; nullopt: the guard is silent
  std::string problem;          // why not in place ("the guard's detail"), or since when the guard is silent
  int drift_repairs = 0;
};

// A report older than three guard periods means the guard stopped (timer disabled, unit failing before
// it could write): its last word no longer says anything about the table now. A report from the future
// (the clock was stepped back since) counts as fresh. `file` names the file when there is no report.
GuardVerdict judge_guard_report(const std::optional<GuardReport>& report, WallTime now, std::chrono::seconds guard_period,
                                const std::filesystem::path& file);

}  // namespace recorder::firewall
