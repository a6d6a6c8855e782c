#pragma once
// The one Redis URL form Warden accepts: redis://[:password@]host:port[/db].

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace warden::observability {

struct RedisUrl {
  std::string host;  // hostname, IPv4, or IPv6 without the brackets
  std::uint16_t port = 0;
  std::string password;  // percent-decoded; "" = no AUTH
  int db = -1;           // -1 = no SELECT

  // "host:port/db" for log lines: never the password.
  std::string redacted() const;
};

// Strict: no username, no query or fragment, port required, db a decimal number.
// Errors carry ErrorKind::kInvalidRequest and never echo the password.
//
// Example:
//   core::Result<RedisUrl> url = parse_redis_url("redis://:s3cret@10.0.0.5:6379/2");
//   if (!url) throw std::runtime_error(url.error().message);
core::Result<RedisUrl> parse_redis_url(std::string_view text);

}  // namespace warden::observability
