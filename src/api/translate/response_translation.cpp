#include "api/translate/response_translation.hpp"

#include <chrono>
#include <string>

#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "api/translate/mapping.hpp"
#include "core/ids.hpp"

namespace warden::api::translate {

namespace json = boost::json;
using core::Result;

namespace {

// A body that is not the answer it claims to be: the upstream's fault (502).
tl::unexpected<core::Error> bad_upstream(const std::string& path, std::string_view what) {
  return core::fail(core::ErrorKind::kUpstreamFailed,
                    "Upstream answer: " + path + ": " + std::string(what));
}

std::string_view string_member(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string_view(v->get_string()) : std::string_view();
}

const json::object* object_member(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v != nullptr && v->is_object() ? &v->get_object() : nullptr;
}

// message.content: a string, or (some compatible servers) an array of text parts.
std::string completion_text(const json::object& message) {
  const json::value* content = message.if_contains("content");
  if (content == nullptr) return {};
  if (content->is_string()) return std::string(content->get_string());
  std::string text;
  if (content->is_array()) {
    for (const json::value& part : content->get_array()) {
      if (part.is_object()) text += string_member(part.get_object(), "text");
    }
  }
  return text;
}

// "chatcmpl-" + 29 base62 characters, the observed shape.
std::string completion_id() {
  return core::random_id("chatcmpl-") + core::random_id("").substr(0, 5);
}

}  // namespace

Result<json::object> openai_to_anthropic_response(const json::object& completion,
                                                  std::string_view client_model) {
  const json::value* choices = completion.if_contains("choices");
  if (choices == nullptr || !choices->is_array() || choices->get_array().empty()) {
    return bad_upstream("choices", "no choice");
  }
  const json::value& choice_value = choices->get_array()[0];
  if (!choice_value.is_object()) return bad_upstream("choices[0]", "not an object");
  const json::object& choice = choice_value.get_object();
  const json::object* message = object_member(choice, "message");
  if (message == nullptr) return bad_upstream("choices[0].message", "missing");

  json::array content;
  if (std::string text = completion_text(*message); !text.empty()) {
    content.push_back(json::object{{"type", "text"}, {"text", text}});
  }
  if (auto refusal = string_member(*message, "refusal"); !refusal.empty()) {
    content.push_back(json::object{{"type", "text"}, {"text", refusal}});
  }
  bool saw_tool_calls = false;
  if (const json::value* calls = message->if_contains("tool_calls");
      calls != nullptr && calls->is_array()) {
    const json::array& list = calls->get_array();
    for (std::size_t i = 0; i < list.size(); ++i) {
      const std::string path = "choices[0].message.tool_calls[" + std::to_string(i) + "]";
      if (!list[i].is_object()) return bad_upstream(path, "not an object");
      const json::object* function = object_member(list[i].get_object(), "function");
      if (function == nullptr) return bad_upstream(path + ".function", "missing");
      const std::string_view name = string_member(*function, "name");
      if (name.empty()) return bad_upstream(path + ".function.name", "missing");
      std::string id(string_member(list[i].get_object(), "id"));
      if (id.empty()) id = core::random_id("toolu_");  // some compatible servers omit it
      const std::string_view arguments = string_member(*function, "arguments");
      json::value input = json::object();
      if (!arguments.empty()) {
        boost::system::error_code ec;
        input = json::parse(arguments, ec);
        // A client would run the tool with made-up input: fail instead.
        if (ec || !input.is_object()) {
          return bad_upstream(path + ".function.arguments", "not a valid JSON object");
        }
      }
      content.push_back(
          json::object{{"type", "tool_use"}, {"id", id}, {"name", name}, {"input", input}});
      saw_tool_calls = true;
    }
  }

  const json::object* usage = object_member(completion, "usage");
  return json::object{
      {"id", core::random_id("msg_")},
      {"type", "message"},
      {"role", "assistant"},
      {"model", client_model},
      {"content", std::move(content)},
      {"stop_reason",
       stop_reason_from_finish_reason(string_member(choice, "finish_reason"), saw_tool_calls)},
      {"stop_sequence", nullptr},  // OpenAI does not say which stop sequence matched
      {"usage", anthropic_usage_from_openai(usage ? *usage : json::object())}};
}

Result<json::object> anthropic_to_openai_response(const json::object& message,
                                                  std::string_view client_model) {
  const json::value* content = message.if_contains("content");
  if (content == nullptr || !content->is_array()) return bad_upstream("content", "not an array");
  std::string text;
  bool has_text = false;
  json::array tool_calls;
  const json::array& blocks = content->get_array();
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    const std::string path = "content[" + std::to_string(i) + "]";
    if (!blocks[i].is_object()) return bad_upstream(path, "not an object");
    const json::object& block = blocks[i].get_object();
    const std::string_view type = string_member(block, "type");
    if (type == "text") {
      text += string_member(block, "text");
      has_text = true;
    } else if (type == "tool_use") {
      const json::value* input = block.if_contains("input");
      tool_calls.push_back(json::object{
          {"id", string_member(block, "id")},
          {"type", "function"},
          {"function",
           {{"name", string_member(block, "name")},
            {"arguments", input != nullptr ? json::serialize(*input) : std::string("{}")}}}});
    }
    // thinking, redacted_thinking: dropped. Server tool blocks cannot be represented
    // (this path refuses server tools, so they do not appear).
  }
  json::object reply{{"role", "assistant"}};
  reply["content"] = has_text ? json::value(text) : json::value(nullptr);
  reply["refusal"] = nullptr;
  reply["annotations"] = json::array();
  if (!tool_calls.empty()) reply["tool_calls"] = std::move(tool_calls);

  const std::int64_t created = std::chrono::duration_cast<std::chrono::seconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count();
  const json::object* usage = object_member(message, "usage");
  return json::object{
      {"id", completion_id()},
      {"object", "chat.completion"},
      {"created", created},
      {"model", client_model},
      {"choices",
       json::array{json::object{{"index", 0},
                                {"message", std::move(reply)},
                                {"logprobs", nullptr},
                                {"finish_reason", finish_reason_from_stop_reason(
                                                      string_member(message, "stop_reason"))}}}},
      {"usage", openai_usage_from_anthropic(usage ? *usage : json::object())}};
}

}  // namespace warden::api::translate
