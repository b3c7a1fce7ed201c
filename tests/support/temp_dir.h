#pragma once
// For unit tests: an empty directory named after the running test (removed first if a crash left it).

#include <filesystem>
#include <gtest/gtest.h>
#include <string>
#include <unistd.h>

namespace test_support {

inline std::filesystem::path fresh_temp_dir(const std::string& prefix) {
  const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
  auto dir = std::filesystem::temp_directory_path() /
             (prefix + "-" + std::to_string(getpid()) + "-" + test->test_suite_name() + "-" + test->name());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

}  // namespace test_support
