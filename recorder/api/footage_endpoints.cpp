// The API's footage endpoints: cameras, their recordings (spans and gaps), and exports of one camera
// (an MP4) or of several (a tar with one manifest).

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <fstream>
#include <sstream>

#include "recorder/api/api.h"
#include "recorder/api/file_download.h"
#include "recorder/api/json_reply.h"
#include "recorder/api/request_fields.h"
#include "recorder/export/mp4_export.h"
#include "recorder/export/tar_archive.h"

namespace recorder::api {
namespace http = boost::beast::http;
namespace json = boost::json;

namespace {

constexpr std::chrono::seconds listing_default_span = std::chrono::hours(24);
constexpr std::chrono::seconds listing_max_span = std::chrono::hours(24 * 31);
constexpr std::size_t max_cameras_per_export = 64;

json::value optional_time(const std::optional<catalog::Micros>& at) {
  return at ? json::value(rfc3339(*at)) : json::value(nullptr);
}

std::string gaps_header(const PreparedExport& prepared) {
  std::string text;
  for (const auto& [camera, gap] : prepared.gaps)
    text += fmt::format("{}{} {}/{}", text.empty() ? "" : ", ", camera, rfc3339(gap.from_us), rfc3339(gap.to_us));
  return text;
}

std::string export_detail(const std::vector<std::string>& cameras, catalog::Micros from_us, catalog::Micros to_us,
                          const Request& request) {
  std::string detail = fmt::format("cameras {} from {} to {}", fmt::join(cameras, ","), rfc3339(from_us), rfc3339(to_us));
  if (const auto range = request[http::field::range]; !range.empty()) detail += " range " + std::string(range.substr(0, 64));
  return detail;
}

}  // namespace

Reply Api::cameras(const Call& call) {
  const auto cameras_now = current_cameras();
  std::vector<std::string> ids;
  for (const auto& camera : *cameras_now) ids.push_back(camera.id);
  const auto last_ends = context_.catalog->ask<std::map<std::string, std::optional<catalog::Micros>>>([ids](catalog::Catalog& catalog) {
    std::map<std::string, std::optional<catalog::Micros>> ends;
    for (const auto& id : ids) ends[id] = catalog.last_segment_end(id);
    return ends;
  }).get();
  const auto status = context_.board->current();
  json::array list;
  for (const auto& camera : *cameras_now) {
    std::string state = "starting";
    for (const auto& seen : status->cameras)
      if (seen.id == camera.id) state = seen.state;
    list.push_back(json::object{{"id", camera.id},
                                {"car", camera.car ? json::value(*camera.car) : json::value(nullptr)},
                                {"position", camera.position},
                                {"state", state},
                                {"last_segment_at", optional_time(last_ends.at(camera.id))}});
  }
  audit(call.who.user, call.remote, "list-cameras", fmt::format("{} cameras", list.size()));
  return json_reply(http::status::ok, call.request, json::object{{"cameras", std::move(list)}});
}

Reply Api::recordings(const Call& call, const std::string& id) {
  if (!has_camera(id)) throw Error(ErrorKind::NotFound, "unknown camera '" + id.substr(0, 64) + "'");
  const auto range = query_range(call.target, context_.clock->wall_now(), listing_default_span, listing_max_span);
  const auto spans = context_.catalog->ask<std::vector<catalog::Catalog::Span>>([id, range](catalog::Catalog& catalog) {
    return catalog.spans(id, range.from_us, range.to_us);
  }).get();
  json::array span_list, gap_list;
  catalog::Micros covered_to = range.from_us;
  const auto gap_until = [&](catalog::Micros until) {
    if (until - covered_to > 1'000'000) gap_list.push_back(json::object{{"from", rfc3339(covered_to)}, {"to", rfc3339(until)}});
  };
  for (const auto& span : spans) {
    const auto from = std::max(span.start_us, range.from_us), to = std::min(span.end_us, range.to_us);
    if (from >= to) continue;
    gap_until(from);
    span_list.push_back(json::object{{"from", rfc3339(from)}, {"to", rfc3339(to)}, {"segments", span.segments}});
    covered_to = std::max(covered_to, to);
  }
  // Up to now at most: the future is not a gap.
  gap_until(std::min(range.to_us, catalog::to_micros(context_.clock->wall_now())));
  audit(call.who.user, call.remote, "list-recordings",
        fmt::format("camera {} from {} to {}", id, rfc3339(range.from_us), rfc3339(range.to_us)));
  return json_reply(http::status::ok, call.request,
                    json::object{{"camera", id},
                                 {"from", rfc3339(range.from_us)},
                                 {"to", rfc3339(range.to_us)},
                                 {"spans", std::move(span_list)},
                                 {"gaps", std::move(gap_list)}});
}

std::shared_ptr<const PreparedExport> Api::prepare_export(const std::vector<std::string>& cameras, catalog::Micros from_us,
                                                          catalog::Micros to_us, const std::string& user, bool archive) {
  const std::string key = fmt::format("{}|{}|{}|{}|{}", fmt::join(cameras, ","), from_us, to_us, user, archive);
  return shelf_.get(key, [&](const std::filesystem::path& dir) {
    PreparedExport prepared;
    std::vector<exporting::ExportedClip> clips;
    const auto from_name = format_compact_utc(catalog::from_micros(from_us));
    for (const auto& id : cameras) {
      const auto rows = context_.catalog->ask<std::vector<catalog::Segment>>([id, from_us, to_us](catalog::Catalog& catalog) {
        return catalog.segments(id, from_us, to_us);
      }).get();
      const auto max_us = context_.config.api->max_export_minutes * 60'000'000LL;
      auto plan = exporting::plan_export(id, from_us, to_us, rows, max_us);
      const auto file = dir / fmt::format("{}_{}.mp4", id, from_name);
      auto result = exporting::export_mp4(plan, context_.config.storage.path, file);
      for (const auto& gap : plan.gaps) prepared.gaps.emplace_back(id, gap);
      clips.push_back({std::move(plan), result, file});
    }
    prepared.manifest = dir / "manifest.json";
    exporting::write_manifest(clips, prepared.manifest, {context_.recorder_id, user, context_.clock->wall_now()},
                              context_.signing_key);
    if (!archive) {
      prepared.file = clips.front().file;
    } else {
      prepared.file = dir / fmt::format("incident_{}.tar", from_name);
      std::vector<std::filesystem::path> members;
      for (const auto& clip : clips) members.push_back(clip.file);
      members.push_back(prepared.manifest);
      exporting::write_tar(prepared.file, members);
      for (const auto& clip : clips) std::filesystem::remove(clip.file);  // the tar holds them now
    }
    return prepared;
  });
}

Reply Api::camera_export(const Call& call, const std::string& id, bool manifest_only) {
  if (!has_camera(id)) throw Error(ErrorKind::NotFound, "unknown camera '" + id.substr(0, 64) + "'");
  const auto max_span = std::chrono::minutes(context_.config.api->max_export_minutes);
  const auto range = query_range(call.target, context_.clock->wall_now(), std::nullopt, max_span);
  const auto prepared = prepare_export({id}, range.from_us, range.to_us, call.who.user, false);
  if (manifest_only) {
    audit(call.who.user, call.remote, "export-manifest", export_detail({id}, range.from_us, range.to_us, call.request));
    std::ifstream in(prepared->manifest);
    std::stringstream text;
    text << in.rdbuf();
    return text_reply(http::status::ok, call.request, "application/json", text.str());
  }
  audit(call.who.user, call.remote, "export", export_detail({id}, range.from_us, range.to_us, call.request));
  ++exports_;
  const std::string query = fmt::format("from={}&to={}", rfc3339(range.from_us), rfc3339(range.to_us));
  return file_download(call.request,
                       {prepared->file, "video/mp4", prepared->file.filename().string(),
                        {{"X-Recorder-Gaps", gaps_header(*prepared)},
                         {"Link", fmt::format("</api/v1/cameras/{}/export.manifest.json?{}>; rel=\"describedby\"", id, query)}}});
}

Reply Api::incident_export(const Call& call) {
  const auto body = json_body(call.request);
  const auto cameras = string_list_field(body, "cameras", max_cameras_per_export);
  for (const auto& id : cameras)
    if (!has_camera(id)) throw Error(ErrorKind::NotFound, "unknown camera '" + id.substr(0, 64) + "'");
  const auto range = body_range(body, std::chrono::minutes(context_.config.api->max_export_minutes));
  const auto prepared = prepare_export(cameras, range.from_us, range.to_us, call.who.user, true);
  audit(call.who.user, call.remote, "export", export_detail(cameras, range.from_us, range.to_us, call.request));
  ++exports_;
  return file_download(call.request, {prepared->file, "application/x-tar", prepared->file.filename().string(),
                                      {{"X-Recorder-Gaps", gaps_header(*prepared)}}});
}

}  // namespace recorder::api
