// Micro-benchmarks of the pure code every streamed event crosses (issue 8):
// SSE framing, event decode, block assembly, the client formatters, request
// decoding, and the recorder's capture. Inputs are the recorded streams in
// tests/data, so the numbers are per real event, not per synthetic one.
//
//   build/bench/micro/hot_path_bench [--benchmark_filter=Sse]

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "api/anthropic/client_formatter.hpp"
#include "api/anthropic/event_codec.hpp"
#include "api/anthropic/request_decoder.hpp"
#include "api/openai/client_formatter.hpp"
#include "core/byte_capture.hpp"
#include "core/message_assembly.hpp"
#include "upstream/sse_parser.hpp"

namespace {

using namespace warden;

std::string read_data(const std::string& name) {
  std::ifstream in(std::string(WARDEN_TEST_DATA_DIR) + "/" + name, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

const std::string& text_stream() {
  static const std::string bytes = read_data("anthropic/text_stream.sse");
  return bytes;
}

std::vector<upstream::SseEvent> sse_events(const std::string& bytes) {
  upstream::SseParser parser;
  std::vector<upstream::SseEvent> out;
  parser.feed(bytes, out);
  parser.finish(out);
  return out;
}

std::vector<core::StreamEvent> decoded_events(const std::string& bytes) {
  std::vector<core::StreamEvent> out;
  for (auto& sse : sse_events(bytes)) {
    auto event = api::anthropic::decode_event(sse.event, sse.data, sse.raw);
    if (event) out.push_back(std::move(*event));
  }
  return out;
}

void set_per_event(benchmark::State& state, std::size_t events, std::size_t bytes) {
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * events));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes));
}

// The upstream body, as reads of `range(0)` bytes.
void SseFraming(benchmark::State& state) {
  const std::string& bytes = text_stream();
  const auto piece = static_cast<std::size_t>(state.range(0));
  std::vector<upstream::SseEvent> out;
  std::size_t events = 0;
  for (auto _ : state) {
    upstream::SseParser parser;
    out.clear();
    for (std::size_t at = 0; at < bytes.size(); at += piece) {
      parser.feed(std::string_view(bytes).substr(at, piece), out);
    }
    events = out.size();
    benchmark::DoNotOptimize(out.data());
  }
  set_per_event(state, events, bytes.size());
}
BENCHMARK(SseFraming)->Arg(64)->Arg(16 * 1024);

void EventDecode(benchmark::State& state) {
  const auto events = sse_events(text_stream());
  for (auto _ : state) {
    for (const auto& sse : events) {
      auto event = api::anthropic::decode_event(sse.event, sse.data, sse.raw);
      benchmark::DoNotOptimize(event);
    }
  }
  set_per_event(state, events.size(), text_stream().size());
}
BENCHMARK(EventDecode);

void BlockAssembly(benchmark::State& state) {
  const auto events = decoded_events(text_stream());
  for (auto _ : state) {
    core::MessageAssembly assembly;
    for (const auto& e : events) assembly.apply(e);
    benchmark::DoNotOptimize(assembly.blocks().data());
  }
  set_per_event(state, events.size(), text_stream().size());
}
BENCHMARK(BlockAssembly);

// range(0): 1 = unchanged events (their raw bytes go out), 0 = every one re-encoded.
void AnthropicFormatter(benchmark::State& state) {
  auto events = decoded_events(text_stream());
  if (state.range(0) == 0) {
    for (auto& e : events) e.modified = true;
  }
  std::string out;
  for (auto _ : state) {
    api::anthropic::ClientFormatter formatter(true);
    out.clear();
    for (const auto& e : events) formatter.format(e, out);
    benchmark::DoNotOptimize(out.data());
  }
  set_per_event(state, events.size(), text_stream().size());
}
BENCHMARK(AnthropicFormatter)->Arg(1)->Arg(0);

// An Anthropic stream for an OpenAI client: every event translated.
void OpenAiFormatter(benchmark::State& state) {
  const auto events = decoded_events(text_stream());
  std::string out;
  for (auto _ : state) {
    api::openai::ClientFormatter formatter("claude-sonnet-4-5", true, false);
    out.clear();
    for (const auto& e : events) formatter.format(e, out);
    benchmark::DoNotOptimize(out.data());
  }
  set_per_event(state, events.size(), text_stream().size());
}
BENCHMARK(OpenAiFormatter);

// A Claude-Code-sized request: range(0) turns of history.
void RequestDecode(benchmark::State& state) {
  std::string body = R"({"model":"claude-sonnet-4-5","max_tokens":8192,"stream":true,"messages":[)";
  for (int i = 0; i < state.range(0); ++i) {
    if (i > 0) body += ',';
    body += R"({"role":"user","content":[{"type":"text","text":")" + std::string(800, 'x') +
            R"("}]},{"role":"assistant","content":[{"type":"tool_use","id":"toolu_)" +
            std::to_string(i) + R"(","name":"Bash","input":{"command":"ls -la"}}]})";
  }
  body += "]}";
  for (auto _ : state) {
    auto request = api::anthropic::decode_request(body, api::anthropic::Endpoint::kMessages);
    benchmark::DoNotOptimize(request);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * body.size()));
}
BENCHMARK(RequestDecode)->Arg(10)->Arg(100);

// What recording adds per upstream read and per client write.
void RecordingCapture(benchmark::State& state) {
  const auto events = sse_events(text_stream());
  for (auto _ : state) {
    core::ByteCapture capture;
    capture.limit = 4 << 20;
    for (const auto& e : events) capture.add(e.raw);
    benchmark::DoNotOptimize(capture.bytes.data());
  }
  set_per_event(state, events.size(), text_stream().size());
}
BENCHMARK(RecordingCapture);

}  // namespace

BENCHMARK_MAIN();
