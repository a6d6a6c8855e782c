#pragma once
// One SSE event's JSON, parsed exactly as boost::json::parse(data, ec) would
// (same options, same errors), but cheaply: a parser per thread, whose value
// stack outlives the call, builds the tree in an arena that starts on the
// stack. The tree dies with this object, so whatever a decoder keeps is copied
// out of it (strings to std::string, objects to the default storage: an event
// outlives the call and crosses coroutines). `keep_most`: the caller expects to
// keep most of the tree, so it is built on the default storage instead, from
// where it can be moved.

#include <cstddef>
#include <optional>
#include <string_view>

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parser.hpp>

namespace warden::core {

class ScratchJson final {
 public:
  explicit ScratchJson(std::string_view data, bool keep_most = false) {
    // A huge event gets a parser of its own, so it does not leave a huge stack on the thread.
    if (data.size() > kReusedParserMaxBytes) own_.emplace();
    boost::json::parser& parser = own_ ? *own_ : thread_parser();
    parser_ = &parser;
    boost::system::error_code ec;
    parser.reset(keep_most ? boost::json::storage_ptr() : boost::json::storage_ptr(&arena_));
    parser.write(data, ec);
    if (!ec) value_.emplace(parser.release());  // a move keeps the arena (assigning would copy)
  }
  // Drops the parser's hold on the arena (a partial tree after an error) while it is alive.
  ~ScratchJson() { parser_->reset(); }
  ScratchJson(const ScratchJson&) = delete;
  ScratchJson& operator=(const ScratchJson&) = delete;

  // The parsed object; null when the data is not JSON or not an object.
  boost::json::object* object() {
    return value_ && value_->is_object() ? &value_->get_object() : nullptr;
  }
  const boost::json::object* object() const {
    return value_ && value_->is_object() ? &value_->get_object() : nullptr;
  }

 private:
  static constexpr std::size_t kArenaBytes = 4096;
  static constexpr std::size_t kReusedParserMaxBytes = 16 * 1024;

  static boost::json::parser& thread_parser() {
    thread_local boost::json::parser parser;
    return parser;
  }

  unsigned char buffer_[kArenaBytes];
  boost::json::monotonic_resource arena_{buffer_, sizeof buffer_};
  std::optional<boost::json::parser> own_;
  boost::json::parser* parser_ = nullptr;
  std::optional<boost::json::value> value_;  // declared after the arena, so destroyed first
};

}  // namespace warden::core
