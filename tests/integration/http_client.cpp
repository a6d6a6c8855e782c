#include "integration/http_client.hpp"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <sstream>
#include <stdexcept>
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

namespace warden::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bh = beast::http;
using asio::ip::tcp;

namespace {

bh::request<bh::string_body> to_beast(const HttpRequest& request, std::uint16_t port) {
  bh::request<bh::string_body> out{bh::string_to_verb(request.method), request.target, 11};
  out.set(bh::field::host, "127.0.0.1:" + std::to_string(port));
  for (const auto& [name, value] : request.headers) out.insert(name, value);
  out.body() = request.body;
  if (!request.body.empty() || request.method == "POST") out.prepare_payload();
  return out;
}

void fill_head(const bh::response_header<>& head, HttpResponse& response) {
  response.status = head.result_int();
  for (const auto& field : head) {
    std::string name(field.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(c));
    auto& slot = response.headers[name];
    slot += (slot.empty() ? "" : ", ") + std::string(field.value());
  }
}

}  // namespace

struct HttpConnection::Impl {
  asio::io_context io;
  tcp::socket socket{io};
  beast::flat_buffer buffer;
  std::uint16_t port;
};

HttpConnection::HttpConnection(std::uint16_t port)
    : impl_(std::make_unique<Impl>()) {
  impl_->port = port;
  impl_->socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
}

HttpConnection::~HttpConnection() = default;

HttpResponse HttpConnection::send(const HttpRequest& request) {
  auto message = to_beast(request, impl_->port);
  bh::write(impl_->socket, message);
  bh::response_parser<bh::string_body> parser;
  parser.body_limit(256 * 1024 * 1024);
  HttpResponse response;
  boost::system::error_code ec;
  bh::read_header(impl_->socket, impl_->buffer, parser, ec);
  if (ec) return response;
  fill_head(parser.get().base(), response);
  bh::read(impl_->socket, impl_->buffer, parser, ec);
  response.body = parser.get().body();
  response.complete = !ec && parser.is_done();
  return response;
}

HttpResponse HttpConnection::send_and_read_prefix(const HttpRequest& request, std::size_t n) {
  auto message = to_beast(request, impl_->port);
  bh::write(impl_->socket, message);
  bh::response_parser<bh::string_body> parser;
  HttpResponse response;
  boost::system::error_code ec;
  bh::read_header(impl_->socket, impl_->buffer, parser, ec);
  if (ec) return response;
  fill_head(parser.get().base(), response);
  while (parser.get().body().size() < n && !parser.is_done()) {
    bh::read_some(impl_->socket, impl_->buffer, parser, ec);
    if (ec) break;
  }
  response.body = parser.get().body();
  return response;
}

void HttpConnection::close() {
  boost::system::error_code ignored;
  impl_->socket.shutdown(tcp::socket::shutdown_both, ignored);
  impl_->socket.close(ignored);
}

bool HttpConnection::peer_closed() {
  char c;
  boost::system::error_code ec;
  const std::size_t n = impl_->socket.read_some(asio::buffer(&c, 1), ec);
  return n == 0 && ec;
}

HttpResponse http(std::uint16_t port, const HttpRequest& request) {
  HttpConnection connection(port);
  return connection.send(request);
}

namespace {

int connect_loopback(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    throw std::runtime_error("cannot connect to port " + std::to_string(port));
  }
  return fd;
}

}  // namespace

std::string raw_exchange(std::uint16_t port, const std::string& bytes,
                         std::chrono::milliseconds timeout) {
  const int fd = connect_loopback(port);
  (void)!::write(fd, bytes.data(), bytes.size());
  std::string out;
  char buf[4096];
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd p{fd, POLLIN, 0};
    if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return out;
}

void send_and_abandon(std::uint16_t port, const std::string& bytes,
                      std::chrono::milliseconds linger) {
  const int fd = connect_loopback(port);
  (void)!::write(fd, bytes.data(), bytes.size());
  std::this_thread::sleep_for(linger);
  ::close(fd);
}

std::string serialize(const HttpRequest& request, std::uint16_t port) {
  std::ostringstream out;
  out << to_beast(request, port);
  return out.str();
}

std::string messages_body(const std::string& model, bool stream, const std::string& text) {
  boost::json::object body{{"model", model},
                           {"max_tokens", 64},
                           {"messages", {{{"role", "user"}, {"content", text}}}},
                           {"stream", stream}};
  return boost::json::serialize(body);
}

std::vector<std::pair<std::string, std::string>> anthropic_headers(const std::string& scenario,
                                                                   const std::string& key) {
  std::vector<std::pair<std::string, std::string>> headers{
      {"content-type", "application/json"}, {"anthropic-version", "2023-06-01"}};
  if (!key.empty()) headers.emplace_back("x-api-key", key);
  if (!scenario.empty()) headers.emplace_back("x-mock-scenario", scenario);
  return headers;
}

}  // namespace warden::testing
