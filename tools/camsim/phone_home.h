#pragma once
// What real cameras send besides video: cloud look-ups, time, vendor rendezvous, discovery multicast and
// broadcast, rogue router advertisements, probes of the recorder itself. camsim repeats them so that tests can
// prove the recorder's camera-segment firewall (DESIGN.md, "Camera segment isolation") drops every one of them.

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <sys/socket.h>
#include <thread>
#include <vector>

namespace camsim {

struct PhoneHomeOptions {
  std::vector<std::string> behaviours;  // names from phone_home_behaviours()
  std::string camera_address;           // the source of every packet; "0.0.0.0" or "::": let the kernel choose
  std::string cloud_address;            // for dns, ntp, cloud-tcp, p2p-udp
  std::string recorder_address;         // for lateral
  int maintenance_port = 8443;
  double interval_seconds = 2;
  std::string interface;                // ipv6-ra only; empty: every interface with an IPv6 link-local address
};

// Every behaviour name, in the order they are performed.
const std::vector<std::string>& phone_home_behaviours();

// "dns,ntp" or "all" -> names. Throws std::invalid_argument naming an unknown behaviour.
std::vector<std::string> parse_phone_home_list(const std::string& list);

struct Endpoint {
  sockaddr_storage address{};
  socklen_t length = 0;
  std::string text;  // "198.51.100.2:53", "[2001:db8::2]:53"
};

class PhoneHome {
 public:
  // Throws std::invalid_argument when an address a behaviour needs is missing or unusable.
  explicit PhoneHome(const PhoneHomeOptions& options);
  // Stops the thread and prints what was sent and what failed, one line per behaviour.
  ~PhoneHome();
  PhoneHome(const PhoneHome&) = delete;
  PhoneHome& operator=(const PhoneHome&) = delete;

  // Prints one line per behaviour, then performs them all every interval on a thread of its own.
  void start();

 private:
  enum class Kind { udp, multicast, broadcast, tcp, router_advertisement };
  struct Behaviour {
    std::string name;
    Kind kind;
    std::vector<Endpoint> targets;
    std::vector<std::string> (*payloads)() = nullptr;  // datagrams for each target (udp kinds only)
    std::string skipped;  // why it cannot run here; empty: it runs
    long sent = 0;
    long failed = 0;
    std::string last_error;
  };

  void run();
  void perform(Behaviour& behaviour);
  void send_datagrams(Behaviour& behaviour);
  void connect_tcp(Behaviour& behaviour);
  void advertise_router(Behaviour& behaviour);
  // A socket of the target's family, bound to the camera's address; -1 (and a failure counted) if impossible.
  int open_socket(Behaviour& behaviour, int family, int type, int protocol);

  PhoneHomeOptions options_;
  bool bind_source_ = false;  // false when the camera address is a wildcard
  Endpoint source_;
  std::vector<Behaviour> behaviours_;

  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::atomic<bool> stopping_{false};
};

}  // namespace camsim
