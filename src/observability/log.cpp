#include "observability/log.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>

#include <boost/json/serialize.hpp>

namespace warden::observability {

namespace {

std::atomic<LogLevel> g_level{LogLevel::kInfo};

std::string_view level_name(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug: return "debug";
    case LogLevel::kInfo: return "info";
    case LogLevel::kWarn: return "warn";
    case LogLevel::kError: return "error";
    case LogLevel::kOff: return "off";
  }
  return "info";
}

std::string timestamp() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  const auto micros =
      std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count() %
      1000000;
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[40];
  const std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof buf - n, ".%06lldZ", static_cast<long long>(micros));
  return buf;
}

}  // namespace

void set_log_level(std::string_view level) {
  for (auto l : {LogLevel::kDebug, LogLevel::kInfo, LogLevel::kWarn, LogLevel::kError,
                 LogLevel::kOff}) {
    if (level_name(l) == level) {
      g_level = l;
      return;
    }
  }
  g_level = LogLevel::kInfo;
}

bool log_enabled(LogLevel level) { return level >= g_level.load(std::memory_order_relaxed); }

void log(LogLevel level, std::string_view message, const boost::json::object& fields) {
  if (!log_enabled(level) || level == LogLevel::kOff) return;
  boost::json::object line{{"ts", timestamp()}, {"level", level_name(level)}, {"msg", message}};
  for (const auto& field : fields) line[field.key()] = field.value();
  std::string text = boost::json::serialize(line);
  text.push_back('\n');
  // One fwrite per line: stdio locks the stream, so lines from threads do not interleave.
  std::fwrite(text.data(), 1, text.size(), stderr);
}

}  // namespace warden::observability
