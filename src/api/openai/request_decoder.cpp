#include "api/openai/request_decoder.hpp"

#include <boost/json/parse.hpp>

namespace warden::api::openai {

using core::ErrorKind;

namespace {

tl::unexpected<core::Error> invalid(std::string message, std::string param) {
  return tl::unexpected<core::Error>(
      core::Error{ErrorKind::kInvalidRequest, std::move(message), std::move(param)});
}

}  // namespace

core::Result<core::Request> decode_request(std::string body) {
  boost::system::error_code ec;
  boost::json::value parsed = boost::json::parse(body, ec);
  if (ec) return invalid("Request body is not valid JSON: " + ec.message(), "");
  if (!parsed.is_object()) return invalid("Request body must be a JSON object", "");
  core::Request request;
  request.dialect = core::Dialect::kOpenAi;
  request.body = std::move(parsed.get_object());

  const auto* model = request.body.if_contains("model");
  if (model == nullptr) return invalid("you must provide a model parameter", "model");
  if (!model->is_string() || model->get_string().empty()) {
    return invalid("model must be a non-empty string", "model");
  }
  request.model = model->get_string();
  const auto* messages = request.body.if_contains("messages");
  if (messages == nullptr) return invalid("Missing required parameter: 'messages'", "messages");
  if (!messages->is_array()) return invalid("messages must be an array", "messages");
  if (const auto* n = request.body.if_contains("n"); n != nullptr && !n->is_null()) {
    if (!n->is_int64() || n->get_int64() != 1) {
      return invalid("Warden supports n = 1 only (one choice per request)", "n");
    }
  }
  const auto* stream = request.body.if_contains("stream");
  if (stream != nullptr && !stream->is_bool() && !stream->is_null()) {
    return invalid("stream must be a boolean", "stream");
  }
  request.stream = stream != nullptr && stream->is_bool() && stream->get_bool();
  if (const auto* options = request.body.if_contains("stream_options");
      options != nullptr && options->is_object()) {
    const auto* usage = options->get_object().if_contains("include_usage");
    request.include_usage = usage != nullptr && usage->is_bool() && usage->get_bool();
  }
  request.original_body = std::move(body);
  return request;
}

}  // namespace warden::api::openai
