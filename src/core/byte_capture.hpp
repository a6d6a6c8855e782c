#pragma once
// The bytes that passed one point of a transaction (from the upstream, to the
// client), kept for the record up to a limit, with the times of the first and
// the last. Appending is a bounded memcpy: cheap enough for the hot path.

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

  void add(std::string_view piece) {
    if (piece.empty()) return;
    last = Clock::now();
    total += piece.size();
    if (first == Clock::time_point{}) first = last;
    const std::size_t room = limit > bytes.size() ? limit - bytes.size() : 0;
    if (piece.size() > room) truncated = true;
    bytes.append(piece.substr(0, room));
  }
  bool seen() const { return first != Clock::time_point{}; }
};

}  // namespace warden::core
