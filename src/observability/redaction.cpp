#include "observability/redaction.hpp"

#include <array>
#include <cctype>

#include <boost/beast/core/string.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <openssl/evp.h>

namespace warden::observability {

namespace beast = boost::beast;
namespace json = boost::json;

namespace {

constexpr std::string_view kRedacted = "[redacted]";

// Not '=': the value of "name=value" is judged alone ("key=AKIA…"), and base64
// padding only ever ends a run.
bool token_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ||
         c == '+' || c == '/';
}

// A run that looks like a credential: a known key prefix, or long and mixing
// letters and digits the way random keys do (words and numbers do not).
bool looks_secret(std::string_view token) {
  static constexpr std::array<std::string_view, 8> kPrefixes = {
      "sk-", "sk_", "pk_", "ghp_", "gho_", "xoxb-", "xoxp-", "AKIA"};
  for (auto prefix : kPrefixes) {
    if (token.size() >= prefix.size() + 8 && token.starts_with(prefix)) return true;
  }
  if (token.size() < 32) return false;
  bool letter = false;
  bool digit = false;
  for (char c : token) {
    letter = letter || std::isalpha(static_cast<unsigned char>(c));
    digit = digit || std::isdigit(static_cast<unsigned char>(c));
  }
  return letter && digit;
}

// Headers whose value is "<scheme> <credentials>"; the scheme is worth keeping.
bool has_scheme(std::string_view name) {
  return beast::iequals(name, "authorization") || beast::iequals(name, "proxy-authorization");
}

bool is_secret_header(std::string_view name, std::string_view extra) {
  static constexpr std::array<std::string_view, 7> kNames = {
      "authorization", "proxy-authorization", "x-api-key", "api-key",
      "cookie",        "set-cookie",          "x-goog-api-key"};
  for (auto n : kNames) {
    if (beast::iequals(name, n)) return true;
  }
  return !extra.empty() && beast::iequals(name, extra);
}

// "Bearer abc" → "Bearer [redacted]"; anything else → "[redacted]".
std::string blank_credential(std::string_view value) {
  const auto space = value.find(' ');
  if (space != std::string_view::npos && space > 0 && space < 16) {
    return std::string(value.substr(0, space + 1)) + std::string(kRedacted);
  }
  return std::string(kRedacted);
}

std::string_view presented_key(const beast::http::fields& headers, std::string_view proxy_header) {
  if (!proxy_header.empty()) {
    if (auto it = headers.find(proxy_header); it != headers.end() && !it->value().empty()) {
      return it->value();
    }
  }
  if (auto it = headers.find("x-api-key"); it != headers.end() && !it->value().empty()) {
    return it->value();
  }
  if (auto it = headers.find(beast::http::field::authorization); it != headers.end()) {
    std::string_view v = it->value();
    if (v.size() > 7 && beast::iequals(v.substr(0, 7), "bearer ")) v.remove_prefix(7);
    return v;
  }
  return {};
}

}  // namespace

std::string redact_secrets(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool after_bearer = false;  // "Bearer" and spaces so far: the next token is a credential
  std::size_t i = 0;
  while (i < text.size()) {
    if (!token_char(text[i])) {
      after_bearer = after_bearer && text[i] == ' ';
      out += text[i++];
      continue;
    }
    std::size_t end = i + 1;
    while (end < text.size() && token_char(text[end])) ++end;
    const std::string_view token = text.substr(i, end - i);
    out += after_bearer || looks_secret(token) ? kRedacted : token;
    after_bearer = beast::iequals(token, "bearer");
    i = end;
  }
  return out;
}

std::string redacted_headers(const beast::http::fields& headers,
                             std::string_view extra_secret_header) {
  json::object out;
  for (const auto& field : headers) {
    std::string name(field.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string value = !is_secret_header(name, extra_secret_header) ? redact_secrets(field.value())
                        : has_scheme(name) ? blank_credential(field.value())
                                           : std::string(kRedacted);
    if (auto* existing = out.if_contains(name)) {
      value = std::string(existing->as_string()) + ", " + value;
    }
    out[name] = value;
  }
  return json::serialize(out);
}

std::string caller_hash(const beast::http::fields& headers, std::string_view proxy_key_header) {
  const std::string_view key = presented_key(headers, proxy_key_header);
  if (key.empty()) return {};
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(key.data(), key.size(), digest, &length, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "k_";
  for (unsigned i = 0; i < 8 && i < length; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 0xf];
  }
  return out;
}

std::string session_of(const beast::http::fields& headers, std::string_view session_header,
                       const json::object& body) {
  for (std::string_view name : {session_header, std::string_view("x-claude-code-session-id")}) {
    if (name.empty()) continue;
    if (auto it = headers.find(name); it != headers.end() && !it->value().empty()) {
      return std::string(it->value().substr(0, 200));
    }
  }
  const auto* metadata = body.if_contains("metadata");
  const auto* user = metadata && metadata->is_object()
                         ? metadata->as_object().if_contains("user_id")
                         : nullptr;
  if (user == nullptr || !user->is_string()) return {};
  const std::string_view id = user->as_string();
  if (id.starts_with("{")) {
    boost::system::error_code ec;
    const json::value parsed = json::parse(id, ec);
    if (!ec && parsed.is_object()) {
      if (const auto* s = parsed.as_object().if_contains("session_id"); s && s->is_string()) {
        return std::string(s->as_string().subview().substr(0, 200));
      }
    }
    return {};
  }
  const auto at = id.rfind("_session_");
  if (at == std::string_view::npos) return {};
  return std::string(id.substr(at + 9, 200));
}

}  // namespace warden::observability
