#include "policy/builtin/pattern.hpp"

namespace warden::policy {

std::shared_ptr<const re2::RE2> compile_pattern(const config::Options& at, std::string_view pattern,
                                                PatternOptions options) {
  if (pattern.empty()) at.fail("the pattern is empty");
  re2::RE2::Options re_options;
  re_options.set_log_errors(false);  // the error goes into the ConfigError instead
  re_options.set_case_sensitive(!options.case_insensitive);
  const std::string source =
      options.literal ? re2::RE2::QuoteMeta(re2::StringPiece(pattern.data(), pattern.size()))
                      : std::string(pattern);
  auto re = std::make_shared<const re2::RE2>(source, re_options);
  if (!re->ok()) at.fail("invalid regular expression: " + re->error());
  // A pattern that matches nothing-at-all would fire everywhere (`a*`): almost
  // surely a mistake, and streaming scans could not make progress past it.
  if (!options.allow_empty_match && re2::RE2::FullMatch("", *re)) {
    at.fail("the pattern matches the empty string");
  }
  return re;
}

std::shared_ptr<const re2::RE2> compile_glob(const config::Options& at, std::string_view glob) {
  std::string source;
  std::string literal;
  const auto flush = [&] {
    source += re2::RE2::QuoteMeta(literal);
    literal.clear();
  };
  for (char c : glob) {
    if (c == '*' || c == '?') {
      flush();
      source += c == '*' ? "(?s:.*)" : "(?s:.)";
    } else {
      literal += c;
    }
  }
  flush();
  return compile_pattern(at, source, {.allow_empty_match = true});
}

}  // namespace warden::policy
