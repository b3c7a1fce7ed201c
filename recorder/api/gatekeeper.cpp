#include "recorder/api/gatekeeper.h"

#include <sodium.h>

#include "recorder/core/logging.h"

namespace recorder::api {
namespace http = boost::beast::http;

namespace {

std::optional<std::string> decode_base64(std::string_view text) {
  std::string bytes(text.size(), '\0');
  std::size_t length = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(bytes.data()), bytes.size(), text.data(), text.size(), nullptr,
                        &length, nullptr, sodium_base64_VARIANT_ORIGINAL) != 0)
    return std::nullopt;
  bytes.resize(length);
  return bytes;
}

Admission refused(http::status status, std::string message, std::string user = "-",
                  std::optional<std::chrono::seconds> retry_after = std::nullopt) {
  return Admission{std::nullopt, Refusal{status, std::move(message), std::move(user), retry_after}};
}

}  // namespace

Gatekeeper::Gatekeeper(const std::filesystem::path& users_file, std::chrono::seconds token_lifetime)
    : users_(users_file), tokens_(token_lifetime), log_(component_logger("api")) {}

Admission Gatekeeper::login(const std::string& user, const std::string& password, const std::string& remote,
                            WallTime now) {
  if (const auto wait = throttle_.refused_for(remote, now))
    return refused(http::status::too_many_requests,
                   "too many failed logins from " + remote + ": try again in " + std::to_string(wait->count()) + " s",
                   user, wait);
  if (auto identity = users_.authenticate(user, password)) {
    throttle_.succeeded(remote);
    return Admission{std::move(identity), std::nullopt};
  }
  ++failed_logins_;
  if (throttle_.failed(remote, now))
    log_->warn("repeated failed logins from {} (last as '{}'): further attempts are refused for a while", remote, user);
  return refused(http::status::unauthorized, "wrong user name or password", user);
}

Admission Gatekeeper::admit(const Request& request, const std::string& remote, WallTime now) {
  const std::string_view header = request[http::field::authorization];
  if (header.empty()) return refused(http::status::unauthorized, "log in first: send HTTP Basic credentials or a bearer token");
  constexpr std::string_view basic = "Basic ", bearer = "Bearer ";
  if (header.substr(0, bearer.size()) == bearer) {
    if (auto identity = tokens_.validate(std::string(header.substr(bearer.size())), now)) {
      const auto role = users_.current_role(identity->user);
      if (!role) return refused(http::status::unauthorized, "the token's user no longer exists", identity->user);
      identity->role = *role;
      return Admission{std::move(identity), std::nullopt};
    }
    return refused(http::status::unauthorized, "the token is unknown or expired: log in again");
  }
  if (header.substr(0, basic.size()) == basic) {
    const auto decoded = decode_base64(header.substr(basic.size()));
    const auto colon = decoded ? decoded->find(':') : std::string::npos;
    if (colon == std::string::npos) return refused(http::status::unauthorized, "malformed Basic credentials");
    return login(decoded->substr(0, colon), decoded->substr(colon + 1), remote, now);
  }
  return refused(http::status::unauthorized, "unsupported Authorization scheme: use Basic or Bearer");
}

void Gatekeeper::logout(const Request& request) {
  const std::string_view header = request[http::field::authorization];
  constexpr std::string_view bearer = "Bearer ";
  if (header.substr(0, bearer.size()) == bearer) tokens_.revoke(std::string(header.substr(bearer.size())));
}

}  // namespace recorder::api
