// recorderctl firewall show|apply|check|attempts.

#include <iostream>

#include "commands.h"
#include "recorder/config/config.h"
#include "recorder/firewall/firewall_plan.h"
#include "recorder/firewall/nft_table.h"
#include "recorder/firewall/ruleset_renderer.h"

namespace recorderctl {

using namespace recorder;

namespace {

firewall::FirewallPlan plan_from(const CommonOptions& options) {
  const auto config = config::load_config(options.config_file);
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

int firewall_apply(const Arguments& args) {
  const auto script = firewall::render_ruleset(plan_from(parse_common(args, {})));
  firewall::apply_ruleset(script);
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

int firewall_attempts(const Arguments&) { return usage_error("firewall attempts: not yet"); }

}  // namespace recorderctl
