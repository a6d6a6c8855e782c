// list(): each filter, text search, action words and keyset pagination,
// against SQLite and PostgreSQL.

#include <algorithm>
#include <set>

#include <gtest/gtest.h>

#include "unit/storage/test_database.hpp"

namespace warden::storage::testing {
namespace {

using Ids = std::vector<std::string>;

class ListTest : public StoreTest {
 protected:
  Ids ids(const TransactionQuery& query) { return ids_of(list(query)); }
};
WARDEN_FOR_BOTH_BACKENDS(ListTest);

TEST_P(ListTest, NewestFirstThenIdDescending) {
  write({make_record("txn_b", 100), make_record("txn_a", 300), make_record("txn_c", 100),
         make_record("txn_d", 200)});
  EXPECT_EQ(ids({}), (Ids{"txn_a", "txn_d", "txn_c", "txn_b"}));
}

TEST_P(ListTest, FromIsInclusiveAndToExclusive) {
  write({make_record("txn_a", 100), make_record("txn_b", 200), make_record("txn_c", 300)});
  TransactionQuery q;
  q.from_us = 200;
  EXPECT_EQ(ids(q), (Ids{"txn_c", "txn_b"}));
  q.to_us = 300;
  EXPECT_EQ(ids(q), (Ids{"txn_b"}));
  q.from_us.reset();
  EXPECT_EQ(ids(q), (Ids{"txn_b", "txn_a"}));
}

TEST_P(ListTest, ExactFilters) {
  TransactionRecord a = make_record("txn_a", 100);
  a.model = "claude-haiku-4-5";
  a.status = 200;
  a.outcome = "completed";
  a.session_id = "s1";
  TransactionRecord b = make_record("txn_b", 200);
  b.model = "claude-haiku-4-5-extra";
  b.status = 502;
  b.outcome = "error";
  b.session_id = "s10";
  TransactionRecord c = make_record("txn_c", 300);
  c.model = "CLAUDE-HAIKU-4-5";
  c.status = 200;
  c.outcome = "blocked";
  c.session_id = "";
  write({a, b, c});

  TransactionQuery q;
  q.model = "claude-haiku-4-5";
  EXPECT_EQ(ids(q), (Ids{"txn_a"}));
  q = {};
  q.status = 200;
  EXPECT_EQ(ids(q), (Ids{"txn_c", "txn_a"}));
  q.status = 404;
  EXPECT_EQ(ids(q), Ids{});
  q = {};
  q.outcome = "error";
  EXPECT_EQ(ids(q), (Ids{"txn_b"}));
  q = {};
  q.session_id = "s1";
  EXPECT_EQ(ids(q), (Ids{"txn_a"}));
  // Filters combine with AND.
  q = {};
  q.status = 200;
  q.outcome = "blocked";
  EXPECT_EQ(ids(q), (Ids{"txn_c"}));
  q.from_us = 0;
  q.to_us = 300;
  EXPECT_EQ(ids(q), Ids{});
}

TEST_P(ListTest, TextSearchCoversTheFourMessageBodiesIgnoringAsciiCase) {
  std::vector<TransactionRecord> records;
  for (const char* id : {"txn_or", "txn_fr", "txn_ors", "txn_frs", "txn_other"}) {
    TransactionRecord r = make_record(id, 100);
    r.original_request = r.final_request = r.original_response = r.final_response = "{}";
    // Bodies that are not searched hold the word too.
    r.request_headers = r.ingress = r.egress = r.policy_events = "Needle";
    records.push_back(r);
  }
  records[0].original_request = "a Needle in the request";
  records[1].final_request = "NEEDLE";
  records[2].original_response = "needles";
  records[3].final_response = "...nEeDlE";
  write(records);
  TransactionQuery q;
  q.text = "needle";
  EXPECT_EQ(ids(q), (Ids{"txn_ors", "txn_or", "txn_frs", "txn_fr"}));
  q.text = "NEEDLES";
  EXPECT_EQ(ids(q), (Ids{"txn_ors"}));
  q.text = "needle in";
  EXPECT_EQ(ids(q), (Ids{"txn_or"}));
}

TEST_P(ListTest, TextSearchTakesWildcardsLiterally) {
  auto with_request = [](std::string id, std::string body) {
    TransactionRecord r = make_record(std::move(id), 100);
    r.original_request = std::move(body);
    r.final_request = r.original_response = r.final_response = "";
    return r;
  };
  write({with_request("txn_1000", "costs 1000"), with_request("txn_100pct", "costs 100%"),
         with_request("txn_abc", "abc"), with_request("txn_a_c", "a_c"),
         with_request("txn_slash", "C:\\temp\\x"), with_request("txn_plain", "nothing here")});
  TransactionQuery q;
  q.text = "100%";
  EXPECT_EQ(ids(q), (Ids{"txn_100pct"}));
  q.text = "a_c";
  EXPECT_EQ(ids(q), (Ids{"txn_a_c"}));
  q.text = "%";
  EXPECT_EQ(ids(q), (Ids{"txn_100pct"}));
  q.text = "_";
  EXPECT_EQ(ids(q), (Ids{"txn_a_c"}));
  q.text = "\\temp\\";
  EXPECT_EQ(ids(q), (Ids{"txn_slash"}));
  q.text = "\\";
  EXPECT_EQ(ids(q), (Ids{"txn_slash"}));
  q.text = "'";
  EXPECT_EQ(ids(q), Ids{});
}

TEST_P(ListTest, OverlongSearchIsRefused) {
  TransactionQuery q;
  q.text = std::string(5000, 'x');
  auto r = store_->list(q);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, core::ErrorKind::kInvalidRequest);
}

TEST_P(ListTest, ActionsMatchWholeWordsOnly) {
  auto with_actions = [](std::string id, std::int64_t at, std::string actions) {
    TransactionRecord r = make_record(std::move(id), at);
    r.policy_actions = std::move(actions);
    return r;
  };
  write({with_actions("txn_1", 1, "tool_filter:blocked_tool_call"),
         with_actions("txn_2", 2, "judge:blocked_tool_call string_replacement:replaced"),
         with_actions("txn_3", 3, "tool_filter:blocked_tool_call_extra"),
         with_actions("txn_4", 4, "xtool_filter:blocked_tool_call"), with_actions("txn_5", 5, ""),
         with_actions("txn_6", 6, "tool_filter:allowed tool_filter:blocked_tool_callx"),
         with_actions("txn_7", 7, "string_replacement:replaced tool_filter:blocked_tool_call"),
         with_actions("txn_8", 8, "Tool_Filter:Blocked_Tool_Call")});
  TransactionQuery q;
  q.action = "tool_filter:blocked_tool_call";
  EXPECT_EQ(ids(q), (Ids{"txn_7", "txn_1"}));
  q.action = "blocked_tool_call";  // any policy's
  EXPECT_EQ(ids(q), (Ids{"txn_7", "txn_4", "txn_2", "txn_1"}));
  q.action = "replaced";
  EXPECT_EQ(ids(q), (Ids{"txn_7", "txn_2"}));
  for (const char* partial : {"blocked", "tool_filter", "tool_filter:", "filter:blocked_tool_call",
                              "tool_filter:blocked", "blocked_tool", "%", "_", "tool_filter:%"}) {
    q.action = partial;
    EXPECT_EQ(ids(q), Ids{}) << partial;
  }
  q.action = "tool_filter:blocked_tool_call";
  q.from_us = 2;
  q.to_us = 7;
  EXPECT_EQ(ids(q), Ids{});
}

TEST_P(ListTest, AnActionOfTwoWordsIsRefused) {
  TransactionQuery q;
  q.action = "tool_filter:blocked_tool_call judge:allowed";
  auto r = store_->list(q);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, core::ErrorKind::kInvalidRequest);
}

// Pages of `page_size` through everything `base` matches; fails on a loop.
Ids walk_pages(Store& store, TransactionQuery base, std::size_t page_size) {
  Ids all;
  base.limit = page_size;
  for (int pages = 0; pages < 1000; ++pages) {
    auto page = store.list(base);
    EXPECT_TRUE(page) << page.error().message;
    if (!page || page->empty()) return all;
    EXPECT_LE(page->size(), page_size);
    for (const auto& r : *page) all.push_back(r.id);
    base.before_started_at_us = page->back().started_at_us;
    base.before_id = page->back().id;
  }
  ADD_FAILURE() << "pagination did not end";
  return all;
}

TEST_P(ListTest, PagesNeitherSkipNorRepeatRowsWithEqualTimestamps) {
  std::vector<TransactionRecord> records;
  for (int i = 0; i < 23; ++i) {
    // Five rows share each timestamp; ids are not in timestamp order.
    TransactionRecord r =
        make_record("txn_" + std::string(1, static_cast<char>('a' + (i * 7) % 23)), 1000 + i / 5);
    r.status = i % 3 == 0 ? 500 : 200;
    records.push_back(r);
  }
  write(records);
  std::vector<TransactionRecord> expected = records;
  std::sort(expected.begin(), expected.end(), [](const auto& a, const auto& b) {
    return std::tie(a.started_at_us, a.id) > std::tie(b.started_at_us, b.id);
  });
  const Ids expected_ids = ids_of(expected);
  TransactionQuery all;
  all.limit = 100;
  EXPECT_EQ(ids(all), expected_ids);
  for (std::size_t size : {1, 2, 4, 5, 6, 22, 23, 24}) {
    EXPECT_EQ(walk_pages(*store_, {}, size), expected_ids) << "page size " << size;
  }
  // With a filter too.
  TransactionQuery errors;
  errors.status = 500;
  Ids expected_errors;
  for (const auto& r : expected) {
    if (r.status == 500) expected_errors.push_back(r.id);
  }
  EXPECT_EQ(walk_pages(*store_, errors, 3), expected_errors);
}

TEST_P(ListTest, BeforeIdAloneIsRefused) {
  TransactionQuery q;
  q.before_id = "txn_a";
  auto r = store_->list(q);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, core::ErrorKind::kInvalidRequest);
}

TEST_P(ListTest, LimitIsCappedAtOneThousand) {
  std::vector<TransactionRecord> records;
  for (int i = 0; i < 1005; ++i) {
    TransactionRecord r;
    r.id = "txn_" + std::to_string(i);
    r.started_at_us = i;
    records.push_back(r);
  }
  write(records);
  TransactionQuery q;
  EXPECT_EQ(list(q).size(), 50u);  // the default
  q.limit = 5000;
  EXPECT_EQ(list(q).size(), 1000u);
  q.limit = 0;
  EXPECT_EQ(list(q).size(), 0u);
}

}  // namespace
}  // namespace warden::storage::testing
