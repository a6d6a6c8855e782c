#include "server/admin_handler.hpp"

#include <chrono>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/empty_body.hpp>

#include "observability/metrics.hpp"
#include "server/auth.hpp"

namespace warden::server {

namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;

namespace {

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
// A live stream checks for shutdown every tick and sends a comment every
// kKeepaliveTicks, so proxies and browsers keep an idle stream open.
constexpr auto kTick = std::chrono::seconds(1);
constexpr int kKeepaliveTicks = 15;

std::string_view presented_admin_key(const http::request<http::string_body>& request) {
  if (auto it = request.find("x-warden-admin-key"); it != request.end()) return it->value();
  if (auto it = request.find(http::field::authorization); it != request.end()) {
    std::string_view v = it->value();
    if (v.size() > 7 && boost::beast::iequals(v.substr(0, 7), "bearer ")) return v.substr(7);
  }
  return {};
}

// nullopt when allowed; else the refusal.
std::optional<admin::Reply> refuse(const http::request<http::string_body>& request,
                                   const config::AuthConfig& auth, bool loopback) {
  if (auth.admin_localhost_exempt && loopback) return std::nullopt;
  if (auth.admin_key.empty()) {
    return admin::error_reply(403, "permission_error",
                              "The admin API is only open to localhost: set auth.admin_key "
                              "(WARDEN_AUTH_ADMIN_KEY) to use it from elsewhere");
  }
  const std::string_view key = presented_admin_key(request);
  if (key.empty()) {
    return admin::error_reply(401, "authentication_error",
                              "Admin key required: send Authorization: Bearer <admin key> or "
                              "x-warden-admin-key");
  }
  if (!keys_equal(key, auth.admin_key)) {
    return admin::error_reply(401, "authentication_error", "Invalid admin key");
  }
  return std::nullopt;
}

asio::awaitable<bool> reply(ClientWriter& client, const http::request<http::string_body>& request,
                            bool keep_alive, unsigned status, std::string body,
                            std::string_view content_type) {
  http::response<http::string_body> response;
  response.version(request.version());
  response.result(status);
  response.set(http::field::content_type, content_type);
  response.set(http::field::cache_control, "no-store");
  response.keep_alive(keep_alive);
  response.body() = std::move(body);
  const bool written = co_await client.write_response(response);
  co_return written && keep_alive;
}

// The next live event, or a tick; neither when the bus closed the subscription.
struct Next {
  bool tick = false;
  std::optional<std::string> event;
};

asio::awaitable<Next> next_or_tick(observability::Subscription& sub, asio::steady_timer& timer) {
  timer.expires_after(kTick);
  auto next = sub.next();
  auto tick = timer.async_wait(kNoThrow);
  auto first = co_await (std::move(next) || std::move(tick));
  if (first.index() == 1) co_return Next{true, std::nullopt};
  co_return Next{false, std::move(std::get<0>(first))};
}

// GET /admin/events: one SSE `data:` line per live event, until the client
// leaves, the bus stops, or the gateway drains.
asio::awaitable<bool> stream_events(ClientWriter& client,
                                    const http::request<http::string_body>& request,
                                    const Services& services) {
  auto executor = co_await asio::this_coro::executor;
  auto subscription = services.bus->subscribe(executor);
  http::response<http::empty_body> head{http::status::ok, request.version()};
  head.set(http::field::content_type, "text/event-stream");
  head.set(http::field::cache_control, "no-cache");
  head.set("x-accel-buffering", "no");
  head.keep_alive(false);
  const bool head_sent = co_await client.start_stream(head);
  if (!head_sent) co_return false;
  const std::string hello = ": connected to " + services.bus->instance_id() + "\n\n";
  bool open = co_await client.write(hello, false);
  asio::steady_timer timer(executor);
  int idle_ticks = 0;
  while (open && !services.draining.load()) {
    const Next next = co_await next_or_tick(*subscription, timer);
    if (!next.tick && !next.event) break;  // the bus stopped
    if (next.event) {
      idle_ticks = 0;
      const std::string frame = "data: " + *next.event + "\n\n";
      open = co_await client.write(frame, false);
    } else if (++idle_ticks >= kKeepaliveTicks) {
      idle_ticks = 0;
      open = co_await client.write(": keepalive\n\n", false);
    }
  }
  subscription->close();
  if (open) co_await client.finish_stream();
  co_return false;
}

}  // namespace

asio::awaitable<bool> handle_admin(ClientWriter& client,
                                   const http::request<http::string_body>& request,
                                   const Services& services, bool peer_is_loopback) {
  const bool keep_alive = request.keep_alive() && !services.draining.load();
  constexpr std::string_view kJson = "application/json";
  if (auto refused = refuse(request, services.config.auth, peer_is_loopback)) {
    co_return co_await reply(client, request, keep_alive, refused->status, std::move(refused->body),
                             kJson);
  }
  if (request.method() != http::verb::get) {
    auto error = admin::error_reply(405, "invalid_request_error", "Method not allowed: use GET");
    co_return co_await reply(client, request, keep_alive, error.status, std::move(error.body), kJson);
  }
  const std::string_view target = request.target();
  const std::string_view path = target.substr(0, target.find('?'));
  if (path == "/metrics") {
    co_return co_await reply(client, request, keep_alive, 200, observability::metrics().render(),
                             "text/plain; version=0.0.4; charset=utf-8");
  }
  if (path == "/admin/events") co_return co_await stream_events(client, request, services);
  auto answer = co_await services.admin->handle(target);
  co_return co_await reply(client, request, keep_alive, answer.status, std::move(answer.body), kJson);
}

}  // namespace warden::server
