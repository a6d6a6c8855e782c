#pragma once
// A fresh, empty database per test for each backend: an SQLite file in a new
// temporary directory, or a new PostgreSQL database (warden_test_<random>) on
// the server WARDEN_TEST_POSTGRES_URL names, dropped afterwards. ctest runs
// tests in parallel, so no two tests share a database.

#include <cstdint>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "storage/store.hpp"

namespace warden::storage::testing {

enum class Backend { kSqlite, kPostgres };

std::string backend_name(Backend backend);
inline void PrintTo(Backend backend, std::ostream* os) { *os << backend_name(backend); }

// WARDEN_TEST_POSTGRES_URL, or "" when it is not set.
std::string postgres_base_url();
inline constexpr const char* kNoPostgres =
    "WARDEN_TEST_POSTGRES_URL is not set: start a server with scripts/test-services.sh and export "
    "what it prints (the PostgreSQL cases fail rather than skip, so CI cannot pass without them)";

class TestDatabase {
 public:
  explicit TestDatabase(Backend backend);
  ~TestDatabase();
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;

  // "" when the database was created; otherwise why not.
  const std::string& error() const { return error_; }
  Backend backend() const { return backend_; }
  // What to pass to open_store().
  const std::string& url() const { return url_; }
  // The SQLite file, or "" for PostgreSQL.
  const std::string& path() const { return path_; }

  // Runs `sql` on its own connection, not through a Store; every row's columns as text.
  // A failure is a test failure (and an empty answer).
  std::vector<std::vector<std::string>> query(const std::string& sql);

  // PostgreSQL: ends every other session on this database, as a server restart would.
  void terminate_connections();

 private:
  Backend backend_;
  std::string error_;
  std::string url_;
  std::string path_;     // SQLite
  std::string dir_;      // SQLite: the temporary directory
  std::string db_name_;  // PostgreSQL
};

// Parameterized by backend: SetUp creates the database and opens store_ on it.
class StoreTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override;
  void TearDown() override;
  // Closes store_ and opens the database again.
  void reopen();
  void write(const std::vector<TransactionRecord>& records);
  std::vector<TransactionRecord> list(const TransactionQuery& query);

  std::unique_ptr<TestDatabase> db_;
  std::unique_ptr<Store> store_;
};

#define WARDEN_FOR_BOTH_BACKENDS(suite)                                  \
  INSTANTIATE_TEST_SUITE_P(                                              \
      Backends, suite,                                                   \
      ::testing::Values(::warden::storage::testing::Backend::kSqlite,    \
                        ::warden::storage::testing::Backend::kPostgres), \
      [](const auto& info) { return ::warden::storage::testing::backend_name(info.param); })

// A record with every field set, distinct per id.
TransactionRecord make_record(const std::string& id, std::int64_t started_at_us);
// `r` as list() returns it: the body fields empty.
TransactionRecord without_bodies(TransactionRecord r);
std::vector<std::string> ids_of(const std::vector<TransactionRecord>& records);

}  // namespace warden::storage::testing
