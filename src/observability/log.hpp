#pragma once
// JSON-lines logging to stderr: {"ts":…,"level":…,"msg":…,<fields>}.
// Never pass a credential in `fields`: log lines are for humans and log shippers.

#include <string_view>

#include <boost/json/object.hpp>

namespace warden::observability {

enum class LogLevel { kDebug, kInfo, kWarn, kError, kOff };

// "debug" | "info" | "warn" | "error" | "off"; unknown names mean info.
void set_log_level(std::string_view level);
bool log_enabled(LogLevel level);
void log(LogLevel level, std::string_view message, const boost::json::object& fields = {});

}  // namespace warden::observability
