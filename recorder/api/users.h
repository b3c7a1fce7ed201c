#pragma once
// The maintenance API's users: roles, the users file (argon2id hashes) and the question "who is this?".

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <semaphore>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "recorder/core/clock.h"

namespace recorder::api {

// What a user may do; each role includes the ones before it.
enum class Role { Viewer, Exporter, Admin };

// "viewer", "exporter", "admin"; nullopt for anything else.
std::optional<Role> parse_role(std::string_view name);
const char* role_name(Role role);
// True when a user with role `have` may do what needs role `need`.
bool role_allows(Role have, Role need);

// One entry of the users file. The password is kept only as an argon2id string (crypto_pwhash_str).
struct User {
  std::string name;
  Role role;
  std::string password_hash;
};

// True when `password` matches `password_hash` (argon2id; deliberately slow, ~0.1 s and 64 MiB).
bool verify_password(const std::string& password_hash, const std::string& password);

// A password checked for strength and hashed (argon2id). Made before a change is applied, so that
// `recorderctl users` holds the file's lock for the change only, not for the deliberately slow hash.
class PasswordHash {
 public:
  // Errors: InvalidArgument for a password that is too short or too long.
  explicit PasswordHash(const std::string& password);
  const std::string& text() const { return text_; }

 private:
  std::string text_;
};

// The users file (YAML: `users: [{name: ..., role: ..., password_hash: ...}]`), as `recorderctl users` edits it.
// Names: 1-64 characters of [A-Za-z0-9._-]. Passwords: at least 10 characters.
class UserStore {
 public:
  // A missing file is an empty store; a malformed one is an Error naming the file, line and problem.
  static UserStore load(const std::filesystem::path& file);
  // Atomic: a temporary file in the same folder (mode 0600, owner kept from the old file), fsync, rename,
  // folder fsync. A crash leaves either the old file or the new one.
  void save(const std::filesystem::path& file) const;

  // Errors: InvalidArgument for a bad name or weak password, and when the name exists already.
  void add(const std::string& name, Role role, const std::string& password);
  void add(const std::string& name, Role role, const PasswordHash& password);
  // Errors: NotFound for an unknown name (also set_password, set_role).
  void remove(const std::string& name);
  void set_password(const std::string& name, const std::string& password);
  void set_password(const std::string& name, const PasswordHash& password);
  void set_role(const std::string& name, Role role);

  std::optional<User> find(const std::string& name) const;
  std::vector<User> users() const { return users_; }
  std::size_t size() const { return users_.size(); }

 private:
  User& existing(const std::string& name);

  std::vector<User> users_;  // in the file's order; `add` appends
};

// Who is making a request, once authenticated.
struct Identity {
  std::string user;
  Role role;
};

// Answers "who is this, given name and password" for the API: thread-safe, and reloads the users file when
// it changes (mtime, size, inode), so `recorderctl users ...` takes effect without a restart.
// A success is remembered for 60 s under a keyed hash of name + password + stored hash (never the password
// itself), so HTTP Basic on every request does not cost an argon2 verify each time. An unknown name still
// costs one verify against a dummy hash, so timing does not reveal which names exist.
class UserDirectory {
 public:
  // Loads the file now: a malformed file is an Error at start-up. A file that turns malformed later
  // refuses everyone (and logs) until it is fixed: better locked out than an edit half taking effect.
  explicit UserDirectory(std::filesystem::path file,
                         std::shared_ptr<const Clock> clock = std::make_shared<SystemClock>());

  std::optional<Identity> authenticate(const std::string& name, const std::string& password);
  // The user's role as the file says now (after reloading if it changed); nullopt once removed. A bearer
  // token is only as good as this: removing or demoting a user takes effect on their tokens at once.
  std::optional<Role> current_role(const std::string& name);
  // After reloading if the file changed; the daemon warns when it is 0.
  std::size_t user_count();

  static constexpr std::chrono::seconds remember_success{60};

 private:
  // What identifies one version of the file, cheaply (stat).
  struct FileVersion {
    bool exists = false;
    std::uint64_t device = 0, inode = 0;
    std::int64_t size = 0, mtime_ns = 0, ctime_ns = 0;
    bool operator==(const FileVersion&) const = default;
  };
  static FileVersion version_of(const std::filesystem::path& file);
  void reload_if_changed();  // needs mutex_
  std::string cache_key(const User& user, const std::string& password) const;

  const std::filesystem::path file_;
  const std::shared_ptr<const Clock> clock_;
  std::mutex mutex_;
  FileVersion version_;
  UserStore store_;
  std::unordered_map<std::string, MonotonicTime> remembered_;  // cache key -> until when
  std::string cache_secret_;                                   // random per process
  // Each verify takes 64 MiB: a burst of logins must not take the memory of the recorder.
  std::counting_semaphore<2> verifying_{2};
};

}  // namespace recorder::api
