#include "recorder/config/network_config.h"

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/network_v4.hpp>
#include <boost/asio/ip/network_v6.hpp>
#include <boost/url/parse.hpp>
#include <fmt/format.h>

namespace recorder::config {
namespace {

namespace ip = boost::asio::ip;

std::vector<std::string> read_list(const ConfigNode& node) {
  if (!node.is_sequence()) node.fail("must be a list, e.g. [a, b]");
  if (node.size() == 0) node.fail("must not be empty");
  std::vector<std::string> values;
  for (std::size_t i = 0; i < node.size(); ++i) values.push_back(node.element(i).as_string());
  return values;
}

bool is_interface_name(const std::string& name) {
  // The kernel's limit is 15 characters; nftables matches names as strings, so keep them plain.
  if (name.empty() || name.size() > 15) return false;
  for (char c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' || c == '@')) return false;
  return true;
}

// Normalises "192.0.2.7/24" to "192.0.2.0/24"; nullopt when it is not a prefix.
std::optional<std::string> normalise_prefix(const std::string& text) {
  boost::system::error_code error;
  if (text.find(':') == std::string::npos) {
    const auto network = ip::make_network_v4(text, error);
    if (!error) return network.canonical().to_string();
  } else {
    const auto network = ip::make_network_v6(text, error);
    if (!error) return network.canonical().to_string();
  }
  return std::nullopt;
}

}  // namespace

std::string url_host(const std::string& url) {
  const auto parsed = boost::urls::parse_uri(url);
  if (!parsed) return "";
  std::string host = parsed->host();
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  return host;
}

int url_port(const std::string& url) {
  const auto parsed = boost::urls::parse_uri(url);
  if (!parsed) return 0;
  // No port, or an empty one ("rtsp://host:/x"): GStreamer's RTSP client connects to 554 for rtsp and
  // rtsps alike, and the firewall must open exactly the port the recorder uses.
  if (!parsed->has_port() || parsed->port().empty()) return 554;
  return parsed->port_number();
}

bool address_in_prefix(const std::string& address, const std::string& prefix) {
  boost::system::error_code error;
  const auto host = ip::make_address(address, error);
  if (error) return false;
  if (host.is_v4() && prefix.find(':') == std::string::npos) {
    const auto network = ip::make_network_v4(prefix, error);
    return !error && ip::make_network_v4(host.to_v4(), network.prefix_length()).canonical() == network.canonical();
  }
  if (host.is_v6() && prefix.find(':') != std::string::npos) {
    const auto network = ip::make_network_v6(prefix, error);
    return !error && ip::make_network_v6(host.to_v6(), network.prefix_length()).canonical() == network.canonical();
  }
  return false;
}

NetworkConfig read_network(const ConfigNode& node) {
  node.expect_map_with_keys({"camera_interfaces", "camera_subnets", "recorder_addresses", "serve_ntp", "serve_dhcp",
                             "log_group", "verify_seconds", "drop_log_socket", "guard_result_file"});
  NetworkConfig network;
  const ConfigNode interfaces = node.child("camera_interfaces");
  for (const auto& name : read_list(interfaces)) {
    if (!is_interface_name(name)) interfaces.fail(fmt::format("'{}' is not an interface name", name));
    network.camera_interfaces.push_back(name);
  }
  const ConfigNode subnets = node.child("camera_subnets");
  for (const auto& text : read_list(subnets)) {
    const auto prefix = normalise_prefix(text);
    if (!prefix) subnets.fail(fmt::format("'{}' is not an IPv4 or IPv6 prefix such as 192.0.2.0/24", text));
    network.camera_subnets.push_back(*prefix);
  }
  const ConfigNode addresses = node.child("recorder_addresses");
  for (const auto& text : read_list(addresses)) {
    boost::system::error_code error;
    const auto address = ip::make_address(text, error);
    if (error) addresses.fail(fmt::format("'{}' is not an IPv4 or IPv6 address", text));
    network.recorder_addresses.push_back(address.to_string());
  }
  if (auto ntp = node.optional_child("serve_ntp")) network.serve_ntp = ntp->as_bool();
  if (auto dhcp = node.optional_child("serve_dhcp")) network.serve_dhcp = dhcp->as_bool();
  if (auto group = node.optional_child("log_group")) network.log_group = static_cast<int>(group->as_integer(0, 65535));
  if (auto seconds = node.optional_child("verify_seconds"))
    network.verify_seconds = static_cast<int>(seconds->as_integer(1, 3600));
  for (auto [key, path] : {std::pair{"drop_log_socket", &network.drop_log_socket},
                           std::pair{"guard_result_file", &network.guard_result_file}}) {
    const auto node_of_path = node.optional_child(key);
    if (!node_of_path) continue;
    *path = node_of_path->as_string();
    // Both are shared with systemd units and root-run commands: never relative to a working directory.
    if (path->empty() || path->is_relative()) node_of_path->fail("must be an absolute path");
  }
  return network;
}

void check_cameras_in_segment(const ConfigNode& cameras_node, const std::vector<CameraConfig>& cameras,
                              const NetworkConfig& network) {
  for (std::size_t i = 0; i < cameras.size(); ++i) {
    const std::string host = url_host(cameras[i].url);
    boost::system::error_code error;
    ip::make_address(host, error);
    if (error) continue;  // a name: resolved and checked when the firewall is built
    bool inside = false;
    for (const auto& prefix : network.camera_subnets) inside = inside || address_in_prefix(host, prefix);
    if (!inside)
      cameras_node.element(i).child("url").fail(
          fmt::format("camera address {} is outside network.camera_subnets", host));
  }
}

}  // namespace recorder::config
