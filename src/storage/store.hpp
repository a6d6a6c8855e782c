#pragma once
// Where transactions are kept: one interface, two implementations with one
// schema — SQLite (the default; one file, WAL) and PostgreSQL (for several
// gateway instances). Migrations are built in and applied by open_store().
//
// A Store is one connection: use it from one thread at a time. Every call
// blocks, so Warden calls stores only from its storage threads, never from an
// I/O thread.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.hpp"
#include "storage/transaction_record.hpp"

namespace warden::storage {

class Store {
 public:
  virtual ~Store() = default;

  // Inserts the records in one database transaction; a record whose id is
  // already stored replaces it. Text that is not valid UTF-8, or holds NUL, is
  // stored with U+FFFD for each bad byte (PostgreSQL TEXT cannot hold it; both
  // backends store the same).
  virtual core::Result<void> write(const std::vector<TransactionRecord>& records) = 0;

  // Matching records newest first, by (started_at_us, id) descending, at most
  // query.limit (capped at 1000), without their bodies (the body fields are
  // empty). `action` matches a whole word of policy_actions: "policy:action"
  // exactly (case-sensitive), or a bare "action" of any policy. `text` matches
  // a substring of the four request/response bodies, ignoring ASCII case only;
  // % and _ in it are literal. kInvalidRequest for an action with a space, a
  // text over 4 KiB, or before_id without before_started_at_us.
  virtual core::Result<std::vector<TransactionRecord>> list(const TransactionQuery& query) = 0;

  // One record with its bodies, or nullopt when there is none with that id.
  virtual core::Result<std::optional<TransactionRecord>> get(std::string_view id) = 0;

  // Deletes records that started before `cutoff_us`; returns how many.
  virtual core::Result<std::size_t> delete_before(std::int64_t cutoff_us) = 0;

  // How many times each "policy:action" word occurs in records started at or
  // after `since_us`, for the policy view; most frequent first, ties by word.
  virtual core::Result<std::vector<std::pair<std::string, std::int64_t>>> action_counts(
      std::int64_t since_us) = 0;

  virtual core::Result<std::int64_t> count() = 0;

  // Sessions (records with a session id) by latest activity, newest first,
  // at most query.limit.
  virtual core::Result<std::vector<SessionSummary>> sessions(const SessionQuery& query) = 0;
};

// Opens (creating and migrating as needed) the store `url` names:
//   sqlite:///absolute/path.db, sqlite://~/relative-to-home.db, or a plain path;
//   postgresql://user:password@host:port/db (also postgres://).
// The directory of an SQLite file is created when missing.
core::Result<std::unique_ptr<Store>> open_store(std::string_view url);

}  // namespace warden::storage
