#pragma once
// The SQLite store: one file in WAL mode with synchronous=NORMAL, so a killed
// process never loses a committed record or corrupts the file (only an OS
// crash or power loss can lose the last commits). Several processes may open
// the same file; writers wait up to kBusyTimeoutMs for each other.

#include <memory>
#include <string>

#include "storage/store.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace warden::storage {

class SqliteStore final : public Store {
 public:
  static constexpr int kBusyTimeoutMs = 5000;

  // Opens or creates the file at `path` (creating its directory) and migrates it.
  static core::Result<std::unique_ptr<Store>> open(const std::string& path);

  ~SqliteStore() override;
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  // Store
  core::Result<void> write(const std::vector<TransactionRecord>& records) override;
  core::Result<std::vector<TransactionRecord>> list(const TransactionQuery& query) override;
  core::Result<std::optional<TransactionRecord>> get(std::string_view id) override;
  core::Result<std::size_t> delete_before(std::int64_t cutoff_us) override;
  core::Result<std::vector<std::pair<std::string, std::int64_t>>> action_counts(
      std::int64_t since_us) override;
  core::Result<std::int64_t> count() override;
  core::Result<std::vector<SessionSummary>> sessions(const SessionQuery& query) override;

 private:
  struct StatementDeleter {
    void operator()(sqlite3_stmt* s) const;
  };
  using StatementPtr = std::unique_ptr<sqlite3_stmt, StatementDeleter>;

  explicit SqliteStore(sqlite3* db);
  core::Result<void> configure();
  core::Result<void> migrate();
  core::Result<void> prepare_all();
  core::Result<StatementPtr> prepare(const std::string& sql);
  core::Result<void> exec(const char* sql, std::string_view what);
  core::Error error(std::string_view what) const;

  sqlite3* db_;
  // Prepared once at open; list() prepares its own, as its SQL varies.
  StatementPtr upsert_, get_, count_, delete_before_, action_rows_;
};

}  // namespace warden::storage
