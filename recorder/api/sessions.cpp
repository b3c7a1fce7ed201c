#include "recorder/api/sessions.h"

#include <algorithm>
#include <cstring>
#include <sodium.h>

#include "recorder/core/error.h"

namespace recorder::api {
namespace {

constexpr std::size_t token_bytes = 32;

// The map key of a token: its hash, so the lookup never compares the secret itself byte by byte.
std::string token_key(const std::string& token) {
  std::string key(crypto_generichash_BYTES, '\0');
  crypto_generichash(reinterpret_cast<unsigned char*>(key.data()), key.size(),
                     reinterpret_cast<const unsigned char*>(token.data()), token.size(), nullptr, 0);
  return key;
}

}  // namespace

// ---- TokenStore

TokenStore::TokenStore(std::chrono::seconds lifetime) : lifetime_(lifetime) {
  if (sodium_init() < 0) throw Error(ErrorKind::Internal, "libsodium could not be initialised");
}

Token TokenStore::issue(const Identity& who, WallTime now) {
  unsigned char random[token_bytes];
  randombytes_buf(random, sizeof random);
  std::string value(sodium_base64_ENCODED_LEN(token_bytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
  sodium_bin2base64(value.data(), value.size(), random, sizeof random, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  value.resize(std::strlen(value.c_str()));
  sodium_memzero(random, sizeof random);

  const Token token{value, now + lifetime_};
  std::lock_guard lock(mutex_);
  forget_expired(now);  // what bounds the memory: every login eventually leaves
  sessions_[token_key(value)] = Session{who, token.expires_at};
  return token;
}

std::optional<Identity> TokenStore::validate(const std::string& token, WallTime now) {
  const std::string key = token_key(token);
  std::lock_guard lock(mutex_);
  const auto it = sessions_.find(key);
  if (it == sessions_.end()) return std::nullopt;
  if (now >= it->second.expires_at) {
    sessions_.erase(it);
    return std::nullopt;
  }
  return it->second.who;
}

void TokenStore::revoke(const std::string& token) {
  const std::string key = token_key(token);
  std::lock_guard lock(mutex_);
  sessions_.erase(key);
}

void TokenStore::revoke_user(const std::string& user) {
  std::lock_guard lock(mutex_);
  std::erase_if(sessions_, [&](const auto& entry) { return entry.second.who.user == user; });
}

void TokenStore::forget_expired(WallTime now) {
  std::erase_if(sessions_, [&](const auto& entry) { return now >= entry.second.expires_at; });
}

// ---- LoginThrottle

LoginThrottle::LoginThrottle(ThrottlePolicy policy) : policy_(policy) {}

bool LoginThrottle::stale(const Failures& entry, WallTime now) const {
  return now - std::max(entry.last_failure, entry.refused_until) > policy_.window;
}

std::optional<std::chrono::seconds> LoginThrottle::refused_for(const std::string& remote, WallTime now) {
  std::lock_guard lock(mutex_);
  const auto it = addresses_.find(remote);
  if (it == addresses_.end()) return std::nullopt;
  if (stale(it->second, now)) {
    addresses_.erase(it);
    return std::nullopt;
  }
  if (it->second.refused_until <= now) return std::nullopt;
  return std::chrono::ceil<std::chrono::seconds>(it->second.refused_until - now);
}

bool LoginThrottle::failed(const std::string& remote, WallTime now) {
  std::lock_guard lock(mutex_);
  auto it = addresses_.find(remote);
  if (it != addresses_.end() && stale(it->second, now)) {
    addresses_.erase(it);
    it = addresses_.end();
  }
  if (it == addresses_.end()) {
    make_room(now);
    it = addresses_.emplace(remote, Failures{}).first;
  }
  Failures& entry = it->second;
  ++entry.count;
  entry.last_failure = now;
  if (entry.count < policy_.refuse_at_failure) return false;
  const int doublings = entry.count - policy_.refuse_at_failure;
  const auto refusal = doublings >= 30 ? policy_.max_refusal
                                       : std::min<std::chrono::seconds>(std::chrono::seconds(1LL << doublings), policy_.max_refusal);
  entry.refused_until = std::max(entry.refused_until, now + refusal);
  return true;
}

void LoginThrottle::succeeded(const std::string& remote) {
  std::lock_guard lock(mutex_);
  addresses_.erase(remote);
}

void LoginThrottle::make_room(WallTime now) {
  if (addresses_.size() < policy_.max_addresses) return;
  std::erase_if(addresses_, [&](const auto& entry) { return stale(entry.second, now); });
  while (!addresses_.empty() && addresses_.size() >= policy_.max_addresses) {
    const auto oldest = std::min_element(addresses_.begin(), addresses_.end(), [](const auto& a, const auto& b) {
      return std::max(a.second.last_failure, a.second.refused_until) < std::max(b.second.last_failure, b.second.refused_until);
    });
    addresses_.erase(oldest);
  }
}

}  // namespace recorder::api
