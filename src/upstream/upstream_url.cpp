#include "upstream/upstream_url.hpp"

#include <boost/url/parse.hpp>

namespace warden::upstream {

std::string UpstreamUrl::pool_key() const {
  return host + ":" + std::to_string(port) + (tls ? ":tls" : ":plain");
}

std::string UpstreamUrl::host_header() const {
  const bool default_port = (tls && port == 443) || (!tls && port == 80);
  const bool ipv6 = host.find(':') != std::string::npos;
  std::string h = ipv6 ? "[" + host + "]" : host;
  return default_port ? h : h + ":" + std::to_string(port);
}

core::Result<UpstreamUrl> parse_upstream_url(std::string_view text) {
  auto parsed = boost::urls::parse_absolute_uri(text);
  if (!parsed) {
    return core::fail(core::ErrorKind::kInternal, "invalid upstream URL '" + std::string(text) + "'");
  }
  UpstreamUrl url;
  const auto scheme = parsed->scheme();
  if (scheme == "https") {
    url.tls = true;
    url.port = 443;
  } else if (scheme == "http") {
    url.tls = false;
    url.port = 80;
  } else {
    return core::fail(core::ErrorKind::kInternal, "upstream URL must be http or https");
  }
  url.host = parsed->host_address();
  if (url.host.empty()) return core::fail(core::ErrorKind::kInternal, "upstream URL has no host");
  if (parsed->has_port()) url.port = parsed->port_number();
  url.base_path = parsed->encoded_path();
  while (!url.base_path.empty() && url.base_path.back() == '/') url.base_path.pop_back();
  return url;
}

}  // namespace warden::upstream
