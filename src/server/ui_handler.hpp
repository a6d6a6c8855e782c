#pragma once
// The web UI under /ui/ (README, "Web UI"): every page path answers the one
// page (index.html), which routes itself; /ui/assets/<file> answers the
// files built into the binary. The UI is static; its data comes from the
// admin API, which checks the admin key. Every answer carries a strict
// Content-Security-Policy: scripts and styles only from Warden itself.

#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "server/client_writer.hpp"

namespace warden::server {

// Returns whether the connection may carry another request.
boost::asio::awaitable<bool> handle_ui(ClientWriter& client,
                                       const http::request<http::string_body>& request,
                                       bool keep_alive);

}  // namespace warden::server
