#include "tests/support/http_client.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <memory>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace test_support {

namespace {

// A connected TCP socket, or -1.
int connect_to(const std::string& address, int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in peer{};
  peer.sin_family = AF_INET;
  peer.sin_port = htons(static_cast<std::uint16_t>(port));
  inet_pton(AF_INET, address.c_str(), &peer.sin_addr);
  if (connect(fd, reinterpret_cast<sockaddr*>(&peer), sizeof peer) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// Sends `request` whole or `chunk_size` bytes at a time through `send_some` (false: stop).
template <class Send>
void send_in_chunks(const std::string& request, std::size_t chunk_size, Send send_some) {
  const std::size_t step = chunk_size == 0 ? request.size() : chunk_size;
  for (std::size_t at = 0; at < request.size(); at += step) {
    if (!send_some(request.data() + at, std::min(step, request.size() - at))) break;
    if (chunk_size != 0) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

std::chrono::milliseconds left_until(std::chrono::steady_clock::time_point deadline) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
}

// Blocking socket operations give up after `left` (at least 1 ms: 0 would mean never).
void set_socket_timeout(int fd, std::chrono::milliseconds left) {
  const auto ms = std::max<long>(left.count(), 1);
  const timeval tv{ms / 1000, static_cast<suseconds_t>((ms % 1000) * 1000)};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

}  // namespace

std::string http_exchange(const std::string& address, int port, const std::string& request, std::size_t chunk_size,
                          std::chrono::milliseconds timeout) {
  const int fd = connect_to(address, port);
  if (fd < 0) return "";
  send_in_chunks(request, chunk_size, [fd](const char* data, std::size_t size) {
    return send(fd, data, size, MSG_NOSIGNAL) >= 0;
  });
  std::string response;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left = left_until(deadline);
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

std::string https_exchange(const std::string& address, int port, const std::string& request,
                           const std::string& ca_cert_file, std::size_t chunk_size, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  const std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> context(SSL_CTX_new(TLS_client_method()), SSL_CTX_free);
  if (!ca_cert_file.empty()) {
    if (SSL_CTX_load_verify_locations(context.get(), ca_cert_file.c_str(), nullptr) != 1) return "";
    SSL_CTX_set_verify(context.get(), SSL_VERIFY_PEER, nullptr);
  }
  const int fd = connect_to(address, port);
  if (fd < 0) return "";
  const std::unique_ptr<SSL, decltype(&SSL_free)> tls(SSL_new(context.get()), SSL_free);
  SSL_set_fd(tls.get(), fd);
  // The certificate must name the address we connected to, as a browser would insist.
  if (!ca_cert_file.empty()) X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(tls.get()), address.c_str());
  std::string response;
  set_socket_timeout(fd, left_until(deadline));
  if (SSL_connect(tls.get()) == 1) {
    send_in_chunks(request, chunk_size, [&](const char* data, std::size_t size) {
      return SSL_write(tls.get(), data, static_cast<int>(size)) > 0;
    });
    for (;;) {
      const auto left = left_until(deadline);
      if (left.count() <= 0) break;
      set_socket_timeout(fd, left);
      char buffer[8192];
      const int n = SSL_read(tls.get(), buffer, sizeof buffer);
      if (n <= 0) break;
      response.append(buffer, static_cast<std::size_t>(n));
    }
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

std::string get_request(const std::string& path, const std::string& authorization) {
  const std::string credentials = authorization.empty() ? "" : "Authorization: " + authorization + "\r\n";
  return "GET " + path + " HTTP/1.1\r\nHost: recorder\r\n" + credentials + "Connection: close\r\n\r\n";
}

int status_of(const std::string& response) {
  if (response.rfind("HTTP/1.", 0) != 0 || response.size() < 12) return 0;
  return std::stoi(response.substr(9, 3));
}

}  // namespace test_support
