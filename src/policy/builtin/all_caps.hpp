#pragma once
// Upper-cases the text the model writes (a demonstration policy and a quick
// check that policies are in the path). ASCII letters only, so UTF-8 stays
// intact; thinking and tool input are left alone.
//
//   policy: { type: all_caps }

#include <memory>
#include <string_view>

#include "config/options.hpp"
#include "policy/policy.hpp"

namespace warden::policy {

class AllCaps final : public Policy {
 public:
  static constexpr std::string_view kType = "all_caps";
  static std::shared_ptr<Policy> create(const config::Options& spec);

  std::string_view name() const override { return kType; }
  awaitable<void> on_content_delta(StreamContext& ctx) override;
};

}  // namespace warden::policy
