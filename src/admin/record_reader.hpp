#pragma once
// Reads the store for the admin API without blocking an I/O thread: each
// call hops to the reader's own thread (with its own connection), runs the
// query there, and completes back on the caller's executor.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>

#include "core/result.hpp"
#include "storage/store.hpp"

namespace warden::admin {

using ActionCounts = std::vector<std::pair<std::string, std::int64_t>>;

class RecordReader final {
 public:
  explicit RecordReader(std::unique_ptr<storage::Store> store);
  ~RecordReader();
  RecordReader(const RecordReader&) = delete;
  RecordReader& operator=(const RecordReader&) = delete;

  boost::asio::awaitable<core::Result<std::vector<storage::TransactionRecord>>> list(
      storage::TransactionQuery query);
  boost::asio::awaitable<core::Result<std::optional<storage::TransactionRecord>>> get(
      std::string id);
  boost::asio::awaitable<core::Result<ActionCounts>> action_counts(std::int64_t since_us);
  boost::asio::awaitable<core::Result<std::vector<storage::SessionSummary>>> sessions(
      storage::SessionQuery query);

 private:
  // The same, run on the reader's thread.
  boost::asio::awaitable<core::Result<std::vector<storage::TransactionRecord>>> list_here(
      storage::TransactionQuery query);
  boost::asio::awaitable<core::Result<std::optional<storage::TransactionRecord>>> get_here(
      std::string id);
  boost::asio::awaitable<core::Result<ActionCounts>> action_counts_here(std::int64_t since_us);
  boost::asio::awaitable<core::Result<std::vector<storage::SessionSummary>>> sessions_here(
      storage::SessionQuery query);

  std::unique_ptr<storage::Store> store_;
  boost::asio::thread_pool thread_{1};
};

}  // namespace warden::admin
