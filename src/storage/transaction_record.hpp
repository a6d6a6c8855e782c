#pragma once
// One recorded transaction: what the client sent, what went upstream, what
// came back, what the client got, what the policies did, and when. The same
// shape in every store; bodies are empty when `storage.metadata_only` is set.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace warden::storage {

struct TransactionRecord {
  std::string id;                  // "txn_…", unique
  std::string trace_id;            // 32 hex digits (OpenTelemetry), "" when none
  std::int64_t started_at_us = 0;  // wall clock, µs since the Unix epoch
  // Offsets from started_at in µs; -1 when it never happened.
  std::int64_t upstream_first_byte_us = -1;
  std::int64_t client_first_byte_us = -1;
  std::int64_t duration_us = 0;

  std::string endpoint;        // "/v1/messages", "/v1/chat/completions", …
  std::string dialect;         // the client's: "anthropic" | "openai"
  std::string provider;        // the configured provider's name
  std::string model;           // as the client asked
  std::string upstream_model;  // as sent upstream (after route aliasing)
  bool stream = false;
  int status = 0;       // HTTP status the client got
  std::string outcome;  // "completed" | "error" | "client_gone" | "blocked"
  std::string error;    // why it did not complete, "" when it did

  std::int64_t input_tokens = 0;
  std::int64_t output_tokens = 0;
  std::int64_t cache_read_tokens = 0;
  std::int64_t cache_creation_tokens = 0;

  std::string caller;      // a hash of the caller's key, never the key; "" when none
  std::string session_id;  // the client's session, when it sent one
  // Space-separated "policy:action" words of the policy events, for filtering.
  std::string policy_actions;

  // Bodies (JSON text unless noted); "" under metadata_only or when absent.
  std::string request_headers;    // object; credential-looking values redacted
  std::string original_request;   // the client's body as received
  std::string final_request;      // the body sent upstream
  std::string original_response;  // message assembled from ingress (Anthropic shape)
  std::string final_response;     // message assembled from egress (Anthropic shape)
  std::string ingress;            // upstream bytes as received (SSE or JSON), maybe truncated
  std::string egress;             // bytes the client got, maybe truncated
  std::string policy_events;      // array of {policy, action, detail, at_us}

  friend bool operator==(const TransactionRecord&, const TransactionRecord&) = default;
};

// A page of the list: newest first; keyset pagination by (started_at_us, id).
struct TransactionQuery {
  std::optional<std::int64_t> from_us;  // started_at ≥ from
  std::optional<std::int64_t> to_us;    // started_at < to
  std::string model;                    // exact
  std::optional<int> status;            // exact HTTP status
  std::string outcome;                  // exact
  // A policy action word: "tool_filter:blocked_tool_call", or "blocked_tool_call" for any policy's.
  std::string action;
  std::string session_id;  // exact
  std::string caller;      // exact
  std::string text;        // case-insensitive substring of requests and responses
  std::size_t limit = 50;
  // Continue after this row (the last of the previous page).
  std::optional<std::int64_t> before_started_at_us;
  std::string before_id;
};

// One session's transactions, summed up (the history's session list).
struct SessionSummary {
  std::string session_id;
  std::int64_t first_at_us = 0;  // its first transaction started
  std::int64_t last_at_us = 0;   // its last transaction started
  std::int64_t transactions = 0;
  std::int64_t input_tokens = 0;
  std::int64_t output_tokens = 0;
  std::vector<std::string> models;  // sorted
  std::int64_t acted = 0;           // transactions a policy acted on
  std::int64_t errors = 0;          // transactions that failed (status ≥ 400 or outcome error)

  friend bool operator==(const SessionSummary&, const SessionSummary&) = default;
};

// Sessions by latest activity, newest first; keyset pagination by (last_at_us, session_id).
struct SessionQuery {
  std::optional<std::int64_t> from_us;  // only transactions started at or after
  std::optional<std::int64_t> to_us;    // … and before
  std::string text;                     // case-insensitive substring of the session id
  std::size_t limit = 50;
  std::optional<std::int64_t> before_last_at_us;
  std::string before_session_id;
};

}  // namespace warden::storage
