#pragma once
// Upstream error answers from one dialect to the other (PROTOCOLS.md 4.9, 2.6, 3.5).
// The upstream's message text is kept; headers (retry-after, request ids) are the
// caller's business.

#include <string>
#include <string_view>

namespace warden::api::translate {

struct TranslatedError {
  unsigned status;
  std::string body;  // JSON in the target dialect
  // true → the caller adds `x-should-retry: false` (e.g. insufficient_quota)
  bool should_retry_false;
};

// An OpenAI error (status + body bytes, possibly not JSON) → Anthropic's
// {"type":"error","error":{"type":…,"message":…}}. When the body is unreadable the
// message is made from the status.
TranslatedError openai_error_to_anthropic(unsigned status, std::string_view body);

// An Anthropic error → OpenAI's {"error":{"message":…,"type":…,"param":null,"code":…}}.
TranslatedError anthropic_error_to_openai(unsigned status, std::string_view body);

}  // namespace warden::api::translate
