#include "policy/registry.hpp"

#include <functional>
#include <map>

#include "policy/builtin/all_caps.hpp"
#include "policy/builtin/blocked_content.hpp"
#include "policy/builtin/debug_logging.hpp"
#include "policy/builtin/string_replacement.hpp"
#include "policy/builtin/tool_filter.hpp"

namespace warden::policy {

namespace {

using Factory = std::function<std::shared_ptr<Policy>(const config::Options&)>;

std::shared_ptr<Policy> build_chain(const config::Options& spec) {
  spec.allow_keys({"type", "policies"});
  if (!spec["policies"].is_list()) spec["policies"].fail("a chain needs a list of policies");
  std::vector<std::shared_ptr<Policy>> members;
  for (const auto& member : spec["policies"].items()) members.push_back(build_policy(member));
  return std::make_shared<ChainPolicy>(std::move(members));
}

const std::map<std::string, Factory, std::less<>>& factories() {
  static const std::map<std::string, Factory, std::less<>> all = {
      {std::string(NoopPolicy::kType),
       [](const config::Options& spec) {
         spec.allow_keys({"type"});
         return std::make_shared<NoopPolicy>();
       }},
      {std::string(ChainPolicy::kType), build_chain},
      {std::string(AllCaps::kType), AllCaps::create},
      {std::string(DebugLogging::kType), DebugLogging::create},
      {std::string(StringReplacement::kType), StringReplacement::create},
      {std::string(BlockedContent::kType), BlockedContent::create},
      {std::string(ToolFilter::kType), ToolFilter::create},
  };
  return all;
}

}  // namespace

std::vector<std::string> policy_types() {
  std::vector<std::string> out;
  for (const auto& [type, factory] : factories()) out.push_back(type);
  return out;
}

std::shared_ptr<Policy> build_policy(const config::Options& spec) {
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
  return it->second(spec);
}

}  // namespace warden::policy
