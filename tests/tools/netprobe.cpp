// netprobe: listens on TCP and UDP ports and reports every connection and datagram, one flushed line each.
//   netprobe --tcp PORTS --udp PORTS [--address A]      (PORTS: comma-separated; A: default 0.0.0.0, or ::)
// prints "ready" once every port is bound, then "tcp <port> from <source>" / "udp <port> from <source>".
// Network-namespace tests run it in a "cloud" namespace to prove that nothing from the cameras arrives there.

#include <arpa/inet.h>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sstream>
#include <string>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

namespace {

[[noreturn]] void usage(const std::string& problem) {
  if (!problem.empty()) std::cerr << "netprobe: " << problem << "\n";
  std::cerr << "usage: netprobe [--tcp PORT,PORT...] [--udp PORT,PORT...] [--address A (default 0.0.0.0)]\n";
  std::exit(problem.empty() ? 0 : 2);
}

std::vector<int> parse_ports(const std::string& option, const std::string& list) {
  std::vector<int> ports;
  std::stringstream in(list);
  std::string item;
  while (std::getline(in, item, ',')) {
    char* end = nullptr;
    const long port = std::strtol(item.c_str(), &end, 10);
    if (item.empty() || *end != '\0' || port < 1 || port > 65535)
      usage(option + " takes comma-separated ports from 1 to 65535, not '" + list + "'");
    ports.push_back(static_cast<int>(port));
  }
  if (ports.empty()) usage(option + " needs at least one port");
  return ports;
}

struct Listener {
  int fd;
  bool tcp;
  int port;
};

Listener listen_on(const std::string& address, int port, bool tcp) {
  addrinfo hints{};
  hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
  hints.ai_socktype = tcp ? SOCK_STREAM : SOCK_DGRAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(address.c_str(), std::to_string(port).c_str(), &hints, &found) != 0)
    usage("--address must be an IP address, not '" + address + "'");
  const int fd = socket(found->ai_family, hints.ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  const int on = 1, off = 0;
  if (fd >= 0 && tcp) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  // "::" hears IPv4 as well: a probe that missed IPv4 traffic would prove nothing.
  if (fd >= 0 && found->ai_family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
  const bool ok = fd >= 0 && bind(fd, found->ai_addr, found->ai_addrlen) == 0 && (!tcp || listen(fd, 64) == 0);
  freeaddrinfo(found);
  if (!ok) {
    std::cerr << "netprobe: cannot listen on " << (tcp ? "tcp " : "udp ") << address << " port " << port << ": "
              << std::strerror(errno) << "\n";
    std::exit(1);
  }
  return {fd, tcp, port};
}

// The source as a test would write it: IPv4 plainly, even when it arrived on a dual-stack socket.
std::string source_text(const sockaddr_storage& source) {
  char text[INET6_ADDRSTRLEN + IF_NAMESIZE + 2] = "?";
  if (source.ss_family == AF_INET6) {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&source);
    if (IN6_IS_ADDR_V4MAPPED(&v6->sin6_addr)) {
      inet_ntop(AF_INET, &v6->sin6_addr.s6_addr[12], text, sizeof text);
      return text;
    }
  }
  getnameinfo(reinterpret_cast<const sockaddr*>(&source), sizeof source, text, sizeof text, nullptr, 0,
              NI_NUMERICHOST);
  return text;
}

// Takes everything that is waiting: the sockets are non-blocking, so a spurious wake-up costs nothing.
void drain(const Listener& listener) {
  for (;;) {
    sockaddr_storage source{};
    socklen_t length = sizeof source;
    if (listener.tcp) {
      const int connection = accept4(listener.fd, reinterpret_cast<sockaddr*>(&source), &length, SOCK_CLOEXEC);
      if (connection < 0) return;
      close(connection);
    } else {
      char datagram[65536];
      if (recvfrom(listener.fd, datagram, sizeof datagram, 0, reinterpret_cast<sockaddr*>(&source), &length) < 0)
        return;
    }
    std::cout << (listener.tcp ? "tcp " : "udp ") << listener.port << " from " << source_text(source) << std::endl;
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string address = "0.0.0.0";
  std::vector<int> tcp_ports, udp_ports;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage(arg + " needs a value");
      return argv[++i];
    };
    if (arg == "--tcp") tcp_ports = parse_ports(arg, value());
    else if (arg == "--udp") udp_ports = parse_ports(arg, value());
    else if (arg == "--address") address = value();
    else if (arg == "--help" || arg == "-h") usage("");
    else usage("unknown option '" + arg + "'");
  }
  if (tcp_ports.empty() && udp_ports.empty()) usage("give --tcp or --udp ports to listen on");

  // Signals arrive as a readable descriptor, so that waiting for them and for traffic is one poll.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigprocmask(SIG_BLOCK, &signals, nullptr);
  const int signal_fd = signalfd(-1, &signals, SFD_CLOEXEC);

  std::vector<Listener> listeners;
  for (const int port : tcp_ports) listeners.push_back(listen_on(address, port, true));
  for (const int port : udp_ports) listeners.push_back(listen_on(address, port, false));
  std::vector<pollfd> waits;
  for (const Listener& listener : listeners) waits.push_back({listener.fd, POLLIN, 0});
  waits.push_back({signal_fd, POLLIN, 0});
  std::cout << "ready" << std::endl;

  for (;;) {
    if (poll(waits.data(), waits.size(), -1) < 0) {
      if (errno == EINTR) continue;
      std::cerr << "netprobe: poll: " << std::strerror(errno) << "\n";
      return 1;
    }
    if (waits.back().revents != 0) break;  // SIGTERM or SIGINT
    for (std::size_t i = 0; i < listeners.size(); ++i)
      if (waits[i].revents != 0) drain(listeners[i]);
  }
  for (const Listener& listener : listeners) close(listener.fd);
  return 0;
}
