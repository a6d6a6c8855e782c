#include "upstream/sse_parser.hpp"

#include <algorithm>
#include <cstring>
#include <utility>

namespace warden::upstream {

namespace {

// Offset of the first `c` in `bytes` at or after `from`, or bytes.size() if none.
// memchr: std::string_view::find_first_of("\r\n") is a per-byte set lookup.
std::size_t find_byte(std::string_view bytes, std::size_t from, char c) {
  if (from >= bytes.size()) return bytes.size();
  const void* hit = std::memchr(bytes.data() + from, c, bytes.size() - from);
  return hit == nullptr ? bytes.size()
                        : static_cast<std::size_t>(static_cast<const char*>(hit) - bytes.data());
}

}  // namespace

// Lines wholly inside `bytes` are parsed in place; only a line split across reads
// is copied into line_, and only the undispatched end of a read into raw_.
bool SseParser::feed(std::string_view bytes, std::vector<SseEvent>& out) {
  if (failed_) return false;
  std::size_t pos = 0;    // start of the next line
  std::size_t start = 0;  // start of the current event's bytes in this read
  if (pending_cr_ && !bytes.empty()) {
    // A CR ended the line at the end of the last read; a LF now belongs to it.
    pending_cr_ = false;
    if (bytes[0] == '\n') {
      raw_.push_back('\n');
      pos = start = 1;
    }
    if (raw_.size() > max_event_bytes_) {  // checked before dispatching, not only after the read
      failed_ = true;
      return false;
    }
    process_line(line_, {}, out);
    line_.clear();
  }
  // The first LF and the first CR at or after `pos` (bytes.size() if none), kept
  // across lines: a stream without CRs (the usual case) is searched for CR once per read.
  std::size_t lf = find_byte(bytes, pos, '\n');
  std::size_t cr = find_byte(bytes, pos, '\r');
  while (pos < bytes.size()) {
    if (lf < pos) lf = find_byte(bytes, pos, '\n');
    if (cr < pos) cr = find_byte(bytes, pos, '\r');
    const std::size_t end = std::min(lf, cr);
    if (end == bytes.size() || (end == cr && end + 1 == bytes.size())) {
      // No line end yet, or a CR that may still be followed by a LF: wait for the
      // next read (no phantom empty line).
      line_.append(bytes.substr(pos, end - pos));
      pending_cr_ = end != bytes.size();
      break;
    }
    const std::size_t next = (end == cr && lf == end + 1) ? end + 2 : end + 1;
    const std::string_view tail = bytes.substr(start, next - start);
    if (raw_.size() + tail.size() > max_event_bytes_) {
      // Too big: fail instead of dispatching; finish() reports these bytes as discarded.
      raw_.append(tail);
      failed_ = true;
      return false;
    }
    std::string_view line = bytes.substr(pos, end - pos);
    if (!line_.empty()) line = line_.append(line);  // the line began in an earlier read
    if (process_line(line, tail, out)) start = next;
    line_.clear();
    pos = next;
  }
  raw_.append(bytes.substr(start));
  if (raw_.size() > max_event_bytes_) {
    failed_ = true;
    return false;
  }
  return true;
}

std::size_t SseParser::finish(std::vector<SseEvent>& out) {
  if (pending_cr_) {
    pending_cr_ = false;
    process_line(line_, {}, out);
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

bool SseParser::process_line(std::string_view line, std::string_view tail,
                             std::vector<SseEvent>& out) {
  if (first_line_) {
    first_line_ = false;
    if (line.starts_with("\xEF\xBB\xBF")) line.remove_prefix(3);
  }
  if (line.empty()) {
    const bool dispatch = has_data_;
    if (dispatch) {
      // Copies rather than moves, so the buffers keep their capacity for the next event.
      SseEvent event{event_type_.empty() ? std::string("message") : event_type_, data_, {}};
      event.raw.reserve(raw_.size() + tail.size());
      event.raw.append(raw_).append(tail);
      out.push_back(std::move(event));
      raw_.clear();
    }
    // Without data nothing is dispatched; its bytes stay with the next event.
    event_type_.clear();
    data_.clear();
    has_data_ = false;
    return dispatch;
  }
  if (line[0] == ':') return false;  // comment
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
    if (has_data_) data_.push_back('\n');  // data lines are joined with '\n'
    data_.append(value);
    has_data_ = true;
  }
  // id, retry and unknown fields do not matter to an API stream.
  return false;
}

}  // namespace warden::upstream
