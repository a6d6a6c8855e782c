#pragma once
// A failure Warden reports to a client. Each dialect maps `kind` to its own
// HTTP status and error body (api/<dialect>/errors.cpp), so code that fails
// says what went wrong, not how a particular API spells it.

#include <string>

namespace warden::core {

enum class ErrorKind {
  kInvalidRequest,     // 400: malformed body, missing field
  kAuthentication,     // 401: bad or missing key
  kPermission,         // 403
  kNotFound,           // 404: unknown route or model
  kRequestTooLarge,    // 413: body over the limit
  kRateLimited,        // 429
  kInternal,           // 500: a bug or a broken invariant in Warden
  kUpstreamFailed,     // 502: upstream unreachable, TLS failure, bad upstream bytes
  kUnavailable,        // 503: shutting down
  kTimeout,            // 504: upstream did not answer in time
  kOverloaded,         // 529
};

struct Error {
  Error(ErrorKind kind, std::string message, std::string param = {})
      : kind(kind), message(std::move(message)), param(std::move(param)) {}

  ErrorKind kind;
  std::string message;
  std::string param;  // the request field at fault, when there is one (OpenAI's `param`)
};

}  // namespace warden::core
