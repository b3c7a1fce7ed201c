#pragma once
// Who is asking: HTTP Basic (over TLS) or a bearer token from a login, checked against the users file,
// with failed logins per address slowed down. It decides identity only; what a role may do is the API's.

#include <atomic>
#include <memory>
#include <optional>
#include <string>

#include "recorder/api/http_server.h"
#include "recorder/api/sessions.h"
#include "recorder/api/users.h"
#include "recorder/core/clock.h"
#include "recorder/core/logging.h"

namespace recorder::api {

struct Refusal {
  boost::beast::http::status status;  // 401 or 429 from the gatekeeper; the API also refuses with 403, 4xx
  std::string message;                // for the client: what to do, never which part was wrong
  std::string claimed_user;           // the name given (or known), for the audit log ("-" if none)
  std::optional<std::chrono::seconds> retry_after;
};

struct Admission {
  std::optional<Identity> identity;  // set when admitted
  std::optional<Refusal> refusal;    // set otherwise
};

class Gatekeeper {
 public:
  Gatekeeper(const std::filesystem::path& users_file, std::chrono::seconds token_lifetime);
  // The identity behind the request's Authorization header (Basic or Bearer).
  Admission admit(const Request& request, const std::string& remote, WallTime now);
  // A login with a name and password: an identity and a token, or a refusal.
  Admission login(const std::string& user, const std::string& password, const std::string& remote, WallTime now);
  Token issue_token(const Identity& who, WallTime now) { return tokens_.issue(who, now); }
  void logout(const Request& request);
  std::size_t user_count() { return users_.user_count(); }
  std::uint64_t failed_logins() const { return failed_logins_; }

 private:
  UserDirectory users_;
  TokenStore tokens_;
  LoginThrottle throttle_;
  std::atomic<std::uint64_t> failed_logins_{0};
  std::shared_ptr<spdlog::logger> log_;
};

}  // namespace recorder::api
