#pragma once
// Reading and validating the `network:` block: the camera segment the recorder's firewall isolates.

#include <vector>

#include "recorder/config/config_reader.h"

namespace recorder::config {

NetworkConfig read_network(const ConfigNode& node);

// Fails (naming the camera's url key) when a camera whose URL host is an address lies outside the camera
// subnets: the firewall would otherwise cut the recorder off from it, or let it out.
void check_cameras_in_segment(const ConfigNode& cameras_node, const std::vector<CameraConfig>& cameras,
                              const NetworkConfig& network);

// The host part of a camera URL ("192.0.2.10", "2001:db8::10" without brackets, or a name).
std::string url_host(const std::string& url);
// The port of a camera URL, or the scheme's default (554 for rtsp, 322 for rtsps).
int url_port(const std::string& url);
// True when `address` (an IPv4 or IPv6 address) lies in `prefix` ("192.0.2.0/24", "2001:db8::/64").
bool address_in_prefix(const std::string& address, const std::string& prefix);

}  // namespace recorder::config
