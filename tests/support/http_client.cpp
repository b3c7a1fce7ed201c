#include "tests/support/http_client.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace test_support {

std::string http_exchange(const std::string& address, int port, const std::string& request, std::size_t chunk_size,
                          std::chrono::milliseconds timeout) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in peer{};
  peer.sin_family = AF_INET;
  peer.sin_port = htons(static_cast<std::uint16_t>(port));
  inet_pton(AF_INET, address.c_str(), &peer.sin_addr);
  if (connect(fd, reinterpret_cast<sockaddr*>(&peer), sizeof peer) != 0) {
    close(fd);
    return "";
  }
  const std::size_t step = chunk_size == 0 ? request.size() : chunk_size;
  for (std::size_t at = 0; at < request.size(); at += step) {
    if (send(fd, request.data() + at, std::min(step, request.size() - at), MSG_NOSIGNAL) < 0) break;
    if (chunk_size != 0) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  std::string response;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
    char buffer[8192];
    const ssize_t n = recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) break;
    response.append(buffer, static_cast<std::size_t>(n));
  }
  close(fd);
  return response;
}

std::string http_exchange_in_netns(const std::string& ns, const std::string& address, int port, const std::string& request) {
  int out[2];
  if (pipe(out) != 0) return "";
  const pid_t child = fork();
  if (child == 0) {
    close(out[0]);
    const int netns = open(("/var/run/netns/" + ns).c_str(), O_RDONLY | O_CLOEXEC);
    if (netns < 0 || setns(netns, CLONE_NEWNET) != 0) _exit(1);
    const std::string response = http_exchange(address, port, request);
    const ssize_t written = write(out[1], response.data(), response.size());
    _exit(written == static_cast<ssize_t>(response.size()) ? 0 : 1);
  }
  close(out[1]);
  std::string response;
  char buffer[8192];
  for (ssize_t n; (n = read(out[0], buffer, sizeof buffer)) > 0;) response.append(buffer, static_cast<std::size_t>(n));
  close(out[0]);
  waitpid(child, nullptr, 0);
  return response;
}

std::string get_request(const std::string& path) {
  return "GET " + path + " HTTP/1.1\r\nHost: recorder\r\nConnection: close\r\n\r\n";
}

int status_of(const std::string& response) {
  if (response.rfind("HTTP/1.", 0) != 0 || response.size() < 12) return 0;
  return std::stoi(response.substr(9, 3));
}

}  // namespace test_support
