#pragma once
// Stops a text block at the first match of a blocked pattern: the text before
// the match goes out, then `message`, and the rest of that block is dropped.
// Text streams with a holdback of `max_match_bytes`, so a match split across
// deltas is caught before any of it reaches the client.
//
//   policy:
//     type: blocked_content
//     patterns: ['BEGIN (RSA|OPENSSH) PRIVATE KEY', 'password:\s*\S+']
//     case_insensitive: false
//     message: "[Warden blocked this content: it matched a blocked pattern]"
//     max_match_bytes: 256

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <re2/re2.h>

#include "config/options.hpp"
#include "policy/policy.hpp"

namespace warden::policy {

struct BlockedPattern {
  std::string source;  // as configured, for the policy event
  std::shared_ptr<const re2::RE2> re;
};

struct BlockedContentConfig {
  std::vector<BlockedPattern> patterns;
  std::string message;
  std::size_t max_match_bytes = 256;
};

// Throws config::ConfigError naming the key.
BlockedContentConfig parse_blocked_content(const config::Options& spec);

class BlockedContent final : public Policy {
 public:
  static constexpr std::string_view kType = "blocked_content";
  static constexpr std::string_view kDefaultMessage =
      "[Warden blocked this content: it matched a blocked pattern]";
  static std::shared_ptr<Policy> create(const config::Options& spec);
  explicit BlockedContent(BlockedContentConfig config) : config_(std::move(config)) {}

  std::string_view name() const override { return kType; }
  awaitable<void> on_content_delta(StreamContext& ctx) override;
  awaitable<void> on_content_complete(StreamContext& ctx) override;
  awaitable<void> on_stream_complete(StreamContext& ctx) override;

 private:
  struct BlockState;
  // What of the block's text can go out now (everything when `final`).
  std::string check(StreamContext& ctx, BlockState& state, std::string_view text, bool final) const;

  const BlockedContentConfig config_;  // immutable: one object serves every stream
};

}  // namespace warden::policy
