// The drop log's privilege split: the bound nflog socket handed from the helper to the recorder over a
// Unix socket (SCM_RIGHTS), every way that can go wrong ending in an error that says why (and never in
// a hang), the helper program's refusals, and the parsing of the nflog messages the recorder reads.
// No network and no CAP_NET_ADMIN: an unbound netfilter netlink socket stands in for a bound one.

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

extern "C" {
#include <libmnl/libmnl.h>
#include <libnetfilter_log/libnetfilter_log.h>
}

#include "recorder/core/error.h"
#include "recorder/firewall/drop_log_handover.h"
#include "recorder/firewall/nflog_messages.h"
#include "recorder/firewall/nflog_socket.h"

using namespace recorder;
using namespace recorder::firewall;
using namespace std::chrono_literals;

namespace {

struct SocketPair {
  SocketPair() {
    int fds[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) throw std::runtime_error("socketpair");
    helper.reset(fds[0]);
    recorder.reset(fds[1]);
  }
  UniqueFd helper, recorder;
};

// What a socket given to another process becomes there: another descriptor of the same socket.
ino_t inode_of(int fd) {
  struct stat info {};
  fstat(fd, &info);
  return info.st_ino;
}

UniqueFd netfilter_socket() { return UniqueFd(socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER)); }

// The message of the Error that `receive` throws ("" when it returned a socket).
template <typename Receive>
std::string error_of(Receive receive) {
  try {
    receive();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

std::filesystem::path scratch_path(const std::string& name) {
  return std::filesystem::temp_directory_path() / ("drop-log-test-" + std::to_string(getpid()) + "-" + name);
}

}  // namespace

TEST(DropLogHandover, TheBoundSocketArrivesAsTheSameSocket) {
  SocketPair pair;
  const UniqueFd drop_log = netfilter_socket();
  ASSERT_TRUE(drop_log);
  send_drop_log(pair.helper.get(), drop_log.get(), 5, 1s);
  const UniqueFd received = receive_drop_log(pair.recorder.get(), 5, 1s);
  ASSERT_TRUE(received);
  EXPECT_NE(received.get(), drop_log.get());
  EXPECT_EQ(inode_of(received.get()), inode_of(drop_log.get()));
  EXPECT_TRUE(is_nflog_socket(received.get()));
  EXPECT_TRUE(fcntl(received.get(), F_GETFD) & FD_CLOEXEC) << "a camera pipeline's child would inherit it";
}

TEST(DropLogHandover, ARefusalReachesTheRecorderWithItsReason) {
  SocketPair pair;
  send_refusal(pair.helper.get(), "nflog group 5 already has a reader\n(another recorder?)", 1s);
  const auto message = error_of([&] { receive_drop_log(pair.recorder.get(), 5, 1s); });
  EXPECT_TRUE(contains(message, "the drop-log helper refused: nflog group 5 already has a reader (another recorder?)"))
      << message;
}

TEST(DropLogHandover, AnotherGroupThanTheConfiguredOneIsRefused) {
  SocketPair pair;
  const UniqueFd drop_log = netfilter_socket();
  send_drop_log(pair.helper.get(), drop_log.get(), 3, 1s);
  const auto message = error_of([&] { receive_drop_log(pair.recorder.get(), 5, 1s); });
  EXPECT_TRUE(contains(message, "bound nflog group 3, the configuration says 5")) << message;
}

TEST(DropLogHandover, SomethingThatIsNotAnNflogSocketIsRefused) {
  SocketPair pair;
  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  const UniqueFd read_end(pipe_fds[0]), write_end(pipe_fds[1]);
  send_drop_log(pair.helper.get(), read_end.get(), 5, 1s);
  const auto message = error_of([&] { receive_drop_log(pair.recorder.get(), 5, 1s); });
  EXPECT_TRUE(contains(message, "not a netfilter netlink socket")) << message;
}

TEST(DropLogHandover, AHelperThatHangsUpOrSaysNothingIsAnErrorNotAHang) {
  {
    SocketPair pair;
    pair.helper.reset();
    const auto message = error_of([&] { receive_drop_log(pair.recorder.get(), 5, 1s); });
    EXPECT_TRUE(contains(message, "hung up without an answer")) << message;
  }
  {
    SocketPair pair;  // the helper keeps the connection open and never writes
    const auto started = std::chrono::steady_clock::now();
    const auto message = error_of([&] { receive_drop_log(pair.recorder.get(), 5, 200ms); });
    EXPECT_TRUE(contains(message, "did not answer within 200 ms")) << message;
    EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);
  }
  {
    SocketPair pair;
    const std::string nonsense = "hello\n";
    ASSERT_EQ(write(pair.helper.get(), nonsense.data(), nonsense.size()), static_cast<ssize_t>(nonsense.size()));
    const auto message = error_of([&] { receive_drop_log(pair.recorder.get(), 5, 1s); });
    EXPECT_TRUE(contains(message, "an answer the recorder does not know: 'hello'")) << message;
  }
}

TEST(DropLogHandover, TheHelperIsNotKilledNorHeldByARecorderThatLeft) {
  SocketPair pair;
  pair.recorder.reset();
  const UniqueFd drop_log = netfilter_socket();
  // Without MSG_NOSIGNAL this would be a SIGPIPE that ends the test program.
  const auto message = error_of([&] { send_drop_log(pair.helper.get(), drop_log.get(), 5, 1s); });
  EXPECT_TRUE(contains(message, "cannot send to the recorder")) << message;
}

TEST(DropLogHandover, AMissingOrDeadSocketNamesThePathAndTheUnit) {
  const auto missing = scratch_path("missing.sock");
  auto message = error_of([&] { fetch_drop_log(missing, 5, 1s); });
  EXPECT_TRUE(contains(message, "no drop-log helper socket at " + missing.string())) << message;
  EXPECT_TRUE(contains(message, "recorder-nflog.socket")) << message;

  // A socket file that nothing listens on any more (the socket unit was stopped).
  const auto dead = scratch_path("dead.sock");
  {
    const UniqueFd listener(socket(AF_UNIX, SOCK_STREAM, 0));
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, dead.c_str(), sizeof address.sun_path - 1);
    ASSERT_EQ(bind(listener.get(), reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  }
  message = error_of([&] { fetch_drop_log(dead, 5, 1s); });
  std::filesystem::remove(dead);
  EXPECT_TRUE(contains(message, "nothing listens on " + dead.string())) << message;

  message = error_of([&] { fetch_drop_log(std::string(200, 'x'), 5, 1s); });
  EXPECT_TRUE(contains(message, "cannot be a Unix socket path")) << message;
}

// The helper program as recorder-nflog@.service runs it: the accepted connection as descriptor 3.
namespace {

// Runs nflog-opener with `connection` passed as systemd would (LISTEN_FDS=1, LISTEN_PID); its exit code.
int run_helper(int connection, const std::string& config_file) {
  const pid_t child = fork();
  if (child == 0) {
    if (connection >= 0) {
      // dup2 onto itself keeps close-on-exec: a socket that already is fd 3 (a test run on its own from
      // a shell) must lose the flag instead, or the helper starts without its connection.
      if (connection == 3) fcntl(3, F_SETFD, 0);
      else dup2(connection, 3);
      setenv("LISTEN_FDS", "1", 1);
      setenv("LISTEN_PID", std::to_string(getpid()).c_str(), 1);
    }
    const int quiet = open("/dev/null", O_WRONLY);
    dup2(quiet, STDERR_FILENO);
    execl(NFLOG_OPENER_PATH, NFLOG_OPENER_PATH, "--config", config_file.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  int status = 0;
  waitpid(child, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

TEST(DropLogHelper, RefusesOverTheConnectionWhenTheConfigurationHasNoFirewall) {
  const auto config = scratch_path("no-network.yaml");
  std::ofstream(config) << "storage:\n  path: /srv/footage\ncameras:\n  - id: c01\n    url: rtsp://192.0.2.10/s\n";
  SocketPair pair;
  EXPECT_EQ(run_helper(pair.helper.get(), config.string()), 1);
  const auto message = error_of([&] { receive_drop_log(pair.recorder.get(), 5, 1s); });
  std::filesystem::remove(config);
  EXPECT_TRUE(contains(message, "the drop-log helper refused: " + config.string() + " has no network: block")) << message;
}

TEST(DropLogHelper, RefusesToRunWithoutAConnectionFromSystemd) {
  EXPECT_EQ(run_helper(-1, "/nonexistent.yaml"), 2);
}

// =========================================================================================================
// Reading: the nflog messages of a bound socket, parsed by libmnl and libnetfilter_log.

namespace {

// One nfnetlink_log packet message as the kernel sends it, appended to `buffer`.
void put_packet(std::vector<char>& buffer, const std::string& prefix, const std::vector<std::uint8_t>& packet,
                const std::vector<std::uint8_t>& mac = {}) {
  std::vector<char> message(MNL_SOCKET_BUFFER_SIZE);
  nlmsghdr* header = nflog_nlmsg_put_header(message.data(), NFULNL_MSG_PACKET, AF_INET, 5);
  mnl_attr_put_strz(header, NFULA_PREFIX, prefix.c_str());
  if (!mac.empty()) {
    nfulnl_msg_packet_hw hw{};
    hw.hw_addrlen = htons(static_cast<std::uint16_t>(mac.size()));
    std::memcpy(hw.hw_addr, mac.data(), mac.size());
    mnl_attr_put(header, NFULA_HWADDR, sizeof hw, &hw);
  }
  mnl_attr_put(header, NFULA_PAYLOAD, packet.size(), packet.data());
  buffer.insert(buffer.end(), message.data(), message.data() + header->nlmsg_len);
}

// An IPv4 header (20 bytes) and a UDP header to 198.51.100.2:53.
std::vector<std::uint8_t> udp_to_dns() {
  return {0x45, 0, 0, 28, 0, 0, 0, 0, 64, 17, 0, 0, 10, 77, 0, 10, 198, 51, 100, 2, 0x30, 0x39, 0, 53, 0, 8, 0, 0};
}

std::vector<BlockedPacket> read_all(const std::vector<char>& buffer) {
  std::vector<BlockedPacket> packets;
  read_nflog_messages(buffer.data(), buffer.size(), [&](BlockedPacket p) { packets.push_back(std::move(p)); });
  return packets;
}

}  // namespace

TEST(NflogMessages, EachLoggedPacketIsAttributedByItsPrefixWithItsSourceMac) {
  std::vector<char> buffer;
  put_packet(buffer, "obr c01-door-1a: ", udp_to_dns(), {0x02, 0x00, 0x5e, 0x10, 0x00, 0x0a});
  put_packet(buffer, "someone else's log: ", udp_to_dns());  // another ruleset's prefix on the same group
  put_packet(buffer, "obr unknown: ", udp_to_dns());
  const auto packets = read_all(buffer);
  ASSERT_EQ(packets.size(), 2u);
  EXPECT_EQ(packets[0].camera_id, "c01-door-1a");
  EXPECT_EQ(packets[0].protocol, "udp");
  EXPECT_EQ(packets[0].destination, "198.51.100.2");
  EXPECT_EQ(packets[0].destination_port, 53);
  EXPECT_EQ(packets[0].source_mac, "02:00:5e:10:00:0a");
  EXPECT_EQ(packets[1].camera_id, "unknown");
  EXPECT_EQ(packets[1].source_mac, "");
}

TEST(NflogMessages, TruncatedOrMalformedMessagesAreSkippedNotTrusted) {
  std::vector<char> buffer;
  put_packet(buffer, "obr c01: ", udp_to_dns());
  const std::vector<char> whole = buffer;
  for (std::size_t cut = 0; cut < whole.size(); ++cut)  // every truncation: no crash, no packet
    EXPECT_TRUE(read_all(std::vector<char>(whole.begin(), whole.begin() + static_cast<std::ptrdiff_t>(cut))).empty()) << cut;

  // A prefix attribute without its terminating NUL is rejected by the library's checks.
  std::vector<char> message(MNL_SOCKET_BUFFER_SIZE);
  nlmsghdr* header = nflog_nlmsg_put_header(message.data(), NFULNL_MSG_PACKET, AF_INET, 5);
  mnl_attr_put(header, NFULA_PREFIX, 8, "obr c01:");
  const auto packet = udp_to_dns();
  mnl_attr_put(header, NFULA_PAYLOAD, packet.size(), packet.data());
  EXPECT_TRUE(read_all(std::vector<char>(message.data(), message.data() + header->nlmsg_len)).empty());
}
