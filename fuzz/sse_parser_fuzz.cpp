// Fuzzes upstream::SseParser. The input is an SSE stream; its first byte also picks a
// split point. Checks that no split changes the events (one read, two reads, one byte
// at a time) and that the events' raw bytes plus the discarded tail are the input.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "upstream/sse_parser.hpp"

namespace {

using warden::upstream::SseEvent;
using warden::upstream::SseParser;

struct Parsed {
  std::vector<SseEvent> events;
  std::size_t discarded = 0;
};

bool same(const std::vector<SseEvent>& a, const std::vector<SseEvent>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].event != b[i].event || a[i].data != b[i].data || a[i].raw != b[i].raw) return false;
  }
  return true;
}

void check(bool ok) {
  if (!ok) std::abort();
}

Parsed parse(std::string_view input, std::size_t piece) {
  Parsed p;
  SseParser parser;
  for (std::size_t pos = 0; pos < input.size(); pos += piece) {
    check(parser.feed(input.substr(pos, piece), p.events));
  }
  p.discarded = parser.finish(p.events);
  return p;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const Parsed whole = parse(input, input.size() + 1);

  // raw of every event, then the discarded tail, is exactly the input.
  std::string raw;
  for (const auto& e : whole.events) {
    check(!e.raw.empty() && e.data.size() < e.raw.size());
    raw += e.raw;
  }
  check(raw.size() + whole.discarded == input.size());
  check(input.starts_with(raw));

  // Split in two at a point picked by the first byte.
  const std::size_t at = size == 0 ? 0 : data[0] * (size + 1) / 256;
  Parsed split;
  SseParser parser;
  check(parser.feed(input.substr(0, at), split.events));
  check(parser.feed(input.substr(at), split.events));
  split.discarded = parser.finish(split.events);
  check(same(split.events, whole.events) && split.discarded == whole.discarded);

  if (size <= 4096) {
    const Parsed bytewise = parse(input, 1);
    check(same(bytewise.events, whole.events) && bytewise.discarded == whole.discarded);
  }

  // A limit smaller than the input: the events come out up to the first one larger than
  // the limit, whatever the read size; that one fails the parser.
  const std::size_t limit = size / 2;
  std::size_t fit = 0;
  while (fit < whole.events.size() && whole.events[fit].raw.size() <= limit) ++fit;
  SseParser small(limit);
  std::vector<SseEvent> limited;
  for (std::size_t pos = 0; pos < input.size(); pos += 7) {
    if (!small.feed(input.substr(pos, 7), limited)) break;
  }
  if (!small.failed()) small.finish(limited);
  check(same(limited, std::vector<SseEvent>(whole.events.begin(), whole.events.begin() + fit)));
  check(fit == whole.events.size() || small.failed());
  return 0;
}
