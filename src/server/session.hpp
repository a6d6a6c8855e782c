#pragma once
// One client connection: read requests (with size and time limits), route
// them, answer; keep-alive until the client closes or Warden drains.

#include <memory>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "server/services.hpp"

namespace warden::server {

// Spawned per accepted socket; takes everything by value.
boost::asio::awaitable<void> run_session(boost::asio::ip::tcp::socket socket,
                                         std::shared_ptr<Services> services);

}  // namespace warden::server
