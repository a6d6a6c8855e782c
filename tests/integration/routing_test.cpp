// Routing by model and both dialects, through the real binaries: one mock
// serves both APIs, configured as an Anthropic and an OpenAI provider.

#include <fstream>

#include <boost/json/serialize.hpp>

#include <gtest/gtest.h>

#include "integration/gateway.hpp"

namespace warden::testing {
namespace {

namespace json = boost::json;

std::vector<std::pair<std::string, std::string>> openai_headers(const std::string& scenario) {
  std::vector<std::pair<std::string, std::string>> headers{
      {"content-type", "application/json"}, {"authorization", "Bearer sk-test-key"}};
  if (!scenario.empty()) headers.emplace_back("x-mock-scenario", scenario);
  return headers;
}

std::string chat_body(const std::string& model, bool stream, bool include_usage = false) {
  json::object body{{"model", model},
                    {"messages", {{{"role", "user"}, {"content", "hi"}}}},
                    {"stream", stream}};
  if (include_usage) body["stream_options"] = {{"include_usage", true}};
  return json::serialize(body);
}

// The text an Anthropic SSE stream or message carries.
std::string anthropic_text(const std::string& body, bool stream) {
  std::string text;
  if (!stream) {
    const json::value message = json::parse(body);
    for (const auto& block : message.at("content").as_array()) {
      if (block.at("type") == "text") text += std::string(block.at("text").as_string());
    }
    return text;
  }
  std::size_t pos = 0;
  while ((pos = body.find("data: ", pos)) != std::string::npos) {
    const auto end = body.find('\n', pos);
    const auto event = json::parse(body.substr(pos + 6, end - pos - 6));
    if (event.at("type") == "content_block_delta" &&
        event.at("delta").at("type") == "text_delta") {
      text += std::string(event.at("delta").at("text").as_string());
    }
    pos = end;
  }
  return text;
}

// The text of an OpenAI chat completion or chunk stream; `done` reports [DONE].
std::string openai_text(const std::string& body, bool stream, bool* done = nullptr) {
  if (!stream) {
    const json::value completion = json::parse(body);
    const auto& content = completion.at("choices").at(0).at("message").at("content");
    return content.is_string() ? std::string(content.as_string()) : "";
  }
  std::string text;
  std::size_t pos = 0;
  while ((pos = body.find("data: ", pos)) != std::string::npos) {
    const auto end = body.find('\n', pos);
    const std::string data = body.substr(pos + 6, end - pos - 6);
    pos = end;
    if (data == "[DONE]") {
      if (done != nullptr) *done = true;
      continue;
    }
    const auto chunk = json::parse(data);
    for (const auto& choice : chunk.at("choices").as_array()) {
      const auto* content = choice.at("delta").as_object().if_contains("content");
      if (content != nullptr && content->is_string()) text += std::string(content->as_string());
    }
  }
  return text;
}

class RoutingTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    mock_ = new Process({"mock-upstream", "--port", "0"});
    const std::string mock = "http://127.0.0.1:" + std::to_string(mock_->port());
    const std::string path = temp_dir() + "/warden.yaml";
    std::ofstream(path) << "listen: 127.0.0.1:0\n"
                           "providers:\n"
                           "  anthropic: { dialect: anthropic, base_url: \"" << mock << "\" }\n"
                           "  openai: { dialect: openai, base_url: \"" << mock << "/v1\", "
                           "models: [gpt-4o] }\n"
                           "routes:\n"
                           "  - { match: fast, provider: anthropic, model: claude-haiku-4-5 }\n"
                           "  - { match: \"claude-*\", provider: anthropic }\n"
                           "  - { match: \"gpt-*\", provider: openai }\n";
    warden_ = new Process({"serve", "--config", path});
  }
  static void TearDownTestSuite() {
    delete warden_;
    delete mock_;
  }
  static HttpResponse openai(const std::string& model, const std::string& scenario, bool stream,
                             std::uint16_t port = 0, bool include_usage = false) {
    return http(port == 0 ? warden_->port() : port,
                {"POST", "/v1/chat/completions", openai_headers(scenario),
                 chat_body(model, stream, include_usage)});
  }
  static HttpResponse anthropic(const std::string& model, const std::string& scenario,
                                bool stream) {
    return http(warden_->port(), {"POST", "/v1/messages", anthropic_headers(scenario),
                                  messages_body(model, stream)});
  }
  static json::array mock_requests() {
    return json::parse(http(mock_->port(), {"GET", "/_mock/requests", {}, ""}).body).as_array();
  }
  static Process* mock_;
  static Process* warden_;
};
Process* RoutingTest::mock_ = nullptr;
Process* RoutingTest::warden_ = nullptr;

TEST_F(RoutingTest, OpenAiClientOnOpenAiModelIsByteIdenticalToDirect) {
  for (bool stream : {false, true}) {
    for (const std::string scenario : {"text", "tool_use", "two_tools"}) {
      const auto direct = openai("gpt-4o", scenario, stream, mock_->port(), stream);
      const auto through = openai("gpt-4o", scenario, stream, 0, stream);
      ASSERT_EQ(through.status, 200u) << through.body;
      EXPECT_EQ(through.body, direct.body) << scenario << " stream=" << stream;
    }
  }
}

TEST_F(RoutingTest, OpenAiClientOnAnthropicModelGetsAValidTranslatedStream) {
  const auto mock_text = anthropic_text(
      http(mock_->port(), {"POST", "/v1/messages", anthropic_headers("text"),
                           messages_body("claude-x", false)})
          .body,
      false);
  bool done = false;
  const auto streamed = openai("claude-sonnet-4-5", "text", true);
  ASSERT_EQ(streamed.status, 200u) << streamed.body;
  EXPECT_EQ(streamed.header("content-type"), "text/event-stream");
  EXPECT_EQ(openai_text(streamed.body, true, &done), mock_text);
  EXPECT_TRUE(done);
  EXPECT_EQ(streamed.body.find("event:"), std::string::npos);

  const auto whole = openai("claude-sonnet-4-5", "text", false);
  ASSERT_EQ(whole.status, 200u) << whole.body;
  EXPECT_EQ(openai_text(whole.body, false), mock_text);
  EXPECT_EQ(json::parse(whole.body).at("model"), "claude-sonnet-4-5");
}

TEST_F(RoutingTest, AnthropicClientOnOpenAiModelGetsAValidTranslatedStream) {
  const auto mock_text = openai_text(openai("gpt-4o", "text", false, mock_->port()).body, false);
  const auto streamed = anthropic("gpt-4o", "text", true);
  ASSERT_EQ(streamed.status, 200u) << streamed.body;
  EXPECT_EQ(anthropic_text(streamed.body, true), mock_text);
  EXPECT_NE(streamed.body.find("event: message_start"), std::string::npos);
  EXPECT_NE(streamed.body.find("event: message_stop"), std::string::npos);

  const auto whole = anthropic("gpt-4o", "text", false);
  ASSERT_EQ(whole.status, 200u) << whole.body;
  EXPECT_EQ(anthropic_text(whole.body, false), mock_text);
}

TEST_F(RoutingTest, AliasRenamesTheModelUpstream) {
  http(mock_->port(), {"DELETE", "/_mock/requests", {}, ""});
  ASSERT_EQ(anthropic("fast", "text", false).status, 200u);
  const auto seen = mock_requests();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(json::parse(seen[0].at("body").as_string()).at("model"), "claude-haiku-4-5");
}

TEST_F(RoutingTest, UnknownModelIs404InTheClientsDialectNamingIt) {
  const auto a = anthropic("llama-3", "text", false);
  EXPECT_EQ(a.status, 404u);
  EXPECT_EQ(json::parse(a.body).at("error").at("type"), "not_found_error");
  EXPECT_NE(a.body.find("llama-3"), std::string::npos);
  const auto o = openai("llama-3", "text", false);
  EXPECT_EQ(o.status, 404u);
  const json::value error = json::parse(o.body).at("error");
  EXPECT_EQ(error.at("param"), "model");
  EXPECT_NE(std::string(error.at("message").as_string()).find("llama-3"), std::string::npos);
  EXPECT_TRUE(error.as_object().contains("code"));
}

TEST_F(RoutingTest, OpenAiClientErrorsUseTheOpenAiShape) {
  const auto n2 = http(warden_->port(),
                       {"POST", "/v1/chat/completions", openai_headers("text"),
                        R"({"model":"gpt-4o","n":2,"messages":[{"role":"user","content":"x"}]})"});
  EXPECT_EQ(n2.status, 400u);
  EXPECT_EQ(json::parse(n2.body).at("error").at("param"), "n");
  HttpRequest no_key{"POST", "/v1/chat/completions", {{"content-type", "application/json"}},
                     chat_body("gpt-4o", false)};
  const auto unauthorized = http(warden_->port(), no_key);
  EXPECT_EQ(unauthorized.status, 401u);
  EXPECT_EQ(json::parse(unauthorized.body).at("error").at("code"), "invalid_api_key");
  const auto bad_json = http(warden_->port(), {"POST", "/v1/chat/completions",
                                               openai_headers("text"), "{nope"});
  EXPECT_EQ(bad_json.status, 400u);
  EXPECT_EQ(json::parse(bad_json.body).at("error").at("type"), "invalid_request_error");
}

TEST_F(RoutingTest, UpstreamErrorsAreTranslatedAcrossDialects) {
  const auto o = openai("claude-sonnet-4-5", "error_429", false);
  EXPECT_EQ(o.status, 429u);
  EXPECT_TRUE(json::parse(o.body).as_object().contains("error"));
  EXPECT_EQ(o.header("retry-after"), "1");
  const auto overloaded = openai("claude-sonnet-4-5", "error_529", false);
  EXPECT_EQ(overloaded.status, 503u);
  const auto a = anthropic("gpt-4o", "error_401", false);
  EXPECT_EQ(a.status, 401u);
  EXPECT_EQ(json::parse(a.body).at("error").at("type"), "authentication_error");
}

TEST_F(RoutingTest, MidStreamErrorReachesAnOpenAiClientAsAnErrorChunk) {
  const auto streamed = openai("claude-sonnet-4-5", "midstream_error", true);
  ASSERT_EQ(streamed.status, 200u);
  EXPECT_NE(streamed.body.find("data: {\"error\""), std::string::npos) << streamed.body;
  EXPECT_EQ(streamed.body.find("[DONE]"), std::string::npos);
  const auto dropped = openai("claude-sonnet-4-5", "drop", true);
  EXPECT_NE(dropped.body.find("data: {\"error\""), std::string::npos) << dropped.body;
  EXPECT_EQ(dropped.body.find("[DONE]"), std::string::npos);
}

TEST_F(RoutingTest, CountTokensIsEstimatedForOpenAiModels) {
  const auto response = http(warden_->port(),
                             {"POST", "/v1/messages/count_tokens?beta=true", anthropic_headers(),
                              R"({"model":"gpt-4o","messages":[{"role":"user","content":")" +
                                  std::string(400, 'a') + R"("}]})"});
  ASSERT_EQ(response.status, 200u);
  const auto tokens = json::parse(response.body).at("input_tokens").to_number<std::int64_t>();
  EXPECT_GT(tokens, 90);
  EXPECT_LT(tokens, 200);
}

TEST_F(RoutingTest, ModelsListsWhatTheRoutesServeInEitherDialect) {
  const auto o = http(warden_->port(), {"GET", "/v1/models", {}, ""});
  ASSERT_EQ(o.status, 200u);
  const auto openai_list = json::parse(o.body);
  EXPECT_EQ(openai_list.at("object"), "list");
  std::vector<std::string> ids;
  for (const auto& m : openai_list.at("data").as_array()) ids.emplace_back(m.at("id").as_string());
  EXPECT_EQ(ids, (std::vector<std::string>{"fast", "gpt-4o"}));
  const auto a = http(warden_->port(), {"GET", "/v1/models?beta=true",
                                        {{"anthropic-version", "2023-06-01"}}, ""});
  const auto anthropic_list = json::parse(a.body);
  EXPECT_EQ(anthropic_list.at("data").at(0).at("type"), "model");
  EXPECT_EQ(anthropic_list.at("has_more"), false);
  EXPECT_EQ(http(warden_->port(), {"GET", "/v1/models/claude-opus-4", {}, ""}).status, 200u);
  EXPECT_EQ(http(warden_->port(), {"GET", "/v1/models/llama", {}, ""}).status, 404u);
}

}  // namespace
}  // namespace warden::testing
