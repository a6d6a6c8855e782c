#pragma once
// The schema, as ordered migrations built into the binary: one list per
// backend, the same tables and columns in both. open_store() applies the ones a
// database lacks and records each in schema_migrations(version, applied_at_us).
//
// To change the schema, append a migration to both lists with the next version;
// never edit one that has shipped.

#include <span>
#include <string_view>

#include "core/result.hpp"

namespace warden::storage {

struct Migration {
  int version;            // 1, 2, … with no gaps
  std::string_view name;  // what it does, for humans
  std::string_view sql;   // one or more statements, run in one transaction
};

std::span<const Migration> sqlite_migrations();
std::span<const Migration> postgres_migrations();

// The version the last migration of `migrations` brings a database to.
int latest_version(std::span<const Migration> migrations);

// Ok when a database at `found` can be brought up to date by `migrations`; an
// error saying so when it was written by a newer Warden.
core::Result<void> check_schema_version(int found, std::span<const Migration> migrations);

// CREATE TABLE IF NOT EXISTS schema_migrations, valid in both backends.
inline constexpr std::string_view kCreateSchemaMigrations =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    "version INTEGER PRIMARY KEY, applied_at_us BIGINT NOT NULL)";

}  // namespace warden::storage
