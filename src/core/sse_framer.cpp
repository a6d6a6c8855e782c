#include "core/sse_framer.hpp"

#include <algorithm>

namespace warden::core {

void SseFramer::feed(std::string_view bytes) {
  while (!bytes.empty()) {
    const std::size_t nl = bytes.find('\n');
    const std::string_view piece = bytes.substr(0, nl);
    line_len_ += piece.size();
    if (!skipping_ && event_bytes_ + line_len_ > max_event_bytes_) {
      skipping_ = true;
      sink_.on_oversized(event_no_ + 1);
      line_.resize(std::min<std::size_t>(line_.size(), 2));
      data_.clear();
      data_.shrink_to_fit();
    }
    // While skipping, two bytes are enough to tell a blank line ("" or "\r") from the rest.
    const std::size_t keep = skipping_ ? 2 - std::min<std::size_t>(line_.size(), 2) : piece.size();
    line_.append(piece.substr(0, keep));
    if (nl == std::string_view::npos) return;
    end_line();
    bytes.remove_prefix(nl + 1);
  }
}

void SseFramer::end_line() {
  const bool blank = line_len_ == 0 || (line_len_ == 1 && line_ == "\r");
  event_bytes_ += line_len_ + 1;
  std::string_view line = line_;
  if (line.ends_with('\r')) line.remove_suffix(1);
  if (blank) {
    end_event();
  } else if (skipping_) {
    in_event_ = true;
  } else if (!line.starts_with(':')) {  // ':' starts a comment (keep-alive)
    in_event_ = true;
    const std::size_t colon = line.find(':');
    const std::string_view field = line.substr(0, colon);
    std::string_view value = colon == std::string_view::npos ? "" : line.substr(colon + 1);
    if (value.starts_with(' ')) value.remove_prefix(1);
    if (field == "event") {
      has_name_ = true;
      name_ = value;
    } else if (field == "data") {
      if (has_data_) data_ += '\n';
      data_ += value;
      has_data_ = true;
    } else if (odd_field_.empty()) {
      odd_field_ = field;
    }
  }
  line_.clear();
  line_len_ = 0;
}

void SseFramer::end_event() {
  if (in_event_ || skipping_) {
    ++event_no_;
    if (!skipping_) sink_.on_event({event_no_, has_name_, name_, has_data_, data_, odd_field_});
  }
  in_event_ = skipping_ = has_name_ = has_data_ = false;
  name_.clear();
  data_.clear();
  odd_field_.clear();
  event_bytes_ = 0;
}

}  // namespace warden::core
