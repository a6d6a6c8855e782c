#pragma once
// Result<T>: a value or a core::Error, for bad input and bad upstream bytes.
//
// Example:
//   Result<Request> r = decode_request(body);
//   if (!r) return reply_error(r.error());
//   use(*r);

#include <tl/expected.hpp>

#include "core/error.hpp"

namespace warden::core {

template <class T>
using Result = tl::expected<T, Error>;

inline tl::unexpected<Error> fail(ErrorKind kind, std::string message) {
  return tl::unexpected<Error>(Error{kind, std::move(message)});
}

}  // namespace warden::core
