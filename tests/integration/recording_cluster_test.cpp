// Recording through the real binary, as a deployment sees it: SQLite surviving
// kill -9 under load, SQLite and PostgreSQL answering the admin API alike for
// the same traffic, and two instances on one PostgreSQL + Redis sharing their
// records and live events.
//
// Tests 2 and 3 need WARDEN_TEST_POSTGRES_URL, test 3 WARDEN_TEST_REDIS_URL
// (scripts/test-services.sh starts both); without them they fail, never skip.

#include <signal.h>
#include <sqlite3.h>

#include <atomic>
#include <fstream>
#include <regex>
#include <set>
#include <thread>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include "integration/recording_support.hpp"

namespace warden::testing {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

std::string str(const json::value& v) { return v.is_string() ? std::string(v.as_string()) : ""; }

std::string transaction_id(const HttpResponse& response) {
  return response.header("x-warden-transaction-id");
}

std::set<std::string> ids_of(const json::array& transactions) {
  std::set<std::string> ids;
  for (const auto& t : transactions) ids.insert(str(t.at("id")));
  return ids;
}

// Rows of `sql` on an open SQLite database, each row's columns as text.
std::vector<std::vector<std::string>> sqlite_rows(sqlite3* db, const std::string& sql,
                                                  const std::string& bind = "") {
  std::vector<std::vector<std::string>> rows;
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
    ADD_FAILURE() << sql << ": " << sqlite3_errmsg(db);
    return rows;
  }
  if (!bind.empty()) sqlite3_bind_text(stmt, 1, bind.c_str(), -1, SQLITE_TRANSIENT);
  int rc;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    auto& row = rows.emplace_back();
    for (int c = 0; c < sqlite3_column_count(stmt); ++c) {
      const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, c));
      row.emplace_back(text == nullptr ? "" : text);
    }
  }
  if (rc != SQLITE_DONE) ADD_FAILURE() << sql << ": " << sqlite3_errmsg(db);
  sqlite3_finalize(stmt);
  return rows;
}

// ---------------------------------------------------------------------------
// 1. kill -9 during load

TEST(RecordingCluster, KillNineUnderLoadKeepsEveryCommittedTransactionInSqlite) {
  const std::string data_dir = temp_dir();
  RecordingGateway gateway({{"WARDEN_DATA_DIR", data_dir}, {"WARDEN_STORAGE_BATCH_SIZE", "8"}});
  const std::uint16_t port = gateway.port();

  // Load: client threads, each on a keep-alive connection (a new one after a
  // failure), alternating streaming and whole answers until told to stop.
  std::atomic<int> answered{0};
  std::atomic<int> running{0};
  const auto load_start = Clock::now();
  const auto load_limit = load_start + 6s;  // a hard bound, whatever happens below
  struct Clients {  // stopped and joined however the test ends
    std::atomic<bool> stop{false};
    std::vector<std::thread> threads;
    void join() {
      stop = true;
      for (auto& t : threads) {
        if (t.joinable()) t.join();
      }
    }
    ~Clients() { join(); }
  } clients;
  std::atomic<bool>& stop = clients.stop;
  for (int t = 0; t < 4; ++t) {
    clients.threads.emplace_back([&, t] {
      ++running;
      int i = 0;
      while (!stop && Clock::now() < load_limit) {
        try {
          HttpConnection connection(port);
          while (!stop && Clock::now() < load_limit) {
            const bool stream = (i + t) % 2 == 0;
            const std::string text = "load client " + std::to_string(t) + " request " +
                                     std::to_string(i++);
            const auto response =
                connection.send({"POST", "/v1/messages", anthropic_headers("text"),
                                 messages_body("claude-mock-1", stream, text)});
            if (response.status != 200 || !response.complete) break;
            ++answered;
          }
        } catch (const std::exception&) {
          // Refused or reset: Warden is gone (killed below); try again until stopped.
        }
        if (!stop) std::this_thread::sleep_for(5ms);
      }
      --running;
    });
  }

  // While it runs: every transaction the admin list shows is committed; keep
  // its detail as the API gave it.
  std::map<std::string, std::string> committed;  // id → GET /admin/transactions/{id} body
  int detail_failures = 0;
  const auto kill_at = load_start + 1500ms;
  while (Clock::now() < kill_at) {
    const AdminReply list = admin_get(port, "/admin/transactions?limit=1000");
    ASSERT_EQ(list.status, 200u) << list.body;
    for (const auto& item : list.json.at("transactions").as_array()) {
      const std::string id = str(item.at("id"));
      if (Clock::now() >= kill_at) break;  // kill on time, while the load runs
      if (committed.contains(id)) continue;
      const AdminReply detail = admin_get(port, "/admin/transactions/" + id);
      if (detail.status != 200) {
        ++detail_failures;
        ADD_FAILURE() << "listed, but GET /admin/transactions/" << id << ": " << detail.status
                      << " " << detail.body;
        continue;
      }
      committed[id] = detail.body;
    }
    std::this_thread::sleep_for(30ms);
  }
  const int answered_before_kill = answered.load();
  const int running_at_kill = running.load();
  gateway.warden().signal(SIGKILL);
  EXPECT_EQ(gateway.warden().wait(5s), 128 + SIGKILL);
  std::this_thread::sleep_for(100ms);  // the clients see the gateway gone
  clients.join();

  // Killed mid-load: every client was still sending, and the store had
  // committed several batches of 8 by then.
  EXPECT_EQ(running_at_kill, 4);
  EXPECT_GE(answered_before_kill, 40);
  ASSERT_GE(committed.size(), 16u) << "answered " << answered_before_kill;
  EXPECT_EQ(detail_failures, 0);

  // The file as SQLite itself sees it, with Warden dead.
  const std::string db_path = data_dir + "/warden.db";
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK)
      << db_path << ": " << sqlite3_errmsg(db);
  sqlite3_busy_timeout(db, 2000);
  const auto integrity = sqlite_rows(db, "PRAGMA integrity_check");
  ASSERT_EQ(integrity.size(), 1u);
  EXPECT_EQ(integrity[0][0], "ok");
  const auto count_rows = sqlite_rows(db, "SELECT COUNT(*) FROM transactions");
  ASSERT_EQ(count_rows.size(), 1u);
  const std::size_t rows_after_kill = std::stoul(count_rows[0][0]);
  EXPECT_GE(rows_after_kill, committed.size());
  // Not everything answered was committed necessarily, but nothing committed
  // can be more than what was answered or cut off (4 in flight at most).
  EXPECT_LE(rows_after_kill, static_cast<std::size_t>(answered.load()) + 4);
  int missing_in_file = 0;
  for (const auto& [id, detail] : committed) {
    if (sqlite_rows(db, "SELECT id FROM transactions WHERE id = ?", id).size() != 1) {
      ++missing_in_file;
    }
  }
  EXPECT_EQ(missing_in_file, 0);
  sqlite3_close(db);
  RecordProperty("answered", answered.load());
  RecordProperty("committed_seen_before_kill", static_cast<int>(committed.size()));
  RecordProperty("rows_after_kill", static_cast<int>(rows_after_kill));

  // Started again on the same data directory: all of it is there, unchanged.
  gateway.restart_warden();
  const std::uint16_t again = gateway.port();
  int changed = 0;
  for (const auto& [id, before] : committed) {
    const AdminReply detail = admin_get(again, "/admin/transactions/" + id);
    if (detail.status == 200 && detail.body == before) continue;
    if (++changed <= 3) {
      ADD_FAILURE() << id << " after the restart: " << detail.status << "\n"
                    << detail.body << "\nbefore the kill:\n"
                    << before;
    }
  }
  EXPECT_EQ(changed, 0) << "of " << committed.size() << " committed transactions";
  const json::array listed = list_all(again, "");
  EXPECT_EQ(listed.size(), rows_after_kill);
  const auto listed_ids = ids_of(listed);
  int unlisted = 0;
  for (const auto& [id, _] : committed) unlisted += listed_ids.contains(id) ? 0 : 1;
  EXPECT_EQ(unlisted, 0) << "committed transactions missing from the list after the restart";

  // And it records again.
  std::vector<std::string> fresh;
  for (const bool stream : {false, true}) {
    const auto response = http(again, {"POST", "/v1/messages", anthropic_headers("text"),
                                       messages_body("claude-mock-1", stream, "after restart")});
    EXPECT_EQ(response.status, 200u) << response.body;
    fresh.push_back(transaction_id(response));
    EXPECT_FALSE(fresh.back().empty());
    EXPECT_FALSE(listed_ids.contains(fresh.back()));
  }
  for (std::size_t i = 0; i < fresh.size(); ++i) {
    AdminReply detail;
    EXPECT_TRUE(wait_until(
        [&] {
          detail = admin_get(again, "/admin/transactions/" + fresh[i]);
          return detail.status == 200;
        },
        5s))
        << fresh[i] << ": " << detail.status << " " << detail.body;
    if (detail.status != 200) continue;
    EXPECT_EQ(detail.json.at("status").as_int64(), 200);
    EXPECT_EQ(detail.json.at("stream").as_bool(), i == 1);
    EXPECT_EQ(str(detail.json.at("outcome")), "completed");
    EXPECT_EQ(str(detail.json.at("request").at("original").at("messages").at(0).at("content")),
              "after restart");
  }
  EXPECT_EQ(list_all(again, "").size(), rows_after_kill + 2);
}

// ---------------------------------------------------------------------------
// 2. SQLite and PostgreSQL agree

// One request of the fixed sequence.
struct Step {
  std::string label;
  HttpRequest request;
  unsigned status;
};

std::vector<Step> the_sequence() {
  auto with = [](std::vector<std::pair<std::string, std::string>> headers,
                 std::pair<std::string, std::string> extra) {
    headers.push_back(std::move(extra));
    return headers;
  };
  const std::string openai_body =
      R"({"model":"claude-mock-1","stream":true,"messages":[{"role":"user","content":"third, in OpenAI's dialect"}]})";
  return {
      {"anthropic_whole",
       {"POST", "/v1/messages", anthropic_headers("text"),
        messages_body("claude-mock-1", false, "first question")},
       200},
      {"anthropic_stream",
       {"POST", "/v1/messages", anthropic_headers("text"),
        messages_body("claude-mock-1", true, "second question")},
       200},
      {"openai_stream",
       {"POST", "/v1/chat/completions",
        {{"content-type", "application/json"},
         {"authorization", "Bearer sk-test-key"},
         {"x-mock-scenario", "text"}},
        openai_body},
       200},
      {"session_first",
       {"POST", "/v1/messages", with(anthropic_headers("text"), {"x-session-id", "it-session-42"}),
        messages_body("claude-mock-1", false, "A ZebraQuery inside a session")},
       200},
      {"session_second",
       {"POST", "/v1/messages", with(anthropic_headers("text"), {"x-session-id", "it-session-42"}),
        messages_body("claude-mock-1", true, "the session goes on")},
       200},
      {"blocked_tool",
       {"POST", "/v1/messages", anthropic_headers("bash"),
        messages_body("claude-mock-1", true, "clean up [[command:rm -rf /tmp/warden-it]]")},
       200},
      {"unknown_model",
       {"POST", "/v1/messages", anthropic_headers(),
        messages_body("no-such-model-anywhere", false, "who serves this?")},
       404},
  };
}

// Replaces what must differ between two gateways given the same traffic by
// stable stand-ins, keeping everything else:
//  - transaction ids (random) → the label of the step that made them, so the
//    comparison also checks which transaction is where;
//  - trace ids (random per transaction) → "<trace id>" when set;
//  - wall-clock times and durations (started_at_us, duration_us, at_us) →
//    "<time>"; the first-byte offsets likewise, but -1 ("never happened")
//    stays, since whether there was a first byte is the same in both runs;
//  - the request's `host` header, which names the gateway's own port;
//  - `"created":N` in an OpenAI client's stream (egress): wall-clock seconds
//    Warden's OpenAI formatter stamps when it translates an Anthropic answer;
//  - next_cursor, which is "<started_at_us>.<id>" → "<cursor>" (null stays);
//  - ids Warden makes up itself with core::random_id (24 random letters and
//    digits after the prefix): the `request_id` of its own error bodies
//    (req_…), and the ids of the messages it translates — the OpenAI
//    client's chatcmpl-… and the msg_… of the Anthropic-shaped final_response
//    assembled from that stream. Each becomes "<prefix><random>". The mock's
//    ids (msg_mock_text_0001, …) have underscores in them and stay.
json::value normalized(const json::value& v, const std::map<std::string, std::string>& labels,
                       std::string_view key = "") {
  if (v.is_object()) {
    json::object out;
    for (const auto& [k, value] : v.as_object()) out[k] = normalized(value, labels, k);
    return out;
  }
  if (v.is_array()) {
    json::array out;
    for (const auto& item : v.as_array()) out.push_back(normalized(item, labels));
    return out;
  }
  if (key == "started_at_us" || key == "duration_us" || key == "at_us") return "<time>";
  if (key == "upstream_first_byte_us" || key == "client_first_byte_us") {
    return v.is_int64() && v.as_int64() == -1 ? v : json::value("<offset>");
  }
  if (v.is_string()) {
    static const std::regex kWardenId("(msg_|req_|toolu_|chatcmpl-)[0-9A-Za-z]{24,29}(?![0-9A-Za-z_])");
    const std::string s = std::regex_replace(std::string(v.as_string()), kWardenId, "$1<random>");
    if (auto it = labels.find(s); it != labels.end()) return json::value("<" + it->second + ">");
    if (key == "trace_id" && !s.empty()) return "<trace id>";
    if (key == "host") return json::value(std::regex_replace(s, std::regex(":[0-9]+$"), ":<port>"));
    if (key == "next_cursor") return "<cursor>";
    if (key == "egress") {
      return json::value(std::regex_replace(s, std::regex("\"created\":[0-9]+"),
                                            "\"created\":<time>"));
    }
    return json::value(s);
  }
  return v;
}

std::string clipped(const json::value& v) {
  std::string text = json::serialize(v);
  return text.size() > 300 ? text.substr(0, 300) + "…" : text;
}

// Where `a` and `b` differ, one "path: a | b" line each; "" when equal.
std::string differences(const json::value& a, const json::value& b, const std::string& path = "$") {
  if (a == b) return "";
  if (a.is_object() && b.is_object()) {
    std::string out;
    std::set<std::string> keys;
    for (const auto& [k, _] : a.as_object()) keys.emplace(k);
    for (const auto& [k, _] : b.as_object()) keys.emplace(k);
    for (const auto& k : keys) {
      const auto* x = a.as_object().if_contains(k);
      const auto* y = b.as_object().if_contains(k);
      if (x == nullptr || y == nullptr) {
        out += path + "." + k + ": " + (x ? clipped(*x) : "(absent)") + " | " +
               (y ? clipped(*y) : "(absent)") + "\n";
      } else {
        out += differences(*x, *y, path + "." + k);
      }
    }
    return out;
  }
  if (a.is_array() && b.is_array() && a.as_array().size() == b.as_array().size()) {
    std::string out;
    for (std::size_t i = 0; i < a.as_array().size(); ++i) {
      out += differences(a.as_array()[i], b.as_array()[i], path + "[" + std::to_string(i) + "]");
    }
    return out;
  }
  return path + ": " + clipped(a) + " | " + clipped(b) + "\n";
}

// The labels of a list's transactions, in its order.
std::vector<std::string> labels_of(const json::array& transactions,
                                   const std::map<std::string, std::string>& labels) {
  std::vector<std::string> out;
  for (const auto& t : transactions) {
    auto it = labels.find(str(t.at("id")));
    out.push_back(it == labels.end() ? "unknown " + str(t.at("id")) : it->second);
  }
  return out;
}

// Both gateways, with what each recorded for each step.
struct Side {
  std::string name;
  RecordingGateway* gateway;
  std::map<std::string, std::string> id_of;  // label → transaction id
};

TEST(RecordingCluster, SqliteAndPostgresGiveTheSameAdminAnswersForTheSameTraffic) {
  PostgresDatabase database;
  ASSERT_TRUE(database.error().empty()) << database.error();

  const std::string config = temp_dir() + "/warden.yaml";
  std::ofstream(config) << "policy:\n"
                           "  type: tool_filter\n"
                           "  deny:\n"
                           "    - tool: Bash\n"
                           "      argument_pattern: 'rm\\s+-rf'\n";
  RecordingGateway sqlite_gateway({}, {"--config", config});
  RecordingGateway postgres_gateway({{"WARDEN_STORAGE_URL", database.url()}},
                                    {"--config", config});
  std::vector<Side> sides{{"sqlite", &sqlite_gateway, {}}, {"postgres", &postgres_gateway, {}}};

  const auto steps = the_sequence();
  std::map<std::string, std::string> labels;  // either side's transaction id → label
  for (const auto& step : steps) {
    for (auto& side : sides) {
      const auto response = http(side.gateway->port(), step.request);
      EXPECT_EQ(response.status, step.status) << side.name << " " << step.label << ": "
                                              << response.body;
      const std::string id = transaction_id(response);
      EXPECT_FALSE(id.empty()) << side.name << " " << step.label;
      side.id_of[step.label] = id;
      labels[id] = step.label;
    }
    std::this_thread::sleep_for(25ms);  // distinct started_at, in sequence order
  }
  ASSERT_EQ(labels.size(), 2 * steps.size()) << "transaction ids must be unique";

  // The writer commits after answering: wait until each store has them all.
  std::map<std::string, json::array> lists;
  for (const auto& side : sides) {
    EXPECT_TRUE(wait_until(
        [&] {
          lists[side.name] = list_all(side.gateway->port(), "");
          return lists[side.name].size() >= steps.size();
        },
        5s))
        << side.name << " listed " << lists[side.name].size();
  }

  // Each list is the sequence, newest first.
  std::vector<std::string> newest_first;
  for (auto it = steps.rbegin(); it != steps.rend(); ++it) newest_first.push_back(it->label);
  for (const auto& side : sides) {
    EXPECT_EQ(labels_of(lists[side.name], labels), newest_first) << side.name;
  }
  EXPECT_EQ(differences(normalized(lists["sqlite"], labels), normalized(lists["postgres"], labels)),
            "")
      << "sqlite | postgres";

  // Every detail, alike; and what each should say, said.
  for (const auto& step : steps) {
    std::map<std::string, json::value> details;
    for (const auto& side : sides) {
      const AdminReply reply =
          admin_get(side.gateway->port(), "/admin/transactions/" + side.id_of.at(step.label));
      ASSERT_EQ(reply.status, 200u) << side.name << " " << step.label << ": " << reply.body;
      details[side.name] = reply.json;
    }
    EXPECT_EQ(differences(normalized(details["sqlite"], labels),
                          normalized(details["postgres"], labels)),
              "")
        << step.label << ": sqlite | postgres";
    const auto& d = details["sqlite"].as_object();
    SCOPED_TRACE(step.label + ": " + json::serialize(d));
    EXPECT_EQ(d.at("status").as_int64(), static_cast<std::int64_t>(step.status));
    EXPECT_EQ(d.at("request").at("original"), json::parse(step.request.body));
    EXPECT_EQ(str(d.at("endpoint")), step.request.target);
    if (step.label == "unknown_model") {
      EXPECT_EQ(str(d.at("outcome")), "error");
      EXPECT_NE(str(d.at("error")).find("no-such-model-anywhere"), std::string::npos);
    } else {
      EXPECT_EQ(str(d.at("outcome")), "completed");
      EXPECT_EQ(str(d.at("provider")), "anthropic");
      EXPECT_GT(d.at("input_tokens").as_int64(), 0);
    }
    EXPECT_EQ(str(d.at("dialect")), step.label == "openai_stream" ? "openai" : "anthropic");
    EXPECT_EQ(str(d.at("session_id")),
              step.label.starts_with("session_") ? "it-session-42" : "");
    if (step.label == "blocked_tool") {
      ASSERT_EQ(d.at("policy_actions"), json::parse(R"(["tool_filter:blocked_tool_call"])"));
      const auto& event = d.at("policy_events").at(0);
      EXPECT_EQ(str(event.at("detail").at("tool")), "Bash");
      EXPECT_NE(str(event.at("detail").at("arguments")).find("rm -rf /tmp/warden-it"),
                std::string::npos);
      // The upstream asked for the command; the client never got the tool call.
      const auto& original = d.at("response").at("original").at("content").as_array();
      ASSERT_EQ(original.size(), 2u);
      EXPECT_EQ(str(original[1].at("name")), "Bash");
      EXPECT_EQ(str(original[1].at("input").at("command")), "rm -rf /tmp/warden-it");
      for (const auto& block : d.at("response").at("final").at("content").as_array()) {
        EXPECT_EQ(str(block.at("type")), "text");
      }
      EXPECT_EQ(str(d.at("egress")).find("toolu_mock_bash_0001"), std::string::npos);
      EXPECT_NE(str(d.at("ingress")).find("toolu_mock_bash_0001"), std::string::npos);
    } else {
      EXPECT_EQ(d.at("policy_actions"), json::value(json::array()));
    }
  }

  // Filtered lists and pages, alike, and the right ones.
  struct Filter {
    std::string query;
    std::vector<std::string> expected;  // labels, newest first
  };
  const std::vector<Filter> filters{
      {"session=it-session-42", {"session_second", "session_first"}},
      {"action=tool_filter:blocked_tool_call", {"blocked_tool"}},
      {"action=blocked_tool_call", {"blocked_tool"}},
      // Case-insensitive on both: the request said "ZebraQuery".
      {"q=zEBRAquery", {"session_first"}},
      {"q=hello%20from%20the%20MOCK",
       {"session_second", "session_first", "openai_stream", "anthropic_stream",
        "anthropic_whole"}},
      {"model=no-such-model-anywhere", {"unknown_model"}},
      {"status=404", {"unknown_model"}},
  };
  for (const auto& filter : filters) {
    std::map<std::string, json::value> answers;
    for (const auto& side : sides) {
      const AdminReply reply =
          admin_get(side.gateway->port(), "/admin/transactions?" + filter.query);
      ASSERT_EQ(reply.status, 200u) << side.name << " " << filter.query << ": " << reply.body;
      EXPECT_EQ(labels_of(reply.json.at("transactions").as_array(), labels), filter.expected)
          << side.name << " " << filter.query;
      answers[side.name] = normalized(reply.json, labels);
    }
    EXPECT_EQ(differences(answers["sqlite"], answers["postgres"]), "")
        << filter.query << ": sqlite | postgres";
  }

  // Pages of two, following next_cursor to the end.
  std::map<std::string, std::vector<json::value>> pages;
  for (const auto& side : sides) {
    std::string cursor;
    std::vector<std::string> seen;
    for (int page = 0; page < 10; ++page) {
      std::string target = "/admin/transactions?limit=2";
      if (!cursor.empty()) target += "&cursor=" + cursor;
      const AdminReply reply = admin_get(side.gateway->port(), target);
      ASSERT_EQ(reply.status, 200u) << side.name << " " << target << ": " << reply.body;
      pages[side.name].push_back(normalized(reply.json, labels));
      for (const auto& label : labels_of(reply.json.at("transactions").as_array(), labels)) {
        seen.push_back(label);
      }
      const auto& next = reply.json.at("next_cursor");
      if (next.is_null()) break;
      cursor = str(next);
    }
    EXPECT_EQ(seen, newest_first) << side.name;
    EXPECT_EQ(pages[side.name].size(), (steps.size() + 1) / 2) << side.name;
  }
  ASSERT_EQ(pages["sqlite"].size(), pages["postgres"].size());
  for (std::size_t i = 0; i < pages["sqlite"].size(); ++i) {
    EXPECT_EQ(differences(pages["sqlite"][i], pages["postgres"][i]), "")
        << "page " << i << ": sqlite | postgres";
  }
}

// ---------------------------------------------------------------------------
// 3. Two instances, one PostgreSQL, one Redis

bool redis_connected(Process& warden) {
  const std::string log = warden.stderr_text();
  return log.find(R"("msg":"redis event bus connected","role":"publish")") != std::string::npos &&
         log.find(R"("msg":"redis event bus connected","role":"subscribe")") != std::string::npos;
}

TEST(RecordingCluster, TwoInstancesOnOnePostgresAndRedisSeeEachOthersLiveEvents) {
  const std::string redis = env_or_empty("WARDEN_TEST_REDIS_URL");
  ASSERT_FALSE(redis.empty())
      << "WARDEN_TEST_REDIS_URL is not set: this test needs a Redis server "
         "(scripts/test-services.sh starts one and prints the variables)";
  PostgresDatabase database;
  ASSERT_TRUE(database.error().empty()) << database.error();

  const std::map<std::string, std::string> env{{"WARDEN_STORAGE_URL", database.url()},
                                               {"WARDEN_REDIS_URL", redis}};
  RecordingGateway a(env);
  RecordingGateway b(env);
  // The bus connects to Redis in the background; events published before its
  // subscription is confirmed do not reach the other instance.
  ASSERT_TRUE(wait_until([&] { return redis_connected(a.warden()); }, 5s))
      << a.warden().stderr_text();
  ASSERT_TRUE(wait_until([&] { return redis_connected(b.warden()); }, 5s))
      << b.warden().stderr_text();

  EventReader on_a(a.port());
  EventReader on_b(b.port());
  const std::string instance_a = on_a.instance(3s);
  const std::string instance_b = on_b.instance(3s);
  ASSERT_FALSE(instance_a.empty()) << on_a.error();
  ASSERT_FALSE(instance_b.empty()) << on_b.error();
  ASSERT_NE(instance_a, instance_b);

  const auto via_a = http(a.port(), {"POST", "/v1/messages", anthropic_headers("text"),
                                     messages_body("claude-mock-1", false, "through A")});
  const auto via_b = http(b.port(), {"POST", "/v1/messages", anthropic_headers("text"),
                                     messages_body("claude-mock-1", true, "through B")});
  ASSERT_EQ(via_a.status, 200u) << via_a.body;
  ASSERT_EQ(via_b.status, 200u) << via_b.body;
  const std::string id_a = transaction_id(via_a);
  const std::string id_b = transaction_id(via_b);
  ASSERT_FALSE(id_a.empty());
  ASSERT_FALSE(id_b.empty());
  const std::map<std::string, std::string> handled_by{{id_a, instance_a}, {id_b, instance_b}};

  // Our events (the Redis channel may carry other test runs' too): how often
  // each (transaction, type) came, and from which instance.
  struct Seen {
    int count = 0;
    std::set<std::string> instances;
    json::object data;
  };
  auto ours = [&](const EventReader& reader) {
    std::map<std::pair<std::string, std::string>, Seen> seen;
    for (const auto& event : reader.events()) {
      const std::string type = str(event.at("type"));
      if (type != "transaction_started" && type != "transaction_finished") continue;
      const std::string id = str(event.at("data").at("id"));
      if (!handled_by.contains(id)) continue;
      auto& s = seen[{id, type}];
      ++s.count;
      s.instances.insert(str(event.at("instance")));
      s.data = event.at("data").as_object();
    }
    return seen;
  };
  for (const auto* reader : {&on_a, &on_b}) {
    EXPECT_TRUE(wait_until([&] { return ours(*reader).size() == 4; }, 5s))
        << (reader == &on_a ? "A" : "B") << " saw " << ours(*reader).size() << " of 4; "
        << reader->error();
  }
  std::this_thread::sleep_for(300ms);  // a duplicate would have come by now
  for (const auto* reader : {&on_a, &on_b}) {
    const std::string who = reader == &on_a ? "subscriber on A" : "subscriber on B";
    EXPECT_EQ(reader->error(), "") << who;
    const auto seen = ours(*reader);
    for (const auto& [id, instance] : handled_by) {
      for (const std::string type : {"transaction_started", "transaction_finished"}) {
        SCOPED_TRACE(who + ", " + type + " of " + id);
        const auto it = seen.find({id, type});
        ASSERT_NE(it, seen.end());
        EXPECT_EQ(it->second.count, 1);
        EXPECT_EQ(it->second.instances, std::set<std::string>{instance});
        EXPECT_EQ(str(it->second.data.at("model")), "claude-mock-1");
        EXPECT_EQ(it->second.data.at("stream").as_bool(), id == id_b);
        if (type == "transaction_finished") {
          EXPECT_EQ(it->second.data.at("status").as_int64(), 200);
          EXPECT_EQ(str(it->second.data.at("outcome")), "completed");
        }
      }
    }
  }

  // One shared store: both instances list both transactions.
  for (auto* gateway : {&a, &b}) {
    std::set<std::string> listed;
    EXPECT_TRUE(wait_until(
        [&] {
          listed = ids_of(list_all(gateway->port(), ""));
          return listed.contains(id_a) && listed.contains(id_b);
        },
        5s))
        << (gateway == &a ? "A" : "B") << " lists " << listed.size();
    EXPECT_EQ(listed.size(), 2u);
    for (const auto& id : {id_a, id_b}) {
      const AdminReply detail = admin_get(gateway->port(), "/admin/transactions/" + id);
      EXPECT_EQ(detail.status, 200u) << detail.body;
    }
  }
}

}  // namespace
}  // namespace warden::testing
