#pragma once

// Internal to the mock: the answer a scenario scripts, before it is rendered in a dialect.
// mock_scenarios.cpp renders a Script as an Anthropic message or event stream,
// mock_openai.cpp as an OpenAI chat.completion or chunk stream. Both dialects read the same
// Script, so the text, tool names, tool arguments and delta boundaries are identical on the
// two sides (docs/mock-upstream.md, "Both dialects").

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

namespace warden::mock::script {

enum class BlockKind { kText, kToolUse, kThinking };

// One content block; each piece becomes one delta, their concatenation the whole field.
struct Block {
  BlockKind kind = BlockKind::kText;
  std::vector<std::string> pieces;  // text / thinking / tool arguments JSON
  std::string tool_id;              // Anthropic form, `toolu_mock_…`
  std::string tool_name;
  std::string signature;  // thinking only
};

enum class StopReason { kEndTurn, kToolUse };

struct Script {
  std::string scenario;
  int turn = 1;  // 2 for the second turn of `claude_code` (it quotes a tool result)
  std::string model;
  std::vector<Block> blocks;
  StopReason stop = StopReason::kEndTurn;
  std::int64_t input_tokens = 0;
  // How long the answer takes before its first content (`judge_slow`): a non-streaming body is
  // sent this late, a stream waits this long before its first delta.
  std::chrono::milliseconds think_time{0};
};

// Which request dialect a script answers; it only decides where tool results are read from.
enum class Dialect { kAnthropic, kOpenAI };

// How long `judge_slow` thinks before it answers.
inline constexpr std::chrono::milliseconds kJudgeSlowDelay{1500};

// Deltas sent before `midstream_error` / `drop` fail.
inline constexpr std::size_t kTruncatedDeltas = 3;

// The joined pieces of a block.
std::string join(const std::vector<std::string>& pieces);

// `output_tokens` / `completion_tokens`: all content characters / 4, at least 1. The thinking
// part alone (OpenAI's `reasoning_tokens`): its characters / 4.
std::int64_t output_tokens(const Script& script);
std::int64_t thinking_tokens(const Script& script);

// `toolu_mock_weather_0001` -> `call_mock_weather_0001`.
std::string openai_call_id(std::string_view tool_id);

// The body as a JSON object, or nullopt when it is not one.
std::optional<boost::json::object> parse_object(std::string_view body);

// The scenario named by header > `[[scenario:NAME]]` in the last user message > model name
// > `text` (mock_scenarios.hpp, select_scenario). `body` may be null (not a JSON object).
std::string select_from(std::string_view header, const boost::json::object* body);

// NNN of `error_NNN`, when it is a 4xx/5xx status.
std::optional<unsigned> error_status(std::string_view name);

// The `x-mock-delay-ms` value (default 200 ms, capped at 60 s).
std::chrono::milliseconds parse_delay(std::string_view header);

// The error message both dialects send for `status` when the scenario gives none (the
// Anthropic API's usual texts: "Overloaded", "Number of requests has exceeded your rate
// limit.", ...), so an error reads the same on both sides.
std::string default_error_message(unsigned status);

// What the judge scenarios read of a request: the text of the last `user` message (a string
// `content`, or the `text` of its parts joined with newlines), or the whole raw body when there
// is none.
std::string judged_text(const boost::json::object& body, std::string_view raw_body);

// What `rules` reviews: the text between the line `<<<` and the last line `>>>` of `prompt`
// (without those lines' newlines); nullopt when `prompt` has no such pair.
std::optional<std::string> text_under_review(std::string_view prompt);

// The verdict JSON the judge scenarios answer for `text` (docs/mock-upstream.md): `judge`'s
// probability and `rules`' pass / rewrite / block.
std::string judge_verdict(std::string_view text);
std::string rules_verdict(std::string_view reviewed);

// The message a successful scenario answers with; `default_model` when the body names none.
Script build_script(std::string_view scenario, const boost::json::object& body,
                    std::string_view raw_body, Dialect dialect, std::string_view default_model);

}  // namespace warden::mock::script
