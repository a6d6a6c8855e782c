#include "storage/detail/search_text.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace warden::storage::detail {

namespace json = boost::json;

namespace {

void add(std::string& out, std::string_view text) {
  if (text.empty() || out.size() >= kMaxSearchTextBytes) return;
  if (!out.empty()) out += '\n';
  out.append(text.substr(0, kMaxSearchTextBytes - std::min(out.size(), kMaxSearchTextBytes)));
}

// Text, tool calls and tool results of one message's `content` (a string or blocks).
void add_content(std::string& out, const json::value& content) {
  if (content.is_string()) return add(out, content.as_string());
  if (!content.is_array()) return;
  for (const auto& block : content.as_array()) {
    if (!block.is_object()) continue;
    const auto& b = block.as_object();
    for (const char* key : {"text", "thinking", "name"}) {
      if (const auto* v = b.if_contains(key); v && v->is_string()) add(out, v->as_string());
    }
    if (const auto* input = b.if_contains("input")) add(out, json::serialize(*input));
    if (const auto* nested = b.if_contains("content")) add_content(out, *nested);  // tool_result
  }
}

// A request: its last user message (Anthropic or OpenAI shape); a response:
// its content, or an OpenAI answer's message.
void add_body(std::string& out, std::string_view body) {
  if (body.empty()) return;
  boost::system::error_code ec;
  const json::value parsed = json::parse(body, ec);
  if (ec || !parsed.is_object()) return add(out, body);
  const auto& object = parsed.as_object();
  if (const auto* messages = object.if_contains("messages"); messages && messages->is_array()) {
    const auto& list = messages->as_array();
    for (auto it = list.rbegin(); it != list.rend(); ++it) {
      if (!it->is_object()) continue;
      const auto* role = it->as_object().if_contains("role");
      if (role == nullptr || !role->is_string()) continue;
      if (role->as_string() == "user" || role->as_string() == "tool") {
        if (const auto* content = it->as_object().if_contains("content")) add_content(out, *content);
      }
      if (role->as_string() == "user") break;  // tool messages before it are the same turn
    }
    return;
  }
  if (const auto* content = object.if_contains("content")) return add_content(out, *content);
  add(out, body);  // neither a request nor a message: an error body and the like
}

}  // namespace

std::string fold_ascii(std::string text) {
  for (char& c : text) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return text;
}

std::string search_text_of(const TransactionRecord& r) {
  std::string out;
  add_body(out, r.original_request);
  add_body(out, r.final_request);
  add_body(out, r.original_response);
  if (r.final_response != r.original_response) add_body(out, r.final_response);
  return fold_ascii(std::move(out));
}

}  // namespace warden::storage::detail
