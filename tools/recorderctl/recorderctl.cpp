// recorderctl: the operator's command line for the onboard recorder.

#include <algorithm>
#include <iostream>

#include "commands.h"
#include "recorder/core/error.h"

namespace recorderctl {

int usage_error(const std::string& problem) {
  if (!problem.empty()) std::cerr << "recorderctl: " << problem << "\n";
  std::cerr << "usage:\n"
               "  recorderctl storage init --config FILE      give a new recording disk its identity\n"
               "  recorderctl check --config FILE [--repair]  compare catalog and files; exit 1 on findings\n"
               "  recorderctl status --config FILE            the running recorder's health and why; exit 0 OK,\n"
               "                                              1 DEGRADED or FAULT, 3 not running\n"
               "  recorderctl export --storage DIR --camera ID --from TIME --to TIME -o FILE\n"
               "            [--manifest FILE] [--key FILE] [--user NAME]\n"
               "                                              one MP4 of a camera's footage and its signed manifest,\n"
               "                                              offline (RFC 3339 times)\n"
               "  recorderctl verify CLIP MANIFEST [--public-key BASE64]  check a clip against its manifest\n"
               "  recorderctl firewall show --config FILE     print the camera-segment ruleset (input for nft -f)\n"
               "  recorderctl firewall apply --config FILE [--listing FILE]\n"
               "                                              apply it (replaces only its own table); save the\n"
               "                                              kernel's listing of it for firewall guard\n"
               "  recorderctl firewall check --config FILE    compare it with the kernel's; exit 1 on a difference\n"
               "  recorderctl firewall guard --config FILE --listing FILE\n"
               "                                              restore the table if it differs from the listing\n"
               "                                              saved by firewall apply --listing FILE\n"
               "  recorderctl firewall attempts --config FILE blocked attempts per camera, protocol, destination\n"
               "  recorderctl users add NAME --role ROLE --config FILE  a maintenance API user (viewer, exporter,\n"
               "                                              admin); the password is read from standard input\n"
               "  recorderctl users passwd NAME --config FILE a new password, from standard input\n"
               "  recorderctl users role NAME --role ROLE --config FILE\n"
               "  recorderctl users remove NAME --config FILE\n"
               "  recorderctl users list --config FILE        names and roles (never passwords or hashes)\n"
               "  recorderctl audit verify --config FILE | --storage DIR\n"
               "                                              check the audit log's hash chain; exit 1 on tampering\n"
               "  recorderctl audit show --config FILE | --storage DIR [--from TIME] [--to TIME] [--limit N]\n"
               "                                              print audit rows, oldest first (RFC 3339 times)\n"
               "  recorderctl tls init --config FILE [--days N] [--force]\n"
               "                                              make the API's key and self-signed certificate (api.tls)\n"
               "                                              and print its SHA-256 fingerprint for laptops to pin\n";
  return 2;
}

recorder::config::ApiConfig load_api_config(const std::string& config_file, const std::string& needed_for) {
  auto config = recorder::config::load_config(config_file);
  if (!config.api)
    throw recorder::Error(recorder::ErrorKind::InvalidArgument,
                          config_file + " has no api: block, so there is no " + needed_for);
  return *config.api;
}

CommonOptions parse_common(const Arguments& args, const std::vector<std::string>& allowed_flags) {
  CommonOptions options;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--config" && i + 1 < args.size()) {
      options.config_file = args[++i];
    } else if (std::find(allowed_flags.begin(), allowed_flags.end(), args[i]) != allowed_flags.end()) {
      options.flags.push_back(args[i]);
    } else {
      throw UsageError("unknown argument '" + args[i] + "'");
    }
  }
  if (options.config_file.empty()) throw UsageError("--config FILE is required");
  return options;
}

}  // namespace recorderctl

int main(int argc, char** argv) {
  using namespace recorderctl;
  std::vector<std::string> words(argv + 1, argv + argc);
  if (words.empty()) return usage_error("");
  try {
    if (words[0] == "storage" && words.size() > 1 && words[1] == "init")
      return storage_init(Arguments(words.begin() + 2, words.end()));
    if (words[0] == "check") return check(Arguments(words.begin() + 1, words.end()));
    if (words[0] == "status") return status(Arguments(words.begin() + 1, words.end()));
    if (words[0] == "export") return export_clip(Arguments(words.begin() + 1, words.end()));
    if (words[0] == "verify") return verify(Arguments(words.begin() + 1, words.end()));
    if (words[0] == "tls" && words.size() > 1 && words[1] == "init")
      return tls_init(Arguments(words.begin() + 2, words.end()));
    if (words[0] == "firewall" && words.size() > 1) {
      const Arguments rest(words.begin() + 2, words.end());
      if (words[1] == "show") return firewall_show(rest);
      if (words[1] == "apply") return firewall_apply(rest);
      if (words[1] == "check") return firewall_check(rest);
      if (words[1] == "guard") return firewall_guard(rest);
      if (words[1] == "attempts") return firewall_attempts(rest);
    }
    if (words[0] == "users") return users_command(Arguments(words.begin() + 1, words.end()));
    if (words[0] == "audit" && words.size() > 1) {
      const Arguments rest(words.begin() + 2, words.end());
      if (words[1] == "verify") return audit_verify(rest);
      if (words[1] == "show") return audit_show(rest);
    }
    if (words[0] == "--help" || words[0] == "help") return usage_error(""), 0;
    return usage_error("unknown command '" + words[0] + "'");
  } catch (const UsageError& e) {
    return usage_error(e.what());
  } catch (const recorder::Error& e) {
    std::cerr << "recorderctl: " << e.what() << "\n";
    return 1;
  }
}
