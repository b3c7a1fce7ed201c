#include "recorder/firewall/guard_report.h"

#include <boost/json.hpp>
#include <fmt/format.h>
#include <fstream>
#include <sstream>
#include <unistd.h>

#include "recorder/core/error.h"

namespace recorder::firewall {
namespace json = boost::json;

namespace {

constexpr GuardOutcome all_outcomes[] = {GuardOutcome::Applied, GuardOutcome::Verified, GuardOutcome::Repaired,
                                         GuardOutcome::Failed};

GuardOutcome outcome_named(const std::string& name) {
  for (const auto outcome : all_outcomes)
    if (name == to_string(outcome)) return outcome;
  throw Error(ErrorKind::DataLoss, "unknown outcome '" + name + "'");
}

// The guard's detail goes into health reasons, metric labels and systemd's STATUS= line: one line of
// printable text, not too long (nftables' errors run over several lines).
std::string one_line(const std::string& text) {
  std::string line;
  for (const char c : text) {
    const bool space = c == '\n' || c == '\r' || c == '\t' || c == ' ';
    if (space && (line.empty() || line.back() == ' ')) continue;
    line += space ? ' ' : (static_cast<unsigned char>(c) < 0x20 || c == 0x7f ? '?' : c);
    if (line.size() >= 200) break;
  }
  while (!line.empty() && line.back() == ' ') line.pop_back();
  return line;
}

const json::value& field(const json::object& object, const char* name) {
  const auto* value = object.if_contains(name);
  if (value == nullptr) throw Error(ErrorKind::DataLoss, std::string("no '") + name + "'");
  return *value;
}

}  // namespace

const char* to_string(GuardOutcome outcome) {
  switch (outcome) {
    case GuardOutcome::Applied: return "applied";
    case GuardOutcome::Verified: return "verified";
    case GuardOutcome::Repaired: return "repaired";
    case GuardOutcome::Failed: return "failed";
  }
  return "failed";
}

std::string to_json(const GuardReport& report) {
  const json::object root{{"at", format_rfc3339(report.at)},
                          {"at_unix", to_unix_seconds(report.at)},
                          {"outcome", to_string(report.outcome)},
                          {"detail", report.detail},
                          {"table_sha256", report.table_sha256},
                          {"drift_repairs", report.drift_repairs},
                          {"ruleset_sha256", report.ruleset_sha256}};
  return json::serialize(root) + "\n";
}

GuardReport guard_report_from_json(const std::string& text) {
  try {
    const json::object root = json::parse(text).as_object();
    GuardReport report;
    report.at = from_unix_seconds(field(root, "at_unix").to_number<double>());
    report.outcome = outcome_named(json::value_to<std::string>(field(root, "outcome")));
    report.detail = json::value_to<std::string>(field(root, "detail"));
    report.table_sha256 = json::value_to<std::string>(field(root, "table_sha256"));
    report.drift_repairs = field(root, "drift_repairs").to_number<int>();
    if (const auto* ruleset = root.if_contains("ruleset_sha256")) report.ruleset_sha256 = json::value_to<std::string>(*ruleset);
    return report;
  } catch (const std::exception& e) {
    throw Error(ErrorKind::DataLoss, std::string("not a firewall guard result: ") + e.what());
  }
}

void write_guard_report(const std::filesystem::path& file, const GuardReport& report) {
  std::filesystem::create_directories(file.parent_path());
  auto temporary = file;
  temporary += fmt::format(".{}.new", getpid());  // two runs at once (a person and the timer) do not mix
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << to_json(report);
    if (!out.flush()) throw Error(ErrorKind::Unavailable, "cannot write " + temporary.string());
  }
  // Readable by the recorder's user whatever the writer's umask (the units keep theirs at 0077).
  std::filesystem::permissions(temporary, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write |
                                              std::filesystem::perms::group_read | std::filesystem::perms::others_read);
  std::filesystem::rename(temporary, file);
}

std::optional<GuardReport> read_guard_report(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  try {
    return guard_report_from_json(text.str());
  } catch (const Error& e) {
    throw Error(ErrorKind::DataLoss, file.string() + ": " + e.what());
  }
}

GuardVerdict judge_guard_report(const std::optional<GuardReport>& report, WallTime now, std::chrono::seconds guard_period,
                                const std::filesystem::path& file) {
  if (!report) return {std::nullopt, "firewall guard silent: no result in " + file.string(), 0};
  if (now - report->at > 3 * guard_period)
    return {std::nullopt, "firewall guard silent since " + format_rfc3339(report->at), report->drift_repairs};
  if (report->outcome == GuardOutcome::Failed) return {false, one_line(report->detail), report->drift_repairs};
  return {true, "", report->drift_repairs};
}

}  // namespace recorder::firewall
