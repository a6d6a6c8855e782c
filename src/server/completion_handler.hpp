#pragma once
// The generation endpoints, both dialects: POST /v1/messages,
// /v1/messages/count_tokens and /v1/chat/completions. Authenticate, decode,
// route by model, run the request policy, translate when the provider speaks
// the other dialect, forward, and answer — streamed through the pipeline, or
// whole — always in the client's dialect.

#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "observability/transaction.hpp"
#include "server/client_writer.hpp"
#include "server/services.hpp"

namespace warden::server {

enum class Endpoint { kMessages, kCountTokens, kChatCompletions };

// Returns whether the connection may carry another request.
boost::asio::awaitable<bool> handle_completion(ClientWriter& client,
                                               http::request<http::string_body>& request,
                                               const Services& services, Endpoint endpoint);

// Answers with the dialect's error body; returns whether the connection may go on.
// With `tx`, the transaction id and trace id headers are set.
boost::asio::awaitable<bool> reply_error(ClientWriter& client, core::Dialect dialect,
                                         unsigned version, bool keep_alive,
                                         const core::Error& error,
                                         const observability::Transaction* tx = nullptr);

// Answers a JSON body with `status`.
boost::asio::awaitable<bool> reply_json(ClientWriter& client, unsigned version, bool keep_alive,
                                        unsigned status, std::string body);

}  // namespace warden::server
