#pragma once
// Warden's configuration: every key has a default, so `warden serve` runs with
// no file. README.md documents every key; config_loader.cpp reads them.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "config/options.hpp"

namespace warden::config {

struct ProviderConfig {
  std::string name;
  std::string dialect = "anthropic";
  std::string base_url;
  std::string api_key;  // the server's key, used in proxy_key/both modes
  std::string ca_file;  // extra CA bundle (PEM) trusted for this provider, besides the system's
  double connect_timeout_seconds = 10;
  double read_timeout_seconds = 600;  // per read; non-streaming calls can take minutes
  std::size_t pool_max_idle = 64;     // idle keep-alive connections kept per I/O thread
  double pool_idle_timeout_seconds = 30;
  // When Warden itself speaks Anthropic to this provider (for an OpenAI client).
  std::string anthropic_version = "2023-06-01";
  std::int64_t default_max_tokens = 8192;  // for OpenAI clients that set no limit
  std::vector<std::string> models;         // listed by GET /v1/models
};

// A model name (glob: `*`, `?`) → a provider; `model` renames it upstream (an alias).
struct RouteConfig {
  std::string match;
  std::string provider;
  std::string model;  // empty: the client's model name goes upstream unchanged
};

enum class AuthMode { kPassthrough, kProxyKey, kBoth };

struct AuthConfig {
  AuthMode mode = AuthMode::kPassthrough;
  std::string proxy_key;
  std::string proxy_key_header = "x-warden-key";
  std::string admin_key;
  bool admin_localhost_exempt = true;
};

struct LimitsConfig {
  std::size_t max_body_bytes = 10 * 1024 * 1024;
  std::size_t max_header_bytes = 64 * 1024;
  double header_timeout_seconds = 30;  // whole request head must arrive within this
  double body_timeout_seconds = 120;
  std::size_t max_upstream_body_bytes = 64 * 1024 * 1024;
};

// How a stream runs through the policies (README, "stream").
struct StreamConfig {
  std::size_t channel_capacity = 64;           // events buffered between pipeline stages
  double policy_timeout_seconds = 60;          // a hook without progress or keepalive() this long fails
  double client_stall_timeout_seconds = 60;    // a client that reads nothing this long is cut off
  std::size_t max_buffer_bytes = 16 << 20;     // per policy per stream: assembled content, held events
  bool validate = false;                       // check every client stream against the grammar (debug)
};

// Where transactions are recorded (README, "storage").
struct StorageConfig {
  std::string url;                   // "" = sqlite file warden.db in data_dir; or postgresql://…
  bool metadata_only = false;        // store no bodies: no prompts, answers or headers
  double retention_days = 0;         // delete older records; 0 = keep them
  std::size_t queue_capacity = 10000;  // records waiting for the writer; beyond, dropped and counted
  std::size_t batch_size = 256;        // records per database transaction
  std::size_t max_body_bytes = 4 << 20;  // per stored body; longer ones are cut (and marked)
  std::string session_header = "x-session-id";  // a client header naming its session
};

// OpenTelemetry traces over OTLP/HTTP JSON; no endpoint = no export.
struct OtelConfig {
  std::string endpoint;  // e.g. http://127.0.0.1:4318/v1/traces
  std::string service_name = "warden";
};

struct Config {
  std::string listen_host = "127.0.0.1";
  std::uint16_t listen_port = 8000;
  int threads = 0;  // I/O threads; 0 = one per core
  std::string data_dir = "~/.local/share/warden";
  double shutdown_grace_seconds = 30;
  std::string log_level = "info";
  AuthConfig auth;
  LimitsConfig limits;
  std::vector<ProviderConfig> providers;
  std::vector<RouteConfig> routes;  // first match wins
  StreamConfig stream;
  StorageConfig storage;
  std::string redis_url;  // share live events across instances; "" = in-process only
  OtelConfig otel;
  // The `policy:` section (type and options), read by policy/registry.hpp;
  // absent = noop.
  Options policy;

  const ProviderConfig* provider(std::string_view name) const;
};

}  // namespace warden::config
