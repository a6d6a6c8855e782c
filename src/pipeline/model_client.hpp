#pragma once
// policy::ModelClient over Warden's own upstream client: a non-streaming
// request to a configured provider (Anthropic Messages or OpenAI Chat
// Completions, by its dialect), with the provider's own key and the request's
// timeout. Used by judge policies.

#include <memory>

#include "policy/model_client.hpp"
#include "upstream/router.hpp"

namespace warden::pipeline {

// Clients for the providers `router` knows. The router must outlive them.
policy::ModelClientFactory model_client_factory(const upstream::Router& router);

}  // namespace warden::pipeline
