#pragma once
// A child process for tests: started with posix_spawn, output captured in files, killed on destruction.

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace test_support {

class Process {
 public:
  // Starts `argv`; stdout and stderr go to files in `output_dir` named after `name`, stdin comes from `input`.
  Process(const std::string& name, const std::vector<std::string>& argv, const std::filesystem::path& output_dir,
          const std::filesystem::path& input = "/dev/null");
  ~Process();  // SIGKILL if still running
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  bool running();
  void signal(int signo);
  // Waits for exit; returns the exit status (or 128+signal), nullopt on timeout.
  std::optional<int> wait(std::chrono::milliseconds timeout);
  std::string stdout_text() const;
  std::string stderr_text() const;
  // Waits until stdout holds a line equal to `line`; false on timeout or exit.
  bool wait_for_stdout_line(const std::string& line, std::chrono::milliseconds timeout);

 private:
  pid_t pid_ = -1;
  std::optional<int> status_;
  std::filesystem::path stdout_path_;
  std::filesystem::path stderr_path_;
};

std::string read_file(const std::filesystem::path& path);

}  // namespace test_support
