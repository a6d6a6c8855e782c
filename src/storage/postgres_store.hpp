#pragma once
// The PostgreSQL store, for several gateway instances sharing one database.
// Statements carry their values as bound parameters. When the server drops
// the connection, a call resets it and tries once more (writes are upserts,
// so repeating one is harmless). No message it returns contains the URL's
// password.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "storage/detail/statements.hpp"
#include "storage/store.hpp"

struct pg_conn;
struct pg_result;

namespace warden::storage {

class PostgresStore final : public Store {
 public:
  // Connects to `url` (postgresql://… or postgres://…) and migrates the
  // database; instances opening it at once take turns (an advisory lock).
  static core::Result<std::unique_ptr<Store>> open(std::string_view url);

  ~PostgresStore() override;
  PostgresStore(const PostgresStore&) = delete;
  PostgresStore& operator=(const PostgresStore&) = delete;

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
  struct ResultDeleter {
    void operator()(pg_result* r) const;
  };
  using ResultPtr = std::unique_ptr<pg_result, ResultDeleter>;

  PostgresStore(pg_conn* conn, std::vector<std::string> secrets);

  // Runs `sql` with `values` bound to $1…; an error unless the result is
  // tuples (a query) or a command's success.
  core::Result<ResultPtr> run(const std::string& sql, const std::vector<detail::SqlValue>& values,
                              std::string_view what);
  core::Result<ResultPtr> run_prepared_upsert(const std::vector<detail::SqlValue>& values,
                                              std::string_view what);
  core::Result<void> run_script(std::string_view sql, std::string_view what);
  core::Result<void> migrate();
  core::Result<void> write_once(const std::vector<TransactionRecord>& records);
  void rollback();
  // Calls `attempt`; when it failed because the connection broke, resets the
  // connection and calls it once more.
  template <class F>
  auto with_retry(F attempt) -> decltype(attempt());
  core::Error error(std::string_view what, std::string detail,
                    core::ErrorKind kind = core::ErrorKind::kInternal) const;

  pg_conn* conn_;
  std::vector<std::string> secrets_;  // the password as written and decoded: scrubbed from messages
  bool upsert_prepared_ = false;      // prepared statements die with the session
};

}  // namespace warden::storage
