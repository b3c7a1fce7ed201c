#pragma once
// A thin RAII layer over the SQLite C API: open, prepare, bind, step, and errors as recorder::Error.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <sqlite3.h>
#include <string>

#include "recorder/core/error.h"

namespace recorder::catalog {

class Statement;

class Database {
 public:
  enum class Mode { ReadWrite, ReadOnly };
  Database(const std::filesystem::path& file, Mode mode);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Runs SQL without results (may hold several statements).
  void execute(const std::string& sql);
  Statement prepare(const std::string& sql);
  std::int64_t last_insert_id() const { return sqlite3_last_insert_rowid(db_); }
  int changes() const { return sqlite3_changes(db_); }
  sqlite3* handle() { return db_; }
  [[noreturn]] void fail(const std::string& what) const;

 private:
  sqlite3* db_ = nullptr;
  std::filesystem::path file_;
};

// One prepared statement; bind by 1-based index, step, read columns by 0-based index.
class Statement {
 public:
  Statement(Database& db, const std::string& sql);
  ~Statement();
  Statement(Statement&& other) noexcept : db_(other.db_), stmt_(other.stmt_) { other.stmt_ = nullptr; }
  Statement(const Statement&) = delete;

  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, const std::string& value);
  Statement& bind(int index, std::nullopt_t);
  Statement& bind(int index, const std::optional<std::int64_t>& value);
  // The index of a named parameter (":now"); binds by name go through it.
  int parameter(const char* name) const;
  // Advances to the next row: true while there is one.
  bool step();
  // Runs a statement that returns no rows.
  void run() { step(); }
  void reset();

  std::int64_t integer(int column) const { return sqlite3_column_int64(stmt_, column); }
  std::optional<std::int64_t> optional_integer(int column) const;
  std::string text(int column) const;

 private:
  Database* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

// BEGIN IMMEDIATE ... COMMIT, rolled back if not committed (an exception left the scope).
class Transaction {
 public:
  explicit Transaction(Database& db) : db_(db) { db_.execute("BEGIN IMMEDIATE"); }
  ~Transaction();
  void commit();

 private:
  Database& db_;
  bool done_ = false;
};

}  // namespace recorder::catalog
