#include "listener.h"

#include <chrono>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/bind_handler.hpp>

#include "http_session.h"

namespace pl::api {

namespace net = boost::asio;
namespace beast = boost::beast;
using tcp = net::ip::tcp;

namespace {

class TcpListener final : public Listener, public std::enable_shared_from_this<TcpListener> {
 public:
  TcpListener(net::io_context& ioc, net::ssl::context* tls, ServerContext& ctx)
      : ioc_(ioc),
        tls_(tls),
        ctx_(ctx),
        acceptor_(net::make_strand(ioc)),
        backoff_(acceptor_.get_executor()) {}

  Status Open(const tcp::endpoint& endpoint) {
    beast::error_code ec;
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
    if (ec) {
      return Status::IoError("server.listen", "cannot listen on " + endpoint.address().to_string() +
                                                  ":" + std::to_string(endpoint.port()) + ": " +
                                                  ec.message());
    }
    port_ = acceptor_.local_endpoint(ec).port();
    return Status::Ok();
  }

  std::uint16_t port() const override { return port_; }

  void Start() override {
    net::dispatch(acceptor_.get_executor(),
                  beast::bind_front_handler(&TcpListener::DoAccept, shared_from_this()));
  }

  void Close() override {
    net::post(acceptor_.get_executor(), [self = shared_from_this()] {
      beast::error_code ec;
      self->acceptor_.close(ec);
      self->backoff_.cancel();
    });
  }

 private:
  void DoAccept() {
    if (!acceptor_.is_open()) return;
    // Each connection gets its own strand.
    acceptor_.async_accept(net::make_strand(ioc_),
                           beast::bind_front_handler(&TcpListener::OnAccept, shared_from_this()));
  }

  void OnAccept(beast::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted || !acceptor_.is_open()) return;
    if (ec) {
      // Out of descriptors, typically: wait a little rather than spin.
      ctx_.log.Warn("accept failed", {{"error", ec.message()}});
      backoff_.expires_after(std::chrono::milliseconds(100));
      backoff_.async_wait([self = shared_from_this()](beast::error_code wait) {
        if (!wait) self->DoAccept();
      });
      return;
    }
    if (ctx_.connections.load() >= ctx_.options.max_connections) {
      ctx_.metrics.ConnectionRefused();
      ctx_.log.Debug("connection refused", {{"reason", "max_connections"}});
      beast::error_code ignored;
      socket.close(ignored);
    } else {
      // Requests and answers are small messages: send each at once rather
      // than let Nagle's algorithm wait for the peer's delayed ACK (~40 ms).
      beast::error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      StartHttpSession(ctx_, std::move(socket), tls_, std::make_shared<ConnectionSlot>(ctx_));
    }
    DoAccept();
  }

  net::io_context& ioc_;
  net::ssl::context* tls_;
  ServerContext& ctx_;
  tcp::acceptor acceptor_;
  net::steady_timer backoff_;
  std::uint16_t port_ = 0;
};

}  // namespace

Result<std::shared_ptr<Listener>> Listen(net::io_context& ioc, net::ssl::context* tls,
                                         ServerContext& ctx) {
  beast::error_code ec;
  std::string host = ctx.options.address;
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  const net::ip::address address = net::ip::make_address(host, ec);
  if (ec) {
    return Status::Invalid("server.listen",
                           "\"" + ctx.options.address + "\" is not an IP address: " + ec.message());
  }
  auto listener = std::make_shared<TcpListener>(ioc, tls, ctx);
  if (Status s = listener->Open(tcp::endpoint(address, ctx.options.port)); !s.ok()) return s;
  return std::shared_ptr<Listener>(std::move(listener));
}

}  // namespace pl::api
