#include "api/translate/request_translation.hpp"

#include <string>
#include <string_view>
#include <vector>

#include <boost/json.hpp>
#include <gtest/gtest.h>

namespace warden::api::translate {
namespace {

namespace json = boost::json;

// One row: `input` is laid over the base request, `expected` over the base translation
// (a null value removes the key). An empty `expected` means a refusal is expected: the
// message starts with `error`, and the error's param is the path before ": ".
struct Case {
  const char* name;
  const char* input;
  const char* expected;
  const char* error = "";
};

json::object parse_object(std::string_view text) { return json::parse(text).as_object(); }

json::object overlaid(json::object base, std::string_view overlay) {
  for (const auto& [key, value] : parse_object(overlay)) {
    if (value.is_null()) {
      base.erase(key);
    } else {
      base[key] = value;
    }
  }
  return base;
}

template <class Translate>
void run_table(const std::vector<Case>& cases, std::string_view base_input,
               std::string_view base_output, Translate translate) {
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const json::object input = overlaid(parse_object(base_input), c.input);
    const core::Result<json::object> result = translate(input);
    if (*c.error != '\0') {
      ASSERT_FALSE(result.has_value()) << "translated: " << json::serialize(*result);
      const std::string_view error = c.error;
      EXPECT_EQ(result.error().kind, core::ErrorKind::kInvalidRequest);
      EXPECT_TRUE(result.error().message.starts_with(error)) << result.error().message;
      EXPECT_EQ(result.error().param, error.substr(0, error.find(": ")));
      continue;
    }
    ASSERT_TRUE(result.has_value()) << result.error().message;
    const json::object expected = overlaid(parse_object(base_output), c.expected);
    EXPECT_EQ(*result, expected) << "got:      " << json::serialize(*result)
                                 << "\nexpected: " << json::serialize(expected);
  }
}

// ---- Anthropic → OpenAI (4.1, 4.3, 4.10) ---------------------------------------------------

constexpr std::string_view kAnthropicBase = R"({"model":"claude-sonnet-4-5","max_tokens":256,)"
                                            R"("messages":[{"role":"user","content":"Hello"}]})";
constexpr std::string_view kOpenAiOfAnthropicBase =
    R"({"model":"claude-sonnet-4-5","max_completion_tokens":256,)"
    R"("messages":[{"role":"user","content":"Hello"}]})";

// A minimal custom tool and its translation, for tool_choice rows.
#define A_TOOL R"({"name":"t","input_schema":{"type":"object"}})"
#define O_TOOL R"({"type":"function","function":{"name":"t","parameters":{"type":"object"}}})"

const std::vector<Case> kAnthropicToOpenAiTop = {
    {"minimal body", "{}", "{}"},
    {"model copied as given", R"({"model":"my-alias"})", R"({"model":"my-alias"})"},
    {"max_tokens becomes max_completion_tokens", R"({"max_tokens":1})",
     R"({"max_completion_tokens":1})"},
    {"max_tokens missing", R"({"max_tokens":null})", "", "max_tokens: Field required"},
    {"max_tokens not an integer", R"({"max_tokens":"many"})", "", "max_tokens: must be an integer"},
    {"model missing", R"({"model":null})", "", "model: Field required"},
    {"messages missing", R"({"messages":null})", "", "messages: Field required"},
    {"system string → leading system message", R"({"system":"Be brief."})",
     R"({"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hello"}]})"},
    {"system blocks joined, cache_control dropped",
     R"({"system":[{"type":"text","text":"A"},)"
     R"({"type":"text","text":"B","cache_control":{"type":"ephemeral","ttl":"1h"}}]})",
     R"({"messages":[{"role":"system","content":"A\n\nB"},{"role":"user","content":"Hello"}]})"},
    {"empty system omitted", R"({"system":""})", "{}"},
    {"system with an image block",
     R"({"system":[{"type":"image","source":{"type":"url","url":"https://x/i.png"}}]})", "",
     "system[0]: only text can be sent as system text"},
    {"stop_sequences → stop", R"({"stop_sequences":["END","STOP"]})", R"({"stop":["END","STOP"]})"},
    {"four stop sequences", R"({"stop_sequences":["a","b","c","d"]})",
     R"({"stop":["a","b","c","d"]})"},
    {"five stop sequences refused", R"({"stop_sequences":["a","b","c","d","e"]})", "",
     "stop_sequences: at most 4 stop sequences"},
    {"empty stop_sequences omitted", R"({"stop_sequences":[]})", "{}"},
    {"temperature and top_p kept, top_k dropped", R"({"temperature":0.7,"top_p":0.9,"top_k":40})",
     R"({"temperature":0.7,"top_p":0.9})"},
    {"metadata.user_id → user", R"({"metadata":{"user_id":"user-1"}})", R"({"user":"user-1"})"},
    {"metadata without user_id", R"({"metadata":{}})", "{}"},
    {"custom tools → functions, hints dropped",
     R"({"tools":[{"name":"get_weather","description":"Weather",)"
     R"("input_schema":{"type":"object","properties":{"city":{"type":"string"}}},)"
     R"("cache_control":{"type":"ephemeral"},"strict":true,"defer_loading":false,)"
     R"("eager_input_streaming":true,"input_examples":[{"city":"Paris"}],)"
     R"("allowed_callers":["direct"]},)"
     R"({"type":"custom","name":"noop","input_schema":{"type":"object"}}]})",
     R"({"tools":[{"type":"function","function":{"name":"get_weather","description":"Weather",)"
     R"("parameters":{"type":"object","properties":{"city":{"type":"string"}}},"strict":true}},)"
     R"({"type":"function","function":{"name":"noop","parameters":{"type":"object"}}}]})"},
    {"tool without a name", R"({"tools":[{"input_schema":{"type":"object"}}]})", "",
     "tools[0].name: Field required"},
    {"server tool web_search refused",
     R"({"tools":[)" A_TOOL R"(,{"type":"web_search_20250305","name":"web_search","max_uses":5}]})",
     "", R"(tools[1]: server tool "web_search_20250305" is not available through this route)"},
    {"server tool web_fetch refused",
     R"({"tools":[{"type":"web_fetch_20250910","name":"web_fetch"}]})", "",
     R"(tools[0]: server tool "web_fetch_20250910")"},
    {"server tool code_execution refused",
     R"({"tools":[{"type":"code_execution_20250825","name":"code_execution"}]})", "",
     R"(tools[0]: server tool "code_execution_20250825")"},
    {"server tool tool_search refused",
     R"({"tools":[{"type":"tool_search_tool_regex_20251119","name":"tool_search"}]})", "",
     R"(tools[0]: server tool "tool_search_tool_regex_20251119")"},
    {"schema-less bash refused", R"({"tools":[{"type":"bash_20250124","name":"bash"}]})", "",
     R"(tools[0]: Anthropic-defined tool "bash_20250124" has no schema)"},
    {"schema-less text_editor refused",
     R"({"tools":[{"type":"text_editor_20250728","name":"str_replace_based_edit_tool"}]})", "",
     R"(tools[0]: Anthropic-defined tool "text_editor_20250728")"},
    {"schema-less computer refused",
     R"({"tools":[{"type":"computer_20250124","name":"computer","display_width_px":1024}]})", "",
     R"(tools[0]: Anthropic-defined tool "computer_20250124")"},
    {"schema-less memory refused", R"({"tools":[{"type":"memory_20250818","name":"memory"}]})", "",
     R"(tools[0]: Anthropic-defined tool "memory_20250818")"},
    {"tool_choice auto", R"({"tools":[)" A_TOOL R"(],"tool_choice":{"type":"auto"}})",
     R"({"tools":[)" O_TOOL R"(],"tool_choice":"auto"})"},
    {"tool_choice any → required", R"({"tools":[)" A_TOOL R"(],"tool_choice":{"type":"any"}})",
     R"({"tools":[)" O_TOOL R"(],"tool_choice":"required"})"},
    {"tool_choice tool → function",
     R"({"tools":[)" A_TOOL R"(],"tool_choice":{"type":"tool","name":"t"}})",
     R"({"tools":[)" O_TOOL R"(],"tool_choice":{"type":"function","function":{"name":"t"}}})"},
    {"tool_choice none", R"({"tools":[)" A_TOOL R"(],"tool_choice":{"type":"none"}})",
     R"({"tools":[)" O_TOOL R"(],"tool_choice":"none"})"},
    {"disable_parallel_tool_use → parallel_tool_calls false",
     R"({"tools":[)" A_TOOL R"(],"tool_choice":{"type":"any","disable_parallel_tool_use":true}})",
     R"({"tools":[)" O_TOOL R"(],"tool_choice":"required","parallel_tool_calls":false})"},
    {"unknown tool_choice type", R"({"tools":[)" A_TOOL R"(],"tool_choice":{"type":"some"}})", "",
     R"(tool_choice.type: unknown tool_choice type "some")"},
    {"tool_choice without tools dropped", R"({"tool_choice":{"type":"auto"}})", "{}"},
    {"empty tools dropped with tool_choice", R"({"tools":[],"tool_choice":{"type":"any"}})", "{}"},
    {"thinking budget 1024 → low", R"({"thinking":{"type":"enabled","budget_tokens":1024}})",
     R"({"reasoning_effort":"low"})"},
    {"thinking budget 4095 → low", R"({"thinking":{"type":"enabled","budget_tokens":4095}})",
     R"({"reasoning_effort":"low"})"},
    {"thinking budget 4096 → medium", R"({"thinking":{"type":"enabled","budget_tokens":4096}})",
     R"({"reasoning_effort":"medium"})"},
    {"thinking budget 16383 → medium", R"({"thinking":{"type":"enabled","budget_tokens":16383}})",
     R"({"reasoning_effort":"medium"})"},
    {"thinking budget 16384 → high", R"({"thinking":{"type":"enabled","budget_tokens":16384}})",
     R"({"reasoning_effort":"high"})"},
    {"thinking adaptive without effort", R"({"thinking":{"type":"adaptive"}})", "{}"},
    {"thinking disabled", R"({"thinking":{"type":"disabled"}})", "{}"},
    {"adaptive + output_config.effort",
     R"({"thinking":{"type":"adaptive","display":"omitted"},"output_config":{"effort":"high"}})",
     R"({"reasoning_effort":"high"})"},
    {"effort wins over budget",
     R"({"thinking":{"type":"enabled","budget_tokens":2000},"output_config":{"effort":"max"}})",
     R"({"reasoning_effort":"max"})"},
    {"effort xhigh", R"({"output_config":{"effort":"xhigh"}})", R"({"reasoning_effort":"xhigh"})"},
    {"unknown effort refused", R"({"output_config":{"effort":"turbo"}})", "",
     "output_config.effort: effort \"turbo\" has no equivalent"},
    {"output_config.format json_schema → response_format",
     R"({"output_config":{"format":{"type":"json_schema","schema":{"type":"object"}}}})",
     R"({"response_format":{"type":"json_schema",)"
     R"("json_schema":{"name":"output","schema":{"type":"object"}}}})"},
    {"other output format refused", R"({"output_config":{"format":{"type":"xml"}}})", "",
     "output_config.format.type: output format \"xml\""},
    {"stream adds include_usage", R"({"stream":true})",
     R"({"stream":true,"stream_options":{"include_usage":true}})"},
    {"stream false kept", R"({"stream":false})", R"({"stream":false})"},
    {"hints and Anthropic-only fields dropped",
     R"({"cache_control":{"type":"ephemeral"},"service_tier":"auto",)"
     R"("context_management":{"edits":[]},"inference_geo":"us","speed":"fast",)"
     R"("diagnostics":{},"some_future_field":1})",
     "{}"},
    {"mcp_servers refused", R"({"mcp_servers":[{"type":"url","url":"https://m","name":"m"}]})", "",
     "mcp_servers: is not available through this route"},
    {"container refused", R"({"container":"container_1"})", "",
     "container: is not available through this route"},
};

const std::vector<Case> kAnthropicToOpenAiMessages = {
    {"system role inside messages stays in place",
     R"({"messages":[{"role":"user","content":"Hi"},)"
     R"({"role":"assistant","content":"Hello"},)"
     R"({"role":"system","content":[{"type":"text","text":"Answer in French."}]},)"
     R"({"role":"user","content":"Bye"}]})",
     R"({"messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello"},)"
     R"({"role":"system","content":"Answer in French."},{"role":"user","content":"Bye"}]})"},
    {"one text block → string, citations and cache_control dropped",
     R"({"messages":[{"role":"user","content":[{"type":"text","text":"Hi",)"
     R"("cache_control":{"type":"ephemeral"},"citations":[]}]}]})",
     R"({"messages":[{"role":"user","content":"Hi"}]})"},
    {"several text blocks → parts",
     R"({"messages":[{"role":"user","content":[{"type":"text","text":"A"},)"
     R"({"type":"text","text":"B"}]}]})",
     R"({"messages":[{"role":"user","content":[{"type":"text","text":"A"},)"
     R"({"type":"text","text":"B"}]}]})"},
    {"base64 image → data URL",
     R"({"messages":[{"role":"user","content":[{"type":"text","text":"What is this?"},)"
     R"({"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBOR"}}]}]})",
     R"({"messages":[{"role":"user","content":[{"type":"text","text":"What is this?"},)"
     R"({"type":"image_url","image_url":{"url":"data:image/png;base64,iVBOR"}}]}]})"},
    {"url image → image_url",
     R"({"messages":[{"role":"user","content":[)"
     R"({"type":"image","source":{"type":"url","url":"https://x.test/i.png"}}]}]})",
     R"({"messages":[{"role":"user","content":[)"
     R"({"type":"image_url","image_url":{"url":"https://x.test/i.png"}}]}]})"},
    {"file image refused",
     R"({"messages":[{"role":"user","content":[)"
     R"({"type":"image","source":{"type":"file","file_id":"file_1"}}]}]})",
     "", R"(messages[0].content[0].source.type: image source "file")"},
    {"plain-text document → text",
     R"({"messages":[{"role":"user","content":[{"type":"document","title":"N",)"
     R"("source":{"type":"text","media_type":"text/plain","data":"notes"}}]}]})",
     R"({"messages":[{"role":"user","content":"notes"}]})"},
    {"PDF document → file part",
     R"({"messages":[{"role":"user","content":[{"type":"document","title":"report.pdf",)"
     R"("source":{"type":"base64","media_type":"application/pdf","data":"JVBER"}}]}]})",
     R"({"messages":[{"role":"user","content":[{"type":"file","file":{"filename":"report.pdf",)"
     R"("file_data":"data:application/pdf;base64,JVBER"}}]}]})"},
    {"PDF without title gets a file name",
     R"({"messages":[{"role":"user","content":[{"type":"document",)"
     R"("source":{"type":"base64","media_type":"application/pdf","data":"JVBER"}}]}]})",
     R"({"messages":[{"role":"user","content":[{"type":"file","file":{"filename":"document.pdf",)"
     R"("file_data":"data:application/pdf;base64,JVBER"}}]}]})"},
    {"content document → its blocks",
     R"({"messages":[{"role":"user","content":[{"type":"document","source":{"type":"content",)"
     R"("content":[{"type":"text","text":"p1"},{"type":"text","text":"p2"}]}}]}]})",
     R"({"messages":[{"role":"user","content":[{"type":"text","text":"p1"},)"
     R"({"type":"text","text":"p2"}]}]})"},
    {"url document refused",
     R"({"messages":[{"role":"user","content":[{"type":"document",)"
     R"("source":{"type":"url","url":"https://x.test/a.pdf"}}]}]})",
     "", R"(messages[0].content[0].source.type: document source "url")"},
    {"search_result → text",
     R"({"messages":[{"role":"user","content":[{"type":"search_result","source":"https://ex.test",)"
     R"("title":"Ex","content":[{"type":"text","text":"Body"}],"citations":{"enabled":true}}]}]})",
     R"({"messages":[{"role":"user","content":"Title: Ex\nSource: https://ex.test\n\nBody"}]})"},
    {"tool_result string → tool message",
     R"({"messages":[{"role":"user","content":[)"
     R"({"type":"tool_result","tool_use_id":"toolu_1","content":"sunny"}]}]})",
     R"({"messages":[{"role":"tool","tool_call_id":"toolu_1","content":"sunny"}]})"},
    {"tool_result text blocks joined",
     R"({"messages":[{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1",)"
     R"("content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]}]}]})",
     R"({"messages":[{"role":"tool","tool_call_id":"toolu_1","content":"a\n\nb"}]})"},
    {"tool_result is_error → Error: prefix",
     R"({"messages":[{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1",)"
     R"("content":"boom","is_error":true}]}]})",
     R"({"messages":[{"role":"tool","tool_call_id":"toolu_1","content":"Error: boom"}]})"},
    {"tool_result without content",
     R"({"messages":[{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1"}]}]})",
     R"({"messages":[{"role":"tool","tool_call_id":"toolu_1","content":""}]})"},
    {"tool_result search_result and text document flattened",
     R"({"messages":[{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1",)"
     R"("content":[{"type":"search_result","source":"s","title":"t",)"
     R"("content":[{"type":"text","text":"x"}]},{"type":"document",)"
     R"("source":{"type":"text","media_type":"text/plain","data":"d"}}]}]}]})",
     R"({"messages":[{"role":"tool","tool_call_id":"toolu_1",)"
     R"("content":"Title: t\nSource: s\n\nx\n\nd"}]})"},
    {"tool results first, in block order, then the rest",
     R"({"messages":[{"role":"user","content":[{"type":"text","text":"Also this"},)"
     R"({"type":"tool_result","tool_use_id":"toolu_1","content":"r1"},)"
     R"({"type":"tool_result","tool_use_id":"toolu_2","content":"r2"}]}]})",
     R"({"messages":[{"role":"tool","tool_call_id":"toolu_1","content":"r1"},)"
     R"({"role":"tool","tool_call_id":"toolu_2","content":"r2"},)"
     R"({"role":"user","content":"Also this"}]})"},
    {"image inside a tool_result refused",
     R"({"messages":[{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1",)"
     R"("content":[{"type":"image","source":{"type":"url","url":"https://x.test/i.png"}}]}]}]})",
     "", R"(messages[0].content[0].content[0]: a tool_result containing "image")"},
    {"PDF inside a tool_result refused",
     R"({"messages":[{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1",)"
     R"("content":[{"type":"document","source":{"type":"base64",)"
     R"("media_type":"application/pdf","data":"JVBER"}}]}]}]})",
     "", R"(messages[0].content[0].content[0]: a tool_result containing "document")"},
    {"tool_result without tool_use_id",
     R"({"messages":[{"role":"user","content":[{"type":"tool_result","content":"x"}]}]})", "",
     "messages[0].content[0].tool_use_id: Field required"},
    {"assistant string",
     R"({"messages":[{"role":"user","content":"a"},{"role":"assistant","content":"b"},)"
     R"({"role":"user","content":"c"}]})",
     R"({"messages":[{"role":"user","content":"a"},{"role":"assistant","content":"b"},)"
     R"({"role":"user","content":"c"}]})"},
    {"assistant text concatenated, tool_use → tool_calls",
     R"({"messages":[{"role":"user","content":"Weather?"},)"
     R"({"role":"assistant","content":[{"type":"text","text":"Let me "},)"
     R"({"type":"text","text":"check."},)"
     R"({"type":"tool_use","id":"toolu_1","name":"w","input":{"city":"Paris","days":[1,2]}},)"
     R"({"type":"tool_use","id":"toolu_2","name":"t","input":{}}]},)"
     R"({"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"sun"},)"
     R"({"type":"tool_result","tool_use_id":"toolu_2","content":"noon"}]}]})",
     R"({"messages":[{"role":"user","content":"Weather?"},)"
     R"({"role":"assistant","content":"Let me check.","tool_calls":[)"
     R"({"id":"toolu_1","type":"function","function":{"name":"w",)"
     R"("arguments":"{\"city\":\"Paris\",\"days\":[1,2]}"}},)"
     R"({"id":"toolu_2","type":"function","function":{"name":"t","arguments":"{}"}}]},)"
     R"({"role":"tool","tool_call_id":"toolu_1","content":"sun"},)"
     R"({"role":"tool","tool_call_id":"toolu_2","content":"noon"}]})"},
    {"assistant with only tool_use → content null",
     R"({"messages":[{"role":"user","content":"q"},{"role":"assistant","content":[)"
     R"({"type":"tool_use","id":"toolu_1","name":"w","input":{}}]},)"
     R"({"role":"user","content":[)"
     R"({"type":"tool_result","tool_use_id":"toolu_1","content":"r"}]}]})",
     R"({"messages":[{"role":"user","content":"q"},{"role":"assistant","content":null,)"
     R"("tool_calls":[{"id":"toolu_1","type":"function","function":{"name":"w",)"
     R"("arguments":"{}"}}]},{"role":"tool","tool_call_id":"toolu_1","content":"r"}]})"},
    {"thinking and redacted_thinking dropped",
     R"({"messages":[{"role":"user","content":"q"},{"role":"assistant","content":[)"
     R"({"type":"thinking","thinking":"hmm","signature":"EqQB"},)"
     R"({"type":"redacted_thinking","data":"xyz"},{"type":"text","text":"Hi"}]},)"
     R"({"role":"user","content":"more"}]})",
     R"({"messages":[{"role":"user","content":"q"},{"role":"assistant","content":"Hi"},)"
     R"({"role":"user","content":"more"}]})"},
    {"thinking-only assistant turn skipped",
     R"({"messages":[{"role":"user","content":"a"},{"role":"assistant","content":[)"
     R"({"type":"thinking","thinking":"hmm","signature":"EqQB"}]},{"role":"user","content":"b"}]})",
     R"({"messages":[{"role":"user","content":"a"},{"role":"user","content":"b"}]})"},
    {"server_tool_use history refused",
     R"({"messages":[{"role":"user","content":"a"},{"role":"assistant","content":[)"
     R"({"type":"server_tool_use","id":"srvtoolu_1","name":"web_search","input":{}}]},)"
     R"({"role":"user","content":"b"}]})",
     "", R"(messages[1].content[0]: server tool history ("server_tool_use"))"},
    {"web_search_tool_result history refused",
     R"({"messages":[{"role":"user","content":"a"},{"role":"assistant","content":[)"
     R"({"type":"web_search_tool_result","tool_use_id":"srvtoolu_1","content":[]}]},)"
     R"({"role":"user","content":"b"}]})",
     "", R"(messages[1].content[0]: server tool history ("web_search_tool_result"))"},
    {"trailing assistant (prefill) refused",
     R"({"messages":[{"role":"user","content":"a"},)"
     R"({"role":"assistant","content":"The answer is"}]})",
     "", "messages[1]: a final assistant message (prefill) cannot be continued"},
    {"unknown role", R"({"messages":[{"role":"tool","content":"x"}]})", "",
     R"(messages[0].role: unknown role "tool")"},
    {"tool_use in a user turn refused",
     R"({"messages":[{"role":"user","content":[)"
     R"({"type":"tool_use","id":"t","name":"n","input":{}}]}]})",
     "", R"(messages[0].content[0]: block type "tool_use" cannot be sent)"},
    {"unknown block refused",
     R"({"messages":[{"role":"user","content":[{"type":"future_block","x":1}]}]})", "",
     R"(messages[0].content[0]: block type "future_block")"},
    {"image in an assistant turn refused",
     R"({"messages":[{"role":"user","content":"a"},{"role":"assistant","content":[)"
     R"({"type":"image","source":{"type":"url","url":"https://x.test/i.png"}}]},)"
     R"({"role":"user","content":"b"}]})",
     "", R"(messages[1].content[0]: block type "image" cannot be sent)"},
    {"tool_use input not an object",
     R"({"messages":[{"role":"user","content":"a"},{"role":"assistant","content":[)"
     R"({"type":"tool_use","id":"t","name":"n","input":"x"}]},{"role":"user","content":"b"}]})",
     "", "messages[1].content[0].input: must be an object"},
    {"message without content", R"({"messages":[{"role":"user"}]})", "",
     "messages[0].content: Field required"},
};

TEST(AnthropicToOpenAiRequest, TopLevelFields) {
  run_table(kAnthropicToOpenAiTop, kAnthropicBase, kOpenAiOfAnthropicBase,
            [](const json::object& body) { return anthropic_to_openai_request(body); });
}

TEST(AnthropicToOpenAiRequest, Messages) {
  run_table(kAnthropicToOpenAiMessages, kAnthropicBase, kOpenAiOfAnthropicBase,
            [](const json::object& body) { return anthropic_to_openai_request(body); });
}

// ---- OpenAI → Anthropic (4.2, 4.3, 4.10) ---------------------------------------------------

constexpr std::int64_t kDefaultMaxTokens = 4096;
constexpr std::string_view kOpenAiBase =
    R"({"model":"gpt-4o","messages":[{"role":"user","content":"Hello"}]})";
constexpr std::string_view kAnthropicOfOpenAiBase =
    R"({"model":"gpt-4o","max_tokens":4096,"messages":[{"role":"user","content":"Hello"}]})";

#define O_TOOL_U R"({"type":"function","function":{"name":"u","parameters":{"type":"object"}}})"
#define A_TOOL_U R"({"name":"u","input_schema":{"type":"object"}})"

const std::vector<Case> kOpenAiToAnthropicTop = {
    {"minimal body gets the default max_tokens", "{}", "{}"},
    {"max_completion_tokens → max_tokens", R"({"max_completion_tokens":100})",
     R"({"max_tokens":100})"},
    {"max_tokens → max_tokens", R"({"max_tokens":50})", R"({"max_tokens":50})"},
    {"max_completion_tokens wins", R"({"max_tokens":50,"max_completion_tokens":100})",
     R"({"max_tokens":100})"},
    {"null max tokens → default", R"({"max_completion_tokens":null,"max_tokens":null})", "{}"},
    {"max_completion_tokens not an integer", R"({"max_completion_tokens":"x"})", "",
     "max_completion_tokens: must be an integer"},
    {"model missing", R"({"model":null})", "", "model: Field required"},
    {"messages missing", R"({"messages":null})", "", "messages: Field required"},
    {"stop string → one-element array", R"({"stop":"END"})", R"({"stop_sequences":["END"]})"},
    {"stop array", R"({"stop":["a","b"]})", R"({"stop_sequences":["a","b"]})"},
    {"empty stop omitted", R"({"stop":[]})", "{}"},
    {"stop of the wrong type", R"({"stop":3})", "", "stop: must be a string or an array"},
    {"temperature clamped to 1.0", R"({"temperature":1.5})", R"({"temperature":1.0})"},
    {"integer temperature 2 clamped", R"({"temperature":2})", R"({"temperature":1.0})"},
    {"temperature in range kept", R"({"temperature":0.2,"top_p":0.5})",
     R"({"temperature":0.2,"top_p":0.5})"},
    {"temperature of the wrong type", R"({"temperature":"hot"})", "",
     "temperature: must be a number"},
    {"n = 1 accepted", R"({"n":1})", "{}"},
    {"n > 1 refused", R"({"n":2})", "", "n: only one choice"},
    {"logprobs refused", R"({"logprobs":true,"top_logprobs":2})", "",
     "logprobs: log probabilities are not available"},
    {"top_logprobs refused", R"({"top_logprobs":3})", "", "top_logprobs: log probabilities"},
    {"logprobs false dropped", R"({"logprobs":false,"top_logprobs":0})", "{}"},
    {"audio modality refused", R"({"modalities":["text","audio"]})", "",
     R"(modalities: output modality "audio")"},
    {"text modality dropped", R"({"modalities":["text"]})", "{}"},
    {"audio output refused", R"({"audio":{"voice":"alloy","format":"wav"}})", "",
     "audio: audio output is not available"},
    {"prediction refused", R"({"prediction":{"type":"content","content":"x"}})", "",
     "prediction: predicted outputs"},
    {"web_search_options refused", R"({"web_search_options":{}})", "",
     "web_search_options: web search is not available"},
    {"legacy functions refused", R"({"functions":[{"name":"f"}]})", "",
     "functions: legacy functions"},
    {"legacy function_call refused", R"({"function_call":"auto"})", "",
     "function_call: legacy function_call"},
    {"optimisation hints and unknown fields dropped",
     R"({"frequency_penalty":0.5,"presence_penalty":0.1,"logit_bias":{"50256":-100},"seed":7,)"
     R"("store":true,"metadata":{"k":"v"},"service_tier":"auto","prompt_cache_key":"k",)"
     R"("prompt_cache_retention":"24h","verbosity":"low",)"
     R"("stream_options":{"include_usage":true,"include_obfuscation":false},)"
     R"("parallel_tool_calls":true,"some_future_field":1})",
     "{}"},
    {"function tools → Anthropic tools",
     R"({"tools":[{"type":"function","function":{"name":"get_weather","description":"W",)"
     R"("parameters":{"type":"object","properties":{"city":{"type":"string"}}},"strict":true}}]})",
     R"({"tools":[{"name":"get_weather","description":"W",)"
     R"("input_schema":{"type":"object","properties":{"city":{"type":"string"}}},)"
     R"("strict":true}]})"},
    {"tool without parameters gets an empty schema",
     R"({"tools":[{"type":"function","function":{"name":"ping"}}]})",
     R"({"tools":[{"name":"ping","input_schema":{"type":"object","properties":{}}}]})"},
    {"custom tool refused",
     R"({"tools":[)" O_TOOL R"(,{"type":"custom","custom":{"name":"free"}}]})", "",
     R"(tools[1]: "custom" tools are not available through this route)"},
    {"tool_choice auto", R"({"tools":[)" O_TOOL R"(],"tool_choice":"auto"})",
     R"({"tools":[)" A_TOOL R"(],"tool_choice":{"type":"auto"}})"},
    {"tool_choice required → any", R"({"tools":[)" O_TOOL R"(],"tool_choice":"required"})",
     R"({"tools":[)" A_TOOL R"(],"tool_choice":{"type":"any"}})"},
    {"tool_choice none", R"({"tools":[)" O_TOOL R"(],"tool_choice":"none"})",
     R"({"tools":[)" A_TOOL R"(],"tool_choice":{"type":"none"}})"},
    {"named tool_choice → tool",
     R"({"tools":[)" O_TOOL R"(],"tool_choice":{"type":"function","function":{"name":"t"}}})",
     R"({"tools":[)" A_TOOL R"(],"tool_choice":{"type":"tool","name":"t"}})"},
    {"allowed_tools narrows tools, then maps the mode",
     R"({"tools":[)" O_TOOL "," O_TOOL_U R"(],"tool_choice":{"type":"allowed_tools",)"
     R"("allowed_tools":{"mode":"required",)"
     R"("tools":[{"type":"function","function":{"name":"u"}}]}}})",
     R"({"tools":[)" A_TOOL_U R"(],"tool_choice":{"type":"any"}})"},
    {"parallel_tool_calls false alone → auto + disable",
     R"({"tools":[)" O_TOOL R"(],"parallel_tool_calls":false})",
     R"({"tools":[)" A_TOOL R"(],"tool_choice":{"type":"auto","disable_parallel_tool_use":true}})"},
    {"required + parallel_tool_calls false",
     R"({"tools":[)" O_TOOL R"(],"tool_choice":"required","parallel_tool_calls":false})",
     R"({"tools":[)" A_TOOL R"(],"tool_choice":{"type":"any","disable_parallel_tool_use":true}})"},
    {"none + parallel_tool_calls false",
     R"({"tools":[)" O_TOOL R"(],"tool_choice":"none","parallel_tool_calls":false})",
     R"({"tools":[)" A_TOOL R"(],"tool_choice":{"type":"none"}})"},
    {"tool_choice without tools dropped", R"({"tool_choice":"required"})", "{}"},
    {"custom tool_choice refused",
     R"({"tools":[)" O_TOOL R"(],"tool_choice":{"type":"custom","custom":{"name":"x"}}})", "",
     R"(tool_choice.type: tool_choice type "custom")"},
    {"unknown tool_choice mode", R"({"tools":[)" O_TOOL R"(],"tool_choice":"sometimes"})", "",
     R"(tool_choice: unknown tool_choice "sometimes")"},
    {"reasoning_effort low", R"({"reasoning_effort":"low"})",
     R"({"output_config":{"effort":"low"}})"},
    {"reasoning_effort medium", R"({"reasoning_effort":"medium"})",
     R"({"output_config":{"effort":"medium"}})"},
    {"reasoning_effort high", R"({"reasoning_effort":"high"})",
     R"({"output_config":{"effort":"high"}})"},
    {"reasoning_effort xhigh", R"({"reasoning_effort":"xhigh"})",
     R"({"output_config":{"effort":"xhigh"}})"},
    {"reasoning_effort max", R"({"reasoning_effort":"max"})",
     R"({"output_config":{"effort":"max"}})"},
    {"reasoning_effort none → nothing", R"({"reasoning_effort":"none"})", "{}"},
    {"reasoning_effort minimal → nothing", R"({"reasoning_effort":"minimal"})", "{}"},
    {"unknown reasoning_effort refused", R"({"reasoning_effort":"extreme"})", "",
     "reasoning_effort: value \"extreme\" has no equivalent"},
    {"json_schema response_format → output_config.format",
     R"({"response_format":{"type":"json_schema","json_schema":{"name":"x",)"
     R"("schema":{"type":"object"},"strict":true}},"reasoning_effort":"low"})",
     R"({"output_config":{"effort":"low","format":{"type":"json_schema",)"
     R"("schema":{"type":"object"}}}})"},
    {"text response_format dropped", R"({"response_format":{"type":"text"}})", "{}"},
    {"json_object response_format refused", R"({"response_format":{"type":"json_object"}})", "",
     R"(response_format.type: response format "json_object" is not available)"},
    {"json_schema without schema",
     R"({"response_format":{"type":"json_schema","json_schema":{"name":"x"}}})", "",
     "response_format.json_schema.schema: Field required"},
    {"user → metadata.user_id", R"({"user":"u-1"})", R"({"metadata":{"user_id":"u-1"}})"},
    {"safety_identifier wins over user", R"({"user":"u-1","safety_identifier":"s-1"})",
     R"({"metadata":{"user_id":"s-1"}})"},
    {"stream kept, stream_options dropped",
     R"({"stream":true,"stream_options":{"include_usage":true}})", R"({"stream":true})"},
};

const std::vector<Case> kOpenAiToAnthropicMessages = {
    {"leading system → system",
     R"({"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hello"}]})",
     R"({"system":"Be brief."})"},
    {"developer → system",
     R"({"messages":[{"role":"developer","content":"Be brief."},)"
     R"({"role":"user","content":"Hello"}]})",
     R"({"system":"Be brief."})"},
    {"system text parts joined",
     R"({"messages":[{"role":"system","content":[{"type":"text","text":"A"},)"
     R"({"type":"text","text":"B"}]},{"role":"user","content":"Hello"}]})",
     R"({"system":"A\n\nB"})"},
    {"later system messages appended to system",
     R"({"messages":[{"role":"system","content":"A"},{"role":"developer","content":"B"},)"
     R"({"role":"user","content":"Hello"},{"role":"assistant","content":"Hi"},)"
     R"({"role":"system","content":"C"},{"role":"user","content":"Bye"}]})",
     R"({"system":"A\n\nB\n\nC","messages":[{"role":"user","content":"Hello"},)"
     R"({"role":"assistant","content":[{"type":"text","text":"Hi"}]},)"
     R"({"role":"user","content":"Bye"}]})"},
    {"system with an image part refused",
     R"({"messages":[{"role":"system","content":[{"type":"image_url",)"
     R"("image_url":{"url":"https://x.test/i.png"}}]},{"role":"user","content":"Hello"}]})",
     "", "messages[0].content[0]: only text can be sent as system text"},
    {"user name dropped", R"({"messages":[{"role":"user","content":"Hello","name":"bob"}]})", "{}"},
    {"user parts: text and data-URL image",
     R"({"messages":[{"role":"user","content":[{"type":"text","text":"What?"},)"
     R"({"type":"image_url",)"
     R"("image_url":{"url":"data:image/jpeg;base64,/9j/4A","detail":"high"}}]}]})",
     R"({"messages":[{"role":"user","content":[{"type":"text","text":"What?"},)"
     R"({"type":"image",)"
     R"("source":{"type":"base64","media_type":"image/jpeg","data":"/9j/4A"}}]}]})"},
    {"https image → url source",
     R"({"messages":[{"role":"user","content":[)"
     R"({"type":"image_url","image_url":{"url":"https://x.test/i.png"}}]}]})",
     R"({"messages":[{"role":"user","content":[)"
     R"({"type":"image","source":{"type":"url","url":"https://x.test/i.png"}}]}]})"},
    {"other image URL refused",
     R"({"messages":[{"role":"user","content":[)"
     R"({"type":"image_url","image_url":{"url":"ftp://x.test/i.png"}}]}]})",
     "", "messages[0].content[0].image_url.url: only data: and http(s) image URLs"},
    {"empty text part skipped",
     R"({"messages":[{"role":"user","content":[{"type":"text","text":""},)"
     R"({"type":"text","text":"x"}]}]})",
     R"({"messages":[{"role":"user","content":[{"type":"text","text":"x"}]}]})"},
    {"PDF file → document",
     R"({"messages":[{"role":"user","content":[{"type":"file","file":{"filename":"r.pdf",)"
     R"("file_data":"data:application/pdf;base64,JVBER"}}]}]})",
     R"({"messages":[{"role":"user","content":[{"type":"document","title":"r.pdf",)"
     R"("source":{"type":"base64","media_type":"application/pdf","data":"JVBER"}}]}]})"},
    {"file_id refused",
     R"({"messages":[{"role":"user","content":[{"type":"file","file":{"file_id":"file-1"}}]}]})",
     "", "messages[0].content[0].file: only inline file_data"},
    {"non-PDF file refused",
     R"({"messages":[{"role":"user","content":[{"type":"file",)"
     R"("file":{"file_data":"data:text/csv;base64,YQ=="}}]}]})",
     "", "messages[0].content[0].file.file_data: only a PDF data URL"},
    {"input_audio refused",
     R"({"messages":[{"role":"user","content":[{"type":"input_audio",)"
     R"("input_audio":{"data":"UklG","format":"wav"}}]}]})",
     "", "messages[0].content[0]: audio input is not available"},
    {"user content missing", R"({"messages":[{"role":"user"}]})", "",
     "messages[0].content: Field required"},
    {"assistant content → text block",
     R"({"messages":[{"role":"user","content":"q"},{"role":"assistant","content":"A"},)"
     R"({"role":"user","content":"q2"}]})",
     R"({"messages":[{"role":"user","content":"q"},)"
     R"({"role":"assistant","content":[{"type":"text","text":"A"}]},)"
     R"({"role":"user","content":"q2"}]})"},
    {"assistant text and refusal parts",
     R"({"messages":[{"role":"user","content":"q"},{"role":"assistant","content":[)"
     R"({"type":"text","text":"A"},{"type":"refusal","refusal":"No."}]},)"
     R"({"role":"user","content":"q2"}]})",
     R"({"messages":[{"role":"user","content":"q"},{"role":"assistant","content":[)"
     R"({"type":"text","text":"A"},{"type":"text","text":"No."}]},)"
     R"({"role":"user","content":"q2"}]})"},
    {"assistant refusal field → text block",
     R"({"messages":[{"role":"user","content":"q"},)"
     R"({"role":"assistant","content":null,"refusal":"I can't."},{"role":"user","content":"q2"}]})",
     R"({"messages":[{"role":"user","content":"q"},)"
     R"({"role":"assistant","content":[{"type":"text","text":"I can't."}]},)"
     R"({"role":"user","content":"q2"}]})"},
    {"empty assistant turn skipped",
     R"({"messages":[{"role":"user","content":"a"},{"role":"assistant","content":null},)"
     R"({"role":"user","content":"b"}]})",
     R"({"messages":[{"role":"user","content":"a"},{"role":"user","content":"b"}]})"},
    {"final assistant turn kept (Anthropic continues it)",
     R"({"messages":[{"role":"user","content":"a"},)"
     R"({"role":"assistant","content":"The answer is"}]})",
     R"({"messages":[{"role":"user","content":"a"},)"
     R"({"role":"assistant","content":[{"type":"text","text":"The answer is"}]}]})"},
    {"tool calls and tool messages → tool_use and one user turn of tool_results",
     R"({"messages":[{"role":"user","content":"Weather?"},)"
     R"({"role":"assistant","content":"","tool_calls":[)"
     R"({"id":"call_1","type":"function",)"
     R"("function":{"name":"w","arguments":"{\"city\":\"Paris\"}"}},)"
     R"({"id":"call_2","type":"function","function":{"name":"t","arguments":""}}]},)"
     R"({"role":"tool","tool_call_id":"call_1","content":"sun"},)"
     R"({"role":"tool","tool_call_id":"call_2","content":[{"type":"text","text":"noon"}]},)"
     R"({"role":"user","content":"Thanks"}]})",
     R"({"messages":[{"role":"user","content":"Weather?"},{"role":"assistant","content":[)"
     R"({"type":"tool_use","id":"call_1","name":"w","input":{"city":"Paris"}},)"
     R"({"type":"tool_use","id":"call_2","name":"t","input":{}}]},)"
     R"({"role":"user","content":[{"type":"tool_result","tool_use_id":"call_1","content":"sun"},)"
     R"({"type":"tool_result","tool_use_id":"call_2","content":[{"type":"text","text":"noon"}]},)"
     R"({"type":"text","text":"Thanks"}]}]})"},
    {"tool results answered in another order",
     R"({"messages":[{"role":"user","content":"q"},{"role":"assistant","tool_calls":[)"
     R"({"id":"call_1","type":"function","function":{"name":"w","arguments":"{}"}},)"
     R"({"id":"call_2","type":"function","function":{"name":"w","arguments":"{}"}}]},)"
     R"({"role":"tool","tool_call_id":"call_2","content":"b"},)"
     R"({"role":"tool","tool_call_id":"call_1","content":"a"}]})",
     R"({"messages":[{"role":"user","content":"q"},{"role":"assistant","content":[)"
     R"({"type":"tool_use","id":"call_1","name":"w","input":{}},)"
     R"({"type":"tool_use","id":"call_2","name":"w","input":{}}]},)"
     R"({"role":"user","content":[{"type":"tool_result","tool_use_id":"call_2","content":"b"},)"
     R"({"type":"tool_result","tool_use_id":"call_1","content":"a"}]}]})"},
    {"tool arguments not JSON",
     R"({"messages":[{"role":"user","content":"q"},{"role":"assistant","tool_calls":[)"
     R"({"id":"call_1","type":"function","function":{"name":"w","arguments":"{\"city\":"}}]},)"
     R"({"role":"tool","tool_call_id":"call_1","content":"x"}]})",
     "", "messages[1].tool_calls[0].function.arguments: tool call arguments are not a valid"},
    {"tool arguments not an object",
     R"({"messages":[{"role":"user","content":"q"},{"role":"assistant","tool_calls":[)"
     R"({"id":"call_1","type":"function","function":{"name":"w","arguments":"[1,2]"}}]},)"
     R"({"role":"tool","tool_call_id":"call_1","content":"x"}]})",
     "", "messages[1].tool_calls[0].function.arguments: tool call arguments are not"},
    {"tool call without a tool message",
     R"({"messages":[{"role":"user","content":"q"},{"role":"assistant","tool_calls":[)"
     R"({"id":"call_1","type":"function","function":{"name":"w","arguments":"{}"}},)"
     R"({"id":"call_2","type":"function","function":{"name":"w","arguments":"{}"}}]},)"
     R"({"role":"tool","tool_call_id":"call_1","content":"x"},{"role":"user","content":"go on"}]})",
     "", R"(messages[1].tool_calls[1]: tool call "call_2" has no tool message answering it)"},
    {"tool calls at the end without answers",
     R"({"messages":[{"role":"user","content":"q"},{"role":"assistant","tool_calls":[)"
     R"({"id":"call_1","type":"function","function":{"name":"w","arguments":"{}"}}]}]})",
     "", R"(messages[1].tool_calls[0]: tool call "call_1" has no tool message)"},
    {"tool message answering nothing",
     R"({"messages":[{"role":"user","content":"q"},{"role":"assistant","tool_calls":[)"
     R"({"id":"call_1","type":"function","function":{"name":"w","arguments":"{}"}}]},)"
     R"({"role":"tool","tool_call_id":"call_x","content":"x"}]})",
     "", R"(messages[2].tool_call_id: tool message "call_x" does not answer)"},
    {"tool message without tool_call_id",
     R"({"messages":[{"role":"user","content":"q"},{"role":"tool","content":"x"}]})", "",
     "messages[1].tool_call_id: Field required"},
    {"custom tool call in history refused",
     R"({"messages":[{"role":"user","content":"q"},{"role":"assistant","tool_calls":[)"
     R"({"id":"call_1","type":"custom","custom":{"name":"f","input":"x"}}]}]})",
     "", R"(messages[1].tool_calls[0]: tool call type "custom")"},
    {"assistant audio refused",
     R"({"messages":[{"role":"user","content":"q"},{"role":"assistant","audio":{"id":"a1"}},)"
     R"({"role":"user","content":"q2"}]})",
     "", "messages[1].audio: is not available"},
    {"assistant function_call refused",
     R"({"messages":[{"role":"user","content":"q"},)"
     R"({"role":"assistant","function_call":{"name":"f","arguments":"{}"}},)"
     R"({"role":"user","content":"q2"}]})",
     "", "messages[1].function_call: is not available"},
    {"function role refused", R"({"messages":[{"role":"function","name":"f","content":"x"}]})", "",
     "messages[0].role: legacy function messages"},
    {"unknown role refused", R"({"messages":[{"role":"critic","content":"x"}]})", "",
     R"(messages[0].role: unknown role "critic")"},
};

TEST(OpenAiToAnthropicRequest, TopLevelFields) {
  run_table(kOpenAiToAnthropicTop, kOpenAiBase, kAnthropicOfOpenAiBase,
            [](const json::object& body) {
              return openai_to_anthropic_request(body, kDefaultMaxTokens);
            });
}

TEST(OpenAiToAnthropicRequest, Messages) {
  run_table(kOpenAiToAnthropicMessages, kOpenAiBase, kAnthropicOfOpenAiBase,
            [](const json::object& body) {
              return openai_to_anthropic_request(body, kDefaultMaxTokens);
            });
}

// ---- Round trips ---------------------------------------------------------------------------

// Text, tools, tool ids and tool inputs survive Anthropic → OpenAI → Anthropic. The body
// is written in the forms translation produces (a lone text block as a string, system as
// a string), so the whole body must come back equal.
TEST(RequestRoundTrip, AnthropicThroughOpenAi) {
  const json::object original = parse_object(R"({
    "model":"claude-sonnet-4-5","max_tokens":1000,"system":"Be brief.\n\nUse tools.",
    "messages":[
      {"role":"user","content":"What is the weather in Paris?"},
      {"role":"assistant","content":[
        {"type":"text","text":"Checking."},
        {"type":"tool_use","id":"toolu_01A","name":"get_weather",
         "input":{"city":"Paris","days":[1,2],"units":{"temp":"C"}}},
        {"type":"tool_use","id":"toolu_01B","name":"get_time","input":{}}]},
      {"role":"user","content":[
        {"type":"tool_result","tool_use_id":"toolu_01A","content":"sunny"},
        {"type":"tool_result","tool_use_id":"toolu_01B","content":"noon"},
        {"type":"text","text":"And tomorrow?"}]}],
    "tools":[{"name":"get_weather","description":"Weather",
              "input_schema":{"type":"object","properties":{"city":{"type":"string"}}}},
             {"name":"get_time","input_schema":{"type":"object","properties":{}}}],
    "tool_choice":{"type":"any","disable_parallel_tool_use":true},
    "stop_sequences":["END"],"temperature":0.5,"top_p":0.9,
    "metadata":{"user_id":"u-1"},"output_config":{"effort":"high"},"stream":true})");
  auto openai = anthropic_to_openai_request(original);
  ASSERT_TRUE(openai.has_value()) << openai.error().message;
  auto back = openai_to_anthropic_request(*openai, 1);
  ASSERT_TRUE(back.has_value()) << back.error().message;
  EXPECT_EQ(*back, original) << "openai: " << json::serialize(*openai)
                             << "\nback:   " << json::serialize(*back);
}

// The same the other way: OpenAI → Anthropic → OpenAI.
TEST(RequestRoundTrip, OpenAiThroughAnthropic) {
  const json::object original = parse_object(R"({
    "model":"gpt-4o","max_completion_tokens":500,
    "messages":[
      {"role":"system","content":"Be brief."},
      {"role":"user","content":"Weather in Paris?"},
      {"role":"assistant","content":"Checking.","tool_calls":[
        {"id":"call_abc","type":"function",
         "function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},
      {"role":"tool","tool_call_id":"call_abc","content":"sunny"},
      {"role":"user","content":"Thanks"}],
    "tools":[{"type":"function","function":{"name":"get_weather","description":"W",
              "parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}],
    "tool_choice":{"type":"function","function":{"name":"get_weather"}},
    "stop":["END"],"temperature":0.5,"user":"u-1","reasoning_effort":"low",
    "stream":true,"stream_options":{"include_usage":true}})");
  auto anthropic = openai_to_anthropic_request(original, 1);
  ASSERT_TRUE(anthropic.has_value()) << anthropic.error().message;
  auto back = anthropic_to_openai_request(*anthropic);
  ASSERT_TRUE(back.has_value()) << back.error().message;
  EXPECT_EQ(*back, original) << "anthropic: " << json::serialize(*anthropic)
                             << "\nback:      " << json::serialize(*back);
}

// The lead's example message, verbatim.
TEST(AnthropicToOpenAiRequest, ServerToolMessageNamesTheTool) {
  json::object body = parse_object(kAnthropicBase);
  body["tools"] = json::parse(R"([{"name":"a","input_schema":{"type":"object"}},
    {"name":"b","input_schema":{"type":"object"}},{"name":"c","input_schema":{"type":"object"}},
    {"type":"web_search_20250305","name":"web_search"}])");
  auto result = anthropic_to_openai_request(body);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().message,
            R"(tools[3]: server tool "web_search_20250305" is not available through this route)");
  EXPECT_EQ(result.error().param, "tools[3]");
}

}  // namespace
}  // namespace warden::api::translate
