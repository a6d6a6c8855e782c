#include "policy/builtin/holdback_buffer.hpp"

#include <algorithm>

#include "policy/builtin/utf8.hpp"

namespace warden::policy {

std::size_t HoldbackBuffer::limit(std::size_t holdback, bool final) const {
  if (final) return text_.size();
  std::size_t end = text_.size() - start_ > holdback ? text_.size() - holdback : start_;
  end = utf8_char_start(text_, std::min(end, utf8_complete_end(text_)));
  return std::max(end, start_);
}

void HoldbackBuffer::consume(std::size_t end) {
  const std::size_t keep = end == 0 ? 0 : utf8_char_start(text_, end - 1);
  text_.erase(0, keep);
  start_ = end - keep;
}

}  // namespace warden::policy
