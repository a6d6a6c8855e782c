#include "observability/trace.hpp"

#include <set>
#include <string>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <gtest/gtest.h>

namespace warden::observability {
namespace {

namespace json = boost::json;

bool is_lower_hex(const std::string& s) {
  return s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

std::set<std::string> keys(const json::object& o) {
  std::set<std::string> out;
  for (const auto& kv : o) out.insert(std::string(kv.key()));
  return out;
}

TEST(TraceTest, IdsAreRandomLowercaseHex) {
  std::set<std::string> traces, spans;
  for (int i = 0; i < 1000; ++i) {
    const std::string t = new_trace_id();
    const std::string s = new_span_id();
    ASSERT_EQ(t.size(), 32u);
    ASSERT_EQ(s.size(), 16u);
    ASSERT_TRUE(is_lower_hex(t)) << t;
    ASSERT_TRUE(is_lower_hex(s)) << s;
    ASSERT_NE(t, std::string(32, '0'));
    ASSERT_NE(s, std::string(16, '0'));
    traces.insert(t);
    spans.insert(s);
  }
  EXPECT_EQ(traces.size(), 1000u);
  EXPECT_EQ(spans.size(), 1000u);
}

TEST(TraceTest, TraceparentAccepts) {
  const auto p = parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(p->parent_id, "00f067aa0ba902b7");
  EXPECT_EQ(p->flags, 0x01);
  EXPECT_TRUE(p->sampled());

  const auto unsampled =
      parse_traceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00");
  ASSERT_TRUE(unsampled);
  EXPECT_FALSE(unsampled->sampled());
  // Unknown flag bits are kept, not rejected.
  const auto other_flags =
      parse_traceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-ff");
  ASSERT_TRUE(other_flags);
  EXPECT_EQ(other_flags->flags, 0xff);
}

TEST(TraceTest, TraceparentRejects) {
  const char* const bad[] = {
      "",
      "00",
      "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",     // version 01
      "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",     // forbidden version
      "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",     // upper-case trace id
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00F067AA0BA902B7-01",     // upper-case parent id
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0A",     // upper-case flags
      "00-00000000000000000000000000000000-00f067aa0ba902b7-01",     // zero trace id
      "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",     // zero parent id
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-",    // trailing dash
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-ab",  // v00 must be 55 long
      "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",      // short trace id
      "00-4bf92f3577b34da6a3ce929d0e0e47366-00f067aa0ba902b-01",     // misplaced dash
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1",      // short flags
      "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",     // wrong separator
      "00-4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7-01",
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7_01",
      "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01",  // non-hex
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902bz-01",
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0x",
      " 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0",   // leading space
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01 ",  // trailing space
      "00-+bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
  };
  for (const char* header : bad) {
    EXPECT_FALSE(parse_traceparent(header)) << '"' << header << '"';
  }
}

TEST(TraceTest, TraceparentFormatRoundTrips) {
  const TraceParent p{"0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331", 0x01};
  const std::string text = format_traceparent(p);
  EXPECT_EQ(text, "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
  const auto back = parse_traceparent(text);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->trace_id, p.trace_id);
  EXPECT_EQ(back->parent_id, p.parent_id);
  EXPECT_EQ(back->flags, p.flags);

  const TraceParent fresh{new_trace_id(), new_span_id(), 0};
  EXPECT_TRUE(parse_traceparent(format_traceparent(fresh)));
}

TEST(TraceTest, AttributeOverloadsPickTheNaturalType) {
  Span span;
  span.add_attribute("s", "literal");
  span.add_attribute("sv", std::string("string"));
  span.add_attribute("i", 42);
  span.add_attribute("u", std::uint16_t{7});
  span.add_attribute("d", 1.5);
  span.add_attribute("b", true);
  ASSERT_EQ(span.attributes.size(), 6u);
  EXPECT_EQ(std::get<std::string>(span.attributes[0].value), "literal");
  EXPECT_EQ(std::get<std::string>(span.attributes[1].value), "string");
  EXPECT_EQ(std::get<std::int64_t>(span.attributes[2].value), 42);
  EXPECT_EQ(std::get<std::int64_t>(span.attributes[3].value), 7);
  EXPECT_EQ(std::get<double>(span.attributes[4].value), 1.5);
  EXPECT_EQ(std::get<bool>(span.attributes[5].value), true);
}

std::vector<Span> two_spans() {
  Span root;
  root.trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
  root.span_id = "00f067aa0ba902b7";
  root.name = "POST /v1/messages";
  root.kind = SpanKind::kServer;
  root.start_unix_nanos = 1700000000123456789ull;
  root.end_unix_nanos = 18446744073709551615ull;  // beyond what a JSON double holds exactly
  root.add_attribute("http.request.method", "POST");
  root.add_attribute("http.response.status_code", 502);
  root.add_attribute("warden.overhead_ratio", 0.25);
  root.add_attribute("warden.stream", true);
  root.status = SpanStatus::kError;
  root.status_message = "upstream failed";

  Span child;
  child.trace_id = root.trace_id;
  child.span_id = "b7ad6b7169203331";
  child.parent_span_id = root.span_id;
  child.name = "upstream";
  child.kind = SpanKind::kClient;
  child.start_unix_nanos = 1;
  child.end_unix_nanos = 2;
  return {root, child};
}

TEST(TraceTest, OtlpJsonHasTheExactShape) {
  const json::value doc = json::parse(encode_otlp_json(two_spans(), "warden-test"));
  ASSERT_TRUE(doc.is_object());
  EXPECT_EQ(keys(doc.as_object()), std::set<std::string>{"resourceSpans"});
  const json::array& resource_spans = doc.at("resourceSpans").as_array();
  ASSERT_EQ(resource_spans.size(), 1u);
  const json::object& rs = resource_spans[0].as_object();
  EXPECT_EQ(keys(rs), (std::set<std::string>{"resource", "scopeSpans"}));

  const json::array& resource_attrs = rs.at("resource").at("attributes").as_array();
  ASSERT_EQ(resource_attrs.size(), 1u);
  EXPECT_EQ(resource_attrs[0],
            json::parse(R"({"key":"service.name","value":{"stringValue":"warden-test"}})"));

  const json::array& scope_spans = rs.at("scopeSpans").as_array();
  ASSERT_EQ(scope_spans.size(), 1u);
  EXPECT_EQ(scope_spans[0].at("scope"), json::parse(R"({"name":"warden"})"));
  const json::array& spans = scope_spans[0].at("spans").as_array();
  ASSERT_EQ(spans.size(), 2u);

  const json::object& root = spans[0].as_object();
  EXPECT_EQ(keys(root),
            (std::set<std::string>{"traceId", "spanId", "name", "kind", "startTimeUnixNano",
                                   "endTimeUnixNano", "attributes", "status"}));
  EXPECT_EQ(root.at("traceId"), "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(root.at("spanId"), "00f067aa0ba902b7");
  EXPECT_EQ(root.at("name"), "POST /v1/messages");
  ASSERT_TRUE(root.at("kind").is_int64());
  EXPECT_EQ(root.at("kind").as_int64(), 2);  // SPAN_KIND_SERVER
  ASSERT_TRUE(root.at("startTimeUnixNano").is_string());
  EXPECT_EQ(root.at("startTimeUnixNano"), "1700000000123456789");
  EXPECT_EQ(root.at("endTimeUnixNano"), "18446744073709551615");
  EXPECT_EQ(root.at("status"), json::parse(R"({"code":2,"message":"upstream failed"})"));
  EXPECT_EQ(root.at("attributes"), json::parse(R"([
      {"key":"http.request.method","value":{"stringValue":"POST"}},
      {"key":"http.response.status_code","value":{"intValue":"502"}},
      {"key":"warden.overhead_ratio","value":{"doubleValue":0.25}},
      {"key":"warden.stream","value":{"boolValue":true}}])"));
  ASSERT_TRUE(root.at("attributes").at(2).at("value").at("doubleValue").is_double());

  const json::object& child = spans[1].as_object();
  EXPECT_EQ(child.at("parentSpanId"), "00f067aa0ba902b7");
  EXPECT_EQ(child.at("kind").as_int64(), 3);  // SPAN_KIND_CLIENT
  EXPECT_EQ(child.at("status"), json::parse(R"({"code":0})"));
  EXPECT_EQ(child.at("attributes"), json::array{});
}

TEST(TraceTest, OtlpJsonKindAndStatusEnums) {
  Span span;
  span.trace_id = new_trace_id();
  span.span_id = new_span_id();
  span.status = SpanStatus::kOk;
  const json::value doc = json::parse(encode_otlp_json({span}, "s"));
  const json::value& encoded =
      doc.at("resourceSpans").at(0).at("scopeSpans").at(0).at("spans").at(0);
  EXPECT_EQ(encoded.at("kind").as_int64(), 1);  // SPAN_KIND_INTERNAL
  EXPECT_EQ(encoded.at("status").at("code").as_int64(), 1);
}

TEST(TraceTest, OtlpJsonStaysValidForHostileStrings) {
  Span span;
  span.trace_id = new_trace_id();
  span.span_id = new_span_id();
  span.name = "quote\" backslash\\ newline\n";
  span.add_attribute("user_agent", std::string_view("bad\xff\xc3 utf8"));
  span.add_attribute("nan", std::nan(""));
  span.add_attribute("inf", -INFINITY);
  const json::value doc = json::parse(encode_otlp_json({span}, "s"));  // throws if invalid
  const json::value& encoded =
      doc.at("resourceSpans").at(0).at("scopeSpans").at(0).at("spans").at(0);
  EXPECT_EQ(encoded.at("name"), "quote\" backslash\\ newline\n");
  EXPECT_EQ(encoded.at("attributes").at(0).at("value").at("stringValue"),
            "bad\xEF\xBF\xBD\xEF\xBF\xBD utf8");
  EXPECT_EQ(encoded.at("attributes").at(1).at("value").at("doubleValue"), "NaN");
  EXPECT_EQ(encoded.at("attributes").at(2).at("value").at("doubleValue"), "-Infinity");
}

TEST(TraceTest, EmptyBatchIsStillARequest) {
  const json::value doc = json::parse(encode_otlp_json({}, "s"));
  EXPECT_TRUE(doc.at("resourceSpans").at(0).at("scopeSpans").at(0).at("spans").as_array().empty());
}

}  // namespace
}  // namespace warden::observability
