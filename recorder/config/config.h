#pragma once
// The recorder's configuration as typed, validated structs. Loading is the only place YAML is read.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "recorder/core/error.h"

namespace recorder::config {

enum class Transport { Tcp, Udp };

// A value that must never be logged or returned (camera passwords). It has no stream operator on purpose.
class Secret {
 public:
  Secret() = default;
  explicit Secret(std::string value) : value_(std::move(value)) {}
  const std::string& reveal() const { return value_; }
  bool empty() const { return value_.empty(); }
  bool operator==(const Secret&) const = default;  // a reload compares configurations; never printed

 private:
  std::string value_;
};

// One camera of the train, as the recorder connects to it.
struct CameraConfig {
  std::string id;                  // letters, digits, '-', '_'; unique; used in paths and logs
  std::string url;                 // rtsp:// or rtsps://, without credentials
  Transport transport = Transport::Tcp;
  std::string username;            // empty: no authentication
  Secret password;                 // from `password` or read from `password_file` at load
  std::optional<int> car;          // which car of the train (documentation, API listing)
  std::string position;            // where in the car, e.g. "door 1A"
  std::optional<std::uint64_t> max_bytes;  // quota: oldest footage of this camera goes beyond it
  std::optional<std::uint64_t> stall_buffer;  // video held while the disk stalls; default 3 MiB (frame_queue.h)
  bool operator==(const CameraConfig&) const = default;
};

// How long footage is kept and how much room it may take (storage.retention).
struct RetentionConfig {
  int max_age_days = 28;               // privacy: the Dutch norm for camera footage
  int min_free_percent = 5;            // free-space floor, as a share of the disk ...
  std::uint64_t min_free_bytes = 0;    // ... or in bytes; the larger floor applies
  int max_protected_percent = 25;      // protecting beyond this share of the disk is refused
  int check_seconds = 10;              // how often retention looks at the disk
  bool operator==(const RetentionConfig&) const = default;
};

// The free space retention keeps on a disk of `capacity` bytes: the larger of the two floors.
std::uint64_t free_space_floor(const RetentionConfig& retention, std::uint64_t capacity);

// Where and how footage is written.
struct StorageConfig {
  std::filesystem::path path;
  int segment_seconds = 60;
  RetentionConfig retention;
  bool operator==(const StorageConfig&) const = default;
};

// The camera segment and what the recorder's firewall lets through (network:, docs/firewall.md).
struct NetworkConfig {
  std::vector<std::string> camera_interfaces;   // interfaces (or VLAN interfaces) of the camera segment
  std::vector<std::string> camera_subnets;      // normalised prefixes, IPv4 and/or IPv6: "192.0.2.0/24"
  std::vector<std::string> recorder_addresses;  // the recorder's own addresses on that segment
  bool serve_ntp = false;                       // cameras may ask the recorder for the time (UDP 123)
  bool serve_dhcp = false;                      // cameras may ask the recorder for an address (UDP 67)
  int log_group = 5;                            // nflog group of dropped packets, read by the monitor
  int verify_seconds = 30;                      // how often the applied ruleset is read back and compared
  // A recorder without CAP_NET_ADMIN (under systemd) gets the bound drop log from the helper listening
  // here (systemd/recorder-nflog.socket), and learns the firewall's state from the guard's result file
  // (recorderctl firewall apply/guard write it; systemd/recorder-firewall-guard.service). docs/firewall.md.
  std::filesystem::path drop_log_socket = "/run/onboard-recorder/nflog.sock";
  std::filesystem::path guard_result_file = "/run/onboard-recorder-firewall/guard-result.json";
  bool operator==(const NetworkConfig&) const = default;
};

// The maintenance API's HTTPS certificate and key (api.tls), PEM files; `recorderctl tls init` makes them.
struct TlsConfig {
  std::filesystem::path cert;
  std::filesystem::path key;
  bool operator==(const TlsConfig&) const = default;
};

// The maintenance API (api:). HTTPS unless `insecure_http: true` asks for plain HTTP (tests, a bench).
// Relative paths are taken from the configuration file's folder.
struct ApiConfig {
  std::string listen_address = "127.0.0.1";
  int listen_port = 8443;           // 0: any free port (tests)
  bool insecure_http = false;
  std::optional<TlsConfig> tls;     // required unless insecure_http
  std::filesystem::path users_file = "/etc/onboard-recorder/users.yaml";  // `recorderctl users` manages it
  std::filesystem::path signing_key = "/var/lib/onboard-recorder/signing.key";  // Ed25519, for manifests
  int token_seconds = 3600;         // how long a login's bearer token is valid
  int max_export_minutes = 240;     // longer export ranges are refused
  bool operator==(const ApiConfig&) const = default;
};

struct Config {
  StorageConfig storage;
  std::optional<ApiConfig> api;  // absent: no API
  std::vector<CameraConfig> cameras;
  std::optional<NetworkConfig> network;  // absent: no firewall is applied
  std::string log_level = "info";
  bool operator==(const Config&) const = default;
};

// A configuration problem, with the file, line and key that caused it in the message.
class ConfigError : public Error {
 public:
  explicit ConfigError(const std::string& message) : Error(ErrorKind::InvalidArgument, message) {}
};

// Whether loading reads the cameras' password files. The privileged firewall units skip them: they
// need only addresses, must not hold the cameras' secrets, and cannot read them anyway (the files
// belong to the recorder's user, mode 0600, and those units are root without CAP_DAC_OVERRIDE).
enum class CameraSecrets { Read, Skip };

// Reads and validates a configuration file. Throws ConfigError naming the file, line and key.
Config load_config(const std::filesystem::path& file, CameraSecrets secrets = CameraSecrets::Read);
// The same, from text (tests, reload); `origin` names the source in messages.
Config parse_config(const std::string& yaml_text, const std::string& origin,
                    const std::filesystem::path& relative_to = {}, CameraSecrets secrets = CameraSecrets::Read);

}  // namespace recorder::config
