#pragma once
// The live event bus: the gateway publishes transaction events from any thread; admin SSE
// connections subscribe. With a Redis URL, instances share one stream through pub/sub, so
// every instance's subscribers see every instance's events.
//
// Example:
//   EventBus bus({.redis_url = cfg.redis_url, .instance_id = "gw-1"});
//   if (auto started = bus.start(); !started) throw std::runtime_error(started.error().message);
//   bus.publish("transaction_started", {{"id", id}});
//   // in an admin SSE coroutine:
//   auto sub = bus.subscribe(co_await asio::this_coro::executor);
//   for (;;) {
//     std::optional<std::string> text = co_await sub->next();  // not in a condition (g++ 12)
//     if (!text) break;
//     co_await write_sse(*text);
//   }

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include "core/result.hpp"

namespace warden::observability {

namespace detail {
class SubscriberHub;
}
class EventBus;
class RedisLink;

// One subscriber's queue of serialized events. Thread-safe, but next() has one caller at a
// time. Destroying or closing it unsubscribes.
class Subscription final {
 public:
  ~Subscription();
  Subscription(const Subscription&) = delete;
  Subscription& operator=(const Subscription&) = delete;

  // The next event as JSON text, {"type","instance","at_us","data"}; nullopt once the
  // subscription is closed or the bus stopped, or when the awaiting coroutine is cancelled
  // (so `co_await (sub->next() || keepalive_timer)` is fine; an event that arrives just as
  // the timer wins may be lost). Completes on the executor given to subscribe().
  boost::asio::awaitable<std::optional<std::string>> next();

  // Unsubscribes; a pending next() completes with nullopt. Idempotent, any thread.
  void close();

  // Events this subscriber lost because its queue was full.
  std::uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }

 private:
  friend class EventBus;
  friend class detail::SubscriberHub;
  struct Channel;

  Subscription(boost::asio::any_io_executor executor, std::size_t capacity,
               std::weak_ptr<detail::SubscriberHub> hub);

  bool deliver(const std::string& text);  // never blocks; false (and counted) when full
  void close_channel();

  std::unique_ptr<Channel> channel_;
  std::weak_ptr<detail::SubscriberHub> hub_;
  std::atomic<bool> closed_{false};
  std::atomic<std::uint64_t> dropped_{0};
  std::uint64_t next_calls_ = 0;  // tags a cancelled next()'s wake-up; see next()
};

class EventBus final {
 public:
  struct Options {
    std::string redis_url{};  // "" = in-process only; else redis://[:password@]host:port[/db]
    std::string channel = "warden:events";
    std::string instance_id{};               // "" = a random one; must differ between instances
    std::size_t subscriber_capacity = 1024;  // queued events per subscriber
    std::size_t publish_queue = 4096;        // events waiting for the Redis publisher
  };

  struct Counters {
    std::uint64_t subscriber_overflow = 0;  // events a full subscriber queue lost
    std::uint64_t publish_overflow = 0;     // events the full Redis publish queue lost
    std::uint64_t redis_lost = 0;           // events lost to Redis errors or malformed
  };

  explicit EventBus(Options options);
  ~EventBus();  // stop()
  EventBus(const EventBus&) = delete;
  EventBus& operator=(const EventBus&) = delete;

  // Local delivery works from construction. start() checks redis_url and, when set, starts
  // the Redis publisher and subscriber threads; it does not wait for Redis, which is
  // connected (and reconnected, with backoff) in the background. Call once, before other
  // threads use the bus.
  [[nodiscard]] core::Result<void> start();

  // Joins the Redis threads and closes every subscription (pending next() calls complete
  // with nullopt); later publishes go nowhere and later subscriptions are born closed.
  // Idempotent; from the owning thread, like start().
  void stop();

  // Any thread; never blocks on I/O. Adds type, instance and at_us (wall clock, µs) around
  // `data`, hands it to every local subscriber and queues it for Redis.
  void publish(std::string_view type, boost::json::object data);

  // Any thread. `executor` is where the subscriber's next() completes; keep the pointer
  // alive while a next() is pending.
  std::shared_ptr<Subscription> subscribe(boost::asio::any_io_executor executor);

  // Total events lost: subscriber overflow + publish overflow + Redis failures.
  std::uint64_t dropped() const;
  Counters counters() const;

  // Whether a published event reaches anyone: a local subscriber, or Redis
  // (whose other instances may have subscribers). Publishers with costly
  // events check it first.
  bool watched() const;

  // True while the Redis publisher is connected and the subscriber has confirmed SUBSCRIBE.
  bool redis_ready() const;

  const std::string& instance_id() const { return options_.instance_id; }

 private:
  Options options_;
  std::shared_ptr<detail::SubscriberHub> hub_;
  std::unique_ptr<RedisLink> redis_;
};

}  // namespace warden::observability
