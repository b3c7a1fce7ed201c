#include "recorder/firewall/nflog_messages.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <linux/netfilter/nfnetlink.h>

extern "C" {
#include <libmnl/libmnl.h>
#include <libnetfilter_log/libnetfilter_log.h>
}

namespace recorder::firewall {
namespace {

std::string mac_text(const nfulnl_msg_packet_hw& hw) {
  std::string text;
  const unsigned length = ntohs(hw.hw_addrlen);
  for (unsigned i = 0; i < length && i < sizeof hw.hw_addr; ++i) text += fmt::format("{}{:02x}", i ? ":" : "", hw.hw_addr[i]);
  return text;
}

int on_message(const nlmsghdr* message, void* context) {
  if (message->nlmsg_type != ((NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_PACKET)) return MNL_CB_OK;
  nlattr* attributes[NFULA_MAX + 1] = {};
  // The library checks each attribute's size (the prefix is a terminated string); a bad record is skipped.
  if (nflog_nlmsg_parse(message, attributes) != MNL_CB_OK) return MNL_CB_OK;
  if (attributes[NFULA_PREFIX] == nullptr || attributes[NFULA_PAYLOAD] == nullptr) return MNL_CB_OK;
  auto packet = parse_blocked_packet(mnl_attr_get_str(attributes[NFULA_PREFIX]),
                                     static_cast<const std::uint8_t*>(mnl_attr_get_payload(attributes[NFULA_PAYLOAD])),
                                     mnl_attr_get_payload_len(attributes[NFULA_PAYLOAD]));
  if (!packet) return MNL_CB_OK;
  if (attributes[NFULA_HWADDR] != nullptr)
    packet->source_mac = mac_text(*static_cast<const nfulnl_msg_packet_hw*>(mnl_attr_get_payload(attributes[NFULA_HWADDR])));
  (*static_cast<const std::function<void(BlockedPacket)>*>(context))(std::move(*packet));
  return MNL_CB_OK;
}

}  // namespace

void read_nflog_messages(const void* data, std::size_t size, const std::function<void(BlockedPacket)>& on_packet) {
  // Sequence and port id 0: these are the kernel's unsolicited messages, not answers to a request.
  mnl_cb_run(data, size, 0, 0, &on_message, const_cast<std::function<void(BlockedPacket)>*>(&on_packet));
}

}  // namespace recorder::firewall
