#include "server/auth.hpp"

#include <openssl/crypto.h>
#include <openssl/sha.h>

namespace warden::server {

using core::ErrorKind;

namespace {

std::string_view bearer_token(std::string_view authorization) {
  constexpr std::string_view kBearer = "Bearer ";
  if (authorization.size() > kBearer.size() &&
      std::equal(kBearer.begin(), kBearer.end(), authorization.begin(),
                 [](char a, char b) { return std::tolower(a) == std::tolower(b); })) {
    return authorization.substr(kBearer.size());
  }
  return {};
}

}  // namespace

bool keys_equal(std::string_view a, std::string_view b) {
  unsigned char da[SHA256_DIGEST_LENGTH];
  unsigned char db[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(a.data()), a.size(), da);
  SHA256(reinterpret_cast<const unsigned char*>(b.data()), b.size(), db);
  return CRYPTO_memcmp(da, db, SHA256_DIGEST_LENGTH) == 0;
}

namespace {

core::Result<HeaderList> credentials_for_anthropic(const boost::beast::http::fields& headers,
                                                   const config::AuthConfig& auth,
                                                   const config::ProviderConfig& provider);

}  // namespace

core::Result<HeaderList> upstream_credentials(const boost::beast::http::fields& headers,
                                              const config::AuthConfig& auth,
                                              const config::ProviderConfig& provider) {
  auto credentials = credentials_for_anthropic(headers, auth, provider);
  if (!credentials || provider.dialect != "openai") return credentials;
  // The client's own Authorization wins; else an x-api-key (client's or server's) as a bearer.
  for (auto& [name, value] : *credentials) {
    if (name == "authorization") return HeaderList{{name, std::move(value)}};
  }
  return HeaderList{{"authorization", "Bearer " + credentials->front().second}};
}

namespace {

core::Result<HeaderList> credentials_for_anthropic(const boost::beast::http::fields& headers,
                                                   const config::AuthConfig& auth,
                                                   const config::ProviderConfig& provider) {
  const std::string_view api_key = headers["x-api-key"];
  const std::string_view authorization = headers["authorization"];
  const std::string_view bearer = bearer_token(authorization);
  const std::string_view own_header = headers[auth.proxy_key_header];

  const bool key_set = !auth.proxy_key.empty();
  const bool in_own_header = key_set && !own_header.empty() && keys_equal(own_header, auth.proxy_key);
  const bool in_api_key = key_set && !api_key.empty() && keys_equal(api_key, auth.proxy_key);
  const bool in_bearer = key_set && !bearer.empty() && keys_equal(bearer, auth.proxy_key);
  const bool presented = in_own_header || in_api_key || in_bearer;

  // The client's own credentials: whatever it sent that is not the gateway key.
  HeaderList own;
  if (!api_key.empty() && !in_api_key) own.emplace_back("x-api-key", std::string(api_key));
  if (!authorization.empty() && !in_bearer) {
    own.emplace_back("authorization", std::string(authorization));
  }

  if (auth.mode == config::AuthMode::kPassthrough || (auth.mode == config::AuthMode::kBoth && !presented)) {
    if (own.empty()) {
      if (auth.mode == config::AuthMode::kBoth && !own_header.empty()) {
        return core::fail(ErrorKind::kAuthentication, "Invalid Warden gateway key");
      }
      return core::fail(ErrorKind::kAuthentication,
                        "No API key: send x-api-key or Authorization: Bearer");
    }
    return own;
  }
  if (!presented) {
    return core::fail(ErrorKind::kAuthentication,
                      !own_header.empty() || !api_key.empty() || !bearer.empty()
                          ? "Invalid Warden gateway key"
                          : "Warden requires its gateway key (send it in " + auth.proxy_key_header +
                                ", x-api-key or Authorization: Bearer)");
  }
  if (in_own_header && !own.empty()) return own;
  if (provider.api_key.empty()) {
    return core::fail(ErrorKind::kInternal,
                      "Warden has no API key for provider '" + provider.name +
                          "' (set providers." + provider.name + ".api_key)");
  }
  return HeaderList{{"x-api-key", provider.api_key}};
}

}  // namespace

}  // namespace warden::server
