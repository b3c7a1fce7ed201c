#include "recorder/api/users.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fmt/format.h>
#include <fstream>
#include <sodium.h>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include "recorder/config/config_reader.h"
#include "recorder/core/error.h"
#include "recorder/core/logging.h"

namespace recorder::api {
namespace {

constexpr std::size_t min_password_characters = 10;
constexpr std::size_t max_password_bytes = 1024;  // a longer one is a mistake or an attack, not a password

void init_sodium() {
  if (sodium_init() < 0) throw Error(ErrorKind::Internal, "libsodium could not be initialised");
}

void check_name(const std::string& name) {
  const bool allowed = std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
  });
  if (name.empty() || name.size() > 64 || !allowed)
    throw Error(ErrorKind::InvalidArgument,
                fmt::format("user name '{}' is not allowed: use 1 to 64 of the characters A-Z a-z 0-9 . _ -", name));
}

// Characters, not bytes: a UTF-8 continuation byte does not start a new one.
std::size_t character_count(const std::string& text) {
  return static_cast<std::size_t>(
      std::count_if(text.begin(), text.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

std::string hash_password(const std::string& password) {
  if (character_count(password) < min_password_characters)
    throw Error(ErrorKind::InvalidArgument,
                fmt::format("password too short: it needs at least {} characters", min_password_characters));
  if (password.size() > max_password_bytes)
    throw Error(ErrorKind::InvalidArgument, fmt::format("password too long: at most {} bytes", max_password_bytes));
  init_sodium();
  char hash[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str(hash, password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                        crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
    throw Error(ErrorKind::Unavailable, "not enough memory to hash the password (argon2id needs 64 MiB)");
  return hash;
}

User read_user(const config::ConfigNode& node) {
  node.expect_map_with_keys({"name", "role", "password_hash"});
  User user;
  const auto name = node.child("name");
  user.name = name.as_string();
  try {
    check_name(user.name);
  } catch (const Error& e) {
    name.fail(e.what());
  }
  const auto role_node = node.child("role");
  const auto role = parse_role(role_node.as_string());
  if (!role) role_node.fail(fmt::format("must be viewer, exporter or admin, not '{}'", role_node.as_string()));
  user.role = *role;
  const auto hash = node.child("password_hash");
  user.password_hash = hash.as_string();  // never quoted in a message: it is as good as a password offline
  if (user.password_hash.rfind("$argon2", 0) != 0 || user.password_hash.size() >= crypto_pwhash_STRBYTES)
    hash.fail("is not an argon2 hash as recorderctl users writes it");
  return user;
}

void write_all(int fd, const std::string& text, const std::filesystem::path& file) {
  for (std::size_t done = 0; done < text.size();) {
    const ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw Error(ErrorKind::Unavailable, fmt::format("cannot write {}: {}", file.string(), std::strerror(errno)));
    done += static_cast<std::size_t>(n);
  }
}

std::int64_t nanoseconds(const timespec& t) { return static_cast<std::int64_t>(t.tv_sec) * 1'000'000'000 + t.tv_nsec; }

}  // namespace

std::optional<Role> parse_role(std::string_view name) {
  if (name == "viewer") return Role::Viewer;
  if (name == "exporter") return Role::Exporter;
  if (name == "admin") return Role::Admin;
  return std::nullopt;
}

const char* role_name(Role role) {
  switch (role) {
    case Role::Viewer: return "viewer";
    case Role::Exporter: return "exporter";
    case Role::Admin: return "admin";
  }
  return "unknown";
}

bool role_allows(Role have, Role need) { return static_cast<int>(have) >= static_cast<int>(need); }

bool verify_password(const std::string& password_hash, const std::string& password) {
  init_sodium();
  if (password.size() > max_password_bytes) return false;
  return crypto_pwhash_str_verify(password_hash.c_str(), password.data(), password.size()) == 0;
}

// ---- UserStore

UserStore UserStore::load(const std::filesystem::path& file) {
  std::error_code error;
  if (!std::filesystem::exists(file, error)) {
    if (error) throw Error(ErrorKind::PermissionDenied, fmt::format("{}: cannot look at the users file: {}", file.string(), error.message()));
    return {};
  }
  std::ifstream in(file);
  if (!in) throw Error(ErrorKind::PermissionDenied, fmt::format("{}: cannot read the users file", file.string()));
  std::ostringstream text;
  text << in.rdbuf();
  const std::string origin = file.string();
  YAML::Node document;
  try {
    document = YAML::Load(text.str());
  } catch (const YAML::Exception& e) {
    throw Error(ErrorKind::InvalidArgument, fmt::format("{}:{}: not valid YAML: {}", origin, e.mark.line + 1, e.msg));
  }
  UserStore store;
  if (document.IsNull()) return store;  // an empty file: no users yet
  const config::ConfigNode root(document, "", origin);
  root.expect_map_with_keys({"users"});
  const auto list = root.optional_child("users");
  if (!list) return store;
  if (!list->is_sequence()) list->fail("must be a list of users");
  for (std::size_t i = 0; i < list->size(); ++i) {
    const auto node = list->element(i);
    User user = read_user(node);
    if (store.find(user.name)) node.fail(fmt::format("user '{}' appears twice", user.name));
    store.users_.push_back(std::move(user));
  }
  return store;
}

void UserStore::save(const std::filesystem::path& file) const {
  YAML::Emitter out;
  out << YAML::BeginMap << YAML::Key << "users" << YAML::Value << YAML::BeginSeq;
  for (const auto& user : users_)
    out << YAML::BeginMap << YAML::Key << "name" << YAML::Value << user.name << YAML::Key << "role" << YAML::Value
        << role_name(user.role) << YAML::Key << "password_hash" << YAML::Value << YAML::DoubleQuoted
        << user.password_hash << YAML::EndMap;
  out << YAML::EndSeq << YAML::EndMap;
  const std::string text = std::string("# Users of the maintenance API; edit with `recorderctl users`.\n") +
                           out.c_str() + "\n";

  const auto folder = file.parent_path().empty() ? std::filesystem::path(".") : file.parent_path();
  std::error_code made;
  std::filesystem::create_directories(folder, made);
  if (made) throw Error(ErrorKind::PermissionDenied, fmt::format("cannot create {}: {}", folder.string(), made.message()));
  std::string temp = (folder / ("." + file.filename().string() + ".XXXXXX")).string();
  const int fd = mkostemp(temp.data(), O_CLOEXEC);  // mode 0600 already
  if (fd < 0)
    throw Error(ErrorKind::PermissionDenied, fmt::format("cannot create a file in {}: {}", folder.string(), std::strerror(errno)));
  bool open_fd = true;
  try {
    // Rewriting as root must not take the file away from the recorder's user: keep its owner.
    struct stat old {};
    if (stat(file.c_str(), &old) == 0 && fchown(fd, old.st_uid, old.st_gid) != 0 && errno != EPERM)
      throw Error(ErrorKind::PermissionDenied, fmt::format("cannot keep the owner of {}: {}", file.string(), std::strerror(errno)));
    if (fchmod(fd, 0600) != 0) throw Error(ErrorKind::PermissionDenied, fmt::format("cannot chmod {}", temp));
    write_all(fd, text, temp);
    if (fsync(fd) != 0) throw Error(ErrorKind::Unavailable, fmt::format("cannot fsync {}: {}", temp, std::strerror(errno)));
    open_fd = false;
    close(fd);
    if (rename(temp.c_str(), file.c_str()) != 0)
      throw Error(ErrorKind::PermissionDenied, fmt::format("cannot replace {}: {}", file.string(), std::strerror(errno)));
  } catch (...) {
    if (open_fd) close(fd);
    unlink(temp.c_str());
    throw;
  }
  // The rename is durable only once the folder is.
  const int dir = open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  const bool synced = dir >= 0 && fsync(dir) == 0;
  if (dir >= 0) close(dir);
  if (!synced) throw Error(ErrorKind::Unavailable, fmt::format("cannot fsync {} after replacing {}", folder.string(), file.string()));
}

PasswordHash::PasswordHash(const std::string& password) : text_(hash_password(password)) {}

void UserStore::add(const std::string& name, Role role, const std::string& password) {
  check_name(name);  // a bad name or a taken one is said before the slow hash
  if (find(name)) throw Error(ErrorKind::InvalidArgument, fmt::format("user '{}' exists already", name));
  add(name, role, PasswordHash(password));
}

void UserStore::add(const std::string& name, Role role, const PasswordHash& password) {
  check_name(name);
  if (find(name)) throw Error(ErrorKind::InvalidArgument, fmt::format("user '{}' exists already", name));
  users_.push_back(User{name, role, password.text()});
}

void UserStore::remove(const std::string& name) {
  existing(name);
  std::erase_if(users_, [&](const User& user) { return user.name == name; });
}

void UserStore::set_password(const std::string& name, const std::string& password) {
  existing(name);  // an unknown name is said before the slow hash
  set_password(name, PasswordHash(password));
}

void UserStore::set_password(const std::string& name, const PasswordHash& password) {
  existing(name).password_hash = password.text();
}

void UserStore::set_role(const std::string& name, Role role) { existing(name).role = role; }

std::optional<User> UserStore::find(const std::string& name) const {
  const auto it = std::find_if(users_.begin(), users_.end(), [&](const User& user) { return user.name == name; });
  if (it == users_.end()) return std::nullopt;
  return *it;
}

User& UserStore::existing(const std::string& name) {
  const auto it = std::find_if(users_.begin(), users_.end(), [&](const User& user) { return user.name == name; });
  if (it == users_.end()) throw Error(ErrorKind::NotFound, fmt::format("no user '{}'", name));
  return *it;
}

// ---- UserDirectory

namespace {

// A hash no password matches in practice, for unknown names: made once per process (it takes one argon2 run).
const std::string& dummy_hash() {
  static const std::string hash = [] {
    init_sodium();
    unsigned char random[32];
    randombytes_buf(random, sizeof random);
    char hash[crypto_pwhash_STRBYTES];
    if (crypto_pwhash_str(hash, reinterpret_cast<const char*>(random), sizeof random, crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
      throw Error(ErrorKind::Unavailable, "not enough memory for argon2id (64 MiB)");
    return std::string(hash);
  }();
  return hash;
}

// Holds one of the few argon2 slots while verifying.
class VerifySlot {
 public:
  explicit VerifySlot(std::counting_semaphore<2>& slots) : slots_(slots) { slots_.acquire(); }
  ~VerifySlot() { slots_.release(); }
  VerifySlot(const VerifySlot&) = delete;
  VerifySlot& operator=(const VerifySlot&) = delete;

 private:
  std::counting_semaphore<2>& slots_;
};

}  // namespace

UserDirectory::UserDirectory(std::filesystem::path file, std::shared_ptr<const Clock> clock)
    : file_(std::move(file)), clock_(std::move(clock)) {
  init_sodium();
  cache_secret_.resize(crypto_generichash_KEYBYTES);
  randombytes_buf(cache_secret_.data(), cache_secret_.size());
  version_ = version_of(file_);
  store_ = UserStore::load(file_);  // at start-up a broken file is an error the operator sees
  dummy_hash();
}

UserDirectory::FileVersion UserDirectory::version_of(const std::filesystem::path& file) {
  struct stat info {};
  if (stat(file.c_str(), &info) != 0) return {};
  return FileVersion{true, static_cast<std::uint64_t>(info.st_dev), static_cast<std::uint64_t>(info.st_ino), info.st_size,
                     nanoseconds(info.st_mtim), nanoseconds(info.st_ctim)};
}

void UserDirectory::reload_if_changed() {
  const FileVersion now = version_of(file_);  // before reading: a change meanwhile is seen next time
  if (now == version_) return;
  version_ = now;
  remembered_.clear();  // belt and braces: the cache key holds the stored hash as well
  try {
    store_ = UserStore::load(file_);
    component_logger("users")->info("reloaded {}: {} user(s)", file_.string(), store_.size());
  } catch (const Error& e) {
    store_ = UserStore();
    component_logger("users")->error("{}; refusing every login until the file is fixed", e.what());
  }
}

std::string UserDirectory::cache_key(const User& user, const std::string& password) const {
  crypto_generichash_state state;
  crypto_generichash_init(&state, reinterpret_cast<const unsigned char*>(cache_secret_.data()), cache_secret_.size(),
                          crypto_generichash_BYTES);
  const unsigned char separator = 0;
  for (const std::string* part : {&user.name, &password, &user.password_hash}) {
    crypto_generichash_update(&state, reinterpret_cast<const unsigned char*>(part->data()), part->size());
    crypto_generichash_update(&state, &separator, 1);
  }
  std::string key(crypto_generichash_BYTES, '\0');
  crypto_generichash_final(&state, reinterpret_cast<unsigned char*>(key.data()), key.size());
  return key;
}

std::optional<Identity> UserDirectory::authenticate(const std::string& name, const std::string& password) {
  std::optional<User> user;
  std::string key;
  {
    std::lock_guard lock(mutex_);
    reload_if_changed();
    user = store_.find(name);
    if (user) {
      key = cache_key(*user, password);
      const auto it = remembered_.find(key);
      if (it != remembered_.end() && it->second > clock_->monotonic_now()) return Identity{user->name, user->role};
    }
  }
  bool matches;
  {
    VerifySlot slot(verifying_);  // outside the lock: other requests go on meanwhile
    matches = verify_password(user ? user->password_hash : dummy_hash(), password);
  }
  if (!user || !matches) return std::nullopt;

  std::lock_guard lock(mutex_);
  reload_if_changed();
  const auto current = store_.find(name);  // removed or changed while verifying: the old hash no longer counts
  if (!current || current->password_hash != user->password_hash) return std::nullopt;
  const auto now = clock_->monotonic_now();
  std::erase_if(remembered_, [&](const auto& entry) { return entry.second <= now; });
  remembered_[key] = now + remember_success;
  return Identity{current->name, current->role};
}

std::optional<Role> UserDirectory::current_role(const std::string& name) {
  std::lock_guard lock(mutex_);
  reload_if_changed();
  const auto user = store_.find(name);
  return user ? std::optional<Role>(user->role) : std::nullopt;
}

std::size_t UserDirectory::user_count() {
  std::lock_guard lock(mutex_);
  reload_if_changed();
  return store_.size();
}

}  // namespace recorder::api
