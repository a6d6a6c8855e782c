#include "observability/event_bus.hpp"

#include <chrono>
#include <shared_mutex>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_state.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/serialize.hpp>

#include "core/ids.hpp"
#include "observability/redis_link.hpp"
#include "observability/redis_url.hpp"

namespace warden::observability {

namespace asio = boost::asio;

namespace detail {

// The local subscribers. publish() threads deliver under a shared lock, so they do not
// serialize on each other; (un)subscribing takes it exclusively, which also means a
// Subscription being destroyed waits until no thread is delivering to it.
class SubscriberHub {
 public:
  // False once closed: the caller closes the newcomer.
  bool add(Subscription* subscription) {
    std::unique_lock lock(mutex_);
    if (closed_) return false;
    subscribers_.push_back(subscription);
    count_.store(subscribers_.size(), std::memory_order_relaxed);
    return true;
  }

  void remove(Subscription* subscription) {
    std::unique_lock lock(mutex_);
    std::erase(subscribers_, subscription);
    count_.store(subscribers_.size(), std::memory_order_relaxed);
  }

  bool empty() const { return count_.load(std::memory_order_relaxed) == 0; }

  void deliver(const std::string& text) {
    std::shared_lock lock(mutex_);
    for (Subscription* subscription : subscribers_) {
      if (!subscription->deliver(text)) overflow_.fetch_add(1, std::memory_order_relaxed);
    }
  }

  void close_all() {
    std::unique_lock lock(mutex_);
    closed_ = true;
    for (Subscription* subscription : subscribers_) subscription->close_channel();
    subscribers_.clear();
    count_.store(0, std::memory_order_relaxed);
  }

  std::uint64_t overflow() const { return overflow_.load(std::memory_order_relaxed); }

 private:
  std::shared_mutex mutex_;
  std::vector<Subscription*> subscribers_;
  std::atomic<std::size_t> count_{0};  // subscribers_.size(), readable without the lock
  bool closed_ = false;
  std::atomic<std::uint64_t> overflow_{0};
};

}  // namespace detail

namespace {

std::int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

// try_send is safe from any thread: a waiting receiver's completion is posted to its own
// executor, never run inline under the hub's lock.
struct Subscription::Channel {
  Channel(asio::any_io_executor executor, std::size_t capacity)
      : channel(std::move(executor), capacity) {}

  asio::experimental::concurrent_channel<void(boost::system::error_code, std::string)> channel;
};

Subscription::Subscription(asio::any_io_executor executor, std::size_t capacity,
                           std::weak_ptr<detail::SubscriberHub> hub)
    : channel_(std::make_unique<Channel>(std::move(executor), capacity)), hub_(std::move(hub)) {}

Subscription::~Subscription() { close(); }

asio::awaitable<std::optional<std::string>> Subscription::next() {
  // Checked first so events still buffered when the bus stopped are not handed out.
  if (closed_.load(std::memory_order_acquire)) co_return std::nullopt;

  // Boost 1.81's channel refuses every try_send after a receive on it is cancelled, until
  // the next receive starts (asio issue #1241, fixed in 1.82), and publishers only
  // try_send. So the receive never sees our cancellation: a cancelled call instead sends
  // itself a wake-up tagged with its number, and a later call skips wake-ups that came too
  // late for theirs.
  asio::cancellation_state state = co_await asio::this_coro::cancellation_state;
  const std::string call = std::to_string(++next_calls_);
  auto wake = [this, call](asio::cancellation_type_t) {
    channel_->channel.try_send(asio::error::operation_aborted, call);
  };
  asio::cancellation_slot slot = state.slot();
  if (slot.is_connected()) slot.assign(wake);

  std::optional<std::string> result;
  while (state.cancelled() == asio::cancellation_type::none) {
    auto uncancellable = asio::bind_cancellation_slot(asio::cancellation_slot(),
                                                      asio::as_tuple(asio::use_awaitable));
    auto [ec, text] = co_await channel_->channel.async_receive(std::move(uncancellable));
    if (ec == asio::error::operation_aborted && text != call) continue;  // a stale wake-up
    if (!ec) result = std::move(text);
    break;
  }
  if (slot.is_connected()) slot.clear();
  co_return result;
}

void Subscription::close() {
  if (auto hub = hub_.lock()) hub->remove(this);
  close_channel();
}

bool Subscription::deliver(const std::string& text) {
  if (channel_->channel.try_send(boost::system::error_code{}, text)) return true;
  if (closed_.load(std::memory_order_acquire)) return true;  // closed, not full: no loss
  dropped_.fetch_add(1, std::memory_order_relaxed);
  return false;
}

void Subscription::close_channel() {
  closed_.store(true, std::memory_order_release);
  // cancel() wakes a pending receive; close() makes later ones fail at once.
  channel_->channel.cancel();
  channel_->channel.close();
}

EventBus::EventBus(Options options)
    : options_(std::move(options)), hub_(std::make_shared<detail::SubscriberHub>()) {
  if (options_.instance_id.empty()) options_.instance_id = core::random_id("wi_");
}

EventBus::~EventBus() { stop(); }

core::Result<void> EventBus::start() {
  if (options_.redis_url.empty()) return {};
  if (redis_) return core::fail(core::ErrorKind::kInternal, "event bus started twice");
  core::Result<RedisUrl> url = parse_redis_url(options_.redis_url);
  if (!url) return tl::unexpected(url.error());
  if (options_.channel.empty()) {
    return core::fail(core::ErrorKind::kInvalidRequest, "the event bus Redis channel is empty");
  }
  RedisLink::Options link{std::move(*url), options_.channel, options_.instance_id,
                          options_.publish_queue};
  redis_ = std::make_unique<RedisLink>(
      std::move(link), [hub = hub_](const std::string& text) { hub->deliver(text); });
  redis_->start();
  return {};
}

void EventBus::stop() {
  if (redis_) redis_->stop();
  hub_->close_all();
}

void EventBus::publish(std::string_view type, boost::json::object data) {
  if (!watched()) return;  // nobody to tell: not even worth serializing
  boost::json::object event;
  event.reserve(4);
  event.emplace("type", type);
  event.emplace("instance", options_.instance_id);
  event.emplace("at_us", now_us());
  event.emplace("data", std::move(data));
  std::string text = boost::json::serialize(event);
  hub_->deliver(text);
  if (redis_) redis_->enqueue(std::move(text));
}

std::shared_ptr<Subscription> EventBus::subscribe(asio::any_io_executor executor) {
  std::shared_ptr<Subscription> subscription(
      new Subscription(std::move(executor), options_.subscriber_capacity, hub_));
  if (!hub_->add(subscription.get())) subscription->close_channel();
  return subscription;
}

std::uint64_t EventBus::dropped() const {
  const Counters c = counters();
  return c.subscriber_overflow + c.publish_overflow + c.redis_lost;
}

EventBus::Counters EventBus::counters() const {
  Counters c;
  c.subscriber_overflow = hub_->overflow();
  if (redis_) {
    c.publish_overflow = redis_->queue_overflow();
    c.redis_lost = redis_->lost();
  }
  return c;
}

bool EventBus::redis_ready() const { return redis_ && redis_->ready(); }

bool EventBus::watched() const { return redis_ != nullptr || !hub_->empty(); }

}  // namespace warden::observability
