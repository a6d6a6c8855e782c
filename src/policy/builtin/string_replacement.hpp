#pragma once
// Replaces text in the model's text blocks (not thinking, not tool input), as
// it streams: each rule holds back the last bytes of a block that could still
// begin a match, so a match split across deltas is replaced all the same.
// Rules apply in order, each to the previous one's output.
//
//   policy:
//     type: string_replacement
//     replacements:
//       - { find: "ACME Corp", replace: "the customer" }
//       - { find: 'sk-[A-Za-z0-9]{20,}', replace: "[key]", regex: true, max_match_bytes: 128 }

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <re2/re2.h>

#include "config/options.hpp"
#include "policy/policy.hpp"

namespace warden::policy {

struct ReplacementRule {
  std::shared_ptr<const re2::RE2> pattern;  // a literal is compiled quoted
  std::string replace;                      // regex: may use \0..\9; literal: as is
  bool regex = false;
  std::size_t holdback = 0;  // bytes a match may still need beyond what arrived
  int groups = 0;            // the highest \N in `replace`
};

struct StringReplacementConfig {
  std::vector<ReplacementRule> rules;
};

// Throws config::ConfigError naming the key.
StringReplacementConfig parse_string_replacement(const config::Options& spec);

class StringReplacement final : public Policy {
 public:
  static constexpr std::string_view kType = "string_replacement";
  static std::shared_ptr<Policy> create(const config::Options& spec);
  explicit StringReplacement(StringReplacementConfig config) : config_(std::move(config)) {}

  std::string_view name() const override { return kType; }
  awaitable<void> on_content_delta(StreamContext& ctx) override;
  awaitable<void> on_content_complete(StreamContext& ctx) override;
  awaitable<void> on_stream_complete(StreamContext& ctx) override;

 private:
  struct BlockState;
  // The block's text as far as it can go out now (everything when `final`).
  std::string run_rules(BlockState& state, std::string text, bool final) const;
  void flush(StreamContext& ctx, BlockState& state) const;

  const StringReplacementConfig config_;  // immutable: one object serves every stream
};

}  // namespace warden::policy
