#include "policy/builtin/verdict_cache.hpp"

namespace warden::policy {

std::optional<RiskVerdict> VerdictCache::find(const std::string& key) {
  const std::lock_guard lock(mutex_);
  const auto it = entries_.find(key);
  if (it == entries_.end()) return std::nullopt;
  if (Clock::now() - it->second.added >= ttl_) {
    oldest_.erase(it->second.age);
    entries_.erase(it);
    return std::nullopt;
  }
  return it->second.verdict;
}

void VerdictCache::insert(const std::string& key, const RiskVerdict& verdict) {
  if (max_entries_ == 0) return;
  const std::lock_guard lock(mutex_);
  auto [it, added] = entries_.try_emplace(key);
  if (!added) oldest_.erase(it->second.age);  // refreshed: now the newest
  it->second.verdict = verdict;
  it->second.added = Clock::now();
  it->second.age = oldest_.insert(oldest_.end(), &it->first);
  while (entries_.size() > max_entries_) {
    const auto gone = entries_.find(*oldest_.front());
    oldest_.pop_front();
    entries_.erase(gone);
  }
}

std::size_t VerdictCache::size() const {
  const std::lock_guard lock(mutex_);
  return entries_.size();
}

}  // namespace warden::policy
