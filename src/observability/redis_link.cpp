#include "observability/redis_link.hpp"

#include <algorithm>

#include <hiredis.h>
#include <poll.h>

#include <boost/json/parse.hpp>
#include <sys/socket.h>
#include <sys/time.h>

#include "observability/log.hpp"

namespace warden::observability {

namespace {

using namespace std::chrono_literals;

constexpr timeval kConnectTimeout{1, 0};
constexpr timeval kCommandTimeout{2, 0};
constexpr timeval kNoTimeout{0, 0};
constexpr std::chrono::milliseconds kFirstBackoff = 100ms;
constexpr std::chrono::milliseconds kMaxBackoff = 5s;
constexpr auto kLogInterval = 30s;
constexpr std::size_t kMaxBatch = 64;
constexpr auto kIdleCheck = 1s;

struct ReplyFree {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using Reply = std::unique_ptr<redisReply, ReplyFree>;

// Redis echoes some arguments in error replies; a password must never reach a log line.
std::string scrub(std::string_view text, const std::string& password) {
  std::string out(text);
  if (password.empty()) return out;
  for (std::size_t at = out.find(password); at != std::string::npos;
       at = out.find(password, at + 3)) {
    out.replace(at, password.size(), "***");
  }
  return out;
}

// One command on a blocking connection; false with `error` set on I/O failure or an
// error reply.
bool run(redisContext* c, std::initializer_list<std::string_view> args, std::string& error) {
  std::vector<const char*> argv;
  std::vector<std::size_t> lens;
  for (std::string_view arg : args) {
    argv.push_back(arg.data());
    lens.push_back(arg.size());
  }
  Reply reply(static_cast<redisReply*>(
      redisCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lens.data())));
  if (!reply) {
    error = c->errstr;
    return false;
  }
  if (reply->type == REDIS_REPLY_ERROR) {
    error = std::string(*args.begin()) + ": " + std::string(reply->str, reply->len);
    return false;
  }
  return true;
}

// A publisher connection receives nothing unasked, so anything readable (data, EOF, an
// error) means the server closed it.
bool server_closed(const redisContext* c) {
  pollfd fd{c->fd, POLLIN, 0};
  return ::poll(&fd, 1, 0) != 0;
}

std::string_view text_of(const redisReply* r) {
  if (r->type != REDIS_REPLY_STRING && r->type != REDIS_REPLY_STATUS) return {};
  return {r->str, r->len};
}

}  // namespace

// Connection failures repeat every backoff step while Redis is away: log the first, then
// at most one per kLogInterval with a count of the rest; log the connection when it is
// first made and when it comes back after a logged failure.
class RedisLink::FailureLog {
 public:
  FailureLog(std::string_view message, std::string_view role, const RedisUrl& url)
      : message_(message), role_(role), target_(url.redacted()), password_(url.password) {}

  void failed(std::string_view error) {
    const auto now = std::chrono::steady_clock::now();
    if (logged_any_ && now - last_ < kLogInterval) {
      ++suppressed_;
      return;
    }
    boost::json::object fields{
        {"role", role_}, {"redis", target_}, {"error", scrub(error, password_)}};
    if (suppressed_ > 0) fields["suppressed"] = suppressed_;
    log(LogLevel::kWarn, message_, fields);
    logged_any_ = true;
    recovery_owed_ = true;
    last_ = now;
    suppressed_ = 0;
  }

  void recovered() {
    if (!recovery_owed_) return;
    recovery_owed_ = false;
    log(LogLevel::kInfo, "redis event bus connected", {{"role", role_}, {"redis", target_}});
  }

 private:
  std::string_view message_;
  std::string_view role_;
  std::string target_;
  std::string password_;
  std::chrono::steady_clock::time_point last_{};
  bool logged_any_ = false;
  bool recovery_owed_ = true;  // so the first connection is logged too
  std::uint64_t suppressed_ = 0;
};

void RedisLink::ContextFree::operator()(redisContext* c) const { redisFree(c); }

RedisLink::RedisLink(Options options, Deliver deliver)
    : options_(std::move(options)), deliver_(std::move(deliver)) {}

RedisLink::~RedisLink() { stop(); }

void RedisLink::start() {
  if (stopping_ || publisher_.joinable()) return;
  publisher_ = std::thread([this] { publisher_loop(); });
  subscriber_ = std::thread([this] { subscriber_loop(); });
}

void RedisLink::stop() {
  {
    std::lock_guard lock(stop_mutex_);
    stopping_ = true;
    // Wakes a thread blocked in hiredis at once; its call fails and its loop sees stopping_.
    for (int fd : sockets_) ::shutdown(fd, SHUT_RDWR);
  }
  stop_cv_.notify_all();
  {
    std::lock_guard lock(queue_mutex_);  // a publisher about to wait now sees stopping_
    queue_.clear();
  }
  queue_cv_.notify_all();
  if (publisher_.joinable()) publisher_.join();
  if (subscriber_.joinable()) subscriber_.join();
}

void RedisLink::enqueue(std::string text) {
  {
    std::lock_guard lock(queue_mutex_);
    if (stopping_) return;
    if (queue_.size() >= options_.queue_capacity) {
      ++queue_overflow_;
      return;
    }
    queue_.push_back(std::move(text));
  }
  queue_cv_.notify_one();
}

bool RedisLink::register_socket(int fd) {
  std::lock_guard lock(stop_mutex_);
  if (stopping_) return false;
  sockets_.push_back(fd);
  return true;
}

void RedisLink::close(Context& c) {
  if (!c) return;
  {
    // Before redisFree closes it: stop() must never shut down a reused descriptor.
    std::lock_guard lock(stop_mutex_);
    std::erase(sockets_, c->fd);
  }
  c.reset();
}

void RedisLink::wait_for_stop(std::chrono::milliseconds delay) {
  std::unique_lock lock(stop_mutex_);
  stop_cv_.wait_for(lock, delay, [this] { return stopping_.load(); });
}

RedisLink::Context RedisLink::open(FailureLog& log) {
  // Connecting is the one wait stop() cannot cut short; kConnectTimeout bounds it.
  Context c(redisConnectWithTimeout(options_.url.host.c_str(), options_.url.port, kConnectTimeout));
  if (!c || c->err) {
    if (!stopping_) log.failed(c ? c->errstr : "cannot allocate a hiredis context");
    return nullptr;
  }
  if (!register_socket(c->fd)) return nullptr;
  std::string error;
  bool ok = redisEnableKeepAlive(c.get()) == REDIS_OK &&
            redisSetTimeout(c.get(), kCommandTimeout) == REDIS_OK;
  if (!ok) error = c->errstr;
  if (ok && !options_.url.password.empty()) {
    ok = run(c.get(), {"AUTH", options_.url.password}, error);
  }
  if (ok && options_.url.db >= 0) {
    const std::string db = std::to_string(options_.url.db);
    ok = run(c.get(), {"SELECT", db}, error);
  }
  if (!ok) {
    if (!stopping_) log.failed(error);
    close(c);
    return nullptr;
  }
  return c;
}

void RedisLink::publisher_loop() {
  FailureLog log("redis event bus connection failed", "publish", options_.url);
  std::vector<std::string> batch;  // survives a reconnect when it was never sent
  auto backoff = kFirstBackoff;
  while (!stopping_) {
    Context c = open(log);
    if (!c) {
      wait_for_stop(backoff);
      backoff = std::min(backoff * 2, kMaxBackoff);
      continue;
    }
    backoff = kFirstBackoff;
    publisher_ready_ = true;
    log.recovered();
    publish_until_error(c.get(), log, batch);
    publisher_ready_ = false;
    close(c);
  }
}

void RedisLink::publish_until_error(redisContext* c, FailureLog& log,
                                    std::vector<std::string>& batch) {
  while (true) {
    if (batch.empty()) {
      std::unique_lock lock(queue_mutex_);
      const bool woken = queue_cv_.wait_for(lock, kIdleCheck,
                                            [this] { return stopping_.load() || !queue_.empty(); });
      if (stopping_) return;
      while (!queue_.empty() && batch.size() < kMaxBatch) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      if (!woken && server_closed(c)) {  // notice a restart while idle, so ready() is true
        log.failed("the server closed the connection");
        return;
      }
      if (!woken) continue;
    }
    // Checked again before writing: a batch written to a closed connection would be lost.
    if (server_closed(c)) {
      log.failed("the server closed the connection");
      return;
    }
    // Pipelined: the first redisGetReply writes the whole batch, then one reply per PUBLISH.
    for (const std::string& text : batch) {
      const char* argv[] = {"PUBLISH", options_.channel.data(), text.data()};
      const std::size_t lens[] = {7, options_.channel.size(), text.size()};
      if (redisAppendCommandArgv(c, 3, argv, lens) != REDIS_OK) {
        lost_ += batch.size();
        batch.clear();
        log.failed(c->errstr);
        return;
      }
    }
    for (std::size_t i = 0; i < batch.size(); ++i) {
      void* raw = nullptr;
      if (redisGetReply(c, &raw) != REDIS_OK) {
        lost_ += batch.size() - i;
        batch.clear();
        if (!stopping_) log.failed(c->errstr);
        return;
      }
      const Reply reply(static_cast<redisReply*>(raw));
      if (reply->type == REDIS_REPLY_ERROR) {  // e.g. an ACL refusal: the connection is fine
        ++lost_;
        log.failed(std::string("PUBLISH: ") + std::string(reply->str, reply->len));
      }
    }
    batch.clear();
  }
}

void RedisLink::subscriber_loop() {
  FailureLog log("redis event bus connection failed", "subscribe", options_.url);
  auto backoff = kFirstBackoff;
  while (!stopping_) {
    Context c = open(log);
    if (!c) {
      wait_for_stop(backoff);
      backoff = std::min(backoff * 2, kMaxBackoff);
      continue;
    }
    backoff = kFirstBackoff;
    receive_until_error(c.get(), log);
    subscribed_ = false;
    close(c);
  }
}

void RedisLink::receive_until_error(redisContext* c, FailureLog& log) {
  // A quiet channel is normal, so no read timeout (hiredis 0.14 would also leave the
  // context unusable after one): stop() shuts the socket down, TCP keepalive finds a
  // dead server.
  if (redisSetTimeout(c, kNoTimeout) != REDIS_OK) {
    log.failed(c->errstr);
    return;
  }
  const char* argv[] = {"SUBSCRIBE", options_.channel.data()};
  const std::size_t lens[] = {9, options_.channel.size()};
  if (redisAppendCommandArgv(c, 2, argv, lens) != REDIS_OK) {
    log.failed(c->errstr);
    return;
  }
  FailureLog malformed("redis event bus dropped a malformed event", "subscribe", options_.url);
  while (true) {
    void* raw = nullptr;
    if (redisGetReply(c, &raw) != REDIS_OK) {
      if (!stopping_) log.failed(c->errstr);
      return;
    }
    const Reply reply(static_cast<redisReply*>(raw));
    if (reply->type == REDIS_REPLY_ERROR) {
      log.failed(std::string("SUBSCRIBE: ") + std::string(reply->str, reply->len));
      return;
    }
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 3) continue;
    const std::string_view kind = text_of(reply->element[0]);
    if (kind == "subscribe") {
      subscribed_ = true;
      log.recovered();
    } else if (kind == "message") {
      on_message(text_of(reply->element[2]), malformed);
    }
  }
}

void RedisLink::on_message(std::string_view text, FailureLog& malformed) {
  boost::system::error_code ec;
  const boost::json::value event = boost::json::parse(text, ec);
  const boost::json::object* object = ec ? nullptr : event.if_object();
  const boost::json::value* instance = object ? object->if_contains("instance") : nullptr;
  if (!instance || !instance->is_string()) {
    ++lost_;
    malformed.failed(ec ? ec.message() : "no \"instance\" string");
    return;
  }
  if (instance->get_string() == options_.instance_id) return;  // ours: delivered at publish
  deliver_(std::string(text));
}

}  // namespace warden::observability
