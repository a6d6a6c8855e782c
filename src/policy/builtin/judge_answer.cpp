#include "policy/builtin/judge_answer.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>

#include <boost/json/serialize.hpp>
#include <boost/json/stream_parser.hpp>

#include "core/json_util.hpp"

namespace warden::policy {

namespace json = boost::json;
using core::ErrorKind;

namespace {

// Answers are max_tokens long; this only bounds the quadratic worst case of
// a text full of '{'.
constexpr std::size_t kMaxScannedBytes = 64 * 1024;

std::string lower(std::string_view s) {
  std::string out(core::trim(s));
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// A number, or a string holding one ("0.8", " 80% ").
std::optional<double> number_in(const json::value& value) {
  if (value.is_number()) return value.to_number<double>();
  if (!value.is_string()) return std::nullopt;
  std::string_view s = core::trim(value.get_string());
  const bool percent = s.ends_with('%');
  if (percent) s = core::trim(s.substr(0, s.size() - 1));
  double number = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), number);
  if (ec != std::errc{} || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return percent ? number / 100 : number;
}

std::string text_at(const json::object& object, std::string_view key) {
  const json::value* value = object.if_contains(key);
  if (value == nullptr || value->is_null()) return {};
  return value->is_string() ? std::string(value->get_string()) : json::serialize(*value);
}

}  // namespace

std::optional<json::object> find_json_object(std::string_view text, std::string_view key) {
  text = text.substr(0, std::min(text.size(), kMaxScannedBytes));
  json::parse_options options;
  options.allow_comments = true;
  options.allow_trailing_commas = true;
  options.allow_invalid_utf8 = true;
  for (auto at = text.find('{'); at != std::string_view::npos; at = text.find('{', at + 1)) {
    json::stream_parser parser({}, options);
    boost::system::error_code ec;
    // Stops at the end of the first complete value: text after it is not read.
    parser.write_some(text.data() + at, text.size() - at, ec);
    if (ec || !parser.done()) continue;
    json::value value = parser.release();
    if (value.is_object() && value.get_object().contains(key)) return std::move(value.get_object());
  }
  return std::nullopt;
}

core::Result<RiskVerdict> parse_risk_verdict(std::string_view answer) {
  const auto object = find_json_object(answer, "probability");
  if (!object) {
    return core::fail(ErrorKind::kUpstreamFailed,
                      "the judge's answer has no JSON object with \"probability\"");
  }
  const auto probability = number_in(object->at("probability"));
  if (!probability || !std::isfinite(*probability)) {
    return core::fail(ErrorKind::kUpstreamFailed,
                      "the judge's \"probability\" is not a number: " +
                          json::serialize(object->at("probability")));
  }
  return RiskVerdict{std::clamp(*probability, 0.0, 1.0), text_at(*object, "explanation")};
}

core::Result<RulesVerdict> parse_rules_verdict(std::string_view answer) {
  const auto object = find_json_object(answer, "verdict");
  if (!object) {
    return core::fail(ErrorKind::kUpstreamFailed,
                      "the judge's answer has no JSON object with \"verdict\"");
  }
  const json::value& verdict = object->at("verdict");
  const std::string decision = verdict.is_string() ? lower(verdict.get_string()) : "";
  RulesVerdict out;
  out.explanation = text_at(*object, "explanation");
  if (decision == "pass") {
    out.decision = RulesDecision::kPass;
  } else if (decision == "block") {
    out.decision = RulesDecision::kBlock;
  } else if (decision == "rewrite") {
    const json::value* text = object->if_contains("text");
    if (text == nullptr || !text->is_string()) {
      return core::fail(ErrorKind::kUpstreamFailed,
                        "the judge answered \"rewrite\" without a \"text\" string");
    }
    out.decision = RulesDecision::kRewrite;
    out.text = std::string(text->get_string());
  } else {
    return core::fail(ErrorKind::kUpstreamFailed,
                      "the judge's \"verdict\" is not pass, rewrite or block: " +
                          json::serialize(verdict));
  }
  return out;
}

}  // namespace warden::policy
