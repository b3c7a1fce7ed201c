#include "recorder/api/status_file.h"

#include <boost/json.hpp>
#include <fstream>
#include <sstream>

#include "recorder/core/error.h"

namespace recorder::api {
namespace json = boost::json;

std::filesystem::path status_file_in(const std::filesystem::path& storage) { return storage / status_file_name; }

std::string to_json(const StatusFile& file) {
  const StatusSnapshot& s = file.status;
  json::array cameras;
  for (const auto& c : s.cameras) {
    json::object camera{{"id", c.id}, {"state", c.state}, {"reconnects", c.reconnects}, {"failure", c.failure}};
    if (c.seconds_since_segment) camera["seconds_since_segment"] = *c.seconds_since_segment;
    cameras.push_back(std::move(camera));
  }
  json::array reasons;
  for (const auto& reason : s.health_reasons) reasons.push_back(json::string(reason));
  json::object status{{"health", s.health},
                      {"health_reasons", std::move(reasons)},
                      {"cameras", std::move(cameras)},
                      {"storage_present", s.storage_present},
                      {"storage_checked", s.storage_checked},
                      {"storage_free_bytes", s.storage_free_bytes},
                      {"storage_capacity_bytes", s.storage_capacity_bytes},
                      {"storage_floor_bytes", s.storage_floor_bytes},
                      {"storage_alarm", s.storage_alarm},
                      {"firewall_problem", s.firewall_problem},
                      {"firewall_drift_repairs", s.firewall_drift_repairs},
                      {"firewall_guarded", s.firewall_guarded},
                      {"drop_monitor_problem", s.drop_monitor_problem}};
  if (s.firewall_applied) status["firewall_applied"] = *s.firewall_applied;
  if (s.clock_synchronised) status["clock_synchronised"] = *s.clock_synchronised;
  json::object root{{"written_at", format_rfc3339(file.written_at)},
                    {"written_at_unix", to_unix_seconds(file.written_at)},
                    {"pid", file.pid},
                    {"summary", file.summary},
                    {"status", std::move(status)}};
  return json::serialize(root) + "\n";
}

namespace {

const json::value& field(const json::object& object, const char* name) {
  const auto* value = object.if_contains(name);
  if (value == nullptr) throw Error(ErrorKind::DataLoss, std::string("the status file has no '") + name + "'");
  return *value;
}

}  // namespace

StatusFile status_file_from_json(const std::string& text) {
  try {
    const json::object root = json::parse(text).as_object();
    StatusFile file;
    file.written_at = from_unix_seconds(field(root, "written_at_unix").to_number<double>());
    file.pid = field(root, "pid").to_number<long>();
    file.summary = json::value_to<std::string>(field(root, "summary"));
    const json::object& s = field(root, "status").as_object();
    StatusSnapshot& status = file.status;
    status.health = json::value_to<std::string>(field(s, "health"));
    for (const auto& reason : field(s, "health_reasons").as_array()) status.health_reasons.push_back(json::value_to<std::string>(reason));
    for (const auto& item : field(s, "cameras").as_array()) {
      const json::object& c = item.as_object();
      CameraStatus camera;
      camera.id = json::value_to<std::string>(field(c, "id"));
      camera.state = json::value_to<std::string>(field(c, "state"));
      camera.reconnects = field(c, "reconnects").to_number<std::int64_t>();
      camera.failure = json::value_to<std::string>(field(c, "failure"));
      if (const auto* since = c.if_contains("seconds_since_segment")) camera.seconds_since_segment = since->to_number<double>();
      status.cameras.push_back(std::move(camera));
    }
    status.storage_present = field(s, "storage_present").as_bool();
    status.storage_checked = field(s, "storage_checked").as_bool();
    status.storage_free_bytes = field(s, "storage_free_bytes").to_number<std::uint64_t>();
    status.storage_capacity_bytes = field(s, "storage_capacity_bytes").to_number<std::uint64_t>();
    status.storage_floor_bytes = field(s, "storage_floor_bytes").to_number<std::uint64_t>();
    status.storage_alarm = field(s, "storage_alarm").as_bool();
    status.firewall_problem = json::value_to<std::string>(field(s, "firewall_problem"));
    status.firewall_drift_repairs = field(s, "firewall_drift_repairs").to_number<int>();
    if (const auto* guarded = s.if_contains("firewall_guarded")) status.firewall_guarded = guarded->as_bool();
    status.drop_monitor_problem = json::value_to<std::string>(field(s, "drop_monitor_problem"));
    if (const auto* applied = s.if_contains("firewall_applied")) status.firewall_applied = applied->as_bool();
    if (const auto* synced = s.if_contains("clock_synchronised")) status.clock_synchronised = synced->as_bool();
    return file;
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    throw Error(ErrorKind::DataLoss, std::string("the status file is not what the recorder writes: ") + e.what());
  }
}

void write_status_file(const std::filesystem::path& storage, const StatusFile& file) {
  const auto target = status_file_in(storage);
  auto temporary = target;
  temporary += ".new";
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << to_json(file);
    if (!out.flush()) throw Error(ErrorKind::Unavailable, "cannot write " + temporary.string());
  }
  std::filesystem::rename(temporary, target);
}

std::optional<StatusFile> read_status_file(const std::filesystem::path& storage) {
  std::ifstream in(status_file_in(storage));
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return status_file_from_json(text.str());
}

}  // namespace recorder::api
