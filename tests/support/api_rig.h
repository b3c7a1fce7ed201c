#pragma once
// A recorder with its API on an ephemeral port, real camsim cameras and a users file with one user of
// each role: what the retrieval tests (and the export benchmark) talk to.

#include <memory>
#include <string>

#include "tests/support/api_client.h"
#include "tests/support/recording_run.h"

namespace test_support {

// One user per role; the password of each is "<name>-password".
inline const std::string viewer_user = "vic-viewer", exporter_user = "eva-exporter", admin_user = "ada-admin";
inline std::string password_of(const std::string& user) { return user + "-password"; }

// Writes <dir>/users.yaml with those users and returns the api: lines (indented by two spaces) that name
// it and a signing key under <dir>/keys/, so that no test touches the system's default paths.
std::string api_accounts(const std::filesystem::path& dir);

// The port a starting recorder says its API listens on; 0 if it exits or does not say so within 10 s.
// `scheme`: a regex for the scheme it must name ("http", "https").
int api_port_from_log(Process& recorder, const std::string& scheme = "https?");

struct ApiRigOptions {
  int cameras = 2;
  std::string api_extra;        // more lines under api:, indented by two spaces
  int segment_seconds = 4;
};

class ApiRig {
 public:
  ApiRig(const ScratchDir& dir, const ApiRigOptions& options);
  ~ApiRig();
  int port() const { return port_; }
  const std::filesystem::path& config() const { return config_; }
  std::filesystem::path storage() const { return dir_ / "storage"; }
  Process& recorder() { return *recorder_; }
  Camsim& cameras() { return *camsim_; }
  // Stops the cameras for `seconds`, leaving a gap in every camera's footage, and brings them back.
  void camera_outage(std::chrono::seconds seconds);
  ApiAnswer call(ApiCall call, const std::string& user) const;  // with Basic credentials of `user`

 private:
  std::filesystem::path dir_;
  std::filesystem::path config_;
  std::unique_ptr<Camsim> camsim_;
  std::unique_ptr<Process> recorder_;
  int port_ = 0;
  int camsim_port_ = 0;
  int camera_count_ = 0;
};

}  // namespace test_support
