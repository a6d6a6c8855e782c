#include "upstream/connection_pool.hpp"

#include <sys/socket.h>

#include <unordered_map>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <openssl/ssl.h>

namespace warden::upstream {

namespace asio = boost::asio;
using asio::ip::tcp;
using core::ErrorKind;

namespace {

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

using IdleList = std::vector<std::unique_ptr<Connection>>;
thread_local std::unordered_map<std::string, IdleList> t_idle;

// An idle connection the peer has closed (or sent stray bytes on) must not be reused.
bool still_usable(Connection& c) {
  char probe;
  const int fd = c.lowest_layer().socket().native_handle();
  const ssize_t n = ::recv(fd, &probe, 1, MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

bool is_ip_literal(const std::string& host) {
  boost::system::error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

std::string describe(const std::string& step, const UpstreamUrl& url,
                     const boost::system::error_code& ec) {
  return step + " " + url.host + ":" + std::to_string(url.port) + " failed: " + ec.message();
}

}  // namespace

asio::awaitable<core::Result<std::unique_ptr<Connection>>> acquire_connection(
    const UpstreamUrl& url, std::shared_ptr<asio::ssl::context> tls, ConnectOptions options) {
  const std::string key = url.pool_key();
  if (auto it = t_idle.find(key); it != t_idle.end()) {
    auto& idle = it->second;
    const auto now = std::chrono::steady_clock::now();
    while (!idle.empty()) {
      std::unique_ptr<Connection> c = std::move(idle.back());
      idle.pop_back();
      if (now - c->idle_since < options.idle_timeout && still_usable(*c)) {
        c->reused = true;
        co_return c;
      }
    }
  }

  auto executor = co_await asio::this_coro::executor;
  tcp::resolver resolver(executor);
  auto [resolve_ec, endpoints] =
      co_await resolver.async_resolve(url.host, std::to_string(url.port), kNoThrow);
  if (resolve_ec) co_return core::fail(ErrorKind::kUpstreamFailed, describe("DNS lookup of", url, resolve_ec));

  PlainStream plain(executor);
  plain.expires_after(options.connect_timeout);
  auto [connect_ec, endpoint] = co_await plain.async_connect(endpoints, kNoThrow);
  if (connect_ec) {
    const std::string what = connect_ec == boost::beast::error::timeout
                                 ? "connecting to " + url.host + ":" + std::to_string(url.port) +
                                       " timed out"
                                 : describe("connecting to", url, connect_ec);
    co_return core::fail(ErrorKind::kUpstreamFailed, what);
  }
  plain.socket().set_option(tcp::no_delay(true));

  std::unique_ptr<Connection> connection;
  if (!url.tls) {
    connection.reset(new Connection{std::move(plain), {}, key, {}, false});
  } else {
    TlsStream stream(std::move(plain), *tls);
    if (!is_ip_literal(url.host) &&
        !SSL_set_tlsext_host_name(stream.native_handle(), url.host.c_str())) {
      co_return core::fail(ErrorKind::kUpstreamFailed, "cannot set TLS SNI for " + url.host);
    }
    stream.set_verify_callback(asio::ssl::host_name_verification(url.host));
    auto [hs_ec] = co_await stream.async_handshake(asio::ssl::stream_base::client, kNoThrow);
    if (hs_ec) {
      const std::string what = hs_ec == boost::beast::error::timeout
                                   ? "TLS handshake with " + url.host + " timed out"
                                   : describe("TLS handshake with", url, hs_ec);
      co_return core::fail(ErrorKind::kUpstreamFailed, what);
    }
    connection.reset(new Connection{std::move(stream), {}, key, {}, false});
  }
  connection->lowest_layer().expires_never();
  co_return connection;
}

void release_connection(std::unique_ptr<Connection> connection, std::size_t max_idle) {
  auto& idle = t_idle[connection->pool_key];
  if (idle.size() >= max_idle) return;  // closing it is cheaper than holding it
  connection->lowest_layer().expires_never();
  connection->idle_since = std::chrono::steady_clock::now();
  connection->reused = false;
  idle.push_back(std::move(connection));
}

void clear_connection_pool() { t_idle.clear(); }

}  // namespace warden::upstream
