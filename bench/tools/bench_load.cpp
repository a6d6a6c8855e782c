// bench_load — a closed-loop HTTP/1.1 load generator for LLM-API streams (Linux only).
//
// Why: issue 8 compares Warden with nginx and with going straight to the upstream on a 2-core
// loopback machine. wrk and h2load report throughput and whole-response latency, but neither
// time to first byte / first delta of each SSE stream nor whether every stream arrived whole.
// This tool reports both and stays cheap per event, since it shares the cores with the system
// under test: one level-triggered epoll loop per thread, one 64 KiB read buffer per thread,
// incremental parsing that scans only new bytes, no allocation per event once warm.
//
// Model: C keep-alive connections (TCP_NODELAY), opened at --ramp per second and split over
// --threads loops, each send a request, read the whole response, and send the next at once.
// A server close is not an error (Connection: close, a close-delimited body, or EOF on a
// reused connection before any byte of the next response): the connection is reopened.
//
// Timeline: ramp (C/R s) → warmup (--warmup) → measure window (--duration) → drain: no new
// requests; in-flight ones get up to --timeout s to finish, then count as timeout errors.
//
// What it counts:
//   requests, rps, percentiles: successful responses that COMPLETE inside the measure window
//     (a closed loop's throughput; a paced stream begun in warmup but ending in the window
//     counts, one still running at the end does not). Percentiles are nearest-rank.
//   latency_us: request write start → response fully parsed (connect time excluded).
//   ttfb_us: → first response byte. first_delta_us: → first delta event fully received
//     (Anthropic `event: content_block_delta`; OpenAI `data:` whose JSON has a non-empty
//     "content" string or a non-empty "tool_calls" array); equals latency for --shape json.
//   errors: every failure over the WHOLE run (ramp, warmup, window and drain), by kind:
//     connect (refused / failed / no answer in --timeout), status (non-200), incomplete
//     (EOF or reset mid-response, an in-stream error event, no message_stop / [DONE], no
//     delta), timeout (no byte for --timeout s, or still open when the drain ends), parse
//     (bad HTTP framing; JSON body without "stop_reason"/"finish_reason").
//   deltas_min/max: delta events per counted response.
//   peak_streams: most requests in flight at once (sent, response not complete), all threads.
//   peak_connections: most TCP connections established at once.
//   watch: per --watch-pid, CPU (utime+stime) over the measure window; VmRSS sampled every
//     100 ms: before the first connection, peak over the run, at measure end. watch_total
//     sums the pids (its peak is the peak of the per-sample sum). self_cpu_us: this process
//     over the measure window.
// SSE lines may end in LF or CRLF (split anywhere); lone-CR line endings are not supported.
//
// Example: 1,000 text streams paced at 20 ms per delta, watching an nginx master and worker:
//   bench_load --url http://127.0.0.1:8080 --shape text --connections 1000 --pace-ms 20
//              --watch-pid 4242 --watch-pid 4243
// Output: one JSON line on stdout (notes on stderr). Exit status 0, or 1 on bad usage or when
// no connection could be established at all.
//
// Build: g++ -std=c++20 -O2 -Wall -Wextra -Werror -pthread bench/tools/bench_load.cpp -o bench_load

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <netdb.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>

namespace {

using Ns = int64_t;
constexpr Ns kSecond = 1'000'000'000;
constexpr Ns kMilli = 1'000'000;
constexpr size_t kReadBuffer = 64 * 1024;
constexpr size_t kMaxLine = 1 << 20;      // a header or SSE line longer than this is a parse error
constexpr size_t kMaxJsonBody = 1 << 20;  // non-streaming bodies are kept whole up to this
constexpr size_t kErrorBodyKeep = 300;    // bytes of an error body / error event kept to print
constexpr Ns kSweepEvery = 50 * kMilli;   // timeout and delayed-reopen scan
constexpr Ns kConnectRetry = 100 * kMilli;

Ns now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * kSecond + ts.tv_nsec;
}

enum class Shape { kText, kTool, kOpenAi, kJson };
enum ErrorKind { kConnect, kStatus, kIncomplete, kTimeout, kParse, kErrorKinds };
constexpr const char* kErrorNames[kErrorKinds] = {"connect", "status", "incomplete", "timeout",
                                                  "parse"};

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; }

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [](char x, char y) { return lower(x) == lower(y); });
}

bool icontains(std::string_view hay, std::string_view needle) {
  for (size_t i = 0; i + needle.size() <= hay.size(); ++i) {
    if (iequals(hay.substr(i, needle.size()), needle)) return true;
  }
  return false;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Takes the next complete line from [p, end), joined to bytes carried over from earlier
// reads; strips the line ending (LF or CRLF). Only new bytes are scanned. When no LF is
// left, the tail goes into `carry` and it returns false. `line` may view `carry`: the caller
// clears `carry` after using the line.
bool next_line(const char*& p, const char* end, std::string& carry, std::string_view& line) {
  const auto* nl = static_cast<const char*>(memchr(p, '\n', static_cast<size_t>(end - p)));
  if (nl == nullptr) {
    carry.append(p, end);
    p = end;
    return false;
  }
  if (carry.empty()) {
    line = std::string_view(p, static_cast<size_t>(nl - p));
  } else {
    carry.append(p, nl);
    line = carry;
  }
  p = nl + 1;
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return true;
}

// True when `key` occurs as a JSON key whose value opens with `open` and is not empty
// (`"content":"x"` yes, `"content":""` no; `"tool_calls":[{` yes, `"finish_reason":"tool_calls"`
// no). Tolerates whitespace a gateway may re-encode with.
bool has_nonempty_value(std::string_view json, std::string_view key, char open, char close) {
  for (size_t pos = json.find(key); pos != std::string_view::npos; pos = json.find(key, pos)) {
    size_t i = pos + key.size();
    while (i < json.size() && (json[i] == ' ' || json[i] == '\t')) ++i;
    pos = i;
    if (i >= json.size() || json[i] != ':') continue;
    ++i;
    while (i < json.size() && (json[i] == ' ' || json[i] == '\t')) ++i;
    if (i + 1 < json.size() && json[i] == open && json[i + 1] != close) return true;
  }
  return false;
}

// Incremental parser of one HTTP/1.1 response (status line, headers, Content-Length /
// chunked / close-delimited body) and of the SSE events in its body. reset() between
// requests keeps buffer capacity, so a warm connection parses without allocating.
class ResponseParser {
 public:
  enum class Result { kMore, kDone, kError };

  explicit ResponseParser(Shape shape = Shape::kText)
      : sse_(shape != Shape::kJson), openai_(shape == Shape::kOpenAi) {}

  // Back to the initial state for the next request, keeping the buffers' capacity.
  void reset() {
    std::string line = std::move(line_), body = std::move(body_), error = std::move(error_text_);
    *this = ResponseParser(openai_ ? Shape::kOpenAi : sse_ ? Shape::kText : Shape::kJson);
    line_ = std::move(line);
    body_ = std::move(body);
    error_text_ = std::move(error);
    line_.clear();
    body_.clear();
    error_text_.clear();
  }

  // Feeds bytes that arrived at `now`; `used` is how many belonged to this response.
  Result feed(const char* data, size_t n, Ns now, size_t& used) {
    now_ = now;
    if (bytes_ == 0) t_first_byte_ = now;
    bytes_ += n;
    const char* p = data;
    const char* end = data + n;
    Result r = Result::kMore;
    if (phase_ == Phase::kHead) r = parse_head(p, end);
    if (r == Result::kMore && phase_ == Phase::kBody) r = parse_body(p, end);
    used = static_cast<size_t>(p - data);
    return r;
  }

  // EOF: completes a close-delimited body; false if the response was not finished.
  bool finish_at_eof() {
    if (phase_ != Phase::kBody || mode_ != Mode::kUntilClose) return false;
    phase_ = Phase::kDone;
    return true;
  }

  // Error kind of a finished response, or -1 when it is complete and as expected.
  int verdict() const {
    if (status_ != 200) return kStatus;
    if (!sse_) return json_ok() ? -1 : kParse;
    if (saw_error_ || !saw_end_ || deltas_ == 0) return kIncomplete;
    return -1;
  }

  // Human detail for an error (built only for the first error of a run).
  std::string detail(int kind) const {
    if (kind == kParse && *parse_error_ != '\0') return parse_error_;
    if (kind == kStatus) return "HTTP " + std::to_string(status_) + ": " + body_;
    if (kind == kParse) {
      return "JSON body without stop_reason/finish_reason: " + body_.substr(0, 300);
    }
    if (saw_error_) return "in-stream error event: " + error_text_;
    if (phase_ != Phase::kDone) {
      return "connection ended mid-response after " + std::to_string(bytes_) + " bytes";
    }
    if (!saw_end_) return openai_ ? "stream ended without data: [DONE]" : "no message_stop";
    return "stream had no delta events";
  }

  const char* parse_error() const { return parse_error_; }
  bool keep_alive() const { return keep_alive_; }
  uint64_t bytes() const { return bytes_; }
  uint32_t deltas() const { return deltas_; }
  Ns t_first_byte() const { return t_first_byte_; }
  Ns t_first_delta() const { return t_first_delta_; }

 private:
  enum class Phase : uint8_t { kHead, kBody, kDone };
  enum class Mode : uint8_t { kNone, kLength, kChunked, kUntilClose };
  enum class Chunk : uint8_t { kSize, kData, kDataEnd, kTrailer };
  enum class Event : uint8_t { kOther, kDelta, kStop, kError };

  Result fail(const char* why) {
    parse_error_ = why;
    return Result::kError;
  }

  Result parse_head(const char*& p, const char* end) {
    std::string_view line;
    while (p < end) {
      if (!next_line(p, end, line_, line)) {
        return line_.size() > kMaxLine ? fail("response header line too long") : Result::kMore;
      }
      const char* err = head_line(line);
      line_.clear();
      if (err != nullptr) return fail(err);
      if (phase_ == Phase::kDone) return Result::kDone;
      if (phase_ == Phase::kBody) return Result::kMore;
    }
    return Result::kMore;
  }

  // One status or header line; returns an error message or nullptr.
  const char* head_line(std::string_view line) {
    if (!got_status_) {
      if (line.size() < 12 || line.substr(0, 7) != "HTTP/1." || line[8] != ' ') {
        return "bad status line";
      }
      if (std::from_chars(line.data() + 9, line.data() + 12, status_).ptr != line.data() + 12) {
        return "bad status code";
      }
      keep_alive_ = line[7] != '0';  // HTTP/1.0 closes unless it says keep-alive
      got_status_ = true;
      return nullptr;
    }
    if (line.empty()) return end_of_head();
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) return "header line without colon";
    const std::string_view name = trim(line.substr(0, colon));
    const std::string_view value = trim(line.substr(colon + 1));
    if (iequals(name, "content-length")) {
      const char* end = value.data() + value.size();
      const auto [ptr, ec] = std::from_chars(value.data(), end, length_);
      if (ec != std::errc() || ptr != end) return "bad content-length";
      has_length_ = true;
    } else if (iequals(name, "transfer-encoding")) {
      chunked_ = icontains(value, "chunked");
    } else if (iequals(name, "connection")) {
      if (icontains(value, "close")) {
        keep_alive_ = false;
      } else if (icontains(value, "keep-alive")) {
        keep_alive_ = true;
      }
    }
    return nullptr;
  }

  const char* end_of_head() {
    if (status_ >= 100 && status_ < 200 && status_ != 101) {  // interim answer: a real one follows
      got_status_ = chunked_ = has_length_ = false;
      return nullptr;
    }
    if (chunked_) {
      mode_ = Mode::kChunked;
    } else if (has_length_) {
      mode_ = Mode::kLength;
      remaining_ = length_;
    } else if (status_ == 204 || status_ == 304) {
      mode_ = Mode::kNone;
    } else {
      mode_ = Mode::kUntilClose;
      keep_alive_ = false;
    }
    const bool empty = mode_ == Mode::kNone || (mode_ == Mode::kLength && remaining_ == 0);
    phase_ = empty ? Phase::kDone : Phase::kBody;
    return nullptr;
  }

  Result parse_body(const char*& p, const char* end) {
    const size_t avail = static_cast<size_t>(end - p);
    switch (mode_) {
      case Mode::kLength: {
        const size_t take = static_cast<size_t>(std::min<uint64_t>(remaining_, avail));
        if (!body_bytes(p, take)) return Result::kError;
        p += take;
        remaining_ -= take;
        if (remaining_ != 0) return Result::kMore;
        phase_ = Phase::kDone;
        return Result::kDone;
      }
      case Mode::kUntilClose:
        if (!body_bytes(p, avail)) return Result::kError;
        p = end;
        return Result::kMore;
      case Mode::kChunked:
        return parse_chunked(p, end);
      case Mode::kNone:
        break;
    }
    return Result::kMore;
  }

  // Chunked framing: size lines, the CRLF after each chunk and trailers go through next_line
  // (so a boundary anywhere, even between CR and LF, just waits for more bytes); chunk data
  // is passed on in bulk.
  Result parse_chunked(const char*& p, const char* end) {
    std::string_view line;
    while (p < end) {
      if (chunk_ == Chunk::kData) {
        const auto take = static_cast<size_t>(std::min<uint64_t>(remaining_, end - p));
        if (!body_bytes(p, take)) return Result::kError;
        p += take;
        remaining_ -= take;
        if (remaining_ == 0) chunk_ = Chunk::kDataEnd;
        continue;
      }
      if (!next_line(p, end, chunk_line_, line)) {
        return chunk_line_.size() > kMaxLine ? fail("chunk framing line too long") : Result::kMore;
      }
      const char* err = chunk_line(line);
      chunk_line_.clear();
      if (err != nullptr) return fail(err);
      if (phase_ == Phase::kDone) return Result::kDone;
    }
    return Result::kMore;
  }

  // A size line (hex, then maybe ";extension"), the empty line after chunk data, or a trailer.
  const char* chunk_line(std::string_view line) {
    if (chunk_ == Chunk::kDataEnd) {
      chunk_ = Chunk::kSize;
      return line.empty() ? nullptr : "missing CRLF after chunk data";
    }
    if (chunk_ == Chunk::kTrailer) {
      if (line.empty()) phase_ = Phase::kDone;
      return nullptr;
    }
    const char* end = line.data() + line.size();
    const auto [ptr, ec] = std::from_chars(line.data(), end, remaining_, 16);
    if (ec != std::errc() || (ptr != end && *ptr != ';' && *ptr != ' ' && *ptr != '\t')) {
      return "bad chunk size";
    }
    chunk_ = remaining_ == 0 ? Chunk::kTrailer : Chunk::kData;
    return nullptr;
  }

  // Body bytes after transfer decoding: SSE is parsed as it arrives; JSON and error bodies
  // are kept (error bodies only their first bytes, to print).
  bool body_bytes(const char* p, size_t n) {
    if (status_ != 200 || !sse_) {
      const size_t cap = status_ != 200 ? kErrorBodyKeep : kMaxJsonBody;
      const size_t room = cap - std::min(cap, body_.size());
      if (status_ == 200 && n > room) json_too_big_ = true;
      body_.append(p, std::min(n, room));
      return true;
    }
    const char* end = p + n;
    std::string_view line;
    while (p < end) {
      if (!next_line(p, end, line_, line)) {
        if (line_.size() <= kMaxLine) return true;
        fail("SSE line too long");
        return false;
      }
      sse_line(line);
      line_.clear();
    }
    return true;
  }

  void sse_line(std::string_view line) {
    if (line.empty()) return dispatch();
    if (line.front() == ':') return;  // comment / keep-alive
    const size_t colon = line.find(':');
    const std::string_view name = line.substr(0, colon);
    std::string_view value = colon == std::string_view::npos ? "" : line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    if (name == "event") {
      event_ = value == "content_block_delta" ? Event::kDelta
               : value == "message_stop"      ? Event::kStop
               : value == "error"             ? Event::kError
                                              : Event::kOther;
    } else if (name == "data") {
      event_has_data_ = true;
      if (openai_) inspect_openai_data(value);
      if (event_ == Event::kError && error_text_.empty()) {
        error_text_.assign(value.substr(0, kErrorBodyKeep));
      }
    }
  }

  void inspect_openai_data(std::string_view value) {
    if (value == "[DONE]") {
      event_ = Event::kStop;
    } else if (trim(value).substr(0, 8) == "{\"error\"") {
      event_ = Event::kError;
    } else if (has_nonempty_value(value, "\"content\"", '"', '"') ||
               has_nonempty_value(value, "\"tool_calls\"", '[', ']')) {
      event_ = Event::kDelta;
    }
  }

  // A blank line ends an event; per the SSE spec an event without data is not dispatched.
  void dispatch() {
    if (event_has_data_) {
      if (event_ == Event::kDelta && !saw_end_) {
        if (deltas_++ == 0) t_first_delta_ = now_;
      } else if (event_ == Event::kStop) {
        saw_end_ = true;
      } else if (event_ == Event::kError) {
        saw_error_ = true;
      }
    }
    reset_event();
  }

  void reset_event() {
    event_ = Event::kOther;
    event_has_data_ = false;
  }

  bool json_ok() const {
    if (json_too_big_) return false;
    const size_t first = body_.find_first_not_of(" \t\r\n");
    const size_t last = body_.find_last_not_of(" \t\r\n");
    return first != std::string::npos && body_[first] == '{' && body_[last] == '}' &&
           (body_.find("\"stop_reason\"") != std::string::npos ||
            body_.find("\"finish_reason\"") != std::string::npos);
  }

  bool sse_ = true;
  bool openai_ = false;
  Phase phase_ = Phase::kHead;
  Mode mode_ = Mode::kNone;
  Chunk chunk_ = Chunk::kSize;
  Event event_ = Event::kOther;
  bool got_status_ = false, keep_alive_ = true, chunked_ = false, has_length_ = false;
  bool event_has_data_ = false;
  bool saw_end_ = false, saw_error_ = false, json_too_big_ = false;
  int status_ = 0;
  uint64_t length_ = 0, remaining_ = 0, bytes_ = 0;
  uint32_t deltas_ = 0;
  Ns now_ = 0, t_first_byte_ = 0, t_first_delta_ = 0;
  const char* parse_error_ = "";
  std::string line_;        // a header or SSE line split across reads
  std::string chunk_line_;  // a chunk size line split across reads (short: not kept by reset)
  std::string body_;        // JSON body, or the start of an error body
  std::string error_text_;  // data of the first in-stream error event
};

// ---------------------------------------------------------------------------------------------
// Command line and request.

struct Options {
  std::string url, host, port = "80", path;
  std::string shape_name;
  Shape shape = Shape::kText;
  int connections = 0, threads = 1, pace_ms = 0, deltas = 50;
  double duration_s = 5, warmup_s = 1, ramp = 2000, timeout_s = 30;
  std::vector<int> watch_pids;
  std::vector<std::string> headers;
};

constexpr const char* kUsage =
    "usage: bench_load --url http://HOST:PORT[/path] --shape text|tool|openai|json\n"
    "                  --connections C [--duration S=5] [--warmup S=1] [--pace-ms N=0]\n"
    "                  [--deltas K=50] [--ramp R=2000] [--threads T=1] [--watch-pid PID]...\n"
    "                  [--header 'name: value']... [--timeout S=30]\n"
    "Prints one JSON line of results on stdout; see the header of bench_load.cpp.\n";

bool parse_url(Options& o) {
  std::string_view u = o.url;
  if (u.substr(0, 7) != "http://") return false;
  u.remove_prefix(7);
  const size_t slash = u.find('/');
  const std::string_view authority = u.substr(0, slash);
  if (slash != std::string_view::npos) o.path = std::string(u.substr(slash));
  const size_t colon = authority.rfind(':');
  if (colon == std::string_view::npos) {
    o.host = std::string(authority);
  } else {
    o.host = std::string(authority.substr(0, colon));
    o.port = std::string(authority.substr(colon + 1));
  }
  if (o.host.size() > 2 && o.host.front() == '[' && o.host.back() == ']') {
    o.host = o.host.substr(1, o.host.size() - 2);
  }
  return !o.host.empty() && !o.port.empty();
}

bool parse_args(int argc, char** argv, Options& o) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i], value;
    if (arg == "--help" || arg == "-h") return false;
    const size_t eq = arg.find('=');
    if (eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg.resize(eq);
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      fprintf(stderr, "missing value for %s\n", arg.c_str());
      return false;
    }
    if (arg == "--url") {
      o.url = value;
      continue;
    }
    if (arg == "--shape") {
      o.shape_name = value;
      continue;
    }
    if (arg == "--header") {
      o.headers.push_back(value);
      continue;
    }
    struct Numeric {
      const char* name;
      double min;
      double* d;
      int* i;
    };
    int pid = 0;
    const Numeric numeric[] = {{"--connections", 1, nullptr, &o.connections},
                               {"--threads", 1, nullptr, &o.threads},
                               {"--pace-ms", 0, nullptr, &o.pace_ms},
                               {"--deltas", 0, nullptr, &o.deltas},
                               {"--watch-pid", 1, nullptr, &pid},
                               {"--duration", 0.001, &o.duration_s, nullptr},
                               {"--warmup", 0, &o.warmup_s, nullptr},
                               {"--ramp", 0.001, &o.ramp, nullptr},
                               {"--timeout", 0.001, &o.timeout_s, nullptr}};
    const Numeric* opt = std::find_if(std::begin(numeric), std::end(numeric),
                                      [&](const Numeric& n) { return arg == n.name; });
    if (opt == std::end(numeric)) {
      fprintf(stderr, "unknown option %s\n", arg.c_str());
      return false;
    }
    char* end = nullptr;
    const double num = strtod(value.c_str(), &end);
    if (value.empty() || *end != '\0' || num < opt->min || num > 1e9) {
      fprintf(stderr, "bad value for %s: %s\n", arg.c_str(), value.c_str());
      return false;
    }
    if (opt->d != nullptr) *opt->d = num;
    if (opt->i != nullptr) *opt->i = static_cast<int>(num);
    if (pid != 0) o.watch_pids.push_back(pid);
  }
  constexpr std::pair<std::string_view, Shape> kShapes[] = {{"text", Shape::kText},
                                                            {"tool", Shape::kTool},
                                                            {"openai", Shape::kOpenAi},
                                                            {"json", Shape::kJson}};
  const auto* shape = std::find_if(std::begin(kShapes), std::end(kShapes),
                                   [&](const auto& s) { return s.first == o.shape_name; });
  if (shape == std::end(kShapes)) {
    fprintf(stderr, "--shape must be text, tool, openai or json\n");
    return false;
  }
  o.shape = shape->second;
  if (!parse_url(o)) {
    fprintf(stderr, "--url must look like http://127.0.0.1:8080[/path]\n");
    return false;
  }
  if (o.connections < 1) {
    fprintf(stderr, "--connections is required\n");
    return false;
  }
  if (o.threads > o.connections) o.threads = o.connections;
  if (o.path.empty()) o.path = o.shape == Shape::kOpenAi ? "/v1/chat/completions" : "/v1/messages";
  return true;
}

std::string build_request(const Options& o) {
  const std::string prompt =
      "You are helping benchmark an API gateway. In three short sentences, explain why "
      "streaming matters for interactive coding assistants: time to first token, "
      "backpressure when the client is slow, and cancelling a request mid-stream.";
  std::string body;
  if (o.shape == Shape::kOpenAi) {
    body = R"({"model":"gpt-4o","stream":true,"stream_options":{"include_usage":true},)"
           R"("messages":[{"role":"system","content":"You are a concise assistant."},)"
           R"({"role":"user","content":")" +
           prompt + R"("}]})";
  } else {
    body = std::string(R"({"model":"claude-sonnet-4-5","max_tokens":1024,"stream":)") +
           (o.shape == Shape::kJson ? "false" : "true") +
           R"(,"system":"You are a concise assistant.",)";
    if (o.shape == Shape::kTool) {
      body += R"("tools":[{"name":"get_weather","description":"Current weather for a city",)"
              R"("input_schema":{"type":"object","properties":{"location":{"type":"string"}},)"
              R"("required":["location"]}}],)";
    }
    body += R"("messages":[{"role":"user","content":")" + prompt + R"("}]})";
  }
  std::vector<std::pair<std::string, std::string>> headers = {
      {"Host", o.host + ":" + o.port},
      {"content-type", "application/json"},
      {"content-length", std::to_string(body.size())},
  };
  if (o.shape == Shape::kOpenAi) {
    headers.emplace_back("authorization", "Bearer bench-key");
  } else {
    headers.emplace_back("x-api-key", "bench-key");
    headers.emplace_back("anthropic-version", "2023-06-01");
  }
  headers.emplace_back("x-bench-shape", o.shape_name);
  headers.emplace_back("x-bench-pace-ms", std::to_string(o.pace_ms));
  headers.emplace_back("x-bench-deltas", std::to_string(o.deltas));
  std::string req = "POST " + o.path + " HTTP/1.1\r\n";
  for (const auto& [name, value] : headers) {
    // A --header with the same name replaces the built-in one.
    const bool overridden =
        std::any_of(o.headers.begin(), o.headers.end(), [&](const std::string& h) {
          return iequals(trim(std::string_view(h).substr(0, h.find(':'))), name);
        });
    if (!overridden) req += name + ": " + value + "\r\n";
  }
  for (const auto& h : o.headers) req += h + "\r\n";
  return req + "\r\n" + body;
}

// ---------------------------------------------------------------------------------------------
// Connections and the event loop.

struct Shared {  // fixed before the workers start, except the atomics
  const Options* opt = nullptr;
  std::string request;
  sockaddr_storage addr{};
  socklen_t addr_len = 0;
  Ns t0 = 0, measure_start = 0, measure_end = 0, hard_end = 0;
  Ns timeout = 0;
  std::atomic<int64_t> open_streams{0}, open_conns{0};
  std::atomic<int> workers_done{0};
};

struct Stats {
  std::vector<uint32_t> latency_us, ttfb_us, first_delta_us;
  uint64_t errors[kErrorKinds] = {};
  uint32_t deltas_min = UINT32_MAX, deltas_max = 0;
  int64_t peak_streams = 0, peak_conns = 0;
  uint64_t connects = 0;
  Ns first_error_at = 0;
  std::string first_error;
};

enum class ConnState : uint8_t { kIdle, kConnecting, kOpen, kDone };

struct Conn {
  int fd = -1;
  ConnState state = ConnState::kIdle;
  bool established = false;  // counted in open_conns
  bool in_flight = false;    // request sent, response not complete
  bool want_out = false;     // EPOLLOUT armed for a partial write
  uint32_t served = 0;       // responses on this TCP connection
  size_t written = 0;
  Ns reopen_at = 0;  // kIdle: when to (re)connect; 0 = not scheduled
  Ns t_start = 0, last_progress = 0;
  ResponseParser parser;
};

uint32_t to_us(Ns ns) { return static_cast<uint32_t>(std::clamp<Ns>(ns / 1000, 0, UINT32_MAX)); }

class Worker {
 public:
  Worker(Shared& shared, int index) : sh_(shared), buf_(kReadBuffer) {
    const Options& o = *sh_.opt;
    conns_.reserve(static_cast<size_t>(o.connections / o.threads + 1));
    // Connection i (global) is scheduled at t0 + i/R; this worker owns every threads-th one.
    for (int i = index; i < o.connections; i += o.threads) {
      Conn& c = conns_.emplace_back();
      c.parser = ResponseParser(o.shape);
      c.reopen_at = sh_.t0 + static_cast<Ns>(static_cast<double>(i) * kSecond / o.ramp);
    }
    stats.latency_us.reserve(1 << 16);
    stats.ttfb_us.reserve(1 << 16);
    stats.first_delta_us.reserve(1 << 16);
  }

  void run() {
    ep_ = epoll_create1(EPOLL_CLOEXEC);
    if (ep_ < 0) {
      perror("epoll_create1");
      return;
    }
    epoll_event events[1024];
    Ns next_sweep = 0;
    bool stopping = false;
    for (;;) {
      Ns now = now_ns();
      if (now >= sh_.hard_end) {
        for (Conn& c : conns_) {
          if (c.in_flight) fail(c, kTimeout, now, "still in flight when the drain ended");
        }
        break;
      }
      if (!stopping && now >= sh_.measure_end) {
        stopping = true;
        for (Conn& c : conns_) {
          if (!c.in_flight) finish(c);  // idle or still connecting: nothing to wait for
        }
      }
      if (stopping && in_flight_ == 0) break;
      if (now >= next_sweep) {
        sweep(now, stopping);
        next_sweep = now + kSweepEvery;
      }
      Ns wake = std::min(next_sweep, stopping ? sh_.hard_end : sh_.measure_end);
      if (!stopping && next_ramp_ < conns_.size()) {
        wake = std::min(wake, conns_[next_ramp_].reopen_at);
      }
      if (!to_open_.empty()) wake = now;
      const int wait_ms = static_cast<int>(std::max<Ns>(0, (wake - now + kMilli - 1) / kMilli));
      const int n = epoll_wait(ep_, events, 1024, wait_ms);
      for (int i = 0; i < n; ++i) handle(conns_[events[i].data.u32], events[i].events);
      open_due(now_ns(), stopping);
    }
    for (Conn& c : conns_) close_fd(c);
    close(ep_);
  }

  Stats stats;

 private:
  // Opens ramp connections whose time has come and reopens queued ones. Opening is always
  // deferred to here (never from inside a failure path) so a server that resets every
  // connection cannot recurse.
  void open_due(Ns now, bool stopping) {
    if (!stopping) {
      while (next_ramp_ < conns_.size() && conns_[next_ramp_].reopen_at <= now) {
        connect_to(conns_[next_ramp_++], now);
      }
      for (size_t i = 0; i < to_open_.size(); ++i) connect_to(conns_[to_open_[i]], now);
    }
    to_open_.clear();
  }

  uint32_t index_of(const Conn& c) const { return static_cast<uint32_t>(&c - conns_.data()); }

  void connect_to(Conn& c, Ns now) {
    c.reopen_at = 0;
    c.served = 0;
    c.last_progress = now;
    c.fd = socket(sh_.addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c.fd < 0) return fail(c, kConnect, now, strerror(errno));
    const int one = 1;
    setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    const int rc = connect(c.fd, reinterpret_cast<const sockaddr*>(&sh_.addr), sh_.addr_len);
    if (rc != 0 && errno != EINPROGRESS) return fail(c, kConnect, now, strerror(errno));
    epoll_event ev{};
    ev.events = rc == 0 ? EPOLLIN : EPOLLIN | EPOLLOUT;
    ev.data.u32 = index_of(c);
    if (epoll_ctl(ep_, EPOLL_CTL_ADD, c.fd, &ev) != 0) {
      return fail(c, kConnect, now, strerror(errno));
    }
    c.state = ConnState::kConnecting;
    if (rc == 0) on_connected(c, now);
  }

  void on_connected(Conn& c, Ns now) {
    c.state = ConnState::kOpen;
    c.established = true;
    ++stats.connects;
    stats.peak_conns = std::max(stats.peak_conns, sh_.open_conns.fetch_add(1) + 1);
    start_request(c, now);
  }

  void start_request(Conn& c, Ns now) {
    if (now >= sh_.measure_end) return finish(c);
    c.parser.reset();
    c.t_start = c.last_progress = now;
    c.written = 0;
    c.in_flight = true;
    ++in_flight_;
    stats.peak_streams = std::max(stats.peak_streams, sh_.open_streams.fetch_add(1) + 1);
    write_request(c, now);
  }

  void write_request(Conn& c, Ns now) {
    const std::string& req = sh_.request;
    while (c.written < req.size()) {
      const ssize_t n = send(c.fd, req.data() + c.written, req.size() - c.written, MSG_NOSIGNAL);
      if (n > 0) {
        c.written += static_cast<size_t>(n);
      } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
        if (!c.want_out) set_want_out(c, true);
        return;
      } else if (errno != EINTR) {
        return on_peer_closed(c, now, true);
      }
    }
    if (c.want_out) set_want_out(c, false);
  }

  void set_want_out(Conn& c, bool on) {
    c.want_out = on;
    epoll_event ev{};
    ev.events = on ? EPOLLIN | EPOLLOUT : EPOLLIN;
    ev.data.u32 = index_of(c);
    epoll_ctl(ep_, EPOLL_CTL_MOD, c.fd, &ev);
  }

  void handle(Conn& c, uint32_t events) {
    if (c.fd < 0) return;  // closed earlier in this batch
    const Ns now = now_ns();
    if (c.state == ConnState::kConnecting) {
      int err = 0;
      socklen_t len = sizeof err;
      getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
      if (err != 0) return fail(c, kConnect, now, strerror(err));
      if ((events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) == 0) return;
      if (events & (EPOLLERR | EPOLLHUP)) return fail(c, kConnect, now, "connection refused");
      set_want_out(c, false);
      return on_connected(c, now);
    }
    if ((events & EPOLLOUT) && c.want_out) {
      write_request(c, now);
      if (c.fd < 0) return;
    }
    if (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) on_readable(c);
  }

  // Level-triggered: one read per readiness unless the buffer filled, so a paced stream
  // costs one recv per event rather than two.
  void on_readable(Conn& c) {
    for (;;) {
      const ssize_t n = recv(c.fd, buf_.data(), buf_.size(), 0);
      const Ns now = now_ns();
      if (n == 0) return on_peer_closed(c, now, false);
      if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) return;
        if (errno == EINTR) continue;
        return on_peer_closed(c, now, true);
      }
      c.last_progress = now;
      if (!c.in_flight) return fail(c, kParse, now, "bytes received with no request in flight");
      size_t used = 0;
      const auto r = c.parser.feed(buf_.data(), static_cast<size_t>(n), now, used);
      if (r == ResponseParser::Result::kError) return fail(c, kParse, now, c.parser.parse_error());
      if (r == ResponseParser::Result::kDone) {
        if (used != static_cast<size_t>(n)) return fail(c, kParse, now, "bytes after the response");
        return on_complete(c, now);
      }
      if (static_cast<size_t>(n) < buf_.size()) return;
    }
  }

  void on_peer_closed(Conn& c, Ns now, bool reset) {
    if (!c.in_flight) return reopen(c, now, now);
    if (!reset && c.parser.finish_at_eof()) return on_complete(c, now);
    if (c.parser.bytes() == 0 && c.served > 0) {
      // The server dropped an idle keep-alive connection as we reused it: retry elsewhere.
      end_stream(c);
      return reopen(c, now, now);
    }
    fail(c, kIncomplete, now, reset ? "connection reset mid-response" : "");
  }

  void on_complete(Conn& c, Ns now) {
    end_stream(c);
    ++c.served;
    const int kind = c.parser.verdict();
    if (kind >= 0) {
      record_error(static_cast<ErrorKind>(kind), now, c, "");
    } else if (now >= sh_.measure_start && now < sh_.measure_end) {
      record_success(c, now);
    }
    if (!c.parser.keep_alive()) return reopen(c, now, now);
    start_request(c, now);
  }

  void record_success(const Conn& c, Ns now) {
    const uint32_t latency = to_us(now - c.t_start);
    stats.latency_us.push_back(latency);
    stats.ttfb_us.push_back(to_us(c.parser.t_first_byte() - c.t_start));
    const bool json = sh_.opt->shape == Shape::kJson;
    stats.first_delta_us.push_back(json ? latency : to_us(c.parser.t_first_delta() - c.t_start));
    stats.deltas_min = std::min(stats.deltas_min, c.parser.deltas());
    stats.deltas_max = std::max(stats.deltas_max, c.parser.deltas());
  }

  // `why` empty: take the detail from the parser (status line, body, missing event…).
  void record_error(ErrorKind kind, Ns now, const Conn& c, std::string_view why) {
    ++stats.errors[kind];
    if (!stats.first_error.empty()) return;
    const std::string detail = why.empty() ? c.parser.detail(kind) : std::string(why);
    stats.first_error = std::string(kErrorNames[kind]) + ": " + detail;
    stats.first_error_at = now;
  }

  void fail(Conn& c, ErrorKind kind, Ns now, std::string_view why) {
    record_error(kind, now, c, why);
    end_stream(c);
    reopen(c, now, kind == kConnect ? now + kConnectRetry : now);
  }

  void end_stream(Conn& c) {
    if (!c.in_flight) return;
    c.in_flight = false;
    --in_flight_;
    sh_.open_streams.fetch_sub(1);
  }

  void reopen(Conn& c, Ns now, Ns at) {
    close_fd(c);
    if (now >= sh_.measure_end) return finish(c);
    c.state = ConnState::kIdle;
    if (at <= now) {
      to_open_.push_back(index_of(c));
    } else {
      c.reopen_at = at;
    }
  }

  void finish(Conn& c) {
    close_fd(c);
    c.state = ConnState::kDone;
    c.reopen_at = 0;
  }

  void close_fd(Conn& c) {
    if (c.fd < 0) return;
    close(c.fd);  // also removes it from the epoll set
    c.fd = -1;
    c.want_out = false;
    if (c.established) sh_.open_conns.fetch_sub(1);
    c.established = false;
  }

  // Finds streams and connects with no progress for --timeout, and delayed reopens now due.
  void sweep(Ns now, bool stopping) {
    for (Conn& c : conns_) {
      const bool stalled = now - c.last_progress > sh_.timeout;
      if (c.state == ConnState::kConnecting && stalled) {
        fail(c, kConnect, now, "connect timed out");
      } else if (c.in_flight && stalled) {
        fail(c, kTimeout, now, "no progress within --timeout");
      } else if (!stopping && c.state == ConnState::kIdle && c.reopen_at != 0 &&
                 c.reopen_at <= now && &c < conns_.data() + next_ramp_) {  // not a ramp slot
        c.reopen_at = 0;
        to_open_.push_back(index_of(c));
      }
    }
  }

  Shared& sh_;
  std::vector<Conn> conns_;
  std::vector<char> buf_;
  std::vector<uint32_t> to_open_;
  size_t next_ramp_ = 0;
  int64_t in_flight_ = 0;
  int ep_ = -1;
};

// ---------------------------------------------------------------------------------------------
// Process watch, percentiles, output.

// Reads a small /proc file into `buf`; returns its length or -1.
ssize_t read_proc(const std::string& path, char* buf, size_t cap) {
  FILE* f = fopen(path.c_str(), "re");
  if (f == nullptr) return -1;
  const size_t n = fread(buf, 1, cap - 1, f);
  fclose(f);
  buf[n] = '\0';
  return static_cast<ssize_t>(n);
}

int64_t cpu_us_of(int pid) {  // utime + stime of /proc/PID/stat, or -1
  char buf[4096];
  if (read_proc("/proc/" + std::to_string(pid) + "/stat", buf, sizeof buf) < 0) return -1;
  const char* p = strrchr(buf, ')');  // the command name may hold spaces and parentheses
  if (p == nullptr) return -1;
  unsigned long long utime = 0, stime = 0;
  // After ") ": state(3) ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt
  // utime(14) stime(15)
  if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime, &stime) != 2) {
    return -1;
  }
  static const long ticks = sysconf(_SC_CLK_TCK);
  return static_cast<int64_t>((utime + stime) * 1'000'000ULL /
                              static_cast<unsigned long long>(ticks));
}

int64_t rss_kb_of(int pid) {  // VmRSS of /proc/PID/status, or -1
  char buf[8192];
  if (read_proc("/proc/" + std::to_string(pid) + "/status", buf, sizeof buf) < 0) return -1;
  const char* p = strstr(buf, "VmRSS:");
  return p == nullptr ? -1 : strtoll(p + 6, nullptr, 10);
}

int64_t self_cpu_us() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1'000'000LL + ru.ru_utime.tv_usec +
         ru.ru_stime.tv_usec;
}

struct Watched {
  int pid = 0;
  int64_t cpu_start = -1, cpu_end = -1, rss_start = -1, rss_peak = -1, rss_end = -1;
  int64_t cpu() const { return cpu_start < 0 || cpu_end < 0 ? -1 : cpu_end - cpu_start; }
};

struct Watch {
  std::vector<Watched> procs;
  int64_t total_rss_peak = 0, self_cpu_start = 0, self_cpu_end = 0;

  void sample_rss(bool measure_end = false) {  // updates peaks (and the end values)
    int64_t sum = 0;
    for (Watched& w : procs) {
      const int64_t kb = rss_kb_of(w.pid);
      if (measure_end) w.rss_end = kb;
      if (kb < 0) continue;
      w.rss_peak = std::max(w.rss_peak, kb);
      sum += kb;
    }
    total_rss_peak = std::max(total_rss_peak, sum);
  }
  void sample_cpu(bool start) {
    for (Watched& w : procs) (start ? w.cpu_start : w.cpu_end) = cpu_us_of(w.pid);
    (start ? self_cpu_start : self_cpu_end) = self_cpu_us();
  }
};

// Sleeps in 100 ms steps until the workers finish, sampling RSS and, at the window's edges,
// CPU. Runs on the main thread so the workers never touch /proc.
void watch_run(Shared& sh, Watch& watch, int workers) {
  bool cpu_started = false, cpu_ended = false;
  Ns next_sample = now_ns() + 100 * kMilli;
  while (sh.workers_done.load() < workers) {
    Ns wake = next_sample;
    if (!cpu_ended) wake = std::min(wake, cpu_started ? sh.measure_end : sh.measure_start);
    const timespec ts{static_cast<time_t>(wake / kSecond), static_cast<long>(wake % kSecond)};
    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr);
    const Ns now = now_ns();
    if (!cpu_started && now >= sh.measure_start) {
      watch.sample_cpu(true);
      cpu_started = true;
    }
    if (cpu_started && !cpu_ended && now >= sh.measure_end) {
      watch.sample_cpu(false);
      watch.sample_rss(true);
      cpu_ended = true;
    }
    if (now >= next_sample) {
      watch.sample_rss();
      next_sample += 100 * kMilli;
    }
  }
  if (!cpu_ended) watch.sample_cpu(false);  // workers stopped early (cannot happen normally)
}

// Nearest rank, in integers so that e.g. p90 of 10 samples is exactly the 9th.
uint32_t percentile(const std::vector<uint32_t>& sorted, uint64_t per_mille) {
  if (sorted.empty()) return 0;
  const uint64_t rank = (per_mille * sorted.size() + 999) / 1000;
  return sorted[std::clamp<uint64_t>(rank, 1, sorted.size()) - 1];
}

std::string json_dist(std::vector<uint32_t>& v) {
  std::sort(v.begin(), v.end());
  char out[160];
  snprintf(out, sizeof out, R"({"p50":%u,"p90":%u,"p99":%u,"max":%u})", percentile(v, 500),
           percentile(v, 900), percentile(v, 990), v.empty() ? 0u : v.back());
  return out;
}

std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char esc[8];
      snprintf(esc, sizeof esc, "\\u%04x", c);
      out += esc;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

std::string truncate_utf8(std::string s, size_t max) {  // keeps the JSON output valid UTF-8
  if (s.size() <= max) return s;
  size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  s.resize(n);
  return s + "...";
}

std::string json_watch(int64_t cpu, int64_t start, int64_t peak, int64_t end) {
  char out[200];
  snprintf(out, sizeof out,
           R"({"cpu_us":%lld,"rss_start_kb":%lld,"rss_peak_kb":%lld,"rss_end_kb":%lld})",
           static_cast<long long>(cpu), static_cast<long long>(start), static_cast<long long>(peak),
           static_cast<long long>(end));
  return out;
}

void print_result(const Options& o, std::vector<Stats>& all, const Watch& watch) {
  Stats total;
  for (Stats& s : all) {
    for (int k = 0; k < kErrorKinds; ++k) total.errors[k] += s.errors[k];
    total.latency_us.insert(total.latency_us.end(), s.latency_us.begin(), s.latency_us.end());
    total.ttfb_us.insert(total.ttfb_us.end(), s.ttfb_us.begin(), s.ttfb_us.end());
    total.first_delta_us.insert(total.first_delta_us.end(), s.first_delta_us.begin(),
                                s.first_delta_us.end());
    total.deltas_min = std::min(total.deltas_min, s.deltas_min);
    total.deltas_max = std::max(total.deltas_max, s.deltas_max);
    total.peak_streams = std::max(total.peak_streams, s.peak_streams);
    total.peak_conns = std::max(total.peak_conns, s.peak_conns);
    total.connects += s.connects;
    if (!s.first_error.empty() &&
        (total.first_error.empty() || s.first_error_at < total.first_error_at)) {
      total.first_error = s.first_error;
      total.first_error_at = s.first_error_at;
    }
  }
  uint64_t errors = 0;
  std::string kinds;
  for (int k = 0; k < kErrorKinds; ++k) {
    errors += total.errors[k];
    kinds +=
        std::string(k ? "," : "") + "\"" + kErrorNames[k] + "\":" + std::to_string(total.errors[k]);
  }
  const size_t requests = total.latency_us.size();
  std::string watched, sep;
  int64_t cpu_sum = 0, start_sum = 0, end_sum = 0;
  for (const Watched& w : watch.procs) {
    watched += sep + "\"" + std::to_string(w.pid) +
               "\":" + json_watch(w.cpu(), w.rss_start, w.rss_peak, w.rss_end);
    sep = ",";
    cpu_sum += std::max<int64_t>(0, w.cpu());
    start_sum += std::max<int64_t>(0, w.rss_start);
    end_sum += std::max<int64_t>(0, w.rss_end);
  }
  char head[512];
  snprintf(head, sizeof head,
           R"({"shape":"%s","url":%s,"connections":%d,"threads":%d,"pace_ms":%d,"deltas":%d,)"
           R"("duration_s":%.3f,"warmup_s":%.3f,"requests":%zu,"rps":%.1f,"errors":%llu,)",
           o.shape_name.c_str(), json_string(o.url).c_str(), o.connections, o.threads, o.pace_ms,
           o.deltas, o.duration_s, o.warmup_s, requests,
           static_cast<double>(requests) / o.duration_s, static_cast<unsigned long long>(errors));
  std::string line = head;
  line += "\"error_kinds\":{" + kinds +
          "},\"first_error\":" + json_string(truncate_utf8(total.first_error, 400));
  line += ",\"latency_us\":" + json_dist(total.latency_us);
  line += ",\"ttfb_us\":" + json_dist(total.ttfb_us);
  line += ",\"first_delta_us\":" + json_dist(total.first_delta_us);
  line += ",\"deltas_min\":" + std::to_string(requests ? total.deltas_min : 0) +
          ",\"deltas_max\":" + std::to_string(total.deltas_max);
  line += ",\"peak_streams\":" + std::to_string(total.peak_streams) +
          ",\"peak_connections\":" + std::to_string(total.peak_conns) +
          ",\"connects\":" + std::to_string(total.connects);
  line += ",\"watch\":{" + watched +
          "},\"watch_total\":" + json_watch(cpu_sum, start_sum, watch.total_rss_peak, end_sum);
  line += ",\"self_cpu_us\":" + std::to_string(watch.self_cpu_end - watch.self_cpu_start) + "}\n";
  fputs(line.c_str(), stdout);
  fflush(stdout);
}

bool resolve(const Options& o, Shared& sh) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  const int rc = getaddrinfo(o.host.c_str(), o.port.c_str(), &hints, &res);
  if (rc != 0 || res == nullptr) {
    fprintf(stderr, "cannot resolve %s:%s: %s\n", o.host.c_str(), o.port.c_str(), gai_strerror(rc));
    return false;
  }
  memcpy(&sh.addr, res->ai_addr, res->ai_addrlen);
  sh.addr_len = res->ai_addrlen;
  freeaddrinfo(res);
  return true;
}

// 10,000 connections need more descriptors than the usual soft limit of 1024.
void raise_fd_limit(int connections) {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return;
  rl.rlim_cur = rl.rlim_max;
  setrlimit(RLIMIT_NOFILE, &rl);
  if (rl.rlim_cur < static_cast<rlim_t>(connections) + 64) {
    fprintf(stderr, "warning: RLIMIT_NOFILE hard limit %llu is below --connections + 64\n",
            static_cast<unsigned long long>(rl.rlim_cur));
  }
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  if (!parse_args(argc, argv, opt)) {
    fputs(kUsage, stderr);
    return 1;
  }
  signal(SIGPIPE, SIG_IGN);
  raise_fd_limit(opt.connections);

  Shared sh;
  sh.opt = &opt;
  if (!resolve(opt, sh)) return 1;
  sh.request = build_request(opt);

  Watch watch;
  for (int pid : opt.watch_pids) {
    Watched w;
    w.pid = pid;
    w.rss_start = w.rss_peak = rss_kb_of(pid);
    if (w.rss_start < 0) fprintf(stderr, "warning: cannot read /proc/%d/status\n", pid);
    watch.procs.push_back(w);
  }
  watch.sample_rss();

  // Measuring starts once every connection has had its turn to open, plus the warmup.
  sh.t0 = now_ns();
  const Ns ramp = static_cast<Ns>(opt.connections / opt.ramp * kSecond);
  sh.measure_start = sh.t0 + ramp + static_cast<Ns>(opt.warmup_s * kSecond);
  sh.measure_end = sh.measure_start + static_cast<Ns>(opt.duration_s * kSecond);
  sh.timeout = static_cast<Ns>(opt.timeout_s * kSecond);
  sh.hard_end = sh.measure_end + sh.timeout;
  fprintf(
      stderr,
      "bench_load: %s %s, %d connections, %d thread(s); ramp %.2fs warmup %.2fs measure %.2fs\n",
      opt.shape_name.c_str(), opt.url.c_str(), opt.connections, opt.threads,
      static_cast<double>(ramp) / kSecond, opt.warmup_s, opt.duration_s);

  std::vector<Stats> stats(static_cast<size_t>(opt.threads));
  std::vector<std::thread> threads;
  for (int t = 0; t < opt.threads; ++t) {
    threads.emplace_back([&sh, &stats, t] {
      Worker worker(sh, t);
      worker.run();
      stats[static_cast<size_t>(t)] = std::move(worker.stats);
      sh.workers_done.fetch_add(1);
    });
  }
  watch_run(sh, watch, opt.threads);
  for (auto& th : threads) th.join();

  print_result(opt, stats, watch);
  uint64_t connects = 0;
  for (const Stats& s : stats) connects += s.connects;
  if (connects == 0) {
    fprintf(stderr, "bench_load: no connection could be established to %s\n", opt.url.c_str());
    return 1;
  }
  return 0;
}
