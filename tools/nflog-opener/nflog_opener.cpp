// nflog-opener: the privileged half of the recorder's drop log, and all of it. recorder-nflog@.service
// starts it, with CAP_NET_ADMIN only, for each connection the recorder makes to recorder-nflog.socket
// (Accept=yes). It binds the nflog group of the configuration (network.log_group), sends the bound
// socket to the recorder over that connection (SCM_RIGHTS) and exits. It reads nothing from the
// connection: the recorder cannot ask it for anything but that one socket. docs/firewall.md, "Privileges".
//   nflog-opener --config FILE

#include <systemd/sd-daemon.h>
#include <sys/socket.h>

#include <chrono>
#include <iostream>
#include <string>

#include "recorder/config/config.h"
#include "recorder/core/error.h"
#include "recorder/firewall/drop_log_handover.h"
#include "recorder/firewall/nflog_socket.h"

namespace {

using namespace recorder;

// Long enough for a loaded recorder, short enough that a recorder that never reads cannot keep us.
constexpr std::chrono::seconds send_timeout{5};

int hand_over(int connection, const std::string& config_file) {
  try {
    // Only the network: block matters; the cameras' password files are neither needed nor readable here.
    const auto config = config::load_config(config_file, config::CameraSecrets::Skip);
    if (!config.network)
      throw Error(ErrorKind::InvalidArgument, config_file + " has no network: block: there is no drop log to open");
    const int group = config.network->log_group;
    const UniqueFd drop_log = firewall::open_nflog_socket(group);
    firewall::send_drop_log(connection, drop_log.get(), group, send_timeout);
    std::cerr << "nflog group " << group << " bound and handed to the recorder\n";
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "nflog-opener: " << e.what() << "\n";
    try {
      firewall::send_refusal(connection, e.what(), send_timeout);
    } catch (const std::exception& gone) {
      std::cerr << "nflog-opener: " << gone.what() << "\n";
    }
    return 1;
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3 || std::string(argv[1]) != "--config") {
    std::cerr << "usage: nflog-opener --config FILE   (started by recorder-nflog.socket, never by hand)\n";
    return 2;
  }
  // systemd passes the accepted connection as descriptor 3 (LISTEN_FDS=1); 1: forget the variables.
  if (sd_listen_fds(1) != 1 || sd_is_socket_unix(SD_LISTEN_FDS_START, SOCK_STREAM, 0, nullptr, 0) <= 0) {
    std::cerr << "nflog-opener: no connection was passed; it runs from recorder-nflog.socket (Accept=yes)\n";
    return 2;
  }
  return hand_over(SD_LISTEN_FDS_START, argv[2]);
}
