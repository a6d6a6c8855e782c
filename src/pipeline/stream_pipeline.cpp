#include "pipeline/stream_pipeline.hpp"

#include <variant>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "api/anthropic/client_formatter.hpp"
#include "api/anthropic/event_codec.hpp"
#include "api/anthropic/stream_validator.hpp"
#include "api/openai/client_formatter.hpp"
#include "api/openai/stream_decoder.hpp"
#include "api/openai/stream_validator.hpp"
#include "observability/log.hpp"
#include "pipeline/event_channel.hpp"
#include "pipeline/policy_executor.hpp"
#include "upstream/sse_parser.hpp"

namespace warden::pipeline {

namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;
using observability::LogLevel;

namespace {

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

// What the stages share. Any stage that cannot go on calls abort(), which
// unblocks the others: channel operations fail and the upstream read returns.
struct StreamState {
  upstream::UpstreamCall& call;
  const StreamSpec& spec;
  PolicyExecutor& executor;
  EventChannel ingress;
  EventChannel egress;
  StreamOutcome outcome;

  void abort() {
    close_channel(ingress);
    close_channel(egress);
    call.cancel();
  }
};

// Upstream SSE events → core events, in the upstream's dialect.
class EventDecoder {
 public:
  explicit EventDecoder(const StreamSpec& spec)
      : anthropic_(spec.upstream == core::Dialect::kAnthropic), openai_(spec.client_model) {}

  core::Result<void> decode(upstream::SseEvent& sse, EventBatch& out) {
    if (!anthropic_) return openai_.feed(sse.data, std::move(sse.raw), out);
    auto event = api::anthropic::decode_event(sse.event, sse.data, std::move(sse.raw));
    if (!event) return tl::unexpected(std::move(event.error()));
    out.push_back(std::move(*event));
    return {};
  }
  // End of the upstream body (the Anthropic formatter itself notices a missing message_stop).
  void finish(EventBatch& out) {
    if (!anthropic_) openai_.finish(out);
  }

 private:
  bool anthropic_;
  api::openai::StreamDecoder openai_;
};

// Where the reader's batches go: to the policies, or, with no-ops only,
// through the executor's builder straight to the client's stage.
class Delivery {
 public:
  explicit Delivery(StreamState& state) : state_(state) {}

  // Sends `batch` on (then the end marker when `end`); false when the stream
  // was aborted.
  asio::awaitable<bool> send(EventBatch& batch, bool end) {
    EventChannel* out = &state_.ingress;
    if (state_.executor.builder_only()) {
      built_.clear();
      state_.executor.build(batch, end, built_);
      batch.swap(built_);
      out = &state_.egress;
    }
    const boost::system::error_code ok;
    if (!batch.empty()) {
      auto [ec] = co_await out->async_send(ok, std::move(batch), kNoThrow);
      batch.clear();  // moved from: a valid empty batch again
      if (ec) co_return false;
    }
    if (end) {
      const boost::system::error_code eof = asio::error::eof;
      EventBatch marker;
      auto [ec] = co_await out->async_send(eof, std::move(marker), kNoThrow);
      if (ec) co_return false;
    }
    co_return true;
  }

  // A terminal error event, then the end; the formatter stops after it.
  asio::awaitable<void> fail(std::string message) {
    EventBatch error = batch_of({core::StreamError{"api_error", std::move(message)}, {}, true});
    co_await send(error, true);
  }

 private:
  StreamState& state_;
  EventBatch built_;
};

// Stage 1: upstream body → SSE events → core::StreamEvent, one batch per read.
asio::awaitable<void> read_upstream(StreamState& state) {
  upstream::SseParser parser;
  EventDecoder decoder(state.spec);
  Delivery delivery(state);
  std::vector<upstream::SseEvent> events;
  EventBatch decoded;
  while (true) {
    auto piece = co_await state.call.read_some();
    if (!piece) {
      if (state.outcome.client_gone) co_return;
      state.outcome.error = piece.error().message;
      co_await delivery.fail(piece.error().message);
      co_return;
    }
    // The read that completes the body ends the stream too: its events and
    // the end travel together, in one client write.
    const bool end = piece->empty() || state.call.done();
    events.clear();
    if (!piece->empty() && !parser.feed(*piece, events)) {
      state.outcome.error = "Upstream sent an SSE event over the size limit";
      state.call.cancel();
      co_await delivery.fail(state.outcome.error);
      co_return;
    }
    if (end) {
      if (const std::size_t tail = parser.finish(events); tail > 0) {
        observability::log(LogLevel::kWarn, "upstream stream ended inside an event",
                           {{"discarded_bytes", tail}});
      }
    }
    for (auto& sse : events) {
      auto ok = decoder.decode(sse, decoded);
      if (!ok) {
        state.outcome.error = ok.error().message;
        state.call.cancel();
        co_await delivery.fail(ok.error().message);
        co_return;
      }
    }
    if (end) decoder.finish(decoded);
    const bool sent = co_await delivery.send(decoded, end);
    if (!sent || end) co_return;
  }
}

// Stage 2: the policies.
asio::awaitable<void> execute_policies(StreamState& state) {
  co_await state.executor.run(state.ingress, state.egress);
}

// The client's dialect: one of the two formatters, same interface.
class Formatter {
 public:
  explicit Formatter(const StreamSpec& spec) {
    const bool passthrough = spec.upstream == spec.client;
    if (spec.client == core::Dialect::kAnthropic) {
      formatter_.emplace<api::anthropic::ClientFormatter>(passthrough);
    } else {
      formatter_.emplace<api::openai::ClientFormatter>(spec.client_model, spec.include_usage,
                                                      passthrough);
    }
  }
  void format(const core::StreamEvent& e, std::string& out) {
    std::visit([&](auto& f) { f.format(e, out); }, formatter_);
  }
  void finish(std::string_view reason, std::string& out) {
    std::visit([&](auto& f) { f.finish(reason, out); }, formatter_);
  }
  bool completed() const {
    return std::visit([](const auto& f) { return f.completed(); }, formatter_);
  }

 private:
  std::variant<api::anthropic::ClientFormatter, api::openai::ClientFormatter> formatter_{
      std::in_place_index<0>, true};
};

// The debug option `stream.validate`: every byte the client gets is checked
// against its dialect's grammar, and violations are logged.
class Validator {
 public:
  explicit Validator(const StreamSpec& spec) {
    if (!spec.validate) return;
    if (spec.client == core::Dialect::kAnthropic) {
      validator_.emplace<api::anthropic::StreamValidator>();
    } else {
      validator_.emplace<api::openai::StreamValidator>();
    }
  }
  void feed(std::string_view bytes) {
    std::visit([&](auto& v) {
      if constexpr (!std::is_same_v<std::decay_t<decltype(v)>, std::monostate>) v.feed(bytes);
    }, validator_);
  }
  void finish(const std::string& transaction_id) {
    std::visit([&](auto& v) {
      if constexpr (!std::is_same_v<std::decay_t<decltype(v)>, std::monostate>) {
        v.finish();
        for (const auto& violation : v.violations()) {
          observability::log(LogLevel::kError, "stream grammar violation",
                             {{"transaction", transaction_id}, {"violation", violation}});
        }
        observability::log(LogLevel::kInfo, "stream validated",
                           {{"transaction", transaction_id},
                            {"violations", v.violations().size()},
                            {"complete", v.complete()}});
      }
    }, validator_);
  }

 private:
  std::variant<std::monostate, api::anthropic::StreamValidator, api::openai::StreamValidator>
      validator_;
};

// Stage 3: format and write. Batches already waiting in the channel go out
// in the same write, so a burst costs one syscall.
asio::awaitable<void> write_client(StreamState& state, ClientStream& client,
                                   const std::string& transaction_id) {
  Formatter formatter(state.spec);
  Validator validator(state.spec);
  std::string out;
  bool end = false;
  const auto format = [&](boost::system::error_code ec, EventBatch batch) {
    for (const auto& event : batch) formatter.format(event, out);
    if (ec) end = true;
  };
  while (!end) {
    auto [ec, batch] = co_await state.egress.async_receive(kNoThrow);
    if (ec && ec != asio::error::eof) co_return;  // aborted
    out.clear();
    format(ec, std::move(batch));
    while (!end && state.egress.try_receive(format)) {
    }
    if (end) formatter.finish(state.outcome.error, out);
    validator.feed(out);
    bool written = true;
    if (!out.empty() || end) written = co_await client.write(out, end);
    state.outcome.body_ended = written && end;
    if (!written) {
      state.outcome.client_gone = true;
      // The breaker: no error event can reach a client that reads nothing, so
      // the connection is closed, which the client sees as a cut stream.
      if (client.stalled()) state.outcome.error = "client stopped reading; stream cut off";
      state.abort();
      co_return;
    }
  }
  state.outcome.completed = formatter.completed();
  validator.finish(transaction_id);
}

asio::awaitable<void> watch_client(StreamState& state, ClientStream& client) {
  const bool gone = co_await client.wait_disconnect();
  if (gone) {
    state.outcome.client_gone = true;
    state.abort();
  }
}

}  // namespace

asio::awaitable<StreamOutcome> run_stream(upstream::UpstreamCall& call, policy::Policy& policy,
                                          policy::PolicyContext& context, ClientStream& client,
                                          const StreamSpec& spec) {
  auto executor = co_await asio::this_coro::executor;
  PolicyExecutor policies(policy, context, spec.limits);
  StreamState state{call, spec, policies, EventChannel(executor, spec.channel_capacity),
                    EventChannel(executor, spec.channel_capacity), {}};
  if (policies.builder_only()) {  // no-ops only: the reader feeds the writer
    co_await ((read_upstream(state) && write_client(state, client, context.transaction_id)) ||
              watch_client(state, client));
  } else {
    co_await ((read_upstream(state) && execute_policies(state) &&
               write_client(state, client, context.transaction_id)) ||
              watch_client(state, client));
  }
  co_return state.outcome;
}

}  // namespace warden::pipeline
