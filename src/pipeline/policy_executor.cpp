#include "pipeline/policy_executor.hpp"

#include <exception>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "observability/log.hpp"

namespace warden::pipeline {

namespace asio = boost::asio;

namespace {

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

asio::awaitable<bool> send(EventChannel& out, core::StreamEvent& event) {
  const boost::system::error_code ok;
  auto [ec] = co_await out.async_send(ok, std::move(event), kNoThrow);
  co_return !ec;
}

}  // namespace

asio::awaitable<void> PolicyExecutor::run_hooks(core::StreamEvent& event) {
  stream_context_.begin_event(event);
  co_await policy_.on_chunk_received(stream_context_);
  if (event.is<core::MessageDelta>()) {
    co_await policy_.on_finish_reason(stream_context_);
  }
}

asio::awaitable<void> PolicyExecutor::run(EventChannel& in, EventChannel& out) {
  bool failed = false;
  while (!failed) {
    auto [ec, event] = co_await in.async_receive(kNoThrow);
    if (ec == asio::error::eof) break;
    if (ec) co_return;  // aborted
    try {
      co_await run_hooks(event);
    } catch (const std::exception& e) {
      // Fail closed: the client learns the policy failed; nothing unchecked goes out.
      observability::log(observability::LogLevel::kError, "policy failed",
                         {{"policy", policy_.name()}, {"error", e.what()},
                          {"transaction", stream_context_.policy_context().transaction_id}});
      stream_context_.emitted().clear();
      event.payload = core::StreamError{
          "api_error", "Warden policy '" + std::string(policy_.name()) + "' failed: " + e.what()};
      event.modified = true;
      failed = true;
    }
    for (auto& emitted : stream_context_.emitted()) {
      const bool sent = co_await send(out, emitted);
      if (!sent) co_return;
    }
    stream_context_.emitted().clear();
    if (!stream_context_.current_dropped() || failed) {
      const bool sent = co_await send(out, event);
      if (!sent) co_return;
    }
  }
  if (!failed) {
    core::StreamEvent none{core::Ping{}, {}, false};
    stream_context_.begin_event(none);
    try {
      co_await policy_.on_stream_complete(stream_context_);
    } catch (const std::exception& e) {
      observability::log(observability::LogLevel::kError, "policy failed at stream end",
                         {{"policy", policy_.name()}, {"error", e.what()}});
    }
    for (auto& emitted : stream_context_.emitted()) {
      const bool sent = co_await send(out, emitted);
      if (!sent) co_return;
    }
  }
  const boost::system::error_code end = asio::error::eof;
  core::StreamEvent marker{core::Ping{}, {}, false};
  co_await out.async_send(end, std::move(marker), kNoThrow);
  // After a failure nobody reads the rest: closing the input stops the reader
  // (and so the upstream read) instead of leaving it blocked on a full channel.
  if (failed) close_channel(in);
}

}  // namespace warden::pipeline
