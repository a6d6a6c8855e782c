#include "server/messages_handler.hpp"

#include <chrono>
#include <exception>
#include <optional>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "api/anthropic/errors.hpp"
#include "core/ids.hpp"
#include "observability/log.hpp"
#include "server/auth.hpp"
#include "upstream/forward_headers.hpp"

namespace warden::server {

namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;
using core::ErrorKind;
using observability::LogLevel;

namespace {

struct Timer {
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
  std::int64_t micros() const {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::steady_clock::now() - start)
        .count();
  }
};

http::request<http::string_body> build_upstream_request(
    const http::request<http::string_body>& client_request, const core::Request& request,
    const upstream::Provider& provider, const HeaderList& credentials,
    std::string_view gateway_key_header) {
  http::request<http::string_body> out;
  out.method(http::verb::post);
  out.version(11);
  out.target(provider.url.base_path + std::string(client_request.target()));
  upstream::copy_request_headers(client_request.base(), out.base(), gateway_key_header);
  out.set(http::field::host, provider.url.host_header());
  if (out.find(http::field::content_type) == out.end()) {
    out.set(http::field::content_type, "application/json");
  }
  for (const auto& [name, value] : credentials) out.set(name, value);
  out.body() = request.body_modified ? boost::json::serialize(request.body) : request.original_body;
  return out;
}

// Completes when the client disconnects (true; the upstream call is then
// closed so the racing operation ends at once) or when cancelled (false).
asio::awaitable<bool> cancel_when_client_leaves(ClientWriter& client, upstream::UpstreamCall& call) {
  const bool gone = co_await client.wait_disconnect();
  if (gone) call.cancel();
  co_return gone;
}

core::Error policy_failure(const policy::Policy& policy, const std::exception& e) {
  observability::log(LogLevel::kError, "policy failed",
                     {{"policy", policy.name()}, {"error", e.what()}});
  return {ErrorKind::kInternal,
          "Warden policy '" + std::string(policy.name()) + "' failed: " + e.what()};
}

void log_request(const core::Request& request, const http::request<http::string_body>& client,
                 unsigned status, const Timer& timer, std::string_view upstream_request_id,
                 std::string_view note) {
  if (!observability::log_enabled(LogLevel::kInfo)) return;
  boost::json::object fields{{"method", client.method_string()},
                             {"path", client.target()},
                             {"model", request.model},
                             {"stream", request.stream},
                             {"status", status},
                             {"duration_us", timer.micros()},
                             {"request_id", upstream_request_id}};
  if (!note.empty()) fields["note"] = note;
  observability::log(LogLevel::kInfo, "request", fields);
}

}  // namespace

asio::awaitable<bool> reply_error(ClientWriter& client, unsigned version, bool keep_alive,
                                  const core::Error& error) {
  const std::string request_id = core::random_id("req_");
  auto reply = api::anthropic::error_reply(error, request_id);
  http::response<http::string_body> response;
  response.version(version);
  response.result(reply.status);
  response.set(http::field::content_type, "application/json");
  response.set("request-id", request_id);
  response.keep_alive(keep_alive);
  response.body() = std::move(reply.body);
  const bool written = co_await client.write_response(response);
  co_return written && keep_alive;
}

namespace {

// What one Messages request carries from stage to stage.
struct Exchange {
  ClientWriter& client;
  const http::request<http::string_body>& client_request;
  const Services& services;
  core::Request& request;
  policy::PolicyContext& context;
  upstream::UpstreamCall& call;
  const Timer& timer;
  unsigned version;
  bool keep_alive;

  void log(unsigned status, std::string_view note) const {
    log_request(request, client_request, status, timer, call.head()["request-id"], note);
  }
};

// Errors (forwarded with their status, body and retry-after) and non-streaming messages.
asio::awaitable<bool> forward_whole_answer(Exchange& x, api::anthropic::Endpoint endpoint) {
  auto read = co_await (x.call.read_all(x.services.config.limits.max_upstream_body_bytes) ||
                        cancel_when_client_leaves(x.client, x.call));
  if (read.index() == 1) {
    x.log(499, "client disconnected");
    co_return false;
  }
  auto& body = std::get<0>(read);
  if (!body) {
    x.log(502, body.error().message);
    co_return co_await reply_error(x.client, x.version, x.keep_alive, body.error());
  }
  if (x.call.status() == 200 && endpoint == api::anthropic::Endpoint::kMessages) {
    boost::system::error_code ec;
    boost::json::value parsed = boost::json::parse(*body, ec);
    if (!ec && parsed.is_object()) {
      bool modified = false;
      std::optional<core::Error> policy_error;
      try {
        co_await x.services.policy->on_response(parsed.get_object(), modified, x.context);
      } catch (const std::exception& e) {
        policy_error = policy_failure(*x.services.policy, e);
      }
      if (policy_error) {
        co_return co_await reply_error(x.client, x.version, x.keep_alive, *policy_error);
      }
      if (modified) *body = boost::json::serialize(parsed);
    }
  }
  http::response<http::string_body> response;
  response.version(x.version);
  // By number: Beast's enum has no 529, and the upstream's reason phrase is kept.
  response.result(x.call.status());
  response.reason(x.call.head().reason());
  upstream::copy_response_headers(x.call.head(), response.base());
  response.keep_alive(x.keep_alive);
  response.body() = std::move(*body);
  x.log(x.call.status(), "");
  const bool written = co_await x.client.write_response(response);
  co_return written && x.keep_alive;
}

// A 200 event stream, through the pipeline stages.
asio::awaitable<bool> forward_stream(Exchange& x) {
  http::response<http::empty_body> head{http::status::ok, x.version};
  upstream::copy_response_headers(x.call.head(), head.base());
  head.set(http::field::cache_control, "no-cache");
  head.set("x-accel-buffering", "no");
  head.keep_alive(x.keep_alive);
  const bool head_sent = co_await x.client.start_stream(head);
  if (!head_sent) co_return false;

  const auto outcome = co_await pipeline::run_stream(x.call, *x.services.policy, x.context,
                                                     x.client,
                                                     x.services.config.stream_channel_capacity);
  x.log(200, outcome.client_gone ? "client disconnected" : outcome.error);
  if (outcome.client_gone) co_return false;
  const bool finished = co_await x.client.finish_stream();
  co_return finished && x.keep_alive;
}

}  // namespace

asio::awaitable<bool> handle_messages(ClientWriter& client,
                                      http::request<http::string_body>& client_request,
                                      const Services& services,
                                      api::anthropic::Endpoint endpoint) {
  const Timer timer;
  const unsigned version = client_request.version();
  const bool keep_alive = client_request.keep_alive() && !services.draining.load();
  const upstream::Provider& provider = *services.anthropic;

  auto credentials =
      upstream_credentials(client_request.base(), services.config.auth, provider.config);
  if (!credentials) co_return co_await reply_error(client, version, keep_alive, credentials.error());

  auto decoded = api::anthropic::decode_request(std::move(client_request.body()), endpoint);
  if (!decoded) co_return co_await reply_error(client, version, keep_alive, decoded.error());
  core::Request& request = *decoded;

  policy::PolicyContext context{core::random_id("txn_"), &request, {}};
  // Policies fail closed; co_await is not allowed in a catch block, hence the optional.
  std::optional<core::Error> policy_error;
  try {
    co_await services.policy->on_request(request, context);
  } catch (const std::exception& e) {
    policy_error = policy_failure(*services.policy, e);
  }
  if (policy_error) co_return co_await reply_error(client, version, keep_alive, *policy_error);

  upstream::UpstreamCall call(services.anthropic);
  auto upstream_request = build_upstream_request(client_request, request, provider, *credentials,
                                                 services.config.auth.proxy_key_header);
  // A non-streaming answer can take minutes: a client that leaves meanwhile
  // cancels the upstream request, as it does during a stream.
  auto started = co_await (call.start(std::move(upstream_request)) ||
                           cancel_when_client_leaves(client, call));
  if (started.index() == 1) {
    log_request(request, client_request, 499, timer, "", "client disconnected");
    co_return false;
  }
  auto& connected = std::get<0>(started);
  if (!connected) {
    log_request(request, client_request, 502, timer, "", connected.error().message);
    co_return co_await reply_error(client, version, keep_alive, connected.error());
  }

  Exchange exchange{client, client_request, services, request, context, call, timer, version,
                    keep_alive};
  const bool event_stream = boost::beast::iequals(
      call.head()[http::field::content_type].substr(0, 17), "text/event-stream");
  if (call.status() == 200 && event_stream) co_return co_await forward_stream(exchange);
  co_return co_await forward_whole_answer(exchange, endpoint);
}

}  // namespace warden::server
