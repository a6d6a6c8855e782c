#include "admin/record_reader.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace warden::admin {

namespace asio = boost::asio;
using storage::TransactionQuery;
using storage::TransactionRecord;

RecordReader::RecordReader(std::unique_ptr<storage::Store> store) : store_(std::move(store)) {}

RecordReader::~RecordReader() { thread_.join(); }

// Each coroutine below runs on the reader's single thread, so the store's one
// connection is never used by two threads at once.
asio::awaitable<core::Result<std::vector<TransactionRecord>>> RecordReader::list_here(
    TransactionQuery query) {
  co_return store_->list(query);
}

asio::awaitable<core::Result<std::optional<TransactionRecord>>> RecordReader::get_here(
    std::string id) {
  co_return store_->get(id);
}

asio::awaitable<core::Result<ActionCounts>> RecordReader::action_counts_here(std::int64_t since_us) {
  co_return store_->action_counts(since_us);
}

asio::awaitable<core::Result<std::vector<storage::SessionSummary>>> RecordReader::sessions_here(
    storage::SessionQuery query) {
  co_return store_->sessions(query);
}

asio::awaitable<core::Result<std::vector<TransactionRecord>>> RecordReader::list(
    TransactionQuery query) {
  auto work = list_here(std::move(query));  // named: GCC 12 and co_await temporaries
  co_return co_await asio::co_spawn(thread_, std::move(work), asio::use_awaitable);
}

asio::awaitable<core::Result<std::optional<TransactionRecord>>> RecordReader::get(std::string id) {
  auto work = get_here(std::move(id));
  co_return co_await asio::co_spawn(thread_, std::move(work), asio::use_awaitable);
}

asio::awaitable<core::Result<ActionCounts>> RecordReader::action_counts(std::int64_t since_us) {
  auto work = action_counts_here(since_us);
  co_return co_await asio::co_spawn(thread_, std::move(work), asio::use_awaitable);
}

asio::awaitable<core::Result<std::vector<storage::SessionSummary>>> RecordReader::sessions(
    storage::SessionQuery query) {
  auto work = sessions_here(std::move(query));
  co_return co_await asio::co_spawn(thread_, std::move(work), asio::use_awaitable);
}

}  // namespace warden::admin
