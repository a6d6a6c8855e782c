#include "policy/builtin/pattern.hpp"
#include "policy/builtin/tool_filter.hpp"

namespace warden::policy {

namespace {

ToolGlob read_glob(const config::Options& at) {
  const std::string source = at.text();
  return {source, compile_glob(at, source)};
}

ToolDenyRule read_deny_rule(const config::Options& item) {
  ToolDenyRule rule;
  if (!item.is_map()) {
    rule.tool = read_glob(item);
    return rule;
  }
  item.allow_keys({"tool", "argument_pattern", "argument"});
  if (!item.has("tool") && !item.has("argument_pattern")) {
    item.fail("a deny rule needs `tool`, `argument_pattern` or both");
  }
  if (item.has("tool")) {
    rule.tool = read_glob(item["tool"]);
  } else {
    rule.tool = {"*", compile_glob(item, "*")};
  }
  if (item.has("argument_pattern")) {
    rule.pattern_source = item["argument_pattern"].text();
    // An argument pattern may match "" (`^$`: an empty argument) on purpose.
    rule.argument_pattern =
        compile_pattern(item["argument_pattern"], rule.pattern_source, {.allow_empty_match = true});
  }
  if (item.has("argument")) {
    if (!rule.argument_pattern) item["argument"].fail("`argument` needs `argument_pattern`");
    rule.argument = item["argument"].text();
  }
  return rule;
}

}  // namespace

ToolFilterConfig parse_tool_filter(const config::Options& spec) {
  spec.allow_keys({"type", "allow", "deny", "message"});
  ToolFilterConfig config;
  if (spec.has("allow")) {
    const config::Options allow = spec["allow"];
    config.allow.emplace();
    for (const auto& item : allow.is_list() ? allow.items() : std::vector{allow}) {
      config.allow->push_back(read_glob(item));
    }
  }
  const config::Options deny = spec["deny"];
  if (deny.present() && !deny.is_list()) deny.fail("expected a list of tool names or rules");
  for (const auto& item : deny.items()) config.deny.push_back(read_deny_rule(item));
  if (!config.allow && config.deny.empty()) spec.fail("tool_filter needs `allow`, `deny` or both");
  config.message = spec.text("message", ToolFilter::kDefaultMessage);
  return config;
}

std::shared_ptr<Policy> ToolFilter::create(const config::Options& spec) {
  return std::make_shared<ToolFilter>(parse_tool_filter(spec));
}

}  // namespace warden::policy
