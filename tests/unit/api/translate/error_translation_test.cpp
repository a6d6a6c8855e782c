#include "api/translate/error_translation.hpp"

#include <string>
#include <string_view>
#include <vector>

#include <boost/json.hpp>
#include <gtest/gtest.h>

namespace warden::api::translate {
namespace {

namespace json = boost::json;

// One row of PROTOCOLS 4.9: the upstream's status and body → what the client gets.
struct Case {
  const char* name;
  unsigned status;
  const char* body;
  unsigned expected_status;
  const char* expected_body;  // JSON
  bool should_retry_false = false;
};

template <class Translate>
void run_table(const std::vector<Case>& cases, Translate translate) {
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const TranslatedError out = translate(c.status, c.body);
    EXPECT_EQ(out.status, c.expected_status);
    boost::system::error_code ec;
    const json::value body = json::parse(out.body, ec);
    ASSERT_FALSE(ec) << "not JSON: " << out.body;
    EXPECT_EQ(body, json::parse(c.expected_body)) << "got: " << out.body;
    EXPECT_EQ(out.should_retry_false, c.should_retry_false);
  }
}

std::string openai_body(std::string_view message, std::string_view type, std::string_view code) {
  json::object error{{"message", message}, {"type", type}, {"param", nullptr}};
  error["code"] = code.empty() ? json::value(nullptr) : json::value(code);
  return json::serialize(json::object{{"error", std::move(error)}});
}

std::string anthropic_body(std::string_view type, std::string_view message) {
  return json::serialize(json::object{{"type", "error"},
                                      {"error", {{"type", type}, {"message", message}}},
                                      {"request_id", "req_011CSHoEeqs5C35K2UUqR7Fy"}});
}

#define A_ERR(type, message) \
  R"({"type":"error","error":{"type":")" type R"(","message":")" message R"("}})"
#define O_ERR(message, type, code) \
  R"({"error":{"message":")" message R"(","type":")" type R"(","param":null,"code":)" code "}}"

// ---- OpenAI upstream → Anthropic client ----------------------------------------------------

const std::string kBadRequest =
    openai_body("Invalid 'messages': empty array.", "invalid_request_error", "empty_array");

const std::vector<Case> kOpenAiToAnthropic = {
    {"400", 400, kBadRequest.c_str(), 400,
     A_ERR("invalid_request_error", "Invalid 'messages': empty array.")},
    {"422", 422, R"({"error":{"message":"Unprocessable","type":"invalid_request_error"}})", 400,
     A_ERR("invalid_request_error", "Unprocessable")},
    {"401", 401,
     O_ERR("Incorrect API key provided", "invalid_request_error", R"("invalid_api_key")"), 401,
     A_ERR("authentication_error", "Incorrect API key provided")},
    {"403", 403,
     O_ERR("Country not supported", "invalid_request_error",
           R"("unsupported_country_region_territory")"),
     403, A_ERR("permission_error", "Country not supported")},
    {"404", 404,
     O_ERR("The model `gpt-9` does not exist", "invalid_request_error", R"("model_not_found")"),
     404, A_ERR("not_found_error", "The model `gpt-9` does not exist")},
    {"409", 409, O_ERR("Conflict", "invalid_request_error", "null"), 409,
     A_ERR("conflict_error", "Conflict")},
    {"413", 413, O_ERR("Too large", "invalid_request_error", "null"), 413,
     A_ERR("request_too_large", "Too large")},
    {"429 rate_limit_exceeded", 429,
     O_ERR("Rate limit reached for requests", "requests", R"("rate_limit_exceeded")"), 429,
     A_ERR("rate_limit_error", "Rate limit reached for requests")},
    {"429 insufficient_quota: not retryable", 429,
     O_ERR("You exceeded your current quota", "insufficient_quota", R"("insufficient_quota")"), 429,
     A_ERR("rate_limit_error", "You exceeded your current quota"), true},
    {"500", 500, O_ERR("The server had an error", "server_error", "null"), 500,
     A_ERR("api_error", "The server had an error")},
    {"502 → overloaded", 502, "<html>Bad Gateway</html>", 529,
     A_ERR("overloaded_error", "The upstream answered with HTTP status 502")},
    {"503 → overloaded", 503, O_ERR("The engine is currently overloaded", "server_error", "null"),
     529, A_ERR("overloaded_error", "The engine is currently overloaded")},
    {"504 → timeout", 504, "", 504,
     A_ERR("timeout_error", "The upstream answered with HTTP status 504")},
    {"402 → billing", 402, O_ERR("Payment required", "invalid_request_error", "null"), 402,
     A_ERR("billing_error", "Payment required")},
    {"other 4xx keeps its status", 408, "timeout", 408,
     A_ERR("invalid_request_error", "The upstream answered with HTTP status 408")},
    {"other 5xx → 500", 501, O_ERR("Not implemented", "server_error", "null"), 500,
     A_ERR("api_error", "Not implemented")},
    {"not an error status", 302, "", 502,
     A_ERR("api_error", "The upstream answered with HTTP status 302")},
    {"error as a plain string (compatible servers)", 400, R"({"error":"bad model name"})", 400,
     A_ERR("invalid_request_error", "bad model name")},
    {"message at the top (compatible servers)", 500, R"({"message":"boom"})", 500,
     A_ERR("api_error", "boom")},
    {"JSON without a message", 400, R"({"error":{"type":"invalid_request_error"}})", 400,
     A_ERR("invalid_request_error", "The upstream answered with HTTP status 400")},
};

TEST(OpenAiErrorToAnthropic, Table) { run_table(kOpenAiToAnthropic, openai_error_to_anthropic); }

// ---- Anthropic upstream → OpenAI client ----------------------------------------------------

const std::string kInvalid = anthropic_body("invalid_request_error", "max_tokens: Field required");

const std::vector<Case> kAnthropicToOpenAi = {
    {"400 invalid_request_error", 400, kInvalid.c_str(), 400,
     O_ERR("max_tokens: Field required", "invalid_request_error", "null")},
    {"401 authentication_error", 401, A_ERR("authentication_error", "invalid x-api-key"), 401,
     O_ERR("invalid x-api-key", "invalid_request_error", R"("invalid_api_key")")},
    {"402 billing_error → 429 insufficient_quota, not retryable", 402,
     A_ERR("billing_error", "Your credit balance is too low"), 429,
     O_ERR("Your credit balance is too low", "insufficient_quota", R"("insufficient_quota")"),
     true},
    {"403 permission_error", 403, A_ERR("permission_error", "Not allowed"), 403,
     O_ERR("Not allowed", "permission_error", "null")},
    {"404 not_found_error for the model", 404, A_ERR("not_found_error", "model: claude-nope"), 404,
     O_ERR("model: claude-nope", "invalid_request_error", R"("model_not_found")")},
    {"404 not_found_error otherwise", 404,
     A_ERR("not_found_error", "The requested resource could not be found."), 404,
     O_ERR("The requested resource could not be found.", "invalid_request_error", "null")},
    {"409 conflict_error", 409, A_ERR("conflict_error", "Conflict"), 409,
     O_ERR("Conflict", "invalid_request_error", "null")},
    {"413 request_too_large (edge, not JSON)", 413, "<html>413 Request Entity Too Large</html>",
     413,
     O_ERR("The upstream answered with HTTP status 413", "invalid_request_error",
           R"("request_too_large")")},
    {"413 request_too_large", 413, A_ERR("request_too_large", "Request exceeds the maximum size"),
     413,
     O_ERR("Request exceeds the maximum size", "invalid_request_error", R"("request_too_large")")},
    {"429 rate_limit_error", 429, A_ERR("rate_limit_error", "Number of requests exceeded"), 429,
     O_ERR("Number of requests exceeded", "requests", R"("rate_limit_exceeded")")},
    {"500 api_error", 500, A_ERR("api_error", "Internal server error"), 500,
     O_ERR("Internal server error", "server_error", "null")},
    {"504 timeout_error", 504, A_ERR("timeout_error", "Request timed out"), 504,
     O_ERR("Request timed out", "server_error", "null")},
    {"529 overloaded_error → 503", 529, A_ERR("overloaded_error", "Overloaded"), 503,
     O_ERR("Overloaded", "server_error", R"("server_is_overloaded")")},
    {"529 unreadable → 503 overloaded", 529, "", 503,
     O_ERR("The upstream answered with HTTP status 529", "server_error",
           R"("server_is_overloaded")")},
    {"unknown type: by status", 400, A_ERR("brand_new_error", "Something new"), 400,
     O_ERR("Something new", "invalid_request_error", "null")},
    {"unknown type, 5xx: status kept", 502, A_ERR("brand_new_error", "Gateway"), 502,
     O_ERR("Gateway", "server_error", "null")},
    {"402 unreadable → insufficient_quota", 402, "nope", 429,
     O_ERR("The upstream answered with HTTP status 402", "insufficient_quota",
           R"("insufficient_quota")"),
     true},
    {"401 unreadable", 401, "", 401,
     O_ERR("The upstream answered with HTTP status 401", "invalid_request_error",
           R"("invalid_api_key")")},
    {"error details ignored", 400,
     R"({"type":"error","error":{"type":"invalid_request_error","message":"Spend limit",)"
     R"("details":{"error_code":"enforced_spend_limit_reached"}}})",
     400, O_ERR("Spend limit", "invalid_request_error", "null")},
};

TEST(AnthropicErrorToOpenAi, Table) { run_table(kAnthropicToOpenAi, anthropic_error_to_openai); }

// The message text survives both ways, escapes included.
TEST(ErrorRoundTrip, MessageTextKept) {
  const std::string message = "quote \" backslash \\ newline \n unicode \xC3\xA9";
  const TranslatedError to_openai =
      anthropic_error_to_openai(429, anthropic_body("rate_limit_error", message));
  const TranslatedError back = openai_error_to_anthropic(to_openai.status, to_openai.body);
  EXPECT_EQ(back.status, 429u);
  EXPECT_EQ(json::parse(back.body).at("error").at("message").as_string(), message);
  EXPECT_EQ(json::parse(back.body).at("error").at("type").as_string(), "rate_limit_error");
}

}  // namespace
}  // namespace warden::api::translate
