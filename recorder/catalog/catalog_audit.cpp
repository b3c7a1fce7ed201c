// Catalog: the hash-chained audit log and its head anchor (docs/durability.md, "Audit log").

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fmt/format.h>
#include <fstream>
#include <sodium.h>
#include <unistd.h>

#include "recorder/catalog/catalog.h"

namespace recorder::catalog {
namespace {

constexpr const char* audit_head_file_name = "audit.head";
// Names the encoding inside the hashed bytes, so that a future format cannot collide with this one.
constexpr const char* audit_hash_format = "onboard-recorder audit v1";

void append_u64(std::string& out, std::uint64_t value) {
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>((value >> shift) & 0xff));
}

void append_field(std::string& out, const std::string& field) {
  append_u64(out, field.size());
  out += field;
}

std::string to_hex(const unsigned char* bytes, std::size_t size) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(size * 2);
  for (std::size_t i = 0; i < size; ++i) {
    hex.push_back(digits[bytes[i] >> 4]);
    hex.push_back(digits[bytes[i] & 0x0f]);
  }
  return hex;
}

struct AuditHead {
  std::int64_t id = 0;
  std::string hash;
};

[[noreturn]] void fail_anchor(const std::filesystem::path& file, const std::string& what) {
  throw Error(ErrorKind::Unavailable, fmt::format("audit head anchor {}: {}: {}", file.string(), what,
                                                  std::strerror(errno)));
}

// Temporary file, fsync, rename, fsync of the directory: after a crash the anchor is the old one or the
// new one, whole. Each writer has its own temporary (process and sequence number), so two appenders
// cannot mix their bytes; not mkstemp, whose mode 0600 would hide the anchor from an operator's
// recorderctl that can read the catalog (0644 less the umask, as SQLite creates it).
void write_head(const std::filesystem::path& storage, const AuditHead& head) {
  static std::atomic<std::uint64_t> sequence{0};
  const auto file = Catalog::audit_head_in(storage);
  const std::string temporary = fmt::format("{}.{}.{}.new", file.string(), getpid(), sequence++);
  const int fd = open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) fail_anchor(file, "cannot create " + temporary);
  const std::string text = fmt::format("{} {}\n", head.id, head.hash);
  const bool written = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && fsync(fd) == 0;
  close(fd);
  if (!written || std::rename(temporary.c_str(), file.c_str()) != 0) {
    const int saved = errno;
    unlink(temporary.c_str());
    errno = saved;
    fail_anchor(file, "cannot write it");
  }
  const int dir = open(storage.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    fsync(dir);
    close(dir);
  }
}

// nullopt when the file does not exist; a malformed file is a problem for verify, reported as such.
std::optional<AuditHead> read_head(const std::filesystem::path& file, std::string* malformed) {
  if (!std::filesystem::exists(file)) return std::nullopt;
  std::ifstream in(file);
  AuditHead head;
  std::string rest;
  if (!in)
    *malformed = fmt::format("the head anchor {} cannot be read: {}", file.string(), std::strerror(errno));
  else if (!(in >> head.id >> head.hash) || (in >> rest) || head.hash.size() != 64 || head.id < 1)
    *malformed = fmt::format("the head anchor {} is malformed: it should hold one row id and its 64-digit hash",
                             file.string());
  return head;
}

AuditEntry read_entry(const Statement& row) {
  return {row.integer(0), row.integer(1), row.text(2), row.text(3), row.text(4),
          row.text(5),    row.text(6),    row.text(7)};
}

constexpr const char* audit_columns = "id, at_us, user, remote, action, detail, previous_hash, hash";

std::string missing_rows(std::int64_t first, std::int64_t last) {
  return first == last ? fmt::format("row {} is missing (the recorder never deletes audit rows)", first)
                       : fmt::format("rows {} to {} are missing (the recorder never deletes audit rows)", first, last);
}

}  // namespace

std::string audit_hash(const AuditEntry& entry) {
  static const bool initialised = sodium_init() >= 0;
  if (!initialised) throw Error(ErrorKind::Internal, "libsodium could not be initialised");
  std::string encoded;
  append_field(encoded, audit_hash_format);
  append_u64(encoded, static_cast<std::uint64_t>(entry.id));
  append_u64(encoded, static_cast<std::uint64_t>(entry.at_us));
  for (const auto* field : {&entry.user, &entry.remote, &entry.action, &entry.detail, &entry.previous_hash})
    append_field(encoded, *field);
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(encoded.data()), encoded.size());
  return to_hex(digest, sizeof digest);
}

std::filesystem::path Catalog::audit_head_in(const std::filesystem::path& storage) {
  return storage / audit_head_file_name;
}

AuditEntry Catalog::append_audit(Micros at_us, const std::string& user, const std::string& remote,
                                 const std::string& action, const std::string& detail) {
  AuditEntry entry{0, at_us, user, remote, action, detail, audit_genesis_hash, ""};
  {
    // BEGIN IMMEDIATE takes the write lock before the head is read, so no other connection can append
    // between this read and the insert: the chain cannot fork.
    Transaction transaction(db_);
    Statement last = db_.prepare("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1");
    entry.id = 1;
    if (last.step()) {
      entry.id = last.integer(0) + 1;
      entry.previous_hash = last.text(1);
    }
    entry.hash = audit_hash(entry);
    db_.prepare(fmt::format("INSERT INTO audit_log ({}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", audit_columns))
        .bind(1, entry.id)
        .bind(2, entry.at_us)
        .bind(3, entry.user)
        .bind(4, entry.remote)
        .bind(5, entry.action)
        .bind(6, entry.detail)
        .bind(7, entry.previous_hash)
        .bind(8, entry.hash)
        .run();
    transaction.commit();
  }
  // After the commit: a crash in between leaves the anchor one row behind, which verify tolerates; the
  // other order would leave an anchor naming a row that never was.
  write_head(storage_, {entry.id, entry.hash});
  return entry;
}

std::vector<AuditEntry> Catalog::audit_entries(Micros from_us, Micros to_us, std::size_t limit) const {
  Statement query = db_.prepare(
      fmt::format("SELECT {} FROM audit_log WHERE at_us >= ? AND at_us < ? ORDER BY at_us, id LIMIT ?", audit_columns));
  query.bind(1, from_us).bind(2, to_us).bind(3, static_cast<std::int64_t>(limit));
  std::vector<AuditEntry> entries;
  while (query.step()) entries.push_back(read_entry(query));
  return entries;
}

AuditCheck Catalog::verify_audit_chain() const {
  AuditCheck check;
  // The anchor is read before the rows: the appender writes it after its commit, so every row it names
  // is in the snapshot read below, even while the recorder appends.
  const auto head_file = audit_head_in(storage_);
  std::string malformed;
  auto head = read_head(head_file, &malformed);
  if (!malformed.empty()) {
    check.problems.push_back(malformed);
    head.reset();
  }

  Statement query = db_.prepare(fmt::format("SELECT {} FROM audit_log ORDER BY id", audit_columns));
  std::int64_t expected_id = 1;
  std::string previous_hash = audit_genesis_hash;
  bool head_seen = false;
  std::int64_t first_after_head = 0, last_id = 0;
  while (query.step()) {
    const AuditEntry row = read_entry(query);
    ++check.rows;
    if (row.id < 1) {
      check.problems.push_back(fmt::format("row {}: audit ids start at 1, so this row was added by hand", row.id));
    } else if (row.id > expected_id) {
      check.problems.push_back(missing_rows(expected_id, row.id - 1));
    } else if (row.previous_hash != previous_hash) {
      // Only checked between neighbours: across a gap the missing row's hash is unknown.
      check.problems.push_back(
          row.id == 1 ? fmt::format("row 1: previous_hash is not the genesis value (64 zeros)")
                      : fmt::format("row {}: previous_hash does not match row {}'s hash: a row was changed, "
                                    "replaced or moved",
                                    row.id, row.id - 1));
    }
    if (audit_hash(row) != row.hash)
      check.problems.push_back(fmt::format("row {}: hash does not match its contents: the row was edited", row.id));
    if (head && row.id == head->id) {
      head_seen = true;
      if (row.hash != head->hash)
        check.problems.push_back(fmt::format("row {}: hash differs from the one anchored in {}: the newest rows "
                                             "were replaced",
                                             row.id, head_file.string()));
    } else if (head && row.id > head->id && first_after_head == 0) {
      first_after_head = row.id;
    }
    expected_id = row.id + 1;
    previous_hash = row.hash;
    last_id = row.id;
    check.head_hash = row.hash;
  }

  if (!head && malformed.empty() && check.rows > 0)
    check.problems.push_back(fmt::format("the head anchor {} is missing while the log holds {} rows: deleting the "
                                         "newest rows would go unnoticed",
                                         head_file.string(), check.rows));
  // An anchored row missing below the newest one is a gap, reported above.
  if (head && !head_seen && head->id > last_id)
    check.problems.push_back(fmt::format("row {} is missing: {} anchors it as the newest row, so the newest rows "
                                         "were deleted",
                                         head->id, head_file.string()));
  if (head && first_after_head != 0)
    check.notes.push_back(fmt::format("{} newer than the head anchor (row {}): expected only after a crash between "
                                      "an append and its anchor write",
                                      first_after_head == last_id ? fmt::format("row {} is", last_id)
                                                                  : fmt::format("rows {} to {} are", first_after_head, last_id),
                                      head->id));
  check.ok = check.problems.empty();
  return check;
}

}  // namespace recorder::catalog
