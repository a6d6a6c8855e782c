#include "api/anthropic/request_decoder.hpp"

#include <string>
#include <string_view>

#include <boost/json.hpp>
#include <gtest/gtest.h>

namespace warden::api::anthropic {
namespace {

namespace json = boost::json;
using core::ErrorKind;

core::Request decode_ok(std::string_view body, Endpoint endpoint = Endpoint::kMessages) {
  auto result = decode_request(std::string(body), endpoint);
  EXPECT_TRUE(result.has_value()) << (result ? "" : result.error().message);
  return result ? std::move(*result) : core::Request{};
}

// Asserts a 400 whose message starts with `field` (the way the API names fields:
// "max_tokens: Field required").
void expect_invalid(std::string_view body, std::string_view field,
                    Endpoint endpoint = Endpoint::kMessages) {
  SCOPED_TRACE(body);
  const auto result = decode_request(std::string(body), endpoint);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().kind, ErrorKind::kInvalidRequest);
  EXPECT_TRUE(result.error().message.starts_with(std::string(field) + ":"))
      << "message: " << result.error().message;
}

// --- Valid bodies ---------------------------------------------------------------------------

TEST(DecodeRequest, MinimalBody) {
  const auto request = decode_ok(R"({"model":"claude-sonnet-4-5","max_tokens":1024,)"
                                 R"("messages":[{"role":"user","content":"Hello"}]})");
  EXPECT_EQ(request.dialect, core::Dialect::kAnthropic);
  EXPECT_EQ(request.model, "claude-sonnet-4-5");
  EXPECT_FALSE(request.stream);
  EXPECT_FALSE(request.body_modified);
  EXPECT_EQ(request.body.at("max_tokens").as_int64(), 1024);
}

TEST(DecodeRequest, OriginalBodyIsKeptByteForByte) {
  // Whitespace, key order, escapes, unknown fields and blocks: all preserved in original_body.
  const std::string body =
      "{\n  \"model\" : \"claude-opus-4-1\",\r\n\t\"max_tokens\": 8192,\n"
      "  \"system\": [{\"type\":\"text\",\"text\":\"Be "
      "brief\",\"cache_control\":{\"type\":\"ephemeral\"}}],\n"
      "  \"messages\": [\n"
      "    {\"role\": \"system\", \"content\": \"legacy system turn\"},\n"
      "    {\"role\": \"user\", \"content\": [{\"type\": \"text\", \"text\": \"caf\\u00e9 \\/ "
      "\xF0\x9F\x8C\xB0\"},"
      " {\"type\": \"future_block\", \"payload\": {\"x\": [1, 2.50, 1e3]}}]},\n"
      "    {\"role\": \"assistant\", \"content\": [{\"type\": \"thinking\", \"thinking\": \"...\","
      " \"signature\": \"EqQBCgIYAhIM\"}]}\n"
      "  ],\n"
      "  \"thinking\": {\"type\": \"enabled\", \"budget_tokens\": 4096},\n"
      "  \"some_future_field\": {\"nested\": null},\n"
      "  \"metadata\": {\"user_id\": \"u-1\"}\n"
      "}\n";
  const auto request = decode_ok(body);
  EXPECT_EQ(request.original_body, body);
  EXPECT_EQ(request.model, "claude-opus-4-1");
  EXPECT_EQ(json::value(request.body), json::parse(body));
  const auto& messages = request.body.at("messages").as_array();
  ASSERT_EQ(messages.size(), 3u);
  EXPECT_EQ(messages[0].at("role").as_string(), "system");
  EXPECT_EQ(messages[1].at("content").at(1).at("type").as_string(), "future_block");
  EXPECT_TRUE(request.body.contains("some_future_field"));
}

TEST(DecodeRequest, EmptyMessagesArrayIsAcceptedUpstreamDecides) {
  EXPECT_TRUE(decode_request(R"({"model":"m","max_tokens":1,"messages":[]})", Endpoint::kMessages));
}

TEST(DecodeRequest, StreamFlag) {
  EXPECT_TRUE(decode_ok(R"({"model":"m","max_tokens":1,"messages":[],"stream":true})").stream);
  EXPECT_FALSE(decode_ok(R"({"model":"m","max_tokens":1,"messages":[],"stream":false})").stream);
  EXPECT_FALSE(decode_ok(R"({"model":"m","max_tokens":1,"messages":[],"stream":null})").stream);
  EXPECT_FALSE(decode_ok(R"({"model":"m","max_tokens":1,"messages":[]})").stream);
}

TEST(DecodeRequest, StreamThatIsNotABooleanIsInvalid) {
  expect_invalid(R"({"model":"m","max_tokens":1,"messages":[],"stream":"true"})", "stream");
  expect_invalid(R"({"model":"m","max_tokens":1,"messages":[],"stream":1})", "stream");
  expect_invalid(R"({"model":"m","max_tokens":1,"messages":[],"stream":{}})", "stream");
}

TEST(DecodeRequest, LargeMaxTokensIsAnInteger) {
  EXPECT_TRUE(decode_request(R"({"model":"m","max_tokens":18446744073709551615,"messages":[]})",
                             Endpoint::kMessages));
}

// --- Missing or mistyped fields -------------------------------------------------------------

TEST(DecodeRequest, MissingModelNamesTheField) {
  expect_invalid(R"({"max_tokens":1,"messages":[]})", "model");
}

TEST(DecodeRequest, ModelMustBeANonEmptyString) {
  expect_invalid(R"({"model":"","max_tokens":1,"messages":[]})", "model");
  expect_invalid(R"({"model":7,"max_tokens":1,"messages":[]})", "model");
  expect_invalid(R"({"model":null,"max_tokens":1,"messages":[]})", "model");
  expect_invalid(R"({"model":["m"],"max_tokens":1,"messages":[]})", "model");
}

TEST(DecodeRequest, MissingMessagesNamesTheField) {
  expect_invalid(R"({"model":"m","max_tokens":1})", "messages");
}

TEST(DecodeRequest, MessagesMustBeAList) {
  expect_invalid(R"({"model":"m","max_tokens":1,"messages":{}})", "messages");
  expect_invalid(R"({"model":"m","max_tokens":1,"messages":"hi"})", "messages");
  expect_invalid(R"({"model":"m","max_tokens":1,"messages":null})", "messages");
}

TEST(DecodeRequest, MissingMaxTokensNamesTheField) {
  expect_invalid(R"({"model":"m","messages":[]})", "max_tokens");
  const auto result = decode_request(R"({"model":"m","messages":[]})", Endpoint::kMessages);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().message, "max_tokens: Field required");
}

TEST(DecodeRequest, MaxTokensMustBeAnInteger) {
  expect_invalid(R"({"model":"m","max_tokens":"1024","messages":[]})", "max_tokens");
  expect_invalid(R"({"model":"m","max_tokens":1.5,"messages":[]})", "max_tokens");
  expect_invalid(R"({"model":"m","max_tokens":null,"messages":[]})", "max_tokens");
  expect_invalid(R"({"model":"m","max_tokens":true,"messages":[]})", "max_tokens");
}

TEST(DecodeRequest, EmptyObjectReportsModelFirst) { expect_invalid("{}", "model"); }

// --- Not JSON, not an object ----------------------------------------------------------------

TEST(DecodeRequest, InvalidJsonIsAnInvalidRequest) {
  for (std::string_view body : {"", "{", "{\"model\":", "not json", "{\"model\":\"m\",}",
                                "{\"model\":\"m\"} trailing", "{'model':'m'}", "\xFF\xFE{}"}) {
    SCOPED_TRACE(testing::PrintToString(std::string(body)));
    const auto result = decode_request(std::string(body), Endpoint::kMessages);
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().kind, ErrorKind::kInvalidRequest);
    EXPECT_NE(result.error().message.find("JSON"), std::string::npos) << result.error().message;
  }
}

TEST(DecodeRequest, NonObjectJsonIsAnInvalidRequest) {
  for (std::string_view body : {"[]", "[{\"model\":\"m\"}]", "\"body\"", "42", "null", "true"}) {
    SCOPED_TRACE(body);
    const auto result = decode_request(std::string(body), Endpoint::kMessages);
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().kind, ErrorKind::kInvalidRequest);
    EXPECT_NE(result.error().message.find("object"), std::string::npos) << result.error().message;
  }
}

// --- count_tokens ---------------------------------------------------------------------------

TEST(DecodeRequest, CountTokensNeedsNoMaxTokens) {
  const std::string body =
      R"({"model":"claude-sonnet-4-5","messages":[{"role":"user","content":"Hi"}],)"
      R"("tools":[{"name":"get_weather","input_schema":{"type":"object"}}]})";
  const auto request = decode_ok(body, Endpoint::kCountTokens);
  EXPECT_EQ(request.model, "claude-sonnet-4-5");
  EXPECT_EQ(request.original_body, body);
  EXPECT_FALSE(request.stream);
}

TEST(DecodeRequest, CountTokensStillNeedsModelAndMessages) {
  expect_invalid(R"({"messages":[]})", "model", Endpoint::kCountTokens);
  expect_invalid(R"({"model":"m"})", "messages", Endpoint::kCountTokens);
  expect_invalid(R"({"model":"m","messages":7})", "messages", Endpoint::kCountTokens);
}

TEST(DecodeRequest, CountTokensIgnoresMaxTokensAndStream) {
  // Not part of a count_tokens body; the upstream is the judge of extra fields.
  const auto request = decode_ok(R"({"model":"m","messages":[],"max_tokens":"x","stream":true})",
                                 Endpoint::kCountTokens);
  EXPECT_FALSE(request.stream);
}

}  // namespace
}  // namespace warden::api::anthropic
