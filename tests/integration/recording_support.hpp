#pragma once
// Helpers for the recording tests (recording_cluster_test.cpp): a gateway
// whose Warden takes extra arguments and can be started again with the same
// environment, admin API reads, a throwaway PostgreSQL database, and a raw
// reader of the live event stream GET /admin/events.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "integration/http_client.hpp"
#include "integration/process.hpp"

namespace warden::testing {

// The value of environment variable `name`, "" when unset.
std::string env_or_empty(const char* name);

// A mock upstream and a Warden in front of it. `env` is added to Warden's
// environment (WARDEN_* overrides; give WARDEN_DATA_DIR to choose the data
// directory), `args` follow `serve`.
class RecordingGateway {
 public:
  explicit RecordingGateway(std::map<std::string, std::string> env = {},
                            std::vector<std::string> args = {});

  // Starts Warden (again, after it died) with the same arguments and environment.
  void restart_warden();

  Process& warden() { return *warden_; }
  std::uint16_t port() const { return warden_->port(); }
  std::uint16_t mock_port() const { return mock_->port(); }

 private:
  std::map<std::string, std::string> env_;
  std::vector<std::string> args_;
  std::unique_ptr<Process> mock_;
  std::unique_ptr<Process> warden_;
};

struct AdminReply {
  unsigned status = 0;
  std::string body;
  boost::json::value json;  // null when the body is not JSON
};

// GET `target` (e.g. "/admin/transactions?limit=5") on the gateway at `port`.
AdminReply admin_get(std::uint16_t port, const std::string& target);

// Every transaction a list query gives, following next_cursor; `query` is the
// part after '?' without limit/cursor ("" for all). Fails the test (and
// returns what it has) on a non-200 answer or after `max_pages` pages.
boost::json::array list_all(std::uint16_t port, const std::string& query,
                            int limit = 1000, int max_pages = 100);

// Calls `ready` every `interval` until it returns true or `timeout` passes;
// returns its last answer.
bool wait_until(const std::function<bool()>& ready, std::chrono::milliseconds timeout,
                std::chrono::milliseconds interval = std::chrono::milliseconds(20));

// A fresh database on the PostgreSQL server at WARDEN_TEST_POSTGRES_URL,
// dropped (WITH (FORCE)) on destruction. error() says why there is none.
class PostgresDatabase {
 public:
  PostgresDatabase();
  ~PostgresDatabase();
  PostgresDatabase(const PostgresDatabase&) = delete;
  PostgresDatabase& operator=(const PostgresDatabase&) = delete;

  const std::string& error() const { return error_; }
  const std::string& url() const { return url_; }  // postgresql://…/warden_it_<random>
  const std::string& name() const { return name_; }

 private:
  std::string base_url_;
  std::string name_;
  std::string url_;
  std::string error_;
};

// One subscriber of GET /admin/events over a raw socket: a thread reads the
// chunked SSE stream and keeps the `: connected to <instance>` comment and
// every `data:` line, parsed. Stops (and closes) on destruction.
class EventReader {
 public:
  explicit EventReader(std::uint16_t port);
  ~EventReader();
  EventReader(const EventReader&) = delete;
  EventReader& operator=(const EventReader&) = delete;

  // The instance named by the stream's first comment; waits up to `timeout`
  // for it; "" when it did not come.
  std::string instance(std::chrono::milliseconds timeout);
  // The events so far ({"type","instance","at_us","data"}).
  std::vector<boost::json::object> events() const;
  // What went wrong reading the stream (bad status, unparsable line), "" if nothing.
  std::string error() const;

 private:
  void run();
  void consume(std::string_view bytes);  // raw wire bytes → head, chunks, lines

  int fd_ = -1;
  std::atomic<bool> stop_{false};
  mutable std::mutex mu_;
  std::string wire_;   // undecoded bytes
  std::string body_;   // decoded bytes not yet split into lines
  bool head_done_ = false;
  std::string instance_;
  std::vector<boost::json::object> events_;
  std::string error_;
  std::thread thread_;
};

}  // namespace warden::testing
