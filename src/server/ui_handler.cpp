#include "server/ui_handler.hpp"

#include "admin/web_assets.hpp"

namespace warden::server {

namespace asio = boost::asio;

namespace {

constexpr std::string_view kContentSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
constexpr std::string_view kAssets = "/ui/assets/";

asio::awaitable<bool> answer(ClientWriter& client, const http::request<http::string_body>& request,
                             bool keep_alive, http::status status, std::string_view type,
                             std::string_view body) {
  http::response<http::string_body> response{status, request.version()};
  response.set(http::field::content_type, type);
  response.set(http::field::cache_control, "no-cache");
  response.set("content-security-policy", kContentSecurityPolicy);
  response.set("x-content-type-options", "nosniff");
  response.set("x-frame-options", "DENY");
  response.set("referrer-policy", "no-referrer");
  response.keep_alive(keep_alive);
  if (request.method() != http::verb::head) response.body() = body;
  response.prepare_payload();
  if (request.method() == http::verb::head) response.content_length(body.size());
  const bool written = co_await client.write_response(response);
  co_return written && keep_alive;
}

}  // namespace

asio::awaitable<bool> handle_ui(ClientWriter& client,
                                const http::request<http::string_body>& request,
                                bool keep_alive) {
  const std::string_view target = request.target();
  const std::string_view path = target.substr(0, target.find('?'));
  if (request.method() != http::verb::get && request.method() != http::verb::head) {
    co_return co_await answer(client, request, keep_alive, http::status::method_not_allowed,
                              "text/plain; charset=utf-8", "Method not allowed: use GET\n");
  }
  if (path == "/ui" || path == "/ui/") {
    http::response<http::string_body> moved{http::status::found, request.version()};
    moved.set(http::field::location, "/ui/activity");
    moved.keep_alive(keep_alive);
    const bool written = co_await client.write_response(moved);
    co_return written && keep_alive;
  }
  std::string_view file = "index.html";
  if (path.starts_with(kAssets)) file = path.substr(kAssets.size());
  const admin::WebAsset* asset = admin::find_web_asset(file);
  if (asset == nullptr) {
    co_return co_await answer(client, request, keep_alive, http::status::not_found,
                              "text/plain; charset=utf-8", "Not found\n");
  }
  co_return co_await answer(client, request, keep_alive, http::status::ok,
                            admin::content_type_of(file), asset->bytes);
}

}  // namespace warden::server
