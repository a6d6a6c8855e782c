#pragma once
// The small mappings both translation directions share (PROTOCOLS.md 4.4, 4.5).

#include <string_view>

#include <boost/json/object.hpp>

namespace warden::api::translate {

// 4.4. `saw_tool_calls`: tool calls were produced, so the Anthropic client must
// see tool_use whatever the upstream said (some compatible servers say "stop").
std::string_view stop_reason_from_finish_reason(std::string_view finish_reason,
                                                bool saw_tool_calls);
std::string_view finish_reason_from_stop_reason(std::string_view stop_reason);

// 4.5. Missing fields count as 0.
boost::json::object anthropic_usage_from_openai(const boost::json::object& usage);
boost::json::object openai_usage_from_anthropic(const boost::json::object& usage);

}  // namespace warden::api::translate
