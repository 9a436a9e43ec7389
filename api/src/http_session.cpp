#include "http_session.h"

#include <chrono>
#include <optional>
#include <type_traits>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include "http_routes.h"
#include "websocket_session.h"

namespace pl::api {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

namespace {

// Longest header block accepted.
constexpr std::uint32_t kHeaderLimit = 16 * 1024;
// A TLS handshake or close must finish within this.
constexpr auto kHandshakeTimeout = std::chrono::seconds(15);

using PlainStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

template <class Stream>
class HttpSession final : public std::enable_shared_from_this<HttpSession<Stream>>,
                          public Closable {
 public:
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

  HttpSession(ServerContext& ctx, Stream&& stream, std::shared_ptr<ConnectionSlot> slot)
      : ctx_(ctx), stream_(std::move(stream)), slot_(std::move(slot)) {}

  ~HttpSession() override { ctx_.Unregister(this); }

  void Run() {
    ctx_.Register(this->shared_from_this());
    net::dispatch(stream_.get_executor(),
                  beast::bind_front_handler(&HttpSession::OnRun, this->shared_from_this()));
  }

  void Shutdown() override {
    net::post(stream_.get_executor(), [self = this->shared_from_this()] {
      self->stopping_ = true;
      // A keep-alive connection waiting for its next request closes now; one
      // with a request in hand closes after the response (keep_alive false).
      if (self->reading_) beast::get_lowest_layer(self->stream_).cancel();
    });
  }

 private:
  beast::tcp_stream& Lowest() { return beast::get_lowest_layer(stream_); }

  void OnRun() {
    if constexpr (kTls) {
      Lowest().expires_after(kHandshakeTimeout);
      stream_.async_handshake(
          ssl::stream_base::server,
          beast::bind_front_handler(&HttpSession::OnHandshake, this->shared_from_this()));
    } else {
      DoRead();
    }
  }

  void OnHandshake(beast::error_code ec) {
    if (ec) return Fail(ec, "tls handshake");
    DoRead();
  }

  void DoRead() {
    if (stopping_) return DoClose();
    parser_.emplace();
    parser_->body_limit(ctx_.options.max_message_bytes);
    parser_->header_limit(kHeaderLimit);
    // One deadline for the whole request: a client trickling bytes cannot
    // hold the connection open (slowloris).
    Lowest().expires_after(std::chrono::seconds(ctx_.options.idle_timeout_seconds));
    reading_ = true;
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&HttpSession::OnRead, this->shared_from_this()));
  }

  void OnRead(beast::error_code ec, std::size_t) {
    reading_ = false;
    if (ec == http::error::end_of_stream) return DoClose();
    if (ec == http::error::body_limit) {
      return Write(ErrorResponse(
          http::status::payload_too_large, "request.too_large",
          "the body is over " + std::to_string(ctx_.options.max_message_bytes) + " bytes", 11,
          false));
    }
    if (ec == http::error::header_limit) {
      return Write(ErrorResponse(http::status::request_header_fields_too_large, "request.too_large",
                                 "the headers are too large", 11, false));
    }
    if (ec) return Fail(ec, "read");

    HttpRequest req = parser_->release();
    if (beast::websocket::is_upgrade(req)) {
      const std::string_view target(req.target().data(), req.target().size());
      const std::string_view path = target.substr(0, target.find('?'));
      if (ctx_.stopping) {
        return Write(ErrorResponse(http::status::service_unavailable, "server.stopping",
                                   "the server is shutting down", req.version(), false));
      }
      if (path != "/ws") {
        return Write(ErrorResponse(http::status::not_found, "http.not_found",
                                   "the WebSocket endpoint is /ws", req.version(), false));
      }
      // A credential given on the upgrade must be good; none at all is fine
      // (the audit ops then answer auth.required, or the auth op supplies one).
      if (auto it = req.find(http::field::authorization); it != req.end()) {
        const Status access =
            ctx_.audit_access.CheckHeader(std::string_view(it->value().data(), it->value().size()));
        if (!access.ok()) return Write(Unauthorized(ctx_, req, access));
      }
      // The WebSocket session keeps its own timeouts.
      Lowest().expires_never();
      StartWebSocketSession(ctx_, std::move(stream_), std::move(req), std::move(slot_));
      return;
    }
    Write(Route(ctx_, std::move(req)));
  }

  void Write(http::message_generator message) {
    const bool keep_alive = message.keep_alive() && !stopping_ && !ctx_.stopping;
    Lowest().expires_after(std::chrono::seconds(ctx_.options.idle_timeout_seconds));
    beast::async_write(
        stream_, std::move(message),
        beast::bind_front_handler(&HttpSession::OnWrite, this->shared_from_this(), keep_alive));
  }

  void OnWrite(bool keep_alive, beast::error_code ec, std::size_t) {
    if (ec) return Fail(ec, "write");
    if (!keep_alive) return DoClose();
    DoRead();
  }

  void DoClose() {
    if constexpr (kTls) {
      Lowest().expires_after(kHandshakeTimeout);
      stream_.async_shutdown(
          beast::bind_front_handler(&HttpSession::OnShutdown, this->shared_from_this()));
    } else {
      beast::error_code ec;
      stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    }
  }

  void OnShutdown(beast::error_code) {}

  void Fail(beast::error_code ec, const char* what) {
    // Timeouts, resets and cancellations are how HTTP connections end.
    if (ec == net::error::operation_aborted || ec == beast::error::timeout ||
        ec == net::error::connection_reset || ec == net::ssl::error::stream_truncated ||
        ec == net::error::eof) {
      return;
    }
    ctx_.log.Debug("http connection failed", {{"during", what}, {"error", ec.message()}});
  }

  ServerContext& ctx_;
  Stream stream_;
  std::shared_ptr<ConnectionSlot> slot_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  bool reading_ = false;
  bool stopping_ = false;
};

}  // namespace

void StartHttpSession(ServerContext& ctx, tcp::socket&& socket, ssl::context* tls,
                      std::shared_ptr<ConnectionSlot> slot) {
  if (tls) {
    std::make_shared<HttpSession<TlsStream>>(ctx, TlsStream(std::move(socket), *tls),
                                             std::move(slot))
        ->Run();
  } else {
    std::make_shared<HttpSession<PlainStream>>(ctx, PlainStream(std::move(socket)), std::move(slot))
        ->Run();
  }
}

}  // namespace pl::api
