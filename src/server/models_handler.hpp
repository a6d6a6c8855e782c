#pragma once
// GET /v1/models and GET /v1/models/{id}: what the routes serve, in the
// client's dialect (Anthropic when the request carries anthropic-version,
// else OpenAI). Answered by Warden: listing never touches an upstream, so it
// cannot change routing or health.

#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "server/client_writer.hpp"
#include "server/services.hpp"

namespace warden::server {

boost::asio::awaitable<bool> handle_models(ClientWriter& client,
                                           const http::request<http::string_body>& request,
                                           const Services& services);

}  // namespace warden::server
