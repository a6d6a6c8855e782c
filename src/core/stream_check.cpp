#include "core/stream_check.hpp"

namespace warden::core {

void StreamCheck::feed(std::string_view bytes) {
  if (!finished_) framer_.feed(bytes);
}

void StreamCheck::finish() {
  if (finished_) return;
  finished_ = true;
  label_ = "after event " + std::to_string(framer_.events());
  // Clients discard an event that no blank line ended (PROTOCOLS.md 1.1).
  if (framer_.unterminated()) add("stream ended inside an unterminated event");
  check_end();
}

void StreamCheck::on_oversized(std::size_t number) {
  label_ = "event " + std::to_string(number);
  add("over " + std::to_string(kMaxEventBytes >> 20) + " MiB; skipped unchecked");
}

void StreamCheck::add(std::string what) {
  if (violations_.size() < kMaxViolations) {
    violations_.push_back(label_ + ": " + what);
  } else if (violations_.size() == kMaxViolations) {
    violations_.push_back("further violations omitted");
  }
}

}  // namespace warden::core
