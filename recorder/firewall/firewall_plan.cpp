#include "recorder/firewall/firewall_plan.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <netdb.h>

#include "recorder/config/network_config.h"
#include "recorder/core/logging.h"

namespace recorder::firewall {

std::vector<std::string> resolve_with_getaddrinfo(const std::string& host) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  std::vector<std::string> addresses;
  if (getaddrinfo(host.c_str(), nullptr, &hints, &found) != 0) return addresses;
  for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
    char text[INET6_ADDRSTRLEN] = {};
    const void* raw = a->ai_family == AF_INET ? static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(a->ai_addr)->sin_addr)
                                              : static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(a->ai_addr)->sin6_addr);
    if (inet_ntop(a->ai_family, raw, text, sizeof text) != nullptr) addresses.emplace_back(text);
  }
  freeaddrinfo(found);
  return addresses;
}

FirewallPlan plan_firewall(const config::Config& config, const Resolver& resolve) {
  if (!config.network) throw Error(ErrorKind::InvalidArgument, "the configuration has no network: block");
  FirewallPlan plan;
  plan.network = *config.network;
  for (const auto& camera : config.cameras) {
    const std::string host = config::url_host(camera.url);
    std::vector<std::string> addresses = {host};
    if (!config::address_in_prefix(host, "0.0.0.0/0") && !config::address_in_prefix(host, "::/0")) {
      addresses = resolve(host);
      if (addresses.empty())
        throw Error(ErrorKind::NotFound, fmt::format("camera {}: cannot resolve '{}' to attribute its traffic", camera.id, host));
      component_logger("firewall")->info("camera {}: {} resolves to {}", camera.id, host, fmt::join(addresses, ", "));
    }
    for (const auto& address : addresses) {
      bool inside = false;
      for (const auto& prefix : plan.network.camera_subnets) inside = inside || config::address_in_prefix(address, prefix);
      if (!inside)
        throw Error(ErrorKind::InvalidArgument,
                    fmt::format("camera {}: {} is outside network.camera_subnets", camera.id, address));
      plan.cameras.push_back({camera.id, address, config::url_port(camera.url)});
    }
  }
  return plan;
}

}  // namespace recorder::firewall
