#include "recorder/firewall/blocked_attempt.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sstream>
#include <strings.h>

#include "recorder/firewall/ruleset_renderer.h"

namespace recorder::firewall {
namespace {

int read16(const std::uint8_t* p) { return (p[0] << 8) | p[1]; }

// Fills protocol and port from the transport header at `l4` (of `size` bytes).
void read_transport(int protocol, const std::uint8_t* l4, std::size_t size, BlockedPacket& packet) {
  switch (protocol) {
    case IPPROTO_TCP: packet.protocol = "tcp"; break;
    case IPPROTO_UDP: packet.protocol = "udp"; break;
    case IPPROTO_ICMP: packet.protocol = "icmp"; break;
    case IPPROTO_ICMPV6: packet.protocol = "icmpv6"; break;
    default: packet.protocol = std::to_string(protocol); return;
  }
  if (protocol == IPPROTO_ICMP || protocol == IPPROTO_ICMPV6) {
    if (size >= 1) packet.destination_port = l4[0];  // the ICMP type says what it was (134: router advertisement)
  } else if (size >= 4) {
    packet.destination_port = read16(l4 + 2);
  }
}

}  // namespace

std::optional<BlockedPacket> parse_blocked_packet(const std::string& prefix, const std::uint8_t* data, std::size_t size) {
  const std::string start = log_prefix_start;
  if (prefix.compare(0, start.size(), start) != 0) return std::nullopt;
  const auto colon = prefix.find(':', start.size());
  if (colon == std::string::npos || size < 1) return std::nullopt;
  BlockedPacket packet;
  packet.camera_id = prefix.substr(start.size(), colon - start.size());

  const int version = data[0] >> 4;
  char text[INET6_ADDRSTRLEN] = {};
  if (version == 4) {
    if (size < 20) return std::nullopt;
    const std::size_t header = static_cast<std::size_t>(data[0] & 0x0f) * 4;
    if (header < 20 || header > size) return std::nullopt;
    inet_ntop(AF_INET, data + 16, text, sizeof text);
    packet.destination = text;
    read_transport(data[9], data + header, size - header, packet);
    return packet;
  }
  if (version == 6) {
    if (size < 40) return std::nullopt;
    inet_ntop(AF_INET6, data + 24, text, sizeof text);
    packet.destination = text;
    // Skip the extension headers cameras use (hop-by-hop carries multicast listener reports).
    int next = data[6];
    std::size_t offset = 40;
    while ((next == IPPROTO_HOPOPTS || next == IPPROTO_ROUTING || next == IPPROTO_DSTOPTS) && offset + 8 <= size) {
      const int following = data[offset];
      offset += (static_cast<std::size_t>(data[offset + 1]) + 1) * 8;
      next = following;
    }
    if (offset > size) offset = size;
    read_transport(next, data + offset, size - offset, packet);
    return packet;
  }
  return std::nullopt;
}

std::string camera_by_mac(const std::string& mac, const std::string& arp_table,
                          const std::map<std::string, std::string>& camera_by_ipv4) {
  // Lines: "IP address  HW type  Flags  HW address  Mask  Device", after one heading line.
  std::istringstream lines(arp_table);
  std::string line;
  std::getline(lines, line);
  std::string owner;
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    std::string address, type, flags, hw;
    if (!(fields >> address >> type >> flags >> hw) || strcasecmp(hw.c_str(), mac.c_str()) != 0) continue;
    const auto camera = camera_by_ipv4.find(address);
    if (camera == camera_by_ipv4.end()) continue;
    if (!owner.empty() && owner != camera->second) return "";  // shared by two cameras: do not guess
    owner = camera->second;
  }
  return owner;
}

}  // namespace recorder::firewall
