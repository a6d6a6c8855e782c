#include "server/auth.hpp"

#include <string>
#include <string_view>
#include <utility>

#include <boost/beast/http/fields.hpp>
#include <gtest/gtest.h>

namespace warden::server {
namespace {

using config::AuthMode;
using core::ErrorKind;

constexpr std::string_view kGatewayKey = "wk-gateway-secret";
constexpr std::string_view kServerKey = "sk-ant-server";
constexpr std::string_view kClientKey = "sk-ant-client";
constexpr std::string_view kClientOauth = "Bearer sk-ant-oat01-client";

config::AuthConfig auth_config(AuthMode mode, std::string_view proxy_key = kGatewayKey) {
  config::AuthConfig auth;
  auth.mode = mode;
  auth.proxy_key = proxy_key;
  return auth;
}

config::ProviderConfig provider(std::string_view api_key = kServerKey) {
  config::ProviderConfig p;
  p.name = "anthropic";
  p.base_url = "https://api.anthropic.com";
  p.api_key = api_key;
  return p;
}

// Where the client puts the gateway key.
enum class KeyIn { kNowhere, kOwnHeader, kApiKey, kBearer };

struct Client {
  KeyIn key_in = KeyIn::kNowhere;
  std::string_view key = kGatewayKey;  // what it sends as the gateway key
  bool own_api_key = false;            // also sends its own x-api-key
  bool own_oauth = false;              // also sends its own Authorization: Bearer
};

boost::beast::http::fields headers_of(const Client& c,
                                      std::string_view own_header = "x-warden-key") {
  boost::beast::http::fields h;
  h.set("anthropic-version", "2023-06-01");
  switch (c.key_in) {
    case KeyIn::kNowhere:
      break;
    case KeyIn::kOwnHeader:
      h.set(own_header, c.key);
      break;
    case KeyIn::kApiKey:
      h.set("x-api-key", c.key);
      break;
    case KeyIn::kBearer:
      h.set("authorization", "Bearer " + std::string(c.key));
      break;
  }
  if (c.own_api_key) h.set("x-api-key", kClientKey);
  if (c.own_oauth) h.set("authorization", kClientOauth);
  return h;
}

HeaderList server_key() { return {{"x-api-key", std::string(kServerKey)}}; }
HeaderList own_key() { return {{"x-api-key", std::string(kClientKey)}}; }
HeaderList own_oauth() { return {{"authorization", std::string(kClientOauth)}}; }
HeaderList own_both() {
  return {{"x-api-key", std::string(kClientKey)}, {"authorization", std::string(kClientOauth)}};
}

void expect_headers(const core::Result<HeaderList>& result, const HeaderList& expected) {
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_EQ(*result, expected);
}

void expect_error(const core::Result<HeaderList>& result, ErrorKind kind) {
  ASSERT_FALSE(result.has_value()) << "got " << result->size() << " header(s)";
  EXPECT_EQ(result.error().kind, kind);
  EXPECT_FALSE(result.error().message.empty());
}

core::Result<HeaderList> credentials(AuthMode mode, const Client& client,
                                     std::string_view provider_key = kServerKey) {
  return upstream_credentials(headers_of(client), auth_config(mode), provider(provider_key));
}

// --- passthrough ----------------------------------------------------------------------------

TEST(UpstreamCredentialsPassthrough, ClientCredentialsGoUpstreamAsTheyAre) {
  expect_headers(credentials(AuthMode::kPassthrough, {.own_api_key = true}), own_key());
  expect_headers(credentials(AuthMode::kPassthrough, {.own_oauth = true}), own_oauth());
  expect_headers(credentials(AuthMode::kPassthrough, {.own_api_key = true, .own_oauth = true}),
                 own_both());
}

TEST(UpstreamCredentialsPassthrough, NoClientCredentialsIsAnAuthenticationError) {
  expect_error(credentials(AuthMode::kPassthrough, {}), ErrorKind::kAuthentication);
}

TEST(UpstreamCredentialsPassthrough, GatewayKeyAloneIsNotEnough) {
  for (KeyIn where : {KeyIn::kOwnHeader, KeyIn::kApiKey, KeyIn::kBearer}) {
    SCOPED_TRACE(static_cast<int>(where));
    expect_error(credentials(AuthMode::kPassthrough, {.key_in = where}),
                 ErrorKind::kAuthentication);
  }
}

TEST(UpstreamCredentialsPassthrough, GatewayKeyInItsOwnHeaderDoesNotHideClientCredentials) {
  expect_headers(
      credentials(AuthMode::kPassthrough, {.key_in = KeyIn::kOwnHeader, .own_oauth = true}),
      own_oauth());
}

TEST(UpstreamCredentialsPassthrough, WorksWithoutAnyProxyKeyOrServerKey) {
  const auto result = upstream_credentials(headers_of({.own_api_key = true}),
                                           auth_config(AuthMode::kPassthrough, ""), provider(""));
  expect_headers(result, own_key());
}

TEST(UpstreamCredentialsPassthrough, NonBearerAuthorizationPassesUnchanged) {
  boost::beast::http::fields h;
  h.set("authorization", "Basic dXNlcjpwYXNz");
  expect_headers(upstream_credentials(h, auth_config(AuthMode::kPassthrough), provider()),
                 (HeaderList{{"authorization", "Basic dXNlcjpwYXNz"}}));
}

// --- proxy_key ------------------------------------------------------------------------------

TEST(UpstreamCredentialsProxyKey, GatewayKeyAnywhereWithoutOwnCredentialsSendsTheServerKey) {
  for (KeyIn where : {KeyIn::kOwnHeader, KeyIn::kApiKey, KeyIn::kBearer}) {
    SCOPED_TRACE(static_cast<int>(where));
    expect_headers(credentials(AuthMode::kProxyKey, {.key_in = where}), server_key());
  }
}

TEST(UpstreamCredentialsProxyKey, GatewayKeyInItsOwnHeaderLetsClientCredentialsPass) {
  expect_headers(
      credentials(AuthMode::kProxyKey, {.key_in = KeyIn::kOwnHeader, .own_api_key = true}),
      own_key());
  expect_headers(credentials(AuthMode::kProxyKey, {.key_in = KeyIn::kOwnHeader, .own_oauth = true}),
                 own_oauth());
  expect_headers(credentials(AuthMode::kProxyKey,
                             {.key_in = KeyIn::kOwnHeader, .own_api_key = true, .own_oauth = true}),
                 own_both());
}

TEST(UpstreamCredentialsProxyKey, GatewayKeyInXApiKeyReplacesTheClientOauthWithTheServerKey) {
  expect_headers(credentials(AuthMode::kProxyKey, {.key_in = KeyIn::kApiKey, .own_oauth = true}),
                 server_key());
}

TEST(UpstreamCredentialsProxyKey, GatewayKeyInBearerReplacesTheClientApiKeyWithTheServerKey) {
  expect_headers(credentials(AuthMode::kProxyKey, {.key_in = KeyIn::kBearer, .own_api_key = true}),
                 server_key());
}

TEST(UpstreamCredentialsProxyKey, MissingGatewayKeyIsAnAuthenticationError) {
  expect_error(credentials(AuthMode::kProxyKey, {}), ErrorKind::kAuthentication);
  expect_error(credentials(AuthMode::kProxyKey, {.own_api_key = true}), ErrorKind::kAuthentication);
  expect_error(credentials(AuthMode::kProxyKey, {.own_oauth = true}), ErrorKind::kAuthentication);
  const auto result = credentials(AuthMode::kProxyKey, {});
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().message.find("x-warden-key"), std::string::npos)
      << "the message should say where to send the key: " << result.error().message;
}

TEST(UpstreamCredentialsProxyKey, WrongGatewayKeyAnywhereIsAnAuthenticationError) {
  for (KeyIn where : {KeyIn::kOwnHeader, KeyIn::kApiKey, KeyIn::kBearer}) {
    for (bool own : {false, true}) {
      SCOPED_TRACE(std::to_string(static_cast<int>(where)) + (own ? " +own oauth" : ""));
      const Client client{
          .key_in = where, .key = "wk-wrong", .own_oauth = own && where != KeyIn::kBearer};
      expect_error(credentials(AuthMode::kProxyKey, client), ErrorKind::kAuthentication);
    }
  }
}

TEST(UpstreamCredentialsProxyKey, KeyComparisonIsExact) {
  // (Beast drops whitespace around header values, so "key " is the key: not tested.)
  for (std::string_view wrong :
       {"wk-gateway-secre", "xwk-gateway-secret", "WK-GATEWAY-SECRET", "wk-gateway-secretx"}) {
    SCOPED_TRACE(wrong);
    expect_error(credentials(AuthMode::kProxyKey, {.key_in = KeyIn::kOwnHeader, .key = wrong}),
                 ErrorKind::kAuthentication);
  }
}

TEST(UpstreamCredentialsProxyKey, NoServerKeyIsAnInternalError) {
  for (KeyIn where : {KeyIn::kOwnHeader, KeyIn::kApiKey, KeyIn::kBearer}) {
    SCOPED_TRACE(static_cast<int>(where));
    const auto result = credentials(AuthMode::kProxyKey, {.key_in = where}, "");
    expect_error(result, ErrorKind::kInternal);
    ASSERT_FALSE(result);
    EXPECT_NE(result.error().message.find("providers.anthropic.api_key"), std::string::npos)
        << result.error().message;
  }
}

TEST(UpstreamCredentialsProxyKey, NoServerKeyIsFineWhenClientCredentialsPass) {
  expect_headers(
      credentials(AuthMode::kProxyKey, {.key_in = KeyIn::kOwnHeader, .own_oauth = true}, ""),
      own_oauth());
}

TEST(UpstreamCredentialsProxyKey, CustomGatewayHeaderName) {
  config::AuthConfig auth = auth_config(AuthMode::kProxyKey);
  auth.proxy_key_header = "x-gateway-token";
  const Client client{.key_in = KeyIn::kOwnHeader};
  expect_headers(upstream_credentials(headers_of(client, "x-gateway-token"), auth, provider()),
                 server_key());
  // The default header name no longer counts.
  expect_error(upstream_credentials(headers_of(client, "x-warden-key"), auth, provider()),
               ErrorKind::kAuthentication);
}

TEST(UpstreamCredentialsProxyKey, BearerPrefixIsCaseInsensitive) {
  boost::beast::http::fields h;
  h.set("authorization", "bearer " + std::string(kGatewayKey));
  expect_headers(upstream_credentials(h, auth_config(AuthMode::kProxyKey), provider()),
                 server_key());
}

TEST(UpstreamCredentialsProxyKey, HeaderNamesAreCaseInsensitive) {
  boost::beast::http::fields h;
  h.set("X-Warden-Key", kGatewayKey);
  h.set("X-Api-Key", kClientKey);
  expect_headers(upstream_credentials(h, auth_config(AuthMode::kProxyKey), provider()), own_key());
}

// --- both -----------------------------------------------------------------------------------

TEST(UpstreamCredentialsBoth, WithTheGatewayKeyActsLikeProxyKey) {
  for (KeyIn where : {KeyIn::kOwnHeader, KeyIn::kApiKey, KeyIn::kBearer}) {
    SCOPED_TRACE(static_cast<int>(where));
    expect_headers(credentials(AuthMode::kBoth, {.key_in = where}), server_key());
    expect_error(credentials(AuthMode::kBoth, {.key_in = where}, ""), ErrorKind::kInternal);
  }
  expect_headers(credentials(AuthMode::kBoth, {.key_in = KeyIn::kOwnHeader, .own_oauth = true}),
                 own_oauth());
  expect_headers(credentials(AuthMode::kBoth, {.key_in = KeyIn::kApiKey, .own_oauth = true}),
                 server_key());
}

TEST(UpstreamCredentialsBoth, WithoutTheGatewayKeyActsLikePassthrough) {
  expect_headers(credentials(AuthMode::kBoth, {.own_api_key = true}), own_key());
  expect_headers(credentials(AuthMode::kBoth, {.own_oauth = true}), own_oauth());
  expect_headers(credentials(AuthMode::kBoth, {.own_api_key = true, .own_oauth = true}),
                 own_both());
  expect_error(credentials(AuthMode::kBoth, {}), ErrorKind::kAuthentication);
}

TEST(UpstreamCredentialsBoth, WrongKeyInXApiKeyIsTreatedAsTheClientsOwnKey) {
  // Indistinguishable from a client API key: it goes upstream, which rejects it if bad.
  expect_headers(credentials(AuthMode::kBoth, {.key_in = KeyIn::kApiKey, .key = "sk-ant-other"}),
                 (HeaderList{{"x-api-key", "sk-ant-other"}}));
}

TEST(UpstreamCredentialsBoth, WrongKeyInItsOwnHeaderWithoutCredentialsIsAnAuthenticationError) {
  const auto result =
      credentials(AuthMode::kBoth, {.key_in = KeyIn::kOwnHeader, .key = "wk-wrong"});
  expect_error(result, ErrorKind::kAuthentication);
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().message.find("gateway key"), std::string::npos)
      << result.error().message;
}

TEST(UpstreamCredentialsBoth, WrongKeyInItsOwnHeaderWithClientCredentialsFallsBackToPassthrough) {
  expect_headers(credentials(AuthMode::kBoth,
                             {.key_in = KeyIn::kOwnHeader, .key = "wk-wrong", .own_oauth = true}),
                 own_oauth());
}

// --- keys_equal -----------------------------------------------------------------------------

TEST(KeysEqual, ComparesWholeKeys) {
  EXPECT_TRUE(keys_equal("wk-secret", "wk-secret"));
  EXPECT_TRUE(keys_equal("", ""));
  EXPECT_FALSE(keys_equal("wk-secret", "wk-secreT"));
  EXPECT_FALSE(keys_equal("wk-secret", "wk-secret2"));
  EXPECT_FALSE(keys_equal("wk-secret", "wk-secre"));
  EXPECT_FALSE(keys_equal("", "x"));
  EXPECT_FALSE(keys_equal("x", ""));
  EXPECT_TRUE(keys_equal(std::string_view("a\0b", 3), std::string_view("a\0b", 3)));
  EXPECT_FALSE(keys_equal(std::string_view("a\0b", 3), std::string_view("a\0c", 3)));
  const std::string long_key(4096, 'k');
  EXPECT_TRUE(keys_equal(long_key, std::string(4096, 'k')));
  EXPECT_FALSE(keys_equal(long_key, std::string(4095, 'k') + "j"));
}

}  // namespace
}  // namespace warden::server
