#pragma once
// Counting the "policy:action" words of policy_actions, shared by both stores
// so action_counts() answers the same from either.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace warden::storage::detail {

// Adds one to `counts` for every space-separated word of `policy_actions`.
void count_action_words(std::string_view policy_actions,
                        std::map<std::string, std::int64_t>& counts);

// `counts` most frequent first, ties by word.
std::vector<std::pair<std::string, std::int64_t>> by_frequency(
    const std::map<std::string, std::int64_t>& counts);

}  // namespace warden::storage::detail
