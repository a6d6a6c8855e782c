#pragma once
// Trace spans, W3C `traceparent` and the OTLP/HTTP JSON encoding that TraceExporter sends.
//
// Example:
//   Span span{.trace_id = parent ? parent->trace_id : new_trace_id(), .span_id = new_span_id(),
//             .name = "POST /v1/messages", .kind = SpanKind::kServer,
//             .start_unix_nanos = unix_nanos_now()};
//   span.add_attribute("http.response.status_code", 200);

#include <concepts>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace warden::observability {

// Values are OTLP's SpanKind enum.
enum class SpanKind { kInternal = 1, kServer = 2, kClient = 3 };
// Values are OTLP's Status.StatusCode enum.
enum class SpanStatus { kUnset = 0, kOk = 1, kError = 2 };

using AttributeValue = std::variant<std::string, std::int64_t, double, bool>;

struct Attribute {
  std::string key{};
  AttributeValue value{};
};

// Every member has an initializer, so designated initialisation leaves any of them out
// without -Wmissing-field-initializers.
struct Span {
  std::string trace_id{};        // 32 lowercase hex digits
  std::string span_id{};         // 16 lowercase hex digits
  std::string parent_span_id{};  // "" for a root span
  std::string name{};
  SpanKind kind = SpanKind::kInternal;
  std::uint64_t start_unix_nanos = 0;
  std::uint64_t end_unix_nanos = 0;
  std::vector<Attribute> attributes{};
  SpanStatus status = SpanStatus::kUnset;
  std::string status_message{};  // meaningful with kError

  // Overloads keep a string literal from becoming a bool and an int from becoming a double.
  void add_attribute(std::string key, std::string_view value);
  void add_attribute(std::string key, const char* value);
  void add_attribute(std::string key, double value);
  void add_attribute(std::string key, bool value);
  template <std::integral T>  // a bool takes the exact, non-template overload above
  void add_attribute(std::string key, T value) {
    attributes.push_back({std::move(key), static_cast<std::int64_t>(value)});
  }
};

// Random, never all-zero ids as lowercase hex (32 and 16 digits). Thread-safe.
std::string new_trace_id();
std::string new_span_id();

std::uint64_t unix_nanos_now();

// The W3C `traceparent` header: "00-<trace-id>-<parent-id>-<flags>".
struct TraceParent {
  std::string trace_id{};   // 32 lowercase hex digits, not all zero
  std::string parent_id{};  // 16 lowercase hex digits, not all zero
  std::uint8_t flags = 0;

  bool sampled() const { return (flags & 0x01) != 0; }
};

// Strict: version 00 only, exactly 55 characters, lowercase hex, non-zero ids. Anything else
// is nullopt, and the caller starts a new trace.
std::optional<TraceParent> parse_traceparent(std::string_view header);
std::string format_traceparent(const TraceParent& parent);

// One ExportTraceServiceRequest in the OTLP JSON mapping: a single resource carrying
// service.name and a single scope "warden". Ids are hex, times and intValue decimal strings,
// kind and status.code integers; parentSpanId and status.message are left out when empty.
std::string encode_otlp_json(const std::vector<Span>& spans, std::string_view service_name);

}  // namespace warden::observability
