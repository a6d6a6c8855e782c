// The `warden` command: serve | mock-upstream | check-config | version | help.

#include <cstdlib>
#include <cstring>
#include <exception>
#include <iostream>
#include <string>

#include "config/config_loader.hpp"
#include "mock/mock_upstream.hpp"
#include "pipeline/model_client.hpp"
#include "policy/registry.hpp"
#include "server/server.hpp"

namespace {

constexpr std::string_view kUsage = R"(usage: warden [command] [options]

commands:
  serve [--config FILE]         run the gateway (the default command)
  check-config [--config] FILE  validate a configuration file and exit
  mock-upstream [--host H] [--port N] [--tls-cert F --tls-key F]
                                a scripted fake of the Anthropic API, for tests and demos
  version                       print the version

The configuration file may also be given as WARDEN_CONFIG. Every key can be
overridden by WARDEN_<KEY_PATH> environment variables (see README.md).
)";

// --config FILE, --config=FILE or a bare FILE; else WARDEN_CONFIG.
std::string config_path(int argc, char** argv, int first) {
  for (int i = first; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--config" && i + 1 < argc) return argv[i + 1];
    if (arg.starts_with("--config=")) return arg.substr(9);
    if (!arg.starts_with("-")) return arg;
    throw std::invalid_argument("unknown option " + arg);
  }
  const char* env = std::getenv("WARDEN_CONFIG");
  return env != nullptr ? env : "";
}

}  // namespace

int main(int argc, char** argv) {
  using namespace warden;
  const std::string command = argc > 1 ? argv[1] : "serve";
  try {
    if (command == "serve" || command.starts_with("--config")) {
      const int first = command == "serve" ? 2 : 1;
      return server::serve(config::load_config(config_path(argc, argv, first)));
    }
    if (command == "check-config") {
      const std::string path = config_path(argc, argv, 2);
      const auto config = config::load_config(path);
      const upstream::Router router(config);  // providers, and the judges' ones
      policy::build_policy(config.policy,  // validates every policy option
                           {.model_client = pipeline::model_client_factory(router)});
      std::cout << (path.empty() ? "defaults" : path) << ": configuration is valid\n";
      return 0;
    }
    if (command == "mock-upstream") {
      return mock::run_mock_upstream(mock::parse_mock_args(argc - 2, argv + 2));
    }
    if (command == "version" || command == "--version") {
      std::cout << "warden 0.1.0\n";
      return 0;
    }
    if (command == "help" || command == "--help" || command == "-h") {
      std::cout << kUsage;
      return 0;
    }
    std::cerr << "warden: unknown command '" << command << "'\n\n" << kUsage;
    return 2;
  } catch (const config::ConfigError& e) {
    std::cerr << "warden: invalid configuration: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "warden: " << e.what() << "\n";
    return 1;
  }
}
