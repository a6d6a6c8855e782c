#pragma once
// What a policy uses to ask a model something (a judge): one prompt in, the
// model's text out. The policy layer does no I/O; the pipeline implements this
// over Warden's own upstream client (pipeline/model_client.hpp), with the
// provider's own credentials and the request's own timeout.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>

#include "core/result.hpp"

namespace warden::policy {

struct ModelRequest {
  std::string system;  // instructions
  std::string user;    // the question
  double temperature = 0;
  std::int64_t max_tokens = 256;
  std::chrono::milliseconds timeout{10'000};  // the whole exchange
};

class ModelClient {
 public:
  virtual ~ModelClient() = default;
  // The text of the model's answer. Errors: kTimeout; kUpstreamFailed (no
  // connection, an HTTP error status, an answer without text) saying which.
  virtual boost::asio::awaitable<core::Result<std::string>> complete(ModelRequest request) = 0;
};

// A client for `model` on the provider configured as `provider`; null when no
// provider has that name.
using ModelClientFactory =
    std::function<std::shared_ptr<ModelClient>(std::string_view provider, std::string_view model)>;

}  // namespace warden::policy
