// Fuzzes api::anthropic::decode_request with both endpoints. Any input gives a value or
// an invalid_request error; a value keeps the body byte for byte.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "api/anthropic/request_decoder.hpp"

namespace {

using warden::api::anthropic::Endpoint;
using warden::core::ErrorKind;

void check(bool ok) {
  if (!ok) std::abort();
}

void decode(const std::string& body, Endpoint endpoint) {
  const auto result = warden::api::anthropic::decode_request(body, endpoint);
  if (!result) {
    check(result.error().kind == ErrorKind::kInvalidRequest && !result.error().message.empty());
    return;
  }
  check(result->original_body == body);
  check(!result->model.empty() && result->body.contains("messages"));
  check(!result->stream || endpoint == Endpoint::kMessages);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string body(reinterpret_cast<const char*>(data), size);
  decode(body, Endpoint::kMessages);
  decode(body, Endpoint::kCountTokens);
  return 0;
}
