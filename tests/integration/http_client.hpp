#pragma once
// A small blocking HTTP/1.1 client for integration tests (Beast, sync), plus
// raw-bytes helpers for malformed input.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace warden::testing {

struct HttpRequest {
  std::string method = "POST";
  std::string target = "/v1/messages";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

struct HttpResponse {
  unsigned status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;                             // de-chunked
  bool complete = false;                        // the message ended properly
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

// One keep-alive connection. Reads block; ctest's per-test timeout bounds a hang.
class HttpConnection {
 public:
  explicit HttpConnection(std::uint16_t port);
  ~HttpConnection();
  HttpResponse send(const HttpRequest& request);
  // Reads only the response head and the first `n` body bytes, then returns.
  HttpResponse send_and_read_prefix(const HttpRequest& request, std::size_t n);
  void close();
  bool peer_closed();  // true once the server closed the connection

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

HttpResponse http(std::uint16_t port, const HttpRequest& request);

// Sends `bytes` as they are and returns everything read until the server
// closes the connection or `timeout` passes.
std::string raw_exchange(std::uint16_t port, const std::string& bytes,
                         std::chrono::milliseconds timeout = std::chrono::seconds(10));

// Sends `bytes`, waits `linger`, and closes the connection without reading.
void send_and_abandon(std::uint16_t port, const std::string& bytes,
                      std::chrono::milliseconds linger);

// The bytes of a whole HTTP/1.1 request.
std::string serialize(const HttpRequest& request, std::uint16_t port);

// A /v1/messages body: {"model":…,"max_tokens":64,"messages":[user: text],"stream":…}.
std::string messages_body(const std::string& model, bool stream, const std::string& text = "hi");

// Headers every Anthropic client sends.
std::vector<std::pair<std::string, std::string>> anthropic_headers(
    const std::string& scenario = "", const std::string& key = "sk-test-key");

}  // namespace warden::testing
