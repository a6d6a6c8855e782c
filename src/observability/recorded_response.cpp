#include "observability/recorded_response.hpp"

#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "api/anthropic/event_codec.hpp"
#include "api/openai/stream_decoder.hpp"
#include "api/translate/response_translation.hpp"
#include "core/message_assembly.hpp"
#include "core/sse_framer.hpp"

namespace warden::observability {

namespace json = boost::json;

namespace {

constexpr std::size_t kMaxEventBytes = 16 << 20;

// Feeds each SSE event of either dialect into one assembly.
class Assembler final : public core::SseFramer::Sink {
 public:
  Assembler(core::Dialect dialect, const std::string& model)
      : anthropic_(dialect == core::Dialect::kAnthropic), openai_(model) {}

  void on_event(const core::SseFramer::Event& sse) override {
    if (!sse.has_data) return;
    events_.clear();
    if (anthropic_) {
      auto event = api::anthropic::decode_event(sse.has_name ? sse.name : "message", sse.data, {});
      if (event) events_.push_back(std::move(*event));
    } else if (!openai_.feed(sse.data, {}, events_)) {
      return;
    }
    apply();
  }
  void on_oversized(std::size_t) override {}

  std::string finish() {
    if (!anthropic_) {
      events_.clear();
      openai_.finish(events_);
      apply();
    }
    if (!assembly_.started()) return {};
    return json::serialize(assembly_.to_json());
  }

 private:
  void apply() {
    for (const auto& e : events_) assembly_.apply(e);
  }

  bool anthropic_;
  api::openai::StreamDecoder openai_;
  core::MessageAssembly assembly_;
  std::vector<core::StreamEvent> events_;
};

}  // namespace

std::string assemble_response(core::Dialect dialect, bool stream, std::string_view bytes,
                              const std::string& model) {
  if (bytes.empty()) return {};
  if (stream) {
    Assembler assembler(dialect, model);
    core::SseFramer framer(kMaxEventBytes, assembler);
    framer.feed(bytes);
    return assembler.finish();
  }
  boost::system::error_code ec;
  json::value parsed = json::parse(bytes, ec);
  if (ec || !parsed.is_object()) return {};
  auto& object = parsed.as_object();
  if (dialect == core::Dialect::kOpenAi && object.contains("choices")) {
    auto message = api::translate::openai_to_anthropic_response(object, model);
    if (message) return json::serialize(*message);
  }
  return json::serialize(parsed);
}

}  // namespace warden::observability
