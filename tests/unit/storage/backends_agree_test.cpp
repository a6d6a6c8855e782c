// SQLite and PostgreSQL answer the same queries over the same data with the
// same records in the same order, since the admin API serves either.

#include <random>

#include <gtest/gtest.h>

#include "unit/storage/test_database.hpp"

namespace warden::storage::testing {
namespace {

// Deterministic data with ties, case variants, non-ASCII text, wildcards and
// invalid UTF-8, drawn from a fixed-seed engine (mt19937's output is fixed by
// the standard; distributions are not, so we take it modulo).
std::vector<TransactionRecord> dataset() {
  std::mt19937 rng(20240611);
  auto pick = [&](const std::vector<std::string>& options) {
    return options[rng() % options.size()];
  };
  const std::vector<std::string> models = {"claude-sonnet-4-5", "claude-haiku-4-5", "gpt-4o",
                                           "Claude-Sonnet-4-5", "modèle-ü"};
  const std::vector<std::string> outcomes = {"completed", "error", "client_gone", "blocked"};
  const std::vector<std::string> actions = {"",
                                            "tool_filter:blocked_tool_call",
                                            "judge:blocked_tool_call judge:allowed",
                                            "string_replacement:replaced",
                                            "tool_filter:blocked_tool_call_x",
                                            "all_caps:changed"};
  const std::vector<std::string> texts = {"Hello World",
                                          "hello world",
                                          "ÜBER straße",
                                          "über STRASSE",
                                          "costs 100% more",
                                          "costs 1000",
                                          "snake_case",
                                          "snakeXcase",
                                          "back\\slash",
                                          "quote ' \" end",
                                          "bad \xff utf8",
                                          "nul-free 😀 emoji",
                                          "",
                                          "ID txn_07"};
  const std::vector<std::string> ids = {"txn_", "TXN_", "txn-", "txn_\xC3\xA9", "txn_z"};
  std::vector<TransactionRecord> out;
  for (int i = 0; i < 120; ++i) {
    TransactionRecord r =
        make_record(pick(ids) + std::to_string(rng() % 1000) + "_" + std::to_string(i),
                    1'700'000'000'000'000 + static_cast<std::int64_t>(rng() % 25));
    r.model = pick(models);
    r.status = std::vector<int>{200, 400, 429, 502}[rng() % 4];
    r.outcome = pick(outcomes);
    r.session_id = "session-" + std::to_string(rng() % 4);
    r.policy_actions = pick(actions);
    r.stream = rng() % 2 == 0;
    r.original_request = pick(texts);
    r.final_request = pick(texts);
    r.original_response = pick(texts);
    r.final_response = pick(texts);
    r.upstream_first_byte_us = rng() % 3 == 0 ? -1 : static_cast<std::int64_t>(rng() % 100000);
    out.push_back(r);
  }
  return out;
}

// A query for up to 500 rows, changed by `set`.
template <class F>
TransactionQuery query(F set) {
  TransactionQuery q;
  q.limit = 500;
  set(q);
  return q;
}

std::vector<TransactionQuery> queries() {
  std::vector<TransactionQuery> out;
  out.push_back(query([](auto& q) { q.limit = 1000; }));
  out.push_back(TransactionQuery{});  // the default limit
  out.push_back(query([](auto& q) {
    q.from_us = 1'700'000'000'000'005;
    q.to_us = 1'700'000'000'000'012;
  }));
  for (const char* model : {"claude-sonnet-4-5", "Claude-Sonnet-4-5", "modèle-ü", "claude"}) {
    out.push_back(query([&](auto& q) { q.model = model; }));
  }
  for (int status : {200, 502, 500}) out.push_back(query([&](auto& q) { q.status = status; }));
  for (const char* outcome : {"blocked", "error"}) {
    out.push_back(query([&](auto& q) { q.outcome = outcome; }));
  }
  for (const char* action : {"tool_filter:blocked_tool_call", "blocked_tool_call", "allowed",
                             "blocked", "judge:allowed", "changed"}) {
    out.push_back(query([&](auto& q) { q.action = action; }));
  }
  out.push_back(query([](auto& q) { q.session_id = "session-2"; }));
  for (const char* text :
       {"hello", "HELLO WORLD", "über", "ÜBER", "straße", "STRASSE", "100%", "1000", "snake_case",
        "_", "%", "\\", "'", "\"", "\xff", "\uFFFD", "😀", "txn"}) {
    out.push_back(query([&](auto& q) { q.text = text; }));
  }
  out.push_back(query([](auto& q) {
    q.model = "gpt-4o";
    q.status = 200;
    q.text = "o";
  }));
  return out;
}

TEST(BackendsAgreeTest, SameDataSameAnswers) {
  ASSERT_NE(postgres_base_url(), "") << kNoPostgres;
  TestDatabase sqlite_db(Backend::kSqlite), postgres_db(Backend::kPostgres);
  ASSERT_EQ(sqlite_db.error(), "");
  ASSERT_EQ(postgres_db.error(), "");
  auto sqlite = open_store(sqlite_db.url());
  auto postgres = open_store(postgres_db.url());
  ASSERT_TRUE(sqlite) << sqlite.error().message;
  ASSERT_TRUE(postgres) << postgres.error().message;
  const auto data = dataset();
  ASSERT_TRUE((*sqlite)->write(data));
  ASSERT_TRUE((*postgres)->write(data));

  int non_empty = 0;
  for (const TransactionQuery& q : queries()) {
    auto a = (*sqlite)->list(q);
    auto b = (*postgres)->list(q);
    ASSERT_TRUE(a && b);
    EXPECT_EQ(*a, *b) << "model=" << q.model << " action=" << q.action << " text=" << q.text;
    non_empty += a->empty() ? 0 : 1;
    // Page through it too, 7 at a time.
    TransactionQuery page = q;
    page.limit = 7;
    for (int i = 0; i < 100; ++i) {
      auto pa = (*sqlite)->list(page);
      auto pb = (*postgres)->list(page);
      ASSERT_TRUE(pa && pb);
      ASSERT_EQ(*pa, *pb);
      if (pa->empty()) break;
      page.before_started_at_us = pa->back().started_at_us;
      page.before_id = pa->back().id;
    }
  }
  EXPECT_GT(non_empty, 20);  // the queries do find things

  for (const TransactionRecord& r : data) {
    auto a = (*sqlite)->get(r.id);
    auto b = (*postgres)->get(r.id);
    ASSERT_TRUE(a && b);
    ASSERT_TRUE(a->has_value());
    EXPECT_EQ(*a, *b) << r.id;
  }
  for (std::int64_t since : {std::int64_t{0}, std::int64_t{1'700'000'000'000'012}}) {
    EXPECT_EQ(*(*sqlite)->action_counts(since), *(*postgres)->action_counts(since));
  }
  EXPECT_EQ(*(*sqlite)->count(), *(*postgres)->count());
  EXPECT_EQ(*(*sqlite)->delete_before(1'700'000'000'000'010),
            *(*postgres)->delete_before(1'700'000'000'000'010));
  const TransactionQuery all = query([](auto& q) { q.limit = 1000; });
  EXPECT_EQ(*(*sqlite)->list(all), *(*postgres)->list(all));
}

}  // namespace
}  // namespace warden::storage::testing
