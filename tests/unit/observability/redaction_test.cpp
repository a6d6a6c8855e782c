// redaction: what of a caller is kept in a record. redact_secrets blanks
// key-looking tokens in free text, redacted_headers blanks credential headers
// (the Authorization scheme survives), caller_hash names the caller without
// the key, session_of finds the client's session.
//
// UUIDs are redacted by redact_secrets: 36 characters mixing hex letters and
// digits cannot be told apart from a hex-encoded key (some providers' keys are
// exactly that). Nothing is lost by it: the session a UUID usually names is
// kept in the record's session_id, the trace in trace_id.

#include "observability/redaction.hpp"

#include <string>
#include <string_view>

#include <boost/beast/http/fields.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <gtest/gtest.h>

namespace warden::observability::test {
namespace {

namespace http = boost::beast::http;
namespace json = boost::json;

constexpr std::string_view kAnthropicKey =
    "sk-ant-api03-Xk9mQ2vL7pR4tW1yB8nC5dF3gH6jK0sA2zE4uI7oP9qM1xN3bV5cT8rY0wU2eD4f-AbCdEfGhAA";
constexpr std::string_view kProjectKey = "sk-proj-4fJ8kL2mN6pQ9rS1tU3vW5xY7zA0bC2dE4fG6hI8";
constexpr std::string_view kGithubToken = "ghp_16C7e42F292c6912E7710c838347Ae178B4a";
constexpr std::string_view kAwsKeyId = "AKIAIOSFODNN7EXAMPLE";
constexpr std::string_view kUuid = "550e8400-e29b-41d4-a716-446655440000";

http::fields headers_of(std::initializer_list<std::pair<std::string_view, std::string_view>> list) {
  http::fields fields;
  for (const auto& [name, value] : list) fields.insert(name, value);
  return fields;
}

json::object parse_object(const std::string& text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  EXPECT_FALSE(ec) << ec.message() << " in " << text;
  EXPECT_TRUE(v.is_object()) << text;
  return v.is_object() ? v.as_object() : json::object{};
}

std::string field(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (v == nullptr) return "<absent>";
  if (!v->is_string()) return "<not a string>";
  return std::string(v->as_string());
}

// --- redact_secrets ----------------------------------------------------------------------

TEST(RedactSecrets, KnownKeyPrefixesAreRedacted) {
  for (std::string_view key : {kAnthropicKey, kProjectKey, kGithubToken, kAwsKeyId}) {
    const std::string text = "use " + std::string(key) + " here";
    EXPECT_EQ(redact_secrets(text), "use [redacted] here") << key;
  }
  // The shortest keys a prefix catches: the prefix and 8 more characters.
  EXPECT_EQ(redact_secrets("sk-abcdefgh"), "[redacted]");
  EXPECT_EQ(redact_secrets("xoxb-12345678"), "[redacted]");
  EXPECT_EQ(redact_secrets("AKIA12345678"), "[redacted]");
}

TEST(RedactSecrets, LongMixedRunsAreRedacted) {
  // 32 characters, letters and digits: random-looking.
  EXPECT_EQ(redact_secrets("a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6"), "[redacted]");
  // Base64 with + and / and a JWT (dots) are one run each; padding is not part of it.
  EXPECT_EQ(redact_secrets("x dGhpcyBpcyBhIHNlY3JldCB0b2tlbiAxMjM0NTY3ODkw+/== y"), "x [redacted]== y");
  EXPECT_EQ(redact_secrets("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4"),
            "[redacted]");
  EXPECT_EQ(redact_secrets(kUuid), "[redacted]");  // see the file comment
  // One character shorter than the threshold is kept.
  EXPECT_EQ(redact_secrets("a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d"), "a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d");
}

TEST(RedactSecrets, OrdinaryTextIsKept) {
  for (std::string_view text : {
           "The quick brown fox jumps over the lazy dog.",
           "Pneumonoultramicroscopicsilicovolcanoconiosis is a long word",  // no digit
           "1234567890123456789012345678901234567890",                      // no letter
           "pi is 3.14159, e is 2.71828",
           "abc123 sk-short ghp_tiny AKIA123 key=value",                     // short tokens
           "claude-cli/1.0.128 (external, cli)",
           "application/json; charset=utf-8",
           "café ☕ — \"quoted\" \\ tab\tend",
           "",
       }) {
    EXPECT_EQ(redact_secrets(text), text);
  }
}

TEST(RedactSecrets, OnlyTheTokenIsReplacedAndPunctuationStays) {
  const std::string text = "keys: (" + std::string(kProjectKey) + "), [" +
                           std::string(kGithubToken) + "]; \"" + std::string(kAwsKeyId) + "\"";
  EXPECT_EQ(redact_secrets(text), "keys: ([redacted]), [[redacted]]; \"[redacted]\"");
}

TEST(RedactSecrets, BearerCredentialsAreRedactedWhateverTheirLength) {
  // The header's contract: "Bearer …" is a credential even when it is short.
  EXPECT_EQ(redact_secrets("Bearer abc.def"), "Bearer [redacted]");
  EXPECT_EQ(redact_secrets("upstream: bearer  tok123 rest"), "upstream: bearer  [redacted] rest");
  EXPECT_EQ(redact_secrets("Bearer"), "Bearer");
}

TEST(RedactSecrets, KeyAfterANameIsRedacted) {
  // "name=value": the value is judged on its own, so a key is caught after a name too.
  for (std::string_view key : {kAwsKeyId, kGithubToken, std::string_view("sk-ant-abcdefgh")}) {
    const std::string out = redact_secrets("id=" + std::string(key) + "&x=1");
    EXPECT_EQ(out, "id=[redacted]&x=1") << key;
  }
  // A name that is almost a key stays a name.
  EXPECT_EQ(redact_secrets("sk-abcdefg=" + std::string(kAwsKeyId)), "sk-abcdefg=[redacted]");
}

TEST(RedactSecrets, RedactingTwiceChangesNothing) {
  const std::string once =
      redact_secrets("a " + std::string(kAnthropicKey) + " Bearer x " + std::string(kUuid) +
                     " id=" + std::string(kAwsKeyId) + " sk-abcdefg=" + std::string(kAwsKeyId) +
                     " Bearer Bearer y bearer=z");
  EXPECT_EQ(redact_secrets(once), once);
}

// --- redacted_headers --------------------------------------------------------------------

TEST(RedactedHeaders, AuthorizationKeepsItsSchemeOnly) {
  const auto out = parse_object(redacted_headers(
      headers_of({{"Authorization", "Bearer " + std::string(kAnthropicKey)}}), ""));
  EXPECT_EQ(field(out, "authorization"), "Bearer [redacted]");
  const auto basic = parse_object(
      redacted_headers(headers_of({{"Proxy-Authorization", "Basic dXNlcjpwYXNzd29yZA=="}}), ""));
  EXPECT_EQ(field(basic, "proxy-authorization"), "Basic [redacted]");
  const auto bare = parse_object(redacted_headers(headers_of({{"Authorization", "abc"}}), ""));
  EXPECT_EQ(field(bare, "authorization"), "[redacted]");
}

TEST(RedactedHeaders, OtherCredentialHeadersAreRedactedWhole) {
  // Only Authorization has a scheme; a first word of anything else is part of the secret.
  const auto out = parse_object(redacted_headers(headers_of({{"x-api-key", "my secret key"},
                                                             {"api-key", "k1 k2"},
                                                             {"x-goog-api-key", "AIzaSy k"},
                                                             {"cookie", "sid=s3cr3t; theme=dark"},
                                                             {"set-cookie", "a=b; Path=/"},
                                                             {"x-warden-key", "wk_1 2"}}),
                                                 "x-warden-key"));
  for (std::string_view name :
       {"x-api-key", "api-key", "x-goog-api-key", "cookie", "set-cookie", "x-warden-key"}) {
    EXPECT_EQ(field(out, name), "[redacted]") << name;
  }
}

TEST(RedactedHeaders, NamesAreMatchedWithoutCaseAndWrittenInLowerCase) {
  const auto out = parse_object(redacted_headers(headers_of({{"X-API-KEY", "k"},
                                                             {"AUTHORIZATION", "Bearer t"},
                                                             {"X-Warden-Key", "w"},
                                                             {"Content-Type", "application/json"}}),
                                                 "x-WARDEN-key"));
  EXPECT_EQ(out.size(), 4u);
  EXPECT_EQ(field(out, "x-api-key"), "[redacted]");
  EXPECT_EQ(field(out, "authorization"), "Bearer [redacted]");
  EXPECT_EQ(field(out, "x-warden-key"), "[redacted]");
  EXPECT_EQ(field(out, "content-type"), "application/json");
}

TEST(RedactedHeaders, RepeatedHeadersAreJoined) {
  const auto out = parse_object(redacted_headers(headers_of({{"x-tag", "one"},
                                                             {"Cookie", "a=1"},
                                                             {"X-Tag", "two"},
                                                             {"cookie", "b=2"}}),
                                                 ""));
  EXPECT_EQ(field(out, "x-tag"), "one, two");
  EXPECT_EQ(field(out, "cookie"), "[redacted], [redacted]");
}

TEST(RedactedHeaders, KeyLookingValuesInOtherHeadersAreRedacted) {
  const auto out = parse_object(redacted_headers(
      headers_of({{"x-debug", "token " + std::string(kProjectKey) + " end"},
                  {"x-upstream-auth", "Bearer short"},
                  {"user-agent", "claude-cli/1.0.128 (external, cli)"},
                  {"anthropic-version", "2023-06-01"}}),
      ""));
  EXPECT_EQ(field(out, "x-debug"), "token [redacted] end");
  EXPECT_EQ(field(out, "x-upstream-auth"), "Bearer [redacted]");
  EXPECT_EQ(field(out, "user-agent"), "claude-cli/1.0.128 (external, cli)");
  EXPECT_EQ(field(out, "anthropic-version"), "2023-06-01");
}

TEST(RedactedHeaders, OutputIsValidJsonForAwkwardValues) {
  const auto out = parse_object(redacted_headers(headers_of({{"x-quote", "say \"hi\" \\ back"},
                                                             {"x-utf8", "café ☕"},
                                                             {"x-tab", "a\tb"},
                                                             {"x-empty", ""}}),
                                                 ""));
  EXPECT_EQ(field(out, "x-quote"), "say \"hi\" \\ back");
  EXPECT_EQ(field(out, "x-utf8"), "café ☕");
  EXPECT_EQ(field(out, "x-tab"), "a\tb");
  EXPECT_EQ(field(out, "x-empty"), "");
  EXPECT_EQ(redacted_headers(http::fields{}, ""), "{}");
}

TEST(RedactedHeaders, NoKeyBytesSurvive) {
  const std::string text = redacted_headers(
      headers_of({{"authorization", "Bearer " + std::string(kAnthropicKey)},
                  {"x-api-key", kAnthropicKey},
                  {"x-warden-key", kProjectKey},
                  {"x-other", kGithubToken}}),
      "x-warden-key");
  for (std::string_view key : {kAnthropicKey, kProjectKey, kGithubToken}) {
    EXPECT_EQ(text.find(key.substr(0, 16)), std::string::npos) << text;
  }
}

// --- caller_hash -------------------------------------------------------------------------

TEST(CallerHash, IsKPlusSixteenHexDigitsOfSha256) {
  // SHA-256("abc") = ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad
  EXPECT_EQ(caller_hash(headers_of({{"x-api-key", "abc"}}), ""), "k_ba7816bf8f01cfea");
}

TEST(CallerHash, IsStableAndDiffersPerKey) {
  const auto a = headers_of({{"x-api-key", kAnthropicKey}});
  const std::string hash = caller_hash(a, "x-warden-key");
  EXPECT_EQ(hash.size(), 18u);
  EXPECT_EQ(caller_hash(a, "x-warden-key"), hash);
  EXPECT_NE(caller_hash(headers_of({{"x-api-key", kProjectKey}}), "x-warden-key"), hash);
  EXPECT_EQ(hash.find(kAnthropicKey.substr(0, 8)), std::string::npos);
}

TEST(CallerHash, EmptyWithoutAKey) {
  EXPECT_EQ(caller_hash(http::fields{}, "x-warden-key"), "");
  EXPECT_EQ(caller_hash(headers_of({{"content-type", "application/json"}}), "x-warden-key"), "");
  EXPECT_EQ(caller_hash(headers_of({{"x-api-key", ""}, {"x-warden-key", ""}}), "x-warden-key"), "");
}

TEST(CallerHash, BearerTokenIsTheSameCallerAsTheSameKey) {
  EXPECT_EQ(caller_hash(headers_of({{"Authorization", "Bearer tok-1"}}), ""),
            caller_hash(headers_of({{"x-api-key", "tok-1"}}), ""));
  EXPECT_EQ(caller_hash(headers_of({{"Authorization", "bearer tok-1"}}), ""),
            caller_hash(headers_of({{"x-api-key", "tok-1"}}), ""));
}

TEST(CallerHash, ProxyKeyHeaderWins) {
  const auto both = headers_of({{"Authorization", "Bearer upstream"},
                                {"x-api-key", "upstream-2"},
                                {"X-Warden-Key", "proxy-key"}});
  EXPECT_EQ(caller_hash(both, "x-warden-key"), caller_hash(headers_of({{"x-api-key", "proxy-key"}}), ""));
  // Without the proxy header configured, x-api-key is next, then Authorization.
  EXPECT_EQ(caller_hash(both, ""), caller_hash(headers_of({{"x-api-key", "upstream-2"}}), ""));
  EXPECT_EQ(caller_hash(headers_of({{"Authorization", "Bearer upstream"}}), "x-warden-key"),
            caller_hash(headers_of({{"x-api-key", "upstream"}}), ""));
}

// --- session_of --------------------------------------------------------------------------

json::object body_with_user_id(json::value user_id) {
  return {{"model", "m"}, {"metadata", {{"user_id", std::move(user_id)}}}};
}

TEST(SessionOf, ConfiguredHeaderThenClaudeCodeHeader) {
  const auto both = headers_of({{"X-Session-Id", "mine"}, {"x-claude-code-session-id", "claude"}});
  EXPECT_EQ(session_of(both, "x-session-id", {}), "mine");
  EXPECT_EQ(session_of(both, "", {}), "claude");
  EXPECT_EQ(session_of(headers_of({{"x-claude-code-session-id", std::string(kUuid)}}), "x-session-id", {}),
            kUuid);
  // An empty configured header does not hide the next source.
  EXPECT_EQ(session_of(headers_of({{"x-session-id", ""}, {"x-claude-code-session-id", "c"}}),
                       "x-session-id", {}),
            "c");
}

TEST(SessionOf, HeaderWinsOverTheBody) {
  const auto body = body_with_user_id("user_abc_account_def_session_from-body");
  EXPECT_EQ(session_of(headers_of({{"x-session-id", "h"}}), "x-session-id", body), "h");
  EXPECT_EQ(session_of(http::fields{}, "x-session-id", body), "from-body");
}

TEST(SessionOf, ClaudeCodeUserIdString) {
  const std::string user_id =
      "user_5f2e4c1a9b8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f_account_"
      "0b1c2d3e-4f5a-6b7c-8d9e-0f1a2b3c4d5e_session_" +
      std::string(kUuid);
  EXPECT_EQ(session_of(http::fields{}, "x-session-id", body_with_user_id(json::string(user_id))), kUuid);
}

TEST(SessionOf, UserIdJsonObject) {
  const std::string user_id = R"({"device_id":"d1","account_uuid":"a1","session_id":")" +
                              std::string(kUuid) + R"("})";
  EXPECT_EQ(session_of(http::fields{}, "", body_with_user_id(json::string(user_id))), kUuid);
}

TEST(SessionOf, AbsentOrOddShapesGiveEmpty) {
  const http::fields none;
  EXPECT_EQ(session_of(none, "x-session-id", {}), "");
  EXPECT_EQ(session_of(none, "x-session-id", {{"metadata", "not an object"}}), "");
  EXPECT_EQ(session_of(none, "x-session-id", {{"metadata", json::object{}}}), "");
  for (const json::value& user_id : {json::value(42), json::value(nullptr), json::value(json::array{}),
                                     json::value(json::object{{"session_id", "x"}}),
                                     json::value("user_abc_account_def"), json::value("plain"),
                                     json::value(""), json::value("{not json"),
                                     json::value(R"({"session_id":7})"),
                                     json::value(R"({"other":"x"})"), json::value(R"(["a"])")}) {
    EXPECT_EQ(session_of(none, "x-session-id", body_with_user_id(user_id)), "") << user_id;
  }
}

TEST(SessionOf, ValuesAreCappedAt200Bytes) {
  const std::string long_value(300, 's');
  EXPECT_EQ(session_of(headers_of({{"x-session-id", long_value}}), "x-session-id", {}),
            long_value.substr(0, 200));
  EXPECT_EQ(session_of(headers_of({{"x-claude-code-session-id", long_value}}), "", {}),
            long_value.substr(0, 200));
  EXPECT_EQ(session_of(http::fields{}, "",
                       body_with_user_id(json::string("user_a_session_" + long_value))),
            long_value.substr(0, 200));
  EXPECT_EQ(session_of(http::fields{}, "",
                       body_with_user_id(json::string(R"({"session_id":")" + long_value + R"("})"))),
            long_value.substr(0, 200));
}

}  // namespace
}  // namespace warden::observability::test
