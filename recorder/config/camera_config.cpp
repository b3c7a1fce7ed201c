#include "recorder/config/camera_config.h"

#include <boost/url/parse.hpp>
#include <fmt/format.h>
#include <fstream>
#include <set>
#include <sstream>

namespace recorder::config {
namespace {

void validate_url(const ConfigNode& node, const std::string& text) {
  auto parsed = boost::urls::parse_uri(text);
  if (!parsed) node.fail(fmt::format("is not a valid URL ({})", parsed.error().message()));
  const auto scheme = parsed->scheme();
  if (scheme != "rtsp" && scheme != "rtsps") node.fail(fmt::format("must be an rtsp:// or rtsps:// URL, not {}://", std::string(scheme)));
  if (parsed->host().empty()) node.fail("has no host");
  if (parsed->has_port() && !parsed->port().empty()) {
    const std::string port = parsed->port();
    const bool digits = port.size() <= 5 && port.find_first_not_of("0123456789") == std::string::npos;
    if (!digits || std::stoi(port) < 1 || std::stoi(port) > 65535)
      node.fail(fmt::format("port {} is not between 1 and 65535", port));
  }
  // A password inside the URL would end up in logs and process listings: keep it in its own key.
  if (parsed->has_password())
    node.fail("must not contain a password; use the camera's 'username' and 'password_file' keys");
}

Secret read_password_file(const ConfigNode& node, const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) node.fail(fmt::format("cannot read password file '{}'", file.string()));
  std::ostringstream content;
  content << in.rdbuf();
  if (in.bad()) node.fail(fmt::format("cannot read password file '{}'", file.string()));
  std::string password = content.str();
  // Editors add a final newline; it is never part of the password.
  while (!password.empty() && (password.back() == '\n' || password.back() == '\r')) password.pop_back();
  if (password.empty()) node.fail(fmt::format("password file '{}' is empty", file.string()));
  return Secret(std::move(password));
}

CameraConfig read_camera(const ConfigNode& node, const std::filesystem::path& relative_to, CameraSecrets secrets) {
  node.expect_map_with_keys(
      {"id", "url", "transport", "username", "password", "password_file", "car", "position", "max_bytes",
       "stall_buffer"});
  CameraConfig camera;

  const ConfigNode id = node.child("id");
  camera.id = id.as_string();
  if (!is_valid_camera_id(camera.id))
    id.fail(fmt::format("'{}' is not a valid camera id (1-64 letters, digits, '-' or '_')", camera.id));

  const ConfigNode url = node.child("url");
  camera.url = url.as_string();
  validate_url(url, camera.url);

  if (auto transport = node.optional_child("transport")) {
    const std::string value = transport->as_string();
    if (value == "tcp") camera.transport = Transport::Tcp;
    else if (value == "udp") camera.transport = Transport::Udp;
    else transport->fail(fmt::format("must be 'tcp' or 'udp', not '{}'", value));
  }

  if (auto username = node.optional_child("username")) camera.username = username->as_string();
  const auto password = node.optional_child("password");
  const auto password_file = node.optional_child("password_file");
  if (password && password_file) password_file->fail("give either 'password' or 'password_file', not both");
  if (password) camera.password = Secret(password->as_string());
  if (password_file && secrets == CameraSecrets::Read) {
    std::filesystem::path file = password_file->as_string();
    if (file.is_relative() && !relative_to.empty()) file = relative_to / file;
    camera.password = read_password_file(*password_file, file);
  }
  const bool password_given = !camera.password.empty() || (password_file && secrets == CameraSecrets::Skip);
  if (password_given && camera.username.empty())
    (password ? *password : *password_file).fail("a password needs a 'username' beside it");

  if (auto car = node.optional_child("car")) camera.car = static_cast<int>(car->as_integer(1, 99));
  if (auto position = node.optional_child("position")) camera.position = position->as_string();
  if (auto quota = node.optional_child("max_bytes")) camera.max_bytes = quota->as_byte_size();
  // Below a few frames every hiccup of the disk would cost frames; above, one camera could take the
  // memory of several.
  if (auto buffer = node.optional_child("stall_buffer")) {
    camera.stall_buffer = buffer->as_byte_size();
    if (*camera.stall_buffer < (256u << 10) || *camera.stall_buffer > (64u << 20))
      buffer->fail("must be between 256K and 64M");
  }
  return camera;
}

}  // namespace

bool is_valid_camera_id(const std::string& id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

std::vector<CameraConfig> read_cameras(const ConfigNode& cameras, const std::filesystem::path& relative_to,
                                       CameraSecrets secrets) {
  if (!cameras.is_sequence()) cameras.fail("must be a list of cameras");
  if (cameras.size() == 0) cameras.fail("must list at least one camera");
  std::vector<CameraConfig> result;
  std::set<std::string> seen;
  for (std::size_t i = 0; i < cameras.size(); ++i) {
    const ConfigNode node = cameras.element(i);
    CameraConfig camera = read_camera(node, relative_to, secrets);
    if (!seen.insert(camera.id).second)
      node.child("id").fail(fmt::format("duplicate camera id '{}'", camera.id));
    result.push_back(std::move(camera));
  }
  return result;
}

}  // namespace recorder::config
