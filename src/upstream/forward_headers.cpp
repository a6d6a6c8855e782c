#include "upstream/forward_headers.hpp"

#include <algorithm>
#include <array>
#include <string>
#include <vector>

#include <boost/beast/core/string.hpp>

namespace warden::upstream {

namespace http = boost::beast::http;

namespace {

constexpr std::array<std::string_view, 10> kHopByHop = {
    "connection", "keep-alive", "te", "trailer", "transfer-encoding",
    "upgrade", "proxy-connection", "proxy-authorization", "proxy-authenticate", "content-length"};

bool iequals(std::string_view a, std::string_view b) { return boost::beast::iequals(a, b); }

bool is_hop_by_hop(std::string_view name) {
  return std::any_of(kHopByHop.begin(), kHopByHop.end(),
                     [&](std::string_view h) { return iequals(h, name); });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool istarts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

}  // namespace

void copy_request_headers(const http::fields& from, http::fields& to,
                          std::string_view gateway_key_header, core::Dialect upstream) {
  const std::string_view foreign =
      upstream == core::Dialect::kOpenAi ? "anthropic-" : "openai-";
  std::vector<std::string_view> betas;
  for (const auto& field : from) {
    const std::string_view name = field.name_string();
    if (istarts_with(name, foreign)) continue;
    if (is_hop_by_hop(name) || iequals(name, "host") || iequals(name, "accept-encoding") ||
        iequals(name, "x-api-key") || iequals(name, "authorization") ||
        iequals(name, gateway_key_header)) {
      continue;
    }
    if (iequals(name, "anthropic-beta")) {
      std::string_view list = field.value();
      while (!list.empty()) {
        const auto comma = list.find(',');
        const std::string_view item = trim(list.substr(0, comma));
        if (!item.empty() && std::find(betas.begin(), betas.end(), item) == betas.end()) {
          betas.push_back(item);
        }
        list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
      }
      continue;
    }
    to.insert(name, field.value());
  }
  if (!betas.empty()) {
    std::string merged;
    for (auto beta : betas) {
      if (!merged.empty()) merged.push_back(',');
      merged.append(beta);
    }
    to.set("anthropic-beta", merged);
  }
}

void copy_response_headers(const http::fields& from, http::fields& to) {
  for (const auto& field : from) {
    if (is_hop_by_hop(field.name_string())) continue;
    to.insert(field.name_string(), field.value());
  }
}

}  // namespace warden::upstream
