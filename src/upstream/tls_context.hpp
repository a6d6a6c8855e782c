#pragma once
// The OpenSSL client context for one provider: system trust store (plus the
// provider's ca_file), peer verification on. Host name checking and SNI are
// set per connection (connection_pool.cpp).

#include <memory>
#include <string>

#include <boost/asio/ssl/context.hpp>

namespace warden::upstream {

// Throws std::runtime_error when ca_file cannot be loaded.
std::shared_ptr<boost::asio::ssl::context> make_client_tls_context(const std::string& ca_file);

}  // namespace warden::upstream
