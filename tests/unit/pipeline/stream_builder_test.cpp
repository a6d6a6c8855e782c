// The StreamBuilder keeps the grammar whatever arrives: each test feeds it a
// broken sequence a careless policy could produce and checks what comes out.

#include "pipeline/stream_builder.hpp"

#include <gtest/gtest.h>

#include "support/stream_harness.hpp"

namespace warden::pipeline {
namespace {

namespace json = boost::json;
using testing::describe;

core::StreamEvent start() {
  return {core::MessageStart{{{"id", "msg_1"}, {"type", "message"}, {"role", "assistant"},
                              {"model", "m"}, {"content", json::array{}},
                              {"usage", {{"input_tokens", 1}, {"output_tokens", 1}}}}},
          "raw-start", false};
}
core::StreamEvent block(std::int64_t index, std::string type = "text") {
  json::object b{{"type", type}};
  if (type == "text") b["text"] = "";
  if (type == "tool_use") {
    b["id"] = "toolu_" + std::to_string(index);
    b["name"] = "T";
    b["input"] = json::object{};
  }
  return {core::BlockStart{index, b}, "raw-start-" + std::to_string(index), false};
}
core::StreamEvent delta(std::int64_t index, std::string text,
                        core::DeltaKind kind = core::DeltaKind::kText) {
  core::BlockDelta d;
  d.index = index;
  d.kind = kind;
  d.text = std::move(text);
  return {std::move(d), "raw-delta-" + std::to_string(index), false};
}
core::StreamEvent stop(std::int64_t index) {
  return {core::BlockStop{index}, "raw-stop-" + std::to_string(index), false};
}
core::StreamEvent message_delta(std::string reason) {
  return {core::MessageDelta{{{"type", "message_delta"},
                              {"delta", {{"stop_reason", reason}, {"stop_sequence", nullptr}}},
                              {"usage", {{"output_tokens", 5}}}}},
          "raw-md", false};
}
core::StreamEvent message_stop() { return {core::MessageStop{}, "raw-ms", false}; }

std::vector<core::StreamEvent> build(std::vector<core::StreamEvent> in, bool* changed = nullptr) {
  StreamBuilder builder;
  std::vector<core::StreamEvent> out;
  for (auto& e : in) builder.push(std::move(e), out);
  builder.finish();
  if (changed != nullptr) *changed = builder.changed();
  return out;
}

void expect_valid(const std::vector<core::StreamEvent>& out) {
  EXPECT_EQ(testing::anthropic_violations(testing::to_anthropic_sse(out, false)), "");
  EXPECT_EQ(testing::openai_violations(testing::to_openai_sse(out)), "");
}

std::vector<core::StreamEvent> list(std::initializer_list<core::StreamEvent> events) {
  return std::vector<core::StreamEvent>(events);
}

TEST(StreamBuilder, AValidStreamPassesUntouched) {
  bool changed = true;
  auto out = build(list({start(), block(0), delta(0, "a"), stop(0), block(1, "tool_use"),
                         delta(1, "{}", core::DeltaKind::kInputJson), stop(1),
                         message_delta("tool_use"), message_stop()}),
                   &changed);
  EXPECT_FALSE(changed);
  ASSERT_EQ(out.size(), 9u);
  for (const auto& e : out) EXPECT_FALSE(e.modified);
  expect_valid(out);
}

TEST(StreamBuilder, MessageStartFirstAndOnce) {
  auto out = build(list({block(0), delta(0, "early"), start(), stop(0), start(),
                         message_delta("end_turn"), message_stop()}));
  EXPECT_EQ(describe(out),
            (std::vector<std::string>{"message_start", "start(0,text)", "delta(0,early)", "stop(0)",
                                      "message_delta(end_turn)", "message_stop"}));
  expect_valid(out);
}

TEST(StreamBuilder, IndexesStayDenseAfterABlockIsRemoved) {
  // Block 0 was taken away by a policy; 1 and 2 become 0 and 1.
  auto out = build(list({start(), block(1), delta(1, "b"), stop(1), block(2, "tool_use"),
                         delta(2, "{}", core::DeltaKind::kInputJson), stop(2),
                         message_delta("tool_use"), message_stop()}));
  EXPECT_EQ(describe(out),
            (std::vector<std::string>{"message_start", "start(0,text)", "delta(0,b)", "stop(0)",
                                      "start(1,tool_use)", "delta(1,{})", "stop(1)",
                                      "message_delta(tool_use)", "message_stop"}));
  EXPECT_TRUE(out[1].modified);  // renumbered: re-encoded, its raw bytes say index 1
  expect_valid(out);
}

TEST(StreamBuilder, AnInsertedBlockWithAClashingIndexGetsItsOwn) {
  auto out = build(list({start(), block(0), delta(0, "a"), stop(0), block(0), delta(0, "inserted"),
                         stop(0), block(1), delta(1, "b"), stop(1), message_delta("end_turn"),
                         message_stop()}));
  EXPECT_EQ(describe(out),
            (std::vector<std::string>{"message_start", "start(0,text)", "delta(0,a)", "stop(0)",
                                      "start(1,text)", "delta(1,inserted)", "stop(1)",
                                      "start(2,text)", "delta(2,b)", "stop(2)",
                                      "message_delta(end_turn)", "message_stop"}));
  expect_valid(out);
}

TEST(StreamBuilder, OrphanDeltasAndStopsAreDroppedAndOpenBlocksClosed) {
  auto out = build(list({start(), delta(0, "orphan"), block(0), delta(7, "wrong block"),
                         delta(0, "a"), block(1), delta(1, "b"), stop(1), stop(1),
                         message_delta("end_turn"), message_stop()}));
  EXPECT_EQ(describe(out),
            (std::vector<std::string>{"message_start", "start(0,text)", "delta(0,a)", "stop(0)",
                                      "start(1,text)", "delta(1,b)", "stop(1)",
                                      "message_delta(end_turn)", "message_stop"}));
  expect_valid(out);
}

TEST(StreamBuilder, ContentAfterMessageDeltaGoesBeforeIt) {
  auto out = build(list({start(), block(0), delta(0, "a"), stop(0), message_delta("end_turn"),
                         block(5), delta(5, "late"), stop(5), message_stop()}));
  EXPECT_EQ(describe(out),
            (std::vector<std::string>{"message_start", "start(0,text)", "delta(0,a)", "stop(0)",
                                      "start(1,text)", "delta(1,late)", "stop(1)",
                                      "message_delta(end_turn)", "message_stop"}));
  expect_valid(out);
}

TEST(StreamBuilder, StopReasonFollowsWhatWasSent) {
  // The tool call was removed: tool_use would make the client wait for a tool.
  auto out = build(list({start(), block(0), delta(0, "no tool"), stop(0),
                         message_delta("tool_use"), message_stop()}));
  EXPECT_EQ(describe(out)[4], "message_delta(end_turn)");
  EXPECT_TRUE(out[4].modified);
  expect_valid(out);
  // A tool call was added to a text answer.
  out = build(list({start(), block(0, "tool_use"), delta(0, "{}", core::DeltaKind::kInputJson),
                    stop(0), message_delta("end_turn"), message_stop()}));
  EXPECT_EQ(describe(out)[4], "message_delta(tool_use)");
  // Others are left alone.
  out = build(list({start(), block(0), stop(0), message_delta("max_tokens"), message_stop()}));
  EXPECT_EQ(describe(out)[3], "message_delta(max_tokens)");
  EXPECT_FALSE(out[3].modified);
}

TEST(StreamBuilder, MessageStopIsLastAndOnceWithAMessageDeltaBeforeIt) {
  auto out = build(list({start(), block(0), delta(0, "a"), message_stop(), block(1),
                         message_stop(), message_delta("end_turn")}));
  EXPECT_EQ(describe(out),
            (std::vector<std::string>{"message_start", "start(0,text)", "delta(0,a)", "stop(0)",
                                      "message_delta(end_turn)", "message_stop"}));
  expect_valid(out);
}

TEST(StreamBuilder, ATruncatedStreamIsNotMadeToLookComplete) {
  auto out = build(list({start(), block(0), delta(0, "a"), message_delta("end_turn")}));
  EXPECT_EQ(describe(out),
            (std::vector<std::string>{"message_start", "start(0,text)", "delta(0,a)"}));
  // The formatter ends it with an error event.
  const std::string sse = testing::to_anthropic_sse(out, false);
  EXPECT_NE(sse.find("event: error"), std::string::npos);
  EXPECT_EQ(testing::anthropic_violations(sse), "");
}

TEST(StreamBuilder, AnErrorEndsTheStream) {
  auto out = build(list({start(), block(0), {core::StreamError{"api_error", "x"}, {}, true},
                         delta(0, "after"), message_stop()}));
  EXPECT_EQ(describe(out), (std::vector<std::string>{"message_start", "start(0,text)", "error"}));
  expect_valid(out);
}

TEST(StreamBuilder, TheEventAfterADiscardIsMarkedModified) {
  StreamBuilder builder;
  std::vector<core::StreamEvent> out;
  builder.push(start(), out);
  builder.push(block(0), out);
  builder.note_discard();  // a policy dropped a delta
  builder.push(delta(0, "b"), out);
  builder.push(delta(0, "c"), out);
  ASSERT_EQ(out.size(), 4u);
  EXPECT_TRUE(out[2].modified);
  EXPECT_FALSE(out[3].modified);
}

}  // namespace
}  // namespace warden::pipeline
