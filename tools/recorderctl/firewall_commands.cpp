// recorderctl firewall show|check|attempts (apply and guard: firewall_unit_commands.cpp).

#include <iostream>

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
  return firewall::plan_firewall(load_firewall_config(options));
}

}  // namespace

config::Config load_firewall_config(const CommonOptions& options) {
  // Without the cameras' passwords: recorder-firewall*.service run this as root with CAP_NET_ADMIN only,
  // which cannot read the recorder user's password files (and has no use for them).
  auto config = config::load_config(options.config_file, config::CameraSecrets::Skip);
  if (!config.network)
    throw Error(ErrorKind::InvalidArgument, options.config_file + " has no network: block: there is no firewall to show");
  return config;
}

int firewall_show(const Arguments& args) {
  std::cout << firewall::render_ruleset(plan_from(parse_common(args, {})));
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
