#pragma once
// User-written patterns, compiled once at start with RE2 (linear time, so no
// pattern can stall a stream). A bad pattern fails the configuration on the
// key that holds it, with RE2's own explanation.

#include <memory>
#include <string>
#include <string_view>

#include <re2/re2.h>

#include "config/options.hpp"

namespace warden::policy {

struct PatternOptions {
  bool literal = false;  // match the text itself (quoted with RE2::QuoteMeta)
  bool case_insensitive = false;
  bool allow_empty_match = false;  // else a pattern that matches "" is refused
};

// Compiles `pattern`; on error fails `at` ("config.yaml:7: policy.patterns[1]: invalid
// regular expression: missing ): (abc").
std::shared_ptr<const re2::RE2> compile_pattern(const config::Options& at, std::string_view pattern,
                                                PatternOptions options = {});

// A glob (`*` any run of characters, `?` one character, the rest literal) as a
// pattern for RE2::FullMatch.
std::shared_ptr<const re2::RE2> compile_glob(const config::Options& at, std::string_view glob);

}  // namespace warden::policy
