#include "storage/detail/record_values.hpp"

#include "storage/detail/search_text.hpp"
#include "storage/detail/storable_text.hpp"

namespace warden::storage::detail {

std::vector<SqlValue> record_values(const TransactionRecord& r) {
  std::vector<SqlValue> v;
  v.reserve(kColumns.size());
  auto text = [&](const std::string& s) { v.emplace_back(storable_text(s)); };
  auto number = [&](std::int64_t n) { v.emplace_back(n); };
  text(r.id);
  text(r.trace_id);
  number(r.started_at_us);
  number(r.upstream_first_byte_us);
  number(r.client_first_byte_us);
  number(r.duration_us);
  text(r.endpoint);
  text(r.dialect);
  text(r.provider);
  text(r.model);
  text(r.upstream_model);
  number(r.stream ? 1 : 0);
  number(r.status);
  text(r.outcome);
  text(r.error);
  number(r.input_tokens);
  number(r.output_tokens);
  number(r.cache_read_tokens);
  number(r.cache_creation_tokens);
  text(r.caller);
  text(r.session_id);
  text(r.policy_actions);
  text(r.request_headers);
  text(r.original_request);
  text(r.final_request);
  text(r.original_response);
  text(r.final_response);
  // An untouched stream (most of them) stores its bytes once.
  const bool egress_same = !r.egress.empty() && r.egress == r.ingress;
  text(r.ingress);
  text(egress_same ? std::string() : r.egress);
  text(r.policy_events);
  number(egress_same ? 1 : 0);
  text(search_text_of(r));
  return v;
}

}  // namespace warden::storage::detail
