#include "observability/event_bus.hpp"

#include <chrono>
#include <cstdlib>
#include <functional>
#include <future>
#include <latch>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <hiredis.h>
#include <signal.h>
#include <spawn.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "core/ids.hpp"
#include "observability/redis_url.hpp"

extern char** environ;

namespace warden::observability {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using asio::experimental::awaitable_operators::operator||;

// --- Helpers -------------------------------------------------------------------------------

// Appends events from `sub` to `out` until it has `count`, the subscription ends, or
// `deadline` passes.
asio::awaitable<void> collect(std::shared_ptr<Subscription> sub, std::size_t count,
                              Clock::time_point deadline, std::vector<std::string>* out) {
  asio::steady_timer timer(co_await asio::this_coro::executor, deadline);
  while (out->size() < count) {
    auto next = sub->next();
    auto expiry = timer.async_wait(asio::use_awaitable);
    auto race = std::move(next) || std::move(expiry);
    auto result = co_await std::move(race);
    if (result.index() == 1) co_return;  // deadline
    auto& text = std::get<0>(result);
    if (!text) co_return;
    out->push_back(std::move(*text));
  }
}

// Receives up to `count` events from `sub`, whose executor is `ctx`'s, within `timeout`.
std::vector<std::string> receive(asio::io_context& ctx, std::shared_ptr<Subscription> sub,
                                 std::size_t count, std::chrono::milliseconds timeout) {
  std::vector<std::string> out;
  std::exception_ptr error;
  asio::co_spawn(ctx, collect(std::move(sub), count, Clock::now() + timeout, &out),
                 [&error](std::exception_ptr e) { error = e; });
  ctx.restart();
  ctx.run();  // bounded: collect() returns by its deadline
  if (error) std::rethrow_exception(error);
  return out;
}

boost::json::object parse_event(const std::string& text) {
  return boost::json::parse(text).as_object();
}

bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (!done()) {
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

// A localhost port nobody listens on (bound, then released).
std::uint16_t closed_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

std::string unique_channel() {
  return "warden:test:" +
         std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + ":" +
         core::random_id("");
}

// Publishes `count` events {"seq": i, "from": from}.
void publish_sequence(EventBus& bus, std::string_view from, int count) {
  for (int i = 0; i < count; ++i) bus.publish("test", {{"seq", i}, {"from", from}});
}

// Per instance, the "seq" values in arrival order.
std::map<std::string, std::vector<std::int64_t>> by_instance(
    const std::vector<std::string>& events) {
  std::map<std::string, std::vector<std::int64_t>> out;
  for (const auto& text : events) {
    const auto event = parse_event(text);
    out[std::string(event.at("instance").as_string())].push_back(
        event.at("data").as_object().at("seq").as_int64());
  }
  return out;
}

std::vector<std::int64_t> iota(int n) {
  std::vector<std::int64_t> out;
  for (int i = 0; i < n; ++i) out.push_back(i);
  return out;
}

// --- In-process ----------------------------------------------------------------------------

TEST(EventBus, LocalPublishDeliversOnceWithAddedFields) {
  EventBus bus({.instance_id = "gw-1"});
  ASSERT_TRUE(bus.start());
  asio::io_context ctx;
  auto sub = bus.subscribe(ctx.get_executor());

  const auto before = std::chrono::duration_cast<std::chrono::microseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  bus.publish("transaction_started", {{"id", "t1"}, {"model", "claude"}});
  const auto after = std::chrono::duration_cast<std::chrono::microseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();

  const auto events = receive(ctx, sub, 2, 300ms);
  ASSERT_EQ(events.size(), 1u);
  const auto event = parse_event(events[0]);
  EXPECT_EQ(event.size(), 4u);
  EXPECT_EQ(event.at("type"), "transaction_started");
  EXPECT_EQ(event.at("instance"), "gw-1");
  EXPECT_GE(event.at("at_us").as_int64(), before);
  EXPECT_LE(event.at("at_us").as_int64(), after);
  EXPECT_EQ(event.at("data"), (boost::json::object{{"id", "t1"}, {"model", "claude"}}));
  EXPECT_EQ(bus.dropped(), 0u);
  EXPECT_EQ(sub->dropped(), 0u);
}

TEST(EventBus, MintsAnInstanceIdWhenNoneIsGiven) {
  EventBus a({});
  EventBus b({});
  EXPECT_FALSE(a.instance_id().empty());
  EXPECT_NE(a.instance_id(), b.instance_id());
}

TEST(EventBus, ConcurrentPublishersLoseNothingAndKeepTheirOrder) {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 500;
  constexpr std::size_t kTotal = kThreads * kPerThread;
  EventBus bus({.subscriber_capacity = kTotal});
  asio::io_context live_ctx;
  asio::io_context later_ctx;
  auto live = bus.subscribe(live_ctx.get_executor());    // read while publishing
  auto later = bus.subscribe(later_ctx.get_executor());  // read afterwards

  std::vector<std::string> live_events;
  std::thread reader([&] { live_events = receive(live_ctx, live, kTotal, 20s); });
  std::latch go(kThreads);
  std::vector<std::thread> publishers;
  for (int t = 0; t < kThreads; ++t) {
    publishers.emplace_back([&bus, &go, t] {
      go.arrive_and_wait();
      for (int i = 0; i < kPerThread; ++i) {
        bus.publish("test", {{"seq", i}, {"thread", t}});
      }
    });
  }
  for (auto& p : publishers) p.join();
  reader.join();
  auto later_events = receive(later_ctx, later, kTotal + 1, 2s);

  for (const std::vector<std::string>* events : {&live_events, &later_events}) {
    ASSERT_EQ(events->size(), kTotal);
    std::map<std::int64_t, std::vector<std::int64_t>> per_thread;
    for (const auto& text : *events) {
      const auto data = parse_event(text).at("data").as_object();
      per_thread[data.at("thread").as_int64()].push_back(data.at("seq").as_int64());
    }
    ASSERT_EQ(per_thread.size(), static_cast<std::size_t>(kThreads));
    for (const auto& [thread, seqs] : per_thread) {
      EXPECT_EQ(seqs, iota(kPerThread)) << "publisher thread " << thread;
    }
  }
  EXPECT_EQ(bus.dropped(), 0u);
}

TEST(EventBus, FullSubscriberDropsAndCountsOthersUnaffected) {
  EventBus bus({.subscriber_capacity = 4});
  asio::io_context ctx;
  auto stuck = bus.subscribe(ctx.get_executor());
  auto reader = bus.subscribe(ctx.get_executor());

  publish_sequence(bus, "x", 4);
  const auto first = receive(ctx, reader, 4, 2s);  // only `reader` drains
  publish_sequence(bus, "x", 4);
  const auto second = receive(ctx, reader, 5, 300ms);

  EXPECT_EQ(first.size(), 4u);
  EXPECT_EQ(second.size(), 4u);
  EXPECT_EQ(reader->dropped(), 0u);
  EXPECT_EQ(stuck->dropped(), 4u);
  EXPECT_EQ(bus.dropped(), 4u);
  EXPECT_EQ(bus.counters().subscriber_overflow, 4u);
  // The stuck subscriber kept the oldest four.
  const auto kept = receive(ctx, stuck, 5, 300ms);
  EXPECT_EQ(by_instance(kept)[bus.instance_id()], iota(4));
}

// An SSE writer races next() against a keepalive timer; a cancelled next() must leave the
// subscription able to buffer (Boost 1.81's channel alone does not: asio issue #1241).
TEST(EventBus, CancelledNextLeavesTheSubscriptionWorking) {
  EventBus bus({});
  asio::io_context ctx;
  auto sub = bus.subscribe(ctx.get_executor());
  for (int round = 0; round < 3; ++round) {
    EXPECT_TRUE(receive(ctx, sub, 1, 20ms).empty());  // the timer wins, next() is cancelled
    publish_sequence(bus, "x", 3);                    // nobody is waiting now
    EXPECT_EQ(by_instance(receive(ctx, sub, 4, 300ms))[bus.instance_id()], iota(3));
  }
  EXPECT_EQ(sub->dropped(), 0u);
  EXPECT_EQ(bus.dropped(), 0u);
}

TEST(EventBus, ClosedSubscriptionStopsReceivingAndIsNotCounted) {
  EventBus bus({});
  asio::io_context ctx;
  auto sub = bus.subscribe(ctx.get_executor());
  sub->close();
  bus.publish("test", {});
  EXPECT_TRUE(receive(ctx, sub, 1, 300ms).empty());
  EXPECT_EQ(bus.dropped(), 0u);
  sub.reset();  // destroying after close is fine too
  bus.publish("test", {});
}

TEST(EventBus, StopWakesPendingNext) {
  EventBus bus({});
  asio::io_context ctx;
  auto sub = bus.subscribe(ctx.get_executor());
  std::vector<std::string> events;
  std::thread reader([&] { events = receive(ctx, sub, 1, 10s); });
  std::this_thread::sleep_for(50ms);  // let next() start waiting (either way it must end)
  const auto stop_started = Clock::now();
  bus.stop();
  reader.join();
  EXPECT_LT(Clock::now() - stop_started, 5s) << "next() was not woken by stop()";
  EXPECT_TRUE(events.empty());

  // After stop: publishing is harmless, new subscriptions are born closed.
  bus.publish("test", {});
  auto late = bus.subscribe(ctx.get_executor());
  const auto started = Clock::now();
  EXPECT_TRUE(receive(ctx, late, 1, 10s).empty());
  EXPECT_LT(Clock::now() - started, 5s);
}

TEST(EventBus, SubscriptionOutlivingTheBusIsSafe) {
  asio::io_context ctx;
  std::shared_ptr<Subscription> sub;
  {
    EventBus bus({});
    sub = bus.subscribe(ctx.get_executor());
  }
  EXPECT_TRUE(receive(ctx, sub, 1, 2s).empty());
  sub->close();
}

// --- Redis URL -----------------------------------------------------------------------------

TEST(RedisUrl, ParsesTheAcceptedForms) {
  auto plain = parse_redis_url("redis://127.0.0.1:6379");
  ASSERT_TRUE(plain) << plain.error().message;
  EXPECT_EQ(plain->host, "127.0.0.1");
  EXPECT_EQ(plain->port, 6379);
  EXPECT_EQ(plain->password, "");
  EXPECT_EQ(plain->db, -1);

  auto full = parse_redis_url("redis://:p%40ss@redis.internal:6380/3");
  ASSERT_TRUE(full) << full.error().message;
  EXPECT_EQ(full->host, "redis.internal");
  EXPECT_EQ(full->port, 6380);
  EXPECT_EQ(full->password, "p@ss");
  EXPECT_EQ(full->db, 3);
  EXPECT_EQ(full->redacted(), "redis.internal:6380/3");

  auto v6 = parse_redis_url("redis://[::1]:6379/0");
  ASSERT_TRUE(v6) << v6.error().message;
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->db, 0);
  EXPECT_EQ(v6->redacted(), "[::1]:6379/0");
}

TEST(RedisUrl, RejectsEverythingElseWithoutEchoingThePassword) {
  for (const char* bad : {"",
                          "127.0.0.1:6379",
                          "http://h:1",
                          "rediss://h:6379",
                          "redis://",
                          "redis://h",
                          "redis://h:",
                          "redis://h:0",
                          "redis://h:65536",
                          "redis://h:-1",
                          "redis://h:1x",
                          "redis://h:1/",
                          "redis://h:1/x",
                          "redis://h:1/-1",
                          "redis://h:1/0/1",
                          "redis://h:1?db=2",
                          "redis://h:1#f",
                          "redis://user:hunter2@h:1",
                          "redis://:@h:1",
                          "redis://:hunter2%zz@h:1",
                          "redis://:hunter2@h",
                          "redis://:hunter2@:1",
                          "redis://h h:1",
                          "redis://[::1:1",
                          "redis://[::1]",
                          "unix:///tmp/redis.sock"}) {
    const auto url = parse_redis_url(bad);
    EXPECT_FALSE(url) << bad;
    if (url) continue;
    EXPECT_NE(url.error().message.find("redis_url"), std::string::npos) << url.error().message;
    EXPECT_EQ(url.error().message.find("hunter2"), std::string::npos) << url.error().message;
  }
}

TEST(EventBus, StartRejectsABadUrlAndStillServesLocally) {
  EventBus bus({.redis_url = "redis://:hunter2@localhost"});
  const auto started = bus.start();
  ASSERT_FALSE(started);
  EXPECT_NE(started.error().message.find("port"), std::string::npos) << started.error().message;
  EXPECT_EQ(started.error().message.find("hunter2"), std::string::npos);

  asio::io_context ctx;
  auto sub = bus.subscribe(ctx.get_executor());
  bus.publish("test", {});
  EXPECT_EQ(receive(ctx, sub, 1, 2s).size(), 1u);
}

// --- Redis ---------------------------------------------------------------------------------

class EventBusRedis : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* url = std::getenv("WARDEN_TEST_REDIS_URL");
    ASSERT_TRUE(url && *url) << "WARDEN_TEST_REDIS_URL is not set; these tests need a Redis server "
                                "(scripts/test-services.sh starts one and prints the variable)";
    url_ = url;
    channel_ = unique_channel();
  }

  EventBus::Options options(std::string instance) const {
    return {.redis_url = url_, .channel = channel_, .instance_id = std::move(instance)};
  }

  std::string url_;
  std::string channel_;
};

TEST_F(EventBusRedis, TwoBusesSeeEachOthersEventsAndTheirOwnExactlyOnce) {
  EventBus a(options("a-" + core::random_id("")));
  EventBus b(options("b-" + core::random_id("")));
  ASSERT_TRUE(a.start());
  ASSERT_TRUE(b.start());
  ASSERT_TRUE(wait_until([&] { return a.redis_ready() && b.redis_ready(); }, 10s))
      << "buses did not connect to " << url_;
  asio::io_context ctx_a;
  asio::io_context ctx_b;
  auto sub_a = a.subscribe(ctx_a.get_executor());
  auto sub_b = b.subscribe(ctx_b.get_executor());

  constexpr int kEach = 50;
  std::thread publisher_a([&] { publish_sequence(a, "a", kEach); });
  publish_sequence(b, "b", kEach);
  publisher_a.join();

  for (auto [ctx, sub] : {std::pair{&ctx_a, sub_a}, std::pair{&ctx_b, sub_b}}) {
    auto events = receive(*ctx, sub, 2 * kEach, 10s);
    // Then nothing more: no echo of our own events, no duplicates.
    const auto extra = receive(*ctx, sub, 1, 500ms);
    events.insert(events.end(), extra.begin(), extra.end());
    auto seen = by_instance(events);
    EXPECT_EQ(seen.size(), 2u);
    EXPECT_EQ(seen[a.instance_id()], iota(kEach));
    EXPECT_EQ(seen[b.instance_id()], iota(kEach));
  }
  EXPECT_EQ(a.dropped(), 0u);
  EXPECT_EQ(b.dropped(), 0u);

  const auto stop_started = Clock::now();
  a.stop();
  b.stop();
  EXPECT_LT(Clock::now() - stop_started, 2s) << "stop() waited on a blocked Redis read";
}

TEST_F(EventBusRedis, MalformedRemoteEventsAreDroppedAndCounted) {
  EventBus bus(options("gw-" + core::random_id("")));
  ASSERT_TRUE(bus.start());
  ASSERT_TRUE(wait_until([&] { return bus.redis_ready(); }, 10s));
  asio::io_context ctx;
  auto sub = bus.subscribe(ctx.get_executor());

  const auto url = parse_redis_url(url_);
  ASSERT_TRUE(url);
  redisContext* raw = redisConnect(url->host.c_str(), url->port);
  ASSERT_TRUE(raw && !raw->err);
  std::unique_ptr<redisContext, void (*)(redisContext*)> c(raw, redisFree);
  for (const char* payload : {"not json", "[1,2]", R"({"type":"x"})",
                              R"({"type":"x","instance":"other","at_us":1,"data":{"seq":0}})"}) {
    auto* reply = redisCommand(c.get(), "PUBLISH %s %s", channel_.c_str(), payload);
    ASSERT_NE(reply, nullptr);
    freeReplyObject(reply);
  }
  const auto events = receive(ctx, sub, 1, 5s);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(parse_event(events[0]).at("instance"), "other");
  EXPECT_TRUE(receive(ctx, sub, 1, 300ms).empty());
  EXPECT_EQ(bus.counters().redis_lost, 3u);
}

TEST(EventBusRedisDown, LocalDeliveryWorksPublishNeverBlocksStopIsPrompt) {
  const std::string url = "redis://127.0.0.1:" + std::to_string(closed_port());
  EventBus bus({.redis_url = url, .subscriber_capacity = 8192, .publish_queue = 100});
  ASSERT_TRUE(bus.start());
  asio::io_context ctx;
  auto sub = bus.subscribe(ctx.get_executor());

  constexpr int kCount = 5000;
  const auto started = Clock::now();
  publish_sequence(bus, "x", kCount);
  EXPECT_LT(Clock::now() - started, 5s) << "publish() waited on Redis";

  const auto events = receive(ctx, sub, kCount, 10s);
  EXPECT_EQ(by_instance(events)[bus.instance_id()], iota(kCount));
  EXPECT_FALSE(bus.redis_ready());
  // The publish queue holds 100 while Redis is away; the rest are dropped and counted.
  EXPECT_EQ(bus.counters().publish_overflow, static_cast<std::uint64_t>(kCount - 100));
  EXPECT_EQ(bus.dropped(), static_cast<std::uint64_t>(kCount - 100));

  std::this_thread::sleep_for(500ms);  // a few reconnect attempts and backoff waits
  const auto stop_started = Clock::now();
  bus.stop();
  EXPECT_LT(Clock::now() - stop_started, 2s) << "stop() waited out a backoff";
}

// A throwaway redis-server on its own port, stopped by PID.
class ScratchRedis {
 public:
  explicit ScratchRedis(std::uint16_t port) : port_(port) {}
  ~ScratchRedis() { kill(); }

  bool launch() {
    const std::string port = std::to_string(port_);
    std::vector<std::string> args = {"redis-server", "--port",     port,     "--bind",
                                     "127.0.0.1",    "--save",     "",       "--appendonly",
                                     "no",           "--loglevel", "warning"};
    std::vector<char*> argv;
    for (auto& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    if (posix_spawnp(&pid_, "redis-server", nullptr, nullptr, argv.data(), environ) != 0) {
      pid_ = -1;
      return false;
    }
    return wait_until([this] { return answers_ping(); }, 5s);
  }

  void kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

 private:
  bool answers_ping() const {
    redisContext* c = redisConnect("127.0.0.1", port_);
    bool ok = c && !c->err;
    if (ok) {
      auto* reply = static_cast<redisReply*>(redisCommand(c, "PING"));
      ok = reply && reply->type == REDIS_REPLY_STATUS;
      if (reply) freeReplyObject(reply);
    }
    if (c) redisFree(c);
    return ok;
  }

  std::uint16_t port_;
  pid_t pid_ = -1;
};

TEST(EventBusRedisRestart, ReconnectsAfterRedisComesBack) {
  const std::uint16_t port = closed_port();
  ScratchRedis redis(port);
  ASSERT_TRUE(redis.launch()) << "could not start redis-server on port " << port;
  const std::string url = "redis://127.0.0.1:" + std::to_string(port);
  const std::string channel = unique_channel();
  EventBus a({.redis_url = url, .channel = channel, .instance_id = "a"});
  EventBus b({.redis_url = url, .channel = channel, .instance_id = "b"});
  ASSERT_TRUE(a.start());
  ASSERT_TRUE(b.start());
  ASSERT_TRUE(wait_until([&] { return a.redis_ready() && b.redis_ready(); }, 10s));

  redis.kill();
  ASSERT_TRUE(wait_until([&] { return !a.redis_ready() && !b.redis_ready(); }, 10s))
      << "the buses did not notice Redis going away";
  asio::io_context ctx;
  auto sub = b.subscribe(ctx.get_executor());
  a.publish("during_outage", {{"seq", 0}});  // may be lost; must not block
  EXPECT_EQ(receive(ctx, sub, 1, 300ms).size(), 0u);

  ASSERT_TRUE(redis.launch()) << "could not restart redis-server on port " << port;
  ASSERT_TRUE(wait_until([&] { return a.redis_ready() && b.redis_ready(); }, 15s))
      << "the buses did not reconnect";
  // The outage event may come first (it was queued) or never; the new ones must arrive, in
  // both directions (b's publisher was idle through the outage).
  asio::io_context ctx_a;
  auto sub_a = a.subscribe(ctx_a.get_executor());
  a.publish("after_outage", {{"seq", 1}});
  b.publish("after_outage", {{"seq", 1}});
  bool b_saw_a = false;
  for (int i = 0; i < 2 && !b_saw_a; ++i) {
    for (const auto& text : receive(ctx, sub, 1, 5s)) {
      b_saw_a |= parse_event(text).at("type") == "after_outage";
    }
  }
  EXPECT_TRUE(b_saw_a);
  const auto a_saw = receive(ctx_a, sub_a, 2, 5s);  // a's own, then b's
  EXPECT_EQ(by_instance(a_saw)["b"], std::vector<std::int64_t>{1});
}

}  // namespace
}  // namespace warden::observability
