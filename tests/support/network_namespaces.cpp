#include "tests/support/network_namespaces.h"

#include <cstdlib>
#include <unistd.h>

namespace test_support {

std::string ip_command() {
  for (const char* path : {"/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"})
    if (access(path, X_OK) == 0) return path;
  return "ip";
}

bool sh(const std::string& command) { return std::system((command + " >/dev/null 2>&1").c_str()) == 0; }

std::vector<std::string> in_namespace(const std::string& ns, std::vector<std::string> command) {
  std::vector<std::string> argv = {ip_command(), "netns", "exec", ns};
  argv.insert(argv.end(), command.begin(), command.end());
  return argv;
}

}  // namespace test_support
