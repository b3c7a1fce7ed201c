#pragma once
// What the firewall has to know: the camera segment (from network:) and each camera's address, its
// identity for attributing dropped packets. Building the plan resolves camera host names once.

#include <functional>
#include <string>
#include <vector>

#include "recorder/config/config.h"

namespace recorder::firewall {

struct FirewallCamera {
  std::string id;
  std::string address;  // IPv4 or IPv6, no brackets
  int rtsp_port = 554;
};

struct FirewallPlan {
  config::NetworkConfig network;
  std::vector<FirewallCamera> cameras;
};

// Resolves a host name to its addresses (the real one uses getaddrinfo); a test passes its own.
using Resolver = std::function<std::vector<std::string>(const std::string& host)>;
std::vector<std::string> resolve_with_getaddrinfo(const std::string& host);

// The plan for `config` (which must have a network: block). A camera whose name does not resolve, or
// resolves outside the camera subnets, is an error naming the camera.
FirewallPlan plan_firewall(const config::Config& config, const Resolver& resolve = resolve_with_getaddrinfo);

}  // namespace recorder::firewall
