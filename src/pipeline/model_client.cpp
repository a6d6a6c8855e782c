#include "pipeline/model_client.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "core/json_util.hpp"
#include "upstream/upstream_client.hpp"

namespace warden::pipeline {

namespace asio = boost::asio;
namespace json = boost::json;
namespace http = boost::beast::http;
using namespace asio::experimental::awaitable_operators;
using core::ErrorKind;

namespace {

constexpr std::size_t kMaxAnswerBytes = 1 << 20;

http::request<http::string_body> build_request(const upstream::Provider& provider,
                                               const std::string& model,
                                               const policy::ModelRequest& request) {
  http::request<http::string_body> out;
  out.method(http::verb::post);
  out.version(11);
  out.set(http::field::host, provider.url.host_header());
  out.set(http::field::content_type, "application/json");
  json::object body{{"model", model},
                    {"max_tokens", request.max_tokens},
                    {"temperature", request.temperature}};
  if (provider.dialect == core::Dialect::kAnthropic) {
    out.target(provider.url.base_path + "/v1/messages");
    out.set("anthropic-version", provider.config.anthropic_version);
    if (!provider.config.api_key.empty()) out.set("x-api-key", provider.config.api_key);
    if (!request.system.empty()) body["system"] = request.system;
    body["messages"] = json::array{json::object{{"role", "user"}, {"content", request.user}}};
  } else {
    out.target(provider.url.base_path + "/chat/completions");
    if (!provider.config.api_key.empty()) {
      out.set(http::field::authorization, "Bearer " + provider.config.api_key);
    }
    json::array messages;
    if (!request.system.empty()) {
      messages.push_back(json::object{{"role", "system"}, {"content", request.system}});
    }
    messages.push_back(json::object{{"role", "user"}, {"content", request.user}});
    body["messages"] = std::move(messages);
  }
  out.body() = json::serialize(body);
  out.prepare_payload();
  return out;
}

// The answer's text: Anthropic's text blocks joined, or OpenAI's message content.
core::Result<std::string> answer_text(core::Dialect dialect, std::string_view body) {
  boost::system::error_code ec;
  const json::value parsed = json::parse(body, ec);
  if (ec || !parsed.is_object()) {
    return core::fail(ErrorKind::kUpstreamFailed, "the model's answer is not JSON");
  }
  const json::object& answer = parsed.get_object();
  std::string text;
  if (dialect == core::Dialect::kAnthropic) {
    if (const auto* content = answer.if_contains("content"); content && content->is_array()) {
      for (const auto& block : content->get_array()) {
        if (block.is_object() && core::string_at(block.get_object(), "type") == "text") {
          text += core::string_at(block.get_object(), "text");
        }
      }
    }
  } else if (const auto* choices = answer.if_contains("choices");
             choices && choices->is_array() && !choices->get_array().empty() &&
             choices->get_array()[0].is_object()) {
    if (const auto* message = choices->get_array()[0].get_object().if_contains("message");
        message && message->is_object()) {
      text = core::string_at(message->get_object(), "content");
    }
  }
  if (text.empty()) return core::fail(ErrorKind::kUpstreamFailed, "the model's answer has no text");
  return text;
}

class ProviderModelClient final : public policy::ModelClient {
 public:
  ProviderModelClient(std::shared_ptr<const upstream::Provider> provider, std::string model)
      : provider_(std::move(provider)), model_(std::move(model)) {}

  asio::awaitable<core::Result<std::string>> complete(policy::ModelRequest request) override {
    asio::steady_timer deadline(co_await asio::this_coro::executor, request.timeout);
    upstream::UpstreamCall call(provider_);
    auto exchange = co_await (ask(call, request) || deadline.async_wait(asio::use_awaitable));
    if (exchange.index() == 1) {
      co_return core::fail(ErrorKind::kTimeout,
                           "no answer from " + provider_->config.name + " within the timeout");
    }
    co_return std::move(std::get<0>(exchange));
  }

 private:
  asio::awaitable<core::Result<std::string>> ask(upstream::UpstreamCall& call,
                                                 const policy::ModelRequest& request) {
    auto started = co_await call.start(build_request(*provider_, model_, request));
    if (!started) co_return tl::unexpected(std::move(started.error()));
    auto body = co_await call.read_all(kMaxAnswerBytes);
    if (!body) co_return tl::unexpected(std::move(body.error()));
    if (call.status() != 200) {
      co_return core::fail(ErrorKind::kUpstreamFailed,
                           provider_->config.name + " answered HTTP " +
                               std::to_string(call.status()));
    }
    co_return answer_text(provider_->dialect, *body);
  }

  std::shared_ptr<const upstream::Provider> provider_;
  std::string model_;
};

}  // namespace

policy::ModelClientFactory model_client_factory(const upstream::Router& router) {
  return [&router](std::string_view provider,
                   std::string_view model) -> std::shared_ptr<policy::ModelClient> {
    auto found = router.provider(provider);
    if (!found) return nullptr;
    return std::make_shared<ProviderModelClient>(std::move(found), std::string(model));
  };
}

}  // namespace warden::pipeline
