// Fuzzes what the recorder does with a transaction's captured bytes (they are
// whatever the upstream and the client got): assemble_response in both
// dialects, as an event stream and as a whole answer, on the input and on a
// prefix of it picked by the first byte, and redact_secrets on the same bytes.
// Besides not crashing: an assembled response is "" or a JSON object, and
// redacting twice changes nothing.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include <boost/json/parse.hpp>

#include "observability/recorded_response.hpp"
#include "observability/redaction.hpp"

namespace {

using warden::core::Dialect;

void check(bool ok) {
  if (!ok) std::abort();
}

// Assembled messages nest a little deeper than the events they came from.
bool empty_or_object(const std::string& text) {
  if (text.empty()) return true;
  boost::system::error_code ec;
  boost::json::parse_options options;
  options.max_depth = 1024;
  const boost::json::value v = boost::json::parse(text, ec, {}, options);
  return !ec && v.is_object();
}

void assemble_all(std::string_view bytes) {
  for (Dialect dialect : {Dialect::kAnthropic, Dialect::kOpenAi}) {
    for (bool stream : {true, false}) {
      check(empty_or_object(warden::observability::assemble_response(dialect, stream, bytes, "m")));
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  assemble_all(bytes);
  // A transaction cut off mid-answer: the record keeps what came.
  const std::size_t cut = size == 0 ? 0 : data[0] * size / 256;
  assemble_all(bytes.substr(0, cut));

  const std::string once = warden::observability::redact_secrets(bytes);
  check(warden::observability::redact_secrets(once) == once);
  return 0;
}
