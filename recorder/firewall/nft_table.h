#pragma once
// The recorder's own nftables table in the kernel, through libnftables: apply a rendered ruleset in one
// transaction (after a dry run), read the table back, remove it. Needs CAP_NET_ADMIN.

#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace recorder::firewall {

// Validates the script (dry run), then applies it as one transaction. Throws recorder::Error with
// nftables' own message when it is refused.
void apply_ruleset(const std::string& script);

// The recorder's table as the kernel lists it, without counter values; nullopt when it is absent.
std::optional<std::string> list_applied_table();

// How `script` is listed by the kernel once applied, learnt in a private network namespace so that
// the host's firewall is not touched. Throws when namespaces or the script are refused.
std::string list_as_applied(const std::string& script);

// Packets counted by the table's named counters (counter name -> packets); empty when absent.
std::map<std::string, std::uint64_t> counter_packets();

void remove_table();

}  // namespace recorder::firewall
