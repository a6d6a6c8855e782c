// sessions() and the caller filter of list(), against SQLite and PostgreSQL.

#include <gtest/gtest.h>

#include "unit/storage/test_database.hpp"

namespace warden::storage::testing {
namespace {

class SessionsTest : public StoreTest {
 protected:
  std::vector<SessionSummary> sessions(const SessionQuery& query) {
    auto got = store_->sessions(query);
    EXPECT_TRUE(got) << got.error().message;
    return got ? *got : std::vector<SessionSummary>{};
  }
  static std::vector<std::string> names(const std::vector<SessionSummary>& list) {
    std::vector<std::string> out;
    for (const auto& s : list) out.push_back(s.session_id);
    return out;
  }

  // s1: three transactions (one blocked, one failed); s2: one; none: one without a session.
  void write_traffic() {
    auto r = [](const std::string& id, std::int64_t at, const std::string& session,
                const std::string& model) {
      TransactionRecord t = make_record(id, at);
      t.session_id = session;
      t.model = model;
      t.status = 200;
      t.outcome = "completed";
      t.policy_actions = "";
      t.input_tokens = 10;
      t.output_tokens = 5;
      return t;
    };
    TransactionRecord blocked = r("txn_2", 200, "s1", "claude-haiku");
    blocked.policy_actions = "tool_filter:blocked_tool_call";
    TransactionRecord failed = r("txn_3", 300, "s1", "claude-opus");
    failed.status = 502;
    failed.outcome = "error";
    write({r("txn_1", 100, "s1", "claude-opus"), blocked, failed, r("txn_4", 250, "s2", "gpt-5"),
           r("txn_5", 400, "", "gpt-5")});
  }
};
WARDEN_FOR_BOTH_BACKENDS(SessionsTest);

TEST_P(SessionsTest, SumsUpEachSessionNewestActivityFirst) {
  write_traffic();
  const auto list = sessions({});
  ASSERT_EQ(names(list), (std::vector<std::string>{"s1", "s2"}));
  const SessionSummary& s1 = list[0];
  EXPECT_EQ(s1.first_at_us, 100);
  EXPECT_EQ(s1.last_at_us, 300);
  EXPECT_EQ(s1.transactions, 3);
  EXPECT_EQ(s1.input_tokens, 30);
  EXPECT_EQ(s1.output_tokens, 15);
  EXPECT_EQ(s1.models, (std::vector<std::string>{"claude-haiku", "claude-opus"}));
  EXPECT_EQ(s1.acted, 1);
  EXPECT_EQ(s1.errors, 1);
  EXPECT_EQ(list[1].transactions, 1);
  EXPECT_EQ(list[1].models, std::vector<std::string>{"gpt-5"});
}

TEST_P(SessionsTest, FiltersAndPages) {
  write_traffic();
  SessionQuery q;
  q.text = "S2";  // case-insensitive substring of the id
  EXPECT_EQ(names(sessions(q)), std::vector<std::string>{"s2"});
  q = {};
  q.from_us = 250;  // only s1's txn_3 and s2's txn_4 count
  const auto recent = sessions(q);
  ASSERT_EQ(names(recent), (std::vector<std::string>{"s1", "s2"}));
  EXPECT_EQ(recent[0].transactions, 1);
  q = {};
  q.limit = 1;
  const auto first = sessions(q);
  ASSERT_EQ(names(first), std::vector<std::string>{"s1"});
  q.before_last_at_us = first[0].last_at_us;
  q.before_session_id = first[0].session_id;
  EXPECT_EQ(names(sessions(q)), std::vector<std::string>{"s2"});
  q.before_last_at_us = 250;
  q.before_session_id = "s2";
  EXPECT_TRUE(sessions(q).empty());
}

TEST_P(SessionsTest, ListFiltersByCaller) {
  TransactionRecord a = make_record("txn_a", 100);
  a.caller = "k_aaaa";
  TransactionRecord b = make_record("txn_b", 200);
  b.caller = "k_bbbb";
  write({a, b});
  TransactionQuery q;
  q.caller = "k_bbbb";
  EXPECT_EQ(ids_of(list(q)), std::vector<std::string>{"txn_b"});
}

}  // namespace
}  // namespace warden::storage::testing
