#include "storage/sqlite_store.hpp"

#include <chrono>
#include <filesystem>
#include <map>
#include <system_error>

#include <sqlite3.h>

#include "storage/detail/action_words.hpp"
#include "storage/detail/record_values.hpp"
#include "storage/detail/storable_text.hpp"
#include "storage/migrations.hpp"

namespace warden::storage {

namespace {

using detail::Dialect;
using detail::SqlValue;

// Column access for detail::read_record().
struct SqliteRow {
  sqlite3_stmt* stmt;
  std::string text(int i) const {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt, i));
    return p == nullptr ? std::string() : std::string(p, sqlite3_column_bytes(stmt, i));
  }
  std::int64_t int64(int i) const { return sqlite3_column_int64(stmt, i); }
  bool boolean(int i) const { return sqlite3_column_int64(stmt, i) != 0; }
};

// Resets a cached statement when the call that used it returns, so it holds
// no read lock and no bound text that is about to be freed.
class ResetGuard {
 public:
  explicit ResetGuard(sqlite3_stmt* stmt) : stmt_(stmt) {}
  ~ResetGuard() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  ResetGuard(const ResetGuard&) = delete;
  ResetGuard& operator=(const ResetGuard&) = delete;

 private:
  sqlite3_stmt* stmt_;
};

// Binds `values` to ?1… ; the strings must outlive the statement's next step.
int bind_all(sqlite3_stmt* stmt, const std::vector<SqlValue>& values) {
  for (std::size_t i = 0; i < values.size(); ++i) {
    const int index = static_cast<int>(i) + 1;
    int rc;
    if (const auto* n = std::get_if<std::int64_t>(&values[i])) {
      rc = sqlite3_bind_int64(stmt, index, *n);
    } else {
      const auto& s = std::get<std::string>(values[i]);
      rc = sqlite3_bind_text64(stmt, index, s.data(), s.size(), SQLITE_STATIC, SQLITE_UTF8);
    }
    if (rc != SQLITE_OK) return rc;
  }
  return SQLITE_OK;
}

std::int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

void SqliteStore::StatementDeleter::operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }

SqliteStore::SqliteStore(sqlite3* db) : db_(db) {}

SqliteStore::~SqliteStore() {
  // Statements first: sqlite3_close refuses a connection with live statements.
  upsert_.reset();
  get_.reset();
  count_.reset();
  delete_before_.reset();
  action_rows_.reset();
  sqlite3_close_v2(db_);
}

core::Result<std::unique_ptr<Store>> SqliteStore::open(const std::string& path) {
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
    if (ec) {
      return core::fail(core::ErrorKind::kUnavailable, "storage: cannot create the directory " +
                                                           parent.string() + ": " + ec.message());
    }
  }
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(
      path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  // The store owns `db` from here, even when opening failed.
  std::unique_ptr<SqliteStore> store(new SqliteStore(db));
  if (rc != SQLITE_OK) {
    return core::fail(core::ErrorKind::kUnavailable,
                      "storage: cannot open the SQLite database " + path + ": " +
                          (db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
  }
  for (auto step : {&SqliteStore::configure, &SqliteStore::migrate, &SqliteStore::prepare_all}) {
    if (auto r = (store.get()->*step)(); !r) {
      r.error().message += " (" + path + ")";
      return tl::unexpected(r.error());
    }
  }
  return store;
}

core::Error SqliteStore::error(std::string_view what) const {
  return core::Error(core::ErrorKind::kInternal,
                     "storage: SQLite " + std::string(what) + " failed: " + sqlite3_errmsg(db_));
}

core::Result<void> SqliteStore::exec(const char* sql, std::string_view what) {
  if (sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) != SQLITE_OK) {
    return tl::unexpected(error(what));
  }
  return {};
}

core::Result<SqliteStore::StatementPtr> SqliteStore::prepare(const std::string& sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_, sql.c_str(), static_cast<int>(sql.size()) + 1, &stmt, nullptr) !=
      SQLITE_OK) {
    return tl::unexpected(error("prepare"));
  }
  return StatementPtr(stmt);
}

core::Result<void> SqliteStore::configure() {
  sqlite3_extended_result_codes(db_, 1);
  sqlite3_busy_timeout(db_, kBusyTimeoutMs);
  // WAL: readers never block the writer and a crash mid-commit leaves the last
  // commit intact. NORMAL syncs at checkpoints, not per commit: safe against
  // a killed process, fast enough for one commit per batch.
  if (auto r = exec("PRAGMA journal_mode = WAL", "setting WAL mode"); !r) return r;
  return exec("PRAGMA synchronous = NORMAL", "setting synchronous = NORMAL");
}

core::Result<void> SqliteStore::migrate() {
  // IMMEDIATE takes the write lock now, so two processes opening a new file
  // at once migrate it one after the other.
  if (auto r = exec("BEGIN IMMEDIATE", "starting the migration"); !r) return r;
  auto body = [&]() -> core::Result<void> {
    const std::string create(kCreateSchemaMigrations);
    if (auto r = exec(create.c_str(), "creating schema_migrations"); !r) return r;
    auto version = prepare("SELECT coalesce(max(version), 0) FROM schema_migrations");
    if (!version) return tl::unexpected(version.error());
    if (sqlite3_step(version->get()) != SQLITE_ROW)
      return tl::unexpected(error("reading the schema version"));
    const int found = sqlite3_column_int(version->get(), 0);
    version->reset();
    if (auto r = check_schema_version(found, sqlite_migrations()); !r) return r;

    auto record = prepare("INSERT INTO schema_migrations (version, applied_at_us) VALUES (?1, ?2)");
    if (!record) return tl::unexpected(record.error());
    for (const Migration& m : sqlite_migrations()) {
      if (m.version <= found) continue;
      const std::string sql(m.sql);
      if (auto r = exec(sql.c_str(), "migration " + std::to_string(m.version)); !r) return r;
      sqlite3_bind_int(record->get(), 1, m.version);
      sqlite3_bind_int64(record->get(), 2, now_us());
      if (sqlite3_step(record->get()) != SQLITE_DONE)
        return tl::unexpected(error("recording a migration"));
      sqlite3_reset(record->get());
    }
    return {};
  };
  if (auto r = body(); !r) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    return r;
  }
  return exec("COMMIT", "committing the migration");
}

core::Result<void> SqliteStore::prepare_all() {
  const std::pair<StatementPtr*, std::string> all[] = {
      {&upsert_, detail::upsert_sql(Dialect::kSqlite)},
      {&get_, detail::get_sql(Dialect::kSqlite)},
      {&count_, std::string(detail::kCountSql)},
      {&delete_before_, detail::delete_before_sql(Dialect::kSqlite)},
      {&action_rows_, detail::action_rows_sql(Dialect::kSqlite)},
  };
  for (const auto& [slot, sql] : all) {
    auto stmt = prepare(sql);
    if (!stmt) return tl::unexpected(stmt.error());
    *slot = std::move(*stmt);
  }
  return {};
}

core::Result<void> SqliteStore::write(const std::vector<TransactionRecord>& records) {
  if (records.empty()) return {};
  if (auto r = exec("BEGIN IMMEDIATE", "starting a write"); !r) return r;
  auto insert_all = [&]() -> core::Result<void> {
    for (const TransactionRecord& record : records) {
      const std::vector<SqlValue> values = detail::record_values(record);
      ResetGuard reset(upsert_.get());
      if (bind_all(upsert_.get(), values) != SQLITE_OK ||
          sqlite3_step(upsert_.get()) != SQLITE_DONE) {
        return tl::unexpected(error("writing " + record.id));
      }
    }
    return {};
  };
  auto r = insert_all();
  if (r) r = exec("COMMIT", "committing a write");
  // After a failed COMMIT the transaction may still be open; end it.
  if (!r && !sqlite3_get_autocommit(db_)) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  return r;
}

core::Result<std::vector<TransactionRecord>> SqliteStore::list(const TransactionQuery& query) {
  auto statement = detail::list_statement(query, Dialect::kSqlite);
  if (!statement) return tl::unexpected(statement.error());
  auto stmt = prepare(statement->sql);
  if (!stmt) return tl::unexpected(stmt.error());
  if (bind_all(stmt->get(), statement->values) != SQLITE_OK) return tl::unexpected(error("list"));
  std::vector<TransactionRecord> out;
  int rc;
  while ((rc = sqlite3_step(stmt->get())) == SQLITE_ROW) {
    out.push_back(detail::read_record(SqliteRow{stmt->get()}, false));
  }
  if (rc != SQLITE_DONE) return tl::unexpected(error("list"));
  return out;
}

core::Result<std::optional<TransactionRecord>> SqliteStore::get(std::string_view id) {
  const std::vector<SqlValue> values = {detail::storable_text(id)};
  ResetGuard reset(get_.get());
  if (bind_all(get_.get(), values) != SQLITE_OK) return tl::unexpected(error("get"));
  const int rc = sqlite3_step(get_.get());
  if (rc == SQLITE_DONE) return std::optional<TransactionRecord>();
  if (rc != SQLITE_ROW) return tl::unexpected(error("get"));
  return detail::read_record(SqliteRow{get_.get()}, true);
}

core::Result<std::size_t> SqliteStore::delete_before(std::int64_t cutoff_us) {
  ResetGuard reset(delete_before_.get());
  sqlite3_bind_int64(delete_before_.get(), 1, cutoff_us);
  if (sqlite3_step(delete_before_.get()) != SQLITE_DONE) return tl::unexpected(error("delete"));
  return static_cast<std::size_t>(sqlite3_changes64(db_));
}

core::Result<std::vector<std::pair<std::string, std::int64_t>>> SqliteStore::action_counts(
    std::int64_t since_us) {
  ResetGuard reset(action_rows_.get());
  sqlite3_bind_int64(action_rows_.get(), 1, since_us);
  std::map<std::string, std::int64_t> counts;
  int rc;
  while ((rc = sqlite3_step(action_rows_.get())) == SQLITE_ROW) {
    detail::count_action_words(SqliteRow{action_rows_.get()}.text(0), counts);
  }
  if (rc != SQLITE_DONE) return tl::unexpected(error("action counts"));
  return detail::by_frequency(counts);
}

core::Result<std::vector<SessionSummary>> SqliteStore::sessions(const SessionQuery& query) {
  auto statement = detail::sessions_statement(query, Dialect::kSqlite);
  if (!statement) return tl::unexpected(statement.error());
  auto stmt = prepare(statement->sql);
  if (!stmt) return tl::unexpected(stmt.error());
  if (bind_all(stmt->get(), statement->values) != SQLITE_OK) return tl::unexpected(error("sessions"));
  std::vector<SessionSummary> out;
  int rc;
  while ((rc = sqlite3_step(stmt->get())) == SQLITE_ROW) {
    out.push_back(detail::read_session(SqliteRow{stmt->get()}));
  }
  if (rc != SQLITE_DONE) return tl::unexpected(error("sessions"));
  return out;
}

core::Result<std::int64_t> SqliteStore::count() {
  ResetGuard reset(count_.get());
  if (sqlite3_step(count_.get()) != SQLITE_ROW) return tl::unexpected(error("count"));
  return sqlite3_column_int64(count_.get(), 0);
}

}  // namespace warden::storage
