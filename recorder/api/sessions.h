#pragma once
// After a login: bearer tokens, and the brake on guessing passwords (failed logins per remote address).

#include <chrono>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "recorder/api/users.h"
#include "recorder/core/clock.h"

namespace recorder::api {

// A bearer token as handed to the client: 32 random bytes, base64url without padding.
struct Token {
  std::string value;
  WallTime expires_at;
};

// The tokens issued at login. Kept only in memory (a restart logs everyone out) and only as hashes of the
// token, so a lookup does not compare secrets byte by byte. Thread-safe; expired tokens are refused and forgotten.
class TokenStore {
 public:
  explicit TokenStore(std::chrono::seconds lifetime);

  Token issue(const Identity& who, WallTime now);
  std::optional<Identity> validate(const std::string& token, WallTime now);
  void revoke(const std::string& token);
  // Every token of `user` (removed, demoted or changed password): their holders must log in again.
  void revoke_user(const std::string& user);

 private:
  struct Session {
    Identity who;
    WallTime expires_at;
  };
  void forget_expired(WallTime now);  // needs mutex_

  const std::chrono::seconds lifetime_;
  std::mutex mutex_;
  std::unordered_map<std::string, Session> sessions_;  // key: hash of the token
};

// How hard LoginThrottle brakes; the defaults are the API's.
struct ThrottlePolicy {
  int refuse_at_failure = 5;              // this failure starts a refusal of 1 s, each further one doubles it
  std::chrono::seconds window{10 * 60};   // quiet this long (after any refusal) and the address starts over
  std::chrono::seconds max_refusal{15 * 60};
  std::size_t max_addresses = 10000;      // beyond this, the longest-quiet address is dropped
};

// Slows down repeated failed logins per remote address: after 5 failures within 10 minutes, the address is
// refused for 2^(failures-5) seconds (1 s, 2 s, 4 s ..., at most 15 minutes); a success resets it.
// Thread-safe, bounded memory.
class LoginThrottle {
 public:
  explicit LoginThrottle(ThrottlePolicy policy = {});

  // How much longer `remote` is refused (rounded up to whole seconds); nullopt: it may try.
  std::optional<std::chrono::seconds> refused_for(const std::string& remote, WallTime now);
  // Records a failure; true when this failure starts or extends a refusal (the caller logs it).
  bool failed(const std::string& remote, WallTime now);
  void succeeded(const std::string& remote);

 private:
  struct Failures {
    int count = 0;
    WallTime last_failure;
    WallTime refused_until;
  };
  bool stale(const Failures& entry, WallTime now) const;
  void make_room(WallTime now);  // needs mutex_

  const ThrottlePolicy policy_;
  std::mutex mutex_;
  std::unordered_map<std::string, Failures> addresses_;
};

}  // namespace recorder::api
