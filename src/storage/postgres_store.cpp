#include "storage/postgres_store.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <map>

#include <libpq-fe.h>

#include "storage/detail/action_words.hpp"
#include "storage/detail/record_values.hpp"
#include "storage/detail/storable_text.hpp"
#include "storage/migrations.hpp"

namespace warden::storage {

namespace {

using core::ErrorKind;
using detail::Dialect;
using detail::SqlValue;

// pg_advisory_xact_lock key that serialises migrations: "WARDEN" + 1.
constexpr std::int64_t kMigrationLock = 0x5741'5244'454E'0001;
constexpr std::string_view kUpsertName = "warden_upsert";

// Column access for detail::read_record(); results are in text format.
struct PgRow {
  const PGresult* res;
  int row;
  std::string text(int i) const {
    return std::string(PQgetvalue(res, row, i), static_cast<std::size_t>(PQgetlength(res, row, i)));
  }
  std::int64_t int64(int i) const {
    std::int64_t v = 0;
    const char* p = PQgetvalue(res, row, i);
    std::from_chars(p, p + PQgetlength(res, row, i), v);
    return v;
  }
  bool boolean(int i) const { return PQgetvalue(res, row, i)[0] == 't'; }
};

std::string percent_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    unsigned value = 0;
    if (s[i] == '%' && i + 2 < s.size() &&
        std::from_chars(s.data() + i + 1, s.data() + i + 3, value, 16).ptr == s.data() + i + 3) {
      out += static_cast<char>(value);
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// Everything in `url` that may be a password, longest first: the user info
// after the user name (up to the last '@', which is what a person meant even
// when libpq splits it at the first), each '@'-separated piece of it (libpq
// may put one in a host name it reports), and password= parameters; each as
// written and percent-decoded.
std::vector<std::string> url_secrets(std::string_view url) {
  std::vector<std::string> out;
  auto add = [&](std::string_view raw) {
    if (raw.empty()) return;
    out.emplace_back(raw);
    out.push_back(percent_decode(raw));
  };
  const std::size_t start = url.find("://") + 3;
  const std::size_t at = url.substr(0, url.find('?')).rfind('@');
  if (at != std::string_view::npos && at > start) {
    const std::string_view info = url.substr(start, at - start);
    const std::size_t colon = info.find(':');
    if (colon != std::string_view::npos) {
      const std::string_view password = info.substr(colon + 1);
      add(password);
      for (std::size_t pos = 0; pos <= password.size();) {
        const std::size_t end = std::min(password.find('@', pos), password.size());
        add(password.substr(pos, end - pos));
        pos = end + 1;
      }
    }
  }
  for (std::size_t pos = url.find('?'); pos != std::string_view::npos;) {
    const std::size_t end = std::min(url.find('&', pos + 1), url.size());
    const std::string_view param = url.substr(pos + 1, end - pos - 1);
    if (param.starts_with("password=")) add(param.substr(9));
    pos = end < url.size() ? end : std::string_view::npos;
  }
  std::sort(out.begin(), out.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// libpq's text for values bound to $1…; the strings must outlive the call.
struct BoundValues {
  explicit BoundValues(const std::vector<SqlValue>& values) {
    numbers.reserve(values.size());  // no reallocation: pointers stay valid
    for (const SqlValue& v : values) {
      if (const auto* n = std::get_if<std::int64_t>(&v)) {
        numbers.push_back(std::to_string(*n));
        pointers.push_back(numbers.back().c_str());
      } else {
        pointers.push_back(std::get<std::string>(v).c_str());
      }
    }
  }
  int size() const { return static_cast<int>(pointers.size()); }

  std::vector<std::string> numbers;
  std::vector<const char*> pointers;
};

}  // namespace

void PostgresStore::ResultDeleter::operator()(pg_result* r) const { PQclear(r); }

PostgresStore::PostgresStore(pg_conn* conn, std::vector<std::string> secrets)
    : conn_(conn), secrets_(std::move(secrets)) {}

PostgresStore::~PostgresStore() { PQfinish(conn_); }

core::Result<std::unique_ptr<Store>> PostgresStore::open(std::string_view url) {
  const std::string conninfo(url);
  // Our defaults come before the URL (which may override them); the encoding
  // comes after, since storable_text() produces UTF-8.
  const char* const keys[] = {"connect_timeout", "application_name", "dbname", "client_encoding",
                              nullptr};
  const char* const values[] = {"10", "warden", conninfo.c_str(), "UTF8", nullptr};
  PGconn* conn = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
  if (conn == nullptr) return core::fail(ErrorKind::kInternal, "storage: out of memory");
  std::unique_ptr<PostgresStore> store(new PostgresStore(conn, url_secrets(url)));
  if (PQstatus(conn) != CONNECTION_OK) {
    return tl::unexpected(
        store->error("connection", PQerrorMessage(conn), ErrorKind::kUnavailable));
  }
  // Notices ("relation … already exists, skipping") would go to stderr.
  PQsetNoticeProcessor(
      conn, [](void*, const char*) {}, nullptr);
  if (auto r = store->migrate(); !r) return tl::unexpected(r.error());
  return store;
}

core::Error PostgresStore::error(std::string_view what, std::string detail, ErrorKind kind) const {
  for (const std::string& secret : secrets_) {
    for (std::size_t pos = 0; (pos = detail.find(secret, pos)) != std::string::npos; pos += 3) {
      detail.replace(pos, secret.size(), "***");
    }
  }
  // libpq's messages span lines; a log line should not.
  std::string flat;
  for (char c : detail) {
    const bool space = c == '\n' || c == '\t' || c == '\r' || c == ' ';
    if (!space) {
      flat += c;
    } else if (!flat.empty() && flat.back() != ' ') {
      flat += ' ';
    }
  }
  while (!flat.empty() && flat.back() == ' ') flat.pop_back();
  if (PQstatus(conn_) == CONNECTION_BAD) kind = ErrorKind::kUnavailable;
  return core::Error(kind, "storage: PostgreSQL " + std::string(what) + " failed: " + flat);
}

core::Result<PostgresStore::ResultPtr> PostgresStore::run(const std::string& sql,
                                                          const std::vector<SqlValue>& values,
                                                          std::string_view what) {
  const BoundValues bound(values);
  ResultPtr res(PQexecParams(conn_, sql.c_str(), bound.size(), nullptr, bound.pointers.data(),
                             nullptr, nullptr, 0));
  const ExecStatusType status = PQresultStatus(res.get());
  if (status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK) return res;
  const char* message = res ? PQresultErrorMessage(res.get()) : "";
  return tl::unexpected(error(what, *message != '\0' ? message : PQerrorMessage(conn_)));
}

core::Result<PostgresStore::ResultPtr> PostgresStore::run_prepared_upsert(
    const std::vector<SqlValue>& values, std::string_view what) {
  const BoundValues bound(values);
  ResultPtr res(PQexecPrepared(conn_, kUpsertName.data(), bound.size(), bound.pointers.data(),
                               nullptr, nullptr, 0));
  if (PQresultStatus(res.get()) == PGRES_COMMAND_OK) return res;
  const char* message = res ? PQresultErrorMessage(res.get()) : "";
  return tl::unexpected(error(what, *message != '\0' ? message : PQerrorMessage(conn_)));
}

core::Result<void> PostgresStore::run_script(std::string_view sql, std::string_view what) {
  const std::string text(sql);
  ResultPtr res(PQexec(conn_, text.c_str()));
  if (PQresultStatus(res.get()) == PGRES_COMMAND_OK) return {};
  const char* message = res ? PQresultErrorMessage(res.get()) : "";
  return tl::unexpected(error(what, *message != '\0' ? message : PQerrorMessage(conn_)));
}

void PostgresStore::rollback() {
  if (PQstatus(conn_) == CONNECTION_OK && PQtransactionStatus(conn_) != PQTRANS_IDLE) {
    PQclear(PQexec(conn_, "ROLLBACK"));
  }
}

template <class F>
auto PostgresStore::with_retry(F attempt) -> decltype(attempt()) {
  auto result = attempt();
  if (result || PQstatus(conn_) != CONNECTION_BAD) return result;
  PQreset(conn_);
  upsert_prepared_ = false;
  if (PQstatus(conn_) != CONNECTION_OK) {
    return tl::unexpected(error("reconnection", PQerrorMessage(conn_), ErrorKind::kUnavailable));
  }
  return attempt();
}

core::Result<void> PostgresStore::migrate() {
  auto body = [&]() -> core::Result<void> {
    if (auto r = run("BEGIN", {}, "migration"); !r) return tl::unexpected(r.error());
    // Held to the end of this transaction: a second instance waits here, then
    // finds the schema current.
    if (auto r = run("SELECT pg_advisory_xact_lock($1)", {kMigrationLock}, "migration lock"); !r) {
      return tl::unexpected(r.error());
    }
    if (auto r = run(std::string(kCreateSchemaMigrations), {}, "creating schema_migrations"); !r) {
      return tl::unexpected(r.error());
    }
    auto version = run("SELECT coalesce(max(version), 0) FROM schema_migrations", {},
                       "reading the schema version");
    if (!version) return tl::unexpected(version.error());
    const int found = static_cast<int>(PgRow{version->get(), 0}.int64(0));
    if (auto r = check_schema_version(found, postgres_migrations()); !r) return r;
    for (const Migration& m : postgres_migrations()) {
      if (m.version <= found) continue;
      const std::string what = "migration " + std::to_string(m.version);
      if (auto r = run_script(m.sql, what); !r) return r;
      if (auto r = run("INSERT INTO schema_migrations (version, applied_at_us) VALUES ($1, $2)",
                       {std::int64_t{m.version}, now_us()}, what);
          !r) {
        return tl::unexpected(r.error());
      }
    }
    if (auto r = run("COMMIT", {}, "migration commit"); !r) return tl::unexpected(r.error());
    return {};
  };
  auto r = body();
  if (!r) rollback();
  return r;
}

core::Result<void> PostgresStore::write_once(const std::vector<TransactionRecord>& records) {
  if (!upsert_prepared_) {  // outside the transaction, so a rollback cannot undo it
    static const std::string sql = detail::upsert_sql(Dialect::kPostgres);
    ResultPtr res(PQprepare(conn_, kUpsertName.data(), sql.c_str(),
                            static_cast<int>(detail::kColumns.size()), nullptr));
    if (PQresultStatus(res.get()) != PGRES_COMMAND_OK) {
      return tl::unexpected(error("prepare", PQerrorMessage(conn_)));
    }
    upsert_prepared_ = true;
  }
  if (auto r = run("BEGIN", {}, "write"); !r) return tl::unexpected(r.error());
  for (const TransactionRecord& record : records) {
    if (auto r = run_prepared_upsert(detail::record_values(record), "write of " + record.id); !r) {
      rollback();
      return tl::unexpected(r.error());
    }
  }
  if (auto r = run("COMMIT", {}, "write commit"); !r) return tl::unexpected(r.error());
  return {};
}

core::Result<void> PostgresStore::write(const std::vector<TransactionRecord>& records) {
  if (records.empty()) return {};
  return with_retry([&] { return write_once(records); });
}

core::Result<std::vector<TransactionRecord>> PostgresStore::list(const TransactionQuery& query) {
  auto statement = detail::list_statement(query, Dialect::kPostgres);
  if (!statement) return tl::unexpected(statement.error());
  return with_retry([&]() -> core::Result<std::vector<TransactionRecord>> {
    auto res = run(statement->sql, statement->values, "list");
    if (!res) return tl::unexpected(res.error());
    std::vector<TransactionRecord> out;
    const int rows = PQntuples(res->get());
    out.reserve(static_cast<std::size_t>(rows));
    for (int i = 0; i < rows; ++i) out.push_back(detail::read_record(PgRow{res->get(), i}, false));
    return out;
  });
}

core::Result<std::optional<TransactionRecord>> PostgresStore::get(std::string_view id) {
  static const std::string sql = detail::get_sql(Dialect::kPostgres);
  const std::vector<SqlValue> values = {detail::storable_text(id)};
  return with_retry([&]() -> core::Result<std::optional<TransactionRecord>> {
    auto res = run(sql, values, "get");
    if (!res) return tl::unexpected(res.error());
    if (PQntuples(res->get()) == 0) return std::nullopt;
    return detail::read_record(PgRow{res->get(), 0}, true);
  });
}

core::Result<std::size_t> PostgresStore::delete_before(std::int64_t cutoff_us) {
  static const std::string sql = detail::delete_before_sql(Dialect::kPostgres);
  return with_retry([&]() -> core::Result<std::size_t> {
    auto res = run(sql, {cutoff_us}, "delete");
    if (!res) return tl::unexpected(res.error());
    const std::string_view affected = PQcmdTuples(res->get());
    std::size_t n = 0;
    std::from_chars(affected.data(), affected.data() + affected.size(), n);
    return n;
  });
}

core::Result<std::vector<std::pair<std::string, std::int64_t>>> PostgresStore::action_counts(
    std::int64_t since_us) {
  static const std::string sql = detail::action_rows_sql(Dialect::kPostgres);
  return with_retry([&]() -> core::Result<std::vector<std::pair<std::string, std::int64_t>>> {
    auto res = run(sql, {since_us}, "action counts");
    if (!res) return tl::unexpected(res.error());
    std::map<std::string, std::int64_t> counts;
    for (int i = 0, rows = PQntuples(res->get()); i < rows; ++i) {
      detail::count_action_words(PgRow{res->get(), i}.text(0), counts);
    }
    return detail::by_frequency(counts);
  });
}

core::Result<std::vector<SessionSummary>> PostgresStore::sessions(const SessionQuery& query) {
  auto statement = detail::sessions_statement(query, Dialect::kPostgres);
  if (!statement) return tl::unexpected(statement.error());
  return with_retry([&]() -> core::Result<std::vector<SessionSummary>> {
    auto res = run(statement->sql, statement->values, "sessions");
    if (!res) return tl::unexpected(res.error());
    std::vector<SessionSummary> out;
    for (int i = 0, rows = PQntuples(res->get()); i < rows; ++i) {
      out.push_back(detail::read_session(PgRow{res->get(), i}));
    }
    return out;
  });
}

core::Result<std::int64_t> PostgresStore::count() {
  return with_retry([&]() -> core::Result<std::int64_t> {
    auto res = run(std::string(detail::kCountSql), {}, "count");
    if (!res) return tl::unexpected(res.error());
    return PgRow{res->get(), 0}.int64(0);
  });
}

}  // namespace warden::storage
