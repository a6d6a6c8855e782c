#include "observability/trace.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

namespace warden::observability {
namespace {

namespace json = boost::json;

std::uint64_t random_u64() {
  thread_local std::mt19937_64 rng = [] {
    std::random_device device;
    std::seed_seq seed{device(), device(), device(), device()};
    return std::mt19937_64(seed);
  }();
  return rng();
}

std::string hex64(std::uint64_t value) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(value));
  return std::string(buf, 16);
}

bool is_lower_hex(std::string_view s) {
  for (const char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool all_zero(std::string_view s) { return s.find_first_not_of('0') == std::string_view::npos; }

// Attribute values may come from client headers; one invalid byte would make the collector
// reject the whole batch, so invalid UTF-8 sequences become U+FFFD.
std::string valid_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const std::size_t len = c < 0x80             ? 1
                            : (c & 0xE0) == 0xC0 ? 2
                            : (c & 0xF0) == 0xE0 ? 3
                            : (c & 0xF8) == 0xF0 ? 4
                                                 : 0;
    bool ok = len > 0 && i + len <= s.size();
    std::uint32_t cp = len > 1 ? c & (0x7F >> len) : c;
    for (std::size_t k = 1; ok && k < len; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      ok = (cc & 0xC0) == 0x80;
      cp = (cp << 6) | (cc & 0x3F);
    }
    constexpr std::uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    ok = ok && cp >= kMin[len] && cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF);
    if (!ok) {
      out += "\xEF\xBF\xBD";
      ++i;
      continue;
    }
    out.append(s.substr(i, len));
    i += len;
  }
  return out;
}

json::object encode_value(const AttributeValue& value) {
  if (const auto* s = std::get_if<std::string>(&value)) return {{"stringValue", valid_utf8(*s)}};
  if (const auto* i = std::get_if<std::int64_t>(&value)) {
    return {{"intValue", std::to_string(*i)}};  // int64 is a string in proto3 JSON
  }
  if (const auto* b = std::get_if<bool>(&value)) return {{"boolValue", *b}};
  const double d = std::get<double>(value);
  if (std::isnan(d)) return {{"doubleValue", "NaN"}};  // proto3 JSON spells non-finite so
  if (std::isinf(d)) return {{"doubleValue", d > 0 ? "Infinity" : "-Infinity"}};
  return {{"doubleValue", d}};
}

json::object encode_span(const Span& span) {
  json::array attributes;
  for (const Attribute& a : span.attributes) {
    attributes.push_back(
        json::object{{"key", valid_utf8(a.key)}, {"value", encode_value(a.value)}});
  }
  json::object status{{"code", static_cast<int>(span.status)}};
  if (!span.status_message.empty()) status["message"] = valid_utf8(span.status_message);

  json::object out{{"traceId", span.trace_id}, {"spanId", span.span_id}};
  if (!span.parent_span_id.empty()) out["parentSpanId"] = span.parent_span_id;
  out["name"] = valid_utf8(span.name);
  out["kind"] = static_cast<int>(span.kind);
  out["startTimeUnixNano"] = std::to_string(span.start_unix_nanos);
  out["endTimeUnixNano"] = std::to_string(span.end_unix_nanos);
  out["attributes"] = std::move(attributes);
  out["status"] = std::move(status);
  return out;
}

}  // namespace

void Span::add_attribute(std::string key, std::string_view value) {
  attributes.push_back({std::move(key), std::string(value)});
}
void Span::add_attribute(std::string key, const char* value) {
  add_attribute(std::move(key), std::string_view(value));
}
void Span::add_attribute(std::string key, double value) {
  attributes.push_back({std::move(key), value});
}
void Span::add_attribute(std::string key, bool value) {
  attributes.push_back({std::move(key), value});
}

std::string new_trace_id() {
  std::uint64_t high = 0, low = 0;
  while (high == 0 && low == 0) {
    high = random_u64();
    low = random_u64();
  }
  return hex64(high) + hex64(low);
}

std::string new_span_id() {
  std::uint64_t id = 0;
  while (id == 0) id = random_u64();
  return hex64(id);
}

std::uint64_t unix_nanos_now() {
  const auto since_epoch = std::chrono::system_clock::now().time_since_epoch();
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(since_epoch).count());
}

std::optional<TraceParent> parse_traceparent(std::string_view header) {
  // 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01
  if (header.size() != 55 || header.substr(0, 3) != "00-" || header[35] != '-' ||
      header[52] != '-') {
    return std::nullopt;
  }
  const std::string_view trace_id = header.substr(3, 32);
  const std::string_view parent_id = header.substr(36, 16);
  const std::string_view flags = header.substr(53, 2);
  if (!is_lower_hex(trace_id) || !is_lower_hex(parent_id) || !is_lower_hex(flags) ||
      all_zero(trace_id) || all_zero(parent_id)) {
    return std::nullopt;
  }
  TraceParent parent{std::string(trace_id), std::string(parent_id), 0};
  parent.flags = static_cast<std::uint8_t>(std::stoul(std::string(flags), nullptr, 16));
  return parent;
}

std::string format_traceparent(const TraceParent& parent) {
  char flags[3];
  std::snprintf(flags, sizeof flags, "%02x", static_cast<unsigned>(parent.flags));
  return "00-" + parent.trace_id + "-" + parent.parent_id + "-" + flags;
}

std::string encode_otlp_json(const std::vector<Span>& spans, std::string_view service_name) {
  json::array encoded;
  encoded.reserve(spans.size());
  for (const Span& span : spans) encoded.push_back(encode_span(span));

  json::object service{{"key", "service.name"},
                       {"value", json::object{{"stringValue", valid_utf8(service_name)}}}};
  json::object resource{{"attributes", json::array{std::move(service)}}};
  json::object scope_spans{{"scope", json::object{{"name", "warden"}}},
                           {"spans", std::move(encoded)}};
  json::object resource_spans{{"resource", std::move(resource)},
                              {"scopeSpans", json::array{std::move(scope_spans)}}};
  return json::serialize(json::object{{"resourceSpans", json::array{std::move(resource_spans)}}});
}

}  // namespace warden::observability
