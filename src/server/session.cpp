#include "server/session.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>

#include "server/admin_handler.hpp"
#include "server/completion_handler.hpp"
#include "server/models_handler.hpp"
#include "server/ui_handler.hpp"

namespace warden::server {

namespace asio = boost::asio;
namespace beast = boost::beast;
using core::ErrorKind;

namespace {

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

std::chrono::milliseconds millis(double seconds) {
  return std::chrono::milliseconds(static_cast<std::int64_t>(seconds * 1000));
}

// Counts a request as in flight, for the shutdown drain.
struct InFlight {
  explicit InFlight(std::atomic<int>& counter) : counter_(counter) { ++counter_; }
  ~InFlight() { --counter_; }
  std::atomic<int>& counter_;
};

asio::awaitable<bool> reply_health(ClientWriter& client, unsigned version, bool keep_alive,
                                   bool draining) {
  http::response<http::string_body> response{
      draining ? http::status::service_unavailable : http::status::ok, version};
  response.set(http::field::content_type, "application/json");
  response.keep_alive(keep_alive);
  response.body() = draining ? R"({"status":"draining"})" : R"({"status":"ok"})";
  const bool written = co_await client.write_response(response);
  co_return written && keep_alive;
}

// 127.0.0.0/8, ::1, or IPv4 loopback mapped into IPv6.
bool is_loopback(const asio::ip::tcp::socket& socket) {
  boost::system::error_code ec;
  const auto address = socket.remote_endpoint(ec).address();
  if (ec) return false;
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6()).is_loopback();
  }
  return address.is_loopback();
}

// The dialect Warden answers errors in before it knows more: by path.
core::Dialect dialect_of(std::string_view path) {
  return path.starts_with("/v1/chat/") ? core::Dialect::kOpenAi : core::Dialect::kAnthropic;
}

// Routes on the path; the query string travels on with the request (?beta=true).
asio::awaitable<bool> route(ClientWriter& client, http::request<http::string_body>& request,
                            const Services& services, bool peer_is_loopback) {
  const std::string_view target = request.target();
  const std::string_view path = target.substr(0, target.find('?'));
  const bool keep_alive = request.keep_alive() && !services.draining.load();
  const unsigned version = request.version();
  const auto method = request.method();
  const core::Dialect dialect = dialect_of(path);

  struct PostRoute {
    std::string_view path;
    Endpoint endpoint;
  };
  static constexpr PostRoute kPostRoutes[] = {
      {"/v1/messages", Endpoint::kMessages},
      {"/v1/messages/count_tokens", Endpoint::kCountTokens},
      {"/v1/chat/completions", Endpoint::kChatCompletions},
  };
  for (const auto& r : kPostRoutes) {
    if (path != r.path) continue;
    if (method != http::verb::post) {
      const core::Error error{ErrorKind::kInvalidRequest,
                              "Method not allowed: use POST " + std::string(path), ""};
      co_return co_await reply_error(client, dialect, version, keep_alive, error);
    }
    co_return co_await handle_completion(client, request, services, r.endpoint);
  }
  if (path == "/ui" || path.starts_with("/ui/")) {
    co_return co_await handle_ui(client, request, keep_alive);
  }
  if (path == "/metrics" || path == "/admin" || path.starts_with("/admin/")) {
    co_return co_await handle_admin(client, request, services, peer_is_loopback);
  }
  const bool get = method == http::verb::get || method == http::verb::head;
  if (path == "/health" && get) {
    co_return co_await reply_health(client, version, keep_alive, services.draining.load());
  }
  if ((path == "/v1/models" || path.starts_with("/v1/models/")) && get) {
    co_return co_await handle_models(client, request, services);
  }
  const core::Error error{ErrorKind::kNotFound, "Not found: " +
                                                    std::string(request.method_string()) + " " +
                                                    std::string(path), ""};
  co_return co_await reply_error(client, dialect, version, keep_alive, error);
}

}  // namespace

asio::awaitable<void> run_session(asio::ip::tcp::socket socket,
                                  std::shared_ptr<Services> services) {
  const auto& limits = services->config.limits;
  const bool loopback = is_loopback(socket);
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  // A client that reads nothing for this long is cut off (and its upstream cancelled).
  ClientWriter client(stream, std::chrono::milliseconds(static_cast<std::int64_t>(
                                  services->config.stream.client_stall_timeout_seconds * 1000)));

  while (!services->draining.load()) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(limits.max_header_bytes));
    parser.body_limit(limits.max_body_bytes);

    // The whole head must arrive in time: a client trickling headers is cut off.
    stream.expires_after(millis(limits.header_timeout_seconds));
    auto [head_ec, head_n] = co_await http::async_read_header(stream, buffer, parser, kNoThrow);
    if (head_ec == http::error::body_limit) {
      // Beast checks Content-Length against the body limit while reading the head.
      core::Error error{ErrorKind::kRequestTooLarge,
                        "Request body is larger than the limit of " +
                            std::to_string(limits.max_body_bytes) + " bytes"};
      co_await reply_error(client, dialect_of(parser.get().target()), 11, false, error);
      break;
    }
    if (head_ec == http::error::header_limit) {
      core::Error error{ErrorKind::kInvalidRequest, "Request headers exceed " +
                                                        std::to_string(limits.max_header_bytes) +
                                                        " bytes"};
      co_await reply_error(client, core::Dialect::kAnthropic, 11, false, error);
      break;
    }
    if (head_ec) {
      if (head_ec != http::error::end_of_stream && head_ec != beast::error::timeout &&
          head_ec != asio::error::connection_reset && head_ec != asio::error::eof) {
        core::Error error{ErrorKind::kInvalidRequest, "Malformed HTTP request: " + head_ec.message()};
        co_await reply_error(client, core::Dialect::kAnthropic, 11, false, error);
      }
      break;
    }
    InFlight in_flight(services->active_requests);
    const unsigned version = parser.get().version();
    if (beast::iequals(parser.get()[http::field::expect], "100-continue")) {
      static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      auto [ec, n] = co_await asio::async_write(stream, asio::buffer(kContinue), kNoThrow);
      if (ec) break;
    }

    stream.expires_after(millis(limits.body_timeout_seconds));
    auto [body_ec, body_n] = co_await http::async_read(stream, buffer, parser, kNoThrow);
    if (body_ec == http::error::body_limit) {
      core::Error error{ErrorKind::kRequestTooLarge,
                        "Request body exceeds the limit of " +
                            std::to_string(limits.max_body_bytes) + " bytes"};
      co_await reply_error(client, dialect_of(parser.get().target()), version, false, error);
      break;
    }
    if (body_ec) break;
    stream.expires_never();

    http::request<http::string_body> request = parser.release();
    const bool keep_going = co_await route(client, request, *services, loopback);
    if (!keep_going) break;
  }
  boost::system::error_code ignored;
  stream.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
  stream.close();
}

}  // namespace warden::server
