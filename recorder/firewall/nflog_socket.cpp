#include "recorder/firewall/nflog_socket.h"

#include <cerrno>
#include <cstring>
#include <fmt/format.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <sys/socket.h>

extern "C" {
#include <libmnl/libmnl.h>
#include <libnetfilter_log/libnetfilter_log.h>
}

#include "recorder/core/error.h"
#include "recorder/firewall/capability.h"

namespace recorder::firewall {
namespace {

// The packet headers are all the monitor reads: 128 bytes hold IPv6 with an extension header and the ports.
constexpr std::uint32_t copied_bytes = 128;
// A configuration request and its answer (which quotes the request) are a few dozen bytes.
constexpr std::size_t message_room = 4096;

std::string refusal(int group, int error) {
  // The kernel answers EPERM both to a sender without CAP_NET_ADMIN and when another socket has the
  // group; our own capability tells which.
  if (error == EBUSY || (error == EPERM && may_administer_network()))
    return fmt::format("nflog group {} already has a reader (another recorder, or ulogd?)", group);
  if (error == EPERM) return fmt::format("binding nflog group {} needs CAP_NET_ADMIN", group);
  return fmt::format("nflog group {} could not be configured: {}", group, std::strerror(error));
}

// Sends one nfnetlink_log configuration request for `group`, filled in by `fill`, and waits for the
// kernel's acknowledgement (bounded by the socket's receive timeout).
template <typename Fill>
void configure(int fd, int group, unsigned sequence, Fill fill) {
  alignas(nlmsghdr) char request[message_room] = {};
  nlmsghdr* message = nflog_nlmsg_put_header(request, NFULNL_MSG_CONFIG, AF_UNSPEC, static_cast<std::uint16_t>(group));
  fill(message);
  message->nlmsg_flags |= NLM_F_ACK;
  message->nlmsg_seq = sequence;
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (sendto(fd, message, message->nlmsg_len, 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel) < 0)
    throw Error(ErrorKind::Unavailable, refusal(group, errno));
  alignas(nlmsghdr) char answer[message_room];
  const ssize_t size = recv(fd, answer, sizeof answer, 0);
  if (size < 0) throw Error(ErrorKind::Unavailable, refusal(group, errno == EAGAIN ? ETIMEDOUT : errno));
  // An error message sets errno and returns -1; an acknowledgement (error 0) ends the run.
  if (mnl_cb_run(answer, static_cast<std::size_t>(size), sequence, 0, nullptr, nullptr) < 0)
    throw Error(errno == EPERM ? ErrorKind::PermissionDenied : ErrorKind::Unavailable, refusal(group, errno));
}

void set_receive_timeout(int fd, int seconds) {
  const timeval timeout{seconds, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
}

}  // namespace

UniqueFd open_nflog_socket(int group) {
  if (group < 0 || group > 65535) throw Error(ErrorKind::InvalidArgument, fmt::format("nflog group {} is not 0-65535", group));
  UniqueFd fd(socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER));
  if (!fd) throw Error(ErrorKind::Unavailable, fmt::format("cannot open a netfilter netlink socket: {}", std::strerror(errno)));
  sockaddr_nl local{};
  local.nl_family = AF_NETLINK;  // port id 0: the kernel picks one
  if (bind(fd.get(), reinterpret_cast<sockaddr*>(&local), sizeof local) != 0)
    throw Error(ErrorKind::Unavailable, fmt::format("cannot bind a netfilter netlink socket: {}", std::strerror(errno)));
  set_receive_timeout(fd.get(), 2);  // the kernel answers at once; never wait for ever
  configure(fd.get(), group, 1, [](nlmsghdr* m) { nflog_attr_put_cfg_cmd(m, NFULNL_CFG_CMD_BIND); });
  configure(fd.get(), group, 2, [](nlmsghdr* m) { nflog_attr_put_cfg_mode(m, NFULNL_COPY_PACKET, copied_bytes); });
  set_receive_timeout(fd.get(), 0);  // whoever reads it decides how to wait
  return fd;
}

bool is_nflog_socket(int fd) {
  int domain = 0, protocol = 0;
  socklen_t size = sizeof domain;
  if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &size) != 0) return false;
  size = sizeof protocol;
  if (getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &protocol, &size) != 0) return false;
  return domain == AF_NETLINK && protocol == NETLINK_NETFILTER;
}

}  // namespace recorder::firewall
