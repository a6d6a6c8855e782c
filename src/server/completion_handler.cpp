#include "server/completion_handler.hpp"

#include <chrono>
#include <exception>
#include <optional>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "api/anthropic/errors.hpp"
#include "api/anthropic/request_decoder.hpp"
#include "api/openai/errors.hpp"
#include "api/openai/request_decoder.hpp"
#include "api/translate/error_translation.hpp"
#include "api/translate/request_translation.hpp"
#include "api/translate/response_translation.hpp"
#include "core/ids.hpp"
#include "observability/log.hpp"
#include "observability/metrics.hpp"
#include "server/auth.hpp"
#include "upstream/forward_headers.hpp"

namespace warden::server {

namespace asio = boost::asio;
namespace json = boost::json;
using namespace asio::experimental::awaitable_operators;
using core::Dialect;
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

// Completes when the client disconnects (true; the upstream call is then
// closed so the racing operation ends at once) or when cancelled (false).
asio::awaitable<bool> cancel_when_client_leaves(ClientWriter& client, upstream::UpstreamCall& call) {
  const bool gone = co_await client.wait_disconnect();
  if (gone) call.cancel();
  co_return gone;
}

// An OpenAI-routed count_tokens: no upstream counts Anthropic tokens, so
// estimate ~4 bytes of JSON per token over what the model would read.
std::string estimate_input_tokens(const json::object& body) {
  std::size_t bytes = 0;
  for (const auto* key : {"system", "messages", "tools"}) {
    if (const auto* v = body.if_contains(key)) bytes += json::serialize(*v).size();
  }
  const json::object answer{{"input_tokens", std::max<std::size_t>(1, bytes / 4)}};
  return json::serialize(answer);
}

// Which transaction this is, for the client to quote (admin API, traces).
void set_transaction_headers(const observability::Transaction& tx, http::fields& out) {
  out.set("x-warden-transaction-id", tx.record.id);
  out.set("x-warden-trace-id", tx.record.trace_id);
}

// Hands the transaction to the recorder however the handler ends, with what
// the client got and what the policies did.
struct RecordOnExit {
  observability::TransactionRecorder& recorder;
  ClientWriter& client;
  std::unique_ptr<observability::Transaction> tx;
  policy::PolicyContext context;
  std::optional<core::Request> request;  // here, so it outlives everything that uses it

  ~RecordOnExit() {
    client.capture_into(nullptr);
    auto& r = tx->record;
    r.status = static_cast<int>(client.status());
    if (r.outcome.empty()) r.outcome = r.status >= 200 && r.status < 300 ? "completed" : "error";
    if (request) r.original_request = std::move(request->original_body);
    tx->events = std::move(context.events);
    tx->spans = std::move(context.spans);
    recorder.finish(std::move(tx));
  }
};

// What one request carries from stage to stage.
struct Exchange {
  ClientWriter& client;
  const http::request<http::string_body>& client_request;
  const Services& services;
  Endpoint endpoint;
  Dialect dialect;  // the client's
  core::Request& request;
  upstream::Route& route;
  policy::PolicyContext& context;
  upstream::UpstreamCall& call;
  const Timer& timer;
  unsigned version;
  bool keep_alive;
  observability::Transaction& tx;

  bool translated() const { return route.provider->dialect != dialect; }

  void log(unsigned status, std::string_view note) const {
    if (!observability::log_enabled(LogLevel::kInfo)) return;
    json::object fields{{"method", client_request.method_string()},
                        {"path", client_request.target()},
                        {"model", request.model},
                        {"provider", route.provider->config.name},
                        {"stream", request.stream},
                        {"status", status},
                        {"duration_us", timer.micros()}};
    if (call.has_head()) {
      const auto& head = call.head();
      if (auto id = head["request-id"]; !id.empty()) fields["upstream_request_id"] = id;
      if (auto id = head["x-request-id"]; !id.empty()) fields["upstream_request_id"] = id;
    }
    if (!note.empty()) fields["note"] = note;
    observability::log(LogLevel::kInfo, "request", fields);
  }

  asio::awaitable<bool> fail(const core::Error& error) const {
    log(error.kind == ErrorKind::kInvalidRequest ? 400 : 502, error.message);
    tx.record.error = error.message;
    co_return co_await reply_error(client, dialect, version, keep_alive, error, &tx);
  }
};

// The request body the provider gets: the client's bytes when nothing changed,
// else re-serialized, translated when the provider speaks the other dialect.
core::Result<std::string> upstream_body(const Exchange& x) {
  core::Request& request = x.request;
  const upstream::Provider& provider = *x.route.provider;
  if (!x.translated()) {
    if (x.route.upstream_model != request.model) {
      request.body["model"] = x.route.upstream_model;
      request.body_modified = true;
    }
    if (!request.body_modified) return request.original_body;
    x.tx.record.final_request = json::serialize(request.body);
    return x.tx.record.final_request;
  }
  auto translated =
      x.dialect == Dialect::kAnthropic
          ? api::translate::anthropic_to_openai_request(request.body)
          : api::translate::openai_to_anthropic_request(request.body,
                                                        provider.config.default_max_tokens);
  if (!translated) return tl::unexpected(std::move(translated.error()));
  (*translated)["model"] = x.route.upstream_model;
  x.tx.record.final_request = json::serialize(*translated);
  return x.tx.record.final_request;
}

http::request<http::string_body> build_upstream_request(const Exchange& x, const HeaderList& credentials,
                                                        std::string body) {
  const upstream::Provider& provider = *x.route.provider;
  http::request<http::string_body> out;
  out.method(http::verb::post);
  out.version(11);
  std::string target = provider.url.base_path;
  if (provider.dialect == Dialect::kOpenAi) {
    target += "/chat/completions";  // an OpenAI base URL ends in /v1
  } else if (x.dialect == Dialect::kAnthropic) {
    target += std::string(x.client_request.target());  // path and query (?beta=true) travel
  } else {
    target += "/v1/messages";
  }
  out.target(target);
  upstream::copy_request_headers(x.client_request.base(), out.base(),
                                 x.services.config.auth.proxy_key_header, provider.dialect);
  out.set(http::field::host, provider.url.host_header());
  if (x.translated() || out.find(http::field::content_type) == out.end()) {
    out.set(http::field::content_type, "application/json");
  }
  if (provider.dialect == Dialect::kAnthropic && out.find("anthropic-version") == out.end()) {
    out.set("anthropic-version", provider.config.anthropic_version);
  }
  for (const auto& [name, value] : credentials) out.set(name, value);
  out.body() = std::move(body);
  return out;
}

// The client-facing response head: the upstream's headers (translated
// answers drop the other dialect's own ones) and a request id in the header of
// the client's dialect — Warden's own when it translated (PROTOCOLS.md 4.9).
void set_response_headers(const Exchange& x, http::fields& out) {
  set_transaction_headers(x.tx, out);
  const bool anthropic_client = x.dialect == Dialect::kAnthropic;
  const std::string_view own_id = anthropic_client ? "request-id" : "x-request-id";
  if (!x.translated()) {
    upstream::copy_response_headers(x.call.head(), out);
    if (out.find(own_id) == out.end()) out.set(own_id, core::random_id("req_"));
    return;
  }
  http::fields all;
  upstream::copy_response_headers(x.call.head(), all);
  for (const auto& field : all) {
    const std::string_view name = field.name_string();
    const auto starts = [&](std::string_view prefix) {
      return name.size() >= prefix.size() && boost::beast::iequals(name.substr(0, prefix.size()), prefix);
    };
    const bool foreign = anthropic_client
                             ? starts("openai-") || starts("x-ratelimit-") || starts("x-request-id")
                             : starts("anthropic-") || starts("request-id");
    if (!foreign) out.insert(name, field.value());
  }
  out.set(own_id, core::random_id("req_"));
}

// A whole upstream answer (JSON), in the client's dialect. The policy sees the
// message in the common (Anthropic) shape whichever side it came from; an
// answer no policy changed goes out as the upstream's bytes when no
// translation is needed.
asio::awaitable<core::Result<std::string>> client_json_body(const Exchange& x, std::string body) {
  const Dialect upstream = x.route.provider->dialect;
  if (x.endpoint == Endpoint::kCountTokens) co_return body;
  if (!x.translated() && !x.services.orchestrator->active()) co_return body;
  boost::system::error_code ec;
  json::value parsed = json::parse(body, ec);
  if (ec || !parsed.is_object()) {
    if (!x.translated()) co_return body;  // not ours to judge; forward as it came
    co_return core::fail(ErrorKind::kUpstreamFailed, "Upstream answered with invalid JSON");
  }
  json::object message;
  if (upstream == Dialect::kOpenAi) {
    auto converted = api::translate::openai_to_anthropic_response(parsed.get_object(),
                                                                  x.request.model);
    if (!converted) co_return tl::unexpected(std::move(converted.error()));
    message = std::move(*converted);
  } else {
    message = std::move(parsed.get_object());
  }
  auto decided = co_await x.services.orchestrator->response(message, x.context);
  if (!decided) co_return tl::unexpected(std::move(decided.error()));
  if (*decided) {
    message = std::move(**decided);
  } else if (!x.translated()) {
    co_return body;
  }
  if (x.dialect == Dialect::kOpenAi) {
    auto converted = api::translate::anthropic_to_openai_response(message, x.request.model);
    if (!converted) co_return tl::unexpected(std::move(converted.error()));
    co_return json::serialize(*converted);
  }
  co_return json::serialize(message);
}

// Errors (forwarded with their status, body and retry-after; translated when
// the dialects differ) and non-streaming answers.
asio::awaitable<bool> forward_whole_answer(Exchange& x) {
  auto read = co_await (x.call.read_all(x.services.config.limits.max_upstream_body_bytes) ||
                        cancel_when_client_leaves(x.client, x.call));
  if (read.index() == 1) {
    x.log(499, "client disconnected");
    x.tx.record.outcome = "client_gone";
    co_return false;
  }
  auto& body = std::get<0>(read);
  if (!body) co_return co_await x.fail(body.error());

  http::response<http::string_body> response;
  response.version(x.version);
  set_response_headers(x, response.base());
  response.keep_alive(x.keep_alive);
  if (x.call.status() != 200) {
    // By number: Beast's enum has no 529; the upstream's reason phrase is kept.
    response.result(x.call.status());
    response.reason(x.call.head().reason());
    response.body() = std::move(*body);
    if (x.translated()) {
      auto error = x.dialect == Dialect::kAnthropic
                       ? api::translate::openai_error_to_anthropic(x.call.status(), response.body())
                       : api::translate::anthropic_error_to_openai(x.call.status(), response.body());
      response.result(error.status);
      response.reason("");
      response.body() = std::move(error.body);
      response.set(http::field::content_type, "application/json");
      if (error.should_retry_false) response.set("x-should-retry", "false");
    }
  } else {
    auto converted = co_await client_json_body(x, std::move(*body));
    if (!converted) co_return co_await x.fail(converted.error());
    response.result(http::status::ok);
    response.body() = std::move(*converted);
    if (x.translated()) response.set(http::field::content_type, "application/json");
  }
  x.log(response.result_int(), "");
  const bool written = co_await x.client.write_response(response);
  co_return written && x.keep_alive;
}

// While a stream runs and someone watches the live view: its progress, once
// a second. Ends when the stream does (cancelled by the || in forward_stream).
asio::awaitable<void> report_progress(const Exchange& x) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  while (true) {
    timer.expires_after(std::chrono::seconds(1));
    auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    if (ec) co_return;
    x.services.recorder->progress(x.tx);
  }
}

// A 200 event stream, through the pipeline stages.
asio::awaitable<bool> forward_stream(Exchange& x) {
  http::response<http::empty_body> head{http::status::ok, x.version};
  set_response_headers(x, head.base());
  if (x.translated()) {
    head.set(http::field::content_type, x.dialect == Dialect::kAnthropic
                                            ? "text/event-stream; charset=utf-8"
                                            : "text/event-stream");
  }
  head.set(http::field::cache_control, "no-cache");
  head.set("x-accel-buffering", "no");
  head.keep_alive(x.keep_alive);
  const bool head_sent = co_await x.client.start_stream(head);
  if (!head_sent) co_return false;

  pipeline::StreamSpec spec;
  spec.upstream = x.route.provider->dialect;
  spec.client = x.dialect;
  spec.client_model = x.request.model;
  spec.include_usage = x.request.include_usage;
  observability::metrics().stream_opened();
  auto streaming = x.services.orchestrator->stream(x.call, x.context, x.client, spec);
  pipeline::StreamOutcome outcome;
  if (x.services.recorder->watched()) {
    auto reporting = report_progress(x);
    auto first = co_await (std::move(streaming) || std::move(reporting));
    outcome = std::get<0>(std::move(first));
  } else {
    outcome = co_await std::move(streaming);
  }
  observability::metrics().stream_closed();
  x.log(200, outcome.client_gone && outcome.error.empty() ? "client disconnected" : outcome.error);
  x.tx.record.error = outcome.error;
  x.tx.record.outcome = outcome.client_gone ? "client_gone"
                        : outcome.completed && outcome.error.empty() ? "completed"
                                                                     : "error";
  if (outcome.client_gone) co_return false;
  if (outcome.body_ended) co_return x.keep_alive;
  const bool finished = co_await x.client.finish_stream();
  co_return finished && x.keep_alive;
}

core::Result<core::Request> decode(std::string body, Endpoint endpoint) {
  switch (endpoint) {
    case Endpoint::kMessages:
      return api::anthropic::decode_request(std::move(body), api::anthropic::Endpoint::kMessages);
    case Endpoint::kCountTokens:
      return api::anthropic::decode_request(std::move(body),
                                            api::anthropic::Endpoint::kCountTokens);
    case Endpoint::kChatCompletions:
      return api::openai::decode_request(std::move(body));
  }
  return core::fail(ErrorKind::kInternal, "unknown endpoint");
}

}  // namespace

asio::awaitable<bool> reply_json(ClientWriter& client, unsigned version, bool keep_alive,
                                 unsigned status, std::string body) {
  http::response<http::string_body> response;
  response.version(version);
  response.result(status);
  response.set(http::field::content_type, "application/json");
  response.keep_alive(keep_alive);
  response.body() = std::move(body);
  const bool written = co_await client.write_response(response);
  co_return written && keep_alive;
}

asio::awaitable<bool> reply_error(ClientWriter& client, Dialect dialect, unsigned version,
                                  bool keep_alive, const core::Error& error,
                                  const observability::Transaction* tx) {
  const std::string request_id = core::random_id("req_");
  http::response<http::string_body> response;
  response.version(version);
  if (dialect == Dialect::kAnthropic) {
    auto reply = api::anthropic::error_reply(error, request_id);
    response.result(reply.status);
    response.body() = std::move(reply.body);
    response.set("request-id", request_id);
  } else {
    auto reply = api::openai::error_reply(error);
    response.result(reply.status);
    response.body() = std::move(reply.body);
    response.set("x-request-id", request_id);
  }
  if (tx != nullptr) set_transaction_headers(*tx, response.base());
  response.set(http::field::content_type, "application/json");
  response.keep_alive(keep_alive);
  const bool written = co_await client.write_response(response);
  co_return written && keep_alive;
}

asio::awaitable<bool> handle_completion(ClientWriter& client,
                                        http::request<http::string_body>& client_request,
                                        const Services& services, Endpoint endpoint) {
  const Timer timer;
  const unsigned version = client_request.version();
  const bool keep_alive = client_request.keep_alive() && !services.draining.load();
  const Dialect dialect =
      endpoint == Endpoint::kChatCompletions ? Dialect::kOpenAi : Dialect::kAnthropic;
  const std::string_view target = client_request.target();
  RecordOnExit recording{*services.recorder, client,
                         services.recorder->begin(client_request.base(),
                                                  target.substr(0, target.find('?')), dialect),
                         {},
                         {}};
  observability::Transaction& tx = *recording.tx;
  client.capture_into(&tx.egress);
  const auto fail = [&](const core::Error& error) {
    tx.record.error = error.message;
    return reply_error(client, dialect, version, keep_alive, error, &tx);
  };

  auto decoded = decode(std::move(client_request.body()), endpoint);
  if (!decoded) co_return co_await fail(decoded.error());
  core::Request& request = recording.request.emplace(std::move(*decoded));
  services.recorder->identify(tx, client_request.base(), request);

  auto route = services.router->route(request.model);
  if (!route) {
    const core::Error error{ErrorKind::kNotFound,
                            "model '" + request.model + "' is not served here: no route matches it",
                            "model"};
    co_return co_await fail(error);
  }
  tx.record.provider = route->provider->config.name;
  tx.record.upstream_model = route->upstream_model;
  tx.upstream_dialect = route->provider->dialect;
  services.recorder->started(tx);
  auto credentials =
      upstream_credentials(client_request.base(), services.config.auth, route->provider->config);
  if (!credentials) co_return co_await fail(credentials.error());

  policy::PolicyContext& context = recording.context;
  context.transaction_id = tx.record.id;
  context.request = &request;
  context.tracing = services.traces != nullptr;
  context.on_event = [&recorder = *services.recorder, &tx](const policy::PolicyEvent& event) {
    recorder.policy_event(tx, event);
  };
  auto allowed = co_await services.orchestrator->request(request, context);
  if (!allowed) {
    tx.record.outcome = "blocked";
    co_return co_await fail(allowed.error());
  }

  if (endpoint == Endpoint::kCountTokens && route->provider->dialect == Dialect::kOpenAi) {
    co_return co_await reply_json(client, version, keep_alive, 200,
                                  estimate_input_tokens(request.body));
  }

  upstream::UpstreamCall call(route->provider);
  call.capture_into(&tx.ingress);
  Exchange x{client, client_request, services, endpoint, dialect, request, *route, context,
             call,   timer,          version,  keep_alive, tx};
  auto body = upstream_body(x);
  if (!body) co_return co_await x.fail(body.error());
  auto upstream_request = build_upstream_request(x, *credentials, std::move(*body));

  // A non-streaming answer can take minutes: a client that leaves meanwhile
  // cancels the upstream request, as it does during a stream.
  tx.upstream_sent = std::chrono::steady_clock::now();
  auto started = co_await (call.start(std::move(upstream_request)) ||
                           cancel_when_client_leaves(client, call));
  if (started.index() == 1) {
    x.log(499, "client disconnected");
    tx.record.outcome = "client_gone";
    co_return false;
  }
  auto& connected = std::get<0>(started);
  if (!connected) co_return co_await x.fail(connected.error());
  tx.record.upstream_first_byte_us = tx.offset_us(std::chrono::steady_clock::now());

  const bool event_stream = boost::beast::iequals(
      call.head()[http::field::content_type].substr(0, 17), "text/event-stream");
  tx.upstream_stream = call.status() == 200 && event_stream;
  if (tx.upstream_stream) co_return co_await forward_stream(x);
  co_return co_await forward_whole_answer(x);
}

}  // namespace warden::server
