#pragma once

// The scripted answers of `warden mock-upstream` (docs/mock-upstream.md), as pure functions:
// no sockets, no clock, so every scenario can be checked event by event in unit tests.
// mock_upstream.cpp does the I/O: it reads a request, asks these functions what to answer,
// and writes the answer (sleeping and dropping the connection where the reply says so).

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace warden::mock {

inline constexpr std::string_view kDefaultScenario = "text";
inline constexpr std::string_view kMockModel = "claude-mock-1";
inline constexpr std::chrono::milliseconds kDefaultSlowDelay{200};

// One Anthropic SSE event. `data` is single-line JSON whose "type" equals `name`.
struct SseEvent {
  std::string name;
  std::string data;
  std::chrono::milliseconds delay{0};  // how long the mock waits before sending it (`slow`)
};

// The exact wire form: "event: NAME\ndata: DATA\n\n".
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

// The parts of a `POST /v1/messages` request that the scenarios look at.
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

}  // namespace warden::mock
