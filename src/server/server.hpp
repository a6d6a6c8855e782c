#pragma once
// `warden serve`: the listener, the I/O threads and graceful shutdown.
//
// One io_context per I/O thread; the acceptor hands each new connection to the
// next io_context in turn, and the connection stays there, so a connection's
// coroutines, channels and pooled upstream sockets never need a lock.
// SIGINT/SIGTERM: stop accepting, let in-flight requests finish within
// `shutdown_grace_seconds`, then stop.

#include <memory>

#include "config/config.hpp"

namespace warden::server {

// Builds providers and the policy; throws std::runtime_error on bad settings.
// Blocks until shut down; returns the process exit code.
int serve(config::Config config);

}  // namespace warden::server
