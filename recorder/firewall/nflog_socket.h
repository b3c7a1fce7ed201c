#pragma once
// Opening the firewall's drop log: a socket bound to the ruleset's nflog group.
//
// The kernel checks CAP_NET_ADMIN when an nfnetlink_log group is bound and configured, of both the
// process that opened the socket and the one that sends the request; receiving from a socket that is
// already bound needs nothing. So the part that needs the capability is open_nflog_socket() alone,
// and the recorder, which has no capabilities under systemd, may be handed its result
// (drop_log_handover.h) and only read from it (nflog_messages.h). This is all the privileged
// helper (tools/nflog-opener) runs besides handing the socket over.

#include "recorder/core/unique_fd.h"

namespace recorder::firewall {

// A netfilter netlink socket bound to nflog group `group`, copying each packet's first bytes (its
// headers). Needs CAP_NET_ADMIN. Throws recorder::Error saying why not (no capability, the group
// already has a reader).
UniqueFd open_nflog_socket(int group);

// True when `fd` is a netfilter netlink socket (what open_nflog_socket returns): checked before the
// recorder trusts a descriptor it was handed.
bool is_nflog_socket(int fd);

}  // namespace recorder::firewall
