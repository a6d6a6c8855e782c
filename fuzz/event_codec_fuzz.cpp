// Fuzzes api::anthropic::decode_event / encode_event. Input: the SSE event name, a
// newline, then the data. A decoded event must encode to one well-formed SSE event that
// decodes again to an event with the same name and JSON. (Not the same bytes: Boost.JSON
// 1.81 does not parse doubles exactly, so 5069e64 → 5.0690000000000004E67 → 5.069E67.)

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "api/anthropic/event_codec.hpp"

namespace {

namespace anthropic = warden::api::anthropic;
namespace json = boost::json;
using warden::core::ErrorKind;
using warden::core::StreamEvent;

void check(bool ok) {
  if (!ok) std::abort();
}

// Equal JSON, but doubles only to 12 significant digits.
bool similar(const json::value& a, const json::value& b) {
  if (a.is_double() && b.is_double()) {
    const double x = a.get_double();
    const double y = b.get_double();
    return x == y || std::fabs(x - y) <= 1e-12 * std::fmax(std::fabs(x), std::fabs(y));
  }
  if (a.kind() != b.kind()) return false;
  if (a.is_array()) {
    const auto& x = a.get_array();
    const auto& y = b.get_array();
    if (x.size() != y.size()) return false;
    for (std::size_t i = 0; i < x.size(); ++i) {
      if (!similar(x[i], y[i])) return false;
    }
    return true;
  }
  if (a.is_object()) {
    const auto& x = a.get_object();
    const auto& y = b.get_object();
    if (x.size() != y.size()) return false;
    for (const auto& kv : x) {
      const auto* other = y.if_contains(kv.key());
      if (other == nullptr || !similar(kv.value(), *other)) return false;
    }
    return true;
  }
  return a == b;
}

// Known, reported: Boost.JSON 1.81 parses an out-of-range number (1e400) as infinity and
// serializes it as `Infinity`, which is not JSON, so such an event cannot be re-encoded.
bool has_non_finite(const json::value& v) {
  if (v.is_double()) return !std::isfinite(v.get_double());
  if (v.is_array()) {
    for (const auto& x : v.get_array()) {
      if (has_non_finite(x)) return true;
    }
  }
  if (v.is_object()) {
    for (const auto& kv : v.get_object()) {
      if (has_non_finite(kv.value())) return true;
    }
  }
  return false;
}

// Splits `event: NAME\ndata: DATA\n\n`; aborts on any other shape.
void split_wire(std::string_view bytes, std::string_view& name, std::string_view& data) {
  check(bytes.starts_with("event: ") && bytes.ends_with("\n\n"));
  const std::size_t nl = bytes.find('\n');
  name = bytes.substr(7, nl - 7);
  check(bytes.substr(nl + 1).starts_with("data: "));
  data = bytes.substr(nl + 7, bytes.size() - nl - 9);
  // One name line, one data line: no CR or LF may leak into either.
  check(name.find_first_of("\r\n") == std::string_view::npos);
  check(data.find_first_of("\r\n") == std::string_view::npos);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(bytes), size);
  const std::size_t nl = input.find('\n');
  const std::string_view name = nl == std::string_view::npos ? "message" : input.substr(0, nl);
  const std::string_view data = nl == std::string_view::npos ? input : input.substr(nl + 1);
  // The SSE parser splits lines on CR too, so an event name never holds one.
  if (name.find('\r') != std::string_view::npos) return 0;

  auto first = anthropic::decode_event(name, data, std::string(input));
  if (!first) {
    check(first.error().kind == ErrorKind::kUpstreamFailed && !first.error().message.empty());
    return 0;
  }
  check(!first->modified && first->raw == input);
  if (has_non_finite(json::parse(data))) return 0;
  first->modified = true;
  std::string encoded;
  anthropic::encode_event(*first, encoded);

  std::string_view name2;
  std::string_view data2;
  split_wire(encoded, name2, data2);
  auto second = anthropic::decode_event(name2, data2, encoded);
  check(second.has_value());
  second->modified = true;
  std::string reencoded;
  anthropic::encode_event(*second, reencoded);
  std::string_view name3;
  std::string_view data3;
  split_wire(reencoded, name3, data3);
  check(name3 == name2 && similar(json::parse(data3), json::parse(data2)));
  return 0;
}
