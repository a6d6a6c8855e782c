#pragma once
// Operator endpoints: the admin API under /admin/ (admin/admin_api.hpp), its
// live event stream GET /admin/events (SSE), and GET /metrics (Prometheus).
// All need the admin key — `Authorization: Bearer <key>` or
// `x-warden-admin-key: <key>` — unless `auth.admin_localhost_exempt` is set
// and the caller is on a loopback address.

#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "server/client_writer.hpp"
#include "server/services.hpp"

namespace warden::server {

// Returns whether the connection may carry another request.
boost::asio::awaitable<bool> handle_admin(ClientWriter& client,
                                          const http::request<http::string_body>& request,
                                          const Services& services, bool peer_is_loopback);

}  // namespace warden::server
