#pragma once

// The scripted answers of `warden mock-upstream` (docs/mock-upstream.md), as pure functions:
// no sockets, no clock, so every scenario can be checked event by event in unit tests.
// mock_upstream.cpp does the I/O: it reads a request, asks these functions what to answer,
// and writes the answer (sleeping and dropping the connection where the reply says so).
//
// Two dialects: `answer_messages` speaks the Anthropic Messages API (mock_scenarios.cpp),
// `answer_chat_completions` OpenAI Chat Completions (mock_openai.cpp). Both render the same
// script per scenario (mock_script.hpp), so a test can compare answers across dialects.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace warden::mock {

inline constexpr std::string_view kDefaultScenario = "text";
inline constexpr std::string_view kMockModel = "claude-mock-1";
inline constexpr std::string_view kMockOpenAIModel = "gpt-mock-1";
// The fixed `created` of every OpenAI object the mock answers with (2023-11-14T22:13:20Z).
inline constexpr std::int64_t kMockCreated = 1700000000;
inline constexpr std::chrono::milliseconds kDefaultSlowDelay{200};

// One SSE event. Anthropic: `name` is the event type and `data` single-line JSON whose "type"
// equals it. OpenAI: `name` is empty, `data` is one chunk's JSON or `[DONE]`.
struct SseEvent {
  std::string name;
  std::string data;
  std::chrono::milliseconds delay{0};  // how long the mock waits before sending it (`slow`)
};

// The exact wire form: "event: NAME\ndata: DATA\n\n", or "data: DATA\n\n" when the name is
// empty (OpenAI: no `event:` line).
std::string format_sse(const SseEvent& event);

// How the mock ends a response after its last byte of script.
enum class ReplyEnd {
  kComplete,  // normal end: last chunk (streams) or whole body; the connection stays usable
  kDrop,      // the TCP connection is closed abruptly: no last chunk / only part of the body
};

// What the mock answers to one request, decided without any I/O.
//
// A streamed reply (`streaming`) is a 200 with `events`, one chunk each; every other reply
// is `status` with the JSON `body`. `retry_after` asks for a `retry-after: 1` header.
struct MockReply {
  unsigned status = 200;
  bool streaming = false;
  bool retry_after = false;
  std::string body;
  std::vector<SseEvent> events;
  ReplyEnd end = ReplyEnd::kComplete;
  std::chrono::milliseconds delay{0};  // before a non-streaming body is sent
};

// The parts of a `POST /v1/messages` or `POST …/chat/completions` request that the scenarios
// look at.
struct MessagesRequest {
  std::string_view body;             // raw request body
  std::string_view scenario_header;  // `x-mock-scenario`, empty when absent
  std::string_view delay_header;     // `x-mock-delay-ms`, empty when absent
  std::string_view request_id;       // goes into error bodies
};

// True for the names of docs/mock-upstream.md, including `error_NNN` with 400 <= NNN <= 599.
bool is_known_scenario(std::string_view name);

// The scenario a request asks for; first match wins:
// 1. `header` (the x-mock-scenario value) when not empty, known or not;
// 2. the first `[[scenario:NAME]]` in any string of the last `user` message;
// 3. `mock-NAME` in the model name, only when NAME is a known scenario (so the plain model
//    `claude-mock-1` selects nothing);
// 4. `text`.
// `body_json` is the raw request body; a body that is not a JSON object skips 2 and 3.
std::string select_scenario(std::string_view header, std::string_view body_json);

// The whole answer to `POST /v1/messages`: 400 when the body is not a JSON object or the
// scenario is unknown, else the scripted reply (streamed when the body has "stream": true).
MockReply answer_messages(const MessagesRequest& request);

// The whole answer to `POST …/chat/completions`, in OpenAI's shapes (PROTOCOLS.md 3.3-3.5):
// the same scenarios with the same text and tool calls as `answer_messages`; 400 when the body
// is not a JSON object or the scenario is unknown; streamed (one `data:` event per chunk,
// `[DONE]` last) when the body has "stream": true, with a usage chunk when it also has
// "stream_options": {"include_usage": true}.
MockReply answer_chat_completions(const MessagesRequest& request);

// True for `/chat/completions` and any path ending in it (`/v1/chat/completions`,
// `/openai/v1/chat/completions`); `path` has no query string.
bool is_chat_completions_path(std::string_view path);

// `{"input_tokens": N}` with N = body length / 4.
std::string count_tokens_body(std::string_view body);

// The `GET /v1/models` list (just `claude-mock-1`), and one model for `GET /v1/models/ID`.
std::string models_body();
std::string model_body();

// `{"type":"error","error":{"type":T,"message":M},"request_id":R}` with T from `status` as the
// real API maps it (529 -> overloaded_error, other 4xx -> invalid_request_error, ...).
// An empty `message` picks the API's usual text for that status.
std::string error_type_for_status(unsigned status);
std::string error_body(unsigned status, std::string_view request_id, std::string_view message = {});

// ---- OpenAI shapes ----

// Which shape `GET /v1/models` answers in: OpenAI's (PROTOCOLS.md 3.7) when the request has no
// `anthropic-version` header but an `Authorization: Bearer …` one (what the OpenAI SDKs send),
// else Anthropic's.
bool wants_openai_models(std::string_view anthropic_version, std::string_view authorization);

// `{"object":"list","data":[{"id":"gpt-mock-1","object":"model",…}]}`, and that one model.
std::string openai_models_body();
std::string openai_model_body();

// `{"error":{"message":M,"type":T,"param":null,"code":C}}` with T and C as OpenAI answers
// `status` (PROTOCOLS.md 3.5: 401 -> invalid_request_error/invalid_api_key, 429 ->
// requests/rate_limit_exceeded, 5xx -> server_error, ...). An empty `message` picks the API's
// usual text for that status.
struct OpenAIErrorKind {
  std::string type;
  std::string code;  // empty -> null
};
OpenAIErrorKind openai_error_kind(unsigned status);
std::string openai_error_body(unsigned status, std::string_view message = {});

}  // namespace warden::mock
