#include "storage/migrations.hpp"

#include <array>
#include <string>

namespace warden::storage {

namespace {

// SQLite: STRICT tables so a wrong type is an error, as it is in PostgreSQL.
// The list index leads each filtered index too, so "model = ? ORDER BY
// started_at_us DESC, id DESC LIMIT n" reads n index entries, not every match.
constexpr std::array kSqlite = {
    Migration{1, "transactions", R"sql(
CREATE TABLE transactions (
  id TEXT PRIMARY KEY NOT NULL,
  trace_id TEXT NOT NULL DEFAULT '',
  started_at_us INTEGER NOT NULL,
  upstream_first_byte_us INTEGER NOT NULL DEFAULT -1,
  client_first_byte_us INTEGER NOT NULL DEFAULT -1,
  duration_us INTEGER NOT NULL DEFAULT 0,
  endpoint TEXT NOT NULL DEFAULT '',
  dialect TEXT NOT NULL DEFAULT '',
  provider TEXT NOT NULL DEFAULT '',
  model TEXT NOT NULL DEFAULT '',
  upstream_model TEXT NOT NULL DEFAULT '',
  stream INTEGER NOT NULL DEFAULT 0 CHECK (stream IN (0, 1)),
  status INTEGER NOT NULL DEFAULT 0,
  outcome TEXT NOT NULL DEFAULT '',
  error TEXT NOT NULL DEFAULT '',
  input_tokens INTEGER NOT NULL DEFAULT 0,
  output_tokens INTEGER NOT NULL DEFAULT 0,
  cache_read_tokens INTEGER NOT NULL DEFAULT 0,
  cache_creation_tokens INTEGER NOT NULL DEFAULT 0,
  caller TEXT NOT NULL DEFAULT '',
  session_id TEXT NOT NULL DEFAULT '',
  policy_actions TEXT NOT NULL DEFAULT '',
  request_headers TEXT NOT NULL DEFAULT '',
  original_request TEXT NOT NULL DEFAULT '',
  final_request TEXT NOT NULL DEFAULT '',
  original_response TEXT NOT NULL DEFAULT '',
  final_response TEXT NOT NULL DEFAULT '',
  ingress TEXT NOT NULL DEFAULT '',
  egress TEXT NOT NULL DEFAULT '',
  policy_events TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX transactions_started ON transactions (started_at_us DESC, id DESC);
CREATE INDEX transactions_model ON transactions (model, started_at_us DESC, id DESC);
CREATE INDEX transactions_session ON transactions (session_id, started_at_us DESC, id DESC);
CREATE INDEX transactions_status ON transactions (status, started_at_us DESC, id DESC);
)sql"},
    // Free-text search through an FTS5 trigram index kept by triggers; older
    // rows get their bodies' beginnings as search text.
    Migration{2, "search", R"sql(
ALTER TABLE transactions ADD COLUMN search_text TEXT NOT NULL DEFAULT '';
UPDATE transactions SET search_text = lower(substr(original_request, 1, 32768) || char(10) ||
  substr(original_response, 1, 16384) || char(10) || substr(final_response, 1, 16384));
CREATE VIRTUAL TABLE transactions_search USING fts5(
  search_text, content='transactions', content_rowid='rowid', tokenize='trigram case_sensitive 1');
INSERT INTO transactions_search(transactions_search) VALUES ('rebuild');
CREATE TRIGGER transactions_search_insert AFTER INSERT ON transactions BEGIN
  INSERT INTO transactions_search(rowid, search_text) VALUES (new.rowid, new.search_text);
END;
CREATE TRIGGER transactions_search_delete AFTER DELETE ON transactions BEGIN
  INSERT INTO transactions_search(transactions_search, rowid, search_text)
    VALUES ('delete', old.rowid, old.search_text);
END;
CREATE TRIGGER transactions_search_update AFTER UPDATE ON transactions BEGIN
  INSERT INTO transactions_search(transactions_search, rowid, search_text)
    VALUES ('delete', old.rowid, old.search_text);
  INSERT INTO transactions_search(rowid, search_text) VALUES (new.rowid, new.search_text);
END;
)sql"},
    // Migration 3: egress is stored once when it equals ingress (record_values.cpp).
    Migration{3, "egress_same", R"sql(
ALTER TABLE transactions ADD COLUMN egress_same INTEGER NOT NULL DEFAULT 0;
)sql"},
};

// PostgreSQL: every text column is COLLATE "C" so that ordering by id, and the
// ASCII-only case folding of ILIKE, are byte-wise exactly as in SQLite.
constexpr std::array kPostgres = {
    Migration{1, "transactions", R"sql(
CREATE TABLE transactions (
  id TEXT COLLATE "C" PRIMARY KEY,
  trace_id TEXT COLLATE "C" NOT NULL DEFAULT '',
  started_at_us BIGINT NOT NULL,
  upstream_first_byte_us BIGINT NOT NULL DEFAULT -1,
  client_first_byte_us BIGINT NOT NULL DEFAULT -1,
  duration_us BIGINT NOT NULL DEFAULT 0,
  endpoint TEXT COLLATE "C" NOT NULL DEFAULT '',
  dialect TEXT COLLATE "C" NOT NULL DEFAULT '',
  provider TEXT COLLATE "C" NOT NULL DEFAULT '',
  model TEXT COLLATE "C" NOT NULL DEFAULT '',
  upstream_model TEXT COLLATE "C" NOT NULL DEFAULT '',
  stream BOOLEAN NOT NULL DEFAULT FALSE,
  status INTEGER NOT NULL DEFAULT 0,
  outcome TEXT COLLATE "C" NOT NULL DEFAULT '',
  error TEXT COLLATE "C" NOT NULL DEFAULT '',
  input_tokens BIGINT NOT NULL DEFAULT 0,
  output_tokens BIGINT NOT NULL DEFAULT 0,
  cache_read_tokens BIGINT NOT NULL DEFAULT 0,
  cache_creation_tokens BIGINT NOT NULL DEFAULT 0,
  caller TEXT COLLATE "C" NOT NULL DEFAULT '',
  session_id TEXT COLLATE "C" NOT NULL DEFAULT '',
  policy_actions TEXT COLLATE "C" NOT NULL DEFAULT '',
  request_headers TEXT COLLATE "C" NOT NULL DEFAULT '',
  original_request TEXT COLLATE "C" NOT NULL DEFAULT '',
  final_request TEXT COLLATE "C" NOT NULL DEFAULT '',
  original_response TEXT COLLATE "C" NOT NULL DEFAULT '',
  final_response TEXT COLLATE "C" NOT NULL DEFAULT '',
  ingress TEXT COLLATE "C" NOT NULL DEFAULT '',
  egress TEXT COLLATE "C" NOT NULL DEFAULT '',
  policy_events TEXT COLLATE "C" NOT NULL DEFAULT ''
);
CREATE INDEX transactions_started ON transactions (started_at_us DESC, id DESC);
CREATE INDEX transactions_model ON transactions (model, started_at_us DESC, id DESC);
CREATE INDEX transactions_session ON transactions (session_id, started_at_us DESC, id DESC);
CREATE INDEX transactions_status ON transactions (status, started_at_us DESC, id DESC);
)sql"},
    // Free-text search through a pg_trgm index (pg_trgm ships with PostgreSQL).
    Migration{2, "search", R"sql(
ALTER TABLE transactions ADD COLUMN search_text TEXT COLLATE "C" NOT NULL DEFAULT '';
UPDATE transactions SET search_text = lower((substr(original_request, 1, 32768) || chr(10) ||
  substr(original_response, 1, 16384) || chr(10) || substr(final_response, 1, 16384)) COLLATE "C");
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX transactions_search ON transactions USING gin (search_text gin_trgm_ops);
)sql"},
    Migration{3, "egress_same", R"sql(
ALTER TABLE transactions ADD COLUMN egress_same INTEGER NOT NULL DEFAULT 0;
)sql"},
};

}  // namespace

std::span<const Migration> sqlite_migrations() { return kSqlite; }
std::span<const Migration> postgres_migrations() { return kPostgres; }

int latest_version(std::span<const Migration> migrations) {
  return migrations.empty() ? 0 : migrations.back().version;
}

core::Result<void> check_schema_version(int found, std::span<const Migration> migrations) {
  const int known = latest_version(migrations);
  if (found <= known) return {};
  return core::fail(core::ErrorKind::kInternal,
                    "storage: the database schema is at version " + std::to_string(found) +
                        ", newer than this Warden knows (" + std::to_string(known) +
                        "); a newer Warden wrote it: upgrade Warden, or point storage.url "
                        "at another database");
}

}  // namespace warden::storage
