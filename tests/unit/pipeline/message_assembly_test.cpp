// MessageAssembly and message_to_events are inverses: a whole message replayed
// as events assembles back to itself; a stream assembles to its message.

#include "core/message_assembly.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include "support/stream_harness.hpp"

namespace warden::core {
namespace {

namespace json = boost::json;

TEST(MessageAssembly, AWholeMessageSurvivesTheRoundTrip) {
  const json::object message = json::parse(R"({"id":"msg_1","type":"message","role":"assistant",
    "model":"claude-test","content":[
      {"type":"thinking","thinking":"hmm","signature":"c2ln"},
      {"type":"text","text":"Hi","citations":[{"type":"char_location","cited_text":"x"}]},
      {"type":"redacted_thinking","data":"opaque"},
      {"type":"tool_use","id":"toolu_1","name":"Read","input":{"path":"/a","n":[1,2]}}],
    "stop_reason":"tool_use","stop_sequence":null,
    "usage":{"input_tokens":3,"output_tokens":4}})")
                                   .as_object();
  MessageAssembly assembly;
  for (const auto& e : message_to_events(message)) assembly.apply(e);
  EXPECT_EQ(assembly.to_json(), message) << json::serialize(assembly.to_json());
  EXPECT_TRUE(assembly.stopped());
}

TEST(MessageAssembly, AStreamAssemblesToItsMessage) {
  MessageAssembly assembly;
  for (const auto& e : testing::decode_anthropic(testing::AnthropicStream()
                                                     .text("Hello world", 4)
                                                     .tool("Bash", {{"command", "ls"}}, 5)
                                                     .finish())) {
    assembly.apply(e);
  }
  const json::object message = assembly.to_json();
  EXPECT_EQ(json::serialize(message.at("content")),
            R"([{"type":"text","text":"Hello world"},{"type":"tool_use","id":"toolu_test1","name":"Bash","input":{"command":"ls"}}])");
  EXPECT_EQ(message.at("stop_reason"), "tool_use");
  EXPECT_EQ(message.at("usage").at("output_tokens"), 42);
  EXPECT_EQ(message.at("usage").at("input_tokens"), 10);
}

TEST(MessageAssembly, ContentOverTheLimitIsMarkedNotKept) {
  MessageAssembly assembly(100);
  for (const auto& e : testing::decode_anthropic(
           testing::AnthropicStream().tool("Write", {{"content", std::string(500, 'z')}}, 10).finish())) {
    assembly.apply(e);
  }
  ASSERT_EQ(assembly.blocks().size(), 1u);
  EXPECT_TRUE(assembly.blocks()[0].overflow);
  EXPECT_LE(assembly.bytes(), 100u);
  EXPECT_TRUE(assembly.blocks()[0].tool_input().is_null());
}

}  // namespace
}  // namespace warden::core
