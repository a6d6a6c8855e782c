#pragma once
// A client's request as Warden carries it through the pipeline. The body is
// parsed once; the original bytes are kept so that a request nobody changed
// reaches the upstream exactly as the client sent it (unknown fields, cache
// control and thinking signatures included).

#include <string>

#include <boost/json/object.hpp>

namespace warden::core {

enum class Dialect { kAnthropic, kOpenAi };

struct Request {
  Dialect dialect = Dialect::kAnthropic;
  std::string model;
  bool stream = false;
  bool include_usage = false;  // OpenAI stream_options.include_usage
  boost::json::object body;   // the parsed body
  std::string original_body;  // the bytes the client sent
  bool body_modified = false; // set by whoever changes `body`: it is then re-serialized
};

}  // namespace warden::core
