#include "server/server.hpp"

#include <sys/resource.h>

#include <csignal>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <thread>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/ids.hpp"
#include "core/thread_name.hpp"
#include "observability/log.hpp"
#include "storage/store.hpp"
#include "pipeline/model_client.hpp"
#include "policy/registry.hpp"
#include "server/session.hpp"
#include "upstream/connection_pool.hpp"

namespace warden::server {

namespace asio = boost::asio;
using asio::ip::tcp;
using observability::LogLevel;

namespace {

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

boost::json::array provider_summary(const config::Config& config) {
  boost::json::array out;
  for (const auto& p : config.providers) {
    out.push_back({{"name", p.name}, {"dialect", p.dialect}, {"base_url", p.base_url}});
  }
  return out;
}

void log_escaped(std::exception_ptr e) {
  if (!e) return;
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    observability::log(LogLevel::kError, "connection failed", {{"error", ex.what()}});
  }
}

asio::awaitable<void> accept_loop(tcp::acceptor& acceptor,
                                  std::vector<std::unique_ptr<asio::io_context>>& workers,
                                  std::shared_ptr<Services> services) {
  std::size_t next = 0;
  while (true) {
    auto& worker = *workers[next++ % workers.size()];
    auto [ec, socket] = co_await acceptor.async_accept(worker, kNoThrow);
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
    if (ec) {
      // Out of file descriptors and the like: back off instead of spinning.
      observability::log(LogLevel::kWarn, "accept failed", {{"error", ec.message()}});
      asio::steady_timer pause(acceptor.get_executor(), std::chrono::milliseconds(50));
      co_await pause.async_wait(kNoThrow);
      continue;
    }
    boost::system::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    asio::co_spawn(worker, run_session(std::move(socket), services), log_escaped);
  }
}

// After a signal: wait for in-flight requests, at most the grace period, then stop all.
asio::awaitable<void> drain(std::shared_ptr<Services> services,
                            std::vector<std::unique_ptr<asio::io_context>>& workers) {
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::milliseconds(static_cast<std::int64_t>(
                            services->config.shutdown_grace_seconds * 1000));
  asio::steady_timer tick(co_await asio::this_coro::executor);
  while (services->active_requests.load() > 0 && std::chrono::steady_clock::now() < deadline) {
    tick.expires_after(std::chrono::milliseconds(20));
    co_await tick.async_wait(kNoThrow);
  }
  const int left = services->active_requests.load();
  observability::log(LogLevel::kInfo, "stopped", {{"requests_cut_off", left}});
  for (auto& worker : workers) worker->stop();
}

std::string home_path(const std::string& path) {
  if (!path.starts_with("~")) return path;
  const char* home = std::getenv("HOME");
  return std::string(home != nullptr ? home : "") + path.substr(1);
}

// Storage, live events, traces, the recorder and the admin API; throws
// std::runtime_error when the store cannot be opened or the URLs are bad.
void start_recording(Services& services) {
  const auto& cfg = services.config;
  const std::string url =
      cfg.storage.url.empty() ? home_path(cfg.data_dir) + "/warden.db" : cfg.storage.url;
  auto open = [&url] {
    auto store = storage::open_store(url);
    if (!store) throw std::runtime_error("storage: " + store.error().message);
    return std::move(*store);
  };
  auto writer = open();
  auto reader = open();
  services.bus = std::make_unique<observability::EventBus>(observability::EventBus::Options{
      .redis_url = cfg.redis_url, .instance_id = core::random_id("gw_")});
  if (auto started = services.bus->start(); !started) {
    throw std::runtime_error(started.error().message);
  }
  if (!cfg.otel.endpoint.empty()) {
    try {
      services.traces =
          std::make_unique<observability::TraceExporter>(cfg.otel.endpoint, cfg.otel.service_name);
    } catch (const std::invalid_argument& e) {
      throw std::runtime_error(std::string("otel.endpoint: ") + e.what());
    }
  }
  services.recorder = std::make_unique<observability::TransactionRecorder>(
      observability::TransactionRecorder::Options{
          .metadata_only = cfg.storage.metadata_only,
          .max_body_bytes = cfg.storage.max_body_bytes,
          .queue_capacity = cfg.storage.queue_capacity,
          .batch_size = cfg.storage.batch_size,
          .retention_days = cfg.storage.retention_days,
          .session_header = cfg.storage.session_header,
          .proxy_key_header = cfg.auth.proxy_key_header},
      std::move(writer), services.bus.get(), services.traces.get());
  services.reader = std::make_unique<admin::RecordReader>(std::move(reader));
  std::vector<policy::Policy*> chain;
  services.policy->stages(chain);
  std::vector<std::string> names;
  for (const auto* p : chain) names.emplace_back(p->name());
  services.admin = std::make_unique<admin::AdminApi>(*services.reader, cfg.policy.to_json(),
                                                     std::move(names));
}

// After the I/O threads: write what was accepted, send the last spans, stop the bus.
void stop_recording(Services& services) {
  services.recorder->stop();
  if (services.traces) services.traces->stop();
  services.bus->stop();
  observability::log(LogLevel::kInfo, "recorder stopped",
                     {{"records_written", services.recorder->written()},
                      {"records_dropped", services.recorder->dropped()}});
}

// Each stream holds two sockets (client and upstream): take every file
// descriptor the hard limit allows, as nginx's worker_rlimit_nofile would.
rlim_t raise_fd_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return 0;
  if (limit.rlim_cur < limit.rlim_max) {
    rlimit raised{limit.rlim_max, limit.rlim_max};
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  return limit.rlim_cur;
}

}  // namespace

int serve(config::Config config) {
  observability::set_log_level(config.log_level);
  auto services = std::make_shared<Services>();
  services->config = std::move(config);
  const auto& cfg = services->config;
  services->router = std::make_unique<upstream::Router>(cfg);
  services->policy = policy::build_policy(
      cfg.policy, {.model_client = pipeline::model_client_factory(*services->router)});
  services->orchestrator =
      std::make_unique<pipeline::PolicyOrchestrator>(*services->policy, cfg.stream);
  start_recording(*services);
  const rlim_t max_open_files = raise_fd_limit();

  const unsigned threads =
      cfg.threads > 0 ? static_cast<unsigned>(cfg.threads)
                      : std::max(1u, std::thread::hardware_concurrency());
  std::vector<std::unique_ptr<asio::io_context>> workers;
  for (unsigned i = 0; i < threads; ++i) workers.push_back(std::make_unique<asio::io_context>(1));
  asio::io_context& main_context = *workers[0];

  // Both go before the contexts at the end (see below).
  std::optional<tcp::acceptor> acceptor_slot(std::in_place, main_context);
  tcp::acceptor& acceptor = *acceptor_slot;
  const tcp::endpoint endpoint(asio::ip::make_address(cfg.listen_host), cfg.listen_port);
  acceptor.open(endpoint.protocol());
  acceptor.set_option(asio::socket_base::reuse_address(true));
  acceptor.bind(endpoint);
  acceptor.listen(asio::socket_base::max_listen_connections);
  const auto bound = acceptor.local_endpoint();
  const std::string address = (bound.address().is_v6() ? "[" + bound.address().to_string() + "]"
                                                        : bound.address().to_string()) +
                              ":" + std::to_string(bound.port());
  observability::log(LogLevel::kInfo, "listening",
                     {{"address", address},
                      {"threads", threads},
                      {"max_open_files", static_cast<std::uint64_t>(max_open_files)},
                      {"providers", provider_summary(cfg)},
                      {"routes", cfg.routes.size()},
                      {"policy", services->policy->name()}});
  std::cout << "listening on " << address << std::endl;

  asio::co_spawn(main_context, accept_loop(acceptor, workers, services), log_escaped);

  std::optional<asio::signal_set> signals_slot(std::in_place, main_context, SIGINT, SIGTERM);
  signals_slot->async_wait([&](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    observability::log(LogLevel::kInfo, "shutting down",
                       {{"signal", signal}, {"in_flight", services->active_requests.load()}});
    services->draining = true;
    boost::system::error_code ignored;
    acceptor.close(ignored);
    asio::co_spawn(main_context, drain(services, workers), log_escaped);
  });

  std::vector<std::thread> pool;
  for (unsigned i = 1; i < threads; ++i) {
    pool.emplace_back([&workers, i] {
      core::name_this_thread(("warden-io-" + std::to_string(i)).c_str());
      auto guard = asio::make_work_guard(*workers[i]);
      workers[i]->run();
      upstream::clear_connection_pool();
    });
  }
  {
    core::name_this_thread("warden-io-0");
    auto guard = asio::make_work_guard(main_context);
    main_context.run();
    upstream::clear_connection_pool();
  }
  for (auto& t : pool) t.join();
  // Destroying the contexts ends the requests still suspended in them, which
  // hands their records over before the recorder stops.
  signals_slot.reset();
  acceptor_slot.reset();
  workers.clear();
  upstream::clear_connection_pool();
  stop_recording(*services);
  return 0;
}

}  // namespace warden::server
