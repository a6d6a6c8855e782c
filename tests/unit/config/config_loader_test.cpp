#include "config/config_loader.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <unistd.h>

#include <gtest/gtest.h>

extern char** environ;

namespace warden::config {
namespace {

// Every test starts from an environment without WARDEN_* configuration variables or
// ANTHROPIC_API_KEY, and gets the original environment back afterwards, whatever it set.
class ConfigLoaderTest : public testing::Test {
 protected:
  void SetUp() override {
    for (char** env = environ; *env != nullptr; ++env) {
      const std::string_view entry(*env);
      const auto eq = entry.find('=');
      if (eq == std::string_view::npos) continue;
      const std::string name(entry.substr(0, eq));
      if (is_config_variable(name)) saved_[name] = std::string(entry.substr(eq + 1));
    }
    for (const auto& [name, value] : saved_) unsetenv(name.c_str());
  }

  void TearDown() override {
    for (const auto& name : set_) unsetenv(name.c_str());
    for (const auto& [name, value] : saved_) setenv(name.c_str(), value.c_str(), 1);
  }

  void set_env(const std::string& name, const std::string& value) {
    set_.push_back(name);
    setenv(name.c_str(), value.c_str(), 1);
  }

  // The message of the ConfigError that loading `yaml` throws ("" if it does not throw).
  static std::string error_of(const std::string& yaml, const std::string& source = "test.yaml") {
    try {
      load_config_text(yaml, source);
    } catch (const ConfigError& e) {
      return e.what();
    }
    ADD_FAILURE() << "no ConfigError for:\n" << yaml;
    return {};
  }

 private:
  static bool is_config_variable(const std::string& name) {
    // WARDEN_TEST_DATA and WARDEN_BIN are ctest's, not configuration.
    return name == "ANTHROPIC_API_KEY" ||
           (name.starts_with("WARDEN_") && name != "WARDEN_TEST_DATA" && name != "WARDEN_BIN");
  }

  std::map<std::string, std::string> saved_;
  std::vector<std::string> set_;
};

// Predicates for EXPECT_PRED2 (gmock is not linked), printing both strings on failure.
bool StartsWith(const std::string& text, const std::string& prefix) {
  return text.starts_with(prefix);
}
bool HasSubstr(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// --- Defaults -------------------------------------------------------------------------------

TEST_F(ConfigLoaderTest, NoFileGivesDefaults) {
  const Config config = load_config("");
  EXPECT_EQ(config.listen_host, "127.0.0.1");
  EXPECT_EQ(config.listen_port, 8000);
  EXPECT_EQ(config.threads, 0);
  EXPECT_EQ(config.log_level, "info");
  EXPECT_FALSE(config.policy.present());
  EXPECT_EQ(config.stream.channel_capacity, 64u);
  EXPECT_FALSE(config.stream.validate);
  EXPECT_EQ(config.auth.mode, AuthMode::kPassthrough);
  EXPECT_EQ(config.auth.proxy_key_header, "x-warden-key");
  EXPECT_TRUE(config.auth.admin_localhost_exempt);
  EXPECT_EQ(config.limits.max_body_bytes, 10u * 1024 * 1024);
  ASSERT_EQ(config.providers.size(), 2u);
  const ProviderConfig& p = config.providers[0];
  EXPECT_EQ(p.name, "anthropic");
  EXPECT_EQ(p.dialect, "anthropic");
  EXPECT_EQ(p.base_url, "https://api.anthropic.com");
  EXPECT_EQ(p.api_key, "");
  EXPECT_EQ(config.provider("anthropic"), &config.providers[0]);
  EXPECT_EQ(config.providers[1].name, "openai");
  EXPECT_EQ(config.providers[1].dialect, "openai");
  EXPECT_EQ(config.providers[1].base_url, "https://api.openai.com/v1");
  // Default routes: claude-* to Anthropic, the OpenAI families to OpenAI.
  ASSERT_EQ(config.routes.size(), 6u);
  EXPECT_EQ(config.routes[0].match, "claude-*");
  EXPECT_EQ(config.routes[0].provider, "anthropic");
  EXPECT_EQ(config.routes[1].match, "gpt-*");
  EXPECT_EQ(config.routes[1].provider, "openai");
}

TEST_F(ConfigLoaderTest, EmptyOrCommentOnlyTextGivesDefaults) {
  for (const std::string yaml : {"", "\n", "# nothing here\n", "---\n"}) {
    const Config config = load_config_text(yaml, "test.yaml");
    EXPECT_EQ(config.listen_port, 8000);
    ASSERT_EQ(config.providers.size(), 2u);
    EXPECT_EQ(config.providers[0].base_url, "https://api.anthropic.com");
  }
}

TEST_F(ConfigLoaderTest, DefaultProviderTakesItsKeyFromAnthropicApiKey) {
  set_env("ANTHROPIC_API_KEY", "sk-ant-from-env");
  EXPECT_EQ(load_config("").providers.at(0).api_key, "sk-ant-from-env");
}

TEST_F(ConfigLoaderTest, MissingFileIsAConfigErrorNamingIt) {
  try {
    load_config("/nonexistent/warden.yaml");
    FAIL() << "no ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_PRED2(HasSubstr, std::string(e.what()), "/nonexistent/warden.yaml");
  }
}

// --- A full file ----------------------------------------------------------------------------

TEST_F(ConfigLoaderTest, FullValidFile) {
  const auto ca =
      std::filesystem::temp_directory_path() / ("warden_ca_" + std::to_string(getpid()));
  std::ofstream(ca) << "-----BEGIN CERTIFICATE-----\n";
  const std::string yaml = R"(# Warden configuration
listen: "[::1]:9443"
threads: 4
data_dir: /var/lib/warden
shutdown_grace_seconds: 12.5
log_level: debug
stream:
  channel_capacity: 128
  policy_timeout_seconds: 5
  client_stall_timeout_seconds: 7
  max_buffer_bytes: 1048576
  validate: true
auth:
  mode: both
  proxy_key: gw-secret
  proxy_key_header: x-gateway-token
  admin_key: admin-secret
  admin_localhost_exempt: false
limits:
  max_body_bytes: 2097152
  max_header_bytes: 32768
  header_timeout_seconds: 5
  body_timeout_seconds: 60
  max_upstream_body_bytes: 104857600
providers:
  anthropic:
    dialect: anthropic
    base_url: https://api.anthropic.com
    api_key: sk-ant-file
    ca_file: )" + ca.string() +
                           R"(
    connect_timeout_seconds: 3
    read_timeout_seconds: 900
    pool_max_idle: 8
    pool_idle_timeout_seconds: 15
  local:
    dialect: openai
    base_url: http://127.0.0.1:11434/v1
policy:
  type: chain
  policies:
    - type: noop
)";
  const Config config = load_config_text(yaml, "full.yaml");
  std::filesystem::remove(ca);
  EXPECT_EQ(config.listen_host, "::1");
  EXPECT_EQ(config.listen_port, 9443);
  EXPECT_EQ(config.threads, 4);
  EXPECT_EQ(config.data_dir, "/var/lib/warden");
  EXPECT_DOUBLE_EQ(config.shutdown_grace_seconds, 12.5);
  EXPECT_EQ(config.log_level, "debug");
  EXPECT_EQ(config.stream.channel_capacity, 128u);
  EXPECT_DOUBLE_EQ(config.stream.policy_timeout_seconds, 5);
  EXPECT_DOUBLE_EQ(config.stream.client_stall_timeout_seconds, 7);
  EXPECT_EQ(config.stream.max_buffer_bytes, 1048576u);
  EXPECT_TRUE(config.stream.validate);
  EXPECT_EQ(config.auth.mode, AuthMode::kBoth);
  EXPECT_EQ(config.auth.proxy_key, "gw-secret");
  EXPECT_EQ(config.auth.proxy_key_header, "x-gateway-token");
  EXPECT_EQ(config.auth.admin_key, "admin-secret");
  EXPECT_FALSE(config.auth.admin_localhost_exempt);
  EXPECT_EQ(config.limits.max_body_bytes, 2097152u);
  EXPECT_EQ(config.limits.max_header_bytes, 32768u);
  EXPECT_DOUBLE_EQ(config.limits.header_timeout_seconds, 5);
  EXPECT_DOUBLE_EQ(config.limits.body_timeout_seconds, 60);
  EXPECT_EQ(config.limits.max_upstream_body_bytes, 104857600u);
  ASSERT_EQ(config.providers.size(), 2u);
  const ProviderConfig& a = config.providers[0];
  EXPECT_EQ(a.name, "anthropic");
  EXPECT_EQ(a.api_key, "sk-ant-file");
  EXPECT_EQ(a.ca_file, ca.string());
  EXPECT_DOUBLE_EQ(a.connect_timeout_seconds, 3);
  EXPECT_DOUBLE_EQ(a.read_timeout_seconds, 900);
  EXPECT_EQ(a.pool_max_idle, 8u);
  EXPECT_DOUBLE_EQ(a.pool_idle_timeout_seconds, 15);
  const ProviderConfig& b = config.providers[1];
  EXPECT_EQ(b.name, "local");
  EXPECT_EQ(b.dialect, "openai");
  EXPECT_EQ(b.base_url, "http://127.0.0.1:11434/v1");
  EXPECT_EQ(config.provider("local"), &config.providers[1]);
  ASSERT_TRUE(config.policy.is_map());
  EXPECT_EQ(config.policy["type"].text(), "chain");
  ASSERT_EQ(config.policy["policies"].items().size(), 1u);
  EXPECT_EQ(config.policy["policies"].items()[0]["type"].text(), "noop");
}

// The policy section is kept with its locations, so the policy registry can
// name the line of a bad option.
TEST_F(ConfigLoaderTest, PolicyOptionsKnowTheirLines) {
  const Config config = load_config_text(
      "listen: 127.0.0.1:1\npolicy:\n  type: chain\n  policies:\n    - type: x\n      deny: [a]\n",
      "p.yaml");
  const auto member = config.policy["policies"].items()[0];
  try {
    member["deny"].items()[0].fail("bad");
    FAIL() << "fail() returned";
  } catch (const ConfigError& e) {
    EXPECT_STREQ(e.what(), "p.yaml:6: policy.policies[0].deny[0]: bad");
  }
  try {
    member["missing"].fail("absent key");
    FAIL() << "fail() returned";
  } catch (const ConfigError& e) {
    EXPECT_STREQ(e.what(), "p.yaml:5: policy.policies[0].missing: absent key");
  }
}

TEST_F(ConfigLoaderTest, ReadsAFileFromDisk) {
  const auto path =
      std::filesystem::temp_directory_path() / ("warden_cfg_" + std::to_string(getpid()) + ".yaml");
  std::ofstream(path) << "listen: 0.0.0.0:8123\n";
  const Config config = load_config(path.string());
  std::filesystem::remove(path);
  EXPECT_EQ(config.listen_host, "0.0.0.0");
  EXPECT_EQ(config.listen_port, 8123);
}

TEST_F(ConfigLoaderTest, RoutesAreReadInOrderWithAliases) {
  const Config config = load_config_text(R"(
providers:
  oai: {dialect: openai, base_url: "https://api.openai.com/v1", models: [gpt-4o, gpt-5]}
  anthropic: {base_url: "https://api.anthropic.com", default_max_tokens: 1000}
routes:
  - {match: fast, provider: anthropic, model: claude-haiku-4-5}
  - {match: "gpt-*", provider: oai}
)",
                                         "t.yaml");
  ASSERT_EQ(config.routes.size(), 2u);
  EXPECT_EQ(config.routes[0].match, "fast");
  EXPECT_EQ(config.routes[0].model, "claude-haiku-4-5");
  EXPECT_EQ(config.routes[1].provider, "oai");
  EXPECT_EQ(config.routes[1].model, "");
  EXPECT_EQ(config.provider("oai")->models, (std::vector<std::string>{"gpt-4o", "gpt-5"}));
  EXPECT_EQ(config.provider("anthropic")->default_max_tokens, 1000);
  EXPECT_EQ(config.provider("anthropic")->anthropic_version, "2023-06-01");
}

TEST_F(ConfigLoaderTest, DefaultRoutesSkipMissingProviders) {
  const Config config =
      load_config_text("providers:\n  anthropic: {base_url: \"https://a.example\"}\n", "t.yaml");
  ASSERT_EQ(config.routes.size(), 1u);
  EXPECT_EQ(config.routes[0].match, "claude-*");
}

// --- Errors name the key and the line -------------------------------------------------------

TEST_F(ConfigLoaderTest, UnknownKeyNamesTheKeyPathAndLine) {
  const std::string message = error_of(
      "providers:\n"
      "  anthropic:\n"
      "    base_ur: https://api.anthropic.com\n");
  EXPECT_PRED2(StartsWith, message, "test.yaml:3: providers.anthropic.base_ur: unknown key");
  EXPECT_PRED2(HasSubstr, message, "base_url");  // lists the known keys
}

TEST_F(ConfigLoaderTest, UnknownKeyAtEachLevel) {
  EXPECT_PRED2(StartsWith, error_of("listen: 127.0.0.1:1\nlisten_port: 9\n"),
               "test.yaml:2: listen_port: unknown key");
  EXPECT_PRED2(StartsWith, error_of("auth:\n  mode: passthrough\n  key: x\n"),
               "test.yaml:3: auth.key: unknown key");
  EXPECT_PRED2(StartsWith, error_of("limits:\n  max_body: 1\n"),
               "test.yaml:2: limits.max_body: unknown key");
}

TEST_F(ConfigLoaderTest, BadValuesNameTheKeyAndLine) {
  struct Case {
    std::string yaml;
    std::string prefix;
  };
  for (const Case& c : {
           Case{"threads: many\n", "test.yaml:1: threads: expected a number, got 'many'"},
           Case{"\nthreads: 2.5\n", "test.yaml:2: threads: expected a whole number"},
           Case{"threads: -1\n", "test.yaml:1: threads: must be between 0 and 1024"},
           Case{"listen: 8000\n", "test.yaml:1: listen: expected host:port"},
           Case{"listen: localhost\n", "test.yaml:1: listen: expected host:port"},
           Case{"listen: localhost:99999\n", "test.yaml:1: listen: expected host:port with a port"},
           Case{"listen: \"localhost:\"\n", "test.yaml:1: listen: expected host:port with a port"},
           Case{"listen: [a, b]\n", "test.yaml:1: listen: expected a string"},
           Case{"log_level: verbose\n", "test.yaml:1: log_level: expected debug, info"},
           Case{"shutdown_grace_seconds: nan\n",
                "test.yaml:1: shutdown_grace_seconds: expected a number"},
           Case{"stream:\n  channel_capacity: 0\n",
                "test.yaml:2: stream.channel_capacity: must be between"},
           Case{"stream:\n  policy_timeout: 3\n",
                "test.yaml:2: stream.policy_timeout: unknown key"},
           Case{"auth:\n  mode: open\n",
                "test.yaml:2: auth.mode: expected passthrough, proxy_key or both"},
           Case{"auth:\n  admin_localhost_exempt: maybe\n",
                "test.yaml:2: auth.admin_localhost_exempt: expected true or false, got 'maybe'"},
           Case{"auth: yes\n", "test.yaml:1: auth: expected a map of keys"},
           Case{"limits:\n  max_body_bytes: 0\n",
                "test.yaml:2: limits.max_body_bytes: must be between"},
           Case{"limits:\n  max_body_bytes: 10MB\n",
                "test.yaml:2: limits.max_body_bytes: expected a number, got '10MB'"},
           Case{"limits:\n  max_header_bytes: 10\n",
                "test.yaml:2: limits.max_header_bytes: must be between"},
           Case{"providers:\n  anthropic:\n    base_url: ftp://example.com\n",
                "test.yaml:3: providers.anthropic.base_url: expected an http:// or https:// URL"},
           Case{"providers:\n  anthropic:\n    dialect: anthropic\n",
                "test.yaml:3: providers.anthropic.base_url: a provider needs a base_url"},
           Case{"providers:\n  x:\n    base_url: https://a\n    dialect: grpc\n",
                "test.yaml:4: providers.x.dialect: expected anthropic or openai, got 'grpc'"},
           Case{"providers:\n  x:\n    base_url: https://a\n    read_timeout_seconds: 0\n",
                "test.yaml:4: providers.x.read_timeout_seconds: must be between"},
           Case{"providers:\n  x:\n    base_url: https://a\n    ca_file: /nonexistent/ca.pem\n",
                "test.yaml:4: providers.x.ca_file: cannot read '/nonexistent/ca.pem'"},
           Case{"providers:\n  x:\n    base_url: https://a\n    pool_max_idle: 1.5\n",
                "test.yaml:4: providers.x.pool_max_idle: expected a whole number"},
           Case{"providers: {}\n", "test.yaml:1: providers: at least one provider is needed"},
           Case{"routes:\n  - { match: \"x*\", provider: nope }\n",
                "test.yaml:2: routes[0].provider: no provider named 'nope'"},
           Case{"routes:\n  - { provider: anthropic }\n",
                "test.yaml:2: routes[0]: a route needs match and provider"},
           Case{"routes:\n  - { match: a, provider: anthropic, modle: b }\n",
                "test.yaml:2: routes[0].modle: unknown key"},
           Case{"providers: [a]\n", "test.yaml:1: providers: expected a map"},
       }) {
    SCOPED_TRACE(c.yaml);
    EXPECT_PRED2(StartsWith, error_of(c.yaml), c.prefix);
  }
}

TEST_F(ConfigLoaderTest, TopLevelThatIsNotAMapIsAnError) {
  EXPECT_PRED2(HasSubstr, error_of("- a\n- b\n"), "expected a map of keys");
  EXPECT_PRED2(HasSubstr, error_of("just a string\n"), "expected a map of keys");
}

TEST_F(ConfigLoaderTest, NonScalarKeysAreAConfigError) {
  // YAML allows complex keys (`? [a]`); they must not escape as a yaml-cpp exception.
  EXPECT_PRED2(StartsWith, error_of("? [a]\n: b\n"), "test.yaml:1: ");
  EXPECT_PRED2(StartsWith, error_of("auth:\n  ? {a: 1}\n  : b\n"), "test.yaml:2: auth");
  EXPECT_PRED2(StartsWith, error_of("providers:\n  ? [a]\n  : {base_url: \"https://x\"}\n"),
               "test.yaml:2: providers");
}

TEST_F(ConfigLoaderTest, AliasThatContainsItselfIsAConfigErrorNotAStackOverflow) {
  // Found by config_fuzz: the alias makes the tree a cycle.
  EXPECT_PRED2(StartsWith,
               error_of("providers:\n  anthropic: &p\n    base_url: https://a\n    self: *p\n"),
               "test.yaml:");
  EXPECT_PRED2(HasSubstr, error_of("base: &b\n  again: *b\n"), "alias");
}

TEST_F(ConfigLoaderTest, AliasesWork) {
  const Config config = load_config_text(
      "providers:\n  anthropic: &p\n    base_url: https://a.example\n  copy: *p\n", "t.yaml");
  ASSERT_EQ(config.providers.size(), 2u);
  EXPECT_EQ(config.providers[1].name, "copy");
  EXPECT_EQ(config.providers[1].base_url, "https://a.example");
}

TEST_F(ConfigLoaderTest, EnvOverrideIntoASectionThatIsNotAMapIsAConfigError) {
  set_env("WARDEN_AUTH_MODE", "passthrough");
  EXPECT_PRED2(StartsWith, error_of("auth: 5\n"), "test.yaml:1: auth: expected a map of keys");
  unsetenv("WARDEN_AUTH_MODE");
  set_env("WARDEN_PROVIDERS_LOCAL_BASE_URL", "https://x");
  EXPECT_PRED2(StartsWith, error_of("providers: none\n"),
               "test.yaml:1: providers: expected a map of keys");
  EXPECT_PRED2(StartsWith, error_of("providers:\n  local: off\n"),
               "test.yaml:2: providers.local: expected a map of keys");
}

TEST_F(ConfigLoaderTest, InvalidYamlNamesTheLine) {
  EXPECT_PRED2(StartsWith, error_of("listen: 127.0.0.1:8000\nauth:\n  mode: [unclosed\n"),
               "test.yaml:");
  EXPECT_PRED2(HasSubstr, error_of("a: b\n  c: d\n"), "invalid YAML");
}

TEST_F(ConfigLoaderTest, ProxyKeyModeWithoutProxyKeyIsAnError) {
  for (const std::string mode : {"proxy_key", "both"}) {
    SCOPED_TRACE(mode);
    const std::string message = error_of("auth:\n  mode: " + mode + "\n");
    EXPECT_PRED2(StartsWith, message, "test.yaml:2: auth.proxy_key:");
    EXPECT_PRED2(HasSubstr, message, "WARDEN_AUTH_PROXY_KEY");
  }
  EXPECT_EQ(load_config_text("auth:\n  mode: proxy_key\n  proxy_key: k\n", "t.yaml").auth.mode,
            AuthMode::kProxyKey);
}

// --- WARDEN_* environment overrides ---------------------------------------------------------

TEST_F(ConfigLoaderTest, EnvOverridesListenWithoutAFileAndOverAFile) {
  set_env("WARDEN_LISTEN", "0.0.0.0:9000");
  Config config = load_config("");
  EXPECT_EQ(config.listen_host, "0.0.0.0");
  EXPECT_EQ(config.listen_port, 9000);
  config = load_config_text("listen: 127.0.0.1:1234\n", "test.yaml");
  EXPECT_EQ(config.listen_port, 9000);
}

TEST_F(ConfigLoaderTest, BadEnvListenNamesTheVariable) {
  set_env("WARDEN_LISTEN", "no-port-here");
  EXPECT_PRED2(StartsWith, error_of("listen: 127.0.0.1:1234\n"),
               "WARDEN_LISTEN (environment): listen: expected host:port");
}

TEST_F(ConfigLoaderTest, EnvOverridesProviderBaseUrl) {
  set_env("WARDEN_PROVIDERS_ANTHROPIC_BASE_URL", "http://127.0.0.1:9999");
  EXPECT_EQ(load_config("").providers.at(0).base_url, "http://127.0.0.1:9999");
  const Config config = load_config_text(
      "providers:\n  anthropic:\n    base_url: https://api.anthropic.com\n    api_key: k\n",
      "t.yaml");
  ASSERT_EQ(config.providers.size(), 1u);
  EXPECT_EQ(config.providers[0].base_url, "http://127.0.0.1:9999");
  EXPECT_EQ(config.providers[0].api_key, "k");
}

TEST_F(ConfigLoaderTest, BadEnvBaseUrlNamesTheVariable) {
  set_env("WARDEN_PROVIDERS_ANTHROPIC_BASE_URL", "api.anthropic.com");
  EXPECT_PRED2(StartsWith, error_of(""),
               "WARDEN_PROVIDERS_ANTHROPIC_BASE_URL (environment): "
               "providers.anthropic.base_url: expected an http://");
}

TEST_F(ConfigLoaderTest, EnvSetsAuthMode) {
  set_env("WARDEN_AUTH_MODE", "proxy_key");
  set_env("WARDEN_AUTH_PROXY_KEY", "gw");
  const Config config = load_config("");
  EXPECT_EQ(config.auth.mode, AuthMode::kProxyKey);
  EXPECT_EQ(config.auth.proxy_key, "gw");
}

TEST_F(ConfigLoaderTest, BadEnvAuthModeNamesTheVariable) {
  set_env("WARDEN_AUTH_MODE", "secure");
  EXPECT_PRED2(StartsWith, error_of("auth:\n  mode: passthrough\n"),
               "WARDEN_AUTH_MODE (environment): auth.mode: expected passthrough");
}

TEST_F(ConfigLoaderTest, EnvProxyKeyModeWithoutKeyIsAnError) {
  set_env("WARDEN_AUTH_MODE", "both");
  EXPECT_PRED2(HasSubstr, error_of(""),
               "auth.proxy_key: auth.mode proxy_key and both need a proxy_key");
}

TEST_F(ConfigLoaderTest, EnvSetsLimits) {
  set_env("WARDEN_LIMITS_MAX_BODY_BYTES", "1048576");
  EXPECT_EQ(load_config("").limits.max_body_bytes, 1048576u);
}

TEST_F(ConfigLoaderTest, BadEnvLimitNamesTheVariable) {
  set_env("WARDEN_LIMITS_MAX_BODY_BYTES", "lots");
  EXPECT_PRED2(StartsWith, error_of(""),
               "WARDEN_LIMITS_MAX_BODY_BYTES (environment): "
               "limits.max_body_bytes: expected a number, got 'lots'");
  set_env("WARDEN_LIMITS_MAX_BODY_BYTES", "0");
  EXPECT_PRED2(StartsWith, error_of("limits:\n  max_body_bytes: 5\n"),
               "WARDEN_LIMITS_MAX_BODY_BYTES (environment): limits.max_body_bytes: "
               "must be between");
}

TEST_F(ConfigLoaderTest, EnvCreatesANewProvider) {
  set_env("WARDEN_PROVIDERS_OPENROUTER_BASE_URL", "https://openrouter.ai/api/v1");
  set_env("WARDEN_PROVIDERS_OPENROUTER_DIALECT", "openai");
  set_env("WARDEN_PROVIDERS_OPENROUTER_API_KEY", "sk-or-1");
  set_env("WARDEN_PROVIDERS_OPENROUTER_READ_TIMEOUT_SECONDS", "30");
  const Config config = load_config("");
  ASSERT_EQ(config.providers.size(), 3u);
  const ProviderConfig* added = nullptr;
  for (const auto& p : config.providers) {
    if (p.name == "openrouter") added = &p;
  }
  ASSERT_NE(added, nullptr);
  EXPECT_EQ(added->dialect, "openai");
  EXPECT_EQ(added->base_url, "https://openrouter.ai/api/v1");
  EXPECT_EQ(added->api_key, "sk-or-1");
  EXPECT_DOUBLE_EQ(added->read_timeout_seconds, 30);
  EXPECT_NE(config.provider("anthropic"), nullptr);
}

TEST_F(ConfigLoaderTest, EnvProviderNameMayContainUnderscores) {
  set_env("WARDEN_PROVIDERS_MY_PROXY_BASE_URL", "http://10.0.0.1:8080");
  set_env("WARDEN_PROVIDERS_MY_PROXY_POOL_IDLE_TIMEOUT_SECONDS", "5");
  const Config config = load_config("");
  ASSERT_EQ(config.providers.size(), 3u);  // the two defaults and this one
  const auto& p = *config.provider("my_proxy");
  EXPECT_EQ(p.name, "my_proxy");
  EXPECT_EQ(p.base_url, "http://10.0.0.1:8080");
  EXPECT_DOUBLE_EQ(p.pool_idle_timeout_seconds, 5);
}

TEST_F(ConfigLoaderTest, BadEnvProviderValueNamesTheVariable) {
  set_env("WARDEN_PROVIDERS_LOCAL_BASE_URL", "http://127.0.0.1:1");
  set_env("WARDEN_PROVIDERS_LOCAL_DIALECT", "cohere");
  EXPECT_PRED2(StartsWith, error_of(""),
               "WARDEN_PROVIDERS_LOCAL_DIALECT (environment): "
               "providers.local.dialect: expected anthropic or openai");
}

// --- ${VAR} expansion -----------------------------------------------------------------------

TEST_F(ConfigLoaderTest, DollarBraceVariablesAreExpanded) {
  set_env("CONFIG_TEST_KEY", "sk-ant-expanded");
  set_env("CONFIG_TEST_HOST", "api.example.com");
  const Config config = load_config_text(R"(
providers:
  anthropic:
    base_url: https://${CONFIG_TEST_HOST}/v1
    api_key: ${CONFIG_TEST_KEY}
)",
                                         "t.yaml");
  EXPECT_EQ(config.providers.at(0).base_url, "https://api.example.com/v1");
  EXPECT_EQ(config.providers.at(0).api_key, "sk-ant-expanded");
}

TEST_F(ConfigLoaderTest, DollarBraceDefaultsApplyWhenUnsetOrEmpty) {
  set_env("CONFIG_TEST_EMPTY", "");
  set_env("CONFIG_TEST_PORT", "8443");
  const Config config = load_config_text(R"(
listen: "${CONFIG_TEST_UNSET_HOST:-0.0.0.0}:${CONFIG_TEST_PORT:-1}"
log_level: ${CONFIG_TEST_EMPTY:-warn}
auth:
  admin_key: ${CONFIG_TEST_UNSET_KEY}
)",
                                         "t.yaml");
  EXPECT_EQ(config.listen_host, "0.0.0.0");
  EXPECT_EQ(config.listen_port, 8443);
  EXPECT_EQ(config.log_level, "warn");
  EXPECT_EQ(config.auth.admin_key, "");
}

TEST_F(ConfigLoaderTest, UnterminatedDollarBraceIsKeptAsText) {
  const Config config = load_config_text("data_dir: /tmp/${oops\n", "t.yaml");
  EXPECT_EQ(config.data_dir, "/tmp/${oops");
}

TEST_F(ConfigLoaderTest, ExpandedValueStillNamesItsLineWhenBad) {
  set_env("CONFIG_TEST_THREADS", "several");
  EXPECT_PRED2(StartsWith, error_of("log_level: info\nthreads: ${CONFIG_TEST_THREADS}\n"),
               "test.yaml:2: threads: expected a number, got 'several'");
}

TEST_F(ConfigLoaderTest, EnvOverridesAreExpandedToo) {
  set_env("CONFIG_TEST_SECRET", "from-secret");
  set_env("WARDEN_AUTH_ADMIN_KEY", "${CONFIG_TEST_SECRET}");
  EXPECT_EQ(load_config("").auth.admin_key, "from-secret");
}

}  // namespace
}  // namespace warden::config

namespace warden::config {
namespace {

TEST(ConfigLoaderEmptySectionTest, SectionWithEveryKeyCommentedOutMeansDefaults) {
  const Config config = load_config_text("auth:\n  # mode: proxy_key\nlimits:\n", "empty.yaml");
  EXPECT_EQ(config.auth.mode, AuthMode::kPassthrough);
  EXPECT_EQ(config.limits.max_body_bytes, LimitsConfig{}.max_body_bytes);
}

}  // namespace
}  // namespace warden::config

// --- Recording: storage, live events, traces ---------------------------------------------------

namespace warden::config {
namespace {

class RecordingConfigTest : public ConfigLoaderTest {};

TEST_F(RecordingConfigTest, DefaultsRecordEverythingToSqliteInTheDataDir) {
  const Config config = load_config_text("", "");
  EXPECT_EQ(config.storage.url, "");
  EXPECT_FALSE(config.storage.metadata_only);
  EXPECT_EQ(config.storage.retention_days, 0);
  EXPECT_EQ(config.storage.queue_capacity, 10000u);
  EXPECT_EQ(config.storage.batch_size, 256u);
  EXPECT_EQ(config.storage.max_body_bytes, 4u << 20);
  EXPECT_EQ(config.storage.session_header, "x-session-id");
  EXPECT_EQ(config.redis_url, "");
  EXPECT_EQ(config.otel.endpoint, "");
  EXPECT_EQ(config.otel.service_name, "warden");
}

TEST_F(RecordingConfigTest, EveryKeyIsRead) {
  const Config config = load_config_text(R"(
storage:
  url: postgresql://warden@db:5432/warden
  metadata_only: true
  retention_days: 30
  queue_capacity: 500
  batch_size: 64
  max_body_bytes: 1024
  session_header: x-agent-session
redis_url: redis://127.0.0.1:6379/2
otel:
  endpoint: http://127.0.0.1:4318/v1/traces
  service_name: gateway-eu
)", "test.yaml");
  EXPECT_EQ(config.storage.url, "postgresql://warden@db:5432/warden");
  EXPECT_TRUE(config.storage.metadata_only);
  EXPECT_EQ(config.storage.retention_days, 30);
  EXPECT_EQ(config.storage.queue_capacity, 500u);
  EXPECT_EQ(config.storage.batch_size, 64u);
  EXPECT_EQ(config.storage.max_body_bytes, 1024u);
  EXPECT_EQ(config.storage.session_header, "x-agent-session");
  EXPECT_EQ(config.redis_url, "redis://127.0.0.1:6379/2");
  EXPECT_EQ(config.otel.endpoint, "http://127.0.0.1:4318/v1/traces");
  EXPECT_EQ(config.otel.service_name, "gateway-eu");
}

TEST_F(RecordingConfigTest, TheEnvironmentOverridesEachSection) {
  set_env("WARDEN_STORAGE_URL", "sqlite:///tmp/w.db");
  set_env("WARDEN_STORAGE_METADATA_ONLY", "true");
  set_env("WARDEN_REDIS_URL", "redis://127.0.0.1:1");
  set_env("WARDEN_OTEL_ENDPOINT", "https://collector:4318/v1/traces");
  const Config config = load_config_text("storage:\n  url: x.db\n", "test.yaml");
  EXPECT_EQ(config.storage.url, "sqlite:///tmp/w.db");
  EXPECT_TRUE(config.storage.metadata_only);
  EXPECT_EQ(config.redis_url, "redis://127.0.0.1:1");
  EXPECT_EQ(config.otel.endpoint, "https://collector:4318/v1/traces");
}

TEST_F(RecordingConfigTest, BadValuesNameTheKeyAndLine) {
  EXPECT_PRED2(StartsWith, error_of("storage:\n  retention_days: -1\n"),
               "test.yaml:2: storage.retention_days: must be between");
  EXPECT_PRED2(StartsWith, error_of("storage:\n  batch_size: 0\n"),
               "test.yaml:2: storage.batch_size: must be between");
  EXPECT_PRED2(StartsWith, error_of("storage:\n  metadata: true\n"),
               "test.yaml:2: storage.metadata: unknown key");
  EXPECT_PRED2(StartsWith, error_of("redis_url: 127.0.0.1:6379\n"),
               "test.yaml:1: redis_url: expected redis://");
  EXPECT_PRED2(StartsWith, error_of("otel:\n  endpoint: collector:4318\n"),
               "test.yaml:2: otel.endpoint: expected an http:// or https:// URL");
  EXPECT_PRED2(StartsWith, error_of("otel:\n  exporter: otlp\n"), "test.yaml:2: otel.exporter: unknown key");
}

}  // namespace
}  // namespace warden::config
