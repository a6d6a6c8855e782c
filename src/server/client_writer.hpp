#pragma once
// Writes responses to one client connection: whole ones, or a chunked stream
// (header once, then one chunk per write, the last chunk with the last write
// or alone). Also watches
// for the client going away while a stream is in flight.

#include <chrono>
#include <string_view>

#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "core/byte_capture.hpp"
#include "pipeline/stream_pipeline.hpp"

namespace warden::server {

namespace http = boost::beast::http;

class ClientWriter final : public pipeline::ClientStream {
 public:
  // A write that cannot proceed for `write_timeout` (client not reading) fails.
  ClientWriter(boost::beast::tcp_stream& stream, std::chrono::milliseconds write_timeout)
      : stream_(stream), write_timeout_(write_timeout) {}

  boost::asio::awaitable<bool> write_response(http::response<http::string_body>& response);
  // Sends the status and headers of a chunked response.
  boost::asio::awaitable<bool> start_stream(http::response<http::empty_body>& head);
  boost::asio::awaitable<bool> finish_stream();

  // pipeline::ClientStream
  boost::asio::awaitable<bool> write(std::string_view bytes, bool last) override;
  boost::asio::awaitable<bool> wait_disconnect() override;
  bool stalled() const override { return stalled_; }

  // Body bytes written from now on are also appended to `capture` (the record).
  void capture_into(core::ByteCapture* capture) { capture_ = capture; }
  // The status of the last response started; 0 before any.
  unsigned status() const { return status_; }

 private:
  boost::beast::tcp_stream& stream_;
  std::chrono::milliseconds write_timeout_;
  bool stalled_ = false;
  core::ByteCapture* capture_ = nullptr;
  unsigned status_ = 0;
};

}  // namespace warden::server
