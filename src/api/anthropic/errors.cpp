#include "api/anthropic/errors.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

namespace warden::api::anthropic {

using core::ErrorKind;

std::string_view error_type(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kInvalidRequest: return "invalid_request_error";
    case ErrorKind::kAuthentication: return "authentication_error";
    case ErrorKind::kPermission: return "permission_error";
    case ErrorKind::kNotFound: return "not_found_error";
    case ErrorKind::kRequestTooLarge: return "request_too_large";
    case ErrorKind::kRateLimited: return "rate_limit_error";
    case ErrorKind::kTimeout: return "timeout_error";
    case ErrorKind::kOverloaded: return "overloaded_error";
    case ErrorKind::kInternal:
    case ErrorKind::kUpstreamFailed:
    case ErrorKind::kUnavailable: return "api_error";
  }
  return "api_error";
}

unsigned error_status(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kInvalidRequest: return 400;
    case ErrorKind::kAuthentication: return 401;
    case ErrorKind::kPermission: return 403;
    case ErrorKind::kNotFound: return 404;
    case ErrorKind::kRequestTooLarge: return 413;
    case ErrorKind::kRateLimited: return 429;
    case ErrorKind::kInternal: return 500;
    case ErrorKind::kUpstreamFailed: return 502;
    case ErrorKind::kUnavailable: return 503;
    case ErrorKind::kTimeout: return 504;
    case ErrorKind::kOverloaded: return 529;
  }
  return 500;
}

ErrorReply error_reply(const core::Error& error, std::string_view request_id) {
  boost::json::object body{
      {"type", "error"},
      {"error", {{"type", error_type(error.kind)}, {"message", error.message}}},
      {"request_id", request_id}};
  return {error_status(error.kind), boost::json::serialize(body)};
}

std::string error_event(std::string_view type, std::string_view message) {
  boost::json::object body{{"type", "error"}, {"error", {{"type", type}, {"message", message}}}};
  return "event: error\ndata: " + boost::json::serialize(body) + "\n\n";
}

}  // namespace warden::api::anthropic
