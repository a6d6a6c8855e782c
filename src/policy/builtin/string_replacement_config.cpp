#include "policy/builtin/pattern.hpp"
#include "policy/builtin/string_replacement.hpp"

namespace warden::policy {

StringReplacementConfig parse_string_replacement(const config::Options& spec) {
  spec.allow_keys({"type", "replacements"});
  const config::Options list = spec["replacements"];
  if (!list.is_list() || list.items().empty()) list.fail("a list of {find, replace} is needed");
  StringReplacementConfig config;
  for (const config::Options& item : list.items()) {
    item.allow_keys({"find", "replace", "regex", "case_insensitive", "max_match_bytes"});
    if (!item.has("find")) item.fail("a replacement needs `find`");
    ReplacementRule rule;
    const std::string find = item["find"].text();
    rule.regex = item.boolean("regex", false);
    const bool case_insensitive = item.boolean("case_insensitive", false);
    rule.pattern = compile_pattern(item["find"], find,
                                   {.literal = !rule.regex, .case_insensitive = case_insensitive});
    rule.replace = item.text("replace", "");
    if (rule.regex) {
      std::string error;
      if (!rule.pattern->CheckRewriteString(rule.replace, &error)) item["replace"].fail(error);
      rule.groups = re2::RE2::MaxSubmatch(rule.replace);
      rule.holdback = item.count("max_match_bytes", 256, 1, 1 << 20);
    } else {
      if (item.has("max_match_bytes")) item["max_match_bytes"].fail("only for regex rules");
      // Case-insensitive matching folds Unicode too: 'k' also matches the
      // 3-byte KELVIN SIGN, so a match may be up to 3× as long as `find`.
      rule.holdback = (case_insensitive ? 3 * find.size() : find.size()) - 1;
    }
    config.rules.push_back(std::move(rule));
  }
  return config;
}

std::shared_ptr<Policy> StringReplacement::create(const config::Options& spec) {
  return std::make_shared<StringReplacement>(parse_string_replacement(spec));
}

}  // namespace warden::policy
