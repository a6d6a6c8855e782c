#pragma once
// tool_call_judge's memory of verdicts for identical calls (same tool, same
// arguments, same context), shared by every stream and so by several threads:
// one lock per lookup or insert, never per delta. Bounded: past `max_entries`
// the oldest entry goes; an entry older than `ttl` is not used.

#include <chrono>
#include <cstddef>
#include <list>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "policy/builtin/judge_answer.hpp"

namespace warden::policy {

class VerdictCache final {
 public:
  using Clock = std::chrono::steady_clock;

  VerdictCache(std::size_t max_entries, Clock::duration ttl)
      : max_entries_(max_entries), ttl_(ttl) {}

  std::optional<RiskVerdict> find(const std::string& key);
  void insert(const std::string& key, const RiskVerdict& verdict);
  std::size_t size() const;

 private:
  using Age = std::list<const std::string*>;  // keys in `entries_` (stable), oldest first
  struct Entry {
    RiskVerdict verdict;
    Clock::time_point added;
    Age::iterator age;  // its place in `oldest_`
  };

  const std::size_t max_entries_;
  const Clock::duration ttl_;
  mutable std::mutex mutex_;
  std::map<std::string, Entry, std::less<>> entries_;
  Age oldest_;
};

}  // namespace warden::policy
