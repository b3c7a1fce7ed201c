#pragma once
// Whether this process may change and read netfilter state (CAP_NET_ADMIN in its effective set).
// recorder.service runs without it (docs/firewall.md); the recorder then leaves the table to the
// privileged units and says what it cannot do, instead of failing at every attempt.

namespace recorder::firewall {

bool may_administer_network();

}  // namespace recorder::firewall
