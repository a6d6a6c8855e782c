#pragma once

// `warden mock-upstream`: a scripted fake of the Anthropic Messages API and the OpenAI Chat
// Completions API over HTTP/1.1 or HTTPS, for tests and demos. The behaviour is specified in
// docs/mock-upstream.md; the scripted answers themselves live in mock/mock_scenarios.hpp.

#include <cstdint>
#include <string>

namespace warden::mock {

struct MockOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  std::string tls_cert;  // PEM files; both set => HTTPS
  std::string tls_key;
};

// Parses `--host H --port N --tls-cert F --tls-key F` (argv after the "mock-upstream" word;
// `--name=value` works too). Throws std::invalid_argument with a readable message on bad
// args, including only one of the two TLS files.
MockOptions parse_mock_args(int argc, char** argv);

// Serves until SIGINT/SIGTERM, then returns 0. Prints "listening on HOST:PORT\n" to stdout
// (flushed) once bound, with the real port when `port` is 0. When it cannot start (bad
// address, port in use, unreadable certificate or key) it prints the reason to stderr and
// returns 1. Runs everything on the calling thread.
int run_mock_upstream(const MockOptions& options);

}  // namespace warden::mock
