#pragma once
// Which headers cross Warden, in each direction (PROTOCOLS.md 2.2).

#include <string_view>

#include <boost/beast/http/fields.hpp>

#include "core/request.hpp"

namespace warden::upstream {

// Client → upstream: everything meant for the API (anthropic-version, unknown
// headers, x-stainless-*, …) except hop-by-hop headers, Host, Content-Length
// (recomputed), Accept-Encoding (Warden reads the body), the credentials
// (`x-api-key`, `Authorization`: set by the caller per auth mode) and
// `gateway_key_header`. Repeated `anthropic-beta` lines are merged into one
// comma-separated list, order kept, duplicates removed. Headers that belong to
// the other dialect (`anthropic-*` toward an OpenAI upstream, `openai-*` toward
// an Anthropic one) are not sent.
void copy_request_headers(const boost::beast::http::fields& from, boost::beast::http::fields& to,
                          std::string_view gateway_key_header,
                          core::Dialect upstream = core::Dialect::kAnthropic);

// Upstream → client: everything (request-id, retry-after, anthropic-ratelimit-*,
// …) except hop-by-hop and framing headers, which Warden sets itself.
void copy_response_headers(const boost::beast::http::fields& from,
                           boost::beast::http::fields& to);

}  // namespace warden::upstream
