#pragma once
// The SQL both stores run, written once so they cannot drift apart: the
// backends differ only in placeholders (?1 / $1), LIKE / ILIKE and instr /
// strpos. Values are always bound, never spliced into the text.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/result.hpp"
#include "storage/transaction_record.hpp"

namespace warden::storage::detail {

enum class Dialect { kSqlite, kPostgres };

// A bound value: integers as 64-bit, everything else as (storable) text.
using SqlValue = std::variant<std::int64_t, std::string>;

struct Statement {
  std::string sql;
  std::vector<SqlValue> values;  // value i binds placeholder i + 1
};

// The order of the columns in the INSERT and in every SELECT of records; the
// first kMetadataColumns are what list() returns.
inline constexpr std::array<std::string_view, 32> kColumns = {
    "id", "trace_id", "started_at_us", "upstream_first_byte_us", "client_first_byte_us",
    "duration_us", "endpoint", "dialect", "provider", "model", "upstream_model", "stream", "status",
    "outcome", "error", "input_tokens", "output_tokens", "cache_read_tokens",
    "cache_creation_tokens", "caller", "session_id", "policy_actions",
    // bodies
    "request_headers", "original_request", "final_request", "original_response", "final_response",
    "ingress", "egress", "policy_events",
    // 1: the client got the upstream's very bytes, and `egress` is stored empty
    "egress_same",
    // written, never read back: what text search looks at (search_text.hpp)
    "search_text"};
inline constexpr std::size_t kMetadataColumns = 22;

inline constexpr std::size_t kMaxListLimit = 1000;
// SQLite refuses LIKE patterns over 50,000 bytes; refuse long searches in both.
inline constexpr std::size_t kMaxSearchBytes = 4096;

// INSERT of one record (kColumns.size() values) that replaces a stored one with the same id.
std::string upsert_sql(Dialect dialect);
// SELECT of one record with its bodies; one value, the id.
std::string get_sql(Dialect dialect);
// DELETE of records started before the one value.
std::string delete_before_sql(Dialect dialect);
// SELECT policy_actions of records started at or after the one value.
std::string action_rows_sql(Dialect dialect);
inline constexpr std::string_view kCountSql = "SELECT count(*) FROM transactions";

// The list() query; an error for a query no store can answer (an action with
// a space in it, an over-long search, before_id without before_started_at_us).
core::Result<Statement> list_statement(const TransactionQuery& query, Dialect dialect);

// The sessions() query: columns session_id, first, last, transactions, input
// tokens, output tokens, acted, errors, models (comma-separated, unordered).
core::Result<Statement> sessions_statement(const SessionQuery& query, Dialect dialect);

// "b,a" → {"a", "b"}: the models column of a sessions() row.
std::vector<std::string> split_models(std::string_view joined);

// A sessions() row, from either store's row reader.
template <class Row>
SessionSummary read_session(const Row& row) {
  SessionSummary s;
  s.session_id = row.text(0);
  s.first_at_us = row.int64(1);
  s.last_at_us = row.int64(2);
  s.transactions = row.int64(3);
  s.input_tokens = row.int64(4);
  s.output_tokens = row.int64(5);
  s.acted = row.int64(6);
  s.errors = row.int64(7);
  s.models = split_models(row.text(8));
  return s;
}

// `text` with LIKE's wildcards and the escape character escaped by '\'.
std::string escape_like(std::string_view text);

}  // namespace warden::storage::detail
