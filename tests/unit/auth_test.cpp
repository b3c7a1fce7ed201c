// The maintenance API's users, roles, bearer tokens and failed-login throttle (recorder/api/users.h, sessions.h).
// Every password here goes through real argon2id, so each add or verify costs about 0.1 s.

#include <fstream>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "recorder/api/gatekeeper.h"
#include "recorder/api/sessions.h"
#include "recorder/api/users.h"
#include "recorder/core/error.h"
#include "tests/support/temp_dir.h"

using namespace recorder;
using namespace recorder::api;
using namespace std::chrono_literals;

namespace {

const std::string alice_password = "correct horse battery";
const std::string bob_password = "tr0ub4dor&3-staple";

// The message of the Error that `action` throws, or "" when it throws none.
template <typename Action>
std::string error_of(Action action, ErrorKind expected_kind = ErrorKind::InvalidArgument) {
  try {
    action();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), expected_kind) << e.what();
    return e.what();
  }
  return "";
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

const WallTime t0 = WallTime{} + std::chrono::hours(24 * 365 * 56);  // some day in 2026

}  // namespace

// ---- Roles

TEST(Roles, EachRoleIncludesTheOnesBeforeIt) {
  EXPECT_TRUE(role_allows(Role::Admin, Role::Viewer));
  EXPECT_TRUE(role_allows(Role::Admin, Role::Exporter));
  EXPECT_TRUE(role_allows(Role::Exporter, Role::Viewer));
  EXPECT_TRUE(role_allows(Role::Exporter, Role::Exporter));
  EXPECT_FALSE(role_allows(Role::Viewer, Role::Exporter));
  EXPECT_FALSE(role_allows(Role::Exporter, Role::Admin));
  EXPECT_FALSE(role_allows(Role::Viewer, Role::Admin));
}

TEST(Roles, NamesParseBackAndNothingElseDoes) {
  for (Role role : {Role::Viewer, Role::Exporter, Role::Admin}) EXPECT_EQ(parse_role(role_name(role)), role);
  EXPECT_STREQ(role_name(Role::Exporter), "exporter");
  EXPECT_EQ(parse_role("Admin"), std::nullopt);
  EXPECT_EQ(parse_role("root"), std::nullopt);
  EXPECT_EQ(parse_role(""), std::nullopt);
}

// ---- UserStore

TEST(UserStore, AddedUserIsFoundWithAnArgon2idHashThatVerifiesOnlyItsPassword) {
  UserStore store;
  store.add("alice", Role::Exporter, alice_password);
  const auto alice = store.find("alice");
  ASSERT_TRUE(alice);
  EXPECT_EQ(alice->name, "alice");
  EXPECT_EQ(alice->role, Role::Exporter);
  EXPECT_EQ(alice->password_hash.rfind("$argon2id$", 0), 0u) << alice->password_hash;
  EXPECT_FALSE(contains(alice->password_hash, alice_password));
  EXPECT_TRUE(verify_password(alice->password_hash, alice_password));
  EXPECT_FALSE(verify_password(alice->password_hash, "correct horse battery "));
  EXPECT_FALSE(verify_password(alice->password_hash, ""));
  EXPECT_EQ(store.find("bob"), std::nullopt);
}

TEST(UserStore, RefusesBadNamesWeakPasswordsAndDuplicates) {
  UserStore store;
  EXPECT_TRUE(contains(error_of([&] { store.add("a b", Role::Viewer, alice_password); }), "'a b' is not allowed"));
  EXPECT_NE(error_of([&] { store.add("", Role::Viewer, alice_password); }), "");
  EXPECT_NE(error_of([&] { store.add(std::string(65, 'x'), Role::Viewer, alice_password); }), "");
  EXPECT_NE(error_of([&] { store.add("caf\xc3\xa9", Role::Viewer, alice_password); }), "");
  EXPECT_TRUE(contains(error_of([&] { store.add("alice", Role::Viewer, "123456789"); }), "at least 10 characters"));
  EXPECT_EQ(store.size(), 0u);

  store.add(std::string(64, 'x'), Role::Viewer, "1234567890");  // the limits themselves are fine
  store.add("a.b_c-D9", Role::Viewer, alice_password);
  EXPECT_TRUE(contains(error_of([&] { store.add("a.b_c-D9", Role::Admin, bob_password); }), "exists already"));
  EXPECT_EQ(store.find("a.b_c-D9")->role, Role::Viewer);
  EXPECT_TRUE(contains(error_of([&] { store.remove("nobody"); }, ErrorKind::NotFound), "nobody"));
  EXPECT_NE(error_of([&] { store.set_role("nobody", Role::Admin); }, ErrorKind::NotFound), "");
  EXPECT_NE(error_of([&] { store.set_password("nobody", bob_password); }, ErrorKind::NotFound), "");
}

TEST(UserStore, SavedFileIsPrivateAndLoadsBackTheSame) {
  const auto dir = test_support::fresh_temp_dir("auth");
  const auto file = dir / "users.yaml";
  UserStore store;
  store.add("alice", Role::Admin, alice_password);
  store.add("bob", Role::Viewer, bob_password);
  store.save(file);

  struct stat info {};
  ASSERT_EQ(stat(file.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir), {}), 1) << "a temporary file was left behind";
  std::ifstream in(file);
  const std::string text{std::istreambuf_iterator<char>(in), {}};
  EXPECT_FALSE(contains(text, alice_password));

  const auto loaded = UserStore::load(file);
  ASSERT_EQ(loaded.users().size(), 2u);
  for (const auto& original : store.users()) {
    const auto copy = loaded.find(original.name);
    ASSERT_TRUE(copy) << original.name;
    EXPECT_EQ(copy->role, original.role);
    EXPECT_EQ(copy->password_hash, original.password_hash);
  }
  EXPECT_TRUE(verify_password(loaded.find("bob")->password_hash, bob_password));

  // Rewritten with changes: still 0600, and the changes are what loads.
  auto edited = loaded;
  edited.remove("alice");
  edited.set_role("bob", Role::Exporter);
  edited.save(file);
  ASSERT_EQ(stat(file.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  const auto reloaded = UserStore::load(file);
  EXPECT_EQ(reloaded.find("alice"), std::nullopt);
  EXPECT_EQ(reloaded.find("bob")->role, Role::Exporter);
}

TEST(UserStore, MissingFileIsAnEmptyStore) {
  const auto dir = test_support::fresh_temp_dir("auth");
  EXPECT_EQ(UserStore::load(dir / "none.yaml").size(), 0u);
  std::ofstream(dir / "empty.yaml") << "";
  EXPECT_EQ(UserStore::load(dir / "empty.yaml").size(), 0u);
}

TEST(UserStore, MalformedFileErrorsNameTheFileLineAndProblem) {
  const auto dir = test_support::fresh_temp_dir("auth");
  const auto file = dir / "users.yaml";
  UserStore good;
  good.add("alice", Role::Admin, alice_password);
  const std::string hash = good.find("alice")->password_hash;
  const auto load_error = [&](const std::string& text) {
    std::ofstream(file, std::ios::trunc) << text;
    return error_of([&] { UserStore::load(file); });
  };
  const std::string path = file.string();

  auto message = load_error("users: [ {name: alice\n");
  EXPECT_TRUE(contains(message, path + ":")) << message;
  EXPECT_TRUE(contains(message, "not valid YAML")) << message;

  message = load_error("users:\n  - {name: alice, role: root, password_hash: \"" + hash + "\"}\n");
  EXPECT_TRUE(contains(message, path + ":2: users[0].role: must be viewer, exporter or admin, not 'root'")) << message;

  message = load_error("users:\n  - {name: alice, role: admin}\n");
  EXPECT_TRUE(contains(message, path + ":2: users[0]: missing required key 'password_hash'")) << message;

  message = load_error("users:\n  - {name: alice, role: admin, password_hash: \"secret123456\"}\n");
  EXPECT_TRUE(contains(message, "users[0].password_hash: is not an argon2 hash")) << message;
  EXPECT_FALSE(contains(message, "secret123456")) << "a hash (or a pasted password) is never quoted back";

  message = load_error("users:\n  - {name: alice, role: admin, password_hash: \"" + hash + "\"}\n" +
                       "  - {name: alice, role: viewer, password_hash: \"" + hash + "\"}\n");
  EXPECT_TRUE(contains(message, path + ":3: users[1]: user 'alice' appears twice")) << message;

  message = load_error("people: []\n");
  EXPECT_TRUE(contains(message, "people: unknown key")) << message;

  message = load_error("users:\n  - {name: \"al ice\", role: admin, password_hash: \"" + hash + "\"}\n");
  EXPECT_TRUE(contains(message, path + ":2: users[0].name:")) << message;
}

// ---- UserDirectory

TEST(UserDirectory, AuthenticatesWithRoleAndRefusesWrongPasswordsAndUnknownNames) {
  const auto file = test_support::fresh_temp_dir("auth") / "users.yaml";
  UserStore store;
  store.add("alice", Role::Exporter, alice_password);
  store.save(file);

  UserDirectory directory(file);
  EXPECT_EQ(directory.user_count(), 1u);
  const auto who = directory.authenticate("alice", alice_password);
  ASSERT_TRUE(who);
  EXPECT_EQ(who->user, "alice");
  EXPECT_EQ(who->role, Role::Exporter);
  EXPECT_TRUE(directory.authenticate("alice", alice_password)) << "a remembered success still succeeds";
  EXPECT_FALSE(directory.authenticate("alice", "correct horse batter"));
  EXPECT_FALSE(directory.authenticate("Alice", alice_password));
  EXPECT_FALSE(directory.authenticate("mallory", alice_password));
  EXPECT_FALSE(directory.authenticate("", ""));
}

TEST(UserDirectory, PicksUpChangesByAnotherWriterAndRefusesARemovedUserDespiteTheCache) {
  const auto file = test_support::fresh_temp_dir("auth") / "users.yaml";
  UserDirectory directory(file);  // no file yet
  EXPECT_EQ(directory.user_count(), 0u);
  EXPECT_FALSE(directory.authenticate("alice", alice_password));

  // As `recorderctl users add` does it: another store, loaded and saved.
  {
    auto store = UserStore::load(file);
    store.add("alice", Role::Viewer, alice_password);
    store.add("bob", Role::Admin, bob_password);
    store.save(file);
  }
  EXPECT_EQ(directory.user_count(), 2u);
  ASSERT_TRUE(directory.authenticate("alice", alice_password));  // now remembered for 60 s
  EXPECT_EQ(directory.authenticate("alice", alice_password)->role, Role::Viewer);

  {
    auto store = UserStore::load(file);
    store.set_role("alice", Role::Exporter);
    store.save(file);
  }
  EXPECT_EQ(directory.authenticate("alice", alice_password)->role, Role::Exporter) << "a role change applies at once";

  {
    auto store = UserStore::load(file);
    store.set_password("alice", "a completely new one");
    store.save(file);
  }
  EXPECT_FALSE(directory.authenticate("alice", alice_password)) << "the old password was remembered, not re-checked";
  EXPECT_TRUE(directory.authenticate("alice", "a completely new one"));

  {
    auto store = UserStore::load(file);
    store.remove("alice");
    store.save(file);
  }
  EXPECT_FALSE(directory.authenticate("alice", "a completely new one")) << "removed, though a success was remembered";
  EXPECT_EQ(directory.user_count(), 1u);
  EXPECT_TRUE(directory.authenticate("bob", bob_password));
}

TEST(UserDirectory, BrokenFileIsAnErrorAtStartAndRefusesEveryoneLater) {
  const auto file = test_support::fresh_temp_dir("auth") / "users.yaml";
  std::ofstream(file) << "users: {\n";
  EXPECT_TRUE(contains(error_of([&] { UserDirectory directory(file); }), file.string()));

  UserStore store;
  store.add("alice", Role::Admin, alice_password);
  store.save(file);
  UserDirectory directory(file);
  ASSERT_TRUE(directory.authenticate("alice", alice_password));
  std::ofstream(file, std::ios::app) << "oops: [\n";  // a hand edit gone wrong
  EXPECT_FALSE(directory.authenticate("alice", alice_password));
  EXPECT_EQ(directory.user_count(), 0u);
}

// ---- TokenStore

TEST(TokenStore, IssuedTokenValidatesUntilItsLifetimeEnds) {
  TokenStore tokens(3600s);
  const auto token = tokens.issue({"alice", Role::Exporter}, t0);
  EXPECT_EQ(token.expires_at, t0 + 3600s);
  EXPECT_EQ(token.value.size(), 43u) << "32 bytes, base64url without padding";
  EXPECT_EQ(token.value.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
            std::string::npos)
      << token.value;
  EXPECT_NE(tokens.issue({"alice", Role::Exporter}, t0).value, token.value);

  const auto who = tokens.validate(token.value, t0 + 3599s);
  ASSERT_TRUE(who);
  EXPECT_EQ(who->user, "alice");
  EXPECT_EQ(who->role, Role::Exporter);
  EXPECT_FALSE(tokens.validate(token.value, t0 + 3600s));
  EXPECT_FALSE(tokens.validate(token.value, t0 + 10s)) << "an expired token is forgotten, even if the clock steps back";
}

TEST(TokenStore, RevokedAndUnknownTokensAreRefused) {
  TokenStore tokens(3600s);
  const auto alice = tokens.issue({"alice", Role::Admin}, t0);
  const auto alice_again = tokens.issue({"alice", Role::Admin}, t0);
  const auto bob = tokens.issue({"bob", Role::Viewer}, t0);

  tokens.revoke(alice.value);
  EXPECT_FALSE(tokens.validate(alice.value, t0 + 1s));
  EXPECT_TRUE(tokens.validate(alice_again.value, t0 + 1s)) << "only the revoked token goes";
  EXPECT_FALSE(tokens.validate("", t0));
  EXPECT_FALSE(tokens.validate(bob.value.substr(0, 42), t0));
  EXPECT_FALSE(tokens.validate(bob.value + "A", t0));
  EXPECT_FALSE(tokens.validate(std::string(43, 'A'), t0));

  tokens.revoke_user("alice");
  EXPECT_FALSE(tokens.validate(alice_again.value, t0 + 1s));
  EXPECT_TRUE(tokens.validate(bob.value, t0 + 1s));
}

// ---- LoginThrottle

TEST(LoginThrottle, FiveFailuresAreAllowedThenTheAddressIsRefused) {
  LoginThrottle throttle;
  for (int i = 1; i <= 4; ++i) {
    EXPECT_FALSE(throttle.refused_for("192.0.2.7", t0 + std::chrono::seconds(i)));
    EXPECT_FALSE(throttle.failed("192.0.2.7", t0 + std::chrono::seconds(i))) << "failure " << i;
  }
  EXPECT_FALSE(throttle.refused_for("192.0.2.7", t0 + 5s));
  EXPECT_TRUE(throttle.failed("192.0.2.7", t0 + 5s)) << "the fifth failure starts a refusal";
  EXPECT_EQ(throttle.refused_for("192.0.2.7", t0 + 5s), 1s);
  EXPECT_FALSE(throttle.refused_for("192.0.2.7", t0 + 6s)) << "2^0 s later it may try again";
}

TEST(LoginThrottle, RefusalDoublesWithEachFailureUpToFifteenMinutes) {
  LoginThrottle throttle;
  WallTime now = t0;
  for (int i = 0; i < 5; ++i) throttle.failed("192.0.2.7", now);
  for (long expected : {2L, 4L, 8L, 16L, 32L, 64L, 128L, 256L, 512L, 900L, 900L}) {
    now += *throttle.refused_for("192.0.2.7", now);  // waits, then fails again
    EXPECT_FALSE(throttle.refused_for("192.0.2.7", now));
    EXPECT_TRUE(throttle.failed("192.0.2.7", now));
    EXPECT_EQ(throttle.refused_for("192.0.2.7", now), std::chrono::seconds(expected));
  }
  EXPECT_EQ(throttle.refused_for("192.0.2.7", now + 899s + 500ms), 1s) << "rounded up, never 0 s";
}

TEST(LoginThrottle, SuccessResetsAndAQuietWindowForgets) {
  LoginThrottle throttle;
  for (int i = 0; i < 6; ++i) throttle.failed("192.0.2.7", t0);
  ASSERT_TRUE(throttle.refused_for("192.0.2.7", t0));
  throttle.succeeded("192.0.2.7");
  EXPECT_FALSE(throttle.refused_for("192.0.2.7", t0));
  for (int i = 0; i < 4; ++i) EXPECT_FALSE(throttle.failed("192.0.2.7", t0)) << "counting starts over";

  // Four failures, then ten minutes of quiet: the next four are free again.
  const WallTime later = t0 + 10min + 1s;
  for (int i = 0; i < 4; ++i) EXPECT_FALSE(throttle.failed("192.0.2.7", later));
  EXPECT_TRUE(throttle.failed("192.0.2.7", later));
}

TEST(LoginThrottle, AddressesAreIndependent) {
  LoginThrottle throttle;
  for (int i = 0; i < 5; ++i) throttle.failed("192.0.2.7", t0);
  EXPECT_TRUE(throttle.refused_for("192.0.2.7", t0));
  EXPECT_FALSE(throttle.refused_for("192.0.2.8", t0));
  EXPECT_FALSE(throttle.refused_for("2001:db8::7", t0));
  EXPECT_FALSE(throttle.failed("192.0.2.8", t0));
  throttle.succeeded("192.0.2.8");
  EXPECT_TRUE(throttle.refused_for("192.0.2.7", t0)) << "another address's success resets nothing here";
}

TEST(LoginThrottle, MemoryIsBoundedByDroppingTheLongestQuietAddress) {
  LoginThrottle throttle(ThrottlePolicy{.max_addresses = 3});
  for (int i = 0; i < 5; ++i) throttle.failed("192.0.2.1", t0);       // refused until t0 + 1 s
  for (int i = 0; i < 7; ++i) throttle.failed("192.0.2.2", t0 + 1s);  // refused until t0 + 5 s
  throttle.failed("192.0.2.3", t0 + 2s);
  throttle.failed("192.0.2.4", t0 + 3s);  // a fourth address: the one quiet longest goes
  EXPECT_FALSE(throttle.failed("192.0.2.1", t0 + 3s)) << "forgotten: this is its first failure again";
  EXPECT_EQ(throttle.refused_for("192.0.2.2", t0 + 3s), 2s) << "an address still refused outlasts quieter ones";
}

// A bearer token carries no more than the users file says now: demoting or removing a user applies to
// their tokens at once, not when the token expires.
TEST(Gatekeeper, TokensFollowTheUsersFileNotTheRoleAtLogin) {
  const auto file = test_support::fresh_temp_dir("auth") / "users.yaml";
  {
    UserStore store;
    store.add("alice", Role::Admin, alice_password);
    store.save(file);
  }
  Gatekeeper gatekeeper(file, std::chrono::seconds(3600));
  const auto login = gatekeeper.login("alice", alice_password, "10.0.0.5", t0);
  ASSERT_TRUE(login.identity);
  Request request{boost::beast::http::verb::get, "/api/v1/cameras", 11};
  request.set(boost::beast::http::field::authorization, "Bearer " + gatekeeper.issue_token(*login.identity, t0).value);
  EXPECT_EQ(gatekeeper.admit(request, "10.0.0.5", t0 + 1s).identity->role, Role::Admin);
  {
    auto store = UserStore::load(file);
    store.set_role("alice", Role::Viewer);
    store.save(file);
  }
  EXPECT_EQ(gatekeeper.admit(request, "10.0.0.5", t0 + 2s).identity->role, Role::Viewer);
  {
    auto store = UserStore::load(file);
    store.remove("alice");
    store.save(file);
  }
  const auto after_removal = gatekeeper.admit(request, "10.0.0.5", t0 + 3s);
  ASSERT_TRUE(after_removal.refusal);
  EXPECT_EQ(after_removal.refusal->status, boost::beast::http::status::unauthorized);
  EXPECT_EQ(after_removal.refusal->message, "the token's user no longer exists");
}
