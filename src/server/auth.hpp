#pragma once
// Which credentials go upstream, per auth mode (README, "Credentials"):
//   passthrough  the client's own x-api-key / Authorization go upstream as they are;
//   proxy_key    the client must present the gateway key; the server's key goes
//                upstream — unless the gateway key came in its own header and the
//                client also sent its own credentials (an OAuth bearer), which then pass;
//   both         with the gateway key as proxy_key, without it as passthrough.
// The gateway key is accepted in `auth.proxy_key_header`, x-api-key or
// Authorization: Bearer, and compared in constant time.

#include <string>
#include <utility>
#include <vector>

#include <boost/beast/http/fields.hpp>

#include "config/config.hpp"
#include "core/result.hpp"

namespace warden::server {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// The credential headers to set on the upstream request, or a 401/500 error.
// An OpenAI upstream takes only `Authorization: Bearer`: a client's x-api-key
// and the server key are sent that way to it.
core::Result<HeaderList> upstream_credentials(const boost::beast::http::fields& client_headers,
                                              const config::AuthConfig& auth,
                                              const config::ProviderConfig& provider);

// Constant-time comparison that also hides the lengths.
bool keys_equal(std::string_view a, std::string_view b);

}  // namespace warden::server
