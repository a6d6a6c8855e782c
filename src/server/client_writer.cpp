#include "server/client_writer.hpp"

#include <sys/socket.h>

#include <array>
#include <cstdio>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/write.hpp>

namespace warden::server {

namespace asio = boost::asio;

namespace {
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
}

asio::awaitable<bool> ClientWriter::write_response(http::response<http::string_body>& response) {
  response.prepare_payload();
  status_ = response.result_int();
  if (capture_ != nullptr) capture_->add(response.body());
  stream_.expires_after(write_timeout_);
  auto [ec, n] = co_await http::async_write(stream_, response, kNoThrow);
  co_return !ec;
}

asio::awaitable<bool> ClientWriter::start_stream(http::response<http::empty_body>& head) {
  head.chunked(true);
  status_ = head.result_int();
  http::response_serializer<http::empty_body> serializer(head);
  stream_.expires_after(write_timeout_);
  auto [ec, n] = co_await http::async_write_header(stream_, serializer, kNoThrow);
  co_return !ec;
}

// One chunk (none when `bytes` is empty), then the last chunk when `last`:
// chunked framing written by hand so that both go out in one gathered write.
asio::awaitable<bool> ClientWriter::write(std::string_view bytes, bool last) {
  if (capture_ != nullptr) capture_->add(bytes);
  char size[20];
  const int size_length = bytes.empty() ? 0 : std::snprintf(size, sizeof size, "%zx\r\n", bytes.size());
  static constexpr std::string_view kChunkEnd = "\r\n";
  static constexpr std::string_view kLastChunk = "0\r\n\r\n";
  const std::array<asio::const_buffer, 4> buffers{
      asio::buffer(size, static_cast<std::size_t>(size_length)), asio::buffer(bytes),
      asio::buffer(bytes.empty() ? std::string_view{} : kChunkEnd),
      asio::buffer(last ? kLastChunk : std::string_view{})};
  stream_.expires_after(write_timeout_);
  auto [ec, n] = co_await asio::async_write(stream_, buffers, kNoThrow);
  stalled_ = ec == boost::beast::error::timeout;
  co_return !ec;
}

asio::awaitable<bool> ClientWriter::finish_stream() { return write({}, true); }

asio::awaitable<bool> ClientWriter::wait_disconnect() {
  auto& socket = stream_.socket();
  while (true) {
    auto [ec] = co_await socket.async_wait(asio::ip::tcp::socket::wait_read, kNoThrow);
    if (ec == asio::error::operation_aborted) co_return false;
    if (ec) co_return true;
    char probe;
    const ssize_t n = ::recv(socket.native_handle(), &probe, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) continue;
    if (n <= 0) co_return true;  // orderly close or reset
    // The client sent its next request early: it is still there. Wait to be cancelled.
    asio::steady_timer forever(socket.get_executor(), asio::steady_timer::time_point::max());
    co_await forever.async_wait(kNoThrow);
    co_return false;
  }
}

}  // namespace warden::server
