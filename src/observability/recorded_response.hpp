#pragma once
// The messages a transaction's captured bytes assemble to, for the record:
// an event stream or a whole JSON answer, in either dialect, becomes one
// message in the common (Anthropic) shape. Runs on the recorder's thread.

#include <string>
#include <string_view>

#include "core/request.hpp"

namespace warden::observability {

// The message as JSON text; a JSON body that is not a message (an error) is
// kept as it is; "" when the bytes hold nothing readable.
std::string assemble_response(core::Dialect dialect, bool stream, std::string_view bytes,
                              const std::string& model);

}  // namespace warden::observability
