#include "policy/builtin/all_caps.hpp"

namespace warden::policy {

std::shared_ptr<Policy> AllCaps::create(const config::Options& spec) {
  spec.allow_keys({"type"});
  return std::make_shared<AllCaps>();
}

awaitable<void> AllCaps::on_content_delta(StreamContext& ctx) {
  const core::Block* block = ctx.current_block();
  auto* delta = ctx.current().as<core::BlockDelta>();
  if (block == nullptr || block->type != core::BlockType::kText || delta == nullptr) co_return;
  bool changed = false;
  for (char& c : delta->text) {
    if (c >= 'a' && c <= 'z') {  // not std::toupper: its locale could touch UTF-8 bytes
      c = static_cast<char>(c - 'a' + 'A');
      changed = true;
    }
  }
  if (changed) ctx.current().modified = true;  // else the upstream's bytes still go out
}

}  // namespace warden::policy
