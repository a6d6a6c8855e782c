// bench_upstream: a fast fake Anthropic / OpenAI upstream for the gateway benchmarks.
//
// Why: Warden and nginx are benchmarked proxying to this server, so it needs far more
// headroom than the gateway under test, or the benchmark measures the upstream. All
// bytes that do not depend on the request are built once and cached; each thread has
// its own SO_REUSEPORT socket and epoll loop (nothing shared, no locks); an unpaced
// response is one sendmsg; paced streams share one timer heap per thread.
//
// Usage: bench_upstream --port N [--host 127.0.0.1] [--threads T]
//   Port 0 picks a free port; prints "listening HOST:PORT" once listening; SIGINT and
//   SIGTERM exit cleanly.
// Routes: POST /v1/messages (Anthropic), POST /v1/chat/completions (OpenAI),
//   GET /health -> 200 "ok", anything else -> 404 JSON. The path picks the dialect (a
//   gateway translating between dialects forwards our headers to the other path), the
//   headers pick the response within it:
//   x-bench-shape: text | tool | openai | json
//     /v1/messages: tool -> tool_use stream, json -> non-streaming, else text stream.
//     /v1/chat/completions: json -> non-streaming, else the OpenAI text stream.
//   x-bench-deltas: K   delta events per stream (default 50, clamped to 1..10000)
//   x-bench-pace-ms: N  wait N ms before each delta (default 0: everything at once)
// A body without "stream":true gets non-streaming JSON whatever the shape. OpenAI
// streams end with a usage chunk only if the body has "include_usage":true (real API).
//
// Build: g++ -std=c++20 -O2 -Wall -Wextra -Werror -pthread bench_upstream.cpp

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <functional>
#include <memory>
#include <queue>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

namespace {

constexpr size_t kMaxHead = 64 * 1024;
constexpr size_t kMaxBody = 64 * 1024 * 1024;
constexpr size_t kMaxBuffered = kMaxHead + kMaxBody + 64 * 1024;
constexpr int kDefaultDeltas = 50;
constexpr int kMaxDeltas = 10000;
constexpr int kMaxPaceMs = 60000;
constexpr size_t kMaxCachedBodies = 64;

int64_t now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

// --- Response bodies. These wire templates are filled once per (kind, K, model, usage)
// and cached: {M} model, {K} delta count, {N} 25+K, {C} created, {U} usage,
// {F} finish_reason, {T} text, JSON piece, stop reason or OpenAI delta object. Input
// tokens are a fixed 25: a cached body cannot depend on the request.

constexpr std::string_view kMessageStart = R"({"type":"message_start","message":{"id":"msg_bench0000000000000000001","type":"message","role":"assistant","model":"{M}","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":25,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":1}}})";
constexpr std::string_view kTextStart = R"({"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}})";
constexpr std::string_view kToolStart = R"({"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"toolu_bench01","name":"Bash","input":{}}})";
constexpr std::string_view kPing = R"({"type": "ping"})";  // byte for byte what the real API sends
constexpr std::string_view kTextDelta = R"({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"{T}"}})";
constexpr std::string_view kToolDelta = R"({"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"{T}"}})";
constexpr std::string_view kBlockStop = R"({"type":"content_block_stop","index":0})";
constexpr std::string_view kMessageDelta = R"({"type":"message_delta","delta":{"stop_reason":"{T}","stop_sequence":null},"usage":{"output_tokens":{K}}})";
constexpr std::string_view kMessageStop = R"({"type":"message_stop"})";
constexpr std::string_view kMessage = R"({"id":"msg_bench0000000000000000001","type":"message","role":"assistant","model":"{M}","content":[{"type":"text","text":"{T}"}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":25,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":{K}}})";
constexpr std::string_view kChunk = R"({"id":"chatcmpl-bench0000000000000000000001","object":"chat.completion.chunk","created":{C},"model":"{M}","system_fingerprint":"fp_bench","choices":[{"index":0,"delta":{T},"logprobs":null,"finish_reason":{F}}]{U}})";
constexpr std::string_view kUsageChunk = R"({"id":"chatcmpl-bench0000000000000000000001","object":"chat.completion.chunk","created":{C},"model":"{M}","system_fingerprint":"fp_bench","choices":[],"usage":{U}})";
constexpr std::string_view kCompletion = R"({"id":"chatcmpl-bench0000000000000000000001","object":"chat.completion","created":{C},"model":"{M}","system_fingerprint":"fp_bench","choices":[{"index":0,"message":{"role":"assistant","content":"{T}","refusal":null,"annotations":[]},"logprobs":null,"finish_reason":"stop"}],"usage":{U}})";
constexpr std::string_view kUsage = R"({"prompt_tokens":25,"completion_tokens":{K},"total_tokens":{N},"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}})";
constexpr std::string_view kSseHeaders = "content-type: text/event-stream\r\ncache-control: no-cache\r\ntransfer-encoding: chunked\r\n";
constexpr std::string_view kNotFound = R"({"type":"error","error":{"type":"not_found_error","message":"bench_upstream: no such route"}})";
constexpr std::string_view kBadRequest = R"({"type":"error","error":{"type":"invalid_request_error","message":"bench_upstream: bad request"}})";

enum class Kind { kText, kTool, kOpenAi, kAnthropicJson, kOpenAiJson };

struct Body {
  std::string bytes;
  // Streams only: marks[0] ends the opening events, marks[i] ends delta i, and the
  // last mark also covers the closing events, so pacing is just releasing a prefix.
  std::vector<size_t> marks;
};
using BodyPtr = std::shared_ptr<const Body>;

// Replaces placeholders in order. No value contains a later placeholder: models are
// restricted to name characters, and {T} (generated JSON) always comes last.
std::string fill(std::string_view tpl,
                 std::initializer_list<std::pair<std::string_view, std::string_view>> vars) {
  std::string out(tpl);
  for (auto [key, value] : vars)
    for (size_t p = out.find(key); p != std::string::npos; p = out.find(key, p + value.size()))
      out.replace(p, key.size(), value);
  return out;
}

std::string json_escape(std::string_view s) {  // the generated text has no control chars
  std::string out;
  for (char ch : s) {
    if (ch == '"' || ch == '\\') out += '\\';
    out += ch;
  }
  return out;
}

// One HTTP chunk per SSE event, as the real APIs send them; returns the end offset.
// An empty name gives the OpenAI form (a data line only).
size_t append_event(std::string& out, std::string_view name, std::string_view json) {
  std::string ev = name.empty() ? "" : "event: " + std::string(name) + "\n";
  ev += "data: " + std::string(json) + "\n\n";
  char hex[16];
  out.append(hex, std::to_chars(hex, hex + sizeof hex, ev.size(), 16).ptr);
  out += "\r\n" + ev + "\r\n";
  return out.size();
}

// Delta i's text: " word{i}" plus filler, 14-30 bytes, so sizes look like real tokens.
std::string delta_text(int i) {
  static constexpr std::string_view kFiller[] = {" quick brown fox", " over the lazy dog",
                                                 " and then some", " bench text"};
  return " word" + std::to_string(i) + std::string(kFiller[i % 4]);
}

// The tool input as raw JSON, about 16 bytes per delta so that no piece is empty.
std::string tool_input_json(int k) {
  std::string desc = "List the benchmark scratch directory";
  for (int i = 0; desc.size() + 80 < size_t(k) * 16; ++i) desc += " step" + std::to_string(i);
  return R"({"command":"ls -la /tmp/bench && echo \"bench done\"","description":")" + desc + "\"}";
}

Body build(Kind kind, int k, std::string_view model, bool usage) {
  const std::string ks = std::to_string(k), created = std::to_string(std::time(nullptr));
  const std::string usage_json = fill(kUsage, {{"{K}", ks}, {"{N}", std::to_string(25 + k)}});
  Body b;
  std::string& o = b.bytes;
  if (kind == Kind::kAnthropicJson || kind == Kind::kOpenAiJson) {
    std::string text;
    for (int i = 0; i < k; ++i) text += json_escape(delta_text(i));
    o = kind == Kind::kOpenAiJson
            ? fill(kCompletion, {{"{C}", created}, {"{M}", model}, {"{U}", usage_json}, {"{T}", text}})
            : fill(kMessage, {{"{M}", model}, {"{K}", ks}, {"{T}", text}});
    return b;
  }
  if (kind == Kind::kOpenAi) {
    // With include_usage every chunk has "usage":null and a usage chunk comes before
    // [DONE]; without it there is no usage key at all.
    auto chunk = [&](std::string_view delta, std::string_view finish) {
      return fill(kChunk, {{"{C}", created}, {"{M}", model}, {"{F}", finish},
                           {"{U}", usage ? R"(,"usage":null)" : ""}, {"{T}", delta}});
    };
    b.marks.push_back(append_event(o, "", chunk(R"({"role":"assistant","content":""})", "null")));
    for (int i = 0; i < k; ++i) {
      std::string delta = R"({"content":")" + json_escape(delta_text(i)) + "\"}";
      b.marks.push_back(append_event(o, "", chunk(delta, "null")));
    }
    append_event(o, "", chunk("{}", R"("stop")"));
    if (usage)
      append_event(o, "", fill(kUsageChunk, {{"{C}", created}, {"{M}", model}, {"{U}", usage_json}}));
    append_event(o, "", "[DONE]");
  } else {
    const bool tool = kind == Kind::kTool;
    append_event(o, "message_start", fill(kMessageStart, {{"{M}", model}}));
    append_event(o, "content_block_start", tool ? kToolStart : kTextStart);
    if (!tool) append_event(o, "ping", kPing);
    b.marks.push_back(o.size());
    const std::string input = tool ? tool_input_json(k) : "";
    for (int i = 0; i < k; ++i) {
      // Tool input is cut anywhere: only the concatenation of the pieces must parse.
      size_t from = input.size() * size_t(i) / size_t(k), to = input.size() * size_t(i + 1) / size_t(k);
      std::string piece = tool ? input.substr(from, to - from) : delta_text(i);
      b.marks.push_back(append_event(o, "content_block_delta",
                                     fill(tool ? kToolDelta : kTextDelta, {{"{T}", json_escape(piece)}})));
    }
    append_event(o, "content_block_stop", kBlockStop);
    const std::string_view stop_reason = tool ? "tool_use" : "end_turn";
    append_event(o, "message_delta", fill(kMessageDelta, {{"{K}", ks}, {"{T}", stop_reason}}));
    append_event(o, "message_stop", kMessageStop);
  }
  o += "0\r\n\r\n";
  b.marks.back() = o.size();  // the last delta goes out together with the closing events
  return b;
}

// --- Request body sniffing: no JSON parser, just the three keys we care about.

// Calls f with the text after `"key"` + whitespace + ':' + whitespace, for each
// occurrence not escaped inside a string, until f returns true.
template <class F>
void for_each_value(std::string_view body, std::string_view key, F&& f) {
  auto skip_ws = [&](size_t i) { return std::min(body.find_first_not_of(" \t\r\n", i), body.size()); };
  for (size_t pos = body.find(key); pos != std::string_view::npos; pos = body.find(key, pos + 1)) {
    if (pos > 0 && body[pos - 1] == '\\') continue;
    size_t i = skip_ws(pos + key.size());
    if (i < body.size() && body[i] == ':' && f(body.substr(skip_ws(i + 1)))) return;
  }
}

bool has_true(std::string_view body, std::string_view key) {
  bool found = false;
  for_each_value(body, key, [&](std::string_view v) { return found = v.starts_with("true"); });
  return found;
}

// The "model" string if it looks like a model name (safe to echo into JSON), else "".
std::string_view model_of(std::string_view body) {
  std::string_view model;
  auto name_char = [](unsigned char c) { return std::isalnum(c) || (c && std::strchr("-._:/@", c)); };
  for_each_value(body, "\"model\"", [&](std::string_view v) {
    if (!v.starts_with('"')) return false;
    size_t end = v.find('"', 1);
    if (end != std::string_view::npos && end >= 2 && end <= 101 &&
        std::all_of(v.begin() + 1, v.begin() + end, name_char))
      model = v.substr(1, end - 1);
    return true;
  });
  return model;
}

// --- HTTP/1.1 request parsing. It runs again from the start of the buffer after every
// read: the head is small, and a body is only scanned, not copied, until complete.

enum class Parse { kNeed, kBad, kOk };

struct Request {
  std::string_view method, path, shape, pace, deltas, body;
  bool keep_alive = true;
  size_t consumed = 0;  // bytes of the buffer this request occupies
};

bool iequals(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](unsigned char x, unsigned char y) {
    return std::tolower(x) == std::tolower(y);
  });
}

bool is_token(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || (c && std::strchr("!#$%&'*+-.^_`|~", c));
  });
}

std::string_view trim(std::string_view s) {
  const size_t from = s.find_first_not_of(" \t");
  return from == std::string_view::npos ? "" : s.substr(from, s.find_last_not_of(" \t") + 1 - from);
}

// Empty leaves the default; otherwise digits only.
bool parse_uint(std::string_view s, auto& out) {
  if (s.empty()) return true;
  auto res = std::from_chars(s.data(), s.data() + s.size(), out);
  return s[0] != '-' && res.ec == std::errc() && res.ptr == s.data() + s.size();
}

// Returns the bytes consumed when the chunked body is complete, 0 when more bytes are
// needed, -1 when it is malformed. Appends the data to `out` when it is given.
long decode_chunked(std::string_view s, std::string* out) {
  size_t pos = 0, total = 0;
  for (;;) {
    size_t eol = s.find("\r\n", pos);
    if (eol == std::string_view::npos) return s.size() - pos > 1024 ? -1 : 0;
    std::string_view line = s.substr(pos, eol - pos);
    size_t size = 0;
    auto res = std::from_chars(line.data(), line.data() + line.size(), size, 16);
    if (res.ec != std::errc() || res.ptr == line.data()) return -1;
    if (res.ptr != line.data() + line.size() && !std::strchr("; \t", *res.ptr)) return -1;
    pos = eol + 2;
    if (size == 0) {  // the last chunk; trailer fields are not supported
      if (s.size() - pos < 2) return 0;
      return s.substr(pos, 2) == "\r\n" ? long(pos + 2) : -1;
    }
    if (size > kMaxBody - total) return -1;
    if (s.size() - pos < size + 2) return 0;
    if (s.substr(pos + size, 2) != "\r\n") return -1;
    if (out) out->append(s.data() + pos, size);
    total += size;
    pos += size + 2;
  }
}

Parse parse_request(std::string_view in, Request& r, std::string& scratch) {
  const size_t head_end = in.find("\r\n\r\n");
  if (head_end == std::string_view::npos) return in.size() > kMaxHead ? Parse::kBad : Parse::kNeed;
  if (head_end > kMaxHead) return Parse::kBad;
  const std::string_view head = in.substr(0, head_end);

  // Request line: METHOD SP /target SP HTTP/1.x
  size_t eol = std::min(head.find("\r\n"), head.size());
  std::string_view line = head.substr(0, eol);
  size_t sp1 = line.find(' ');
  size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos) return Parse::kBad;
  r.method = line.substr(0, sp1);
  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1), version = line.substr(sp2 + 1);
  if (!is_token(r.method) || !target.starts_with('/')) return Parse::kBad;
  if (version == "HTTP/1.0") r.keep_alive = false;
  else if (version != "HTTP/1.1") return Parse::kBad;
  r.path = target.substr(0, target.find('?'));

  bool chunked = false, has_length = false;
  size_t length = 0;
  for (size_t pos = eol + 2; pos < head.size(); pos = eol + 2) {
    eol = std::min(head.find("\r\n", pos), head.size());
    line = head.substr(pos, eol - pos);
    size_t colon = line.find(':');
    if (colon == std::string_view::npos || !is_token(line.substr(0, colon))) return Parse::kBad;
    std::string_view name = line.substr(0, colon), value = trim(line.substr(colon + 1));
    if (iequals(name, "content-length")) {
      size_t n = 0;
      if (value.empty() || !parse_uint(value, n) || n > kMaxBody || (has_length && n != length))
        return Parse::kBad;
      has_length = true, length = n;
    } else if (iequals(name, "transfer-encoding")) {
      if (!iequals(value, "chunked")) return Parse::kBad;  // no other codings supported
      chunked = true;
    } else if (iequals(name, "connection") && (iequals(value, "close") || iequals(value, "keep-alive"))) {
      r.keep_alive = iequals(value, "keep-alive");
    } else if (iequals(name, "x-bench-shape")) r.shape = value;
    else if (iequals(name, "x-bench-pace-ms")) r.pace = value;
    else if (iequals(name, "x-bench-deltas")) r.deltas = value;
  }
  if (chunked && has_length) return Parse::kBad;  // ambiguous framing

  const size_t body_start = head_end + 4;
  const std::string_view rest = in.substr(body_start);
  if (chunked) {
    long n = decode_chunked(rest, nullptr);  // scan only: copy once it is complete
    if (n <= 0) return n < 0 ? Parse::kBad : Parse::kNeed;
    scratch.clear();
    decode_chunked(rest, &scratch);
    r.body = scratch;
    r.consumed = body_start + size_t(n);
  } else {
    if (rest.size() < length) return Parse::kNeed;
    r.body = rest.substr(0, length);
    r.consumed = body_start + length;
  }
  return Parse::kOk;
}

// --- The event loop: one Worker per thread, owning its listening socket.

struct Conn {
  int fd = -1;
  uint32_t gen = 0;  // per-thread connection serial: stale timers and events are ignored
  std::string in;
  std::string head;  // this response's status line and headers (or a whole small response)
  size_t head_off = 0;
  BodyPtr body;      // shared cached bytes; [body_off, body_end) is released but unsent
  size_t body_off = 0, body_end = 0;
  size_t next_mark = 0;  // paced: the next Body::marks entry a timer releases
  int pace_ms = 0;
  int64_t deadline = 0;
  bool responding = false, paced = false, close_after = false;
};

using Timer = std::tuple<int64_t, int, uint32_t>;  // deadline, fd, Conn::gen

class Worker final {
 public:
  Worker(int id, int listen_fd, int stop_fd) : id_(id), listen_fd_(listen_fd), stop_fd_(stop_fd) {
    for (int fd : {listen_fd_, stop_fd_}) {  // level-triggered: every loop sees the stop
      epoll_event ev{.events = EPOLLIN, .data = {.u64 = uint32_t(fd)}};
      epoll_ctl(ep_, EPOLL_CTL_ADD, fd, &ev);
    }
  }
  ~Worker() {
    for (auto& c : conns_)
      if (c) ::close(c->fd);
    ::close(ep_);
  }

  void run() {
    epoll_event events[512];
    for (;;) {
      int n = epoll_wait(ep_, events, 512, timeout_ms());
      if (n < 0 && errno != EINTR) return;
      now_ = now_ns();
      for (int i = 0; i < n; ++i) {
        int fd = int(uint32_t(events[i].data.u64));
        if (fd == stop_fd_) return;
        if (fd == listen_fd_) accept_all();
        else if (Conn* c = find(fd, uint32_t(events[i].data.u64 >> 32))) on_conn_event(*c, events[i].events);
      }
      fire_timers();
    }
  }

 private:
  Conn* find(int fd, uint32_t gen) {
    if (size_t(fd) >= conns_.size() || !conns_[fd] || conns_[fd]->gen != gen) return nullptr;
    return conns_[fd].get();
  }

  int timeout_ms() const {
    if (timers_.empty()) return -1;
    int64_t d = std::get<0>(timers_.top()) - now_ns();
    return d <= 0 ? 0 : int((d + 999'999) / 1'000'000);  // round up: never wake early
  }

  void accept_all() {
    for (;;) {
      int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0 && errno == ECONNABORTED) continue;
      if (fd < 0) {
        if ((errno == EMFILE || errno == ENFILE) && !std::exchange(warned_fds_, true))
          std::fprintf(stderr, "bench_upstream: out of file descriptors\n");
        return;  // EAGAIN: the backlog is empty
      }
      int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      auto c = std::make_unique<Conn>();
      c->fd = fd;
      c->gen = ++next_gen_;
      // Edge-triggered, both directions registered once: no epoll_ctl per response.
      epoll_event ev{.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
                     .data = {.u64 = (uint64_t(c->gen) << 32) | uint32_t(fd)}};
      if (epoll_ctl(ep_, EPOLL_CTL_ADD, fd, &ev) != 0) {
        ::close(fd);
        continue;
      }
      if (size_t(fd) >= conns_.size()) conns_.resize(std::max<size_t>(fd + 1, conns_.size() * 2));
      conns_[fd] = std::move(c);
    }
  }

  void close_conn(Conn& c) {
    int fd = c.fd;
    ::close(fd);
    conns_[fd].reset();  // c is gone; its queued timer no longer matches a connection
  }

  // A short read means the socket is drained (new data raises a new edge), which saves
  // an EAGAIN read per request; only a pending FIN needs reading to the end.
  void on_conn_event(Conn& c, uint32_t events) {
    if (events & EPOLLERR) return close_conn(c);
    const bool fin = events & (EPOLLRDHUP | EPOLLHUP);
    for (bool more = events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP); more;) {
      ssize_t n = ::read(c.fd, buf_, sizeof buf_);
      if (n > 0) {
        if (c.in.size() + size_t(n) > kMaxBuffered) return close_conn(c);
        c.in.append(buf_, size_t(n));
        more = size_t(n) == sizeof buf_ || fin;
      } else if (n < 0 && errno == EAGAIN) {
        more = false;
      } else {
        return close_conn(c);  // EOF or error: the client is gone, even mid-response
      }
    }
    drive(c);
  }

  // Sends what is released. False when the socket is full (the EPOLLOUT edge resumes
  // us) or the connection was closed.
  bool flush(Conn& c) {
    for (;;) {
      iovec iov[2];
      size_t n = 0;
      if (c.head_off < c.head.size()) iov[n++] = {c.head.data() + c.head_off, c.head.size() - c.head_off};
      if (c.body && c.body_off < c.body_end)
        iov[n++] = {const_cast<char*>(c.body->bytes.data()) + c.body_off, c.body_end - c.body_off};
      if (n == 0) return true;
      msghdr msg{.msg_name = nullptr, .msg_namelen = 0, .msg_iov = iov, .msg_iovlen = n,
                 .msg_control = nullptr, .msg_controllen = 0, .msg_flags = 0};
      ssize_t w = ::sendmsg(c.fd, &msg, MSG_NOSIGNAL);  // skips the VFS layer writev takes
      if (w < 0) {
        if (errno != EAGAIN) close_conn(c);
        return false;
      }
      size_t from_head = std::min(size_t(w), c.head.size() - c.head_off);
      c.head_off += from_head;
      c.body_off += size_t(w) - from_head;
    }
  }

  // Sends the current response, then serves the next buffered request, until blocked.
  void drive(Conn& c) {
    for (;;) {
      if (c.responding) {
        if (!flush(c)) return;
        if (c.paced && c.next_mark < c.body->marks.size()) return;  // a timer releases more
        c.responding = c.paced = false;
        c.body.reset();
        if (c.close_after) return close_conn(c);
      }
      Request req;
      Parse p = parse_request(c.in, req, scratch_);
      if (p == Parse::kNeed) return;
      if (p == Parse::kBad) {
        c.in.clear();
        respond_small(c, "400 Bad Request", "application/json", kBadRequest, true);
        continue;
      }
      start_response(c, req);  // req points into c.in: erase only afterwards
      c.in.erase(0, req.consumed);
      if (c.in.empty() && c.in.capacity() > kMaxHead) std::string().swap(c.in);  // big body
    }
  }

  // Starts a response; a small body (errors, health) goes into the head buffer itself.
  void set_head(Conn& c, std::string_view status, std::string_view headers, bool close,
                std::string_view small_body = {}) {
    c.head.assign("HTTP/1.1 ").append(status).append("\r\n").append(headers);
    c.head.append("request-id: req_bench").append(std::to_string(id_)).append("_");
    c.head.append(std::to_string(++requests_));
    c.head.append(close ? "\r\nconnection: close\r\n\r\n" : "\r\n\r\n").append(small_body);
    c.head_off = 0;
    c.responding = true;
    c.close_after = close;
  }

  void respond_small(Conn& c, std::string_view status, std::string_view type, std::string_view body,
                     bool close) {
    c.body.reset();
    set_head(c, status, "content-type: " + std::string(type) + "\r\ncontent-length: " +
                            std::to_string(body.size()) + "\r\n", close, body);
  }

  void start_response(Conn& c, const Request& req) {
    const bool close = !req.keep_alive;
    if (req.path == "/health" && req.method == "GET")
      return respond_small(c, "200 OK", "text/plain", "ok", close);
    const bool openai = req.path == "/v1/chat/completions";
    if (req.method != "POST" || !(openai || req.path == "/v1/messages"))
      return respond_small(c, "404 Not Found", "application/json", kNotFound, close);

    int deltas = kDefaultDeltas, pace = 0;
    const std::string_view shape = req.shape;
    if (!parse_uint(req.deltas, deltas) || !parse_uint(req.pace, pace) || pace > kMaxPaceMs ||
        !(shape.empty() || shape == "text" || shape == "tool" || shape == "openai" || shape == "json"))
      return respond_small(c, "400 Bad Request", "application/json", kBadRequest, close);
    deltas = std::clamp(deltas, 1, kMaxDeltas);

    const bool stream = shape != "json" && has_true(req.body, "\"stream\"");
    std::string_view model = model_of(req.body);
    if (model.empty()) model = openai ? "gpt-4o" : "claude-sonnet-4-5";
    const bool usage = openai && stream && has_true(req.body, "\"include_usage\"");
    Kind kind = openai ? (stream ? Kind::kOpenAi : Kind::kOpenAiJson)
                       : (!stream ? Kind::kAnthropicJson : shape == "tool" ? Kind::kTool : Kind::kText);
    c.body = cached_body(kind, deltas, model, usage);

    if (stream) {
      set_head(c, "200 OK", kSseHeaders, close);
    } else {
      const std::string length = std::to_string(c.body->bytes.size());
      set_head(c, "200 OK", "content-type: application/json\r\ncontent-length: " + length + "\r\n", close);
    }
    c.body_off = 0;
    c.paced = stream && pace > 0;
    c.body_end = c.paced ? c.body->marks[0] : c.body->bytes.size();  // headers + opening at once
    if (c.paced) {
      c.next_mark = 1;
      c.pace_ms = pace;
      c.deadline = now_;
      arm(c);
    }
  }

  // Bodies are shared_ptr, so clearing the cache never frees one still being sent.
  BodyPtr cached_body(Kind kind, int k, std::string_view model, bool usage) {
    std::string key = std::to_string(int(kind)) + (usage ? "u" : "-") + std::to_string(k) + ":";
    key += model;
    if (auto it = cache_.find(key); it != cache_.end()) return it->second;
    if (cache_.size() >= kMaxCachedBodies) cache_.clear();  // bounded even if models vary
    auto body = std::make_shared<const Body>(build(kind, k, model, usage));
    cache_.emplace(std::move(key), body);
    return body;
  }

  // Deadlines chain from the previous one, so wake-up jitter does not add up over a
  // stream; after a stall longer than one interval we restart instead of bursting.
  void arm(Conn& c) {
    const int64_t pace = int64_t{c.pace_ms} * 1'000'000;
    c.deadline += pace;
    if (c.deadline < now_) c.deadline = now_ + pace;
    timers_.push({c.deadline, c.fd, c.gen});
  }

  void fire_timers() {
    now_ = now_ns();
    while (!timers_.empty() && std::get<0>(timers_.top()) <= now_) {
      auto [at, fd, gen] = timers_.top();
      timers_.pop();
      Conn* c = find(fd, gen);
      if (!c || !c->paced) continue;  // the client left mid-stream
      // Earlier bytes may still be unsent (slow reader): releasing more extends them.
      c->body_end = c->body->marks[c->next_mark++];
      if (c->next_mark < c->body->marks.size()) arm(*c);
      drive(*c);
    }
  }

  const int id_, listen_fd_, stop_fd_;
  const int ep_ = epoll_create1(EPOLL_CLOEXEC);
  uint32_t next_gen_ = 0;
  uint64_t requests_ = 0;
  int64_t now_ = now_ns();
  bool warned_fds_ = false;
  std::vector<std::unique_ptr<Conn>> conns_;  // indexed by fd
  std::priority_queue<Timer, std::vector<Timer>, std::greater<>> timers_;
  std::unordered_map<std::string, BodyPtr> cache_;
  std::string scratch_;  // decoded chunked request body
  char buf_[64 * 1024];
};

// --- Startup.

// Returns the listening socket and sets *port to the bound port (port 0 = any free).
int make_listener(const char* host, int* port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(uint16_t(*port));
  socklen_t len = sizeof addr;
  // The kernel clamps the backlog to net.core.somaxconn; ask for the most it allows.
  constexpr int kBacklog = std::max(SOMAXCONN, 65535);
  if (fd < 0 || inet_pton(AF_INET, host, &addr.sin_addr) != 1 ||
      bind(fd, reinterpret_cast<sockaddr*>(&addr), len) != 0 || listen(fd, kBacklog) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    std::fprintf(stderr, "bench_upstream: cannot listen on %s:%d: %s\n", host, *port,
                 std::strerror(errno));
    std::exit(1);
  }
  *port = ntohs(addr.sin_port);
  return fd;
}

}  // namespace

int main(int argc, char** argv) {
  std::string host = "127.0.0.1";
  int port = -1, threads = 1;
  bool ok = argc % 2 == 1;
  for (int i = 1; ok && i + 1 < argc; i += 2) {
    std::string_view arg = argv[i], value = argv[i + 1];
    if (arg == "--host") host = value;
    else if (arg == "--port") ok = !value.empty() && parse_uint(value, port);
    else if (arg == "--threads") ok = !value.empty() && parse_uint(value, threads);
    else ok = false;
  }
  if (!ok || port < 0 || port > 65535 || threads < 1 || threads > 256) {
    std::fprintf(stderr, "usage: bench_upstream --port N [--host 127.0.0.1] [--threads T]\n");
    return 2;
  }

  // 10,000 streams through a gateway need far more than the usual 1024 descriptors.
  rlimit lim{};
  getrlimit(RLIMIT_NOFILE, &lim);
  lim.rlim_cur = lim.rlim_max;
  setrlimit(RLIMIT_NOFILE, &lim);
  signal(SIGPIPE, SIG_IGN);
  // Block the stop signals in every thread; main waits for them with sigwait.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  for (int sig : {SIGINT, SIGTERM}) sigaddset(&stop_signals, sig);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  // One SO_REUSEPORT socket per thread, so the kernel spreads the connections and the
  // threads share nothing. With port 0 the first bind picks the port for the rest.
  std::vector<int> listeners;
  for (int t = 0; t < threads; ++t) listeners.push_back(make_listener(host.c_str(), &port));
  const int stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (stop_fd < 0) return 1;
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([t, fd = listeners[size_t(t)], stop_fd] {
      auto worker = std::make_unique<Worker>(t, fd, stop_fd);  // 64 KiB buffer: not on the stack
      worker->run();
    });
  }
  std::printf("listening %s:%d\n", host.c_str(), port);
  std::fflush(stdout);

  int sig = 0;
  sigwait(&stop_signals, &sig);
  const uint64_t one = 1;
  if (::write(stop_fd, &one, sizeof one) != sizeof one) return 1;
  for (auto& w : workers) w.join();
  for (int fd : listeners) ::close(fd);
  ::close(stop_fd);
  return 0;
}
