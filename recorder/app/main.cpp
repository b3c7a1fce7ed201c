// recorder: the onboard video recorder daemon.
//   recorder --config FILE                 record every configured camera until SIGINT/SIGTERM;
//                                          SIGHUP re-reads FILE and applies its camera changes
//   recorder --config FILE --check-config  validate the configuration and exit (non-zero if invalid)

#include <cstring>
#include <gst/gst.h>
#include <iostream>
#include <memory>
#include <string>

#include "recorder/app/recorder_daemon.h"
#include "recorder/config/config.h"
#include "recorder/core/logging.h"

namespace {

int usage(const char* problem) {
  if (problem != nullptr) std::cerr << "recorder: " << problem << "\n";
  std::cerr << "usage: recorder --config FILE [--check-config]\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string config_file;
  bool check_only = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--config" && i + 1 < argc) config_file = argv[++i];
    else if (arg == "--check-config") check_only = true;
    else if (arg == "--help" || arg == "-h") return usage(nullptr), 0;
    else return usage(("unknown argument '" + arg + "'").c_str());
  }
  if (config_file.empty()) return usage("--config FILE is required");

  recorder::config::Config config;
  try {
    config = recorder::config::load_config(config_file);
  } catch (const recorder::Error& e) {
    std::cerr << "recorder: invalid configuration: " << e.what() << "\n";
    return 1;
  }
  if (check_only) {
    std::cout << "configuration OK: " << config.cameras.size() << " camera(s), storage " << config.storage.path.string()
              << "\n";
    return 0;
  }

  recorder::set_log_level(config.log_level);
  gst_init(&argc, &argv);
  recorder::SystemClock clock;
  std::unique_ptr<recorder::app::RecorderDaemon> daemon;
  try {
    daemon = std::make_unique<recorder::app::RecorderDaemon>(
        std::move(config), clock, std::make_shared<recorder::app::SystemdNotifier>(), config_file);
  } catch (const recorder::Error& e) {
    recorder::component_logger("recorder")->critical("cannot start: {}", e.what());
    return 1;
  }
  return daemon->run();
}
