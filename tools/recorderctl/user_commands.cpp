// recorderctl users: the maintenance API's users file (api.users_file). The running recorder notices
// changes by itself. Passwords come from standard input and are never printed, nor are their hashes.

#include <fcntl.h>
#include <iostream>
#include <sys/file.h>
#include <termios.h>
#include <thread>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "commands.h"
#include "recorder/api/users.h"
#include "recorder/config/config.h"

namespace recorderctl {

using namespace recorder;

namespace {

struct UsersOptions {
  std::string action;
  std::string name;
  std::string config_file;
  std::optional<api::Role> role;
};

UsersOptions parse_users(const Arguments& args) {
  if (args.empty()) throw UsageError("users needs add, remove, passwd, role or list");
  UsersOptions options{args[0]};
  for (std::size_t i = 1; i < args.size(); ++i) {
    auto value = [&]() -> std::string {
      if (i + 1 >= args.size()) throw UsageError(args[i] + " needs a value");
      return args[++i];
    };
    if (args[i] == "--config") {
      options.config_file = value();
    } else if (args[i] == "--role") {
      const std::string text = value();
      options.role = api::parse_role(text);
      if (!options.role) throw UsageError("--role must be viewer, exporter or admin, not '" + text + "'");
    } else if (args[i].rfind("--", 0) != 0 && options.name.empty() && options.action != "list") {
      options.name = args[i];
    } else {
      throw UsageError("unknown argument '" + args[i] + "'");
    }
  }
  const auto& a = options.action;
  if (a != "add" && a != "remove" && a != "passwd" && a != "role" && a != "list")
    throw UsageError("unknown users command '" + a + "' (add, remove, passwd, role, list)");
  if (options.config_file.empty()) throw UsageError("--config FILE is required");
  if (a != "list" && options.name.empty()) throw UsageError("users " + a + " needs a user NAME");
  const bool needs_role = a == "add" || a == "role";
  if (needs_role && !options.role) throw UsageError("users " + a + " needs --role viewer|exporter|admin");
  if (!needs_role && options.role) throw UsageError("users " + a + " takes no --role");
  return options;
}

// Turns terminal echo off while it lives.
class EchoOff {
 public:
  EchoOff() {
    if (tcgetattr(STDIN_FILENO, &saved_) != 0) return;
    termios quiet = saved_;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    active_ = tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) == 0;
  }
  ~EchoOff() {
    if (active_) tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_);
  }
  EchoOff(const EchoOff&) = delete;
  EchoOff& operator=(const EchoOff&) = delete;

 private:
  termios saved_{};
  bool active_ = false;
};

std::string read_line(const char* what) {
  std::string line;
  if (!std::getline(std::cin, line) && line.empty())
    throw Error(ErrorKind::InvalidArgument, std::string("no ") + what + " on standard input");
  if (!line.empty() && line.back() == '\r') line.pop_back();  // piped from a CRLF file
  return line;
}

// One line from standard input; on a terminal, asked twice without echo and both must match.
std::string read_password(const std::string& user) {
  if (!isatty(STDIN_FILENO)) return read_line("password");
  std::string first, second;
  {
    EchoOff quiet;
    std::cerr << "New password for " << user << ": " << std::flush;
    first = read_line("password");
    std::cerr << "\nAgain: " << std::flush;
    second = read_line("password");
    std::cerr << "\n";
  }
  if (first != second) throw Error(ErrorKind::InvalidArgument, "the two passwords differ; nothing changed");
  return first;
}

// Two `recorderctl users` runs at once (two people, or a script) would each load the file, change it and
// save it, and the later save would drop the other's change. Changes therefore hold an exclusive lock
// on "<users file>.lock" from loading to saving; a second run waits for it, at most `patience`.
class UsersFileLock {
 public:
  UsersFileLock(const std::filesystem::path& users_file, std::chrono::seconds patience) {
    const std::string path = users_file.string() + ".lock";
    std::error_code ignored;  // a folder that cannot be made is reported by open() below
    if (users_file.has_parent_path()) std::filesystem::create_directories(users_file.parent_path(), ignored);
    // Read-only and 0644 (it holds nothing): whoever made it, root or the recorder's user, the other can
    // still open it to lock.
    fd_ = open(path.c_str(), O_RDONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) throw Error(ErrorKind::PermissionDenied, "cannot open " + path + ": " + std::strerror(errno));
    const auto deadline = std::chrono::steady_clock::now() + patience;
    while (flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      if (errno != EWOULDBLOCK && errno != EINTR) {
        const std::string why = std::strerror(errno);
        close(fd_);
        throw Error(ErrorKind::Unavailable, "cannot lock " + path + ": " + why);
      }
      if (std::chrono::steady_clock::now() >= deadline) {
        close(fd_);
        throw Error(ErrorKind::Unavailable, "another recorderctl users is changing " + users_file.string() +
                                                " (it holds " + path + "); nothing changed, try again");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  ~UsersFileLock() { close(fd_); }  // releases the lock
  UsersFileLock(const UsersFileLock&) = delete;
  UsersFileLock& operator=(const UsersFileLock&) = delete;

 private:
  int fd_ = -1;
};

// Long enough for other runs' loads and saves (hashing and asking happen before locking).
constexpr std::chrono::seconds lock_patience{15};

}  // namespace

int users_command(const Arguments& args) {
  const auto options = parse_users(args);
  const auto api_config = load_api_config(options.config_file, "users file to manage (api.users_file)");
  const auto& file = api_config.users_file;
  auto store = api::UserStore::load(file);

  if (options.action == "list") {
    const auto users = store.users();
    if (users.empty()) std::cout << "no users in " << file.string() << "\n";
    for (const auto& user : users) std::cout << user.name << " " << api::role_name(user.role) << "\n";
    return 0;
  }
  const std::string& name = options.name;
  // Passwords are asked for and hashed before the lock (a person may take a while, the hash a good part
  // of a second), checked against the file as it is then so that nobody types a password for nothing;
  // the fresh load under the lock decides.
  std::optional<api::PasswordHash> password;
  if (options.action == "add") {
    if (store.find(name)) throw Error(ErrorKind::InvalidArgument, "user '" + name + "' exists already");
    password.emplace(read_password(name));
  } else if (options.action == "passwd") {
    if (!store.find(name)) throw Error(ErrorKind::NotFound, "no user '" + name + "' in " + file.string());
    password.emplace(read_password(name));
  }
  const UsersFileLock lock(file, lock_patience);
  store = api::UserStore::load(file);
  if (options.action == "add") {
    store.add(name, *options.role, *password);  // refuses a name another run added meanwhile
    store.save(file);
    std::cout << "added " << name << " (" << api::role_name(*options.role) << ") to " << file.string() << "\n";
  } else if (options.action == "passwd") {
    if (!store.find(name)) throw Error(ErrorKind::NotFound, "no user '" + name + "' in " + file.string());
    store.set_password(name, *password);
    store.save(file);
    std::cout << "changed the password of " << name << " in " << file.string() << "\n";
  } else if (options.action == "role") {
    store.set_role(name, *options.role);
    store.save(file);
    std::cout << name << " is now " << api::role_name(*options.role) << " in " << file.string() << "\n";
  } else {
    store.remove(name);
    store.save(file);
    std::cout << "removed " << name << " from " << file.string() << "\n";
  }
  return 0;
}

}  // namespace recorderctl
