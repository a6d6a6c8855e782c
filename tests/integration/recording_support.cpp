#include "integration/recording_support.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <random>
#include <stdexcept>

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>
#include <libpq-fe.h>

namespace warden::testing {

namespace json = boost::json;
using namespace std::chrono_literals;

std::string env_or_empty(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? "" : value;
}

// ---------------------------------------------------------------- gateway

RecordingGateway::RecordingGateway(std::map<std::string, std::string> env,
                                   std::vector<std::string> args)
    : env_(std::move(env)), args_(std::move(args)) {
  mock_ = std::make_unique<Process>(std::vector<std::string>{"mock-upstream", "--port", "0"});
  env_.emplace("WARDEN_LISTEN", "127.0.0.1:0");
  env_.emplace("WARDEN_PROVIDERS_ANTHROPIC_BASE_URL",
               "http://127.0.0.1:" + std::to_string(mock_->port()));
  env_.emplace("WARDEN_SHUTDOWN_GRACE_SECONDS", "5");
  // Fixed here so that restart_warden() reuses it (Process picks a fresh one otherwise).
  env_.emplace("WARDEN_DATA_DIR", temp_dir());
  restart_warden();
}

void RecordingGateway::restart_warden() {
  warden_.reset();  // kills a Warden still running
  std::vector<std::string> argv{"serve"};
  argv.insert(argv.end(), args_.begin(), args_.end());
  warden_ = std::make_unique<Process>(argv, env_);
}

// ---------------------------------------------------------------- admin API

AdminReply admin_get(std::uint16_t port, const std::string& target) {
  AdminReply out;
  const HttpResponse response = http(port, {"GET", target, {}, ""});
  out.status = response.status;
  out.body = response.body;
  boost::system::error_code ec;
  json::value parsed = json::parse(out.body, ec);
  if (!ec) out.json = std::move(parsed);
  return out;
}

json::array list_all(std::uint16_t port, const std::string& query, int limit, int max_pages) {
  json::array all;
  std::string cursor;
  for (int page = 0; page < max_pages; ++page) {
    std::string target = "/admin/transactions?limit=" + std::to_string(limit);
    if (!query.empty()) target += "&" + query;
    if (!cursor.empty()) target += "&cursor=" + cursor;
    const AdminReply reply = admin_get(port, target);
    if (reply.status != 200 || !reply.json.is_object()) {
      ADD_FAILURE() << "GET " << target << ": " << reply.status << " " << reply.body;
      return all;
    }
    const auto& object = reply.json.as_object();
    for (const auto& item : object.at("transactions").as_array()) all.push_back(item);
    const auto& next = object.at("next_cursor");
    if (next.is_null()) return all;
    cursor = std::string(next.as_string());  // digits, '.', "txn_" + id characters: URL-safe
  }
  ADD_FAILURE() << "list " << query << " did not end after " << max_pages << " pages";
  return all;
}

bool wait_until(const std::function<bool()>& ready, std::chrono::milliseconds timeout,
                std::chrono::milliseconds interval) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (ready()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(interval);
  }
}

// ---------------------------------------------------------------- PostgreSQL

namespace {

// `url` naming database `name` instead of its own.
std::string with_database(const std::string& url, const std::string& name) {
  const std::size_t start = url.find("://") + 3;
  const std::size_t query = url.find('?', start);
  const std::size_t path = std::min(url.find('/', start), query);
  return url.substr(0, path) + "/" + name + (query == std::string::npos ? "" : url.substr(query));
}

// Runs `sql` on a new connection to `url`; the error text, "" when it worked.
std::string pg_command(const std::string& url, const std::string& sql) {
  PGconn* conn = PQconnectdb(url.c_str());
  std::string error;
  if (PQstatus(conn) != CONNECTION_OK) {
    error = PQerrorMessage(conn);
  } else {
    PQsetNoticeProcessor(conn, [](void*, const char*) {}, nullptr);
    PGresult* res = PQexec(conn, sql.c_str());
    const auto status = PQresultStatus(res);
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) error = PQresultErrorMessage(res);
    PQclear(res);
  }
  PQfinish(conn);
  return error;
}

}  // namespace

PostgresDatabase::PostgresDatabase() : base_url_(env_or_empty("WARDEN_TEST_POSTGRES_URL")) {
  if (base_url_.empty()) {
    error_ = "WARDEN_TEST_POSTGRES_URL is not set: this test needs a PostgreSQL server "
             "(scripts/test-services.sh starts one and prints the variables)";
    return;
  }
  std::random_device rd;
  char suffix[17];
  std::snprintf(suffix, sizeof suffix, "%016llx",
                static_cast<unsigned long long>(
                    std::uniform_int_distribution<std::uint64_t>()(rd)));
  const std::string name = std::string("warden_it_") + suffix;
  const std::string error = pg_command(base_url_, "CREATE DATABASE " + name);
  if (!error.empty()) {
    error_ = "CREATE DATABASE " + name + " on WARDEN_TEST_POSTGRES_URL failed: " + error;
    return;
  }
  name_ = name;
  url_ = with_database(base_url_, name_);
}

PostgresDatabase::~PostgresDatabase() {
  if (name_.empty()) return;
  const std::string error =
      pg_command(base_url_, "DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
  if (!error.empty()) ADD_FAILURE() << "DROP DATABASE " << name_ << ": " << error;
}

// ---------------------------------------------------------------- live events

EventReader::EventReader(std::uint16_t port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd_ < 0 || ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    if (fd_ >= 0) ::close(fd_);
    throw std::runtime_error("cannot connect to port " + std::to_string(port));
  }
  const std::string request = "GET /admin/events HTTP/1.1\r\nHost: 127.0.0.1:" +
                              std::to_string(port) + "\r\nAccept: text/event-stream\r\n\r\n";
  if (::send(fd_, request.data(), request.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(request.size())) {
    ::close(fd_);
    throw std::runtime_error("cannot send the /admin/events request");
  }
  thread_ = std::thread([this] { run(); });
}

EventReader::~EventReader() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  ::close(fd_);
}

void EventReader::run() {
  char buf[8192];
  while (!stop_) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    const ssize_t n = ::read(fd_, buf, sizeof buf);
    if (n <= 0) return;  // the gateway closed the stream (or died)
    consume(std::string_view(buf, static_cast<std::size_t>(n)));
  }
}

void EventReader::consume(std::string_view bytes) {
  std::lock_guard lock(mu_);
  wire_.append(bytes);
  if (!head_done_) {
    const auto end = wire_.find("\r\n\r\n");
    if (end == std::string::npos) return;
    const std::string head = wire_.substr(0, end);
    if (head.rfind("HTTP/1.1 200", 0) != 0) error_ = "the event stream answered: " + head;
    if (head.find("chunked") == std::string::npos) error_ += " (not chunked: " + head + ")";
    wire_.erase(0, end + 4);
    head_done_ = true;
  }
  // De-chunk: "<hex size>[;ext]\r\n<data>\r\n" …
  while (true) {
    const auto eol = wire_.find("\r\n");
    if (eol == std::string::npos) break;
    const std::size_t size = std::strtoul(wire_.substr(0, eol).c_str(), nullptr, 16);
    if (size == 0) {  // the last chunk: the stream ended
      wire_.clear();
      break;
    }
    if (wire_.size() < eol + 2 + size + 2) break;
    body_.append(wire_, eol + 2, size);
    wire_.erase(0, eol + 2 + size + 2);
  }
  // SSE lines.
  while (true) {
    const auto eol = body_.find('\n');
    if (eol == std::string::npos) break;
    const std::string line = body_.substr(0, eol);
    body_.erase(0, eol + 1);
    constexpr std::string_view kHello = ": connected to ";
    if (line.rfind(kHello, 0) == 0) {
      instance_ = line.substr(kHello.size());
    } else if (line.rfind("data: ", 0) == 0) {
      boost::system::error_code ec;
      json::value event = json::parse(line.substr(6), ec);
      if (ec || !event.is_object()) {
        error_ += "unparsable event line: " + line + "\n";
      } else {
        events_.push_back(std::move(event.as_object()));
      }
    }
  }
}

std::string EventReader::instance(std::chrono::milliseconds timeout) {
  std::string out;
  wait_until(
      [&] {
        std::lock_guard lock(mu_);
        out = instance_;
        return !out.empty();
      },
      timeout);
  return out;
}

std::vector<json::object> EventReader::events() const {
  std::lock_guard lock(mu_);
  return events_;
}

std::string EventReader::error() const {
  std::lock_guard lock(mu_);
  return error_;
}

}  // namespace warden::testing
