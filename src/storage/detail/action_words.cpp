#include "storage/detail/action_words.hpp"

#include <algorithm>

namespace warden::storage::detail {

void count_action_words(std::string_view policy_actions,
                        std::map<std::string, std::int64_t>& counts) {
  std::size_t pos = 0;
  while (pos < policy_actions.size()) {
    const std::size_t end = std::min(policy_actions.find(' ', pos), policy_actions.size());
    if (end > pos) ++counts[std::string(policy_actions.substr(pos, end - pos))];
    pos = end + 1;
  }
}

std::vector<std::pair<std::string, std::int64_t>> by_frequency(
    const std::map<std::string, std::int64_t>& counts) {
  std::vector<std::pair<std::string, std::int64_t>> out(counts.begin(), counts.end());
  // Stable on the map's word order, so equal counts stay sorted by word.
  std::stable_sort(out.begin(), out.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  return out;
}

}  // namespace warden::storage::detail
