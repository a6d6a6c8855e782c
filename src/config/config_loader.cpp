#include "config/config_loader.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <yaml-cpp/yaml.h>

extern char** environ;

namespace warden::config {

namespace {

// The keys of every map the file may hold; a key not listed here is an error.
// The environment override of a key is WARDEN_ + its path in capitals, '.' → '_'.
constexpr std::array<std::string_view, 6> kTopScalarKeys = {
    "listen", "threads", "data_dir", "shutdown_grace_seconds", "log_level", "redis_url"};
constexpr std::array<std::string_view, 14> kTopKeys = {
    "listen", "threads", "data_dir", "shutdown_grace_seconds", "log_level", "redis_url",
    "stream", "auth", "limits", "providers", "routes", "policy", "storage", "otel"};
constexpr std::array<std::string_view, 7> kStorageKeys = {
    "url", "metadata_only", "retention_days", "queue_capacity", "batch_size", "max_body_bytes",
    "session_header"};
constexpr std::array<std::string_view, 2> kOtelKeys = {"endpoint", "service_name"};
constexpr std::array<std::string_view, 5> kStreamKeys = {
    "channel_capacity", "policy_timeout_seconds", "client_stall_timeout_seconds",
    "max_buffer_bytes", "validate"};
constexpr std::array<std::string_view, 5> kAuthKeys = {
    "mode", "proxy_key", "proxy_key_header", "admin_key", "admin_localhost_exempt"};
constexpr std::array<std::string_view, 5> kLimitsKeys = {
    "max_body_bytes", "max_header_bytes", "header_timeout_seconds", "body_timeout_seconds",
    "max_upstream_body_bytes"};
// Scalar provider keys (the environment can override these) …
constexpr std::array<std::string_view, 10> kProviderKeys = {
    "dialect", "base_url", "api_key", "ca_file", "connect_timeout_seconds",
    "read_timeout_seconds", "pool_max_idle", "pool_idle_timeout_seconds", "anthropic_version",
    "default_max_tokens"};
// … and all of them.
constexpr std::array<std::string_view, 11> kAllProviderKeys = {
    "dialect", "base_url", "api_key", "ca_file", "connect_timeout_seconds",
    "read_timeout_seconds", "pool_max_idle", "pool_idle_timeout_seconds", "anthropic_version",
    "default_max_tokens", "models"};
constexpr std::array<std::string_view, 3> kRouteKeys = {"match", "provider", "model"};

constexpr std::string_view kDefaultProviders = R"(
anthropic:
  dialect: anthropic
  base_url: https://api.anthropic.com
  api_key: ${ANTHROPIC_API_KEY}
openai:
  dialect: openai
  base_url: https://api.openai.com/v1
  api_key: ${OPENAI_API_KEY}
)";

// Used when the file has no `routes`; a route whose provider does not exist is skipped.
constexpr std::string_view kDefaultRoutes = R"(
- { match: "claude-*", provider: anthropic }
- { match: "gpt-*", provider: openai }
- { match: "o1*", provider: openai }
- { match: "o3*", provider: openai }
- { match: "o4*", provider: openai }
- { match: "chatgpt-*", provider: openai }
)";

std::string upper_env_name(std::string_view path) {
  std::string name = "WARDEN_";
  for (char c : path) name.push_back(c == '.' ? '_' : static_cast<char>(std::toupper(c)));
  return name;
}

// Where a value came from, for error messages.
class Origins {
 public:
  explicit Origins(std::string source) : source_(std::move(source)) {}
  void set_env(const std::string& path, std::string var) { env_[path] = std::move(var); }

  // A section kept as a tree for the code that knows its keys (config/options.hpp).
  Options options(const YAML::Node& node, const std::string& path) const {
    auto where = std::make_shared<Options::Locations>();
    auto root = std::make_shared<boost::json::value>(to_json(node, path, *where));
    return Options(std::move(root), std::move(where), path);
  }

  [[noreturn]] void fail(const YAML::Node& node, const std::string& path,
                         const std::string& message) const {
    std::string where;
    if (auto it = env_.find(path); it != env_.end()) {
      where = it->second + " (environment)";
    } else if (node.IsDefined() && node.Mark().line >= 0 && !source_.empty()) {
      where = source_ + ":" + std::to_string(node.Mark().line + 1);
    } else {
      where = source_.empty() ? "defaults" : source_;
    }
    throw ConfigError(where + ": " + path + ": " + message);
  }

 private:
  boost::json::value to_json(const YAML::Node& node, const std::string& path,
                             Options::Locations& where, int depth = 0) const {
    if (depth > 64) fail(node, path, "nested too deeply (does an alias contain itself?)");
    if (auto it = env_.find(path); it != env_.end()) {
      where[path] = it->second + " (environment)";
    } else if (node.Mark().line >= 0 && !source_.empty()) {
      where[path] = source_ + ":" + std::to_string(node.Mark().line + 1);
    }
    if (node.IsMap()) {
      boost::json::object out;
      for (auto it = node.begin(); it != node.end(); ++it) {
        if (!it->first.IsScalar()) fail(it->first, path, "keys must be plain strings");
        const std::string key = it->first.Scalar();
        out[key] = to_json(it->second, path + "." + key, where, depth + 1);
      }
      return out;
    }
    if (node.IsSequence()) {
      boost::json::array out;
      std::size_t i = 0;
      for (const auto& item : node) {
        out.push_back(to_json(item, path + "[" + std::to_string(i++) + "]", where, depth + 1));
      }
      return out;
    }
    if (node.IsScalar()) return boost::json::value(node.Scalar());
    return nullptr;
  }

  std::string source_;
  std::map<std::string, std::string> env_;
};

// ${VAR} and ${VAR:-fallback}; an unset VAR is empty.
std::string expand_env(const std::string& text) {
  std::string out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t start = text.find("${", pos);
    const std::size_t end = start == std::string::npos ? start : text.find('}', start);
    if (end == std::string::npos) {
      out.append(text, pos);
      break;
    }
    out.append(text, pos, start - pos);
    std::string ref = text.substr(start + 2, end - start - 2);
    std::string fallback;
    if (auto sep = ref.find(":-"); sep != std::string::npos) {
      fallback = ref.substr(sep + 2);
      ref.resize(sep);
    }
    const char* value = std::getenv(ref.c_str());
    out.append(value != nullptr && *value != '\0' ? value : fallback);
    pos = end + 1;
  }
  return out;
}

void expand_tree(YAML::Node node, const Origins& origins, int depth = 0) {
  // An alias may point at its own ancestor (`a: &x {b: *x}`): the tree is then a cycle.
  if (depth > 64) {
    origins.fail(node, "(alias)", "nested too deeply (does an alias contain itself?)");
  }
  if (node.IsScalar()) {
    const std::string& text = node.Scalar();
    if (text.find("${") != std::string::npos) node = expand_env(text);
  } else if (node.IsMap()) {
    for (auto it = node.begin(); it != node.end(); ++it) {
      expand_tree(it->second, origins, depth + 1);
    }
  } else if (node.IsSequence()) {
    for (auto child : node) expand_tree(child, origins, depth + 1);
  }
}

template <std::size_t N>
void check_keys(const YAML::Node& map, const std::string& path,
                const std::array<std::string_view, N>& allowed, const Origins& origins) {
  if (map.IsNull()) return;  // `auth:` with every key commented out: all defaults
  if (!map.IsMap()) origins.fail(map, path, "expected a map of keys");
  for (auto it = map.begin(); it != map.end(); ++it) {
    if (it->first.IsMap() || it->first.IsSequence()) {
      origins.fail(it->first, path.empty() ? "(top level)" : path, "keys must be plain strings");
    }
    const std::string key = it->first.as<std::string>();
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      std::string known;
      for (auto k : allowed) known += (known.empty() ? "" : ", ") + std::string(k);
      origins.fail(it->first, path.empty() ? key : path + "." + key,
                   "unknown key (known here: " + known + ")");
    }
  }
}

// Applies WARDEN_* variables to the tree before it is read.
void apply_env(YAML::Node& root, Origins& origins) {
  auto set = [&](std::initializer_list<std::string> path, const std::string& var,
                 const char* value) {
    YAML::Node node = root;
    std::string joined;
    for (const auto& part : path) {
      // yaml-cpp throws on a scalar's operator[] (and turns a sequence into a map).
      if (node.IsScalar() || node.IsSequence()) {
        origins.fail(node, joined, "expected a map of keys");
      }
      joined += (joined.empty() ? "" : ".") + part;
      node.reset(node[part]);
    }
    node = std::string(value);
    origins.set_env(joined, var);
  };
  for (auto key : kTopScalarKeys) {
    const std::string var = upper_env_name(key);
    if (const char* v = std::getenv(var.c_str())) set({std::string(key)}, var, v);
  }
  const auto section = [&](const std::string& name, auto keys) {
    for (auto key : keys) {
      const std::string var = upper_env_name(name + "." + std::string(key));
      if (const char* v = std::getenv(var.c_str())) set({name, std::string(key)}, var, v);
    }
  };
  section("auth", kAuthKeys);
  section("limits", kLimitsKeys);
  section("stream", kStreamKeys);
  section("storage", kStorageKeys);
  section("otel", kOtelKeys);
  if (const char* v = std::getenv("WARDEN_POLICY_TYPE")) set({"policy", "type"}, "WARDEN_POLICY_TYPE", v);
  // WARDEN_PROVIDERS_<NAME>_<KEY>: the key is matched from the end, so a name
  // may itself hold underscores, and a provider may be created from the environment.
  for (char** env = environ; *env != nullptr; ++env) {
    std::string_view entry(*env);
    const auto eq = entry.find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view var = entry.substr(0, eq);
    if (!var.starts_with("WARDEN_PROVIDERS_")) continue;
    for (auto key : kProviderKeys) {
      const std::string suffix = "_" + upper_env_name(key).substr(7);
      if (!var.ends_with(suffix) || var.size() <= 17 + suffix.size()) continue;
      std::string name(var.substr(17, var.size() - 17 - suffix.size()));
      std::transform(name.begin(), name.end(), name.begin(),
                     [](unsigned char c) { return std::tolower(c); });
      set({"providers", name, std::string(key)}, std::string(var),
          std::string(entry.substr(eq + 1)).c_str());
      break;
    }
  }
}

class Reader {
 public:
  explicit Reader(const Origins& origins) : origins_(origins) {}

  std::string text(const YAML::Node& node, const std::string& path) const {
    if (!node.IsScalar()) origins_.fail(node, path, "expected a string");
    return node.Scalar();
  }
  double number(const YAML::Node& node, const std::string& path, double min, double max) const {
    const std::string s = text(node, path);
    double value = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (ec != std::errc{} || end != s.data() + s.size() || !std::isfinite(value)) {
      origins_.fail(node, path, "expected a number, got '" + s + "'");
    }
    if (value < min || value > max) {
      std::ostringstream range;
      range << "must be between " << min << " and " << max << ", got " << s;
      origins_.fail(node, path, range.str());
    }
    return value;
  }
  std::size_t count(const YAML::Node& node, const std::string& path, double min, double max) const {
    const double value = number(node, path, min, max);
    if (value != std::floor(value)) origins_.fail(node, path, "expected a whole number");
    return static_cast<std::size_t>(value);
  }
  bool boolean(const YAML::Node& node, const std::string& path) const {
    const std::string s = text(node, path);
    if (s == "true" || s == "yes" || s == "on" || s == "1") return true;
    if (s == "false" || s == "no" || s == "off" || s == "0") return false;
    origins_.fail(node, path, "expected true or false, got '" + s + "'");
  }
  [[noreturn]] void fail(const YAML::Node& node, const std::string& path,
                         const std::string& message) const {
    origins_.fail(node, path, message);
  }

 private:
  const Origins& origins_;
};

void read_listen(const Reader& r, const YAML::Node& node, Config& config) {
  const std::string value = r.text(node, "listen");
  const auto colon = value.rfind(':');
  if (colon == std::string::npos || colon == 0) r.fail(node, "listen", "expected host:port");
  std::string host = value.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  config.listen_host = host;
  const std::string port = value.substr(colon + 1);
  unsigned parsed = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), parsed);
  if (ec != std::errc{} || end != port.data() + port.size() || parsed > 65535) {
    r.fail(node, "listen", "expected host:port with a port from 0 to 65535, got '" + value + "'");
  }
  config.listen_port = static_cast<std::uint16_t>(parsed);
}

void read_provider(const Reader& r, const std::string& name, const YAML::Node& node,
                   const Origins& origins, ProviderConfig& p) {
  const std::string path = "providers." + name;
  check_keys(node, path, kAllProviderKeys, origins);
  p.name = name;
  if (auto n = node["dialect"]) {
    p.dialect = r.text(n, path + ".dialect");
    if (p.dialect != "anthropic" && p.dialect != "openai") {
      r.fail(n, path + ".dialect", "expected anthropic or openai, got '" + p.dialect + "'");
    }
  }
  if (auto n = node["base_url"]) p.base_url = r.text(n, path + ".base_url");
  if (p.base_url.empty()) r.fail(node, path + ".base_url", "a provider needs a base_url");
  if (!p.base_url.starts_with("https://") && !p.base_url.starts_with("http://")) {
    r.fail(node["base_url"], path + ".base_url",
           "expected an http:// or https:// URL, got '" + p.base_url + "'");
  }
  if (auto n = node["api_key"]) p.api_key = r.text(n, path + ".api_key");
  if (auto n = node["ca_file"]) {
    p.ca_file = r.text(n, path + ".ca_file");
    if (!p.ca_file.empty() && !std::ifstream(p.ca_file)) {
      r.fail(n, path + ".ca_file", "cannot read '" + p.ca_file + "'");
    }
  }
  if (auto n = node["connect_timeout_seconds"]) {
    p.connect_timeout_seconds = r.number(n, path + ".connect_timeout_seconds", 0.001, 3600);
  }
  if (auto n = node["read_timeout_seconds"]) {
    p.read_timeout_seconds = r.number(n, path + ".read_timeout_seconds", 0.001, 86400);
  }
  if (auto n = node["pool_max_idle"]) p.pool_max_idle = r.count(n, path + ".pool_max_idle", 0, 100000);
  if (auto n = node["pool_idle_timeout_seconds"]) {
    p.pool_idle_timeout_seconds = r.number(n, path + ".pool_idle_timeout_seconds", 0, 86400);
  }
  if (auto n = node["anthropic_version"]) p.anthropic_version = r.text(n, path + ".anthropic_version");
  if (auto n = node["default_max_tokens"]) {
    p.default_max_tokens =
        static_cast<std::int64_t>(r.count(n, path + ".default_max_tokens", 1, 10000000));
  }
  if (auto n = node["models"]) {
    if (!n.IsSequence()) r.fail(n, path + ".models", "expected a list of model names");
    for (const auto& model : n) p.models.push_back(r.text(model, path + ".models[]"));
  }
}

void read_routes(const Reader& r, const YAML::Node& routes, bool defaults, const Origins& origins,
                 Config& config) {
  if (!routes.IsSequence()) r.fail(routes, "routes", "expected a list of {match, provider}");
  std::size_t i = 0;
  for (const auto& node : routes) {
    const std::string path = "routes[" + std::to_string(i++) + "]";
    check_keys(node, path, kRouteKeys, origins);
    RouteConfig route;
    if (!node["match"] || !node["provider"]) r.fail(node, path, "a route needs match and provider");
    route.match = r.text(node["match"], path + ".match");
    route.provider = r.text(node["provider"], path + ".provider");
    if (auto n = node["model"]) route.model = r.text(n, path + ".model");
    if (config.provider(route.provider) == nullptr) {
      if (defaults) continue;
      r.fail(node["provider"], path + ".provider", "no provider named '" + route.provider + "'");
    }
    config.routes.push_back(std::move(route));
  }
}

Config read_config(YAML::Node root, const std::string& source) {
  Origins origins(source);
  if (!root.IsDefined() || root.IsNull()) root = YAML::Node(YAML::NodeType::Map);
  if (!root.IsMap()) origins.fail(root, "(top level)", "expected a map of keys");
  // A file that names no providers gets the default Anthropic and OpenAI ones.
  if (!root["providers"]) root["providers"] = YAML::Load(std::string(kDefaultProviders));
  apply_env(root, origins);
  expand_tree(root, origins);
  const Reader r(origins);

  check_keys(root, "", kTopKeys, origins);

  Config config;
  if (auto n = root["listen"]) read_listen(r, n, config);
  if (auto n = root["threads"]) config.threads = static_cast<int>(r.count(n, "threads", 0, 1024));
  if (auto n = root["data_dir"]) config.data_dir = r.text(n, "data_dir");
  if (auto n = root["shutdown_grace_seconds"]) {
    config.shutdown_grace_seconds = r.number(n, "shutdown_grace_seconds", 0, 3600);
  }
  if (auto n = root["log_level"]) {
    config.log_level = r.text(n, "log_level");
    constexpr std::array<std::string_view, 5> kLevels = {"debug", "info", "warn", "error", "off"};
    if (std::find(kLevels.begin(), kLevels.end(), config.log_level) == kLevels.end()) {
      r.fail(n, "log_level", "expected debug, info, warn, error or off");
    }
  }
  if (auto stream = root["stream"]) {
    check_keys(stream, "stream", kStreamKeys, origins);
    auto& s = config.stream;
    if (auto n = stream["channel_capacity"]) {
      s.channel_capacity = r.count(n, "stream.channel_capacity", 1, 65536);
    }
    if (auto n = stream["policy_timeout_seconds"]) {
      s.policy_timeout_seconds = r.number(n, "stream.policy_timeout_seconds", 0.001, 86400);
    }
    if (auto n = stream["client_stall_timeout_seconds"]) {
      s.client_stall_timeout_seconds =
          r.number(n, "stream.client_stall_timeout_seconds", 0.001, 86400);
    }
    if (auto n = stream["max_buffer_bytes"]) {
      s.max_buffer_bytes = r.count(n, "stream.max_buffer_bytes", 1024, 1e10);
    }
    if (auto n = stream["validate"]) s.validate = r.boolean(n, "stream.validate");
  }

  if (auto n = root["redis_url"]) {
    config.redis_url = r.text(n, "redis_url");
    if (!config.redis_url.empty() && !config.redis_url.starts_with("redis://")) {
      r.fail(n, "redis_url", "expected redis://[:password@]host:port[/db]");
    }
  }
  if (auto storage = root["storage"]) {
    check_keys(storage, "storage", kStorageKeys, origins);
    auto& s = config.storage;
    if (auto n = storage["url"]) s.url = r.text(n, "storage.url");
    if (auto n = storage["metadata_only"]) s.metadata_only = r.boolean(n, "storage.metadata_only");
    if (auto n = storage["retention_days"]) {
      s.retention_days = r.number(n, "storage.retention_days", 0, 36500);
    }
    if (auto n = storage["queue_capacity"]) {
      s.queue_capacity = r.count(n, "storage.queue_capacity", 1, 1e7);
    }
    if (auto n = storage["batch_size"]) s.batch_size = r.count(n, "storage.batch_size", 1, 10000);
    if (auto n = storage["max_body_bytes"]) {
      s.max_body_bytes = r.count(n, "storage.max_body_bytes", 0, 1e9);
    }
    if (auto n = storage["session_header"]) s.session_header = r.text(n, "storage.session_header");
  }
  if (auto otel = root["otel"]) {
    check_keys(otel, "otel", kOtelKeys, origins);
    if (auto n = otel["endpoint"]) {
      config.otel.endpoint = r.text(n, "otel.endpoint");
      const auto& e = config.otel.endpoint;
      if (!e.empty() && !e.starts_with("http://") && !e.starts_with("https://")) {
        r.fail(n, "otel.endpoint", "expected an http:// or https:// URL");
      }
    }
    if (auto n = otel["service_name"]) config.otel.service_name = r.text(n, "otel.service_name");
  }

  if (auto auth = root["auth"]) {
    check_keys(auth, "auth", kAuthKeys, origins);
    if (auto n = auth["mode"]) {
      const std::string mode = r.text(n, "auth.mode");
      if (mode == "passthrough") {
        config.auth.mode = AuthMode::kPassthrough;
      } else if (mode == "proxy_key") {
        config.auth.mode = AuthMode::kProxyKey;
      } else if (mode == "both") {
        config.auth.mode = AuthMode::kBoth;
      } else {
        r.fail(n, "auth.mode", "expected passthrough, proxy_key or both, got '" + mode + "'");
      }
    }
    if (auto n = auth["proxy_key"]) config.auth.proxy_key = r.text(n, "auth.proxy_key");
    if (auto n = auth["proxy_key_header"]) {
      config.auth.proxy_key_header = r.text(n, "auth.proxy_key_header");
    }
    if (auto n = auth["admin_key"]) config.auth.admin_key = r.text(n, "auth.admin_key");
    if (auto n = auth["admin_localhost_exempt"]) {
      config.auth.admin_localhost_exempt = r.boolean(n, "auth.admin_localhost_exempt");
    }
    if (config.auth.mode != AuthMode::kPassthrough && config.auth.proxy_key.empty()) {
      r.fail(auth["mode"], "auth.proxy_key",
             "auth.mode proxy_key and both need a proxy_key (set WARDEN_AUTH_PROXY_KEY)");
    }
  }

  if (auto limits = root["limits"]) {
    check_keys(limits, "limits", kLimitsKeys, origins);
    auto& l = config.limits;
    if (auto n = limits["max_body_bytes"]) l.max_body_bytes = r.count(n, "limits.max_body_bytes", 1, 1e10);
    if (auto n = limits["max_header_bytes"]) {
      l.max_header_bytes = r.count(n, "limits.max_header_bytes", 1024, 1e8);
    }
    if (auto n = limits["header_timeout_seconds"]) {
      l.header_timeout_seconds = r.number(n, "limits.header_timeout_seconds", 0.001, 3600);
    }
    if (auto n = limits["body_timeout_seconds"]) {
      l.body_timeout_seconds = r.number(n, "limits.body_timeout_seconds", 0.001, 3600);
    }
    if (auto n = limits["max_upstream_body_bytes"]) {
      l.max_upstream_body_bytes = r.count(n, "limits.max_upstream_body_bytes", 1024, 1e10);
    }
  }

  const YAML::Node providers = root["providers"];
  if (!providers.IsMap()) r.fail(providers, "providers", "expected a map of provider names");
  for (auto it = providers.begin(); it != providers.end(); ++it) {
    if (!it->first.IsScalar()) {
      r.fail(it->first, "providers", "provider names must be plain strings");
    }
    ProviderConfig p;
    read_provider(r, it->first.as<std::string>(), it->second, origins, p);
    config.providers.push_back(std::move(p));
  }
  if (config.providers.empty()) r.fail(providers, "providers", "at least one provider is needed");
  if (auto routes = root["routes"]) {
    read_routes(r, routes, false, origins, config);
  } else {
    read_routes(r, YAML::Load(std::string(kDefaultRoutes)), true, origins, config);
  }

  if (auto policy = root["policy"]) config.policy = origins.options(policy, "policy");
  return config;
}

}  // namespace

Config load_config_text(const std::string& yaml, const std::string& source) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml);
  } catch (const YAML::Exception& e) {
    throw ConfigError(source + ":" + std::to_string(e.mark.line + 1) + ": invalid YAML: " + e.msg);
  }
  return read_config(root, source);
}

Config load_config(const std::string& path) {
  if (path.empty()) return load_config_text("", "");
  std::ifstream in(path);
  if (!in) throw ConfigError(path + ": cannot open the configuration file");
  std::stringstream text;
  text << in.rdbuf();
  return load_config_text(text.str(), path);
}

}  // namespace warden::config
