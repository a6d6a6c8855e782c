#include "observability/redis_url.hpp"

#include <charconv>

namespace warden::observability {

namespace {

constexpr std::string_view kScheme = "redis://";
constexpr int kMaxDb = 1 << 20;  // Redis has no fixed limit; anything larger is a typo

tl::unexpected<core::Error> bad(std::string why) {
  return core::fail(
      core::ErrorKind::kInvalidRequest,
      "invalid redis_url (expected redis://[:password@]host:port[/db]): " + std::move(why));
}

// Decimal digits only, at most `max`; from_chars alone would accept a leading '-'.
bool parse_number(std::string_view text, int max, int& out) {
  if (text.empty() || text.size() > 7) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  std::from_chars(text.data(), text.data() + text.size(), out);
  return out <= max;
}

bool is_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

int hex_value(char c) {
  if (c <= '9') return c - '0';
  return (c | 0x20) - 'a' + 10;
}

bool percent_decode(std::string_view in, std::string& out) {
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out.push_back(in[i]);
      continue;
    }
    if (i + 2 >= in.size() || !is_hex(in[i + 1]) || !is_hex(in[i + 2])) return false;
    out.push_back(static_cast<char>(hex_value(in[i + 1]) * 16 + hex_value(in[i + 2])));
    i += 2;
  }
  return true;
}

bool is_hostname(std::string_view host) {
  if (host.empty() || host.size() > 253) return false;
  for (char c : host) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '.' || c == '_';
    if (!ok) return false;
  }
  return true;
}

bool is_ipv6(std::string_view host) {
  if (host.empty()) return false;
  for (char c : host) {
    if (!is_hex(c) && c != ':' && c != '.') return false;
  }
  return true;
}

}  // namespace

std::string RedisUrl::redacted() const {
  std::string out = host.find(':') == std::string::npos ? host : "[" + host + "]";
  out += ":" + std::to_string(port);
  if (db >= 0) out += "/" + std::to_string(db);
  return out;
}

core::Result<RedisUrl> parse_redis_url(std::string_view text) {
  if (text.substr(0, kScheme.size()) != kScheme) {
    if (text.starts_with("rediss://")) return bad("TLS (rediss://) is not supported");
    return bad("the scheme must be redis://");
  }
  std::string_view rest = text.substr(kScheme.size());
  if (rest.find_first_of("?#") != std::string_view::npos) {
    return bad("query strings and fragments are not supported");
  }

  RedisUrl url;
  // Split at the last '@' so an unescaped '@' in a password stays in the password (and out
  // of the host, which error messages would otherwise quote).
  const std::size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  const std::size_t at = authority.rfind('@');
  if (at != std::string_view::npos) {
    const std::string_view userinfo = authority.substr(0, at);
    if (userinfo.empty() || userinfo.front() != ':') {
      return bad("a username is not supported; write the password as :password@");
    }
    if (userinfo.size() == 1) return bad("the password after ':' is empty");
    if (!percent_decode(userinfo.substr(1), url.password)) {
      return bad("the password has a malformed %-escape");
    }
    authority = authority.substr(at + 1);
  }

  std::string_view host;
  std::string_view port;
  if (authority.starts_with("[")) {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos || !is_ipv6(authority.substr(1, close - 1))) {
      return bad("malformed [IPv6] host");
    }
    host = authority.substr(1, close - 1);
    if (authority.substr(close + 1, 1) != ":") return bad("a port is required");
    port = authority.substr(close + 2);
  } else {
    const std::size_t colon = authority.find(':');
    if (colon == std::string_view::npos) return bad("a port is required");
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
    if (!is_hostname(host)) return bad("the host is empty or has characters a host cannot have");
  }
  int port_number = 0;
  if (!parse_number(port, 65535, port_number) || port_number == 0) {
    return bad("the port must be a number from 1 to 65535");
  }
  url.host = std::string(host);
  url.port = static_cast<std::uint16_t>(port_number);

  if (slash != std::string_view::npos) {
    if (!parse_number(rest.substr(slash + 1), kMaxDb, url.db)) {
      return bad("the database after '/' must be a number");
    }
  }
  return url;
}

}  // namespace warden::observability
