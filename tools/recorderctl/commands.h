#pragma once
// recorderctl's subcommands. Each returns the process exit code: 0 fine, 1 a finding or failure,
// 2 a usage error.

#include <stdexcept>
#include <string>
#include <vector>

#include "recorder/config/config.h"

namespace recorderctl {

using Arguments = std::vector<std::string>;

int storage_init(const Arguments& args);
int check(const Arguments& args);
int firewall_show(const Arguments& args);
int firewall_apply(const Arguments& args);
int firewall_check(const Arguments& args);
int firewall_guard(const Arguments& args);  // check, and restore on drift
int firewall_attempts(const Arguments& args);
int export_clip(const Arguments& args);
int verify(const Arguments& args);
int users_command(const Arguments& args);  // args after "users": add, remove, passwd, role, list
int audit_verify(const Arguments& args);
int audit_show(const Arguments& args);
int tls_init(const Arguments& args);
int status(const Arguments& args);  // the running recorder's health, from its status file

// Loads the configuration FILE and returns its api: block; without one, throws recorder::Error saying
// what the command needed it for ("a users file to manage").
recorder::config::ApiConfig load_api_config(const std::string& config_file, const std::string& needed_for);

// Shared argument handling: "--config FILE" and flags.
struct CommonOptions {
  std::string config_file;
  std::vector<std::string> flags;  // "--repair", ...
};
CommonOptions parse_common(const Arguments& args, const std::vector<std::string>& allowed_flags);
// The configuration of --config for the firewall commands: without the cameras' passwords, and with a
// network: block (else recorder::Error).
recorder::config::Config load_firewall_config(const CommonOptions& options);
int usage_error(const std::string& problem);

// The command line itself is wrong (exit code 2 and the usage text).
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace recorderctl
