#include "policy/registry.hpp"

#include <functional>
#include <map>

#include "policy/builtin/all_caps.hpp"
#include "policy/builtin/blocked_content.hpp"
#include "policy/builtin/debug_logging.hpp"
#include "policy/builtin/llm_rules.hpp"
#include "policy/builtin/string_replacement.hpp"
#include "policy/builtin/tool_call_judge.hpp"
#include "policy/builtin/tool_filter.hpp"

namespace warden::policy {

namespace {

using Factory = std::function<std::shared_ptr<Policy>(const config::Options&, const PolicyDeps&)>;

std::shared_ptr<Policy> build_chain(const config::Options& spec, const PolicyDeps& deps) {
  spec.allow_keys({"type", "policies"});
  if (!spec["policies"].is_list()) spec["policies"].fail("a chain needs a list of policies");
  std::vector<std::shared_ptr<Policy>> members;
  for (const auto& member : spec["policies"].items()) members.push_back(build_policy(member, deps));
  return std::make_shared<ChainPolicy>(std::move(members));
}

// A policy built from its options alone.
template <auto Create>
std::shared_ptr<Policy> plain(const config::Options& spec, const PolicyDeps&) {
  return Create(spec);
}

const std::map<std::string, Factory, std::less<>>& factories() {
  static const std::map<std::string, Factory, std::less<>> all = {
      {std::string(NoopPolicy::kType),
       [](const config::Options& spec, const PolicyDeps&) -> std::shared_ptr<Policy> {
         spec.allow_keys({"type"});
         return std::make_shared<NoopPolicy>();
       }},
      {std::string(ChainPolicy::kType), build_chain},
      {std::string(AllCaps::kType), plain<AllCaps::create>},
      {std::string(DebugLogging::kType), plain<DebugLogging::create>},
      {std::string(StringReplacement::kType), plain<StringReplacement::create>},
      {std::string(BlockedContent::kType), plain<BlockedContent::create>},
      {std::string(ToolFilter::kType), plain<ToolFilter::create>},
      // Judges: they ask a model through deps.model_client.
      {std::string(ToolCallJudge::kType), ToolCallJudge::create},
      {std::string(LlmRules::kType), LlmRules::create},
  };
  return all;
}

}  // namespace

std::vector<std::string> policy_types() {
  std::vector<std::string> out;
  for (const auto& [type, factory] : factories()) out.push_back(type);
  return out;
}

std::shared_ptr<Policy> build_policy(const config::Options& spec, const PolicyDeps& deps) {
  if (!spec.present()) return std::make_shared<NoopPolicy>();
  if (!spec.is_map()) spec.fail("expected a map with a type");
  if (!spec.has("type")) spec.fail("a policy needs a type");
  const std::string type = spec["type"].text();
  const auto& all = factories();
  const auto it = all.find(type);
  if (it == all.end()) {
    std::string known;
    for (const auto& name : policy_types()) known += (known.empty() ? "" : ", ") + name;
    spec["type"].fail("unknown policy type '" + type + "' (known: " + known + ")");
  }
  return it->second(spec, deps);
}

}  // namespace warden::policy
