#pragma once
// The web UI's files (src/admin/web), built into the binary by
// cmake/embed_assets.cmake, so `warden` serves its UI with nothing beside it.

#include <span>
#include <string_view>

namespace warden::admin {

struct WebAsset {
  std::string_view path;   // relative to src/admin/web, e.g. "app.js"
  std::string_view bytes;
};

std::span<const WebAsset> web_assets();

// The asset at `path`, or null.
const WebAsset* find_web_asset(std::string_view path);

// "text/javascript; charset=utf-8" for .js, … by extension; octet-stream else.
std::string_view content_type_of(std::string_view path);

}  // namespace warden::admin
