#include "api/anthropic/request_decoder.hpp"

#include <boost/json/parse.hpp>

namespace warden::api::anthropic {

using core::ErrorKind;
using core::fail;

core::Result<core::Request> decode_request(std::string body, Endpoint endpoint) {
  boost::system::error_code ec;
  boost::json::value parsed = boost::json::parse(body, ec);
  if (ec) return fail(ErrorKind::kInvalidRequest, "Request body is not valid JSON: " + ec.message());
  if (!parsed.is_object()) {
    return fail(ErrorKind::kInvalidRequest, "Request body must be a JSON object");
  }
  core::Request request;
  request.body = std::move(parsed.get_object());

  const auto* model = request.body.if_contains("model");
  if (model == nullptr) return fail(ErrorKind::kInvalidRequest, "model: Field required");
  if (!model->is_string() || model->get_string().empty()) {
    return fail(ErrorKind::kInvalidRequest, "model: Input should be a non-empty string");
  }
  request.model = model->get_string();

  const auto* messages = request.body.if_contains("messages");
  if (messages == nullptr) return fail(ErrorKind::kInvalidRequest, "messages: Field required");
  if (!messages->is_array()) {
    return fail(ErrorKind::kInvalidRequest, "messages: Input should be a valid list");
  }
  if (endpoint == Endpoint::kMessages) {
    const auto* max_tokens = request.body.if_contains("max_tokens");
    if (max_tokens == nullptr) return fail(ErrorKind::kInvalidRequest, "max_tokens: Field required");
    if (!max_tokens->is_int64() && !max_tokens->is_uint64()) {
      return fail(ErrorKind::kInvalidRequest, "max_tokens: Input should be a valid integer");
    }
    const auto* stream = request.body.if_contains("stream");
    if (stream != nullptr && !stream->is_bool() && !stream->is_null()) {
      return fail(ErrorKind::kInvalidRequest, "stream: Input should be a valid boolean");
    }
    request.stream = stream != nullptr && stream->is_bool() && stream->get_bool();
  }
  request.original_body = std::move(body);
  return request;
}

}  // namespace warden::api::anthropic
