#include "upstream/sse_parser.hpp"

#include <cstdlib>
#include <fstream>
#include <initializer_list>
#include <ostream>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

namespace warden::upstream {

// Printed by gtest when two events differ.
void PrintTo(const SseEvent& e, std::ostream* os) {
  *os << "{event=" << testing::PrintToString(e.event) << ", data=" << testing::PrintToString(e.data)
      << ", raw=" << testing::PrintToString(e.raw) << "}";
}

bool operator==(const SseEvent& a, const SseEvent& b) {
  return a.event == b.event && a.data == b.data && a.raw == b.raw;
}

namespace {

// The golden Anthropic streams in tests/data/anthropic (PROTOCOLS.md 2.5), each
// with the number of events it holds. All of them end with a blank line.
struct Fixture {
  const char* file;
  std::size_t events;
};
constexpr Fixture kFixtures[] = {
    {"text_stream.sse", 9},  {"tool_use_stream.sse", 16}, {"thinking_stream.sse", 12},
    {"error_stream.sse", 4}, {"other_events.sse", 14},
};

std::string read_fixture(const std::string& name) {
  const char* dir = std::getenv("WARDEN_TEST_DATA");
  if (dir == nullptr) {
    ADD_FAILURE() << "WARDEN_TEST_DATA is not set (run through ctest or set it to tests/data)";
    return {};
  }
  const std::string path = std::string(dir) + "/anthropic/" + name;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    ADD_FAILURE() << "cannot open " << path;
    return {};
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Replaces every LF with `ending`.
std::string with_line_endings(std::string_view lf_text, std::string_view ending) {
  std::string out;
  for (char c : lf_text) {
    if (c == '\n') {
      out.append(ending);
    } else {
      out.push_back(c);
    }
  }
  return out;
}

// Feeds `pieces` one after the other, then finish().
std::vector<SseEvent> parse_pieces(std::initializer_list<std::string_view> pieces) {
  SseParser parser;
  std::vector<SseEvent> events;
  for (auto piece : pieces) EXPECT_TRUE(parser.feed(piece, events));
  parser.finish(events);
  return events;
}

std::vector<SseEvent> parse_whole(std::string_view input) { return parse_pieces({input}); }

std::vector<SseEvent> parse_split(std::string_view input, std::size_t at) {
  return parse_pieces({input.substr(0, at), input.substr(at)});
}

std::vector<SseEvent> parse_bytewise(std::string_view input) {
  SseParser parser;
  std::vector<SseEvent> events;
  for (char c : input) EXPECT_TRUE(parser.feed(std::string_view(&c, 1), events));
  parser.finish(events);
  return events;
}

std::string concat_raw(const std::vector<SseEvent>& events) {
  std::string out;
  for (const auto& e : events) out += e.raw;
  return out;
}

// Asserts that every way of splitting `input` in two, and feeding it one byte
// at a time, gives exactly `expected` (event, data and raw).
void expect_split_invariant(const std::string& input, const std::vector<SseEvent>& expected) {
  for (std::size_t at = 0; at <= input.size(); ++at) {
    const auto events = parse_split(input, at);
    ASSERT_EQ(events, expected) << "split at byte " << at << " of " << input.size();
  }
  EXPECT_EQ(parse_bytewise(input), expected) << "one byte at a time";
}

SseEvent ev(std::string event, std::string data, std::string raw) {
  return SseEvent{std::move(event), std::move(data), std::move(raw)};
}

// --- Fixture streams ------------------------------------------------------------------------

TEST(SseParserFixtures, ParsesEveryEventOfEachGoldenStream) {
  for (const auto& fixture : kFixtures) {
    SCOPED_TRACE(fixture.file);
    const std::string input = read_fixture(fixture.file);
    ASSERT_FALSE(input.empty());
    const auto events = parse_whole(input);
    ASSERT_EQ(events.size(), fixture.events);
    for (const auto& e : events) {
      // Each Anthropic event is `event: X\ndata: {"type":"X",...}\n\n`.
      EXPECT_EQ(e.raw, "event: " + e.event + "\ndata: " + e.data + "\n\n");
      EXPECT_NE(e.data.find("\"type\":"), std::string::npos);
      EXPECT_EQ(e.data.find('\n'), std::string::npos);
    }
  }
}

TEST(SseParserFixtures, RawOfAllEventsReproducesTheInputExactly) {
  for (const auto& fixture : kFixtures) {
    SCOPED_TRACE(fixture.file);
    const std::string input = read_fixture(fixture.file);
    EXPECT_EQ(concat_raw(parse_whole(input)), input);
  }
}

TEST(SseParserFixtures, SameEventsWhenSplitAtEveryByteBoundaryOrFedByteByByte) {
  for (const auto& fixture : kFixtures) {
    SCOPED_TRACE(fixture.file);
    const std::string input = read_fixture(fixture.file);
    const auto expected = parse_whole(input);
    ASSERT_EQ(expected.size(), fixture.events);
    expect_split_invariant(input, expected);
  }
}

TEST(SseParserFixtures, CrlfAndLoneCrVersionsGiveTheSameEventsAtEverySplit) {
  for (const auto& fixture : kFixtures) {
    for (std::string_view ending : {"\r\n", "\r"}) {
      SCOPED_TRACE(std::string(fixture.file) + (ending == "\r" ? " CR" : " CRLF"));
      const std::string lf = read_fixture(fixture.file);
      const std::string input = with_line_endings(lf, ending);
      const auto lf_events = parse_whole(lf);
      const auto events = parse_whole(input);
      ASSERT_EQ(events.size(), lf_events.size());
      for (std::size_t i = 0; i < events.size(); ++i) {
        EXPECT_EQ(events[i].event, lf_events[i].event);
        EXPECT_EQ(events[i].data, lf_events[i].data);
        EXPECT_EQ(events[i].raw, with_line_endings(lf_events[i].raw, ending));
      }
      EXPECT_EQ(concat_raw(events), input);
      expect_split_invariant(input, events);
    }
  }
}

TEST(SseParserFixtures, SeveralFixturesBackToBackSplitAnywhere) {
  std::string input;
  std::size_t count = 0;
  for (const auto& fixture : kFixtures) {
    input += read_fixture(fixture.file);
    count += fixture.events;
  }
  const auto events = parse_whole(input);
  ASSERT_EQ(events.size(), count);
  EXPECT_EQ(concat_raw(events), input);
  expect_split_invariant(input, events);
}

TEST(SseParserSplits, EveryThreeWaySplitOfASmallMixedInputGivesTheSameEvents) {
  // Comments, CRLF, lone CR, a two-line data, a BOM and a non-ASCII character.
  const std::string input =
      "\xEF\xBB\xBF: hi\r\nevent: a\rdata: x\r\ndata:\xC3\xA9\n\r\nevent: b\ndata: {}\r\r";
  const std::vector<SseEvent> expected = {
      ev("a", "x\n\xC3\xA9", "\xEF\xBB\xBF: hi\r\nevent: a\rdata: x\r\ndata:\xC3\xA9\n\r\n"),
      ev("b", "{}", "event: b\ndata: {}\r\r"),
  };
  ASSERT_EQ(parse_whole(input), expected);
  for (std::size_t i = 0; i <= input.size(); ++i) {
    for (std::size_t j = i; j <= input.size(); ++j) {
      const std::string_view in(input);
      const auto events = parse_pieces({in.substr(0, i), in.substr(i, j - i), in.substr(j)});
      ASSERT_EQ(events, expected) << "split at " << i << " and " << j;
    }
  }
}

TEST(SseParserSplits, DatalessBytesFromEarlierReadsStayWithTheNextEvent) {
  SseParser parser;
  std::vector<SseEvent> events;
  ASSERT_TRUE(parser.feed(": ping\n\n", events));
  ASSERT_TRUE(parser.feed("event: a\n\n", events));
  ASSERT_TRUE(parser.feed("data: x\n", events));
  EXPECT_TRUE(events.empty());
  ASSERT_TRUE(parser.feed("\ndata: y\n\n", events));
  const std::vector<SseEvent> expected = {
      ev("message", "x", ": ping\n\nevent: a\n\ndata: x\n\n"),
      ev("message", "y", "data: y\n\n"),
  };
  EXPECT_EQ(events, expected);
  EXPECT_EQ(parser.finish(events), 0u);
}

TEST(SseParserSplits, LineSpanningManyReadsBetweenWholeEvents) {
  const std::string long_data(300, 'z');
  const std::string input = "data: 1\n\ndata: " + long_data + "\r\n\r\ndata: 2\n\n";
  SseParser parser;
  std::vector<SseEvent> events;
  for (std::size_t pos = 0; pos < input.size(); pos += 16) {
    ASSERT_TRUE(parser.feed(std::string_view(input).substr(pos, 16), events));
  }
  const std::vector<SseEvent> expected = {
      ev("message", "1", "data: 1\n\n"),
      ev("message", long_data, "data: " + long_data + "\r\n\r\n"),
      ev("message", "2", "data: 2\n\n"),
  };
  EXPECT_EQ(events, expected);
}

TEST(SseParserSplits, RandomReadSizesIncludingEmptyReadsGiveTheSameEvents) {
  std::string lf;
  for (const auto& fixture : kFixtures) lf += read_fixture(fixture.file);
  std::mt19937 rng(7);  // fixed seed: reproducible
  for (std::string_view ending : {"\n", "\r\n", "\r"}) {
    SCOPED_TRACE(ending == "\n" ? "LF" : (ending == "\r" ? "CR" : "CRLF"));
    const std::string input = with_line_endings(lf, ending);
    const auto expected = parse_whole(input);
    for (int round = 0; round < 50; ++round) {
      SseParser parser;
      std::vector<SseEvent> events;
      for (std::size_t pos = 0; pos < input.size();) {
        const std::size_t n = rng() % 80;  // 0: an empty read
        ASSERT_TRUE(parser.feed(std::string_view(input).substr(pos, n), events));
        pos += n;
      }
      EXPECT_EQ(parser.finish(events), 0u);
      ASSERT_EQ(events, expected) << "round " << round;
    }
  }
}

// --- Line endings ---------------------------------------------------------------------------

TEST(SseParserLineEndings, LfCrlfAndLoneCrAreAllLineEndings) {
  EXPECT_EQ(parse_whole("event: a\ndata: 1\n\n"),
            (std::vector<SseEvent>{ev("a", "1", "event: a\ndata: 1\n\n")}));
  EXPECT_EQ(parse_whole("event: a\r\ndata: 1\r\n\r\n"),
            (std::vector<SseEvent>{ev("a", "1", "event: a\r\ndata: 1\r\n\r\n")}));
  EXPECT_EQ(parse_whole("event: a\rdata: 1\r\r"),
            (std::vector<SseEvent>{ev("a", "1", "event: a\rdata: 1\r\r")}));
}

TEST(SseParserLineEndings, MixedEndingsInOneStream) {
  const std::string input = "event: a\r\ndata: 1\r\rdata: 2\n\r\nevent: b\rdata: 3\n\n";
  const std::vector<SseEvent> expected = {
      ev("a", "1", "event: a\r\ndata: 1\r\r"),
      ev("message", "2", "data: 2\n\r\n"),
      ev("b", "3", "event: b\rdata: 3\n\n"),
  };
  EXPECT_EQ(parse_whole(input), expected);
  expect_split_invariant(input, expected);
}

TEST(SseParserLineEndings, CrAtEndOfReadThenLfIsOneLineEndingNotAPhantomEmptyLine) {
  SseParser parser;
  std::vector<SseEvent> events;
  ASSERT_TRUE(parser.feed("event: a\r\ndata: x\r", events));
  EXPECT_TRUE(events.empty());
  // If the CR had ended the line and the LF counted as a second (empty) line, "x"
  // would be dispatched here, before its second data line.
  ASSERT_TRUE(parser.feed("\ndata: y\r", events));
  EXPECT_TRUE(events.empty());
  ASSERT_TRUE(parser.feed("\n\r", events));
  EXPECT_TRUE(events.empty()) << "the final CR may still be followed by LF";
  ASSERT_TRUE(parser.feed("\n", events));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0], ev("a", "x\ny", "event: a\r\ndata: x\r\ndata: y\r\n\r\n"));
}

TEST(SseParserLineEndings, CrAtEndOfReadFollowedByAnotherLineIsALoneCr) {
  SseParser parser;
  std::vector<SseEvent> events;
  ASSERT_TRUE(parser.feed("data: x\r", events));
  ASSERT_TRUE(parser.feed("data: y\r", events));
  ASSERT_TRUE(parser.feed("\r", events));
  EXPECT_TRUE(events.empty());
  ASSERT_TRUE(parser.feed("event: next\n", events));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0], ev("message", "x\ny", "data: x\rdata: y\r\r"));
}

TEST(SseParserLineEndings, EmptyReadWhileACrIsPendingChangesNothing) {
  SseParser parser;
  std::vector<SseEvent> events;
  ASSERT_TRUE(parser.feed("data: x\r", events));
  ASSERT_TRUE(parser.feed("", events));
  ASSERT_TRUE(parser.feed("\n", events));
  ASSERT_TRUE(parser.feed("", events));
  ASSERT_TRUE(parser.feed("\r\n", events));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0], ev("message", "x", "data: x\r\n\r\n"));
}

TEST(SseParserLineEndings, FinishTreatsAPendingCrAsALineEnding) {
  SseParser parser;
  std::vector<SseEvent> events;
  ASSERT_TRUE(parser.feed("data: x\r\r", events));
  EXPECT_TRUE(events.empty());
  EXPECT_EQ(parser.finish(events), 0u);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0], ev("message", "x", "data: x\r\r"));
}

// --- Fields ---------------------------------------------------------------------------------

TEST(SseParserFields, CommentsAreIgnoredAndTheirBytesGoWithTheNextEvent) {
  const std::string input = ": ping\n\n:\nevent: a\n: between\ndata: 1\n\n";
  const std::vector<SseEvent> expected = {ev("a", "1", input)};
  EXPECT_EQ(parse_whole(input), expected);
  expect_split_invariant(input, expected);
}

TEST(SseParserFields, DataWithoutSpaceAfterColonAndOnlyOneSpaceRemoved) {
  EXPECT_EQ(parse_whole("data:x\n\n")[0].data, "x");
  EXPECT_EQ(parse_whole("data: x\n\n")[0].data, "x");
  EXPECT_EQ(parse_whole("data:  x\n\n")[0].data, " x");
  EXPECT_EQ(parse_whole("data:x \n\n")[0].data, "x ");
  EXPECT_EQ(parse_whole("event:a\ndata:x\n\n")[0].event, "a");
  EXPECT_EQ(parse_whole("data: a:b: c\n\n")[0].data, "a:b: c");
}

TEST(SseParserFields, MultipleDataLinesAreJoinedWithNewline) {
  const auto events = parse_whole("data: {\"a\":\ndata: 1}\ndata:\ndata: end\n\n");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].data, "{\"a\":\n1}\n\nend");
}

TEST(SseParserFields, LineWithoutColonIsAFieldWithEmptyValue) {
  // `data` alone appends an empty line; `event` alone resets the type to "message".
  auto events = parse_whole("data\ndata\n\n");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].data, "\n");
  events = parse_whole("event: a\nevent\ndata: x\n\n");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].event, "message");
}

TEST(SseParserFields, UnknownFieldsIdAndRetryAreIgnored) {
  const std::string input =
      "id: 7\nretry: 1000\nfoo: bar\nevent: a\nEvent: b\nDATA: no\ndata: x\n\n";
  const auto events = parse_whole(input);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0], ev("a", "x", input));  // field names are case-sensitive
}

TEST(SseParserFields, EventWithoutEventFieldIsNamedMessage) {
  EXPECT_EQ(parse_whole("data: x\n\n")[0].event, "message");
  EXPECT_EQ(parse_whole("event:\ndata: x\n\n")[0].event, "message");
}

TEST(SseParserFields, LastEventFieldWins) {
  EXPECT_EQ(parse_whole("event: a\nevent: b\ndata: x\n\n")[0].event, "b");
}

TEST(SseParserFields, BlankLineWithoutDataDispatchesNothingAndResetsTheEventType) {
  const std::string input = "event: a\n\ndata: x\n\n\n\n";
  const auto events = parse_whole(input);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0], ev("message", "x", "event: a\n\ndata: x\n\n"));
}

TEST(SseParserFields, EventTypeDoesNotLeakIntoTheNextEvent) {
  const auto events = parse_whole("event: a\ndata: 1\n\ndata: 2\n\n");
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].event, "a");
  EXPECT_EQ(events[1].event, "message");
}

TEST(SseParserFields, NonAsciiSplitInsideAUtf8CharacterIsKeptIntact) {
  const std::string input = "data: \xF0\x9F\x8C\xB0 caf\xC3\xA9\n\n";
  const std::vector<SseEvent> expected = {ev("message", "\xF0\x9F\x8C\xB0 caf\xC3\xA9", input)};
  expect_split_invariant(input, expected);
}

// --- BOM ------------------------------------------------------------------------------------

TEST(SseParserBom, LeadingBomIsIgnoredButKeptInRaw) {
  const std::string input =
      "\xEF\xBB\xBF"
      "event: a\ndata: x\n\n";
  const std::vector<SseEvent> expected = {ev("a", "x", input)};
  EXPECT_EQ(parse_whole(input), expected);
  expect_split_invariant(input, expected);
}

TEST(SseParserBom, BomOnlyCountsAtTheVeryStart) {
  // A BOM later in the stream is part of the field name, so this line is an unknown field.
  const auto events = parse_whole(
      "data: 1\n\n\xEF\xBB\xBF"
      "data: 2\n\ndata: 3\n\n");
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].data, "1");
  EXPECT_EQ(events[1].data, "3");
}

// --- End of stream and limits ---------------------------------------------------------------

TEST(SseParserFinish, UnterminatedFinalEventIsDiscardedAndItsSizeReturned) {
  SseParser parser;
  std::vector<SseEvent> events;
  ASSERT_TRUE(parser.feed("data: 1\n\nevent: a\ndata: 2\n", events));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(parser.finish(events), std::string_view("event: a\ndata: 2\n").size());
  EXPECT_EQ(events.size(), 1u);
}

TEST(SseParserFinish, UnterminatedLineIsDiscarded) {
  SseParser parser;
  std::vector<SseEvent> events;
  ASSERT_TRUE(parser.feed("data: 1\n\ndata: {\"partial", events));
  EXPECT_EQ(parser.finish(events), 15u);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].data, "1");
}

TEST(SseParserFinish, CleanEndDiscardsNothing) {
  SseParser parser;
  std::vector<SseEvent> events;
  ASSERT_TRUE(parser.feed("data: 1\n\n", events));
  EXPECT_EQ(parser.finish(events), 0u);
  EXPECT_EQ(events.size(), 1u);
}

TEST(SseParserLimits, EventLargerThanTheLimitMakesFeedFail) {
  // Delivered in small reads, as from a socket.
  SseParser parser(64);
  std::vector<SseEvent> events;
  const std::string input = "data: " + std::string(100, 'x') + "\n\n";
  bool ok = true;
  for (std::size_t pos = 0; pos < input.size() && ok; pos += 10) {
    ok = parser.feed(std::string_view(input).substr(pos, 10), events);
  }
  EXPECT_FALSE(ok);
  EXPECT_TRUE(parser.failed());
  EXPECT_TRUE(events.empty());
  // Once failed, everything else is refused.
  EXPECT_FALSE(parser.feed("data: small\n\n", events));
  EXPECT_TRUE(events.empty());
}

TEST(SseParserLimits, EventLargerThanTheLimitFailsEvenWhenItArrivesInOneRead) {
  SseParser parser(64);
  std::vector<SseEvent> events;
  EXPECT_FALSE(parser.feed("data: " + std::string(100, 'x') + "\n\n", events));
  EXPECT_TRUE(parser.failed());
  EXPECT_TRUE(events.empty());
}

TEST(SseParserLimits, UnterminatedLineLargerThanTheLimitFails) {
  SseParser parser(64);
  std::vector<SseEvent> events;
  EXPECT_FALSE(parser.feed("data: " + std::string(100, 'x'), events));
  EXPECT_TRUE(parser.failed());
}

TEST(SseParserLimits, ManySmallEventsInOneReadDoNotCountTogether) {
  SseParser parser(64);
  std::vector<SseEvent> events;
  std::string input;
  for (int i = 0; i < 100; ++i) input += "data: " + std::to_string(i) + "\n\n";
  EXPECT_TRUE(parser.feed(input, events));
  EXPECT_EQ(events.size(), 100u);
  EXPECT_FALSE(parser.failed());
}

TEST(SseParserLimits, LimitDoesNotDependOnHowTheInputIsSplit) {
  const std::string big = "event: big\r\ndata: " + std::string(20, 'x') + "\r\n\r\n";
  const std::string input = "data: 1\n\n" + big + "data: 2\n\n";
  for (std::size_t limit : {big.size() - 1, big.size()}) {
    const bool fits = limit == big.size();
    for (std::size_t at = 0; at <= input.size(); ++at) {
      SCOPED_TRACE("limit " + std::to_string(limit) + ", split at " + std::to_string(at));
      SseParser parser(limit);
      std::vector<SseEvent> events;
      const bool first = parser.feed(std::string_view(input).substr(0, at), events);
      const bool second = parser.feed(std::string_view(input).substr(at), events);
      EXPECT_EQ(first && second, fits);
      EXPECT_EQ(parser.failed(), !fits);
      ASSERT_EQ(events.size(), fits ? 3u : 1u);
      EXPECT_EQ(events[0].data, "1");
    }
  }
}

TEST(SseParserLimits, BytesCarriedFromEarlierReadsCountTowardsTheLimit) {
  SseParser parser(20);
  std::vector<SseEvent> events;
  ASSERT_TRUE(parser.feed(": fifteen bytes\n", events));  // 16 bytes, no data yet
  EXPECT_FALSE(parser.feed("data: x\n\n", events));       // 16 + 8 > 20
  EXPECT_TRUE(parser.failed());
  EXPECT_TRUE(events.empty());
}

TEST(SseParserLimits, EventExactlyAtTheLimitIsAccepted) {
  const std::string input = "data: " + std::string(10, 'x') + "\n\n";
  SseParser parser(input.size());
  std::vector<SseEvent> events;
  EXPECT_TRUE(parser.feed(input, events));
  ASSERT_EQ(events.size(), 1u);
}

}  // namespace
}  // namespace warden::upstream
