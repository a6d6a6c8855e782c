// The policy registry validates the `policy:` section at start: an unknown
// type or key refuses to start with the file, line and key path.

#include "policy/registry.hpp"

#include <gtest/gtest.h>

#include "config/config_loader.hpp"

namespace warden::policy {
namespace {

std::string error_of(const std::string& yaml) {
  try {
    build_policy(config::load_config_text(yaml, "test.yaml").policy);
  } catch (const config::ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(PolicyRegistry, NoSectionIsTheNoopPolicy) {
  auto policy = build_policy(config::load_config_text("", "test.yaml").policy);
  EXPECT_EQ(policy->name(), "noop");
  std::vector<Policy*> stages;
  policy->stages(stages);
  EXPECT_TRUE(stages.empty());
}

TEST(PolicyRegistry, AChainFlattensAndSkipsNoops) {
  auto policy = build_policy(config::load_config_text(
                                 "policy:\n  type: chain\n  policies:\n    - type: noop\n"
                                 "    - type: chain\n      policies: [ {type: all_caps} ]\n",
                                 "test.yaml")
                                 .policy);
  std::vector<Policy*> stages;
  policy->stages(stages);
  ASSERT_EQ(stages.size(), 1u);
  EXPECT_EQ(stages[0]->name(), "all_caps");
}

TEST(PolicyRegistry, BadSectionsNameFileLineAndKey) {
  EXPECT_EQ(error_of("policy:\n  type: judge\n").substr(0, 60),
            std::string("test.yaml:2: policy.type: unknown policy type 'judge' (known").substr(0, 60));
  EXPECT_EQ(error_of("policy:\n  type: noop\n  name: x\n"),
            "test.yaml:3: policy.name: unknown key (known here: type)");
  EXPECT_EQ(error_of("policy:\n  name: x\n"), "test.yaml:2: policy: a policy needs a type");
  EXPECT_EQ(error_of("policy: noop\n"), "test.yaml:1: policy: expected a map with a type");
  EXPECT_EQ(error_of("policy:\n  type: chain\n"),
            "test.yaml:2: policy.policies: a chain needs a list of policies");
  EXPECT_EQ(error_of("policy:\n  type: chain\n  policies:\n    - type: nope\n").substr(0, 50),
            std::string("test.yaml:4: policy.policies[0].type: unknown policy type 'nope'").substr(0, 50));
}

TEST(PolicyRegistry, TheEnvironmentCanChooseTheType) {
  setenv("WARDEN_POLICY_TYPE", "bogus", 1);
  const std::string error = error_of("");
  unsetenv("WARDEN_POLICY_TYPE");
  EXPECT_EQ(error.substr(0, 70),
            std::string("WARDEN_POLICY_TYPE (environment): policy.type: unknown policy type 'bogus'")
                .substr(0, 70));
}

}  // namespace
}  // namespace warden::policy
