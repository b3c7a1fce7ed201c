// recorderctl firewall apply|guard: what the privileged units run (recorder-firewall.service at boot,
// recorder-firewall-guard.timer every 30 s). Each writes what came of it to network.guard_result_file,
// because the recorder, without CAP_NET_ADMIN, cannot look at the table itself (docs/firewall.md).

#include <fstream>
#include <functional>
#include <iostream>
#include <openssl/evp.h>
#include <sstream>

#include "commands.h"
#include "recorder/core/clock.h"
#include "recorder/firewall/firewall_plan.h"
#include "recorder/firewall/guard_report.h"
#include "recorder/firewall/nft_table.h"
#include "recorder/firewall/ruleset_renderer.h"

namespace recorderctl {

using namespace recorder;
using firewall::GuardOutcome;

namespace {

// "--listing FILE" taken out of `args`; "" when absent.
std::string take_listing_option(Arguments& args) {
  for (std::size_t i = 0; i + 1 < args.size(); ++i) {
    if (args[i] != "--listing") continue;
    std::string file = args[i + 1];
    args.erase(args.begin() + static_cast<std::ptrdiff_t>(i), args.begin() + static_cast<std::ptrdiff_t>(i) + 2);
    return file;
  }
  return "";
}

// The kernel's listing of our table right after applying it: what the guard compares against later.
std::string applied_listing() {
  auto listed = firewall::list_applied_table();
  if (!listed) throw Error(ErrorKind::Unavailable, "the table is not in the kernel after applying it");
  return *listed;
}

void save_listing(const std::string& file, const std::string& listing) {
  std::ofstream out(file, std::ios::trunc);
  out << listing;
  if (!out.flush()) throw Error(ErrorKind::Unavailable, "cannot write " + file);
}

// Applies `script` and returns the kernel's listing of it, saved to `listing_file` unless that is "".
std::string apply_and_save_listing(const std::string& script, const std::string& listing_file) {
  firewall::apply_ruleset(script);
  const std::string listed = applied_listing();
  if (!listing_file.empty()) save_listing(listing_file, listed);
  return listed;
}

std::string sha256_hex(const std::string& text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(text.data(), text.size(), digest, &size, EVP_sha256(), nullptr);
  static constexpr char digits[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < size; ++i) {
    hex += digits[digest[i] >> 4];
    hex += digits[digest[i] & 15];
  }
  return hex;
}

// What one run found: the outcome, the drift or nothing, the kernel's listing afterwards and the
// SHA-256 of the ruleset the table in the kernel was applied from.
struct RunResult {
  GuardOutcome outcome;
  std::string detail;
  std::string listing;
  std::string ruleset_sha256;
};

// Runs `run` and writes its result (or its failure, with the reason, before passing it on) to
// network.guard_result_file for the recorder. The drift repairs since boot and the applied ruleset's
// hash are carried from the last result; `run` gets that hash. A result that cannot be written fails
// the command (exit 1) after the firewall work is done: the recorder would otherwise report the guard
// silent without anyone seeing why.
int reporting_to_recorder(const config::NetworkConfig& network,
                          const std::function<RunResult(const std::string& applied_ruleset_sha256)>& run) {
  const auto& file = network.guard_result_file;
  firewall::GuardReport report{SystemClock().wall_now(), GuardOutcome::Failed, "", "", 0, ""};
  try {
    if (const auto previous = firewall::read_guard_report(file)) {
      report.drift_repairs = previous->drift_repairs;
      report.ruleset_sha256 = previous->ruleset_sha256;
    }
  } catch (const std::exception&) {
    // A damaged result is replaced; its count is lost, and the guard applies the table again.
  }
  const auto write = [&] {
    try {
      firewall::write_guard_report(file, report);
      return true;
    } catch (const std::exception& e) {
      std::cerr << "recorderctl: cannot write the result for the recorder to " << file.string() << ": " << e.what() << "\n";
      return false;
    }
  };
  try {
    const RunResult result = run(report.ruleset_sha256);
    report.outcome = result.outcome;
    report.detail = result.detail;
    report.table_sha256 = sha256_hex(result.listing);
    report.ruleset_sha256 = result.ruleset_sha256;
    report.drift_repairs += result.outcome == GuardOutcome::Repaired;
  } catch (const std::exception& e) {
    report.detail = e.what();
    write();
    throw;
  }
  return write() ? 0 : 1;
}

}  // namespace

int firewall_apply(const Arguments& given) {
  Arguments args = given;
  const std::string listing = take_listing_option(args);
  const auto config = load_firewall_config(parse_common(args, {}));
  return reporting_to_recorder(*config.network, [&](const std::string&) {
    const auto script = firewall::render_ruleset(firewall::plan_firewall(config));
    const std::string listed = apply_and_save_listing(script, listing);
    std::cout << "applied table " << firewall::table_family << " " << firewall::table_name << "\n";
    return RunResult{GuardOutcome::Applied, "", listed, sha256_hex(script)};
  });
}

// One round of what the recorder's FirewallGuard does every verify_seconds, for
// recorder-firewall-guard.service (the recorder runs without CAP_NET_ADMIN, docs/firewall.md): compare the
// kernel's table with the listing saved when it was applied, and restore it on drift. A saved listing
// rather than `firewall check`'s private namespace: that needs CAP_SYS_ADMIN, which the guard has not.
// A configuration that renders another ruleset than the one applied (cameras added or moved, then
// reloaded into the recorder) is applied: otherwise the table would keep out the new cameras until the
// next boot.
int firewall_guard(const Arguments& given) {
  Arguments args = given;
  const std::string listing = take_listing_option(args);
  if (listing.empty()) throw UsageError("--listing FILE is required (written by firewall apply --listing FILE)");
  const auto config = load_firewall_config(parse_common(args, {}));
  return reporting_to_recorder(*config.network, [&](const std::string& applied_ruleset_sha256) {
    const auto script = firewall::render_ruleset(firewall::plan_firewall(config));
    const std::string ruleset_sha256 = sha256_hex(script);
    if (ruleset_sha256 != applied_ruleset_sha256) {
      const std::string why = applied_ruleset_sha256.empty() ? "no record of the configuration the table was applied from"
                                                              : "the configuration changed";
      const std::string listed = apply_and_save_listing(script, listing);
      std::cout << "firewall: " << why << "; applied table " << firewall::table_family << " " << firewall::table_name
                << " for it\n";
      return RunResult{GuardOutcome::Applied, why, listed, ruleset_sha256};
    }
    std::ifstream in(listing);
    std::ostringstream saved;
    saved << in.rdbuf();
    const auto actual = firewall::list_applied_table();
    // Silent on stdout when all is well (it runs every 30 s); the result file says it was checked.
    if (in && actual && *actual == saved.str()) return RunResult{GuardOutcome::Verified, "", *actual, ruleset_sha256};
    const std::string drift = !in ? "no listing saved at " + listing
                              : actual ? "the table was changed from outside"
                                       : "the table was removed from outside";
    std::cout << "firewall drift: " << drift << "; applying it again\n";
    const std::string listed = apply_and_save_listing(script, listing);
    std::cout << "restored table " << firewall::table_family << " " << firewall::table_name << "\n";
    return RunResult{GuardOutcome::Repaired, drift, listed, ruleset_sha256};
  });
}

}  // namespace recorderctl
