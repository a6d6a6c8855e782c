#include "server/models_handler.hpp"

#include <boost/json/serialize.hpp>

#include "server/completion_handler.hpp"

namespace warden::server {

namespace json = boost::json;

namespace {

// A fixed creation date: Warden does not know when an upstream made a model.
constexpr std::string_view kCreatedAt = "2025-01-01T00:00:00Z";
constexpr std::int64_t kCreated = 1735689600;

json::object model_object(const std::string& id, bool anthropic, const Services& services) {
  if (anthropic) {
    return {{"type", "model"}, {"id", id}, {"display_name", id}, {"created_at", kCreatedAt}};
  }
  const auto route = services.router->route(id);
  return {{"id", id},
          {"object", "model"},
          {"created", kCreated},
          {"owned_by", route ? route->provider->config.name : "warden"}};
}

}  // namespace

boost::asio::awaitable<bool> handle_models(ClientWriter& client,
                                           const http::request<http::string_body>& request,
                                           const Services& services) {
  const bool anthropic = !request["anthropic-version"].empty();
  const core::Dialect dialect = anthropic ? core::Dialect::kAnthropic : core::Dialect::kOpenAi;
  const bool keep_alive = request.keep_alive() && !services.draining.load();
  const std::string_view target = request.target();
  const std::string_view path = target.substr(0, target.find('?'));
  constexpr std::string_view kPrefix = "/v1/models/";

  if (path.starts_with(kPrefix)) {
    const std::string id(path.substr(kPrefix.size()));
    if (!services.router->route(id)) {
      const core::Error error{core::ErrorKind::kNotFound, "model '" + id + "' is not served here",
                              "model"};
      co_return co_await reply_error(client, dialect, request.version(), keep_alive, error);
    }
    co_return co_await reply_json(client, request.version(), keep_alive, 200,
                                  json::serialize(model_object(id, anthropic, services)));
  }
  json::array data;
  for (const auto& id : services.router->listed_models()) {
    data.push_back(model_object(id, anthropic, services));
  }
  json::object body;
  if (anthropic) {
    body = {{"data", data},
            {"has_more", false},
            {"first_id", data.empty() ? json::value(nullptr) : data.front().at("id")},
            {"last_id", data.empty() ? json::value(nullptr) : data.back().at("id")}};
  } else {
    body = {{"object", "list"}, {"data", data}};
  }
  co_return co_await reply_json(client, request.version(), keep_alive, 200, json::serialize(body));
}

}  // namespace warden::server
