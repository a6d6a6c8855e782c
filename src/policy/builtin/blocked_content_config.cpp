#include "policy/builtin/blocked_content.hpp"
#include "policy/builtin/pattern.hpp"

namespace warden::policy {

BlockedContentConfig parse_blocked_content(const config::Options& spec) {
  spec.allow_keys({"type", "patterns", "case_insensitive", "message", "max_match_bytes"});
  const config::Options list = spec["patterns"];
  if (!list.present()) {
    spec.fail("blocked_content needs `patterns` (a list of regular expressions)");
  }
  BlockedContentConfig config;
  const bool case_insensitive = spec.boolean("case_insensitive", false);
  std::vector<config::Options> items = list.is_list() ? list.items() : std::vector{list};
  if (items.empty()) list.fail("at least one pattern is needed");
  for (const config::Options& item : items) {
    const std::string source = item.text();
    config.patterns.push_back(
        {source, compile_pattern(item, source, {.case_insensitive = case_insensitive})});
  }
  config.message = spec.text("message", BlockedContent::kDefaultMessage);
  config.max_match_bytes = spec.count("max_match_bytes", 256, 1, 1 << 20);
  return config;
}

std::shared_ptr<Policy> BlockedContent::create(const config::Options& spec) {
  return std::make_shared<BlockedContent>(parse_blocked_content(spec));
}

}  // namespace warden::policy
