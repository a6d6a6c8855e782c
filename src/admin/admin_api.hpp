#pragma once
// The admin API's JSON endpoints (README, "Admin API"), as pure request →
// reply: the server does authentication, the live event stream and writing.
//
//   GET /admin/transactions       a page of transactions, newest first; filters
//                                 from, to (Unix ms or RFC 3339), model, status,
//                                 outcome, action, session, caller, q (free text),
//                                 limit (≤ 1000), cursor (from the last page)
//   GET /admin/transactions/{id}  one transaction: original vs final request
//                                 and response, raw bytes, policy events;
//                                 ?bodies=false: the summary and events only
//   GET /admin/sessions           sessions by latest activity: counts, tokens,
//                                 models; filters from, to, q (session id
//                                 text), limit, cursor
//   GET /admin/policy             the active policy configuration, and how
//                                 often each policy acted in the last hour and day
//
// Errors are {"error": {"type": …, "message": …}} with a 4xx/5xx status.

#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>
#include <boost/json/value.hpp>

#include "admin/record_reader.hpp"

namespace warden::admin {

struct Reply {
  unsigned status = 200;
  std::string body;  // JSON
};

Reply error_reply(unsigned status, std::string_view type, std::string_view message);

class AdminApi final {
 public:
  // `policy`: the `policy:` section as configured; `chain`: the policy names in order.
  AdminApi(RecordReader& reader, boost::json::value policy, std::vector<std::string> chain);

  // `target` is the request target (path and query) of a GET under /admin/.
  boost::asio::awaitable<Reply> handle(std::string_view target);

 private:
  boost::asio::awaitable<Reply> list(std::string_view target);
  boost::asio::awaitable<Reply> one(std::string id, std::string_view target);
  boost::asio::awaitable<Reply> policy();
  boost::asio::awaitable<Reply> sessions(std::string_view target);

  RecordReader& reader_;
  boost::json::value policy_;
  std::vector<std::string> chain_;
};

}  // namespace warden::admin
