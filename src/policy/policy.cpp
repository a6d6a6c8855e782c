#include "policy/policy.hpp"

#include <stdexcept>

namespace warden::policy {

awaitable<void> Policy::on_request(core::Request&, PolicyContext&) { co_return; }
awaitable<void> Policy::on_response(boost::json::object&, bool&, PolicyContext&) { co_return; }
awaitable<void> Policy::on_chunk_received(StreamContext&) { co_return; }
awaitable<void> Policy::on_finish_reason(StreamContext&) { co_return; }
awaitable<void> Policy::on_stream_complete(StreamContext&) { co_return; }

std::shared_ptr<Policy> make_policy(std::string_view type) {
  if (type == NoopPolicy::kType) return std::make_shared<NoopPolicy>();
  throw std::invalid_argument("unknown policy type '" + std::string(type) + "' (known: noop)");
}

}  // namespace warden::policy
