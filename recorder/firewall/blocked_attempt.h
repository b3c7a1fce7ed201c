#pragma once
// What a dropped packet tells: which camera, and what it tried to reach. Parsed from the nflog prefix
// the ruleset wrote and from the packet's IP header.

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace recorder::firewall {

struct BlockedPacket {
  std::string camera_id;               // from the log prefix ("unknown", "recorder-out", "inbound" too)
  std::string protocol;                // tcp, udp, icmp, icmpv6, or the protocol number
  std::string destination;             // IPv4 or IPv6 address
  std::optional<int> destination_port; // TCP/UDP port, or the ICMP type
  std::string source_mac;              // "aa:bb:cc:dd:ee:ff" when the log carried the link-layer source
};

// Which camera owns a link-layer address, from the kernel's ARP table (/proc/net/arp format) and the
// cameras' IPv4 addresses: how IPv6 link-local traffic (router advertisements) is attributed. Empty when
// no camera, or more than one, has that address.
std::string camera_by_mac(const std::string& mac, const std::string& arp_table,
                          const std::map<std::string, std::string>& camera_by_ipv4);

// Parses an nflog prefix of the recorder's ruleset ("obr c01-door-1a: ") and the packet (starting at
// its IP header). nullopt for a prefix that is not ours or a packet too short to read.
std::optional<BlockedPacket> parse_blocked_packet(const std::string& prefix, const std::uint8_t* packet, std::size_t size);

}  // namespace recorder::firewall
