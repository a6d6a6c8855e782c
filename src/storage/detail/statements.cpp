#include "storage/detail/statements.hpp"

#include <algorithm>

#include "storage/detail/search_text.hpp"
#include "storage/detail/storable_text.hpp"

namespace warden::storage::detail {

namespace {

std::string placeholder(Dialect dialect, std::size_t n) {
  return (dialect == Dialect::kSqlite ? "?" : "$") + std::to_string(n);
}

std::string column_list(std::size_t count) {
  std::string out;
  for (std::size_t i = 0; i < count; ++i) {
    if (i > 0) out += ", ";
    out += kColumns[i];
  }
  return out;
}

// Wraps policy_actions in spaces so a whole word is " word " even at either end.
constexpr std::string_view kPaddedActions = "(' ' || policy_actions || ' ')";

}  // namespace

std::string escape_like(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '\\' || c == '%' || c == '_') out += '\\';
    out += c;
  }
  return out;
}

std::string upsert_sql(Dialect dialect) {
  std::string sql = "INSERT INTO transactions (" + column_list(kColumns.size()) + ") VALUES (";
  for (std::size_t i = 0; i < kColumns.size(); ++i) {
    sql += (i > 0 ? ", " : "") + placeholder(dialect, i + 1);
  }
  sql += ") ON CONFLICT (id) DO UPDATE SET ";
  for (std::size_t i = 1; i < kColumns.size(); ++i) {
    sql +=
        (i > 1 ? ", " : "") + std::string(kColumns[i]) + " = excluded." + std::string(kColumns[i]);
  }
  return sql;
}

std::string get_sql(Dialect dialect) {
  // All but search_text, which is only for the index.
  return "SELECT " + column_list(kColumns.size() - 1) +
         " FROM transactions WHERE id = " + placeholder(dialect, 1);
}

std::string delete_before_sql(Dialect dialect) {
  return "DELETE FROM transactions WHERE started_at_us < " + placeholder(dialect, 1);
}

std::string action_rows_sql(Dialect dialect) {
  return "SELECT policy_actions FROM transactions WHERE started_at_us >= " +
         placeholder(dialect, 1) + " AND policy_actions <> ''";
}

core::Result<Statement> list_statement(const TransactionQuery& query, Dialect dialect) {
  Statement st;
  std::vector<std::string> where;
  auto bind = [&](SqlValue value) {
    if (auto* text = std::get_if<std::string>(&value)) *text = storable_text(*text);
    st.values.push_back(std::move(value));
    return placeholder(dialect, st.values.size());
  };

  if (query.from_us) where.push_back("started_at_us >= " + bind(*query.from_us));
  if (query.to_us) where.push_back("started_at_us < " + bind(*query.to_us));
  if (!query.model.empty()) where.push_back("model = " + bind(query.model));
  if (query.status) where.push_back("status = " + bind(std::int64_t{*query.status}));
  if (!query.outcome.empty()) where.push_back("outcome = " + bind(query.outcome));
  if (!query.session_id.empty()) where.push_back("session_id = " + bind(query.session_id));
  if (!query.caller.empty()) where.push_back("caller = " + bind(query.caller));

  if (!query.action.empty()) {
    const std::string& action = query.action;
    if (std::any_of(action.begin(), action.end(),
                    [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; })) {
      return core::fail(core::ErrorKind::kInvalidRequest,
                        "the action filter is one word, like tool_filter:blocked_tool_call");
    }
    // instr/strpos, not LIKE: exact bytes, case-sensitive, no wildcards.
    const std::string find = dialect == Dialect::kSqlite ? "instr(" : "strpos(";
    const std::string whole =
        find + std::string(kPaddedActions) + ", " + bind(" " + action + " ") + ") > 0";
    if (action.find(':') != std::string::npos) {
      where.push_back(whole);
    } else {  // a bare action: that word alone, or the action of any policy
      where.push_back("(" + whole + " OR " + find + std::string(kPaddedActions) + ", " +
                      bind(":" + action + " ") + ") > 0)");
    }
  }

  if (!query.text.empty()) {
    if (query.text.size() > kMaxSearchBytes) {
      return core::fail(
          core::ErrorKind::kInvalidRequest,
          "the search text is longer than " + std::to_string(kMaxSearchBytes) + " bytes");
    }
    // Both through an index of trigrams over the ASCII-folded search text:
    // SQLite's FTS5 trigram table matches a phrase of 3+ characters as a
    // substring (shorter ones scan the column); PostgreSQL's pg_trgm serves LIKE.
    const std::string folded = storable_text(fold_ascii(query.text));
    const auto characters = std::count_if(folded.begin(), folded.end(), [](char c) {
      return (static_cast<unsigned char>(c) & 0xC0) != 0x80;  // not a UTF-8 continuation byte
    });
    if (dialect == Dialect::kSqlite && characters >= 3) {
      std::string phrase = "\"";
      for (char c : folded) phrase += c == '"' ? std::string("\"\"") : std::string(1, c);
      phrase += '"';
      where.push_back("rowid IN (SELECT rowid FROM transactions_search WHERE transactions_search MATCH " +
                      bind(phrase) + ")");
    } else if (dialect == Dialect::kSqlite) {
      where.push_back("instr(search_text, " + bind(folded) + ") > 0");
    } else {
      where.push_back("search_text LIKE " + bind("%" + escape_like(folded) + "%") + " ESCAPE '\\'");
    }
  }

  if (query.before_started_at_us) {
    // A row value compares (started_at_us, id) as one key, in the index's order.
    where.push_back("(started_at_us, id) < (" + bind(*query.before_started_at_us) + ", " +
                    bind(query.before_id) + ")");
  } else if (!query.before_id.empty()) {
    return core::fail(core::ErrorKind::kInvalidRequest,
                      "before_id needs before_started_at_us (the row's started_at_us)");
  }

  st.sql = "SELECT " + column_list(kMetadataColumns) + " FROM transactions";
  for (std::size_t i = 0; i < where.size(); ++i) {
    st.sql += (i == 0 ? " WHERE " : " AND ") + where[i];
  }
  const auto limit = static_cast<std::int64_t>(std::min(query.limit, kMaxListLimit));
  st.sql += " ORDER BY started_at_us DESC, id DESC LIMIT " + bind(limit);
  return st;
}

core::Result<Statement> sessions_statement(const SessionQuery& query, Dialect dialect) {
  Statement st;
  auto bind = [&](SqlValue value) {
    if (auto* text = std::get_if<std::string>(&value)) *text = storable_text(*text);
    st.values.push_back(std::move(value));
    return placeholder(dialect, st.values.size());
  };
  const bool sqlite = dialect == Dialect::kSqlite;
  st.sql =
      "SELECT session_id, min(started_at_us), max(started_at_us), count(*), sum(input_tokens), "
      "sum(output_tokens), sum(CASE WHEN policy_actions <> '' THEN 1 ELSE 0 END), "
      "sum(CASE WHEN status >= 400 OR outcome = 'error' THEN 1 ELSE 0 END), ";
  st.sql += sqlite ? "group_concat(DISTINCT model)" : "string_agg(DISTINCT model, ',')";
  st.sql += " FROM transactions WHERE session_id <> ''";
  if (query.from_us) st.sql += " AND started_at_us >= " + bind(*query.from_us);
  if (query.to_us) st.sql += " AND started_at_us < " + bind(*query.to_us);
  if (!query.text.empty()) {
    if (query.text.size() > kMaxSearchBytes) {
      return core::fail(core::ErrorKind::kInvalidRequest,
                        "the search text is longer than " + std::to_string(kMaxSearchBytes) + " bytes");
    }
    st.sql += std::string(" AND session_id ") + (sqlite ? "LIKE " : "ILIKE ") +
              bind("%" + escape_like(query.text) + "%") + " ESCAPE '\\'";
  }
  st.sql += " GROUP BY session_id";
  if (query.before_last_at_us) {
    st.sql += " HAVING (max(started_at_us), session_id) < (" + bind(*query.before_last_at_us) +
              ", " + bind(query.before_session_id) + ")";
  }
  const auto limit = static_cast<std::int64_t>(std::min(query.limit, kMaxListLimit));
  st.sql += " ORDER BY max(started_at_us) DESC, session_id DESC LIMIT " + bind(limit);
  return st;
}

std::vector<std::string> split_models(std::string_view joined) {
  std::vector<std::string> out;
  while (!joined.empty()) {
    const auto comma = joined.find(',');
    out.emplace_back(joined.substr(0, comma));
    if (comma == std::string_view::npos) break;
    joined.remove_prefix(comma + 1);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace warden::storage::detail
