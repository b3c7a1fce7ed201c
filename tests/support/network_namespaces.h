#pragma once
// For the tests that build network namespaces of their own (label netns, root): the ip command, a
// quiet shell, and the argv that runs a program inside a namespace.

#include <string>
#include <vector>

namespace test_support {

// The ip(8) binary: sbin is not on every PATH.
std::string ip_command();
// Runs `command` with sh, its output discarded; true when it exits 0.
bool sh(const std::string& command);
// argv that runs `command` inside network namespace `ns` (ip netns exec).
std::vector<std::string> in_namespace(const std::string& ns, std::vector<std::string> command);

}  // namespace test_support
