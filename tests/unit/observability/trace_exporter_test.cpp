#include "observability/trace_exporter.hpp"

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json/parse.hpp>
#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include "observability/metrics.hpp"

namespace warden::observability {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

struct Received {
  std::string method, target, content_type, host, sni, body;
  std::size_t spans = 0;
};

struct CollectorOptions {
  unsigned status = 200;
  bool silent = false;  // listen but never accept: connections sit in the backlog unanswered
  ssl::context* tls = nullptr;
};

// A one-thread, one-request-per-connection OTLP collector on 127.0.0.1:0 (Beast sync server).
class TestCollector {
 public:
  explicit TestCollector(CollectorOptions options = {})
      : options_(options), acceptor_(ioc_, {asio::ip::make_address("127.0.0.1"), 0}) {
    if (!options_.silent) thread_ = std::thread([this] { serve(); });
  }

  ~TestCollector() {
    stopping_ = true;
    if (thread_.joinable()) {
      tcp::socket wake(ioc_);  // unblocks accept()
      beast::error_code ignored;
      wake.connect(acceptor_.local_endpoint(), ignored);
      thread_.join();
    }
  }

  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  std::string url(const std::string& host = "127.0.0.1") const {
    return (options_.tls ? "https://" : "http://") + host + ":" + std::to_string(port()) +
           "/v1/traces";
  }

  std::vector<Received> received() {
    std::lock_guard lock(mu_);
    return received_;
  }

  std::size_t span_count() {
    std::lock_guard lock(mu_);
    std::size_t n = 0;
    for (const Received& r : received_) n += r.spans;
    return n;
  }

 private:
  void serve() {
    while (!stopping_) {
      tcp::socket socket(ioc_);
      beast::error_code ec;
      acceptor_.accept(socket, ec);
      if (stopping_ || ec) return;
      if (!options_.tls) {
        answer(socket, "");
        continue;
      }
      ssl::stream<tcp::socket> stream(std::move(socket), *options_.tls);
      stream.handshake(ssl::stream_base::server, ec);
      if (ec) continue;  // the exporter refused our certificate
      const char* sni = SSL_get_servername(stream.native_handle(), TLSEXT_NAMETYPE_host_name);
      answer(stream, sni ? sni : "");
    }
  }

  template <class Stream>
  void answer(Stream& stream, std::string sni) {
    beast::error_code ec;
    beast::flat_buffer buffer;
    http::request<http::string_body> req;
    http::read(stream, buffer, req, ec);
    if (ec) return;
    Received r{std::string(req.method_string()),
               std::string(req.target()),
               std::string(req[http::field::content_type]),
               std::string(req[http::field::host]),
               std::move(sni),
               req.body()};
    const json::value doc = json::parse(r.body, ec);
    if (!ec) {
      r.spans = doc.at("resourceSpans").at(0).at("scopeSpans").at(0).at("spans").as_array().size();
    }
    {
      std::lock_guard lock(mu_);
      received_.push_back(std::move(r));
    }
    http::response<http::string_body> res{static_cast<http::status>(options_.status), 11};
    res.set(http::field::content_type, "application/json");
    res.body() = "{}";
    res.keep_alive(false);
    res.prepare_payload();
    http::write(stream, res, ec);
  }

  const CollectorOptions options_;
  asio::io_context ioc_;
  tcp::acceptor acceptor_;
  std::atomic<bool> stopping_{false};
  std::mutex mu_;
  std::vector<Received> received_;
  std::thread thread_;
};

template <class Predicate>
bool eventually(Predicate predicate, std::chrono::milliseconds timeout = 5s) {
  const auto deadline = Clock::now() + timeout;
  while (!predicate()) {
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

std::uint64_t spans_dropped_total() {
  const std::string text = metrics().render();
  const std::string key = "\nwarden_trace_spans_dropped_total ";
  const std::size_t at = text.find(key);
  if (at == std::string::npos) throw std::runtime_error("no spans_dropped counter");
  return std::stoull(text.substr(at + key.size()));
}

std::vector<Span> spans(std::size_t n) {
  std::vector<Span> out(n);
  const std::string trace = new_trace_id();
  for (Span& s : out) {
    s.trace_id = trace;
    s.span_id = new_span_id();
    s.name = "test";
  }
  return out;
}

std::string closed_port_url() {
  asio::io_context ioc;
  tcp::acceptor probe(ioc, {asio::ip::make_address("127.0.0.1"), 0});
  const auto port = probe.local_endpoint().port();
  probe.close();  // nobody listens there now: connecting is refused
  return "http://127.0.0.1:" + std::to_string(port) + "/v1/traces";
}

TEST(TraceExporterTest, SendsBatchesOfAtMostMaxBatch) {
  TestCollector collector;
  TraceExporter exporter(collector.url(), "warden-test",
                         {.max_queue_spans = 100, .max_batch = 3, .flush_interval = 100ms});
  std::set<std::string> sent;
  for (int i = 0; i < 7; ++i) {
    std::vector<Span> one = spans(1);
    sent.insert(one[0].span_id);
    exporter.submit(std::move(one));
  }
  ASSERT_TRUE(eventually([&] { return collector.span_count() == 7; })) << collector.span_count();

  std::set<std::string> got;
  for (const Received& r : collector.received()) {
    EXPECT_EQ(r.method, "POST");
    EXPECT_EQ(r.target, "/v1/traces");
    EXPECT_EQ(r.content_type, "application/json");
    EXPECT_EQ(r.host, "127.0.0.1:" + std::to_string(collector.port()));
    EXPECT_GE(r.spans, 1u);
    EXPECT_LE(r.spans, 3u);
    const json::value doc = json::parse(r.body);
    const json::value& rs = doc.at("resourceSpans").at(0);
    EXPECT_EQ(rs.at("resource").at("attributes").at(0).at("value").at("stringValue"),
              "warden-test");
    for (const json::value& s : rs.at("scopeSpans").at(0).at("spans").as_array()) {
      got.insert(std::string(s.at("spanId").as_string()));
    }
  }
  EXPECT_EQ(got, sent);
}

TEST(TraceExporterTest, StopFlushesAcceptedSpans) {
  TestCollector collector;
  TraceExporter exporter(collector.url(), "warden-test", {.flush_interval = 60s});
  exporter.submit(spans(5));
  const auto started = Clock::now();
  exporter.stop(5s);
  EXPECT_LT(Clock::now() - started, 5s);
  EXPECT_EQ(collector.span_count(), 5u);  // answered before stop() returned
  EXPECT_EQ(collector.received().size(), 1u);
}

TEST(TraceExporterTest, QueueOverflowDropsWholeSubmissionsAndCounts) {
  TestCollector collector;
  const std::uint64_t before = spans_dropped_total();
  TraceExporter exporter(collector.url(), "warden-test",
                         {.max_queue_spans = 10, .max_batch = 100, .flush_interval = 60s});
  exporter.submit(spans(6));
  exporter.submit(spans(6));  // does not fit: dropped whole
  exporter.submit(spans(4));  // fits exactly
  exporter.submit(spans(1));  // full
  EXPECT_EQ(spans_dropped_total() - before, 7u);
  exporter.stop(5s);
  EXPECT_EQ(collector.span_count(), 10u);
  EXPECT_EQ(spans_dropped_total() - before, 7u);

  exporter.submit(spans(2));  // after stop
  EXPECT_EQ(spans_dropped_total() - before, 9u);
}

TEST(TraceExporterTest, CollectorErrorDropsTheBatch) {
  TestCollector collector({.status = 500});
  const std::uint64_t before = spans_dropped_total();
  TraceExporter exporter(collector.url(), "warden-test", {.flush_interval = 20ms});
  exporter.submit(spans(3));
  EXPECT_TRUE(eventually([&] { return spans_dropped_total() - before == 3; }));
  exporter.stop(1s);
  EXPECT_EQ(collector.received().size(), 1u);  // no retry storm
  EXPECT_EQ(spans_dropped_total() - before, 3u);
}

TEST(TraceExporterTest, UnreachableEndpointNeverBlocksSubmit) {
  const std::uint64_t before = spans_dropped_total();
  TraceExporter exporter(closed_port_url(), "warden-test",
                         {.max_queue_spans = 50, .max_batch = 5, .flush_interval = 10ms});
  const auto started = Clock::now();
  for (int i = 0; i < 500; ++i) exporter.submit(spans(1));
  EXPECT_LT(Clock::now() - started, 1s);
  // Every span ends up either refused by the collector or by the full queue.
  EXPECT_TRUE(eventually([&] { return spans_dropped_total() - before == 500; }))
      << spans_dropped_total() - before;
  const auto stopping = Clock::now();
  exporter.stop(1s);
  EXPECT_LT(Clock::now() - stopping, 1500ms);
}

TEST(TraceExporterTest, SilentCollectorTimesOut) {
  TestCollector collector({.silent = true});
  const std::uint64_t before = spans_dropped_total();
  TraceExporter exporter(collector.url(), "warden-test",
                         {.flush_interval = 10ms, .timeout = 200ms});
  exporter.submit(spans(2));
  EXPECT_TRUE(eventually([&] { return spans_dropped_total() - before == 2; }));
  exporter.stop(1s);
}

TEST(TraceExporterTest, StopAbandonsAHungPostAtItsDeadline) {
  TestCollector collector({.silent = true});
  const std::uint64_t before = spans_dropped_total();
  TraceExporter exporter(collector.url(), "warden-test", {.flush_interval = 10ms, .timeout = 30s});
  exporter.submit(spans(3));
  std::this_thread::sleep_for(100ms);  // the POST is in flight and will never be answered
  const auto started = Clock::now();
  for (int i = 0; i < 1000; ++i) exporter.submit(spans(1));
  EXPECT_LT(Clock::now() - started, 1s);

  const auto stopping = Clock::now();
  exporter.stop(300ms);
  const auto took = Clock::now() - stopping;
  EXPECT_GE(took, 250ms);  // it did wait for the collector…
  EXPECT_LT(took, 2s);     // …but not for the 30 s POST timeout
  EXPECT_EQ(spans_dropped_total() - before, 1003u);
}

TEST(TraceExporterTest, RejectsEndpointsThatAreNotHttpUrls) {
  for (const char* url : {"", "127.0.0.1:4318", "ftp://host/v1/traces", "http://", "not a url"}) {
    EXPECT_THROW(TraceExporter(url, "s"), std::invalid_argument) << url;
  }
  EXPECT_THROW(TraceExporter("http://127.0.0.1:1/", "s", {.max_batch = 0}), std::invalid_argument);
}

// A self-signed certificate for "localhost", made by the openssl command.
struct TestCertificate {
  std::filesystem::path dir;
  std::string cert, key;

  TestCertificate() {
    char pattern[] = "/tmp/warden-trace-tls-XXXXXX";
    if (!mkdtemp(pattern)) throw std::runtime_error("mkdtemp failed");
    dir = pattern;
    cert = (dir / "cert.pem").string();
    key = (dir / "key.pem").string();
    const std::string command =
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2"
        " -subj /CN=localhost -addext subjectAltName=DNS:localhost -keyout " +
        key + " -out " + cert + " 2>/dev/null";
    if (std::system(command.c_str()) != 0) throw std::runtime_error("openssl failed");
  }
  ~TestCertificate() { std::filesystem::remove_all(dir); }

  ssl::context server_context() const {
    ssl::context context(ssl::context::tls_server);
    context.use_certificate_chain_file(cert);
    context.use_private_key_file(key, ssl::context::pem);
    return context;
  }
};

TEST(TraceExporterTest, HttpsSendsSniAndVerifiesTheCertificate) {
  const TestCertificate pki;
  ssl::context server = pki.server_context();
  TestCollector collector({.tls = &server});
  // OpenSSL's default verify paths honour SSL_CERT_FILE: trust our certificate as if the
  // system store held it.
  ASSERT_EQ(setenv("SSL_CERT_FILE", pki.cert.c_str(), 1), 0);
  TraceExporter exporter(collector.url("localhost"), "warden-test", {.flush_interval = 10ms});
  unsetenv("SSL_CERT_FILE");
  exporter.submit(spans(2));
  ASSERT_TRUE(eventually([&] { return collector.span_count() == 2; }));
  exporter.stop(1s);
  const std::vector<Received> got = collector.received();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].sni, "localhost");
  EXPECT_EQ(got[0].host, "localhost:" + std::to_string(collector.port()));
}

TEST(TraceExporterTest, HttpsRefusesAnUntrustedOrMisnamedCertificate) {
  const TestCertificate pki;
  ssl::context server = pki.server_context();
  TestCollector collector({.tls = &server});
  const std::uint64_t before = spans_dropped_total();
  {
    TraceExporter untrusted(collector.url("localhost"), "warden-test", {.flush_interval = 10ms});
    untrusted.submit(spans(2));
    EXPECT_TRUE(eventually([&] { return spans_dropped_total() - before == 2; }));
  }
  {
    // Trusted, but issued to localhost, not to the address we dial.
    ASSERT_EQ(setenv("SSL_CERT_FILE", pki.cert.c_str(), 1), 0);
    TraceExporter misnamed(collector.url("127.0.0.1"), "warden-test", {.flush_interval = 10ms});
    unsetenv("SSL_CERT_FILE");
    misnamed.submit(spans(3));
    EXPECT_TRUE(eventually([&] { return spans_dropped_total() - before == 5; }));
  }
  EXPECT_TRUE(collector.received().empty());
}

}  // namespace
}  // namespace warden::observability
