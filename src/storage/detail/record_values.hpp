#pragma once
// TransactionRecord ↔ the values of one row, in kColumns order.

#include <vector>

#include "storage/detail/statements.hpp"
#include "storage/transaction_record.hpp"

namespace warden::storage::detail {

// The values to bind to upsert_sql(): all kColumns, text made storable.
std::vector<SqlValue> record_values(const TransactionRecord& record);

// A record from a row whose columns are kColumns (or its first
// kMetadataColumns when !with_bodies). `Row` reads column i with text(i),
// int64(i) and boolean(i); each backend supplies its own.
template <class Row>
TransactionRecord read_record(const Row& row, bool with_bodies) {
  TransactionRecord r;
  int i = 0;
  r.id = row.text(i++);
  r.trace_id = row.text(i++);
  r.started_at_us = row.int64(i++);
  r.upstream_first_byte_us = row.int64(i++);
  r.client_first_byte_us = row.int64(i++);
  r.duration_us = row.int64(i++);
  r.endpoint = row.text(i++);
  r.dialect = row.text(i++);
  r.provider = row.text(i++);
  r.model = row.text(i++);
  r.upstream_model = row.text(i++);
  r.stream = row.boolean(i++);
  r.status = static_cast<int>(row.int64(i++));
  r.outcome = row.text(i++);
  r.error = row.text(i++);
  r.input_tokens = row.int64(i++);
  r.output_tokens = row.int64(i++);
  r.cache_read_tokens = row.int64(i++);
  r.cache_creation_tokens = row.int64(i++);
  r.caller = row.text(i++);
  r.session_id = row.text(i++);
  r.policy_actions = row.text(i++);
  if (!with_bodies) return r;
  r.request_headers = row.text(i++);
  r.original_request = row.text(i++);
  r.final_request = row.text(i++);
  r.original_response = row.text(i++);
  r.final_response = row.text(i++);
  r.ingress = row.text(i++);
  r.egress = row.text(i++);
  r.policy_events = row.text(i++);
  if (row.int64(i++) != 0) r.egress = r.ingress;
  return r;
}

}  // namespace warden::storage::detail
