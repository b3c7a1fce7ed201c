#include "recorder/api/api.h"

#include <algorithm>
#include <boost/json/parse.hpp>
#include <fmt/format.h>

#include "recorder/api/json_reply.h"
#include "recorder/api/metrics.h"

namespace recorder::api {
namespace http = boost::beast::http;

namespace {

enum class Endpoint { Metrics, Logout, Cameras, Recordings, Export, ExportManifest, Incidents, Protect, Unprotect, Exports, Audit };

struct Match {
  Endpoint endpoint;
  Role needs;
  std::string parameter;  // the camera or incident id in the path
};

// Which endpoint a method and path name. `path_known` says whether the path exists with another method.
std::optional<Match> match(http::verb method, const std::vector<std::string>& s, bool& path_known) {
  const auto is = [&](std::initializer_list<const char*> words) {
    return s.size() == words.size() && std::equal(words.begin(), words.end(), s.begin(), [](const char* w, const std::string& x) {
             return *w == '*' || x == w;
           });
  };
  struct Rule {
    std::initializer_list<const char*> path;
    http::verb method;
    Endpoint endpoint;
    Role needs;
    int parameter;  // index of the id segment, -1 for none
  };
  static const Rule rules[] = {
      {{"metrics"}, http::verb::get, Endpoint::Metrics, Role::Viewer, -1},
      {{"api", "v1", "logout"}, http::verb::post, Endpoint::Logout, Role::Viewer, -1},
      {{"api", "v1", "cameras"}, http::verb::get, Endpoint::Cameras, Role::Viewer, -1},
      {{"api", "v1", "cameras", "*", "recordings"}, http::verb::get, Endpoint::Recordings, Role::Viewer, 3},
      {{"api", "v1", "cameras", "*", "export.mp4"}, http::verb::get, Endpoint::Export, Role::Exporter, 3},
      {{"api", "v1", "cameras", "*", "export.manifest.json"}, http::verb::get, Endpoint::ExportManifest, Role::Exporter, 3},
      {{"api", "v1", "incidents"}, http::verb::get, Endpoint::Incidents, Role::Viewer, -1},
      {{"api", "v1", "incidents"}, http::verb::post, Endpoint::Protect, Role::Exporter, -1},
      {{"api", "v1", "incidents", "*"}, http::verb::delete_, Endpoint::Unprotect, Role::Admin, 3},
      {{"api", "v1", "exports"}, http::verb::post, Endpoint::Exports, Role::Exporter, -1},
      {{"api", "v1", "audit"}, http::verb::get, Endpoint::Audit, Role::Admin, -1},
  };
  path_known = false;
  for (const auto& rule : rules) {
    if (!is(rule.path)) continue;
    path_known = true;
    if (rule.method == method)
      return Match{rule.endpoint, rule.needs, rule.parameter >= 0 ? s[static_cast<std::size_t>(rule.parameter)] : ""};
  }
  return std::nullopt;
}

http::status status_for(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::InvalidArgument: return http::status::bad_request;
    case ErrorKind::NotFound: return http::status::not_found;
    case ErrorKind::PermissionDenied: return http::status::forbidden;
    case ErrorKind::Unavailable: return http::status::service_unavailable;
    default: return http::status::internal_server_error;
  }
}

std::string describe(const Request& request, const RequestTarget& target) {
  return fmt::format("{} {}", std::string(request.method_string()), target.path.substr(0, 200));
}

}  // namespace

Api::Api(ApiContext context)
    : context_(std::move(context)),
      gatekeeper_(context_.config.api->users_file, std::chrono::seconds(context_.config.api->token_seconds)),
      shelf_(context_.config.storage.path / ".exports", std::chrono::minutes(15)),
      cameras_(std::make_shared<const std::vector<config::CameraConfig>>(context_.config.cameras)) {}

void Api::set_cameras(std::vector<config::CameraConfig> cameras) {
  auto list = std::make_shared<const std::vector<config::CameraConfig>>(std::move(cameras));
  std::lock_guard lock(cameras_mutex_);
  cameras_ = std::move(list);
}

std::shared_ptr<const std::vector<config::CameraConfig>> Api::current_cameras() const {
  std::lock_guard lock(cameras_mutex_);
  return cameras_;
}

bool Api::has_camera(const std::string& id) const {
  const auto cameras = current_cameras();
  return std::any_of(cameras->begin(), cameras->end(), [&](const config::CameraConfig& camera) { return camera.id == id; });
}

void Api::audit(const std::string& user, const std::string& remote, const std::string& action, const std::string& detail) {
  const auto at = catalog::to_micros(context_.clock->wall_now());
  // Waits for the row: an access that cannot be recorded is not served (the exception answers 500).
  context_.catalog->ask<catalog::AuditEntry>([=](catalog::Catalog& catalog) { return catalog.append_audit(at, user, remote, action, detail); }).get();
}

Response Api::refuse(const Refusal& refusal, const char* action, const Request& request, const RequestTarget& target,
                     const std::string& remote) {
  audit(refusal.claimed_user, remote, action,
        fmt::format("{}: {} {}", describe(request, target), static_cast<int>(refusal.status), refusal.message));
  auto response = json_error(refusal.status, request, refusal.message);
  if (refusal.retry_after) response.set(http::field::retry_after, std::to_string(refusal.retry_after->count()));
  return response;
}

Reply Api::handle(const Request& request, const std::string& remote) {
  const auto target = parse_target(request.target());
  if (!target) return json_error(http::status::bad_request, request, "malformed request target");
  const auto& s = target->segments;
  if (s.size() == 1 && s[0] == "healthz") {
    if (request.method() != http::verb::get) return json_error(http::status::method_not_allowed, request, "/healthz only answers GET");
    // No authentication, so no detail: the state alone, and 503 when the recorder is at fault.
    const auto health = context_.board->current()->health;
    return json_reply(health == "FAULT" ? http::status::service_unavailable : http::status::ok, request,
                      boost::json::object{{"state", health}});
  }
  if (s.size() == 3 && s[0] == "api" && s[1] == "v1" && s[2] == "login") {
    if (request.method() != http::verb::post) return json_error(http::status::method_not_allowed, request, "login is a POST");
    return login(request, *target, remote);
  }
  bool path_known = false;
  const auto found = match(request.method(), s, path_known);
  if (!found)
    return path_known ? json_error(http::status::method_not_allowed, request,
                                   std::string(request.method_string()) + " is not allowed on " + target->path)
                      : json_error(http::status::not_found, request, "no such endpoint: " + target->path.substr(0, 200));

  const auto admission = gatekeeper_.admit(request, remote, context_.clock->wall_now());
  if (admission.refusal) {
    auto response = refuse(*admission.refusal, "refused", request, *target, remote);
    if (response.result() == http::status::unauthorized)
      response.set(http::field::www_authenticate, "Basic realm=\"onboard-recorder\"");
    return response;
  }
  const Identity& who = *admission.identity;
  if (!role_allows(who.role, found->needs)) {
    return refuse({http::status::forbidden,
                   fmt::format("role {} may not do this; it needs {}", role_name(who.role), role_name(found->needs)),
                   who.user, std::nullopt},
                  "refused", request, *target, remote);
  }
  const Call call{request, *target, who, remote};
  try {
    switch (found->endpoint) {
      case Endpoint::Metrics: return metrics(request);
      case Endpoint::Logout:
        gatekeeper_.logout(request);
        audit(who.user, remote, "logout", "");
        return json_reply(http::status::ok, request, boost::json::object{{"logged_out", who.user}});
      case Endpoint::Cameras: return cameras(call);
      case Endpoint::Recordings: return recordings(call, found->parameter);
      case Endpoint::Export: return camera_export(call, found->parameter, false);
      case Endpoint::ExportManifest: return camera_export(call, found->parameter, true);
      case Endpoint::Incidents: return incidents(call);
      case Endpoint::Protect: return protect(call);
      case Endpoint::Unprotect: return unprotect(call, found->parameter);
      case Endpoint::Exports: return incident_export(call);
      case Endpoint::Audit: return audit_log(call);
    }
  } catch (const Error& e) {
    // A request the recorder cannot serve as asked is refused, and the refusal is recorded like any other.
    return refuse({status_for(e.kind()), e.what(), who.user, std::nullopt}, "refused", request, *target, remote);
  }
  return json_error(http::status::internal_server_error, request, "unhandled endpoint");
}

Reply Api::login(const Request& request, const RequestTarget& target, const std::string& remote) {
  std::string user, password;
  try {
    const auto body = boost::json::parse(request.body()).as_object();
    user = std::string(body.at("user").as_string());
    password = std::string(body.at("password").as_string());
  } catch (const std::exception&) {
    return json_error(http::status::bad_request, request,
                      "the login body must be JSON: {\"user\": \"...\", \"password\": \"...\"}");
  }
  const auto now = context_.clock->wall_now();
  const auto admission = gatekeeper_.login(user, password, remote, now);
  if (admission.refusal) return refuse(*admission.refusal, "login-failed", request, target, remote);
  const auto token = gatekeeper_.issue_token(*admission.identity, now);
  audit(admission.identity->user, remote, "login", std::string("role ") + role_name(admission.identity->role));
  return json_reply(http::status::ok, request,
                    boost::json::object{{"token", token.value},
                                        {"expires_at", format_rfc3339(token.expires_at)},
                                        {"user", admission.identity->user},
                                        {"role", role_name(admission.identity->role)}});
}

Reply Api::metrics(const Request& request) {
  StatusSnapshot status = *context_.board->current();
  status.exports_total = exports_;
  status.failed_logins_total = gatekeeper_.failed_logins();
  return text_reply(http::status::ok, request, "text/plain; version=0.0.4", render_metrics(status));
}

}  // namespace recorder::api
