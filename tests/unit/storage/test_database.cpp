#include "unit/storage/test_database.hpp"

#include <cstdlib>
#include <filesystem>
#include <random>

#include <libpq-fe.h>
#include <sqlite3.h>

namespace warden::storage::testing {

namespace {

// `url` naming database `name` instead of its own.
std::string with_database(const std::string& url, const std::string& name) {
  const std::size_t start = url.find("://") + 3;
  const std::size_t query = url.find('?', start);
  const std::size_t path = std::min(url.find('/', start), query);
  return url.substr(0, path) + "/" + name + (query == std::string::npos ? "" : url.substr(query));
}

std::string random_suffix() {
  std::random_device rd;
  std::uniform_int_distribution<std::uint64_t> dist;
  const std::uint64_t n = dist(rd);
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(n));
  return buf;
}

// Runs `sql` on a new connection to `url`; error text, or "" with `rows` filled.
std::string pg_query(const std::string& url, const std::string& sql,
                     std::vector<std::vector<std::string>>* rows = nullptr) {
  PGconn* conn = PQconnectdb(url.c_str());
  std::string error;
  if (PQstatus(conn) != CONNECTION_OK) {
    error = PQerrorMessage(conn);
  } else {
    PQsetNoticeProcessor(
        conn, [](void*, const char*) {}, nullptr);
    PGresult* res = PQexec(conn, sql.c_str());
    const auto status = PQresultStatus(res);
    if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
      error = PQresultErrorMessage(res);
    } else if (rows != nullptr) {
      for (int r = 0; r < PQntuples(res); ++r) {
        auto& row = rows->emplace_back();
        for (int c = 0; c < PQnfields(res); ++c) row.emplace_back(PQgetvalue(res, r, c));
      }
    }
    PQclear(res);
  }
  PQfinish(conn);
  return error;
}

}  // namespace

std::string backend_name(Backend backend) {
  return backend == Backend::kSqlite ? "sqlite" : "postgres";
}

std::string postgres_base_url() {
  const char* url = std::getenv("WARDEN_TEST_POSTGRES_URL");
  return url == nullptr ? "" : url;
}

TestDatabase::TestDatabase(Backend backend) : backend_(backend) {
  if (backend == Backend::kSqlite) {
    std::string tmpl = (std::filesystem::temp_directory_path() / "warden_storage_XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) {
      error_ = "mkdtemp failed";
      return;
    }
    dir_ = tmpl;
    path_ = dir_ + "/data/warden.db";  // data/ does not exist: open_store creates it
    url_ = "sqlite://" + path_;
    return;
  }
  const std::string base = postgres_base_url();
  if (base.empty()) {
    error_ = kNoPostgres;
    return;
  }
  db_name_ = "warden_test_" + random_suffix();
  error_ = pg_query(base, "CREATE DATABASE " + db_name_);
  if (!error_.empty()) {
    error_ = "CREATE DATABASE " + db_name_ + " failed: " + error_;
    db_name_.clear();
    return;
  }
  url_ = with_database(base, db_name_);
}

TestDatabase::~TestDatabase() {
  if (!dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  if (!db_name_.empty()) {
    const std::string error =
        pg_query(postgres_base_url(), "DROP DATABASE IF EXISTS " + db_name_ + " WITH (FORCE)");
    if (!error.empty()) ADD_FAILURE() << "DROP DATABASE " << db_name_ << ": " << error;
  }
}

std::vector<std::vector<std::string>> TestDatabase::query(const std::string& sql) {
  std::vector<std::vector<std::string>> rows;
  if (backend_ == Backend::kPostgres) {
    const std::string error = pg_query(url_, sql, &rows);
    if (!error.empty()) ADD_FAILURE() << sql << ": " << error;
    return rows;
  }
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path_.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
    ADD_FAILURE() << "open " << path_ << ": " << sqlite3_errmsg(db);
    sqlite3_close(db);
    return rows;
  }
  sqlite3_busy_timeout(db, 5000);
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
    ADD_FAILURE() << sql << ": " << sqlite3_errmsg(db);
  } else {
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      auto& row = rows.emplace_back();
      for (int c = 0; c < sqlite3_column_count(stmt); ++c) {
        const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, c));
        row.emplace_back(text == nullptr ? "" : text);
      }
    }
    if (rc != SQLITE_DONE) ADD_FAILURE() << sql << ": " << sqlite3_errmsg(db);
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return rows;
}

void TestDatabase::terminate_connections() {
  ASSERT_EQ(backend_, Backend::kPostgres);
  const std::string error =
      pg_query(postgres_base_url(),
               "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" +
                   db_name_ + "' AND pid <> pg_backend_pid()");
  ASSERT_EQ(error, "");
}

void StoreTest::SetUp() {
  db_ = std::make_unique<TestDatabase>(GetParam());
  ASSERT_TRUE(db_->error().empty()) << db_->error();
  auto store = open_store(db_->url());
  ASSERT_TRUE(store) << store.error().message;
  store_ = std::move(*store);
}

void StoreTest::TearDown() {
  store_.reset();  // before the database goes
  db_.reset();
}

void StoreTest::reopen() {
  store_.reset();
  auto store = open_store(db_->url());
  ASSERT_TRUE(store) << store.error().message;
  store_ = std::move(*store);
}

void StoreTest::write(const std::vector<TransactionRecord>& records) {
  auto r = store_->write(records);
  ASSERT_TRUE(r) << r.error().message;
}

std::vector<TransactionRecord> StoreTest::list(const TransactionQuery& query) {
  auto r = store_->list(query);
  EXPECT_TRUE(r) << r.error().message;
  return r ? *r : std::vector<TransactionRecord>{};
}

TransactionRecord make_record(const std::string& id, std::int64_t started_at_us) {
  TransactionRecord r;
  r.id = id;
  r.trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
  r.started_at_us = started_at_us;
  r.upstream_first_byte_us = 1200;
  r.client_first_byte_us = 1350;
  r.duration_us = 98765;
  r.endpoint = "/v1/messages";
  r.dialect = "anthropic";
  r.provider = "anthropic";
  r.model = "claude-sonnet-4-5";
  r.upstream_model = "claude-sonnet-4-5-20250929";
  r.stream = true;
  r.status = 200;
  r.outcome = "completed";
  r.input_tokens = 1234;
  r.output_tokens = 567;
  r.cache_read_tokens = 89;
  r.cache_creation_tokens = 10;
  r.caller = "caller-" + id;
  r.session_id = "session-1";
  r.request_headers = R"({"anthropic-version":"2023-06-01","x-api-key":"[redacted]"})";
  r.original_request =
      R"({"model":"claude-sonnet-4-5","messages":[{"role":"user","content":"hi )" + id + R"("}]})";
  r.final_request = r.original_request;
  r.original_response =
      R"({"type":"message","content":[{"type":"text","text":"hello )" + id + R"("}]})";
  r.final_response = r.original_response;
  r.ingress = "event: message_start\ndata: {}\n\n";
  r.egress = r.ingress;
  r.policy_events = "[]";
  return r;
}

TransactionRecord without_bodies(TransactionRecord r) {
  r.request_headers.clear();
  r.original_request.clear();
  r.final_request.clear();
  r.original_response.clear();
  r.final_response.clear();
  r.ingress.clear();
  r.egress.clear();
  r.policy_events.clear();
  return r;
}

std::vector<std::string> ids_of(const std::vector<TransactionRecord>& records) {
  std::vector<std::string> ids;
  for (const auto& r : records) ids.push_back(r.id);
  return ids;
}

}  // namespace warden::storage::testing
