#pragma once
// The maintenance API: /healthz, /metrics and /api/v1 (cameras, recordings, exports, incidents, audit).
// Every request is authenticated (except /healthz), checked against the caller's role, and every
// access to footage and every refusal is written to the catalog's hash-chained audit log before the
// answer goes out. Thread-safe: the server calls it from several threads.

#include <atomic>
#include <memory>
#include <mutex>

#include "recorder/api/export_shelf.h"
#include "recorder/api/gatekeeper.h"
#include "recorder/api/http_server.h"
#include "recorder/api/request_target.h"
#include "recorder/api/status_board.h"
#include "recorder/catalog/catalog_writer.h"
#include "recorder/config/config.h"
#include "recorder/export/manifest.h"
#include "recorder/retention/disk_space.h"

namespace recorder::api {

struct ApiContext {
  config::Config config;
  std::shared_ptr<StatusBoard> board;
  std::shared_ptr<catalog::CatalogWriter> catalog;
  const Clock* clock = nullptr;
  const retention::DiskSpaceSource* disk = nullptr;
  exporting::SigningKey signing_key;
  std::string recorder_id;
};

class Api {
 public:
  explicit Api(ApiContext context);
  Reply handle(const Request& request, const std::string& remote);
  // Users in the users file (the daemon warns when there are none: nobody could log in).
  std::size_t user_count() { return gatekeeper_.user_count(); }
  // The cameras the recorder now records (after a reload on SIGHUP); requests already running keep
  // the list they started with.
  void set_cameras(std::vector<config::CameraConfig> cameras);

  // One request as the endpoints see it: who asks, from where, what.
  struct Call {
    const Request& request;
    const RequestTarget& target;
    const Identity& who;
    const std::string& remote;
  };

 private:
  Reply dispatch(const Call& call);
  Reply login(const Request& request, const RequestTarget& target, const std::string& remote);
  Reply metrics(const Request& request);
  Reply cameras(const Call& call);
  Reply recordings(const Call& call, const std::string& camera);
  Reply camera_export(const Call& call, const std::string& camera, bool manifest_only);
  Reply incident_export(const Call& call);
  Reply incidents(const Call& call);
  Reply protect(const Call& call);
  Reply unprotect(const Call& call, const std::string& id);
  Reply audit_log(const Call& call);

  // One MP4 (or, with `archive`, a tar of one MP4 per camera) and its signed manifest, from the shelf.
  std::shared_ptr<const PreparedExport> prepare_export(const std::vector<std::string>& cameras, catalog::Micros from_us,
                                                       catalog::Micros to_us, const std::string& user, bool archive);
  void audit(const std::string& user, const std::string& remote, const std::string& action, const std::string& detail);
  // Records a refused request in the audit log (as `action`, with its status and message) and answers it
  // with a JSON error (and Retry-After when the refusal has one).
  Response refuse(const Refusal& refusal, const char* action, const Request& request, const RequestTarget& target,
                  const std::string& remote);
  std::shared_ptr<const std::vector<config::CameraConfig>> current_cameras() const;
  bool has_camera(const std::string& id) const;

  ApiContext context_;  // its config.cameras is the list at start; current_cameras() is the live one
  Gatekeeper gatekeeper_;
  ExportShelf shelf_;
  std::atomic<std::uint64_t> exports_{0};
  mutable std::mutex cameras_mutex_;
  std::shared_ptr<const std::vector<config::CameraConfig>> cameras_;
};

}  // namespace recorder::api
