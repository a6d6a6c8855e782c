#include "storage/store.hpp"

#include <cctype>
#include <cstdlib>

#include "storage/postgres_store.hpp"
#include "storage/sqlite_store.hpp"

namespace warden::storage {

namespace {

using core::ErrorKind;

// `path` with a leading "~/" replaced by $HOME.
core::Result<std::string> expand_home(std::string_view path) {
  if (!path.starts_with("~/")) return std::string(path);
  const char* home = std::getenv("HOME");
  if (home == nullptr || *home == '\0') {
    return core::fail(ErrorKind::kInvalidRequest,
                      "storage: the SQLite path starts with ~/ but HOME is not set");
  }
  return std::string(home) + std::string(path.substr(1));
}

// RFC 3986: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ). Anything else before
// "://" is part of a plain path.
bool is_scheme(std::string_view s) {
  if (s.empty() || !std::isalpha(static_cast<unsigned char>(s[0]))) return false;
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.') {
      return false;
    }
  }
  return true;
}

// The file an sqlite:// URL names: sqlite:///abs/path, sqlite://~/path, and
// sqlite:///~/path (the form DESIGN.md's example uses).
core::Result<std::string> sqlite_path(std::string_view rest) {
  if (rest.starts_with("/~/")) rest.remove_prefix(1);
  if (rest.starts_with("~/")) return expand_home(rest);
  if (rest.size() > 1 && rest.starts_with("/")) return std::string(rest);
  return core::fail(ErrorKind::kInvalidRequest,
                    "storage: an SQLite URL is sqlite:///absolute/path.db or sqlite://~/path.db");
}

}  // namespace

core::Result<std::unique_ptr<Store>> open_store(std::string_view url) {
  if (url.empty()) return core::fail(ErrorKind::kInvalidRequest, "storage: the URL is empty");
  const std::size_t sep = url.find("://");
  if (sep == std::string_view::npos || !is_scheme(url.substr(0, sep))) {
    auto path = expand_home(url);
    if (!path) return tl::unexpected(path.error());
    return SqliteStore::open(*path);
  }
  // Only the scheme is ever echoed: the rest may hold a password.
  const std::string_view scheme = url.substr(0, sep);
  if (scheme == "postgresql" || scheme == "postgres") return PostgresStore::open(url);
  if (scheme == "sqlite") {
    auto path = sqlite_path(url.substr(sep + 3));
    if (!path) return tl::unexpected(path.error());
    return SqliteStore::open(*path);
  }
  return core::fail(ErrorKind::kInvalidRequest,
                    "storage: unsupported URL scheme \"" + std::string(scheme) +
                        "\" (use sqlite://, postgresql:// or a file path)");
}

}  // namespace warden::storage
