#include "recorder/firewall/drop_log_handover.h"

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fmt/format.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "recorder/core/error.h"
#include "recorder/firewall/nflog_socket.h"

namespace recorder::firewall {
namespace {

constexpr std::size_t longest_answer = 1024;
constexpr const char* granted = "drop-log ";
constexpr const char* refused = "refused ";

void set_send_timeout(int socket, std::chrono::milliseconds timeout) {
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(timeout).count();
  const timeval value{static_cast<time_t>(micros / 1000000), static_cast<suseconds_t>(micros % 1000000)};
  setsockopt(socket, SOL_SOCKET, SO_SNDTIMEO, &value, sizeof value);
}

// One line, and the descriptor `fd` beside it unless it is -1.
void send_line(int connection, std::string line, int fd, std::chrono::milliseconds timeout) {
  set_send_timeout(connection, timeout);
  iovec data{line.data(), line.size()};
  msghdr message{};
  message.msg_iov = &data;
  message.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  if (fd >= 0) {
    message.msg_control = control;
    message.msg_controllen = sizeof control;
    cmsghdr* rights = CMSG_FIRSTHDR(&message);
    rights->cmsg_level = SOL_SOCKET;
    rights->cmsg_type = SCM_RIGHTS;
    rights->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(rights), &fd, sizeof fd);
  }
  // MSG_NOSIGNAL: a recorder that hung up is an error to report, not a SIGPIPE that kills the helper.
  const ssize_t sent = sendmsg(connection, &message, MSG_NOSIGNAL);
  if (sent != static_cast<ssize_t>(line.size()))
    throw Error(ErrorKind::Unavailable,
                fmt::format("cannot send to the recorder: {}", sent < 0 ? std::strerror(errno) : "a partial send"));
}

// Reads up to the first newline (or the peer's hang-up), keeping the first descriptor that comes with
// it and closing any other.
std::string receive_line(int connection, UniqueFd& received, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string text;
  while (text.find('\n') == std::string::npos && text.size() < longest_answer) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    pollfd readable{connection, POLLIN, 0};
    const int ready = left.count() > 0 ? poll(&readable, 1, static_cast<int>(left.count())) : 0;
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) throw Error(ErrorKind::Unavailable, fmt::format("waiting for the drop-log helper: {}", std::strerror(errno)));
    if (ready == 0)
      throw Error(ErrorKind::Unavailable, fmt::format("the drop-log helper did not answer within {} ms", timeout.count()));
    char buffer[256];
    iovec data{buffer, sizeof buffer};
    alignas(cmsghdr) char control[CMSG_SPACE(4 * sizeof(int))] = {};
    msghdr message{};
    message.msg_iov = &data;
    message.msg_iovlen = 1;
    message.msg_control = control;
    message.msg_controllen = sizeof control;
    const ssize_t size = recvmsg(connection, &message, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
    if (size < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (size < 0) throw Error(ErrorKind::Unavailable, fmt::format("reading from the drop-log helper: {}", std::strerror(errno)));
    for (cmsghdr* c = CMSG_FIRSTHDR(&message); c != nullptr; c = CMSG_NXTHDR(&message, c)) {
      if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
      const std::size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      for (std::size_t i = 0; i < count; ++i) {
        int fd;
        std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
        if (!received) received.reset(fd);
        else ::close(fd);  // only one is expected: close the rest
      }
    }
    if (message.msg_flags & MSG_CTRUNC) throw Error(ErrorKind::Unavailable, "the drop-log helper sent more than a socket");
    if (size == 0) break;  // hung up
    text.append(buffer, static_cast<std::size_t>(size));
  }
  return text.substr(0, text.find('\n'));
}

// What the helper said, safe to log: printable characters only, and not too long.
std::string printable(const std::string& text) {
  std::string clean;
  for (char c : text.substr(0, 200)) clean += (c >= 0x20 && c < 0x7f) ? c : '?';
  return clean;
}

}  // namespace

void send_drop_log(int connection, int drop_log, int group, std::chrono::milliseconds timeout) {
  send_line(connection, fmt::format("{}{}\n", granted, group), drop_log, timeout);
}

void send_refusal(int connection, const std::string& reason, std::chrono::milliseconds timeout) {
  std::string line = refused + reason.substr(0, longest_answer / 2);
  for (char& c : line)
    if (c == '\n' || c == '\r') c = ' ';
  send_line(connection, line + "\n", -1, timeout);
}

UniqueFd receive_drop_log(int connection, int expected_group, std::chrono::milliseconds timeout) {
  UniqueFd received;
  const std::string line = receive_line(connection, received, timeout);
  if (line.rfind(refused, 0) == 0)
    throw Error(ErrorKind::Unavailable, "the drop-log helper refused: " + printable(line.substr(std::strlen(refused))));
  if (line.empty())
    throw Error(ErrorKind::Unavailable,
                "the drop-log helper hung up without an answer (journalctl -u 'recorder-nflog@*' says why)");
  if (line.rfind(granted, 0) != 0)
    throw Error(ErrorKind::Unavailable, "the drop-log helper gave an answer the recorder does not know: '" + printable(line) + "'");
  int group = -1;
  const char* number = line.data() + std::strlen(granted);
  const auto [end, error] = std::from_chars(number, line.data() + line.size(), group);
  if (error != std::errc() || end != line.data() + line.size())
    throw Error(ErrorKind::Unavailable, "the drop-log helper named no group: '" + printable(line) + "'");
  if (group != expected_group)
    throw Error(ErrorKind::InvalidArgument,
                fmt::format("the drop-log helper bound nflog group {}, the configuration says {} (do they read the same "
                            "configuration file?)", group, expected_group));
  if (!received) throw Error(ErrorKind::Unavailable, "the drop-log helper answered without passing the socket");
  if (!is_nflog_socket(received.get()))
    throw Error(ErrorKind::Unavailable, "the drop-log helper passed something that is not a netfilter netlink socket");
  return received;
}

UniqueFd fetch_drop_log(const std::filesystem::path& path, int expected_group, std::chrono::milliseconds timeout) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  const std::string text = path.string();
  if (text.empty() || text.size() >= sizeof address.sun_path)
    throw Error(ErrorKind::InvalidArgument, "'" + text + "' cannot be a Unix socket path (empty or too long)");
  std::memcpy(address.sun_path, text.c_str(), text.size() + 1);
  UniqueFd connection(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!connection) throw Error(ErrorKind::Unavailable, fmt::format("cannot make a Unix socket: {}", std::strerror(errno)));
  set_send_timeout(connection.get(), timeout);  // bounds connect() too, should the listener's backlog be full
  if (connect(connection.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    const int error = errno;
    if (error == ENOENT)
      throw Error(ErrorKind::NotFound, "no drop-log helper socket at " + text + " (is recorder-nflog.socket enabled?)");
    if (error == ECONNREFUSED)
      throw Error(ErrorKind::Unavailable, "nothing listens on " + text + " (recorder-nflog.socket stopped?)");
    if (error == EACCES)
      throw Error(ErrorKind::PermissionDenied, "may not connect to " + text + " (it must belong to the recorder's user)");
    throw Error(ErrorKind::Unavailable, fmt::format("cannot connect to {}: {}", text, std::strerror(error)));
  }
  return receive_drop_log(connection.get(), expected_group, timeout);
}

}  // namespace recorder::firewall
