#include "api/translate/request_translation.hpp"

#include <algorithm>
#include <array>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace warden::api::translate {

namespace json = boost::json;
using core::Result;

namespace {

// ---- shared helpers --------------------------------------------------------------------------

tl::unexpected<core::Error> invalid(const std::string& path, std::string_view what) {
  return tl::unexpected<core::Error>(
      core::Error{core::ErrorKind::kInvalidRequest, path + ": " + std::string(what), path});
}

std::string at(std::string_view path, std::size_t index) {
  return std::string(path) + "[" + std::to_string(index) + "]";
}

std::string quoted(std::string_view s) { return json::serialize(json::string(s)); }

// A member that is present and not null (both dialects treat null as absent).
const json::value* member(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v != nullptr && !v->is_null() ? v : nullptr;
}

std::string_view string_member(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string_view(v->get_string()) : std::string_view();
}

bool true_member(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v != nullptr && v->is_bool() && v->get_bool();
}

Result<const json::object*> object_at(const json::value& v, const std::string& path) {
  if (!v.is_object()) return invalid(path, "must be an object");
  return &v.get_object();
}

Result<const json::array*> array_member(const json::object& o, std::string_view key,
                                        const std::string& path) {
  const json::value* v = member(o, key);
  if (v == nullptr) return invalid(path, "Field required");
  if (!v->is_array()) return invalid(path, "must be an array");
  return &v->get_array();
}

Result<std::string> required_string(const json::object& o, std::string_view key,
                                    const std::string& path) {
  const json::value* v = member(o, key);
  if (v == nullptr) return invalid(path, "Field required");
  if (!v->is_string()) return invalid(path, "must be a string");
  return std::string(v->get_string());
}

std::string join(const std::vector<std::string>& parts, std::string_view separator) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += separator;
    out += parts[i];
  }
  return out;
}

// Effort names both APIs share (PROTOCOLS 4.1/4.2: mapped 1:1).
bool is_shared_effort(std::string_view effort) {
  static constexpr std::array<std::string_view, 5> kEfforts = {"low", "medium", "high", "xhigh",
                                                               "max"};
  return std::find(kEfforts.begin(), kEfforts.end(), effort) != kEfforts.end();
}

// ---- Anthropic → OpenAI ----------------------------------------------------------------------

// System text, both dialects: a string, or text blocks/parts joined with "\n\n".
Result<std::string> system_text(const json::value& content, const std::string& path) {
  if (content.is_string()) return std::string(content.get_string());
  if (!content.is_array()) return invalid(path, "must be a string or an array of text blocks");
  std::vector<std::string> texts;
  const json::array& blocks = content.get_array();
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    const std::string block_path = at(path, i);
    auto block = object_at(blocks[i], block_path);
    if (!block) return tl::unexpected(block.error());
    if (string_member(**block, "type") != "text") {
      return invalid(block_path, "only text can be sent as system text");
    }
    auto text = required_string(**block, "text", block_path + ".text");
    if (!text) return tl::unexpected(text.error());
    texts.push_back(std::move(*text));
  }
  return join(texts, "\n\n");
}

// A search_result block as plain text: where it came from, then its text blocks.
std::string search_result_text(const json::object& block) {
  std::vector<std::string> lines;
  if (auto title = string_member(block, "title"); !title.empty()) {
    lines.push_back("Title: " + std::string(title));
  }
  if (auto source = string_member(block, "source"); !source.empty()) {
    lines.push_back("Source: " + std::string(source));
  }
  std::vector<std::string> texts;
  if (const json::value* content = member(block, "content"); content != nullptr) {
    if (content->is_string()) texts.emplace_back(content->get_string());
    if (content->is_array()) {
      for (const json::value& item : content->get_array()) {
        if (item.is_object()) texts.emplace_back(string_member(item.get_object(), "text"));
      }
    }
  }
  std::string head = join(lines, "\n");
  std::string body = join(texts, "\n\n");
  if (head.empty()) return body;
  return body.empty() ? head : head + "\n\n" + body;
}

json::object text_part(std::string_view text) { return {{"type", "text"}, {"text", text}}; }

Result<json::object> image_part(const json::object& block, const std::string& path) {
  const json::value* source_value = member(block, "source");
  if (source_value == nullptr) return invalid(path + ".source", "Field required");
  auto source = object_at(*source_value, path + ".source");
  if (!source) return tl::unexpected(source.error());
  const std::string_view type = string_member(**source, "type");
  std::string url;
  if (type == "base64") {
    auto media_type = required_string(**source, "media_type", path + ".source.media_type");
    if (!media_type) return tl::unexpected(media_type.error());
    auto data = required_string(**source, "data", path + ".source.data");
    if (!data) return tl::unexpected(data.error());
    url = "data:" + *media_type + ";base64," + *data;
  } else if (type == "url") {
    auto given = required_string(**source, "url", path + ".source.url");
    if (!given) return tl::unexpected(given.error());
    url = std::move(*given);
  } else {
    return invalid(path + ".source.type",
                   "image source " + quoted(type) + " cannot be sent through this route");
  }
  return json::object{{"type", "image_url"}, {"image_url", {{"url", url}}}};
}

Result<void> append_user_parts(const json::object& block, const std::string& path,
                               json::array& parts);

// A document: plain text → a text part, PDF → a file part with a data URL, a content
// source → its blocks. URL and file sources need Anthropic to fetch them: refused.
Result<void> append_document_parts(const json::object& block, const std::string& path,
                                   json::array& parts) {
  const json::value* source_value = member(block, "source");
  if (source_value == nullptr) return invalid(path + ".source", "Field required");
  auto source = object_at(*source_value, path + ".source");
  if (!source) return tl::unexpected(source.error());
  const std::string_view type = string_member(**source, "type");
  if (type == "text") {
    auto data = required_string(**source, "data", path + ".source.data");
    if (!data) return tl::unexpected(data.error());
    parts.push_back(text_part(*data));
    return {};
  }
  if (type == "base64" && string_member(**source, "media_type") == "application/pdf") {
    auto data = required_string(**source, "data", path + ".source.data");
    if (!data) return tl::unexpected(data.error());
    const std::string_view title = string_member(block, "title");
    parts.push_back(
        json::object{{"type", "file"},
                     {"file",
                      {{"filename", title.empty() ? std::string_view("document.pdf") : title},
                       {"file_data", "data:application/pdf;base64," + *data}}}});
    return {};
  }
  if (type == "content") {
    const json::value* content = member(**source, "content");
    if (content != nullptr && content->is_string()) {
      parts.push_back(text_part(content->get_string()));
      return {};
    }
    auto blocks = array_member(**source, "content", path + ".source.content");
    if (!blocks) return tl::unexpected(blocks.error());
    for (std::size_t i = 0; i < (*blocks)->size(); ++i) {
      const std::string inner_path = at(path + ".source.content", i);
      auto inner = object_at((**blocks)[i], inner_path);
      if (!inner) return tl::unexpected(inner.error());
      if (auto r = append_user_parts(**inner, inner_path, parts); !r) return r;
    }
    return {};
  }
  return invalid(path + ".source.type",
                 "document source " + quoted(type) + " cannot be sent through this route");
}

// One block of a user turn (other than tool_result) → OpenAI content parts.
Result<void> append_user_parts(const json::object& block, const std::string& path,
                               json::array& parts) {
  const std::string_view type = string_member(block, "type");
  if (type == "text") {
    auto text = required_string(block, "text", path + ".text");
    if (!text) return tl::unexpected(text.error());
    parts.push_back(text_part(*text));  // citations and cache_control dropped
    return {};
  }
  if (type == "image") {
    auto part = image_part(block, path);
    if (!part) return tl::unexpected(part.error());
    parts.push_back(std::move(*part));
    return {};
  }
  if (type == "document") return append_document_parts(block, path, parts);
  if (type == "search_result") {
    parts.push_back(text_part(search_result_text(block)));
    return {};
  }
  return invalid(path, "block type " + quoted(type) + " cannot be sent through this route");
}

// The text of a document with a plain-text source; nullptr for any other document.
const json::string* plain_text(const json::object& document) {
  const json::value* source = member(document, "source");
  if (source == nullptr || !source->is_object()) return nullptr;
  const json::value* data = source->get_object().if_contains("data");
  if (string_member(source->get_object(), "type") != "text" || data == nullptr ||
      !data->is_string()) {
    return nullptr;
  }
  return &data->get_string();
}

// A tool_result's content as the text of a `tool` message (OpenAI has no error flag,
// so is_error becomes an "Error: " prefix).
Result<std::string> tool_result_text(const json::object& block, const std::string& path) {
  std::string text;
  const json::value* content = member(block, "content");
  if (content != nullptr && content->is_string()) {
    text = content->get_string();
  } else if (content != nullptr) {
    if (!content->is_array()) return invalid(path + ".content", "must be a string or an array");
    std::vector<std::string> texts;
    const json::array& items = content->get_array();
    for (std::size_t i = 0; i < items.size(); ++i) {
      const std::string item_path = at(path + ".content", i);
      auto item = object_at(items[i], item_path);
      if (!item) return tl::unexpected(item.error());
      const std::string_view type = string_member(**item, "type");
      if (type == "text") {
        auto t = required_string(**item, "text", item_path + ".text");
        if (!t) return tl::unexpected(t.error());
        texts.push_back(std::move(*t));
      } else if (type == "search_result") {
        texts.push_back(search_result_text(**item));
      } else if (const json::string* doc = type == "document" ? plain_text(**item) : nullptr) {
        texts.emplace_back(*doc);
      } else {
        // A `tool` message carries text only; moving images elsewhere would change
        // what the model sees, so refuse (docs/translation.md).
        return invalid(item_path, "a tool_result containing " + quoted(type) +
                                      " cannot be sent through this route (text only)");
      }
    }
    text = join(texts, "\n\n");
  }
  if (true_member(block, "is_error")) text = "Error: " + text;
  return text;
}

// A user turn: its tool_results become `tool` messages first, the rest one `user` message.
Result<void> append_user_turn(const json::value& content, const std::string& path,
                              json::array& out) {
  if (content.is_string()) {
    out.push_back(json::object{{"role", "user"}, {"content", content.get_string()}});
    return {};
  }
  if (!content.is_array()) return invalid(path, "must be a string or an array of blocks");
  json::array parts;
  const json::array& blocks = content.get_array();
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    const std::string block_path = at(path, i);
    auto block = object_at(blocks[i], block_path);
    if (!block) return tl::unexpected(block.error());
    if (string_member(**block, "type") != "tool_result") {
      if (auto r = append_user_parts(**block, block_path, parts); !r) return r;
      continue;
    }
    auto id = required_string(**block, "tool_use_id", block_path + ".tool_use_id");
    if (!id) return tl::unexpected(id.error());
    auto text = tool_result_text(**block, block_path);
    if (!text) return tl::unexpected(text.error());
    out.push_back(json::object{{"role", "tool"}, {"tool_call_id", *id}, {"content", *text}});
  }
  if (parts.empty() && !blocks.empty()) return {};  // only tool results
  if (parts.empty()) {
    out.push_back(json::object{{"role", "user"}, {"content", ""}});
    return {};
  }
  const bool one_text = parts.size() == 1 && string_member(parts[0].get_object(), "type") == "text";
  if (one_text) {
    out.push_back(json::object{{"role", "user"}, {"content", parts[0].at("text")}});
  } else {
    out.push_back(json::object{{"role", "user"}, {"content", std::move(parts)}});
  }
  return {};
}

bool is_server_tool_block(std::string_view type) {
  return type == "server_tool_use" || type == "mcp_tool_use" || type == "container_upload" ||
         type.ends_with("_tool_result");
}

Result<void> append_assistant_turn(const json::value& content, const std::string& path,
                                   json::array& out) {
  if (content.is_string()) {
    out.push_back(json::object{{"role", "assistant"}, {"content", content.get_string()}});
    return {};
  }
  if (!content.is_array()) return invalid(path, "must be a string or an array of blocks");
  std::string text;
  bool has_text = false;
  json::array tool_calls;
  const json::array& blocks = content.get_array();
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    const std::string block_path = at(path, i);
    auto block = object_at(blocks[i], block_path);
    if (!block) return tl::unexpected(block.error());
    const std::string_view type = string_member(**block, "type");
    if (type == "text") {
      auto t = required_string(**block, "text", block_path + ".text");
      if (!t) return tl::unexpected(t.error());
      text += *t;
      has_text = true;
    } else if (type == "tool_use") {
      auto id = required_string(**block, "id", block_path + ".id");
      if (!id) return tl::unexpected(id.error());
      auto name = required_string(**block, "name", block_path + ".name");
      if (!name) return tl::unexpected(name.error());
      const json::value* input = member(**block, "input");
      if (input != nullptr && !input->is_object()) {
        return invalid(block_path + ".input", "must be an object");
      }
      tool_calls.push_back(json::object{
          {"id", *id},
          {"type", "function"},
          {"function",
           {{"name", *name}, {"arguments", input ? json::serialize(*input) : std::string("{}")}}}});
    } else if (type == "thinking" || type == "redacted_thinking") {
      continue;  // signatures cannot be verified anywhere else (4.10)
    } else if (is_server_tool_block(type)) {
      return invalid(block_path, "server tool history (" + quoted(type) +
                                     ") cannot be sent through this route");
    } else {
      return invalid(block_path, "block type " + quoted(type) +
                                     " cannot be sent through this route in an assistant turn");
    }
  }
  if (!has_text && tool_calls.empty()) return {};  // nothing left (e.g. thinking only)
  json::object message{{"role", "assistant"}};
  message["content"] = has_text ? json::value(text) : json::value(nullptr);
  if (!tool_calls.empty()) message["tool_calls"] = std::move(tool_calls);
  out.push_back(std::move(message));
  return {};
}

Result<json::array> openai_messages(const json::object& body, json::array out) {
  auto messages = array_member(body, "messages", "messages");
  if (!messages) return tl::unexpected(messages.error());
  for (std::size_t i = 0; i < (*messages)->size(); ++i) {
    const std::string path = at("messages", i);
    auto message = object_at((**messages)[i], path);
    if (!message) return tl::unexpected(message.error());
    const std::string_view role = string_member(**message, "role");
    const json::value* content = member(**message, "content");
    if (content == nullptr) return invalid(path + ".content", "Field required");
    const std::string content_path = path + ".content";
    if (role == "assistant" && i + 1 == (*messages)->size()) {
      // Chat Completions answers after the last message; it cannot continue it.
      return invalid(path,
                     "a final assistant message (prefill) cannot be continued through this route");
    }
    Result<void> added;
    if (role == "user") {
      added = append_user_turn(*content, content_path, out);
    } else if (role == "assistant") {
      added = append_assistant_turn(*content, content_path, out);
    } else if (role == "system") {
      auto text = system_text(*content, content_path);
      if (!text) return tl::unexpected(text.error());
      out.push_back(json::object{{"role", "system"}, {"content", *text}});
    } else {
      return invalid(path + ".role", "unknown role " + quoted(role));
    }
    if (!added) return tl::unexpected(added.error());
  }
  return out;
}

bool is_schemaless_anthropic_tool(std::string_view type) {
  return type.starts_with("bash_") || type.starts_with("text_editor_") ||
         type.starts_with("computer_") || type.starts_with("memory_");
}

Result<json::array> openai_tools(const json::array& tools) {
  json::array out;
  for (std::size_t i = 0; i < tools.size(); ++i) {
    const std::string path = at("tools", i);
    auto tool = object_at(tools[i], path);
    if (!tool) return tl::unexpected(tool.error());
    const json::value* type_value = member(**tool, "type");
    const std::string_view type = string_member(**tool, "type");
    if (type_value != nullptr && type != "custom") {
      if (is_schemaless_anthropic_tool(type)) {
        return invalid(path, "Anthropic-defined tool " + quoted(type) +
                                 " has no schema to send through this route");
      }
      return invalid(path, "server tool " + quoted(type) + " is not available through this route");
    }
    auto name = required_string(**tool, "name", path + ".name");
    if (!name) return tl::unexpected(name.error());
    json::object function{{"name", *name}};
    if (const json::value* d = member(**tool, "description")) function["description"] = *d;
    if (const json::value* schema = member(**tool, "input_schema")) {
      function["parameters"] = *schema;
    }
    if (const json::value* strict = member(**tool, "strict")) function["strict"] = *strict;
    // cache_control, defer_loading, eager_input_streaming, input_examples, allowed_callers:
    // Anthropic-only hints, dropped.
    out.push_back(json::object{{"type", "function"}, {"function", std::move(function)}});
  }
  return out;
}

Result<void> map_tool_choice(const json::value& value, json::object& out) {
  auto choice = object_at(value, "tool_choice");
  if (!choice) return tl::unexpected(choice.error());
  const std::string_view type = string_member(**choice, "type");
  if (type == "auto") {
    out["tool_choice"] = "auto";
  } else if (type == "any") {
    out["tool_choice"] = "required";
  } else if (type == "none") {
    out["tool_choice"] = "none";
  } else if (type == "tool") {
    auto name = required_string(**choice, "name", "tool_choice.name");
    if (!name) return tl::unexpected(name.error());
    out["tool_choice"] = {{"type", "function"}, {"function", {{"name", *name}}}};
  } else {
    return invalid("tool_choice.type", "unknown tool_choice type " + quoted(type));
  }
  if (true_member(**choice, "disable_parallel_tool_use")) out["parallel_tool_calls"] = false;
  return {};
}

// Project convention (PROTOCOLS 4.1), not an API fact.
std::string_view effort_from_budget(std::int64_t budget_tokens) {
  if (budget_tokens < 4096) return "low";
  if (budget_tokens < 16384) return "medium";
  return "high";
}

Result<void> map_reasoning_and_format(const json::object& body, json::object& out) {
  const json::object* config = nullptr;
  if (const json::value* c = member(body, "output_config")) {
    auto o = object_at(*c, "output_config");
    if (!o) return tl::unexpected(o.error());
    config = *o;
  }
  if (const json::value* effort = config ? member(*config, "effort") : nullptr) {
    if (!effort->is_string() || !is_shared_effort(effort->get_string())) {
      return invalid("output_config.effort", "effort " + json::serialize(*effort) +
                                                 " has no equivalent through this route");
    }
    out["reasoning_effort"] = *effort;
  } else if (const json::value* thinking = member(body, "thinking")) {
    auto t = object_at(*thinking, "thinking");
    if (!t) return tl::unexpected(t.error());
    // adaptive without an effort: the upstream model's default; disabled: nothing to say.
    if (string_member(**t, "type") == "enabled") {
      const json::value* budget = member(**t, "budget_tokens");
      if (budget == nullptr || !budget->is_number()) {
        return invalid("thinking.budget_tokens", "Field required");
      }
      out["reasoning_effort"] = effort_from_budget(budget->to_number<std::int64_t>());
    }
  }
  if (const json::value* format = config ? member(*config, "format") : nullptr) {
    auto f = object_at(*format, "output_config.format");
    if (!f) return tl::unexpected(f.error());
    const std::string_view type = string_member(**f, "type");
    if (type != "json_schema") {
      return invalid("output_config.format.type",
                     "output format " + quoted(type) + " has no equivalent through this route");
    }
    const json::value* schema = member(**f, "schema");
    if (schema == nullptr) return invalid("output_config.format.schema", "Field required");
    out["response_format"] = {{"type", "json_schema"},
                              {"json_schema", {{"name", "output"}, {"schema", *schema}}}};
  }
  return {};
}

// ---- OpenAI → Anthropic ----------------------------------------------------------------------

// "data:<media type>;base64,<data>" → {media type, data}; false when not of that shape.
bool split_data_url(std::string_view url, std::string& media_type, std::string& data) {
  constexpr std::string_view kMarker = ";base64,";
  if (!url.starts_with("data:")) return false;
  const std::size_t marker = url.find(kMarker);
  if (marker == std::string_view::npos) return false;
  media_type = url.substr(5, marker - 5);
  data = url.substr(marker + kMarker.size());
  return !media_type.empty();
}

Result<json::object> anthropic_image(const json::object& part, const std::string& path) {
  const json::value* image = member(part, "image_url");
  if (image == nullptr) return invalid(path + ".image_url", "Field required");
  std::string url;
  if (image->is_string()) {
    url = image->get_string();  // a shorthand some clients send
  } else if (image->is_object()) {
    auto u = required_string(image->get_object(), "url", path + ".image_url.url");
    if (!u) return tl::unexpected(u.error());
    url = std::move(*u);
  } else {
    return invalid(path + ".image_url", "must be an object");
  }
  std::string media_type;
  std::string data;
  if (split_data_url(url, media_type, data)) {
    return json::object{
        {"type", "image"},
        {"source", {{"type", "base64"}, {"media_type", media_type}, {"data", data}}}};
  }
  if (url.starts_with("http://") || url.starts_with("https://")) {
    return json::object{{"type", "image"}, {"source", {{"type", "url"}, {"url", url}}}};
  }
  return invalid(path + ".image_url.url",
                 "only data: and http(s) image URLs can be sent through this route");
}

Result<json::object> anthropic_document(const json::object& part, const std::string& path) {
  const json::value* file_value = member(part, "file");
  if (file_value == nullptr) return invalid(path + ".file", "Field required");
  auto file = object_at(*file_value, path + ".file");
  if (!file) return tl::unexpected(file.error());
  const json::value* file_data = member(**file, "file_data");
  if (file_data == nullptr) {
    return invalid(path + ".file",
                   "only inline file_data can be sent through this route "
                   "(file_id refers to OpenAI's file store)");
  }
  std::string media_type;
  std::string data;
  if (!file_data->is_string() || !split_data_url(file_data->get_string(), media_type, data) ||
      media_type != "application/pdf") {
    return invalid(path + ".file.file_data",
                   "only a PDF data URL (data:application/pdf;base64,…) can be sent through this "
                   "route");
  }
  json::object document{
      {"type", "document"},
      {"source", {{"type", "base64"}, {"media_type", media_type}, {"data", data}}}};
  if (auto name = string_member(**file, "filename"); !name.empty()) document["title"] = name;
  return document;
}

// User content parts → Anthropic blocks appended to `blocks`. Empty text is skipped:
// Anthropic rejects empty text blocks.
Result<void> append_anthropic_user_blocks(const json::value& content, const std::string& path,
                                          json::array& blocks) {
  if (content.is_string()) {
    if (!content.get_string().empty()) blocks.push_back(text_part(content.get_string()));
    return {};
  }
  if (!content.is_array()) return invalid(path, "must be a string or an array of parts");
  const json::array& parts = content.get_array();
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const std::string part_path = at(path, i);
    auto part = object_at(parts[i], part_path);
    if (!part) return tl::unexpected(part.error());
    const std::string_view type = string_member(**part, "type");
    if (type == "text") {
      auto text = required_string(**part, "text", part_path + ".text");
      if (!text) return tl::unexpected(text.error());
      if (!text->empty()) blocks.push_back(text_part(*text));
    } else if (type == "image_url") {
      auto image = anthropic_image(**part, part_path);
      if (!image) return tl::unexpected(image.error());
      blocks.push_back(std::move(*image));
    } else if (type == "file") {
      auto document = anthropic_document(**part, part_path);
      if (!document) return tl::unexpected(document.error());
      blocks.push_back(std::move(*document));
    } else if (type == "input_audio") {
      return invalid(part_path, "audio input is not available through this route");
    } else {
      return invalid(part_path,
                     "content part type " + quoted(type) + " cannot be sent through this route");
    }
  }
  return {};
}

// A tool message's content → tool_result content (a string, or text blocks).
Result<json::value> tool_result_content(const json::value& content, const std::string& path) {
  if (content.is_string()) return json::value(content.get_string());
  if (!content.is_array()) return invalid(path, "must be a string or an array of text parts");
  json::array blocks;
  const json::array& parts = content.get_array();
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const std::string part_path = at(path, i);
    auto part = object_at(parts[i], part_path);
    if (!part) return tl::unexpected(part.error());
    if (string_member(**part, "type") != "text") {
      return invalid(part_path, "only text parts can be sent in a tool message");
    }
    auto text = required_string(**part, "text", part_path + ".text");
    if (!text) return tl::unexpected(text.error());
    if (!text->empty()) blocks.push_back(text_part(*text));
  }
  return json::value(std::move(blocks));
}

struct PendingCall {
  std::string id;
  std::string path;  // messages[i].tool_calls[j], for the error message
};

Result<json::array> assistant_blocks(const json::object& message, const std::string& path,
                                     std::vector<PendingCall>& pending) {
  json::array blocks;
  for (std::string_view legacy : {"function_call", "audio"}) {
    if (member(message, legacy) != nullptr) {
      return invalid(path + "." + std::string(legacy), "is not available through this route");
    }
  }
  if (const json::value* content = member(message, "content")) {
    const std::string content_path = path + ".content";
    if (content->is_string()) {
      if (!content->get_string().empty()) blocks.push_back(text_part(content->get_string()));
    } else if (content->is_array()) {
      const json::array& parts = content->get_array();
      for (std::size_t i = 0; i < parts.size(); ++i) {
        const std::string part_path = at(content_path, i);
        auto part = object_at(parts[i], part_path);
        if (!part) return tl::unexpected(part.error());
        const std::string_view type = string_member(**part, "type");
        if (type != "text" && type != "refusal") {
          return invalid(part_path, "content part type " + quoted(type) +
                                        " cannot be sent through this route");
        }
        auto text = required_string(**part, type, part_path + "." + std::string(type));
        if (!text) return tl::unexpected(text.error());
        if (!text->empty()) blocks.push_back(text_part(*text));
      }
    } else {
      return invalid(content_path, "must be a string, an array of parts or null");
    }
  }
  if (auto refusal = string_member(message, "refusal"); !refusal.empty()) {
    blocks.push_back(text_part(refusal));
  }
  const json::value* calls_value = member(message, "tool_calls");
  if (calls_value == nullptr) return blocks;
  if (!calls_value->is_array()) return invalid(path + ".tool_calls", "must be an array");
  const json::array& calls = calls_value->get_array();
  for (std::size_t j = 0; j < calls.size(); ++j) {
    const std::string call_path = at(path + ".tool_calls", j);
    auto call = object_at(calls[j], call_path);
    if (!call) return tl::unexpected(call.error());
    if (auto type = string_member(**call, "type"); !type.empty() && type != "function") {
      return invalid(call_path,
                     "tool call type " + quoted(type) + " is not available through this route");
    }
    auto id = required_string(**call, "id", call_path + ".id");
    if (!id) return tl::unexpected(id.error());
    const json::value* function_value = member(**call, "function");
    if (function_value == nullptr) return invalid(call_path + ".function", "Field required");
    auto function = object_at(*function_value, call_path + ".function");
    if (!function) return tl::unexpected(function.error());
    auto name = required_string(**function, "name", call_path + ".function.name");
    if (!name) return tl::unexpected(name.error());
    const std::string_view arguments = string_member(**function, "arguments");
    json::value input = json::object();
    if (!arguments.empty()) {
      boost::system::error_code ec;
      input = json::parse(arguments, ec);
      if (ec || !input.is_object()) {
        return invalid(call_path + ".function.arguments",
                       "tool call arguments are not a valid JSON object");
      }
    }
    blocks.push_back(
        json::object{{"type", "tool_use"}, {"id", *id}, {"name", *name}, {"input", input}});
    pending.push_back({*id, call_path});
  }
  return blocks;
}

// Walks the OpenAI messages (4.3): system/developer → `system`; runs of tool messages →
// one user turn of tool_results, joined by the user message that follows; every tool
// call must be answered by the tool messages right after its assistant message.
Result<void> map_openai_messages(const json::array& messages, json::object& out) {
  std::vector<std::string> system;
  json::array turns;
  std::vector<PendingCall> pending;
  bool last_is_tool_turn = false;  // the last turn holds tool_results; a user message joins it
  for (std::size_t i = 0; i < messages.size(); ++i) {
    const std::string path = at("messages", i);
    auto message = object_at(messages[i], path);
    if (!message) return tl::unexpected(message.error());
    const std::string_view role = string_member(**message, "role");
    const std::string content_path = path + ".content";
    if (role == "system" || role == "developer") {
      // Anthropic has one system prompt: later ones are appended to it (docs/translation.md).
      const json::value* content = member(**message, "content");
      if (content == nullptr) return invalid(content_path, "Field required");
      auto text = system_text(*content, content_path);
      if (!text) return tl::unexpected(text.error());
      if (!text->empty()) system.push_back(std::move(*text));
      continue;
    }
    if (role == "tool") {
      auto id = required_string(**message, "tool_call_id", path + ".tool_call_id");
      if (!id) return tl::unexpected(id.error());
      auto it = std::find_if(pending.begin(), pending.end(),
                             [&](const PendingCall& c) { return c.id == *id; });
      if (it == pending.end()) {
        return invalid(path + ".tool_call_id",
                       "tool message " + quoted(*id) +
                           " does not answer a tool call of the preceding assistant message");
      }
      pending.erase(it);
      const json::value* content = member(**message, "content");
      json::value result_content = json::string();
      if (content != nullptr) {
        auto c = tool_result_content(*content, content_path);
        if (!c) return tl::unexpected(c.error());
        result_content = std::move(*c);
      }
      json::object result{
          {"type", "tool_result"}, {"tool_use_id", *id}, {"content", std::move(result_content)}};
      if (last_is_tool_turn) {
        turns.back().as_object()["content"].as_array().push_back(std::move(result));
      } else {
        turns.push_back(json::object{{"role", "user"}, {"content", json::array{result}}});
        last_is_tool_turn = true;
      }
      continue;
    }
    if (!pending.empty()) {
      return invalid(pending.front().path, "tool call " + quoted(pending.front().id) +
                                               " has no tool message answering it");
    }
    if (role == "user") {
      const json::value* content = member(**message, "content");
      if (content == nullptr) return invalid(content_path, "Field required");
      if (last_is_tool_turn) {
        auto& blocks = turns.back().as_object()["content"].as_array();
        auto r = append_anthropic_user_blocks(*content, content_path, blocks);
        if (!r) return tl::unexpected(r.error());
      } else if (content->is_string()) {
        turns.push_back(json::object{{"role", "user"}, {"content", content->get_string()}});
      } else {
        json::array blocks;
        auto r = append_anthropic_user_blocks(*content, content_path, blocks);
        if (!r) return tl::unexpected(r.error());
        turns.push_back(json::object{{"role", "user"}, {"content", std::move(blocks)}});
      }
    } else if (role == "assistant") {
      auto blocks = assistant_blocks(**message, path, pending);
      if (!blocks) return tl::unexpected(blocks.error());
      // Anthropic rejects an empty assistant turn; one with nothing in it says nothing.
      if (!blocks->empty()) {
        turns.push_back(json::object{{"role", "assistant"}, {"content", std::move(*blocks)}});
      }
    } else if (role == "function") {
      return invalid(path + ".role",
                     "legacy function messages are not available through this route; use tools");
    } else {
      return invalid(path + ".role", "unknown role " + quoted(role));
    }
    last_is_tool_turn = false;
  }
  if (!pending.empty()) {
    return invalid(pending.front().path,
                   "tool call " + quoted(pending.front().id) + " has no tool message answering it");
  }
  if (!system.empty()) out["system"] = join(system, "\n\n");
  out["messages"] = std::move(turns);
  return {};
}

Result<json::array> anthropic_tools(const json::array& tools) {
  json::array out;
  for (std::size_t i = 0; i < tools.size(); ++i) {
    const std::string path = at("tools", i);
    auto tool = object_at(tools[i], path);
    if (!tool) return tl::unexpected(tool.error());
    const std::string_view type = string_member(**tool, "type");
    if (type != "function") {
      return invalid(path, quoted(type) + " tools are not available through this route");
    }
    const json::value* function_value = member(**tool, "function");
    if (function_value == nullptr) return invalid(path + ".function", "Field required");
    auto function = object_at(*function_value, path + ".function");
    if (!function) return tl::unexpected(function.error());
    auto name = required_string(**function, "name", path + ".function.name");
    if (!name) return tl::unexpected(name.error());
    json::object converted{{"name", *name}};
    if (const json::value* d = member(**function, "description")) converted["description"] = *d;
    const json::value* parameters = member(**function, "parameters");
    // Anthropic requires a schema; OpenAI lets a tool without arguments omit it.
    converted["input_schema"] =
        parameters ? *parameters : json::value{{"type", "object"}, {"properties", json::object()}};
    if (const json::value* strict = member(**function, "strict")) converted["strict"] = *strict;
    out.push_back(std::move(converted));
  }
  return out;
}

// Names of the tools an allowed_tools choice permits.
Result<std::vector<std::string>> allowed_tool_names(const json::object& allowed,
                                                    const std::string& path) {
  auto tools = array_member(allowed, "tools", path + ".tools");
  if (!tools) return tl::unexpected(tools.error());
  std::vector<std::string> names;
  for (std::size_t i = 0; i < (*tools)->size(); ++i) {
    const std::string tool_path = at(path + ".tools", i);
    auto tool = object_at((**tools)[i], tool_path);
    if (!tool) return tl::unexpected(tool.error());
    const json::value* function = member(**tool, "function");
    if (string_member(**tool, "type") != "function" || function == nullptr ||
        !function->is_object()) {
      return invalid(tool_path, "only function tools can be allowed through this route");
    }
    auto name = required_string(function->get_object(), "name", tool_path + ".function.name");
    if (!name) return tl::unexpected(name.error());
    names.push_back(std::move(*name));
  }
  return names;
}

// tool_choice (+ parallel_tool_calls) → Anthropic tool_choice; may narrow `tools`.
Result<void> map_openai_tool_choice(const json::object& body, json::array& tools,
                                    json::object& out) {
  json::object choice;
  if (const json::value* value = member(body, "tool_choice")) {
    std::string_view mode;
    if (value->is_string()) {
      mode = value->get_string();
    } else if (value->is_object()) {
      const json::object& o = value->get_object();
      const std::string_view type = string_member(o, "type");
      if (type == "function") {
        const json::value* function = member(o, "function");
        if (function == nullptr || !function->is_object()) {
          return invalid("tool_choice.function", "Field required");
        }
        auto name = required_string(function->get_object(), "name", "tool_choice.function.name");
        if (!name) return tl::unexpected(name.error());
        choice = {{"type", "tool"}, {"name", *name}};
      } else if (type == "allowed_tools") {
        const json::value* allowed = member(o, "allowed_tools");
        if (allowed == nullptr || !allowed->is_object()) {
          return invalid("tool_choice.allowed_tools", "Field required");
        }
        auto names = allowed_tool_names(allowed->get_object(), "tool_choice.allowed_tools");
        if (!names) return tl::unexpected(names.error());
        auto not_allowed = [&](const json::value& t) {
          const std::string_view name = string_member(t.get_object(), "name");
          return std::find(names->begin(), names->end(), name) == names->end();
        };
        tools.erase(std::remove_if(tools.begin(), tools.end(), not_allowed), tools.end());
        mode = string_member(allowed->get_object(), "mode");
        if (mode.empty()) mode = "auto";
      } else {
        return invalid("tool_choice.type",
                       "tool_choice type " + quoted(type) + " is not available through this route");
      }
    } else {
      return invalid("tool_choice", "must be a string or an object");
    }
    if (choice.empty()) {
      if (mode == "auto") {
        choice = {{"type", "auto"}};
      } else if (mode == "required") {
        choice = {{"type", "any"}};
      } else if (mode == "none") {
        choice = {{"type", "none"}};
      } else {
        return invalid("tool_choice", "unknown tool_choice " + quoted(mode));
      }
    }
  }
  const json::value* parallel = member(body, "parallel_tool_calls");
  if (parallel != nullptr && parallel->is_bool() && !parallel->get_bool()) {
    if (choice.empty()) choice = {{"type", "auto"}};
    // "none" takes no such flag; no tool call means nothing to limit.
    if (string_member(choice, "type") != "none") choice["disable_parallel_tool_use"] = true;
  }
  // Both APIs refuse a tool_choice without tools.
  if (!choice.empty() && !tools.empty()) out["tool_choice"] = std::move(choice);
  return {};
}

// Fields whose answer Anthropic could not honour (4.2, 4.10).
Result<void> refuse_unmappable(const json::object& body) {
  if (const json::value* n = member(body, "n")) {
    if (!n->is_number() || n->to_number<double>() != 1.0) {
      return invalid("n", "only one choice (n = 1) is available through this route");
    }
  }
  if (true_member(body, "logprobs")) {
    return invalid("logprobs", "log probabilities are not available through this route");
  }
  if (const json::value* top = member(body, "top_logprobs");
      top != nullptr && !(top->is_number() && top->to_number<double>() == 0.0)) {
    return invalid("top_logprobs", "log probabilities are not available through this route");
  }
  if (const json::value* modalities = member(body, "modalities");
      modalities != nullptr && modalities->is_array()) {
    for (const json::value& m : modalities->get_array()) {
      if (m.is_string() && m.get_string() != "text") {
        return invalid("modalities", "output modality " + quoted(m.get_string()) +
                                         " is not available through this route");
      }
    }
  }
  constexpr std::array<std::pair<std::string_view, std::string_view>, 5> kRefused = {{
      {"audio", "audio output is not available through this route"},
      {"prediction", "predicted outputs are not available through this route"},
      {"web_search_options", "web search is not available through this route"},
      {"functions", "legacy functions are not available through this route; use tools"},
      {"function_call",
       "legacy function_call is not available through this route; use tool_choice"},
  }};
  for (const auto& [key, why] : kRefused) {
    if (member(body, key) != nullptr) return invalid(std::string(key), why);
  }
  return {};
}

}  // namespace

Result<json::object> anthropic_to_openai_request(const json::object& body) {
  json::object out;
  auto model = required_string(body, "model", "model");
  if (!model) return tl::unexpected(model.error());
  out["model"] = *model;

  for (std::string_view key : {"mcp_servers", "container"}) {
    if (member(body, key) != nullptr) {
      return invalid(std::string(key), "is not available through this route");
    }
  }

  json::array messages;
  if (const json::value* system = member(body, "system")) {
    auto text = system_text(*system, "system");
    if (!text) return tl::unexpected(text.error());
    if (!text->empty()) messages.push_back(json::object{{"role", "system"}, {"content", *text}});
  }
  auto mapped = openai_messages(body, std::move(messages));
  if (!mapped) return tl::unexpected(mapped.error());
  out["messages"] = std::move(*mapped);

  const json::value* max_tokens = member(body, "max_tokens");
  if (max_tokens == nullptr) return invalid("max_tokens", "Field required");
  if (!max_tokens->is_int64() && !max_tokens->is_uint64()) {
    return invalid("max_tokens", "must be an integer");
  }
  out["max_completion_tokens"] = *max_tokens;

  if (const json::value* stop = member(body, "stop_sequences")) {
    if (!stop->is_array()) return invalid("stop_sequences", "must be an array");
    if (stop->get_array().size() > 4) {
      const std::string count = std::to_string(stop->get_array().size());
      return invalid("stop_sequences",
                     "at most 4 stop sequences can be sent through this route, got " + count);
    }
    if (!stop->get_array().empty()) out["stop"] = *stop;
  }
  for (std::string_view key : {"temperature", "top_p"}) {
    if (const json::value* v = member(body, key)) out[key] = *v;  // 0-1 fits OpenAI's 0-2
  }
  if (const json::value* metadata = member(body, "metadata"); metadata && metadata->is_object()) {
    if (const json::value* user = member(metadata->get_object(), "user_id")) out["user"] = *user;
  }

  if (const json::value* tools_value = member(body, "tools")) {
    if (!tools_value->is_array()) return invalid("tools", "must be an array");
    auto tools = openai_tools(tools_value->get_array());
    if (!tools) return tl::unexpected(tools.error());
    // OpenAI refuses an empty tools array, and tool_choice/parallel_tool_calls without tools.
    if (!tools->empty()) {
      out["tools"] = std::move(*tools);
      if (const json::value* choice = member(body, "tool_choice")) {
        if (auto r = map_tool_choice(*choice, out); !r) return tl::unexpected(r.error());
      }
    }
  }
  if (auto r = map_reasoning_and_format(body, out); !r) return tl::unexpected(r.error());

  if (const json::value* stream = member(body, "stream")) {
    out["stream"] = *stream;
    // Always ask for usage: the only source of input token counts in a stream.
    if (stream->is_bool() && stream->get_bool()) out["stream_options"] = {{"include_usage", true}};
  }
  // Dropped: top_k, cache_control, service_tier, context_management, inference_geo, speed,
  // diagnostics and any unknown field (lenient, as for any request Warden validates itself).
  return out;
}

Result<json::object> openai_to_anthropic_request(const json::object& body,
                                                 std::int64_t default_max_tokens) {
  json::object out;
  auto model = required_string(body, "model", "model");
  if (!model) return tl::unexpected(model.error());
  out["model"] = *model;
  if (auto r = refuse_unmappable(body); !r) return tl::unexpected(r.error());

  json::value max_tokens = default_max_tokens;
  for (std::string_view key : {"max_tokens", "max_completion_tokens"}) {  // the latter wins
    if (const json::value* v = member(body, key)) {
      if (!v->is_int64() && !v->is_uint64()) return invalid(std::string(key), "must be an integer");
      max_tokens = *v;
    }
  }
  out["max_tokens"] = max_tokens;

  auto messages = array_member(body, "messages", "messages");
  if (!messages) return tl::unexpected(messages.error());
  if (auto r = map_openai_messages(**messages, out); !r) return tl::unexpected(r.error());

  if (const json::value* stop = member(body, "stop")) {
    if (stop->is_string()) {
      out["stop_sequences"] = json::array{*stop};
    } else if (stop->is_array()) {
      if (!stop->get_array().empty()) out["stop_sequences"] = *stop;
    } else {
      return invalid("stop", "must be a string or an array of strings");
    }
  }
  if (const json::value* t = member(body, "temperature")) {
    if (!t->is_number()) return invalid("temperature", "must be a number");
    // OpenAI's range is 0-2, Anthropic's 0-1.
    out["temperature"] = t->to_number<double>() > 1.0 ? json::value(1.0) : *t;
  }
  if (const json::value* p = member(body, "top_p")) out["top_p"] = *p;

  json::array tools;
  if (const json::value* tools_value = member(body, "tools")) {
    if (!tools_value->is_array()) return invalid("tools", "must be an array");
    auto mapped = anthropic_tools(tools_value->get_array());
    if (!mapped) return tl::unexpected(mapped.error());
    tools = std::move(*mapped);
  }
  if (auto r = map_openai_tool_choice(body, tools, out); !r) return tl::unexpected(r.error());
  if (!tools.empty()) out["tools"] = std::move(tools);

  json::object output_config;
  if (const json::value* effort = member(body, "reasoning_effort")) {
    const std::string_view e = effort->is_string() ? std::string_view(effort->get_string()) : "";
    // Mapped to effort, never to thinking: an OpenAI client cannot hand thinking blocks
    // back, and Anthropic needs them on tool turns when thinking is on (4.3).
    if (is_shared_effort(e)) {
      output_config["effort"] = e;
    } else if (e != "none" && e != "minimal") {
      return invalid("reasoning_effort",
                     "value " + json::serialize(*effort) + " has no equivalent through this route");
    }
  }
  if (const json::value* format_value = member(body, "response_format")) {
    auto format = object_at(*format_value, "response_format");
    if (!format) return tl::unexpected(format.error());
    const std::string_view type = string_member(**format, "type");
    if (type == "json_schema") {
      const json::value* spec = member(**format, "json_schema");
      const json::value* schema =
          spec != nullptr && spec->is_object() ? member(spec->get_object(), "schema") : nullptr;
      if (schema == nullptr) return invalid("response_format.json_schema.schema", "Field required");
      output_config["format"] = {{"type", "json_schema"}, {"schema", *schema}};
    } else if (type != "text") {
      return invalid("response_format.type",
                     "response format " + quoted(type) + " is not available through this route");
    }
  }
  if (!output_config.empty()) out["output_config"] = std::move(output_config);

  const json::value* user = member(body, "safety_identifier");
  if (user == nullptr) user = member(body, "user");
  if (user != nullptr) out["metadata"] = {{"user_id", *user}};
  if (const json::value* stream = member(body, "stream")) out["stream"] = *stream;
  // Dropped: stream_options (the caller reads include_usage), penalties, logit_bias, seed,
  // store, metadata, service_tier, prompt cache keys, verbosity, unknown fields.
  return out;
}

}  // namespace warden::api::translate
