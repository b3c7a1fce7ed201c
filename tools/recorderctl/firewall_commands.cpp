// recorderctl firewall show|apply|check|attempts.

#include <fstream>
#include <iostream>
#include <sstream>

#include "commands.h"
#include "recorder/catalog/catalog.h"
#include "recorder/config/config.h"
#include "recorder/firewall/firewall_plan.h"
#include "recorder/firewall/nft_table.h"
#include "recorder/firewall/ruleset_renderer.h"

namespace recorderctl {

using namespace recorder;

namespace {

firewall::FirewallPlan plan_from(const CommonOptions& options) {
  // Without the cameras' passwords: recorder-firewall*.service run this as root with CAP_NET_ADMIN only,
  // which cannot read the recorder user's password files (and has no use for them).
  const auto config = config::load_config(options.config_file, config::CameraSecrets::Skip);
  if (!config.network)
    throw Error(ErrorKind::InvalidArgument, options.config_file + " has no network: block: there is no firewall to show");
  return firewall::plan_firewall(config);
}

}  // namespace

int firewall_show(const Arguments& args) {
  std::cout << firewall::render_ruleset(plan_from(parse_common(args, {})));
  return 0;
}

}  // namespace recorderctl

namespace recorderctl {

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
void save_listing(const std::string& file) {
  const auto listed = firewall::list_applied_table();
  if (!listed) throw Error(ErrorKind::Unavailable, "the table is not in the kernel after applying it");
  std::ofstream out(file, std::ios::trunc);
  out << *listed;
  if (!out.flush()) throw Error(ErrorKind::Unavailable, "cannot write " + file);
}

}  // namespace

int firewall_apply(const Arguments& given) {
  Arguments args = given;
  const std::string listing = take_listing_option(args);
  const auto script = firewall::render_ruleset(plan_from(parse_common(args, {})));
  firewall::apply_ruleset(script);
  if (!listing.empty()) save_listing(listing);
  std::cout << "applied table " << firewall::table_family << " " << firewall::table_name << "\n";
  return 0;
}

int firewall_check(const Arguments& args) {
  const auto expected = firewall::list_as_applied(firewall::render_ruleset(plan_from(parse_common(args, {}))));
  const auto actual = firewall::list_applied_table();
  if (!actual) {
    std::cout << "the kernel has no table " << firewall::table_family << " " << firewall::table_name
              << ": cameras are not isolated\n";
    return 1;
  }
  if (*actual != expected) {
    std::cout << "the kernel's table differs from the configuration.\n--- expected\n" << expected << "--- in the kernel\n"
              << *actual;
    return 1;
  }
  std::cout << "the kernel's table matches the configuration\n";
  return 0;
}

// One round of what the recorder's FirewallGuard does every verify_seconds, for
// recorder-firewall-guard.service (the recorder runs without CAP_NET_ADMIN, docs/firewall.md): compare the
// kernel's table with the listing saved when it was applied, and restore it on drift. A saved listing
// rather than `firewall check`'s private namespace: that needs CAP_SYS_ADMIN, which the guard has not.
int firewall_guard(const Arguments& given) {
  Arguments args = given;
  const std::string listing = take_listing_option(args);
  if (listing.empty()) throw UsageError("--listing FILE is required (written by firewall apply --listing FILE)");
  const auto script = firewall::render_ruleset(plan_from(parse_common(args, {})));
  std::ifstream in(listing);
  std::ostringstream saved;
  saved << in.rdbuf();
  const auto actual = firewall::list_applied_table();
  if (in && actual && *actual == saved.str()) return 0;  // silent when all is well: it runs every 30 s
  std::cout << "firewall drift: "
            << (!in ? "no listing saved at " + listing : actual ? "the table was changed from outside"
                                                               : "the table was removed from outside")
            << "; applying it again\n";
  firewall::apply_ruleset(script);
  save_listing(listing);
  std::cout << "restored table " << firewall::table_family << " " << firewall::table_name << "\n";
  return 0;
}

int firewall_attempts(const Arguments& args) {
  const auto config = config::load_config(parse_common(args, {}).config_file);
  if (!std::filesystem::exists(catalog::Catalog::file_in(config.storage.path))) {
    std::cout << "no catalog in " << config.storage.path.string() << ": nothing recorded, nothing blocked\n";
    return 0;
  }
  catalog::Catalog catalog(config.storage.path, catalog::Database::Mode::ReadOnly);
  const auto attempts = catalog.network_attempts();
  if (attempts.empty()) std::cout << "no blocked attempts recorded\n";
  for (const auto& a : attempts) {
    const bool icmp = a.protocol == "icmp" || a.protocol == "icmpv6";
    const bool v6 = a.destination.find(':') != std::string::npos;
    std::string target = v6 ? "[" + a.destination + "]" : a.destination;
    if (a.destination_port) target += icmp ? " type " + std::to_string(*a.destination_port) : ":" + std::to_string(*a.destination_port);
    std::cout << a.camera_id << " " << a.protocol << " " << target << " packets " << a.packets << " first "
              << format_rfc3339(catalog::from_micros(a.first_seen_us)) << " last "
              << format_rfc3339(catalog::from_micros(a.last_seen_us)) << "\n";
  }
  return 0;
}

}  // namespace recorderctl
