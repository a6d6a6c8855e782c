#pragma once
// The bytes that passed one point of a transaction (from the upstream, to the
// client), kept for the record up to a limit, with the times of the first and
// the last. Appending is a bounded memcpy: cheap enough for the hot path.

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

namespace warden::core {

struct ByteCapture {
  using Clock = std::chrono::steady_clock;

  std::size_t limit = 0;  // bytes kept; 0 = keep none, only the times
  std::string bytes;
  std::size_t total = 0;  // bytes that passed, kept or not
  bool truncated = false;  // more passed than `limit`
  Clock::time_point first{};  // epoch (zero) until something passed
  Clock::time_point last{};

  // The client's capture follows the upstream's: while the bytes passing here
  // are the ones `source` kept at the same offsets (a stream no policy
  // touched), they are compared, not copied, so an open stream holds its
  // bytes once. The first difference makes the copy.
  void follow(const ByteCapture* source) { source_ = source; }
  // Still the same bytes as the source: kept() is a prefix of source->bytes.
  bool mirrors() const { return source_ != nullptr; }

  void add(std::string_view piece) {
    if (piece.empty()) return;
    last = Clock::now();
    const std::size_t offset = total;
    total += piece.size();
    if (first == Clock::time_point{}) first = last;
    if (source_ != nullptr) {
      if (source_->bytes.size() >= total && source_->bytes.compare(offset, piece.size(), piece) == 0) {
        return;
      }
      bytes.assign(source_->bytes, 0, std::min(offset, limit));
      source_ = nullptr;
    }
    const std::size_t room = limit > bytes.size() ? limit - bytes.size() : 0;
    if (piece.size() > room) truncated = true;
    bytes.append(piece.substr(0, room));
  }
  bool seen() const { return first != Clock::time_point{}; }
  // The bytes kept, wherever they are.
  std::string_view kept() const {
    return source_ != nullptr ? std::string_view(source_->bytes).substr(0, total) : bytes;
  }

 private:
  const ByteCapture* source_ = nullptr;
};

}  // namespace warden::core
