#pragma once
// Reading the firewall's drop log: the nfnetlink_log messages of a socket that open_nflog_socket()
// bound (nflog_socket.h), parsed by libmnl and libnetfilter_log into the packets the ruleset logged.

#include <cstddef>
#include <functional>

#include "recorder/firewall/blocked_attempt.h"

namespace recorder::firewall {

// Calls `on_packet` for each packet the ruleset logged in `size` bytes read from an nflog socket (one
// or more netlink messages); records that are not ours, or malformed, are skipped.
void read_nflog_messages(const void* data, std::size_t size, const std::function<void(BlockedPacket)>& on_packet);

}  // namespace recorder::firewall
