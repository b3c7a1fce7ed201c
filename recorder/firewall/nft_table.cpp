#include "recorder/firewall/nft_table.h"

#include <fmt/format.h>
#include <nftables/libnftables.h>
#include <sched.h>
#include <sstream>
#include <sys/wait.h>
#include <unistd.h>

#include "recorder/core/error.h"
#include "recorder/firewall/ruleset_renderer.h"

namespace recorder::firewall {
namespace {

// One libnftables context with its output and errors captured in buffers.
class NftContext {
 public:
  explicit NftContext(unsigned output_flags = 0) : ctx_(nft_ctx_new(NFT_CTX_DEFAULT)) {
    if (ctx_ == nullptr) throw Error(ErrorKind::Internal, "cannot create an nftables context");
    nft_ctx_buffer_output(ctx_);
    nft_ctx_buffer_error(ctx_);
    nft_ctx_output_set_flags(ctx_, output_flags);
  }
  ~NftContext() { nft_ctx_free(ctx_); }
  NftContext(const NftContext&) = delete;
  NftContext& operator=(const NftContext&) = delete;

  void set_dry_run(bool dry) { nft_ctx_set_dry_run(ctx_, dry); }
  // Runs commands; returns false with the error text in `error`.
  bool run(const std::string& commands, std::string* error = nullptr) {
    const bool ok = nft_run_cmd_from_buffer(ctx_, commands.c_str()) == 0;
    if (!ok && error != nullptr) *error = nft_ctx_get_error_buffer(ctx_);
    return ok;
  }
  std::string output() const { return nft_ctx_get_output_buffer(ctx_); }

 private:
  nft_ctx* ctx_;
};

std::string table_reference() { return fmt::format("{} {}", table_family, table_name); }

}  // namespace

void apply_ruleset(const std::string& script) {
  std::string error;
  {
    NftContext check;
    check.set_dry_run(true);
    if (!check.run(script, &error)) throw Error(ErrorKind::InvalidArgument, "nftables refused the ruleset: " + error);
  }
  NftContext apply;
  if (!apply.run(script, &error)) throw Error(ErrorKind::Unavailable, "nftables could not apply the ruleset: " + error);
}

std::optional<std::string> list_applied_table() {
  NftContext list(NFT_CTX_OUTPUT_STATELESS);
  if (!list.run("list table " + table_reference())) return std::nullopt;
  return list.output();
}

std::string list_as_applied(const std::string& script) {
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) throw Error(ErrorKind::Internal, "pipe failed");
  const pid_t child = fork();
  if (child < 0) throw Error(ErrorKind::Internal, "fork failed");
  if (child == 0) {
    // In a network namespace of its own, the table can be applied and listed without touching the host.
    close(pipe_fds[0]);
    int status = 1;
    if (unshare(CLONE_NEWNET) == 0) {
      try {
        apply_ruleset(script);
        if (const auto listed = list_applied_table()) {
          const ssize_t written = write(pipe_fds[1], listed->data(), listed->size());
          status = written == static_cast<ssize_t>(listed->size()) ? 0 : 1;
        }
      } catch (...) {
        status = 2;
      }
    }
    _exit(status);
  }
  close(pipe_fds[1]);
  std::string listed;
  char buffer[4096];
  for (ssize_t n; (n = read(pipe_fds[0], buffer, sizeof buffer)) > 0;) listed.append(buffer, static_cast<std::size_t>(n));
  close(pipe_fds[0]);
  int status = 0;
  waitpid(child, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw Error(ErrorKind::Unavailable, "cannot learn how the kernel lists the ruleset (a private network namespace "
                                        "and CAP_NET_ADMIN are needed)");
  return listed;
}

std::map<std::string, std::uint64_t> counter_packets() {
  std::map<std::string, std::uint64_t> packets;
  NftContext list;
  if (!list.run("list counters table " + table_reference())) return packets;
  // "counter NAME {" ... "packets N bytes M": pair each counter's name with the numbers after it.
  std::istringstream lines(list.output());
  std::string name;
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    std::string word;
    words >> word;
    if (word == "counter") words >> name;
    else if (word == "packets" && !name.empty()) words >> packets[name];
  }
  return packets;
}

void remove_table() {
  NftContext remove;
  remove.run("delete table " + table_reference());
}

}  // namespace recorder::firewall
