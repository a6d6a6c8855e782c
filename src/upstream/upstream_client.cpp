#include "upstream/upstream_client.hpp"

#include <array>
#include <stdexcept>

#include <boost/asio/ssl/error.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include "upstream/tls_context.hpp"

namespace warden::upstream {

namespace asio = boost::asio;
namespace beast = boost::beast;
using core::ErrorKind;

namespace {

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

std::chrono::milliseconds millis(double seconds) {
  return std::chrono::milliseconds(static_cast<std::int64_t>(seconds * 1000));
}

template <class Stream>
asio::awaitable<boost::system::error_code> write_and_read_head(
    Stream& stream, beast::flat_buffer& buffer, http::request<http::string_body>& request,
    http::response_parser<http::buffer_body>& parser) {
  auto [write_ec, written] = co_await http::async_write(stream, request, kNoThrow);
  if (write_ec) co_return write_ec;
  auto [read_ec, read] = co_await http::async_read_header(stream, buffer, parser, kNoThrow);
  co_return read_ec;
}

// One socket read into the connection's buffer (at most kReadBytes: a burst
// of events at once).
constexpr std::size_t kReadBytes = 16 * 1024;

template <class Stream>
asio::awaitable<boost::system::error_code> read_socket(Stream& stream, beast::flat_buffer& buffer) {
  auto [ec, n] = co_await stream.async_read_some(buffer.prepare(kReadBytes), kNoThrow);
  buffer.commit(n);
  co_return ec;
}

// Where body bytes are decoded to: one buffer per thread, not per stream. The
// piece read_some() returns is filled after the coroutine resumed and used by
// its caller before it suspends again, so no other stream can overwrite it.
std::array<char, kReadBytes>& body_scratch() {
  thread_local std::array<char, kReadBytes> scratch;
  return scratch;
}

core::Error read_error(const boost::system::error_code& ec, const UpstreamUrl& url,
                       double timeout_seconds) {
  if (ec == beast::error::timeout) {
    return {ErrorKind::kTimeout, "Upstream " + url.host + " sent nothing for " +
                                     std::to_string(static_cast<int>(timeout_seconds)) + " s"};
  }
  if (ec == asio::error::operation_aborted) {
    return {ErrorKind::kUpstreamFailed, "Upstream request cancelled"};
  }
  return {ErrorKind::kUpstreamFailed,
          "Upstream " + url.host + " connection failed mid-response: " + ec.message()};
}

}  // namespace

std::shared_ptr<const Provider> make_provider(const config::ProviderConfig& config) {
  auto url = parse_upstream_url(config.base_url);
  if (!url) throw std::runtime_error("provider " + config.name + ": " + url.error().message);
  auto provider = std::make_shared<Provider>();
  provider->config = config;
  provider->dialect = config.dialect == "openai" ? core::Dialect::kOpenAi : core::Dialect::kAnthropic;
  provider->url = *url;
  if (url->tls) provider->tls = make_client_tls_context(config.ca_file);
  return provider;
}

UpstreamCall::UpstreamCall(std::shared_ptr<const Provider> provider)
    : provider_(std::move(provider)) {}

UpstreamCall::~UpstreamCall() {
  // Only a connection whose response was read to the end, cleanly, can carry another.
  if (connection_ && !failed_ && done() && parser_->get().keep_alive()) {
    release_connection(std::move(connection_), provider_->config.pool_max_idle);
  }
}

void UpstreamCall::cancel() {
  failed_ = true;
  if (connection_) {
    boost::system::error_code ignored;
    connection_->lowest_layer().socket().close(ignored);
  }
}

asio::awaitable<core::Result<void>> UpstreamCall::start(http::request<http::string_body> request) {
  request.prepare_payload();
  bool retryable = false;
  auto result = co_await try_start(request, retryable);
  if (!result && retryable) {
    // A pooled connection closed by the upstream while idle: nothing was
    // processed, so one retry on a fresh connection is safe.
    result = co_await try_start(request, retryable);
  }
  co_return result;
}

asio::awaitable<core::Result<void>> UpstreamCall::try_start(
    http::request<http::string_body>& request, bool& retryable) {
  retryable = false;
  ConnectOptions options{millis(provider_->config.connect_timeout_seconds),
                         millis(provider_->config.pool_idle_timeout_seconds)};
  auto connection = co_await acquire_connection(provider_->url, provider_->tls, options);
  if (!connection) {
    failed_ = true;
    co_return tl::unexpected(std::move(connection.error()));
  }
  connection_ = std::move(*connection);
  failed_ = false;
  parser_.emplace();
  parser_->body_limit(boost::none);  // callers enforce their own limits
  parser_->header_limit(64 * 1024);

  connection_->lowest_layer().expires_after(millis(provider_->config.read_timeout_seconds));
  boost::system::error_code ec;
  if (auto* plain = std::get_if<PlainStream>(&connection_->stream)) {
    ec = co_await write_and_read_head(*plain, connection_->buffer, request, *parser_);
  } else {
    ec = co_await write_and_read_head(std::get<TlsStream>(connection_->stream),
                                      connection_->buffer, request, *parser_);
  }
  if (ec) {
    retryable = connection_->reused && ec != beast::error::timeout &&
                ec != asio::error::operation_aborted;
    failed_ = true;
    connection_.reset();
    if (ec == beast::error::timeout) {
      co_return core::fail(ErrorKind::kTimeout,
                           "Upstream " + provider_->url.host + " did not answer within " +
                               std::to_string(static_cast<int>(
                                   provider_->config.read_timeout_seconds)) +
                               " s");
    }
    co_return core::fail(ErrorKind::kUpstreamFailed,
                         "Upstream " + provider_->url.host + " closed the connection before " +
                             "answering: " + ec.message());
  }
  co_return core::Result<void>{};
}

// Decodes what the buffer holds into `out` (all of it when there is room),
// so one socket read gives the pipeline all its events in one piece.
boost::system::error_code UpstreamCall::parse_buffered(std::span<char> out, std::size_t& n) {
  auto& buffer = connection_->buffer;
  auto& body = parser_->get().body();
  body.data = out.data();
  body.size = out.size();
  boost::system::error_code ec;
  while (!parser_->is_done() && buffer.size() > 0 && body.size > 0) {
    const std::size_t used = parser_->put(buffer.data(), ec);
    buffer.consume(used);
    if (ec == http::error::need_more || ec == http::error::need_buffer) {
      ec = {};
      break;
    }
    if (ec || used == 0) break;
  }
  n = out.size() - body.size;
  return ec;
}

asio::awaitable<core::Result<std::string_view>> UpstreamCall::read_some() {
  auto& scratch = body_scratch();
  auto& buffer = connection_->buffer;
  while (!parser_->is_done()) {
    std::size_t n = 0;
    boost::system::error_code ec = parse_buffered(scratch, n);
    if (!ec && n > 0) {
      const std::string_view piece(scratch.data(), n);
      if (capture_ != nullptr) capture_->add(piece);
      co_return piece;
    }
    if (!ec && !parser_->is_done()) {
      // Nothing left to decode: an idle stream keeps no read buffer (the
      // next read allocates it again), which bounds the memory per stream.
      if (buffer.size() == 0) buffer.shrink_to_fit();
      connection_->lowest_layer().expires_after(millis(provider_->config.read_timeout_seconds));
      if (auto* plain = std::get_if<PlainStream>(&connection_->stream)) {
        ec = co_await read_socket(*plain, buffer);
      } else {
        ec = co_await read_socket(std::get<TlsStream>(connection_->stream), buffer);
      }
      // The peer closed: the end of a body that runs until close, else a cut one.
      if (ec == asio::error::eof || ec == asio::ssl::error::stream_truncated) {
        parser_->put_eof(ec);
        if (!ec) continue;
      }
    }
    if (ec) {
      failed_ = true;
      co_return tl::unexpected(
          read_error(ec, provider_->url, provider_->config.read_timeout_seconds));
    }
  }
  co_return std::string_view{};
}

asio::awaitable<core::Result<std::string>> UpstreamCall::read_all(std::size_t limit) {
  std::string body;
  while (true) {
    auto piece = co_await read_some();
    if (!piece) co_return tl::unexpected(std::move(piece.error()));
    if (piece->empty()) break;
    if (body.size() + piece->size() > limit) {
      failed_ = true;
      co_return core::fail(ErrorKind::kUpstreamFailed,
                           "Upstream response is larger than " + std::to_string(limit) + " bytes");
    }
    body.append(*piece);
  }
  co_return body;
}

}  // namespace warden::upstream
