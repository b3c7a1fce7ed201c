#include "phone_home.h"

#include <algorithm>
#include <arpa/inet.h>
#include <cerrno>
#include <chrono>
#include <ctime>
#include <ifaddrs.h>
#include <iostream>
#include <net/if.h>
#include <netdb.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <poll.h>
#include <random>
#include <resolv.h>
#include <set>
#include <sstream>
#include <stdexcept>
#include <system_error>
#include <unistd.h>

namespace camsim {
namespace {

// Long enough for a connection on a local segment, short enough that a dropped SYN does not stall a round.
constexpr int kConnectTimeoutMs = 300;

std::string error_text(int error) { return std::system_category().message(error); }

// Numeric addresses only: a camera that had to resolve a name would already be phoning home.
bool parse_endpoint(const std::string& host, int port, Endpoint& out) {
  addrinfo hints{};
  hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found) != 0) return false;
  std::copy_n(reinterpret_cast<const char*>(found->ai_addr), found->ai_addrlen,
              reinterpret_cast<char*>(&out.address));
  out.length = found->ai_addrlen;
  freeaddrinfo(found);
  const bool v6 = out.address.ss_family == AF_INET6;
  out.text = (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
  return true;
}

std::string random_uuid() {
  thread_local std::mt19937_64 random{std::random_device{}()};
  char text[37];
  const std::uint64_t a = random(), b = random();
  std::snprintf(text, sizeof text, "%08x-%04x-4%03x-%04x-%012llx", unsigned(a >> 32), unsigned(a >> 16) & 0xffff,
                unsigned(a) & 0xfff, unsigned(b >> 48 & 0x3fff) | 0x8000, (unsigned long long)(b & 0xffffffffffffULL));
  return text;
}

// --- What each behaviour sends. Shaped like what real cameras send; no vendor's exact format is needed for a
// firewall test, only the right ports and addresses and a plausible payload for anyone reading a capture.

std::vector<std::string> dns_queries() {
  // Vendor-cloud-like names under .example, which is reserved and never resolves for real.
  static const char* const names[] = {"dev.hik-connect.example", "p2p.easy4ip.example", "time.vendor-cloud.example"};
  std::vector<std::string> queries;
  for (const char* name : names) {
    unsigned char query[512];
    const int length = res_mkquery(ns_o_query, name, ns_c_in, ns_t_a, nullptr, 0, nullptr, query, sizeof query);
    if (length > 0) queries.emplace_back(reinterpret_cast<const char*>(query), length);
  }
  return queries;
}

std::vector<std::string> ntp_request() {
  std::string packet(48, '\0');
  packet[0] = 0x23;  // leap indicator 0, version 4, mode 3 (client)
  // Clients put their clock in the transmit time stamp (seconds since 1900); servers echo it back.
  const std::uint32_t seconds = static_cast<std::uint32_t>(std::time(nullptr) + 2208988800LL);
  for (int i = 0; i < 4; ++i) packet[40 + i] = static_cast<char>(seconds >> (24 - 8 * i));
  return {packet};
}

std::vector<std::string> p2p_hello() { return {"P2P-REGISTER serial=CAMSIM0001 nat=unknown\n"}; }

std::vector<std::string> ssdp_search() {
  return {"M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: \"ssdp:discover\"\r\nMX: 1\r\n"
          "ST: ssdp:all\r\n\r\n"};
}

std::vector<std::string> ws_discovery_probe() {
  return {"<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
          "<e:Envelope xmlns:e=\"http://www.w3.org/2003/05/soap-envelope\""
          " xmlns:w=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\""
          " xmlns:d=\"http://schemas.xmlsoap.org/ws/2005/04/discovery\""
          " xmlns:dn=\"http://www.onvif.org/ver10/network/wsdl\">"
          "<e:Header><w:MessageID>uuid:" + random_uuid() + "</w:MessageID>"
          "<w:To>urn:schemas-xmlsoap-org:ws:2005:04:discovery</w:To>"
          "<w:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe</w:Action></e:Header>"
          "<e:Body><d:Probe><d:Types>dn:NetworkVideoTransmitter</d:Types></d:Probe></e:Body></e:Envelope>"};
}

std::vector<std::string> sadp_inquiry() {
  return {"<?xml version=\"1.0\" encoding=\"utf-8\"?><Probe><Uuid>" + random_uuid() +
          "</Uuid><Types>inquiry</Types></Probe>"};
}

std::vector<std::string> dhip_search() {
  // A 32-byte header carrying the "DHIP" magic and the body's length, then a JSON body.
  const std::string body = R"({"method":"DHDiscover.search","params":{"mac":"","uni":1}})";
  std::string packet(32, '\0');
  packet[0] = 0x20;
  packet.replace(4, 4, "DHIP");
  for (int i = 0; i < 4; ++i) packet[16 + i] = packet[24 + i] = static_cast<char>(body.size() >> (8 * i));
  return {packet + body};
}

std::vector<std::string> broadcast_discover() { return {"DISCOVER camsim model=SIM-1 serial=CAMSIM0001\n"}; }

// A rogue router advertisement: a default route and a prefix for hosts to configure addresses from.
std::string router_advertisement() {
  nd_router_advert advert{};
  advert.nd_ra_type = ND_ROUTER_ADVERT;
  advert.nd_ra_code = 0;
  advert.nd_ra_curhoplimit = 64;
  advert.nd_ra_router_lifetime = htons(1800);
  nd_opt_prefix_info prefix{};
  prefix.nd_opt_pi_type = ND_OPT_PREFIX_INFORMATION;
  prefix.nd_opt_pi_len = sizeof prefix / 8;
  prefix.nd_opt_pi_prefix_len = 64;
  prefix.nd_opt_pi_flags_reserved = ND_OPT_PI_FLAG_ONLINK | ND_OPT_PI_FLAG_AUTO;
  prefix.nd_opt_pi_valid_time = htonl(86400);
  prefix.nd_opt_pi_preferred_time = htonl(14400);
  inet_pton(AF_INET6, "2001:db8:ca:fe::", &prefix.nd_opt_pi_prefix);
  // The kernel fills in the ICMPv6 checksum on raw ICMPv6 sockets.
  return std::string(reinterpret_cast<const char*>(&advert), sizeof advert) +
         std::string(reinterpret_cast<const char*>(&prefix), sizeof prefix);
}

// Interfaces with an IPv6 link-local address: those a router would advertise on. Looked up every round, as
// a test may move interfaces in after camsim has started.
std::set<unsigned> link_local_interfaces() {
  std::set<unsigned> indexes;
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return indexes;
  for (const ifaddrs* entry = list; entry != nullptr; entry = entry->ifa_next) {
    if (entry->ifa_addr == nullptr || entry->ifa_addr->sa_family != AF_INET6) continue;
    const auto* address = reinterpret_cast<const sockaddr_in6*>(entry->ifa_addr);
    if (IN6_IS_ADDR_LINKLOCAL(&address->sin6_addr)) indexes.insert(if_nametoindex(entry->ifa_name));
  }
  freeifaddrs(list);
  indexes.erase(0);
  return indexes;
}

}  // namespace

const std::vector<std::string>& phone_home_behaviours() {
  static const std::vector<std::string> names = {"dns",  "ntp",  "cloud-tcp", "p2p-udp", "ssdp",   "ws-discovery",
                                                 "sadp", "dhip", "broadcast", "ipv6-ra", "lateral"};
  return names;
}

std::vector<std::string> parse_phone_home_list(const std::string& list) {
  const auto& known = phone_home_behaviours();
  std::set<std::string> wanted;
  std::stringstream in(list);
  std::string name;
  while (std::getline(in, name, ',')) {
    if (name == "all") wanted.insert(known.begin(), known.end());
    else if (std::find(known.begin(), known.end(), name) != known.end()) wanted.insert(name);
    else {
      std::string names;
      for (const auto& k : known) names += " " + k;
      throw std::invalid_argument("unknown --phone-home behaviour '" + name + "' (known: all" + names + ")");
    }
  }
  if (wanted.empty()) throw std::invalid_argument("--phone-home needs a comma-separated list of behaviours");
  std::vector<std::string> ordered;
  for (const auto& k : known)
    if (wanted.count(k)) ordered.push_back(k);
  return ordered;
}

PhoneHome::PhoneHome(const PhoneHomeOptions& options) : options_(options) {
  const std::string& camera = options.camera_address;
  bind_source_ = camera != "0.0.0.0" && camera != "::" && !camera.empty();
  if (bind_source_ && !parse_endpoint(camera, 0, source_))
    throw std::invalid_argument("--phone-home needs --address to be an IP address, not '" + camera + "'");

  for (const std::string& name : options.behaviours) {
    // An address from the command line: needed, numeric, and of the family the camera's socket can bind.
    auto given = [&](const std::string& option, const std::string& host, int port) {
      Endpoint target;
      if (host.empty()) throw std::invalid_argument("--phone-home " + name + " needs " + option);
      if (!parse_endpoint(host, port, target)) throw std::invalid_argument(option + " must be an IP address");
      if (bind_source_ && target.address.ss_family != source_.address.ss_family)
        throw std::invalid_argument(option + " and --address must both be IPv4 or both IPv6");
      return target;
    };
    auto cloud = [&](int port) { return given("--cloud-address", options.cloud_address, port); };
    auto recorder = [&](int port) { return given("--recorder-address", options.recorder_address, port); };
    auto fixed = [&](const char* host, int port) {
      Endpoint target;
      parse_endpoint(host, port, target);
      return target;
    };

    Behaviour b;
    if (name == "dns") b = {name, Kind::udp, {cloud(53)}, dns_queries};
    else if (name == "ntp") b = {name, Kind::udp, {cloud(123)}, ntp_request};
    else if (name == "cloud-tcp") b = {name, Kind::tcp, {cloud(443), cloud(80)}};
    else if (name == "p2p-udp") b = {name, Kind::udp, {cloud(8800)}, p2p_hello};
    else if (name == "ssdp") b = {name, Kind::multicast, {fixed("239.255.255.250", 1900)}, ssdp_search};
    else if (name == "ws-discovery") b = {name, Kind::multicast, {fixed("239.255.255.250", 3702)}, ws_discovery_probe};
    else if (name == "sadp") b = {name, Kind::multicast, {fixed("239.255.255.250", 37020)}, sadp_inquiry};
    else if (name == "dhip") b = {name, Kind::multicast, {fixed("239.255.255.251", 37810)}, dhip_search};
    else if (name == "broadcast") b = {name, Kind::broadcast, {fixed("255.255.255.255", 5050)}, broadcast_discover};
    else if (name == "ipv6-ra") b = {name, Kind::router_advertisement, {fixed("ff02::1", 0)}};
    else if (name == "lateral") b = {name, Kind::tcp, {recorder(options.maintenance_port), recorder(22)}};
    else throw std::invalid_argument("unknown --phone-home behaviour '" + name + "'");

    // IPv4 discovery cannot leave from an IPv6 camera address; the camera's other behaviours still run.
    if ((b.kind == Kind::multicast || b.kind == Kind::broadcast) && bind_source_ &&
        source_.address.ss_family != AF_INET)
      b.skipped = "IPv4 discovery cannot be sent from the IPv6 address " + camera;
    behaviours_.push_back(std::move(b));
  }
}

PhoneHome::~PhoneHome() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
  for (const Behaviour& b : behaviours_) {
    if (!b.skipped.empty()) continue;
    std::cerr << "camsim: phone-home: " << b.name << ": " << b.sent << " sent, " << b.failed << " failed"
              << (b.last_error.empty() ? "" : " (last: " + b.last_error + ")") << "\n";
  }
}

void PhoneHome::start() {
  for (Behaviour& b : behaviours_) {
    if (b.kind == Kind::router_advertisement && b.skipped.empty()) {
      const int fd = socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMPV6);
      if (fd < 0) b.skipped = "no raw ICMPv6 socket (" + error_text(errno) + "); it needs root or CAP_NET_RAW";
      else close(fd);
    }
    if (!b.skipped.empty()) {
      std::cerr << "camsim: phone-home: warning: " << b.name << " skipped: " << b.skipped << "\n";
      continue;
    }
    std::string targets;
    for (const Endpoint& target : b.targets) targets += (targets.empty() ? "" : ", ") + target.text;
    if (b.kind == Kind::router_advertisement) {
      targets = "ff02::1 on " + (options_.interface.empty() ? "every interface with an IPv6 link-local address"
                                                            : options_.interface);
    }
    std::cerr << "camsim: phone-home: " << b.name << " -> " << targets << " every " << options_.interval_seconds
              << " s\n";
  }
  thread_ = std::thread([this] { run(); });
}

void PhoneHome::run() {
  using Clock = std::chrono::steady_clock;
  const auto interval = std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(options_.interval_seconds));
  auto next = Clock::now();
  while (!stopping_) {
    for (Behaviour& b : behaviours_)
      if (b.skipped.empty() && !stopping_) perform(b);
    // Keep the rhythm; after a slow round start the next at once rather than catching up in a burst.
    next = std::max(next + interval, Clock::now());
    std::unique_lock lock(mutex_);
    wake_.wait_until(lock, next, [this] { return stopping_.load(); });
  }
}

void PhoneHome::perform(Behaviour& b) {
  switch (b.kind) {
    case Kind::udp:
    case Kind::multicast:
    case Kind::broadcast: send_datagrams(b); break;
    case Kind::tcp: connect_tcp(b); break;
    case Kind::router_advertisement: advertise_router(b); break;
  }
}

int PhoneHome::open_socket(Behaviour& b, int family, int type, int protocol) {
  const int fd = socket(family, type | SOCK_CLOEXEC, protocol);
  if (fd < 0) {
    ++b.failed;
    b.last_error = "socket: " + error_text(errno);
    return -1;
  }
  // Bound to the camera's own address so that the firewall can tell which camera sent it. Router
  // advertisements from an IPv4 camera go unbound: routers send them from their link-local address.
  if (bind_source_ && source_.address.ss_family == family &&
      bind(fd, reinterpret_cast<const sockaddr*>(&source_.address), source_.length) != 0) {
    ++b.failed;
    b.last_error = "bind " + options_.camera_address + ": " + error_text(errno);
    close(fd);
    return -1;
  }
  return fd;
}

// Failures are expected behind a firewall (no route, unreachable, refused): they are counted, never fatal.
void PhoneHome::send_datagrams(Behaviour& b) {
  for (const Endpoint& target : b.targets) {
    const int fd = open_socket(b, target.address.ss_family, SOCK_DGRAM, 0);
    if (fd < 0) continue;
    if (b.kind == Kind::multicast) {
      // Discovery stays on the camera's own link, as on a real camera, and leaves by the camera's interface
      // rather than wherever the multicast route points.
      const int ttl = 1;
      setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof ttl);
      if (bind_source_) {
        const in_addr source = reinterpret_cast<const sockaddr_in*>(&source_.address)->sin_addr;
        setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &source, sizeof source);
      }
    }
    if (b.kind == Kind::broadcast) {
      const int on = 1;
      setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &on, sizeof on);
    }
    for (const std::string& payload : b.payloads()) {
      if (sendto(fd, payload.data(), payload.size(), 0, reinterpret_cast<const sockaddr*>(&target.address),
                 target.length) < 0) {
        ++b.failed;
        b.last_error = "send to " + target.text + ": " + error_text(errno);
      } else {
        ++b.sent;
      }
    }
    close(fd);
  }
}

void PhoneHome::connect_tcp(Behaviour& b) {
  for (const Endpoint& target : b.targets) {
    const int fd = open_socket(b, target.address.ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (fd < 0) continue;
    int error = 0;
    if (connect(fd, reinterpret_cast<const sockaddr*>(&target.address), target.length) != 0) {
      error = errno;
      if (error == EINPROGRESS) {
        // No answer within the timeout is what a dropping firewall looks like: the SYN did leave.
        pollfd wait{fd, POLLOUT, 0};
        error = 0;
        socklen_t length = sizeof error;
        if (poll(&wait, 1, kConnectTimeoutMs) > 0) getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length);
      }
    }
    if (error == 0) {
      ++b.sent;
    } else {
      ++b.failed;
      b.last_error = "connect to " + target.text + ": " + error_text(error);
    }
    close(fd);
  }
}

void PhoneHome::advertise_router(Behaviour& b) {
  std::set<unsigned> interfaces;
  if (options_.interface.empty()) {
    interfaces = link_local_interfaces();
  } else if (const unsigned index = if_nametoindex(options_.interface.c_str()); index != 0) {
    interfaces.insert(index);
  }
  if (interfaces.empty()) {
    ++b.failed;
    b.last_error = options_.interface.empty() ? "no interface has an IPv6 link-local address"
                                              : "no interface " + options_.interface;
    return;
  }
  const int fd = open_socket(b, AF_INET6, SOCK_RAW, IPPROTO_ICMPV6);
  if (fd < 0) return;
  // Hosts discard neighbour discovery that arrives with any other hop limit (RFC 4861).
  const int hops = 255;
  setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops, sizeof hops);
  const std::string advert = router_advertisement();
  for (const unsigned index : interfaces) {
    setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &index, sizeof index);
    sockaddr_in6 target = *reinterpret_cast<const sockaddr_in6*>(&b.targets.front().address);
    target.sin6_scope_id = index;
    if (sendto(fd, advert.data(), advert.size(), 0, reinterpret_cast<const sockaddr*>(&target), sizeof target) < 0) {
      ++b.failed;
      char name[IF_NAMESIZE] = "?";
      if_indextoname(index, name);
      b.last_error = "send to ff02::1 on " + std::string(name) + ": " + error_text(errno);
    } else {
      ++b.sent;
    }
  }
  close(fd);
}

}  // namespace camsim
