// Footage retrieval through the real API: the recorder binary with camsim cameras, users of each role,
// requests over loopback. Who may do what (and every refusal in the audit log), exports that are exact
// and signed, gaps reported, downloads resumable, and hostile input answered without harm.

#include <boost/json.hpp>
#include <fstream>
#include <gtest/gtest.h>
#include <random>
#include <thread>

#include "recorder/core/clock.h"
#include "tests/support/api_rig.h"
#include "tests/support/http_client.h"
#include "tests/support/media_probe.h"

using namespace test_support;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace {

std::string rfc3339(recorder::WallTime at) { return recorder::format_rfc3339(at); }
std::string rfc3339_ms(std::int64_t unix_ms) {
  return recorder::format_rfc3339(recorder::WallTime(std::chrono::milliseconds(unix_ms)));
}
std::int64_t unix_ms(const json::value& text) {
  const auto time = recorder::parse_rfc3339(std::string(text.as_string()));
  return std::chrono::duration_cast<std::chrono::milliseconds>(time->time_since_epoch()).count();
}

json::object json_of(const ApiAnswer& answer) {
  try {
    return json::parse(answer.body).as_object();
  } catch (const std::exception&) {
    ADD_FAILURE() << "not a JSON object: " << answer.status << " " << answer.body.substr(0, 300);
    return {};
  }
}

void write_file(const std::filesystem::path& file, const std::string& bytes) {
  std::ofstream(file, std::ios::binary) << bytes;
}

// The footage spans of a camera, as the API lists them (admin, last hour).
json::array spans_of(const ApiRig& rig, const std::string& camera) {
  const auto answer = rig.call({.target = "/api/v1/cameras/" + camera + "/recordings"}, admin_user);
  EXPECT_EQ(answer.status, 200) << answer.body;
  return json_of(answer)["spans"].as_array();
}

}  // namespace

// Every endpoint x {no credentials, wrong password, expired token, each role}: only the allowed pairs
// succeed, and every refusal is one row of the audit log.
TEST(Retrieval, AuthorizationMatrixAndEveryRefusalAudited) {
  ScratchDir dir;
  ApiRig rig(dir, {.api_extra = "  token_seconds: 2\n"});
  std::this_thread::sleep_for(8s);
  const auto spans = spans_of(rig, "door-1");
  ASSERT_FALSE(spans.empty());
  const std::int64_t from = unix_ms(spans[0].as_object().at("from")) + 500;
  const std::string range = "from=" + rfc3339_ms(from) + "&to=" + rfc3339_ms(from + 2000);
  const std::string body_range = "\"from\":\"" + rfc3339_ms(from) + "\",\"to\":\"" + rfc3339_ms(from + 2000) + "\"";

  enum Need { Viewer = 1, Exporter = 2, Admin = 3 };
  struct Endpoint {
    std::string method, target, body;
    Need needs;
  };
  const std::vector<Endpoint> endpoints = {
      {"GET", "/metrics", "", Viewer},
      {"GET", "/api/v1/cameras", "", Viewer},
      {"GET", "/api/v1/cameras/door-1/recordings?" + range, "", Viewer},
      {"GET", "/api/v1/incidents", "", Viewer},
      {"GET", "/api/v1/cameras/door-1/export.mp4?" + range, "", Exporter},
      {"GET", "/api/v1/cameras/door-1/export.manifest.json?" + range, "", Exporter},
      {"POST", "/api/v1/exports", "{\"cameras\":[\"door-1\",\"door-2\"]," + body_range + "}", Exporter},
      {"POST", "/api/v1/incidents", "{\"cameras\":[\"door-1\"]," + body_range + ",\"reason\":\"door incident\"}", Exporter},
      {"DELETE", "/api/v1/incidents/999999", "", Admin},  // allowed means 404 here: there is no such incident
      {"GET", "/api/v1/audit", "", Admin},
  };

  // An expired token: issued for 2 s (token_seconds), used after 3.
  const auto login = api_call(rig.port(), {.method = "POST", .target = "/api/v1/login",
                                           .body = "{\"user\":\"" + admin_user + "\",\"password\":\"" + password_of(admin_user) + "\"}"});
  ASSERT_EQ(login.status, 200) << login.body;
  const std::string expired_token = "Bearer " + std::string(json_of(login)["token"].as_string());
  EXPECT_EQ(api_call(rig.port(), {.target = "/api/v1/cameras", .authorization = expired_token}).status, 200)
      << "a fresh token works";
  std::this_thread::sleep_for(3s);

  struct Caller {
    std::string name, authorization;
    int level;  // 0: nobody
  };
  const std::vector<Caller> callers = {
      {"no credentials", "", 0},
      {"wrong password", basic_auth(admin_user, "not-the-password"), 0},
      {"expired token", expired_token, 0},
      {"viewer", basic_auth(viewer_user, password_of(viewer_user)), Viewer},
      {"exporter", basic_auth(exporter_user, password_of(exporter_user)), Exporter},
      {"admin", basic_auth(admin_user, password_of(admin_user)), Admin},
  };
  int refusals = 0, source = 10;
  for (const auto& endpoint : endpoints) {
    for (const auto& caller : callers) {
      SCOPED_TRACE(endpoint.method + " " + endpoint.target + " as " + caller.name);
      // Each wrong password from an address of its own: the throttle is tested separately.
      const auto answer = api_call(rig.port(), {.method = endpoint.method, .target = endpoint.target, .body = endpoint.body,
                                                .authorization = caller.authorization,
                                                .source = "127.0.0." + std::to_string(source++)});
      if (caller.level == 0) {
        EXPECT_EQ(answer.status, 401) << answer.body;
        EXPECT_EQ(answer.header("www-authenticate"), "Basic realm=\"onboard-recorder\"");
        ++refusals;
      } else if (caller.level < endpoint.needs) {
        EXPECT_EQ(answer.status, 403) << answer.body;
        EXPECT_NE(answer.body.find("needs"), std::string::npos) << answer.body;
        ++refusals;
      } else if (endpoint.method == "DELETE") {
        EXPECT_EQ(answer.status, 404) << answer.body;
        ++refusals;  // refused as asked for: no such incident, and that is audited too
      } else {
        EXPECT_GE(answer.status, 200) << answer.body.substr(0, 300);
        EXPECT_LT(answer.status, 300) << answer.body.substr(0, 300);
      }
      if (answer.status >= 400) {
        EXPECT_NE(json_of(answer).if_contains("error"), nullptr);
      }
    }
  }

  const auto audit = rig.call({.target = "/api/v1/audit"}, admin_user);
  ASSERT_EQ(audit.status, 200);
  int refused_rows = 0;
  bool wrong_password_row = false;
  const auto audit_rows = json_of(audit);
  for (const auto& entry : audit_rows.at("entries").as_array()) {
    const auto& row = entry.as_object();
    if (row.at("action").as_string() != "refused") continue;
    ++refused_rows;
    if (row.at("user").as_string() == admin_user && row.at("detail").as_string().find("401") != json::string::npos &&
        std::string(row.at("remote").as_string()).rfind("127.0.0.", 0) == 0)
      wrong_password_row = true;
  }
  EXPECT_EQ(refused_rows, refusals) << "every refusal is one audit row";
  EXPECT_TRUE(wrong_password_row) << "a wrong password is recorded with the name tried and the address";

  std::string output;
  EXPECT_EQ(run_recorderctl(dir.path(), {"audit", "verify", "--config", rig.config().string()}, &output), 0) << output;
}

// Failed logins from one address are slowed down; other addresses are not affected.
TEST(Retrieval, RepeatedFailedLoginsAreThrottledPerAddress) {
  ScratchDir dir;
  ApiRig rig(dir, {.cameras = 1});
  const std::string wrong = "{\"user\":\"" + admin_user + "\",\"password\":\"guess\"}";
  int throttled = 0;
  for (int i = 0; i < 8; ++i) {
    const auto answer = api_call(rig.port(), {.method = "POST", .target = "/api/v1/login", .body = wrong, .source = "127.0.0.66"});
    if (answer.status == 429) {
      ++throttled;
      EXPECT_FALSE(answer.header("retry-after").empty());
    } else {
      EXPECT_EQ(answer.status, 401) << answer.body;
    }
  }
  EXPECT_GE(throttled, 2) << "attempts after the fifth failure are refused for a while";
  const auto right_password = "{\"user\":\"" + admin_user + "\",\"password\":\"" + password_of(admin_user) + "\"}";
  EXPECT_EQ(api_call(rig.port(), {.method = "POST", .target = "/api/v1/login", .body = right_password, .source = "127.0.0.66"}).status,
            429)
      << "even the right password waits out the refusal";
  EXPECT_EQ(api_call(rig.port(), {.method = "POST", .target = "/api/v1/login", .body = right_password, .source = "127.0.0.67"}).status,
            200)
      << "another address is not affected";
  EXPECT_NE(rig.recorder().stderr_text().find("repeated failed logins from 127.0.0.66"), std::string::npos);
  const auto metrics = rig.call({.target = "/metrics"}, viewer_user);
  EXPECT_NE(metrics.body.find("recorder_failed_logins_total "), std::string::npos) << metrics.body;
  EXPECT_EQ(metrics.body.find("recorder_failed_logins_total 0\n"), std::string::npos);
}

// Exports through the API: exact ranges across segments, gaps reported in a header and the manifest,
// Range requests, an incident archive whose clips verify, the export limit, protection.
TEST(Retrieval, ExportsAreExactSignedResumableAndReportGaps) {
  ScratchDir dir;
  ApiRig rig(dir, {.api_extra = "  max_export_minutes: 60\n"});
  std::this_thread::sleep_for(14s);
  rig.camera_outage(6s);
  std::this_thread::sleep_for(10s);

  const auto spans = spans_of(rig, "door-1");
  ASSERT_EQ(spans.size(), 2u) << "the outage splits the footage in two";
  const auto listing = json_of(rig.call({.target = "/api/v1/cameras/door-1/recordings"}, viewer_user));
  bool gap_listed = false;
  for (const auto& gap : listing.at("gaps").as_array())
    gap_listed |= unix_ms(gap.as_object().at("from")) == unix_ms(spans[0].as_object().at("to"));
  EXPECT_TRUE(gap_listed) << json::serialize(listing);
  const std::int64_t first_from = unix_ms(spans[0].as_object().at("from")), first_to = unix_ms(spans[0].as_object().at("to"));
  const std::int64_t second_from = unix_ms(spans[1].as_object().at("from"));
  ASSERT_GT(first_to - first_from, 11000);

  // Random ranges inside the first span, within and across 4 s segments.
  std::mt19937 random(7);
  constexpr double frame = 0.040;
  for (int i = 0; i < 4; ++i) {
    const std::int64_t length = std::uniform_int_distribution<std::int64_t>(1000, 7000)(random);
    const std::int64_t from = std::uniform_int_distribution<std::int64_t>(first_from + 500, first_to - length - 500)(random);
    SCOPED_TRACE(rfc3339_ms(from) + " + " + std::to_string(length) + " ms");
    const auto answer = rig.call({.target = "/api/v1/cameras/door-1/export.mp4?from=" + rfc3339_ms(from) +
                                            "&to=" + rfc3339_ms(from + length)},
                                 exporter_user);
    ASSERT_EQ(answer.status, 200) << answer.body.substr(0, 300);
    EXPECT_EQ(answer.header("content-type"), "video/mp4");
    EXPECT_EQ(answer.header("content-length"), std::to_string(answer.body.size()));
    EXPECT_EQ(answer.header("x-recorder-gaps"), "");
    const auto clip = dir.path() / ("api-clip-" + std::to_string(i) + ".mp4");
    write_file(clip, answer.body);
    const MediaSummary media = probe_media(clip);
    ASSERT_TRUE(media.opened) << media.error;
    EXPECT_TRUE(media.starts_with_key_frame);
    EXPECT_NEAR(media.displayed_start_seconds, 0.0, frame);
    EXPECT_NEAR(media.displayed_end_seconds - media.displayed_start_seconds, static_cast<double>(length) / 1e3, frame);
  }

  // Across the outage: the gap in a header, in the manifest, and the clip verifies against the manifest.
  const std::string across = "from=" + rfc3339_ms(first_to - 2000) + "&to=" + rfc3339_ms(second_from + 2000);
  const auto gap_clip = rig.call({.target = "/api/v1/cameras/door-1/export.mp4?" + across}, exporter_user);
  ASSERT_EQ(gap_clip.status, 200) << gap_clip.body.substr(0, 300);
  EXPECT_NE(gap_clip.header("x-recorder-gaps").find("door-1 "), std::string::npos);
  EXPECT_NE(gap_clip.header("link").find("export.manifest.json"), std::string::npos);
  const auto manifest = rig.call({.target = "/api/v1/cameras/door-1/export.manifest.json?" + across}, exporter_user);
  ASSERT_EQ(manifest.status, 200);
  const auto facts = json_of(manifest);
  EXPECT_EQ(facts.at("exported_by").as_string(), exporter_user);
  EXPECT_EQ(facts.at("clips").as_array().at(0).as_object().at("gaps").as_array().size(), 1u);
  const std::string clip_name(facts.at("clips").as_array().at(0).as_object().at("file").as_object().at("name").as_string());
  std::filesystem::create_directory(dir.path() / "download");
  write_file(dir.path() / "download" / clip_name, gap_clip.body);
  write_file(dir.path() / "download" / "manifest.json", manifest.body);
  std::string output;
  EXPECT_EQ(run_recorderctl(dir.path(), {"verify", (dir.path() / "download" / clip_name).string(),
                                         (dir.path() / "download" / "manifest.json").string()},
                            &output),
            0)
      << output;

  // Range requests give exactly those bytes of the same file.
  const auto part = rig.call({.target = "/api/v1/cameras/door-1/export.mp4?" + across, .range = "bytes=100-1099"}, exporter_user);
  EXPECT_EQ(part.status, 206);
  EXPECT_EQ(part.body, gap_clip.body.substr(100, 1000));
  EXPECT_EQ(part.header("content-range"), "bytes 100-1099/" + std::to_string(gap_clip.body.size()));
  const auto tail = rig.call({.target = "/api/v1/cameras/door-1/export.mp4?" + across, .range = "bytes=-500"}, exporter_user);
  EXPECT_EQ(tail.status, 206);
  EXPECT_EQ(tail.body, gap_clip.body.substr(gap_clip.body.size() - 500));
  const auto beyond = rig.call({.target = "/api/v1/cameras/door-1/export.mp4?" + across, .range = "bytes=999999999-"}, exporter_user);
  EXPECT_EQ(beyond.status, 416);
  EXPECT_EQ(beyond.header("content-range"), "bytes */" + std::to_string(gap_clip.body.size()));

  // Over the configured limit (60 min here): refused, saying so.
  const auto too_long = rig.call({.target = "/api/v1/cameras/door-1/export.mp4?from=" + rfc3339_ms(first_from) +
                                            "&to=" + rfc3339_ms(first_from + 2 * 3600 * 1000)},
                                 exporter_user);
  EXPECT_EQ(too_long.status, 400);
  EXPECT_NE(too_long.body.find("longer than the limit of 1 h"), std::string::npos) << too_long.body;

  // An incident of both cameras: one tar, one MP4 each and one manifest; each clip verifies, an altered one does not.
  const std::string incident = "{\"cameras\":[\"door-1\",\"door-2\"],\"from\":\"" + rfc3339_ms(first_from + 1000) +
                               "\",\"to\":\"" + rfc3339_ms(first_from + 6000) + "\"}";
  const auto archive = rig.call({.method = "POST", .target = "/api/v1/exports", .body = incident}, exporter_user);
  ASSERT_EQ(archive.status, 200) << archive.body.substr(0, 300);
  EXPECT_EQ(archive.header("content-type"), "application/x-tar");
  const auto unpacked = dir.path() / "incident";
  std::filesystem::create_directory(unpacked);
  write_file(dir.path() / "incident.tar", archive.body);
  ASSERT_EQ(std::system(("tar -xf " + (dir.path() / "incident.tar").string() + " -C " + unpacked.string()).c_str()), 0);
  int clips = 0;
  for (const auto& entry : std::filesystem::directory_iterator(unpacked)) {
    if (entry.path().extension() != ".mp4") continue;
    ++clips;
    EXPECT_EQ(run_recorderctl(dir.path(), {"verify", entry.path().string(), (unpacked / "manifest.json").string()}, &output), 0)
        << output;
    EXPECT_NEAR(probe_media(entry.path()).displayed_end_seconds - probe_media(entry.path()).displayed_start_seconds, 5.0, frame);
  }
  EXPECT_EQ(clips, 2);
  {
    const auto victim = *std::find_if(std::filesystem::directory_iterator(unpacked), std::filesystem::directory_iterator(),
                                      [](const auto& e) { return e.path().extension() == ".mp4"; });
    std::fstream bytes(victim.path(), std::ios::in | std::ios::out | std::ios::binary);
    bytes.seekp(static_cast<std::streamoff>(std::filesystem::file_size(victim.path()) / 2));
    bytes.put('\x5a');
    bytes.close();
    EXPECT_EQ(run_recorderctl(dir.path(), {"verify", victim.path().string(), (unpacked / "manifest.json").string()}, &output), 1);
    EXPECT_NE(output.find("SHA-256 differs"), std::string::npos) << output;
  }

  // Protect, list, lift (admin only).
  const auto protect = rig.call({.method = "POST", .target = "/api/v1/incidents",
                                 .body = "{\"cameras\":[\"door-1\"],\"from\":\"" + rfc3339_ms(first_from) + "\",\"to\":\"" +
                                         rfc3339_ms(first_to) + "\",\"reason\":\"door 3A trapped a bag\"}"},
                                exporter_user);
  ASSERT_EQ(protect.status, 201) << protect.body;
  const auto id = json_of(protect).at("id").as_int64();
  const auto listed = rig.call({.target = "/api/v1/incidents"}, viewer_user);
  EXPECT_NE(listed.body.find("door 3A trapped a bag"), std::string::npos) << listed.body;
  const std::string incident_path = "/api/v1/incidents/" + std::to_string(id);
  EXPECT_EQ(rig.call({.method = "DELETE", .target = incident_path}, exporter_user).status, 403);
  EXPECT_EQ(rig.call({.method = "DELETE", .target = incident_path}, admin_user).status, 200);
  EXPECT_EQ(rig.call({.method = "DELETE", .target = incident_path}, admin_user).status, 404);

  const auto metrics = rig.call({.target = "/metrics"}, viewer_user);
  EXPECT_NE(metrics.body.find("recorder_exports_total "), std::string::npos);
  EXPECT_EQ(metrics.body.find("recorder_exports_total 0\n"), std::string::npos);
  const auto audit = rig.call({.target = "/api/v1/audit"}, admin_user).body;
  for (const char* action : {"\"export\"", "\"export-manifest\"", "\"protect\"", "\"unprotect\"", "\"list-recordings\""})
    EXPECT_NE(audit.find(std::string("\"action\":") + action), std::string::npos) << action;
  EXPECT_EQ(run_recorderctl(dir.path(), {"audit", "verify", "--config", rig.config().string()}, &output), 0) << output;
}

// Hostile and malformed requests: 4xx with a JSON error that says what was wrong, and the server lives on.
TEST(Retrieval, BadInputGetsClearErrorsAndNoHarm) {
  ScratchDir dir;
  ApiRig rig(dir, {.cameras = 1});
  struct Case {
    std::string target;
    int status;
    std::string says;
  };
  const std::string day = rfc3339(std::chrono::system_clock::now() - 1h);
  const std::string later = rfc3339(std::chrono::system_clock::now() - 30min);
  const std::vector<Case> cases = {
      {"/api/v1/cameras/door-1/recordings?from=yesterday", 400, "'from' must be an RFC 3339 time"},
      {"/api/v1/cameras/door-1/recordings?from=2026-13-45T99:00:00Z", 400, "RFC 3339"},
      {"/api/v1/cameras/door-1/recordings?from=" + later + "&to=" + day, 400, "'from' must be before 'to'"},
      {"/api/v1/cameras/door-1/export.mp4?from=" + day, 400, "'from' and 'to' are required"},
      {"/api/v1/cameras/door-1/export.mp4?from=2020-01-01T00:00:00Z&to=2020-01-01T05:00:00Z", 400, "longer than the limit of 4 h"},
      {"/api/v1/cameras/door-1/export.mp4?from=2020-01-01T00:00:00Z&to=2020-01-01T00:05:00Z", 404, "no footage"},
      {"/api/v1/cameras/nobody/recordings", 404, "unknown camera 'nobody'"},
      {"/api/v1/cameras/..%2F..%2Fetc%2Fpasswd/recordings", 404, "unknown camera '../../etc/passwd'"},
      {"/api/v1/cameras/../../etc/passwd", 404, "no such endpoint"},
      {"/api/v1/cameras/door-1/recordings?from=%ZZ", 400, "malformed request target"},
      {"/api/v1/incidents/abc", 405, "not allowed"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.target);
    const auto answer = rig.call({.target = c.target}, admin_user);
    EXPECT_EQ(answer.status, c.status) << answer.body;
    EXPECT_NE(answer.body.find(c.says), std::string::npos) << answer.body;
    EXPECT_NE(json_of(answer).if_contains("error"), nullptr);
  }
  for (const auto& [body, says] : std::vector<std::pair<std::string, std::string>>{
           {"not json", "the body is not JSON"},
           {"[1,2]", "must be a JSON object"},
           {"{\"cameras\":[],\"from\":\"" + day + "\",\"to\":\"" + later + "\"}", "'cameras' is required"},
           {"{\"cameras\":[\"door-1\",\"door-1\"],\"from\":\"" + day + "\",\"to\":\"" + later + "\"}", "twice"},
           {"{\"cameras\":[\"door-1\"],\"from\":5,\"to\":\"" + later + "\"}", "'from' is required"},
           {"{\"cameras\":[\"door-1\"],\"from\":\"" + day + "\",\"to\":\"" + later + "\"}", "'reason' is required"}}) {
    SCOPED_TRACE(body);
    const auto answer = rig.call({.method = "POST", .target = "/api/v1/incidents", .body = body}, exporter_user);
    EXPECT_EQ(answer.status, 400) << answer.body;
    EXPECT_NE(answer.body.find(says), std::string::npos) << answer.body;
  }

  // A request delivered a byte at a time is answered; one cut off at every byte is not a crash.
  const std::string request = "GET /api/v1/cameras HTTP/1.1\r\nHost: r\r\nAuthorization: " +
                              basic_auth(viewer_user, password_of(viewer_user)) + "\r\nConnection: close\r\n\r\n";
  const auto slow = http_exchange("127.0.0.1", rig.port(), request, 1, 20s);
  EXPECT_EQ(status_of(slow), 200) << slow.substr(0, 300);
  EXPECT_NE(slow.find("\"id\":\"door-1\""), std::string::npos);
  for (std::size_t cut = 0; cut < request.size(); ++cut) http_exchange("127.0.0.1", rig.port(), request.substr(0, cut), 0, 20ms);
  const auto junk_credentials =
      http_exchange("127.0.0.1", rig.port(), "GET /api/v1/cameras HTTP/1.1\r\nHost: r\r\nAuthorization: Basic !!*\r\n\r\n");
  EXPECT_EQ(status_of(junk_credentials), 401) << junk_credentials.substr(0, 300);
  EXPECT_NE(junk_credentials.find("malformed Basic credentials"), std::string::npos);
  const auto control_bytes =
      http_exchange("127.0.0.1", rig.port(), "GET /api/v1/cameras HTTP/1.1\r\nHost: r\r\nAuthorization: \x01\x02\r\n\r\n");
  EXPECT_EQ(status_of(control_bytes), 400) << control_bytes.substr(0, 300);
  EXPECT_TRUE(rig.recorder().running());
  EXPECT_EQ(rig.call({.target = "/api/v1/cameras"}, viewer_user).status, 200) << "still serving";
}
