#include "api/server.h"

#include <chrono>
#include <condition_variable>
#include <exception>
#include <optional>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/thread_pool.hpp>

#include "context.h"
#include "listener.h"

namespace pl::api {

namespace net = boost::asio;
namespace ssl = net::ssl;

namespace {

// Threads for subscription catch-ups (which may wait for slow readers).
constexpr std::size_t kBackgroundThreads = 8;
// After Stop(), sessions get this long to close before the I/O stops anyway.
constexpr auto kStopGrace = std::chrono::seconds(5);

class ServerImpl final : public Server {
 public:
  ServerImpl(projections::Programme& programme, const ServerOptions& options)
      : ctx_(programme, options),
        tls_(),
        ioc_(static_cast<int>(std::max(1u, options.threads))),
        background_(kBackgroundThreads) {
    ctx_.background = [this](std::function<void()> work) {
      net::post(background_, std::move(work));
    };
  }

  ~ServerImpl() override {
    ctx_.stopping = true;
    ctx_.writer.Stop();
    ctx_.CloseAll();  // wakes catch-ups waiting for room
    background_.join();
    {
      std::lock_guard lock(done_mutex_);
      done_ = true;
    }
    done_cv_.notify_all();
    if (watchdog_.joinable()) watchdog_.join();
    // The io_context goes next (its handlers hold the sessions), then the context.
  }

  Status Init() {
    const ServerOptions& o = ctx_.options;
    if (!o.tls_certificate.empty() || !o.tls_private_key.empty()) {
      if (o.tls_certificate.empty() || o.tls_private_key.empty()) {
        return Status::Invalid("server.tls", "TLS needs both a certificate and a private key");
      }
      tls_.emplace(ssl::context::tls_server);
      tls_->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                        ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                        ssl::context::single_dh_use);
      boost::system::error_code ec;
      tls_->use_certificate_chain_file(o.tls_certificate, ec);
      if (ec) {
        return Status::Invalid("server.tls",
                               "certificate " + o.tls_certificate + ": " + ec.message());
      }
      tls_->use_private_key_file(o.tls_private_key, ssl::context::pem, ec);
      if (ec) {
        return Status::Invalid("server.tls",
                               "private key " + o.tls_private_key + ": " + ec.message());
      }
    }
    if (Status s = ctx_.protocol.Witness(o.checkpoint_origin, o.witnesses); !s.ok()) return s;
    auto listener = Listen(ioc_, tls_ ? &*tls_ : nullptr, ctx_);
    if (!listener.ok()) return listener.status();
    listener_ = std::move(*listener);
    port_ = listener_->port();
    listener_->Start();
    ctx_.log.Info("listening", {{"address", o.address},
                                {"port", std::to_string(port_)},
                                {"tls", tls_ ? "on" : "off"},
                                {"threads", std::to_string(std::max(1u, o.threads))}});
    return Status::Ok();
  }

  std::uint16_t port() const override { return port_; }

  void Run() override {
    const unsigned n = std::max(1u, ctx_.options.threads);
    std::vector<std::thread> threads;
    for (unsigned i = 1; i < n; ++i) threads.emplace_back([this] { RunLoop(); });
    RunLoop();
    for (auto& t : threads) t.join();
    {
      std::lock_guard lock(done_mutex_);
      done_ = true;
    }
    done_cv_.notify_all();
    if (watchdog_.joinable()) watchdog_.join();
    ctx_.log.Info("stopped", {{"size", std::to_string(ctx_.programme.store().size())}});
  }

  void Stop() override {
    if (stop_requested_.exchange(true)) return;
    net::post(ioc_, [this] { BeginStop(); });
  }

 private:
  void RunLoop() {
    for (;;) {
      try {
        ioc_.run();
        return;
      } catch (const std::exception& e) {
        ctx_.log.Error("handler failed", {{"error", e.what()}});
      }
    }
  }

  void BeginStop() {
    ctx_.stopping = true;
    ctx_.log.Info("stopping", {{"queued_submissions", std::to_string(ctx_.writer.queued())}});
    listener_->Close();
    // Every submission already queued is committed and answered; new ones
    // are refused ("server.stopping").
    ctx_.writer.Stop();
    ctx_.CloseAll();
    watchdog_ = std::thread([this] {
      std::unique_lock lock(done_mutex_);
      if (!done_cv_.wait_for(lock, kStopGrace, [this] { return done_; })) {
        ctx_.log.Warn("connections did not close in time; stopping anyway");
        ioc_.stop();
      }
    });
  }

  ServerContext ctx_;  // outlives everything below
  std::optional<ssl::context> tls_;
  net::io_context ioc_;  // its handlers hold the sessions
  std::shared_ptr<Listener> listener_;
  net::thread_pool background_;
  std::atomic<bool> stop_requested_{false};
  std::uint16_t port_ = 0;
  std::mutex done_mutex_;
  std::condition_variable done_cv_;
  bool done_ = false;
  std::thread watchdog_;
};

}  // namespace

Result<std::unique_ptr<Server>> Server::Start(projections::Programme& programme,
                                              const ServerOptions& options) {
  auto server = std::make_unique<ServerImpl>(programme, options);
  if (Status s = server->Init(); !s.ok()) return s;
  return std::unique_ptr<Server>(std::move(server));
}

}  // namespace pl::api
