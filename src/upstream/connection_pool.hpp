#pragma once
// Keep-alive connections to upstreams, one pool per I/O thread (a connection
// lives on the io_context that opened it, so the pool needs no lock).

#include <chrono>
#include <memory>
#include <string>
#include <variant>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "core/result.hpp"
#include "upstream/upstream_url.hpp"

namespace warden::upstream {

using PlainStream = boost::beast::tcp_stream;
using TlsStream = boost::beast::ssl_stream<boost::beast::tcp_stream>;

struct Connection {
  std::variant<PlainStream, TlsStream> stream;
  boost::beast::flat_buffer buffer;
  std::string pool_key;
  std::chrono::steady_clock::time_point idle_since;
  bool reused = false;  // came from the pool: it may have been closed by the peer meanwhile

  PlainStream& lowest_layer() {
    if (auto* plain = std::get_if<PlainStream>(&stream)) return *plain;
    return std::get<TlsStream>(stream).next_layer();
  }
};

struct ConnectOptions {
  std::chrono::milliseconds connect_timeout{10000};
  std::chrono::milliseconds idle_timeout{30000};
};

// A live idle connection for `url` from this thread's pool, or a new one
// (resolve, connect, TLS handshake with SNI and certificate + host name checks).
// Errors say which step failed, for the 502 message.
boost::asio::awaitable<core::Result<std::unique_ptr<Connection>>> acquire_connection(
    const UpstreamUrl& url, std::shared_ptr<boost::asio::ssl::context> tls,
    ConnectOptions options);

// Returns a connection whose last response was read completely.
void release_connection(std::unique_ptr<Connection> connection, std::size_t max_idle);

// Closes this thread's idle connections; called by each I/O thread before its
// io_context goes away.
void clear_connection_pool();

}  // namespace warden::upstream
