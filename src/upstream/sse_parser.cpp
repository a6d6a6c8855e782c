#include "upstream/sse_parser.hpp"

namespace warden::upstream {

bool SseParser::feed(std::string_view bytes, std::vector<SseEvent>& out) {
  if (failed_) return false;
  std::size_t pos = 0;
  if (pending_cr_ && !bytes.empty()) {
    // A CR ended the line at the end of the last read; a LF now belongs to it.
    pending_cr_ = false;
    if (bytes[0] == '\n') {
      raw_.push_back('\n');
      pos = 1;
    }
    if (raw_.size() > max_event_bytes_) {  // checked before dispatching, not only after the read
      failed_ = true;
      return false;
    }
    process_line(line_, out);
    line_.clear();
  }
  while (pos < bytes.size()) {
    const std::size_t end = bytes.find_first_of("\r\n", pos);
    if (end == std::string_view::npos) {
      line_.append(bytes.substr(pos));
      raw_.append(bytes.substr(pos));
      break;
    }
    line_.append(bytes.substr(pos, end - pos));
    if (bytes[end] == '\r' && end + 1 == bytes.size()) {
      // Cannot tell CR from CRLF yet: wait for the next byte (no phantom empty line).
      raw_.append(bytes.substr(pos, end + 1 - pos));
      pending_cr_ = true;
      break;
    }
    const std::size_t next = (bytes[end] == '\r' && bytes[end + 1] == '\n') ? end + 2 : end + 1;
    raw_.append(bytes.substr(pos, next - pos));
    if (raw_.size() > max_event_bytes_) break;  // too big: fail below instead of dispatching
    process_line(line_, out);
    line_.clear();
    pos = next;
  }
  if (raw_.size() > max_event_bytes_) {
    failed_ = true;
    return false;
  }
  return true;
}

std::size_t SseParser::finish(std::vector<SseEvent>& out) {
  if (pending_cr_) {
    pending_cr_ = false;
    process_line(line_, out);
    line_.clear();
  }
  const std::size_t discarded = raw_.size();
  raw_.clear();
  line_.clear();
  data_.clear();
  event_type_.clear();
  has_data_ = false;
  return discarded;
}

void SseParser::process_line(std::string_view line, std::vector<SseEvent>& out) {
  if (first_line_) {
    first_line_ = false;
    if (line.starts_with("\xEF\xBB\xBF")) line.remove_prefix(3);
  }
  if (line.empty()) {
    if (has_data_) {
      data_.pop_back();  // the '\n' after the last data line
      out.push_back(SseEvent{event_type_.empty() ? "message" : std::move(event_type_),
                             std::move(data_), std::move(raw_)});
      raw_.clear();
    }
    // Without data nothing is dispatched; its bytes stay with the next event.
    event_type_.clear();
    data_.clear();
    has_data_ = false;
    return;
  }
  if (line[0] == ':') return;  // comment
  const std::size_t colon = line.find(':');
  std::string_view field = line.substr(0, colon);
  std::string_view value;
  if (colon != std::string_view::npos) {
    value = line.substr(colon + 1);
    if (!value.empty() && value[0] == ' ') value.remove_prefix(1);
  }
  if (field == "event") {
    event_type_.assign(value);
  } else if (field == "data") {
    data_.append(value);
    data_.push_back('\n');
    has_data_ = true;
  }
  // id, retry and unknown fields do not matter to an API stream.
}

}  // namespace warden::upstream
