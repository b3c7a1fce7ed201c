#pragma once
// Handing the drop log's socket from the privileged helper to the recorder over a Unix stream socket
// (SCM_RIGHTS). The helper (tools/nflog-opener, run by recorder-nflog@.service with CAP_NET_ADMIN
// only) binds the nflog group and sends the bound socket; the recorder, which has no capabilities,
// receives it and only reads from it. One line of text goes with it, so that a refusal reaches the
// recorder with its reason: "drop-log <group>\n" with the socket, or "refused <why>\n" without.
// Neither side waits longer than the timeout it is given.

#include <chrono>
#include <filesystem>
#include <string>

#include "recorder/core/unique_fd.h"

namespace recorder::firewall {

// The helper's side, on a connected Unix stream socket. Throws recorder::Error when the recorder is gone
// or does not take the message within `timeout`.
void send_drop_log(int connection, int drop_log, int group, std::chrono::milliseconds timeout);
void send_refusal(int connection, const std::string& reason, std::chrono::milliseconds timeout);

// The recorder's side: the nflog socket in the helper's answer on `connection`. Throws recorder::Error
// saying what went wrong: the helper refused (and why), bound another group than `expected_group`,
// passed something that is not an nflog socket, hung up without answering, or did not answer within
// `timeout`.
UniqueFd receive_drop_log(int connection, int expected_group, std::chrono::milliseconds timeout);

// Connects to the helper's socket at `path` (recorder-nflog.socket) and receives the drop log as above;
// a missing or dead socket is an error that names the path and the unit.
UniqueFd fetch_drop_log(const std::filesystem::path& path, int expected_group, std::chrono::milliseconds timeout);

}  // namespace recorder::firewall
