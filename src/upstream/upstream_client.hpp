#pragma once
// One HTTP exchange with a provider over a pooled connection: send the request,
// read the response head, then the body piece by piece (as it streams) or whole.

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include "config/config.hpp"
#include "core/byte_capture.hpp"
#include "core/request.hpp"
#include "core/result.hpp"
#include "upstream/connection_pool.hpp"
#include "upstream/upstream_url.hpp"

namespace warden::upstream {

namespace http = boost::beast::http;

// A configured provider, ready to connect to. Immutable and shared by all threads.
struct Provider {
  config::ProviderConfig config;
  core::Dialect dialect = core::Dialect::kAnthropic;
  UpstreamUrl url;
  std::shared_ptr<boost::asio::ssl::context> tls;  // null for http://
};

// Throws std::runtime_error for a bad URL or CA file.
std::shared_ptr<const Provider> make_provider(const config::ProviderConfig& config);

// Lives on one executor; not thread-safe.
class UpstreamCall final {
 public:
  explicit UpstreamCall(std::shared_ptr<const Provider> provider);
  ~UpstreamCall();
  UpstreamCall(const UpstreamCall&) = delete;
  UpstreamCall& operator=(const UpstreamCall&) = delete;

  // Connects (or reuses a pooled connection), sends `request` and reads the
  // response head. A pooled connection the peer closed is replaced once.
  // Errors: kUpstreamFailed (DNS, connect, TLS, reset; the message says which), kTimeout.
  boost::asio::awaitable<core::Result<void>> start(http::request<http::string_body> request);

  // The response head; only after start() succeeded (see has_head()).
  const http::response_header<>& head() const { return parser_->get().base(); }
  bool has_head() const { return parser_ && parser_->is_header_done(); }
  unsigned status() const { return head().result_int(); }

  // The next piece of the body; empty once the body is complete, which is
  // also when `done()` turns true. The piece lives in a per-thread buffer:
  // use it before the calling coroutine suspends again.
  boost::asio::awaitable<core::Result<std::string_view>> read_some();
  // The whole remaining body, up to `limit` bytes.
  boost::asio::awaitable<core::Result<std::string>> read_all(std::size_t limit);
  bool done() const { return parser_ && parser_->is_done(); }

  // Closes the connection now (client gone, shutdown): a pending read fails.
  void cancel();

  // Body bytes read from now on are also appended to `capture` (the record).
  void capture_into(core::ByteCapture* capture) { capture_ = capture; }

 private:
  boost::asio::awaitable<core::Result<void>> try_start(http::request<http::string_body>& request,
                                                      bool& retryable);
  boost::system::error_code parse_buffered(std::span<char> out, std::size_t& n);

  std::shared_ptr<const Provider> provider_;
  std::unique_ptr<Connection> connection_;
  std::optional<http::response_parser<http::buffer_body>> parser_;
  bool failed_ = false;
  core::ByteCapture* capture_ = nullptr;
};

}  // namespace warden::upstream
