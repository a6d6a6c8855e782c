// Migrations, the write/get round trip, upserts, count, delete_before and
// action_counts, each against SQLite and PostgreSQL.

#include "storage/store.hpp"

#include <limits>
#include <thread>

#include <gtest/gtest.h>

#include "unit/storage/test_database.hpp"

namespace warden::storage::testing {
namespace {

using namespace std::string_literals;
using Counts = std::vector<std::pair<std::string, std::int64_t>>;

class StoreLifecycleTest : public StoreTest {};
WARDEN_FOR_BOTH_BACKENDS(StoreLifecycleTest);

TEST_P(StoreLifecycleTest, FreshDatabaseIsMigrated) {
  const auto versions = db_->query("SELECT version FROM schema_migrations ORDER BY version");
  ASSERT_EQ(versions.size(), 3u);
  EXPECT_EQ(versions[0][0], "1");
  EXPECT_EQ(versions[1][0], "2");
  EXPECT_EQ(versions[2][0], "3");
  EXPECT_EQ(db_->query("SELECT count(*) FROM transactions")[0][0], "0");
  auto count = store_->count();
  ASSERT_TRUE(count) << count.error().message;
  EXPECT_EQ(*count, 0);
}

TEST_P(StoreLifecycleTest, EgressEqualToIngressIsStoredOnceAndReadBackWhole) {
  auto same = make_record("txn_same", 100);
  same.ingress = same.egress = "event: message_stop\ndata: {}\n\n";
  auto different = make_record("txn_diff", 200);
  different.ingress = "upstream";
  different.egress = "client";
  write({same, different});
  const auto stored = db_->query(
      "SELECT id, egress, egress_same FROM transactions ORDER BY started_at_us");
  ASSERT_EQ(stored.size(), 2u);
  EXPECT_EQ(stored[0][1], "");
  EXPECT_EQ(stored[0][2], "1");
  EXPECT_EQ(stored[1][1], "client");
  EXPECT_EQ(stored[1][2], "0");
  for (const auto* r : {&same, &different}) {
    auto got = store_->get(r->id);
    ASSERT_TRUE(got && *got) << r->id;
    EXPECT_EQ((*got)->egress, r->egress);
    EXPECT_EQ((*got)->ingress, r->ingress);
  }
}

TEST_P(StoreLifecycleTest, ReopeningAppliesNothingAndKeepsData) {
  write({make_record("txn_a", 100)});
  reopen();
  reopen();
  EXPECT_EQ(db_->query("SELECT count(*) FROM schema_migrations")[0][0], "3");
  auto got = store_->get("txn_a");
  ASSERT_TRUE(got) << got.error().message;
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ(**got, make_record("txn_a", 100));
}

TEST_P(StoreLifecycleTest, InstancesOpeningAFreshDatabaseAtOnceMigrateItOnce) {
  TestDatabase fresh(GetParam());
  ASSERT_EQ(fresh.error(), "");
  constexpr int kInstances = 4;
  std::vector<std::string> errors(kInstances);
  std::vector<std::thread> threads;
  for (int i = 0; i < kInstances; ++i) {
    threads.emplace_back([&, i] {
      auto store = open_store(fresh.url());
      if (!store) errors[i] = store.error().message;
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& e : errors) EXPECT_EQ(e, "");
  EXPECT_EQ(fresh.query("SELECT count(*) FROM schema_migrations")[0][0], "3");
}

TEST_P(StoreLifecycleTest, RefusesADatabaseFromANewerWarden) {
  db_->query("INSERT INTO schema_migrations (version, applied_at_us) VALUES (999, 0)");
  store_.reset();
  auto store = open_store(db_->url());
  ASSERT_FALSE(store);
  EXPECT_NE(store.error().message.find("version 999"), std::string::npos) << store.error().message;
  EXPECT_NE(store.error().message.find("newer than this Warden knows (3)"), std::string::npos)
      << store.error().message;
  // Nothing was changed.
  EXPECT_EQ(db_->query("SELECT count(*) FROM schema_migrations")[0][0], "4");
}

class StoreRoundTripTest : public StoreTest {};
WARDEN_FOR_BOTH_BACKENDS(StoreRoundTripTest);

// Strings a body or a header may hold; no NUL and valid UTF-8 (see InvalidText below).
const std::vector<std::string> kEdgeStrings = {
    "",
    "'; DROP TABLE transactions; --",
    "\"double\" 'single' `back` \\back\\slash\\",
    "tab\tnewline\ncr\r\nend",
    "controls \x01\x02\x1b\x1f\x7f",
    "emoji 😀 CJK 漢字 RTL עברית combining é e\xCC\x81 max \xF4\x8F\xBF\xBF",
    "%_ wildcards ?1 $1 :name @p",
    " leading and trailing spaces ",
    "{\"json\":[1,2,{\"a\":null}],\"escaped\":\"\\u0000\\n\"}",
};

TEST_P(StoreRoundTripTest, EveryFieldSurvivesWriteAndGet) {
  std::vector<TransactionRecord> records;
  for (std::size_t i = 0; i < kEdgeStrings.size(); ++i) {
    const std::string& s = kEdgeStrings[i];
    TransactionRecord r;
    r.id = "txn_" + std::to_string(i) + s;
    r.trace_id = s;
    r.started_at_us = 1'760'000'000'000'000 + static_cast<std::int64_t>(i);
    r.upstream_first_byte_us = -1;
    r.client_first_byte_us = std::numeric_limits<std::int64_t>::min();
    r.duration_us = std::numeric_limits<std::int64_t>::max();
    r.endpoint = s;
    r.dialect = s;
    r.provider = s;
    r.model = s;
    r.upstream_model = s + "-up";
    r.stream = i % 2 == 0;
    r.status = 500 + static_cast<int>(i);
    r.outcome = s;
    r.error = s;
    r.input_tokens = std::numeric_limits<std::int64_t>::max();
    r.output_tokens = -7;
    r.cache_read_tokens = 0;
    r.cache_creation_tokens = 1;
    r.caller = s;
    r.session_id = s;
    r.policy_actions = s;
    r.request_headers = s;
    r.original_request = s + "1";
    r.final_request = s + "2";
    r.original_response = s + "3";
    r.final_response = s + "4";
    r.ingress = s + "5";
    r.egress = s + "6";
    r.policy_events = s + "7";
    records.push_back(r);
  }
  write(records);
  for (const auto& r : records) {
    auto got = store_->get(r.id);
    ASSERT_TRUE(got) << got.error().message;
    ASSERT_TRUE(got->has_value()) << r.id;
    EXPECT_EQ(**got, r);
  }
  // list() returns the same fields without the bodies, newest first.
  TransactionQuery all;
  all.limit = 100;
  const auto listed = list(all);
  ASSERT_EQ(listed.size(), records.size());
  for (std::size_t i = 0; i < records.size(); ++i) {
    EXPECT_EQ(listed[i], without_bodies(records[records.size() - 1 - i]));
  }
}

TEST_P(StoreRoundTripTest, MebibyteBodies) {
  std::string body;
  for (int i = 0; body.size() < (1u << 20); ++i) {
    body += "{\"line\":" + std::to_string(i) + ",\"text\":\"ünïcödé 'quoted' %_\\\\\"}\n";
  }
  body.resize(1u << 20);
  TransactionRecord r = make_record("txn_big", 100);
  r.original_request = body;
  r.final_request = body + "x";
  r.original_response = body;
  r.final_response = body;
  r.ingress = body;
  r.egress = body;
  r.policy_events = body;
  r.request_headers = body;
  write({r});
  auto got = store_->get("txn_big");
  ASSERT_TRUE(got) << got.error().message;
  ASSERT_TRUE(got->has_value());
  EXPECT_TRUE(**got == r);  // not EXPECT_EQ: a failure would print megabytes
  EXPECT_EQ(list({}), std::vector{without_bodies(r)});
}

TEST_P(StoreRoundTripTest, InvalidTextIsStoredWithReplacementCharacters) {
  TransactionRecord r = make_record("txn_bad", 100);
  r.ingress = "ok\xff\xfe|nul\0|cut\xE6\xBC"s;
  r.egress = "surrogate \xED\xA0\x80 overlong \xC0\xAF";
  write({r});
  auto got = store_->get("txn_bad");
  ASSERT_TRUE(got && got->has_value());
  EXPECT_EQ((*got)->ingress, "ok\uFFFD\uFFFD|nul\uFFFD|cut\uFFFD\uFFFD");
  EXPECT_EQ((*got)->egress, "surrogate \uFFFD\uFFFD\uFFFD overlong \uFFFD\uFFFD");
}

TEST_P(StoreRoundTripTest, GetOfAnUnknownIdIsEmpty) {
  write({make_record("txn_a", 100)});
  auto got = store_->get("txn_b");
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_FALSE(got->has_value());
}

TEST_P(StoreRoundTripTest, EmptyBatchIsFine) {
  write({});
  EXPECT_EQ(*store_->count(), 0);
}

TEST_P(StoreRoundTripTest, ExistingIdIsReplaced) {
  write({make_record("txn_a", 100), make_record("txn_b", 200)});
  TransactionRecord changed = make_record("txn_a", 300);
  changed.status = 502;
  changed.outcome = "error";
  changed.error = "upstream reset";
  changed.stream = false;
  changed.final_response.clear();
  changed.policy_actions = "tool_filter:blocked_tool_call";
  write({changed});
  EXPECT_EQ(*store_->count(), 2);
  EXPECT_EQ(**store_->get("txn_a"), changed);
  EXPECT_EQ(ids_of(list({})), (std::vector<std::string>{"txn_a", "txn_b"}));
}

TEST_P(StoreRoundTripTest, SameIdTwiceInOneBatchKeepsTheLast) {
  TransactionRecord first = make_record("txn_a", 100);
  TransactionRecord second = make_record("txn_a", 100);
  second.output_tokens = 999;
  write({first, second});
  EXPECT_EQ(*store_->count(), 1);
  EXPECT_EQ(**store_->get("txn_a"), second);
}

class StoreMaintenanceTest : public StoreTest {};
WARDEN_FOR_BOTH_BACKENDS(StoreMaintenanceTest);

TEST_P(StoreMaintenanceTest, CountCountsEveryRecord) {
  std::vector<TransactionRecord> records;
  for (int i = 0; i < 37; ++i) records.push_back(make_record("txn_" + std::to_string(i), i));
  write(records);
  auto count = store_->count();
  ASSERT_TRUE(count) << count.error().message;
  EXPECT_EQ(*count, 37);
}

TEST_P(StoreMaintenanceTest, DeleteBeforeRemovesOnlyOlderRecords) {
  write({make_record("txn_a", 100), make_record("txn_b", 200), make_record("txn_c", 200),
         make_record("txn_d", 300)});
  auto deleted = store_->delete_before(200);
  ASSERT_TRUE(deleted) << deleted.error().message;
  EXPECT_EQ(*deleted, 1u);
  EXPECT_EQ(ids_of(list({})), (std::vector<std::string>{"txn_d", "txn_c", "txn_b"}));
  EXPECT_EQ(*store_->delete_before(200), 0u);
  EXPECT_EQ(*store_->delete_before(1'000), 3u);
  EXPECT_EQ(*store_->count(), 0);
  EXPECT_FALSE(store_->get("txn_a")->has_value());
}

TEST_P(StoreMaintenanceTest, ActionCountsCountEveryWordSince) {
  auto with_actions = [](std::string id, std::int64_t at, std::string actions) {
    TransactionRecord r = make_record(std::move(id), at);
    r.policy_actions = std::move(actions);
    return r;
  };
  write({with_actions("txn_old", 50, "tool_filter:blocked_tool_call"),
         with_actions("txn_a", 100, "tool_filter:blocked_tool_call judge:allowed"),
         with_actions("txn_b", 200,
                      "tool_filter:blocked_tool_call tool_filter:blocked_tool_call "
                      "string_replacement:replaced"),
         with_actions("txn_c", 300, ""), with_actions("txn_d", 400, "judge:allowed")});
  auto counts = store_->action_counts(100);
  ASSERT_TRUE(counts) << counts.error().message;
  EXPECT_EQ(*counts, (Counts{{"tool_filter:blocked_tool_call", 3},
                             {"judge:allowed", 2},
                             {"string_replacement:replaced", 1}}));
  EXPECT_EQ(*store_->action_counts(200), (Counts{{"tool_filter:blocked_tool_call", 2},
                                                 {"judge:allowed", 1},
                                                 {"string_replacement:replaced", 1}}));
  EXPECT_EQ(*store_->action_counts(401), Counts{});
}

}  // namespace
}  // namespace warden::storage::testing
