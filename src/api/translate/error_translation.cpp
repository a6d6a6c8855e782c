#include "api/translate/error_translation.hpp"

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace warden::api::translate {

namespace json = boost::json;

namespace {

// What can be read out of an upstream error body; empty strings when absent.
struct UpstreamError {
  std::string message;
  std::string type;
  std::string code;
};

std::string string_member(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
}

// Both shapes nest {message, type, code} under "error"; compatible servers vary
// ({"error":"text"}, {"message":…}, {"detail":…}), so take what is there.
UpstreamError read_error(std::string_view body) {
  UpstreamError out;
  boost::system::error_code ec;
  json::value parsed = json::parse(body, ec);
  if (ec || !parsed.is_object()) return out;
  const json::object& root = parsed.get_object();
  if (const json::value* error = root.if_contains("error")) {
    if (error->is_string()) out.message = error->get_string();
    if (error->is_object()) {
      out.message = string_member(error->get_object(), "message");
      out.type = string_member(error->get_object(), "type");
      out.code = string_member(error->get_object(), "code");
    }
  }
  if (out.message.empty()) out.message = string_member(root, "message");
  if (out.message.empty()) out.message = string_member(root, "detail");
  return out;
}

std::string status_message(unsigned status) {
  return "The upstream answered with HTTP status " + std::to_string(status);
}

struct Target {
  unsigned status;
  std::string_view type;
  std::string_view code = {};  // empty → null (OpenAI only)
  bool should_retry_false = false;
};

// 4.9, OpenAI upstream → Anthropic client: by status; insufficient_quota is a 429 that
// no retry will fix.
Target anthropic_target(unsigned status, const UpstreamError& e) {
  // One row per status, as the table in PROTOCOLS.md reads.
  // clang-format off
  switch (status) {
    case 400:
    case 422: return {400, "invalid_request_error"};
    case 401: return {401, "authentication_error"};
    case 402: return {402, "billing_error"};
    case 403: return {403, "permission_error"};
    case 404: return {404, "not_found_error"};
    case 409: return {409, "conflict_error"};
    case 413: return {413, "request_too_large"};
    case 429: {
      const bool quota = e.code == "insufficient_quota" || e.type == "insufficient_quota";
      return {429, "rate_limit_error", {}, quota};
    }
    case 500: return {500, "api_error"};
    case 502:
    case 503: return {529, "overloaded_error"};
    case 504: return {504, "timeout_error"};
    default: break;
  }
  // clang-format on
  // Anthropic uses invalid_request_error for other 4xx; keeping the number keeps the
  // SDK's retry decision (408 is retried).
  if (status >= 400 && status < 500) return {status, "invalid_request_error"};
  if (status >= 500) return {500, "api_error"};
  return {502, "api_error"};  // not an error status at all: the upstream misbehaved
}

// 4.9, Anthropic upstream → OpenAI client, from Anthropic's error type.
bool openai_target_from_type(const UpstreamError& e, Target& out) {
  const std::string_view type = e.type;
  if (type == "invalid_request_error") {
    out = {400, "invalid_request_error"};
  } else if (type == "authentication_error") {
    out = {401, "invalid_request_error", "invalid_api_key"};
  } else if (type == "billing_error") {
    // OpenAI's SDKs retry 429s; a billing problem will not go away.
    out = {429, "insufficient_quota", "insufficient_quota", true};
  } else if (type == "permission_error") {
    out = {403, "permission_error"};
  } else if (type == "not_found_error") {
    // Anthropic names the field first: "model: claude-nope".
    const bool model = e.message.starts_with("model:");
    out = {404, "invalid_request_error", model ? "model_not_found" : ""};
  } else if (type == "conflict_error") {
    out = {409, "invalid_request_error"};
  } else if (type == "request_too_large") {
    out = {413, "invalid_request_error", "request_too_large"};
  } else if (type == "rate_limit_error") {
    out = {429, "requests", "rate_limit_exceeded"};
  } else if (type == "api_error") {
    out = {500, "server_error"};
  } else if (type == "timeout_error") {
    out = {504, "server_error"};
  } else if (type == "overloaded_error") {
    out = {503, "server_error", "server_is_overloaded"};
  } else {
    return false;
  }
  return true;
}

// The same, from the status when the type is missing or unknown.
Target openai_target_from_status(unsigned status) {
  // clang-format off
  switch (status) {
    case 400: return {400, "invalid_request_error"};
    case 401: return {401, "invalid_request_error", "invalid_api_key"};
    case 402: return {429, "insufficient_quota", "insufficient_quota", true};
    case 403: return {403, "permission_error"};
    case 404: return {404, "invalid_request_error"};
    case 409: return {409, "invalid_request_error"};
    case 413: return {413, "invalid_request_error", "request_too_large"};
    case 429: return {429, "requests", "rate_limit_exceeded"};
    case 500: return {500, "server_error"};
    case 504: return {504, "server_error"};
    case 529: return {503, "server_error", "server_is_overloaded"};
    default: break;
  }
  // clang-format on
  if (status >= 400 && status < 500) return {status, "invalid_request_error"};
  if (status >= 500) return {status, "server_error"};
  return {502, "server_error"};
}

}  // namespace

TranslatedError openai_error_to_anthropic(unsigned status, std::string_view body) {
  const UpstreamError upstream = read_error(body);
  const Target target = anthropic_target(status, upstream);
  // No request_id in the body: the client gets Warden's in the request-id header.
  json::object out{
      {"type", "error"},
      {"error",
       {{"type", target.type},
        {"message", upstream.message.empty() ? status_message(status) : upstream.message}}}};
  return {target.status, json::serialize(out), target.should_retry_false};
}

TranslatedError anthropic_error_to_openai(unsigned status, std::string_view body) {
  const UpstreamError upstream = read_error(body);
  Target target{};
  if (!openai_target_from_type(upstream, target)) target = openai_target_from_status(status);
  json::object out{
      {"error",
       {{"message", upstream.message.empty() ? status_message(status) : upstream.message},
        {"type", target.type},
        {"param", nullptr},
        {"code", target.code.empty() ? json::value(nullptr) : json::value(target.code)}}}};
  return {target.status, json::serialize(out), target.should_retry_false};
}

}  // namespace warden::api::translate
