#include "observability/trace_exporter.hpp"

#include <algorithm>
#include <exception>
#include <optional>
#include <stdexcept>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/url/parse.hpp>
#include <openssl/ssl.h>

#include "core/thread_name.hpp"
#include "observability/log.hpp"
#include "observability/metrics.hpp"

namespace warden::observability {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

namespace detail {

struct OtlpTarget {
  bool tls = false;
  std::string host;                           // without IPv6 brackets
  std::string port;                           // for the resolver
  std::string host_header;                    // host[:port] as the Host header wants it
  std::string target;                         // path and query
  std::unique_ptr<ssl::context> tls_context;  // https only
};

}  // namespace detail

namespace {

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
// How often a POST in flight looks at the shutdown deadline.
constexpr std::chrono::milliseconds kPollSlice{20};
constexpr std::chrono::minutes kLogEvery{1};
constexpr std::uint64_t kAnswerLimit = 64 * 1024;  // a collector's answer is a small JSON

struct PostOutcome {
  bool ok = false;
  std::string error;
};

PostOutcome failure(std::string error) { return PostOutcome{false, std::move(error)}; }

bool is_ip_literal(const std::string& host) {
  boost::system::error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

template <class Stream>
asio::awaitable<PostOutcome> exchange(Stream& stream, http::request<http::string_body>& request) {
  auto [write_ec, written] = co_await http::async_write(stream, request, kNoThrow);
  if (write_ec) co_return failure("sending: " + write_ec.message());
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(kAnswerLimit);
  auto [read_ec, read] = co_await http::async_read(stream, buffer, parser, kNoThrow);
  if (read_ec) co_return failure("reading the answer: " + read_ec.message());
  const unsigned status = parser.get().result_int();
  if (status / 100 != 2) {
    co_return failure("collector answered " + std::to_string(status) + ": " +
                      parser.get().body().substr(0, 200));
  }
  co_return PostOutcome{true, {}};
}

// Runs on the exporter's private io_context; `target` outlives it.
asio::awaitable<PostOutcome> post_once(const detail::OtlpTarget* target, std::string body) {
  const auto executor = co_await asio::this_coro::executor;
  tcp::resolver resolver(executor);
  auto [resolve_ec, endpoints] =
      co_await resolver.async_resolve(target->host, target->port, kNoThrow);
  if (resolve_ec) co_return failure("resolving " + target->host + ": " + resolve_ec.message());
  tcp::socket socket(executor);
  auto [connect_ec, endpoint] = co_await asio::async_connect(socket, endpoints, kNoThrow);
  if (connect_ec) co_return failure("connecting: " + connect_ec.message());

  http::request<http::string_body> request{http::verb::post, target->target, 11};
  request.set(http::field::host, target->host_header);
  request.set(http::field::content_type, "application/json");
  request.set(http::field::user_agent, "warden");
  request.keep_alive(false);  // one connection per batch: batches are seconds apart
  request.body() = std::move(body);
  request.prepare_payload();
  if (!target->tls) co_return co_await exchange(socket, request);

  ssl::stream<tcp::socket> stream(std::move(socket), *target->tls_context);
  if (!is_ip_literal(target->host) &&
      !SSL_set_tlsext_host_name(stream.native_handle(), target->host.c_str())) {
    co_return failure("cannot set TLS SNI for " + target->host);
  }
  stream.set_verify_callback(ssl::host_name_verification(target->host));
  auto [handshake_ec] = co_await stream.async_handshake(ssl::stream_base::client, kNoThrow);
  if (handshake_ec) co_return failure("TLS handshake: " + handshake_ec.message());
  co_return co_await exchange(stream, request);
}

std::unique_ptr<detail::OtlpTarget> parse_target(const std::string& url) {
  const auto parsed = boost::urls::parse_absolute_uri(url);
  if (!parsed) throw std::invalid_argument("trace endpoint '" + url + "' is not a URL");
  auto target = std::make_unique<detail::OtlpTarget>();
  if (parsed->scheme() == "https") {
    target->tls = true;
  } else if (parsed->scheme() != "http") {
    throw std::invalid_argument("trace endpoint '" + url + "' must be http:// or https://");
  }
  target->host = parsed->host_address();
  if (target->host.empty()) throw std::invalid_argument("trace endpoint '" + url + "' has no host");
  const std::uint16_t port = parsed->has_port() ? parsed->port_number() : (target->tls ? 443 : 80);
  target->port = std::to_string(port);
  const bool ipv6 = target->host.find(':') != std::string::npos;
  target->host_header = ipv6 ? "[" + target->host + "]" : target->host;
  if (parsed->has_port()) target->host_header += ":" + target->port;
  target->target = parsed->encoded_target();
  if (target->target.empty()) target->target = "/";
  if (target->tls) {
    target->tls_context = std::make_unique<ssl::context>(ssl::context::tls_client);
    target->tls_context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                                     ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                                     ssl::context::no_tlsv1_1);
    target->tls_context->set_default_verify_paths();
    target->tls_context->set_verify_mode(ssl::verify_peer);
  }
  return target;
}

}  // namespace

TraceExporter::TraceExporter(std::string endpoint_url, std::string service_name,
                             TraceExporterOptions options)
    : endpoint_url_(std::move(endpoint_url)),
      service_name_(std::move(service_name)),
      options_(options),
      target_(parse_target(endpoint_url_)) {
  if (options_.max_queue_spans == 0 || options_.max_batch == 0 ||
      options_.flush_interval.count() <= 0 || options_.timeout.count() <= 0) {
    throw std::invalid_argument("trace exporter: queue, batch, interval and timeout must be > 0");
  }
  thread_ = std::thread([this] {
    core::name_this_thread("warden-otel");
    run();
  });
}

TraceExporter::~TraceExporter() { stop(); }

void TraceExporter::submit(std::vector<Span> spans) {
  if (spans.empty()) return;
  bool stopped = false;
  {
    std::lock_guard lock(mu_);
    stopped = stopping_;
    if (!stopped && queue_.size() + spans.size() <= options_.max_queue_spans) {
      for (Span& span : spans) queue_.push_back(std::move(span));
      if (queue_.size() >= options_.max_batch) wake_.notify_one();
      return;
    }
  }
  note_dropped(spans.size(), stopped ? "exporter stopped" : "queue full");
}

void TraceExporter::stop(std::chrono::milliseconds deadline) {
  if (!thread_.joinable()) return;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    stop_deadline_ = Clock::now() + deadline;
  }
  wake_.notify_one();
  thread_.join();
}

void TraceExporter::run() {
  std::unique_lock lock(mu_);
  auto next_flush = Clock::now() + options_.flush_interval;
  while (!stopping_) {
    wake_.wait_until(lock, next_flush,
                     [this] { return stopping_ || queue_.size() >= options_.max_batch; });
    if (stopping_) break;
    if (!queue_.empty()) {
      const std::size_t n = std::min(queue_.size(), options_.max_batch);
      std::vector<Span> batch(std::make_move_iterator(queue_.begin()),
                              std::make_move_iterator(queue_.begin() + n));
      queue_.erase(queue_.begin(), queue_.begin() + n);
      lock.unlock();
      send(batch, Clock::now() + options_.timeout);
      lock.lock();
    }
    // A full batch goes at once; a partial one waits for the next interval.
    if (queue_.size() < options_.max_batch) next_flush = Clock::now() + options_.flush_interval;
  }

  // Shutting down: send what was accepted while the deadline allows.
  while (!queue_.empty() && Clock::now() < stop_deadline_) {
    const std::size_t n = std::min(queue_.size(), options_.max_batch);
    std::vector<Span> batch(std::make_move_iterator(queue_.begin()),
                            std::make_move_iterator(queue_.begin() + n));
    queue_.erase(queue_.begin(), queue_.begin() + n);
    const auto deadline = std::min(Clock::now() + options_.timeout, stop_deadline_);
    lock.unlock();
    send(batch, deadline);
    lock.lock();
  }
  const std::size_t left = queue_.size();
  queue_.clear();
  lock.unlock();
  if (left > 0) note_dropped(left, "shutdown deadline passed");
}

TraceExporter::Clock::time_point TraceExporter::stop_deadline() {
  std::lock_guard lock(mu_);
  return stop_deadline_;
}

void TraceExporter::send(const std::vector<Span>& batch, Clock::time_point deadline) {
  PostOutcome outcome;
  try {
    std::string body = encode_otlp_json(batch, service_name_);
    // A private io_context: the POST blocks this thread only, and destroying the context
    // abandons whatever is still in flight at the deadline.
    asio::io_context ioc{1};
    std::optional<PostOutcome> result;
    asio::co_spawn(ioc, post_once(target_.get(), std::move(body)),
                   [&result](std::exception_ptr error, PostOutcome done) {
                     result = error ? failure("unexpected exception") : std::move(done);
                   });
    while (!result && !ioc.stopped()) {
      const auto limit = std::min(deadline, stop_deadline());
      const auto now = Clock::now();
      if (now >= limit) break;
      ioc.run_for(std::min<Clock::duration>(limit - now, kPollSlice));
    }
    outcome = result ? std::move(*result) : failure("timed out");
  } catch (const std::exception& e) {
    outcome = failure(e.what());
  }
  if (!outcome.ok) note_dropped(batch.size(), "export failed: " + outcome.error);
}

void TraceExporter::note_dropped(std::size_t spans, const std::string& why) {
  metrics().spans_dropped(spans);
  std::uint64_t dropped = 0;
  {
    std::lock_guard lock(mu_);
    drops_since_log_ += spans;
    const auto now = Clock::now();
    if (last_drop_log_ != Clock::time_point{} && now - last_drop_log_ < kLogEvery) return;
    last_drop_log_ = now;
    dropped = std::exchange(drops_since_log_, 0);
  }
  log(LogLevel::kWarn, "trace spans dropped",
      {{"endpoint", endpoint_url_}, {"reason", why}, {"dropped_spans", dropped}});
}

}  // namespace warden::observability
