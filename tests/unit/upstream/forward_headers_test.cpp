#include "upstream/forward_headers.hpp"

#include <string>
#include <utility>
#include <vector>

#include <boost/beast/http/fields.hpp>
#include <gtest/gtest.h>

namespace warden::upstream {
namespace {

namespace http = boost::beast::http;

using HeaderLines = std::vector<std::pair<std::string, std::string>>;

http::fields make_fields(const HeaderLines& lines) {
  http::fields fields;
  for (const auto& [name, value] : lines) fields.insert(name, value);
  return fields;
}

// Every header line of `fields`, in order.
HeaderLines lines_of(const http::fields& fields) {
  HeaderLines out;
  for (const auto& f : fields) out.emplace_back(f.name_string(), f.value());
  return out;
}

HeaderLines forward_request(const HeaderLines& in,
                            std::string_view gateway_key_header = "x-warden-key") {
  http::fields to;
  copy_request_headers(make_fields(in), to, gateway_key_header);
  return lines_of(to);
}

HeaderLines forward_response(const HeaderLines& in) {
  http::fields to;
  copy_response_headers(make_fields(in), to);
  return lines_of(to);
}

// --- Client → upstream ----------------------------------------------------------------------

TEST(CopyRequestHeaders, DropsHopByHopAndFramingHeaders) {
  const auto out = forward_request({
      {"Connection", "keep-alive, x-foo"},
      {"Keep-Alive", "timeout=5"},
      {"TE", "trailers"},
      {"Trailer", "x-checksum"},
      {"Transfer-Encoding", "chunked"},
      {"Upgrade", "h2c"},
      {"Proxy-Connection", "keep-alive"},
      {"Proxy-Authorization", "Basic Zm9vOmJhcg=="},
      {"Content-Length", "123"},
      {"x-kept", "1"},
  });
  EXPECT_EQ(out, (HeaderLines{{"x-kept", "1"}}));
}

TEST(CopyRequestHeaders, DropsHostAcceptEncodingAndCredentials) {
  const auto out = forward_request({
      {"Host", "localhost:8000"},
      {"Accept-Encoding", "gzip, br"},
      {"x-api-key", "sk-ant-client"},
      {"Authorization", "Bearer sk-ant-oat-client"},
      {"x-warden-key", "gateway-secret"},
      {"content-type", "application/json"},
  });
  EXPECT_EQ(out, (HeaderLines{{"content-type", "application/json"}}));
}

TEST(CopyRequestHeaders, HeaderNamesMatchCaseInsensitively) {
  const auto out = forward_request({
      {"HOST", "a"},
      {"X-API-KEY", "b"},
      {"authorization", "c"},
      {"X-Warden-Key", "d"},
      {"transfer-encoding", "chunked"},
  });
  EXPECT_TRUE(out.empty()) << out.size() << " header(s) leaked";
}

TEST(CopyRequestHeaders, DropsAConfiguredGatewayKeyHeaderOnly) {
  const auto out = forward_request({{"x-gateway-token", "secret"}, {"x-warden-key", "other"}},
                                   "x-gateway-token");
  EXPECT_EQ(out, (HeaderLines{{"x-warden-key", "other"}}));
}

TEST(CopyRequestHeaders, CopiesAnthropicVersionAndUnknownHeadersWithTheirValues) {
  const HeaderLines in = {
      {"anthropic-version", "2023-06-01"},
      {"content-type", "application/json"},
      {"accept", "application/json"},
      {"user-agent", "claude-cli/2.1.3 (external, cli)"},
      {"x-stainless-lang", "js"},
      {"x-stainless-retry-count", "0"},
      {"anthropic-dangerous-direct-browser-access", "true"},
      {"x-app", "cli"},
      {"X-Custom-Thing", "Mixed Case Value, with comma"},
  };
  EXPECT_EQ(forward_request(in), in);
}

TEST(CopyRequestHeaders, RepeatedHeadersOtherThanBetaAreAllCopied) {
  const HeaderLines in = {{"x-multi", "a"}, {"x-multi", "b"}};
  EXPECT_EQ(forward_request(in), in);
}

TEST(CopyRequestHeaders, SingleAnthropicBetaIsCopied) {
  EXPECT_EQ(forward_request({{"anthropic-beta", "prompt-caching-2024-07-31"}}),
            (HeaderLines{{"anthropic-beta", "prompt-caching-2024-07-31"}}));
}

TEST(CopyRequestHeaders, RepeatedAndCommaSeparatedBetasAreMergedInOrderWithoutDuplicates) {
  const auto out = forward_request({
      {"anthropic-beta", "claude-code-20250219, oauth-2025-04-20"},
      {"anthropic-version", "2023-06-01"},
      {"Anthropic-Beta", "interleaved-thinking-2025-05-14,claude-code-20250219"},
      {"anthropic-beta", " fine-grained-tool-streaming-2025-05-14 ,, oauth-2025-04-20 "},
  });
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0], (std::pair<std::string, std::string>{"anthropic-version", "2023-06-01"}));
  EXPECT_EQ(out[1].first, "anthropic-beta");
  EXPECT_EQ(out[1].second,
            "claude-code-20250219,oauth-2025-04-20,interleaved-thinking-2025-05-14,"
            "fine-grained-tool-streaming-2025-05-14");
}

TEST(CopyRequestHeaders, EmptyAnthropicBetaIsDropped) {
  EXPECT_TRUE(forward_request({{"anthropic-beta", ""}, {"anthropic-beta", " , "}}).empty());
}

TEST(CopyRequestHeaders, KeepsHeadersAlreadyInTheTarget) {
  http::fields to;
  to.set("x-api-key", "sk-server");
  copy_request_headers(make_fields({{"x-api-key", "sk-client"}, {"x-app", "cli"}}), to,
                       "x-warden-key");
  EXPECT_EQ(lines_of(to), (HeaderLines{{"x-api-key", "sk-server"}, {"x-app", "cli"}}));
}

// --- Upstream → client ----------------------------------------------------------------------

TEST(CopyResponseHeaders, CopiesRequestIdRetryAfterAndRateLimitHeaders) {
  const HeaderLines in = {
      {"request-id", "req_011CSHoEeqs5C35K2UUqR7Fy"},
      {"retry-after", "17"},
      {"anthropic-ratelimit-requests-limit", "4000"},
      {"anthropic-ratelimit-requests-remaining", "3999"},
      {"anthropic-ratelimit-requests-reset", "2025-09-29T12:00:01Z"},
      {"anthropic-ratelimit-input-tokens-limit", "400000"},
      {"anthropic-ratelimit-output-tokens-remaining", "79000"},
      {"anthropic-organization-id", "0f1e2d3c-aaaa-bbbb-cccc-000000000000"},
      {"content-type", "text/event-stream; charset=utf-8"},
      {"cache-control", "no-cache"},
      {"x-unknown-from-upstream", "kept"},
  };
  EXPECT_EQ(forward_response(in), in);
}

TEST(CopyResponseHeaders, DropsHopByHopAndFramingHeaders) {
  const auto out = forward_response({
      {"Transfer-Encoding", "chunked"},
      {"Connection", "keep-alive"},
      {"Keep-Alive", "timeout=5"},
      {"Content-Length", "42"},
      {"Trailer", "x"},
      {"Upgrade", "websocket"},
      {"Proxy-Authenticate", "Basic"},
      {"request-id", "req_1"},
  });
  EXPECT_EQ(out, (HeaderLines{{"request-id", "req_1"}}));
}

}  // namespace
}  // namespace warden::upstream
