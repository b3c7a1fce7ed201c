// The API's incident endpoints (protect footage from retention, lift a protection) and the audit log.

#include <charconv>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "recorder/api/api.h"
#include "recorder/api/json_reply.h"
#include "recorder/api/request_fields.h"
#include "recorder/retention/protection.h"

namespace recorder::api {
namespace http = boost::beast::http;
namespace json = boost::json;

namespace {
constexpr std::size_t max_reason_length = 1000;
constexpr std::chrono::seconds max_protected_span = std::chrono::hours(24);
constexpr std::chrono::seconds audit_default_span = std::chrono::hours(24);
constexpr std::chrono::seconds audit_max_span = std::chrono::hours(24 * 366);
}  // namespace

Reply Api::incidents(const Call& call) {
  const auto now = catalog::to_micros(context_.clock->wall_now());
  const auto incidents = context_.catalog->ask<std::vector<catalog::Incident>>([now](catalog::Catalog& catalog) { return catalog.incidents(now); }).get();
  json::array list;
  for (const auto& incident : incidents) {
    json::array cameras;
    for (const auto& id : incident.cameras) cameras.push_back(json::value(id));
    list.push_back(json::object{{"id", incident.id},
                                {"cameras", std::move(cameras)},
                                {"from", rfc3339(incident.start_us)},
                                {"to", rfc3339(incident.end_us)},
                                {"reason", incident.reason},
                                {"created_by", incident.created_by},
                                {"created_at", rfc3339(incident.created_us)},
                                {"expires_at", incident.expires_us ? json::value(rfc3339(*incident.expires_us)) : json::value(nullptr)}});
  }
  audit(call.who.user, call.remote, "list-incidents", fmt::format("{} incidents", list.size()));
  return json_reply(http::status::ok, call.request, json::object{{"incidents", std::move(list)}});
}

Reply Api::protect(const Call& call) {
  const auto body = json_body(call.request);
  catalog::Incident incident;
  incident.cameras = string_list_field(body, "cameras", current_cameras()->size());
  for (const auto& id : incident.cameras)
    if (!has_camera(id)) throw Error(ErrorKind::NotFound, "unknown camera '" + id.substr(0, 64) + "'");
  const auto range = body_range(body, max_protected_span);
  incident.start_us = range.from_us;
  incident.end_us = range.to_us;
  incident.reason = string_field(body, "reason", max_reason_length);
  incident.created_by = call.who.user;
  incident.created_us = catalog::to_micros(context_.clock->wall_now());
  const auto storage = context_.config.storage;
  const auto* disk = context_.disk;
  const auto id = context_.catalog->ask<std::int64_t>([incident, storage, disk](catalog::Catalog& catalog) {
    return retention::protect(catalog, incident, storage, *disk, incident.created_us);
  }).get();
  audit(call.who.user, call.remote, "protect",
        fmt::format("incident {} cameras {} from {} to {}: {}", id, fmt::join(incident.cameras, ","),
                    rfc3339(incident.start_us), rfc3339(incident.end_us), incident.reason));
  return json_reply(http::status::created, call.request, json::object{{"id", id}});
}

Reply Api::unprotect(const Call& call, const std::string& text) {
  std::int64_t id = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (error != std::errc() || end != text.data() + text.size() || id <= 0)
    throw Error(ErrorKind::InvalidArgument, "'" + text.substr(0, 64) + "' is not an incident id");
  const bool removed = context_.catalog->ask<bool>([id](catalog::Catalog& catalog) { return catalog.remove_incident(id); }).get();
  if (!removed) throw Error(ErrorKind::NotFound, fmt::format("no incident {}", id));
  audit(call.who.user, call.remote, "unprotect", fmt::format("incident {}", id));
  return json_reply(http::status::ok, call.request, json::object{{"removed", id}});
}

Reply Api::audit_log(const Call& call) {
  const auto range = query_range(call.target, context_.clock->wall_now(), audit_default_span, audit_max_span);
  // The reading is recorded first, so it shows in its own answer when the range includes now.
  audit(call.who.user, call.remote, "audit-read", fmt::format("from {} to {}", rfc3339(range.from_us), rfc3339(range.to_us)));
  const auto entries = context_.catalog->ask<std::vector<catalog::AuditEntry>>([range](catalog::Catalog& catalog) {
    return catalog.audit_entries(range.from_us, range.to_us);
  }).get();
  json::array list;
  for (const auto& entry : entries)
    list.push_back(json::object{{"id", entry.id},
                                {"at", rfc3339(entry.at_us)},
                                {"user", entry.user},
                                {"remote", entry.remote},
                                {"action", entry.action},
                                {"detail", entry.detail},
                                {"hash", entry.hash}});
  return json_reply(http::status::ok, call.request, json::object{{"entries", std::move(list)}});
}

}  // namespace recorder::api
