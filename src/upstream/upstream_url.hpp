#pragma once
// A provider's base URL, split for connecting: https://api.anthropic.com → host,
// port 443, TLS on, base path "".

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace warden::upstream {

struct UpstreamUrl {
  bool tls = true;
  std::string host;
  std::uint16_t port = 443;
  std::string base_path;  // without a trailing '/': "" or "/proxy"

  // "host:port:tls" — the connection pool key.
  std::string pool_key() const;
  // The Host header value (port omitted when it is the scheme's default).
  std::string host_header() const;
};

core::Result<UpstreamUrl> parse_upstream_url(std::string_view url);

}  // namespace warden::upstream
