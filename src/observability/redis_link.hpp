#pragma once
// Carries the event bus over Redis pub/sub with two threads and blocking hiredis
// connections: one PUBLISHes queued events, one SUBSCRIBEs and hands other instances'
// events to `deliver`. Both reconnect with backoff (100 ms doubling to 5 s) and keep
// running while Redis is away; the bus serves local subscribers regardless.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "observability/redis_url.hpp"

struct redisContext;

namespace warden::observability {

class RedisLink final {
 public:
  struct Options {
    RedisUrl url;
    std::string channel;
    std::string instance_id;  // events carrying it are ours: already delivered locally
    std::size_t queue_capacity = 4096;
  };
  // Called on the subscriber thread with each other instance's event, as received.
  using Deliver = std::function<void(const std::string& text)>;

  RedisLink(Options options, Deliver deliver);
  ~RedisLink();  // stop()
  RedisLink(const RedisLink&) = delete;
  RedisLink& operator=(const RedisLink&) = delete;

  void start();
  // Prompt: shuts the sockets down under any blocked hiredis call, then joins. Events
  // still queued are discarded. Idempotent.
  void stop();

  // Any thread; takes a mutex only to push. A full queue drops the event and counts it.
  void enqueue(std::string text);

  bool ready() const { return publisher_ready_ && subscribed_; }
  std::uint64_t queue_overflow() const { return queue_overflow_; }
  std::uint64_t lost() const { return lost_; }

 private:
  struct ContextFree {
    void operator()(redisContext* c) const;
  };
  using Context = std::unique_ptr<redisContext, ContextFree>;
  class FailureLog;

  void publisher_loop();
  void subscriber_loop();
  void publish_until_error(redisContext* c, FailureLog& log, std::vector<std::string>& batch);
  void receive_until_error(redisContext* c, FailureLog& log);
  void on_message(std::string_view text, FailureLog& malformed);

  // A connected, authenticated connection whose socket stop() can shut down; null when
  // it failed (and was logged) or when stopping.
  Context open(FailureLog& log);
  void close(Context& c);  // unregisters the socket before hiredis closes it
  bool register_socket(int fd);
  void wait_for_stop(std::chrono::milliseconds delay);

  const Options options_;
  const Deliver deliver_;

  std::mutex queue_mutex_;
  std::condition_variable queue_cv_;  // items or stop, for the publisher
  std::deque<std::string> queue_;

  std::mutex stop_mutex_;  // guards sockets_ and the write of stopping_
  std::condition_variable stop_cv_;
  std::vector<int> sockets_;
  std::atomic<bool> stopping_{false};

  std::atomic<bool> publisher_ready_{false};
  std::atomic<bool> subscribed_{false};
  std::atomic<std::uint64_t> queue_overflow_{0};
  std::atomic<std::uint64_t> lost_{0};

  std::thread publisher_;
  std::thread subscriber_;
};

}  // namespace warden::observability
