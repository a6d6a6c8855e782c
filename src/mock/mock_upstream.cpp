#include "mock/mock_upstream.hpp"

#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/chunk_encode.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json.hpp>

#include "mock/mock_scenarios.hpp"
#include "mock/mock_script.hpp"

namespace warden::mock {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

inline constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
constexpr std::uint64_t kBodyLimit = 64ull * 1024 * 1024;  // above the API's 32 MB cap

using Request = http::request<http::string_body>;
using script::Dialect;

constexpr std::chrono::milliseconds kAcceptBackoff{50};
constexpr std::string_view kMockPrefix = "/_mock/";
constexpr std::string_view kModelPrefix = "/v1/models/";
constexpr std::string_view kTracesPath = "/v1/traces";  // OTLP/HTTP, for Warden's exporter

template <class Stream>
inline constexpr bool kIsTls = false;
template <class Next>
inline constexpr bool kIsTls<ssl::stream<Next>> = true;

// Everything the mock remembers. Only the io_context thread touches it (the whole server runs
// on one thread), so it needs no lock.
struct MockState {
  json::array requests;  // recorded as /_mock/requests returns them
  json::array traces;    // OTLP JSON payloads, as /_mock/traces returns them
  std::uint64_t requests_served = 0;
  std::int64_t active_streams = 0;
  std::int64_t aborted_streams = 0;
  std::int64_t completed_streams = 0;
};

// What the connection loop does after a request was answered.
enum class Next {
  kKeepAlive,  // read the next request
  kClose,      // close politely (the client asked, or HTTP/1.0)
  kGone,       // the socket is closed already (dropped on purpose, or the client went away)
};

std::string next_request_id(MockState& state) {
  // "req_mock" + 16 digits: the observed `req_` + 24 chars shape, recognisably the mock's.
  char digits[17];
  std::snprintf(digits, sizeof digits, "%016llu",
                static_cast<unsigned long long>(++state.requests_served));
  return std::string("req_mock") + digits;
}

// The id and rate-limit headers the real API of `dialect` sends with every answer.
void add_common_headers(http::response_header<>& header, const std::string& request_id,
                        Dialect dialect) {
  if (dialect == Dialect::kOpenAI) {
    header.set("x-request-id", request_id);
    header.set("openai-version", "2020-10-01");
    header.set("openai-organization", "warden-mock");
    header.set("openai-processing-ms", "1");
    header.set("x-ratelimit-limit-requests", "1000");
    header.set("x-ratelimit-limit-tokens", "1000000");
    header.set("x-ratelimit-remaining-requests", "999");
    header.set("x-ratelimit-remaining-tokens", "999000");
    header.set("x-ratelimit-reset-requests", "60ms");
    header.set("x-ratelimit-reset-tokens", "60ms");
    return;
  }
  header.set("request-id", request_id);
  header.set("anthropic-ratelimit-requests-limit", "1000");
  header.set("anthropic-ratelimit-requests-remaining", "999");
  header.set("anthropic-ratelimit-requests-reset", "2030-01-01T00:00:00Z");
}

void set_status(http::response_header<>& header, unsigned status) {
  header.result(status);
  // Beast has no reason phrase for Anthropic's 529.
  if (status == 529) header.reason("Overloaded");
}

// An OTLP/HTTP JSON collector: keeps the payload; a body that is not JSON gets OTLP's error
// shape (google.rpc.Status, 3 = INVALID_ARGUMENT).
std::string collect_traces(MockState& state, const std::string& body, unsigned& status) {
  boost::system::error_code ec;
  json::value payload = json::parse(body, ec);
  if (ec) {
    status = 400;
    return json::serialize(json::object{{"code", 3}, {"message", "body is not JSON"}});
  }
  state.traces.push_back(std::move(payload));
  return "{}";
}

void record(MockState& state, const Request& req) {
  json::array headers;
  for (const auto& field : req) {
    headers.emplace_back(json::array{field.name_string(), field.value()});
  }
  state.requests.emplace_back(json::object{{"method", req.method_string()},
                                           {"target", req.target()},
                                           {"headers", std::move(headers)},
                                           {"body", req.body()}});
}

std::string stats_body(const MockState& state) {
  return json::serialize(json::object{{"active_streams", state.active_streams},
                                      {"aborted_streams", state.aborted_streams},
                                      {"completed_streams", state.completed_streams}});
}

template <class Stream>
void close_abruptly(Stream& stream) {
  // No TLS close_notify, no last chunk: the peer just sees the TCP connection end.
  beast::error_code ignored;
  auto& socket = beast::get_lowest_layer(stream);
  socket.shutdown(tcp::socket::shutdown_both, ignored);
  socket.close(ignored);
}

template <class Stream>
asio::awaitable<void> close_politely(Stream& stream) {
  if constexpr (kIsTls<Stream>) {
    auto [ec] = co_await stream.async_shutdown(kNoThrow);
    (void)ec;  // a peer that closed without close_notify is fine here
  } else {
    beast::error_code ignored;
    stream.shutdown(tcp::socket::shutdown_send, ignored);
  }
  close_abruptly(stream);
}

asio::awaitable<void> sleep_for(std::chrono::milliseconds delay) {
  if (delay.count() <= 0) co_return;
  asio::steady_timer timer(co_await asio::this_coro::executor);
  timer.expires_after(delay);
  auto [ec] = co_await timer.async_wait(kNoThrow);
  (void)ec;
}

template <class Stream>
asio::awaitable<Next> write_json(Stream& stream, const Request& req, const std::string& request_id,
                                 unsigned status, const std::string& body, bool retry_after,
                                 Dialect dialect) {
  http::response<http::string_body> res;
  res.version(req.version());
  set_status(res, status);
  res.set(http::field::content_type, "application/json");
  add_common_headers(res, request_id, dialect);
  if (retry_after) res.set(http::field::retry_after, "1");
  res.keep_alive(req.keep_alive());
  res.body() = body;
  res.prepare_payload();
  auto [ec, n] = co_await http::async_write(stream, res, kNoThrow);
  if (ec) {
    close_abruptly(stream);
    co_return Next::kGone;
  }
  co_return req.keep_alive() ? Next::kKeepAlive : Next::kClose;
}

// `drop` without streaming: announce the whole body, send half of it, hang up.
template <class Stream>
asio::awaitable<Next> write_truncated_json(Stream& stream, const Request& req,
                                           const std::string& request_id, const std::string& body,
                                           Dialect dialect) {
  http::response<http::empty_body> res{http::status::ok, req.version()};
  res.set(http::field::content_type, "application/json");
  add_common_headers(res, request_id, dialect);
  res.content_length(body.size());
  http::response_serializer<http::empty_body> serializer{res};
  auto [ec, n] = co_await http::async_write_header(stream, serializer, kNoThrow);
  if (!ec) {
    const auto half = asio::buffer(body.data(), body.size() / 2);
    auto [write_ec, written] = co_await asio::async_write(stream, half, kNoThrow);
    (void)write_ec;
  }
  close_abruptly(stream);
  co_return Next::kGone;
}

// A streamed reply: the header once, then one chunk per SSE event.
template <class Stream>
asio::awaitable<Next> write_stream(Stream& stream, const Request& req,
                                   const std::string& request_id, const MockReply& reply,
                                   Dialect dialect, MockState& state) {
  http::response<http::empty_body> res{http::status::ok, req.version()};
  res.set(http::field::content_type, "text/event-stream; charset=utf-8");
  res.set(http::field::cache_control, "no-cache");
  add_common_headers(res, request_id, dialect);
  res.keep_alive(req.keep_alive());
  res.chunked(true);
  http::response_serializer<http::empty_body> serializer{res};
  auto [ec, n] = co_await http::async_write_header(stream, serializer, kNoThrow);
  if (ec) {
    close_abruptly(stream);
    co_return Next::kGone;
  }

  ++state.active_streams;
  for (const SseEvent& event : reply.events) {
    co_await sleep_for(event.delay);
    const std::string wire = format_sse(event);
    auto chunk = http::make_chunk(asio::buffer(wire));
    auto [write_ec, written] = co_await asio::async_write(stream, chunk, kNoThrow);
    if (write_ec) {
      // The client went away before the script ended.
      --state.active_streams;
      ++state.aborted_streams;
      close_abruptly(stream);
      co_return Next::kGone;
    }
  }
  --state.active_streams;

  if (reply.end == ReplyEnd::kDrop) {
    // The mock played its whole script; dropping the connection is part of it.
    ++state.completed_streams;
    close_abruptly(stream);
    co_return Next::kGone;
  }
  auto last = http::make_chunk_last();
  auto [last_ec, last_n] = co_await asio::async_write(stream, last, kNoThrow);
  if (last_ec) {
    ++state.aborted_streams;
    close_abruptly(stream);
    co_return Next::kGone;
  }
  ++state.completed_streams;
  co_return req.keep_alive() ? Next::kKeepAlive : Next::kClose;
}

// `POST /v1/messages` (Anthropic) or `POST …/chat/completions` (OpenAI): a scripted scenario.
template <class Stream>
asio::awaitable<Next> answer_scenario_request(Stream& stream, const Request& req,
                                              const std::string& request_id, Dialect dialect,
                                              MockState& state) {
  MessagesRequest input;
  input.body = req.body();
  input.scenario_header = req["x-mock-scenario"];
  input.delay_header = req["x-mock-delay-ms"];
  input.request_id = request_id;
  const MockReply reply =
      dialect == Dialect::kOpenAI ? answer_chat_completions(input) : answer_messages(input);

  if (reply.streaming) {
    co_return co_await write_stream(stream, req, request_id, reply, dialect, state);
  }
  co_await sleep_for(reply.delay);
  if (reply.end == ReplyEnd::kDrop) {
    co_return co_await write_truncated_json(stream, req, request_id, reply.body, dialect);
  }
  co_return co_await write_json(stream, req, request_id, reply.status, reply.body,
                                reply.retry_after, dialect);
}

template <class Stream>
asio::awaitable<Next> handle_request(Stream& stream, const Request& req, MockState& state) {
  const std::string request_id = next_request_id(state);
  const std::string_view target = req.target();
  const std::string_view path = target.substr(0, target.find('?'));
  // The mock's own endpoints and the trace collector are not part of the traffic under test.
  if (path.substr(0, kMockPrefix.size()) != kMockPrefix && path != kTracesPath) record(state, req);

  const http::verb method = req.method();
  if (method == http::verb::post && path == "/v1/messages") {
    co_return co_await answer_scenario_request(stream, req, request_id, Dialect::kAnthropic, state);
  }
  if (method == http::verb::post && is_chat_completions_path(path)) {
    co_return co_await answer_scenario_request(stream, req, request_id, Dialect::kOpenAI, state);
  }
  // Every other endpoint answers one JSON body, built here so no temporary sits inside the
  // co_await below (g++ 12 miscompiles those).
  unsigned status = 200;
  std::string body;
  // `GET /v1/models` answers in the dialect of the client asking (docs/mock-upstream.md).
  const Dialect models_dialect =
      wants_openai_models(req["anthropic-version"], req[http::field::authorization])
          ? Dialect::kOpenAI
          : Dialect::kAnthropic;
  Dialect dialect = Dialect::kAnthropic;
  if (method == http::verb::post && path == "/v1/messages/count_tokens") {
    body = count_tokens_body(req.body());
  } else if (method == http::verb::post && path == kTracesPath) {
    body = collect_traces(state, req.body(), status);
  } else if (method == http::verb::get && path == "/v1/models") {
    dialect = models_dialect;
    body = dialect == Dialect::kOpenAI ? openai_models_body() : models_body();
  } else if (method == http::verb::get && path.substr(0, kModelPrefix.size()) == kModelPrefix &&
             path.substr(kModelPrefix.size()) == kMockModel) {
    body = model_body();
  } else if (method == http::verb::get && models_dialect == Dialect::kOpenAI &&
             path.substr(0, kModelPrefix.size()) == kModelPrefix &&
             path.substr(kModelPrefix.size()) == kMockOpenAIModel) {
    dialect = Dialect::kOpenAI;
    body = openai_model_body();
  } else if (method == http::verb::get && path == "/_mock/requests") {
    body = json::serialize(state.requests);
  } else if (method == http::verb::delete_ && path == "/_mock/requests") {
    const json::object cleared{{"cleared", static_cast<std::int64_t>(state.requests.size())}};
    state.requests.clear();
    body = json::serialize(cleared);
  } else if (method == http::verb::get && path == "/_mock/traces") {
    body = json::serialize(state.traces);
  } else if (method == http::verb::delete_ && path == "/_mock/traces") {
    const json::object cleared{{"cleared", static_cast<std::int64_t>(state.traces.size())}};
    state.traces.clear();
    body = json::serialize(cleared);
  } else if (method == http::verb::get && path == "/_mock/stats") {
    body = stats_body(state);
  } else {
    status = 404;
    body = error_body(status, request_id);
  }
  co_return co_await write_json(stream, req, request_id, status, body, false, dialect);
}

// One connection: requests in sequence (keep-alive) until either side ends it.
template <class Stream>
asio::awaitable<void> serve_connection(Stream stream, std::shared_ptr<MockState> state) {
  if constexpr (kIsTls<Stream>) {
    auto [ec] = co_await stream.async_handshake(ssl::stream_base::server, kNoThrow);
    if (ec) {
      close_abruptly(stream);
      co_return;
    }
  }
  beast::flat_buffer buffer;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(kBodyLimit);
    auto [ec, n] = co_await http::async_read_header(stream, buffer, parser, kNoThrow);
    if (ec) break;
    const Request& head = parser.get();
    if (beast::iequals(head[http::field::expect], "100-continue")) {
      // curl waits a second for this before sending a large body.
      http::response<http::empty_body> proceed{http::status::continue_, head.version()};
      auto [continue_ec, continue_n] = co_await http::async_write(stream, proceed, kNoThrow);
      if (continue_ec) break;
    }
    auto [body_ec, body_n] = co_await http::async_read(stream, buffer, parser, kNoThrow);
    if (body_ec == http::error::body_limit) {
      const std::string request_id = next_request_id(*state);
      Request too_large = parser.release();
      too_large.keep_alive(false);
      std::string body = error_body(413, request_id);
      co_await write_json(stream, too_large, request_id, 413, body, false, Dialect::kAnthropic);
      break;
    }
    if (body_ec) break;
    const Request req = parser.release();
    const Next next = co_await handle_request(stream, req, *state);
    if (next == Next::kGone) co_return;
    if (next == Next::kClose) {
      co_await close_politely(stream);
      co_return;
    }
  }
  close_abruptly(stream);
}

void log_connection_error(std::exception_ptr error) {
  if (!error) return;
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    std::cerr << "mock-upstream: connection failed: " << e.what() << std::endl;
  }
}

asio::awaitable<void> accept_loop(tcp::acceptor acceptor, std::shared_ptr<MockState> state,
                                  std::shared_ptr<ssl::context> tls) {
  const auto executor = co_await asio::this_coro::executor;
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(kNoThrow);
    if (ec == asio::error::operation_aborted) co_return;
    if (ec) {
      // Out of descriptors and the like: back off instead of spinning.
      co_await sleep_for(kAcceptBackoff);
      continue;
    }
    beast::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);  // one small chunk per SSE event
    if (tls) {
      ssl::stream<tcp::socket> stream(std::move(socket), *tls);
      asio::co_spawn(executor, serve_connection(std::move(stream), state), log_connection_error);
    } else {
      asio::co_spawn(executor, serve_connection(std::move(socket), state), log_connection_error);
    }
  }
}

tcp::endpoint resolve_endpoint(asio::io_context& ioc, const MockOptions& options) {
  beast::error_code ec;
  const asio::ip::address address = asio::ip::make_address(options.host, ec);
  if (!ec) return tcp::endpoint(address, options.port);
  tcp::resolver resolver(ioc);
  const auto results = resolver.resolve(options.host, std::to_string(options.port), ec);
  if (ec || results.empty()) {
    throw std::runtime_error("cannot resolve host '" + options.host + "': " + ec.message());
  }
  return results.begin()->endpoint();
}

std::shared_ptr<ssl::context> make_tls_context(const MockOptions& options) {
  if (options.tls_cert.empty()) return nullptr;
  auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
  context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                       ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  beast::error_code ec;
  context->use_certificate_chain_file(options.tls_cert, ec);
  if (ec) {
    throw std::runtime_error("cannot load TLS certificate '" + options.tls_cert +
                             "': " + ec.message());
  }
  context->use_private_key_file(options.tls_key, ssl::context::pem, ec);
  if (ec)
    throw std::runtime_error("cannot load TLS key '" + options.tls_key + "': " + ec.message());
  return context;
}

std::string option_value(int argc, char** argv, int& i, std::string_view arg,
                         std::string_view name) {
  if (arg.size() > name.size() && arg[name.size()] == '=') {
    return std::string(arg.substr(name.size() + 1));
  }
  if (i + 1 >= argc) throw std::invalid_argument(std::string(name) + " needs a value");
  return argv[++i];
}

std::uint16_t parse_port(const std::string& text) {
  if (text.empty() || text.size() > 5 ||
      text.find_first_not_of("0123456789") != std::string::npos) {
    throw std::invalid_argument("--port: '" + text + "' is not a port number (0-65535)");
  }
  const unsigned long port = std::stoul(text);
  if (port > 65535) throw std::invalid_argument("--port: " + text + " is above 65535");
  return static_cast<std::uint16_t>(port);
}

}  // namespace

MockOptions parse_mock_args(int argc, char** argv) {
  MockOptions options;
  for (int i = 0; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const std::string_view name = arg.substr(0, arg.find('='));
    if (name == "--host") {
      options.host = option_value(argc, argv, i, arg, name);
      if (options.host.empty()) throw std::invalid_argument("--host: empty value");
    } else if (name == "--port") {
      options.port = parse_port(option_value(argc, argv, i, arg, name));
    } else if (name == "--tls-cert") {
      options.tls_cert = option_value(argc, argv, i, arg, name);
    } else if (name == "--tls-key") {
      options.tls_key = option_value(argc, argv, i, arg, name);
    } else {
      throw std::invalid_argument(
          "unknown argument '" + std::string(arg) +
          "'; usage: warden mock-upstream [--host H] [--port N] [--tls-cert F --tls-key F]");
    }
  }
  if (options.tls_cert.empty() != options.tls_key.empty()) {
    throw std::invalid_argument("--tls-cert and --tls-key must be given together");
  }
  return options;
}

int run_mock_upstream(const MockOptions& options) {
  // Writes to a vanished client must fail with EPIPE (counted as aborted), not kill us.
  std::signal(SIGPIPE, SIG_IGN);
  try {
    // Declared before the io_context so it outlives every connection coroutine.
    const std::shared_ptr<ssl::context> tls = make_tls_context(options);
    auto state = std::make_shared<MockState>();
    asio::io_context ioc{1};

    const tcp::endpoint endpoint = resolve_endpoint(ioc, options);
    tcp::acceptor acceptor(ioc);
    beast::error_code ec;
    acceptor.open(endpoint.protocol(), ec);
    if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor.bind(endpoint, ec);
    if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      throw std::runtime_error("cannot listen on " + options.host + ":" +
                               std::to_string(options.port) + ": " + ec.message());
    }
    const tcp::endpoint bound = acceptor.local_endpoint();
    const std::string host = bound.address().is_v6() ? "[" + bound.address().to_string() + "]"
                                                     : bound.address().to_string();

    asio::signal_set signals(ioc, SIGINT, SIGTERM);
    signals.async_wait([&ioc](const beast::error_code&, int) { ioc.stop(); });
    asio::co_spawn(ioc, accept_loop(std::move(acceptor), state, tls), log_connection_error);

    std::cout << "listening on " << host << ":" << bound.port() << "\n" << std::flush;
    ioc.run();
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "warden mock-upstream: " << e.what() << std::endl;
    return 1;
  }
}

}  // namespace warden::mock
