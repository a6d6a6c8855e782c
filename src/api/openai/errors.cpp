#include "api/openai/errors.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

namespace warden::api::openai {

using core::ErrorKind;

namespace {

struct Shape {
  unsigned status;
  std::string_view type;
  std::string_view code;  // empty → null
};

Shape shape_of(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kInvalidRequest: return {400, "invalid_request_error", ""};
    case ErrorKind::kAuthentication: return {401, "invalid_request_error", "invalid_api_key"};
    case ErrorKind::kPermission: return {403, "permission_error", ""};
    case ErrorKind::kNotFound: return {404, "invalid_request_error", "not_found"};
    case ErrorKind::kRequestTooLarge: return {413, "invalid_request_error", "request_too_large"};
    case ErrorKind::kRateLimited: return {429, "requests", "rate_limit_exceeded"};
    case ErrorKind::kInternal: return {500, "server_error", ""};
    case ErrorKind::kUpstreamFailed: return {502, "server_error", "upstream_error"};
    case ErrorKind::kUnavailable: return {503, "server_error", ""};
    case ErrorKind::kTimeout: return {504, "server_error", "timeout"};
    case ErrorKind::kOverloaded: return {503, "server_error", "server_is_overloaded"};
  }
  return {500, "server_error", ""};
}

boost::json::value null_or(std::string_view s) {
  return s.empty() ? boost::json::value(nullptr) : boost::json::value(s);
}

}  // namespace

ErrorReply error_reply(const core::Error& error) {
  Shape shape = shape_of(error.kind);
  if (error.kind == ErrorKind::kNotFound) {
    shape.code = error.param == "model" ? "model_not_found" : "";
  }
  boost::json::object body{{"error",
                            {{"message", error.message},
                             {"type", shape.type},
                             {"param", null_or(error.param)},
                             {"code", null_or(shape.code)}}}};
  return {shape.status, boost::json::serialize(body)};
}

std::string error_chunk(std::string_view message, std::string_view type) {
  boost::json::object body{
      {"error", {{"message", message}, {"type", type}, {"param", nullptr}, {"code", nullptr}}}};
  return "data: " + boost::json::serialize(body) + "\n\n";
}

}  // namespace warden::api::openai
