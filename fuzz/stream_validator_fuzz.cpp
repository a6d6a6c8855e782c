// Fuzzes both stream validators (they parse whatever Warden sends a client,
// and run in production with `stream.validate`). Besides not crashing, a
// stream must get the same verdict whole and split at any point.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "api/anthropic/stream_validator.hpp"
#include "api/openai/stream_validator.hpp"

namespace {

template <class Validator>
void check(std::string_view bytes) {
  Validator whole;
  whole.feed(bytes);
  whole.finish();
  Validator split;
  const std::size_t cut = bytes.empty() ? 0 : static_cast<unsigned char>(bytes[0]) % bytes.size();
  split.feed(bytes.substr(0, cut));
  split.feed(bytes.substr(cut));
  split.finish();
  if (whole.violations() != split.violations() || whole.complete() != split.complete()) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  check<warden::api::anthropic::StreamValidator>(bytes);
  check<warden::api::openai::StreamValidator>(bytes);
  return 0;
}
