#include "recorder/firewall/ruleset_renderer.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <set>

namespace recorder::firewall {
namespace {

bool is_v6(const std::string& address_or_prefix) { return address_or_prefix.find(':') != std::string::npos; }

// "{ a, b }" of the quoted strings, or of the values as they are.
std::string set_of(const std::vector<std::string>& values, bool quoted) {
  std::vector<std::string> items;
  for (const auto& v : values) items.push_back(quoted ? "\"" + v + "\"" : v);
  return "{ " + fmt::format("{}", fmt::join(items, ", ")) + " }";
}

std::vector<std::string> only(const std::vector<std::string>& values, bool v6) {
  std::vector<std::string> result;
  for (const auto& v : values)
    if (is_v6(v) == v6) result.push_back(v);
  return result;
}

struct Writer {
  std::string text;
  void line(const std::string& l, int indent = 1) {
    text += (l.empty() ? "" : std::string(static_cast<std::size_t>(indent), '\t') + l) + "\n";
  }
};

}  // namespace

std::string camera_counter_name(std::size_t index) { return fmt::format("camera_{}_blocked", index + 1); }

std::string render_ruleset(const FirewallPlan& plan) {
  const auto& net = plan.network;
  const std::string interfaces = set_of(net.camera_interfaces, true);
  const std::string group = std::to_string(net.log_group);
  std::vector<std::string> camera_addresses;
  std::set<int> rtsp_ports;
  for (const auto& camera : plan.cameras) {
    camera_addresses.push_back(camera.address);
    rtsp_ports.insert(camera.rtsp_port);
  }
  std::vector<std::string> ports;
  for (int port : rtsp_ports) ports.push_back(std::to_string(port));

  Writer w;
  w.text = fmt::format(
      "# Onboard recorder: camera segment isolation. Generated from the configuration by the recorder;\n"
      "# do not edit (recorderctl firewall show prints it, docs/firewall.md explains it).\n"
      "table {0} {1}\ndelete table {0} {1}\ntable {0} {1} {{\n",
      table_family, table_name);

  // Counters: one per camera, so that every drop is attributed even without the log.
  for (std::size_t i = 0; i < plan.cameras.size(); ++i)
    w.line(fmt::format("counter {} {{ comment \"{}\" }}", camera_counter_name(i), plan.cameras[i].id));
  w.line("counter unknown_source_blocked { comment \"from the camera segment, not a configured camera\" }");
  w.line("counter recorder_out_blocked { comment \"from the recorder to the camera segment, not RTSP/RTP\" }");
  w.line("counter inbound_blocked { comment \"from another network to the camera segment\" }");
  w.line("");

  // Address sets, per family; an empty family gets no set.
  for (const bool v6 : {false, true}) {
    const char* type = v6 ? "ipv6_addr" : "ipv4_addr";
    const char* suffix = v6 ? "v6" : "v4";
    const auto recorder = only(net.recorder_addresses, v6);
    const auto cameras = only(camera_addresses, v6);
    if (!recorder.empty()) w.line(fmt::format("set recorder_{} {{ type {}; elements = {} }}", suffix, type, set_of(recorder, false)));
    if (!cameras.empty()) w.line(fmt::format("set cameras_{} {{ type {}; elements = {} }}", suffix, type, set_of(cameras, false)));
  }
  w.line("");

  // Everything that enters from the camera segment, before routing: cameras reach the recorder's RTSP
  // client (replies) and the services it offers, nothing else; multicast and broadcast included.
  w.line("chain from_cameras {");
  w.line("type filter hook prerouting priority filter; policy accept;", 2);
  w.line(fmt::format("iifname != {} accept comment \"only the camera segment is filtered here\"", interfaces), 2);
  w.line("ct state established,related accept comment \"replies to the recorder's RTSP, RTP and RTCP\"", 2);
  w.line("ct state invalid drop", 2);
  w.line("icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } accept comment \"IPv6 neighbour discovery\"", 2);
  for (const bool v6 : {false, true}) {
    if (only(net.recorder_addresses, v6).empty()) continue;
    const std::string match = fmt::format("{} daddr @recorder_{}", v6 ? "ip6" : "ip", v6 ? "v6" : "v4");
    if (net.serve_ntp) w.line(match + " udp dport 123 accept comment \"network.serve_ntp\"", 2);
    if (net.serve_dhcp && !v6) w.line(match + " udp dport 67 accept comment \"network.serve_dhcp\"", 2);
  }
  if (net.serve_dhcp && !only(net.recorder_addresses, false).empty())
    w.line("ip daddr 255.255.255.255 udp sport 68 udp dport 67 accept comment \"DHCP requests are broadcast\"", 2);
  for (std::size_t i = 0; i < plan.cameras.size(); ++i) {
    const auto& camera = plan.cameras[i];
    w.line(fmt::format("{} saddr {} log prefix \"{}{}: \" group {} counter name {} drop", is_v6(camera.address) ? "ip6" : "ip",
                       camera.address, log_prefix_start, camera.id, group, camera_counter_name(i)),
           2);
  }
  w.line(fmt::format("log prefix \"{}unknown: \" group {} counter name unknown_source_blocked drop", log_prefix_start, group), 2);
  w.line("}");
  w.line("");

  // Other networks never reach the cameras through the recorder.
  w.line("chain to_cameras {");
  w.line("type filter hook forward priority filter; policy accept;", 2);
  w.line(fmt::format("oifname {} log prefix \"{}inbound: \" group {} counter name inbound_blocked drop", interfaces,
                     log_prefix_start, group),
         2);
  w.line("}");
  w.line("");

  // What the recorder itself sends into the camera segment: RTSP to the cameras, the RTP/RTCP of its
  // UDP sessions, and the answers of the services it offers.
  w.line("chain recorder_to_cameras {");
  w.line("type filter hook output priority filter; policy accept;", 2);
  w.line(fmt::format("oifname != {} accept", interfaces), 2);
  w.line("ct state established,related accept", 2);
  w.line("icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert, nd-router-solicit } accept", 2);
  for (const bool v6 : {false, true}) {
    if (only(camera_addresses, v6).empty()) continue;
    const std::string match = fmt::format("{} daddr @cameras_{}", v6 ? "ip6" : "ip", v6 ? "v6" : "v4");
    w.line(match + " tcp dport " + set_of(ports, false) + " accept comment \"RTSP to the cameras\"", 2);
    w.line(match + " meta l4proto udp accept comment \"RTP/RTCP of the recorder's UDP sessions\"", 2);
  }
  if (net.serve_dhcp) w.line("udp sport 67 udp dport 68 accept comment \"DHCP answers\"", 2);
  w.line(fmt::format("log prefix \"{}recorder-out: \" group {} counter name recorder_out_blocked drop", log_prefix_start, group), 2);
  w.line("}");
  w.text += "}\n";
  return w.text;
}

}  // namespace recorder::firewall
