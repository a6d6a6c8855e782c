#pragma once
// POST /v1/messages and /v1/messages/count_tokens: authenticate, decode,
// run the request policy, forward to the Anthropic provider, and answer —
// streamed through the pipeline, or whole.

#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "api/anthropic/request_decoder.hpp"
#include "server/client_writer.hpp"
#include "server/services.hpp"

namespace warden::server {

// Returns whether the connection may carry another request.
boost::asio::awaitable<bool> handle_messages(ClientWriter& client,
                                             http::request<http::string_body>& request,
                                             const Services& services,
                                             api::anthropic::Endpoint endpoint);

// Answers with Anthropic's error body; returns whether the write succeeded.
boost::asio::awaitable<bool> reply_error(ClientWriter& client, unsigned version, bool keep_alive,
                                         const core::Error& error);

}  // namespace warden::server
