#include "tests/support/api_rig.h"

#include <csignal>
#include <fstream>
#include <regex>
#include <thread>

#include "recorder/api/users.h"

namespace test_support {
using namespace std::chrono_literals;

int api_port_from_log(Process& recorder, const std::string& scheme) {
  const std::regex listening("API listening on " + scheme + "://127\\.0\\.0\\.1:([0-9]+)");
  for (int i = 0; i < 200; ++i) {
    std::smatch match;
    const std::string log = recorder.stderr_text();
    if (std::regex_search(log, match, listening)) return std::stoi(match[1]);
    if (!recorder.running()) return 0;
    std::this_thread::sleep_for(50ms);
  }
  return 0;
}

std::string api_accounts(const std::filesystem::path& dir) {
  recorder::api::UserStore users;
  users.add(viewer_user, recorder::api::Role::Viewer, password_of(viewer_user));
  users.add(exporter_user, recorder::api::Role::Exporter, password_of(exporter_user));
  users.add(admin_user, recorder::api::Role::Admin, password_of(admin_user));
  users.save(dir / "users.yaml");
  return "  users_file: " + (dir / "users.yaml").string() + "\n  signing_key: " + (dir / "keys" / "signing.key").string() +
         "\n";
}

ApiRig::ApiRig(const ScratchDir& dir, const ApiRigOptions& options) : dir_(dir.path()), camera_count_(options.cameras) {
  camsim_ = std::make_unique<Camsim>("cams", CamsimOptions{.cameras = options.cameras}, dir_);
  camsim_port_ = camsim_->port();
  std::vector<CameraEntry> cameras;
  for (int i = 0; i < options.cameras; ++i)
    cameras.push_back({.id = "door-" + std::to_string(i + 1), .url = camsim_->urls()[static_cast<std::size_t>(i)]});
  config_ = write_recorder_config(dir_, cameras, options.segment_seconds);
  std::ofstream(config_, std::ios::app) << "api:\n  listen: 127.0.0.1:0\n  insecure_http: true\n"
                                        << api_accounts(dir_) << options.api_extra;
  std::string output;
  if (run_recorderctl(dir_, {"storage", "init", "--config", config_.string()}, &output) != 0)
    throw std::runtime_error("storage init failed: " + output);
  recorder_ = std::make_unique<Process>("recorder", std::vector<std::string>{RECORDER_PATH, "--config", config_.string()}, dir_);
  port_ = api_port_from_log(*recorder_);
  if (port_ == 0) throw std::runtime_error("the recorder's API did not start:\n" + recorder_->stderr_text());
}

ApiRig::~ApiRig() {
  recorder_->signal(SIGTERM);
  recorder_->wait(6s);
}

void ApiRig::camera_outage(std::chrono::seconds seconds) {
  camsim_->process().signal(SIGKILL);
  camsim_->process().wait(5s);
  std::this_thread::sleep_for(seconds);
  camsim_ = std::make_unique<Camsim>("cams-again", CamsimOptions{.cameras = camera_count_, .port = camsim_port_}, dir_);
}

ApiAnswer ApiRig::call(ApiCall call, const std::string& user) const {
  call.authorization = basic_auth(user, password_of(user));
  return api_call(port_, call);
}

}  // namespace test_support
