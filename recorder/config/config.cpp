#include "recorder/config/config.h"

#include <boost/asio/ip/address.hpp>
#include <fmt/format.h>
#include <fstream>
#include <sstream>
#include <yaml-cpp/yaml.h>

#include "recorder/config/camera_config.h"
#include "recorder/config/config_reader.h"
#include "recorder/config/network_config.h"
#include "recorder/core/logging.h"

namespace recorder::config {
namespace {

RetentionConfig read_retention(const ConfigNode& node) {
  node.expect_map_with_keys({"max_age_days", "min_free_percent", "min_free_bytes", "max_protected_percent",
                             "check_seconds"});
  RetentionConfig retention;
  if (auto days = node.optional_child("max_age_days")) retention.max_age_days = static_cast<int>(days->as_integer(1, 3650));
  if (auto percent = node.optional_child("min_free_percent"))
    retention.min_free_percent = static_cast<int>(percent->as_integer(0, 90));
  if (auto bytes = node.optional_child("min_free_bytes")) retention.min_free_bytes = bytes->as_byte_size();
  if (auto percent = node.optional_child("max_protected_percent"))
    retention.max_protected_percent = static_cast<int>(percent->as_integer(0, 100));
  if (auto seconds = node.optional_child("check_seconds"))
    retention.check_seconds = static_cast<int>(seconds->as_integer(1, 3600));
  return retention;
}

StorageConfig read_storage(const ConfigNode& node) {
  node.expect_map_with_keys({"path", "segment_seconds", "retention"});
  StorageConfig storage;
  const ConfigNode path = node.child("path");
  storage.path = path.as_string();
  if (storage.path.empty()) path.fail("must not be empty");
  if (storage.path.is_relative()) path.fail("must be an absolute path");
  if (auto seconds = node.optional_child("segment_seconds"))
    storage.segment_seconds = static_cast<int>(seconds->as_integer(2, 3600));
  if (auto retention = node.optional_child("retention")) storage.retention = read_retention(*retention);
  return storage;
}

std::filesystem::path read_path(const ConfigNode& node, const std::filesystem::path& relative_to) {
  std::filesystem::path path = node.as_string();
  if (path.empty()) node.fail("must not be empty");
  if (path.is_relative() && !relative_to.empty()) path = relative_to / path;
  return path;
}

TlsConfig read_tls(const ConfigNode& node, const std::filesystem::path& relative_to) {
  node.expect_map_with_keys({"cert", "key"});
  return TlsConfig{read_path(node.child("cert"), relative_to), read_path(node.child("key"), relative_to)};
}

ApiConfig read_api(const ConfigNode& node, const std::filesystem::path& relative_to) {
  node.expect_map_with_keys(
      {"listen", "insecure_http", "tls", "users_file", "signing_key", "token_seconds", "max_export_minutes"});
  ApiConfig api;
  const ConfigNode listen = node.child("listen");
  const std::string text = listen.as_string();
  const auto colon = text.rfind(':');
  if (colon == std::string::npos) listen.fail(fmt::format("must be ADDRESS:PORT, e.g. 127.0.0.1:8443, not '{}'", text));
  std::string host = text.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  boost::system::error_code error;
  boost::asio::ip::make_address(host, error);
  if (error) listen.fail(fmt::format("'{}' is not an IP address (the API binds to one interface's address)", host));
  api.listen_address = host;
  const std::string port = text.substr(colon + 1);
  if (port.empty() || port.find_first_not_of("0123456789") != std::string::npos || port.size() > 5 ||
      std::stoi(port) > 65535)
    listen.fail(fmt::format("'{}' is not a port number", port));
  api.listen_port = std::stoi(port);
  if (auto insecure = node.optional_child("insecure_http")) api.insecure_http = insecure->as_bool();
  if (auto tls = node.optional_child("tls")) {
    if (api.insecure_http) tls->fail("give either 'tls' or 'insecure_http: true', not both");
    api.tls = read_tls(*tls, relative_to);
  }
  if (!api.insecure_http && !api.tls)
    node.fail("needs 'tls' (cert and key; `recorderctl tls init` makes a pair), or 'insecure_http: true' to serve "
              "plain HTTP on a closed test network");
  if (auto users = node.optional_child("users_file")) api.users_file = read_path(*users, relative_to);
  if (auto key = node.optional_child("signing_key")) api.signing_key = read_path(*key, relative_to);
  if (auto seconds = node.optional_child("token_seconds")) api.token_seconds = static_cast<int>(seconds->as_integer(1, 86400));
  if (auto minutes = node.optional_child("max_export_minutes"))
    api.max_export_minutes = static_cast<int>(minutes->as_integer(1, 24 * 60));
  return api;
}

}  // namespace

std::uint64_t free_space_floor(const RetentionConfig& retention, std::uint64_t capacity) {
  return std::max<std::uint64_t>(retention.min_free_bytes, capacity / 100 * static_cast<std::uint64_t>(retention.min_free_percent));
}

Config parse_config(const std::string& yaml_text, const std::string& origin,
                    const std::filesystem::path& relative_to, CameraSecrets secrets) {
  YAML::Node document;
  try {
    document = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    throw ConfigError(fmt::format("{}:{}: not valid YAML: {}", origin, e.mark.line + 1, e.msg));
  }
  const ConfigNode root(document, "", origin);
  root.expect_map_with_keys({"storage", "cameras", "network", "api", "log_level"});

  Config config;
  config.storage = read_storage(root.child("storage"));
  config.cameras = read_cameras(root.child("cameras"), relative_to, secrets);
  if (auto network = root.optional_child("network")) {
    config.network = read_network(*network);
    check_cameras_in_segment(root.child("cameras"), config.cameras, *config.network);
  }
  if (auto api = root.optional_child("api")) config.api = read_api(*api, relative_to);
  if (auto level = root.optional_child("log_level")) {
    config.log_level = level->as_string();
    static const char* const levels[] = {"trace", "debug", "info", "warning", "error", "critical", "off"};
    if (std::find(std::begin(levels), std::end(levels), config.log_level) == std::end(levels))
      level->fail(fmt::format("must be one of trace, debug, info, warning, error, critical, off; not '{}'",
                              config.log_level));
  }
  return config;
}

Config load_config(const std::filesystem::path& file, CameraSecrets secrets) {
  std::ifstream in(file);
  if (!in) throw ConfigError(fmt::format("{}: cannot open configuration file", file.string()));
  std::ostringstream text;
  text << in.rdbuf();
  return parse_config(text.str(), file.string(), file.parent_path(), secrets);
}

}  // namespace recorder::config
