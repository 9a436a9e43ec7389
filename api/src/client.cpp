// The WebSocket side of Client. Every operation is asynchronous underneath
// and driven by running the connection's own io_context until it completes
// or its deadline passes, so that each call can time out. One read is always
// outstanding once connected; it completes only while a call runs the
// context, and files each message as a response or a pushed message.
#include "api/client.h"

#include <openssl/ssl.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <deque>
#include <variant>

namespace pl::api {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace ssl = boost::asio::ssl;
namespace websocket = boost::beast::websocket;
using tcp = boost::asio::ip::tcp;
using ledger::Value;
using Clock = std::chrono::steady_clock;

namespace {

struct Url {
  bool tls = false;
  std::string host;  // without IPv6 brackets
  std::string port;
  std::string target;  // path and query
};

Result<Url> ParseUrl(const std::string& text) {
  Url url;
  std::string_view rest = text;
  if (rest.starts_with("ws://")) {
    rest.remove_prefix(5);
  } else if (rest.starts_with("wss://")) {
    url.tls = true;
    rest.remove_prefix(6);
  } else {
    return Status::Invalid("client.url", "\"" + text + "\" is not a ws:// or wss:// URL");
  }
  const std::size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  url.target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  std::string_view port;
  if (authority.starts_with("[")) {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      return Status::Invalid("client.url", "\"" + text + "\": unclosed [ in the host");
    }
    url.host = authority.substr(1, close - 1);
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') {
        return Status::Invalid("client.url", "\"" + text + "\": bad port");
      }
      port = authority.substr(close + 2);
    }
  } else {
    const std::size_t colon = authority.rfind(':');
    url.host = authority.substr(0, colon);
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (url.host.empty()) return Status::Invalid("client.url", "\"" + text + "\" names no host");
  if (port.empty()) {
    url.port = url.tls ? "443" : "80";
  } else if (port.find_first_not_of("0123456789") != std::string_view::npos || port.size() > 5) {
    return Status::Invalid("client.url", "\"" + text + "\": bad port");
  } else {
    url.port = port;
  }
  return url;
}

Status IoFailure(const std::string& rule, const std::string& what, const beast::error_code& ec) {
  return Status::IoError(rule, what + ": " + ec.message());
}

}  // namespace

// Owns the io_context (declared first, so that it outlives the stream) and
// the messages received but not yet asked for.
class Client::Connection {
 public:
  explicit Connection(const ClientOptions& options) : options_(options) {}
  virtual ~Connection() = default;

  virtual Status Open(const Url& url) = 0;
  virtual Status Write(const std::string& text) = 0;
  virtual void Close() = 0;

  // The next message received, waiting until the deadline; nullopt on timeout.
  Result<std::optional<std::string>> Read(Clock::time_point deadline) {
    while (inbox_.empty() && failure_.ok()) {
      if (!RunOnce(deadline)) return std::optional<std::string>();
    }
    if (!inbox_.empty()) {
      std::string text = std::move(inbox_.front());
      inbox_.pop_front();
      return std::optional<std::string>(std::move(text));
    }
    return failure_;
  }

  std::deque<Value>& pushed() { return pushed_; }
  const ClientOptions& options() const { return options_; }
  Clock::time_point Deadline() const { return Clock::now() + options_.timeout; }

 protected:
  // Runs one handler; false when the deadline passed first.
  bool RunOnce(Clock::time_point deadline) {
    const auto now = Clock::now();
    if (now >= deadline) return false;
    io_.restart();
    io_.run_one_for(deadline - now);
    return true;
  }
  // Runs handlers until *done; false (and *done unchanged) at the deadline.
  bool RunUntil(const bool& done, Clock::time_point deadline) {
    while (!done) {
      if (!RunOnce(deadline)) return false;
    }
    return true;
  }

  asio::io_context io_;
  ClientOptions options_;
  std::deque<std::string> inbox_;
  std::deque<Value> pushed_;
  // Set when the connection failed or closed; every later call returns it.
  Status failure_;
};

namespace {

template <typename Stream>
class WebSocketConnection : public Client::Connection {
 public:
  template <typename... Args>
  explicit WebSocketConnection(const ClientOptions& options, Args&&... args)
      : Client::Connection(options), ws_(io_, std::forward<Args>(args)...) {}

  ~WebSocketConnection() override { Close(); }

  Status Open(const Url& url) override {
    const auto deadline = Deadline();
    auto timed_out = [&](const char* step) {
      Abort();
      return Status::IoError("client.timeout", std::string(step) + " " + url.host + ":" + url.port +
                                                   " took longer than " +
                                                   std::to_string(options_.timeout.count()) +
                                                   " ms");
    };
    tcp::resolver resolver(io_);
    tcp::resolver::results_type endpoints;
    beast::error_code error;
    bool done = false;
    resolver.async_resolve(url.host, url.port,
                           [&](beast::error_code ec, tcp::resolver::results_type results) {
                             error = ec;
                             endpoints = std::move(results);
                             done = true;
                           });
    if (!RunUntil(done, deadline)) return timed_out("resolving");
    if (error) return IoFailure("client.connect", "resolving " + url.host, error);

    done = false;
    beast::get_lowest_layer(ws_).async_connect(endpoints,
                                               [&](beast::error_code ec, const tcp::endpoint&) {
                                                 error = ec;
                                                 done = true;
                                               });
    if (!RunUntil(done, deadline)) return timed_out("connecting to");
    if (error)
      return IoFailure("client.connect", "connecting to " + url.host + ":" + url.port, error);
    // Small requests, each awaited: no Nagle delay (see the server's listener).
    beast::get_lowest_layer(ws_).socket().set_option(tcp::no_delay(true), error);

    if constexpr (!std::is_same_v<Stream, beast::tcp_stream>) {
      auto& tls = ws_.next_layer();
      if (!SSL_set_tlsext_host_name(tls.native_handle(), url.host.c_str())) {
        return Status::IoError("client.connect", "cannot set the TLS server name");
      }
      if (!options_.ca_file.empty()) {
        tls.set_verify_mode(ssl::verify_peer);
        tls.set_verify_callback(ssl::host_name_verification(url.host));
      }
      done = false;
      tls.async_handshake(ssl::stream_base::client, [&](beast::error_code ec) {
        error = ec;
        done = true;
      });
      if (!RunUntil(done, deadline)) return timed_out("TLS handshake with");
      if (error) return IoFailure("client.connect", "TLS handshake with " + url.host, error);
    }

    ws_.read_message_max(options_.max_message_bytes);
    ws_.set_option(websocket::stream_base::decorator(
        [token = options_.bearer_token](websocket::request_type& request) {
          request.set(beast::http::field::user_agent, "ledgerctl");
          if (!token.empty()) request.set(beast::http::field::authorization, "Bearer " + token);
        }));
    const std::string host = url.host + ":" + url.port;
    done = false;
    websocket::response_type refusal;
    ws_.async_handshake(refusal, host, url.target, [&](beast::error_code ec) {
      error = ec;
      done = true;
    });
    if (!RunUntil(done, deadline)) return timed_out("WebSocket handshake with");
    if (error && refusal.result() == beast::http::status::unauthorized) {
      // ledgerd refused the bearer token; its body names the rule (auth.invalid).
      auto body = ledger::ParseJson(refusal.body());
      const ledger::Value* e = body.ok() ? body->find("error") : nullptr;
      const ledger::Value* rule = e ? e->find("rule") : nullptr;
      const ledger::Value* message = e ? e->find("message") : nullptr;
      if (rule && message && rule->kind() == ledger::Value::Kind::kString &&
          message->kind() == ledger::Value::Kind::kString) {
        return Status::Invalid(rule->as_string(), message->as_string());
      }
    }
    if (error) {
      return IoFailure("client.connect", "WebSocket handshake with " + host + url.target, error);
    }
    ws_.text(true);
    open_ = true;
    StartRead();
    return Status::Ok();
  }

  Status Write(const std::string& text) override {
    if (!failure_.ok()) return failure_;
    beast::error_code error;
    bool done = false;
    ws_.async_write(asio::buffer(text), [&](beast::error_code ec, std::size_t) {
      error = ec;
      done = true;
    });
    if (!RunUntil(done, Deadline())) {
      Abort();
      return failure_ = Status::IoError("client.timeout", "sending a request timed out");
    }
    if (error) return failure_ = IoFailure("client.io", "sending a request", error);
    return Status::Ok();
  }

  void Close() override {
    if (!open_) return;
    open_ = false;
    if (failure_.ok()) {
      bool done = false;
      ws_.async_close(websocket::close_code::normal, [&](beast::error_code) { done = true; });
      // The outstanding read ends when the server answers the close.
      const auto deadline = Clock::now() + std::chrono::seconds(2);
      RunUntil(done, deadline);
      while (failure_.ok() && RunOnce(deadline)) {
      }
    }
    Abort();
  }

 private:
  void StartRead() {
    ws_.async_read(buffer_, [this](beast::error_code ec, std::size_t) {
      if (ec) {
        if (ec == websocket::error::closed) {
          const auto& reason = ws_.reason();
          std::string why = "the server closed the connection";
          if (reason.code != websocket::close_code::none) {
            why += " (code " + std::to_string(static_cast<unsigned>(reason.code));
            if (!reason.reason.empty()) why += ", " + std::string(reason.reason.c_str());
            why += ")";
          }
          failure_ = Status::IoError("client.closed", why);
        } else {
          failure_ = IoFailure("client.io", "reading from the server", ec);
        }
        return;
      }
      inbox_.push_back(beast::buffers_to_string(buffer_.data()));
      buffer_.consume(buffer_.size());
      StartRead();
    });
  }

  // Drops the connection at once; pending handlers are discarded with io_.
  void Abort() {
    open_ = false;
    if (failure_.ok()) failure_ = Status::IoError("client.closed", "the connection is closed");
    beast::error_code ignored;
    beast::get_lowest_layer(ws_).socket().close(ignored);
  }

  websocket::stream<Stream> ws_;
  beast::flat_buffer buffer_;
  bool open_ = false;
};

// Holds the TLS context, which must outlive the stream built on it.
struct TlsContext {
  explicit TlsContext(const ClientOptions& options) : context(ssl::context::tls_client) {
    context.set_verify_mode(ssl::verify_none);
    if (!options.ca_file.empty()) {
      beast::error_code ec;
      context.load_verify_file(options.ca_file, ec);
      if (ec) error = IoFailure("client.connect", "loading CA file " + options.ca_file, ec);
    }
  }
  ssl::context context;
  Status error;
};

using PlainConnection = WebSocketConnection<beast::tcp_stream>;

class TlsConnection final : private TlsContext,
                            public WebSocketConnection<beast::ssl_stream<beast::tcp_stream>> {
 public:
  explicit TlsConnection(const ClientOptions& options)
      : TlsContext(options), WebSocketConnection(options, TlsContext::context) {}
  Status Open(const Url& url) override {
    if (!TlsContext::error.ok()) return TlsContext::error;
    return WebSocketConnection::Open(url);
  }
};

}  // namespace

Client::Client(std::unique_ptr<Connection> connection) : connection_(std::move(connection)) {}

Client::~Client() { Close(); }

Result<std::unique_ptr<Client>> Client::Connect(const std::string& url_text,
                                                const ClientOptions& options) {
  auto url = ParseUrl(url_text);
  if (!url.ok()) return url.status();
  std::unique_ptr<Connection> connection;
  if (url->tls) {
    connection = std::make_unique<TlsConnection>(options);
  } else {
    connection = std::make_unique<PlainConnection>(options);
  }
  if (Status s = connection->Open(*url); !s.ok()) return s;
  return std::unique_ptr<Client>(new Client(std::move(connection)));
}

namespace {

Result<Value> ParseMessage(const std::string& text, const ClientOptions& options) {
  ledger::JsonLimits limits;
  limits.max_depth = 64;
  limits.max_bytes = options.max_message_bytes;
  auto v = ledger::ParseJson(text, limits);
  if (!v.ok()) {
    return Status::IoError("client.response",
                           "the server sent a message that is not JSON: " + v.status().ToString());
  }
  return v;
}

}  // namespace

Result<Value> Client::Request(Value request) {
  if (!request.is_object()) return Status::Invalid("client.request", "a request is an object");
  const std::int64_t id = next_id_++;
  Value::Object members;
  for (auto& [name, value] : request.as_object()) {
    if (name != "id") members.emplace_back(name, value);
  }
  members.emplace_back("id", id);
  if (Status s = connection_->Write(ledger::CanonicalJson(Value(std::move(members)))); !s.ok()) {
    return s;
  }
  const auto deadline = connection_->Deadline();
  for (;;) {
    auto text = connection_->Read(deadline);
    if (!text.ok()) return text.status();
    if (!*text) {
      return Status::IoError(
          "client.timeout",
          "no response within " + std::to_string(connection_->options().timeout.count()) + " ms");
    }
    auto message = ParseMessage(**text, connection_->options());
    if (!message.ok()) return message.status();
    const Value* rid = message->find("id");
    if (!rid) {
      connection_->pushed().push_back(std::move(*message));
    } else if (rid->kind() == Value::Kind::kInt && rid->as_int() == id) {
      return message;
    }
    // A response to an earlier request that timed out is dropped.
  }
}

Result<std::optional<Value>> Client::Next(std::chrono::milliseconds timeout) {
  auto& pushed = connection_->pushed();
  const auto deadline = Clock::now() + timeout;
  while (pushed.empty()) {
    auto text = connection_->Read(deadline);
    if (!text.ok()) return text.status();
    if (!*text) return std::optional<Value>();
    auto message = ParseMessage(**text, connection_->options());
    if (!message.ok()) return message.status();
    if (!message->find("id")) pushed.push_back(std::move(*message));
  }
  Value next = std::move(pushed.front());
  pushed.pop_front();
  return std::optional<Value>(std::move(next));
}

void Client::Close() {
  if (connection_) connection_->Close();
}

Result<Value> ResultOf(const Value& response) {
  const Value* ok = response.find("ok");
  if (ok && ok->kind() == Value::Kind::kBool && ok->as_bool()) {
    const Value* result = response.find("result");
    return result ? *result : Value(nullptr);
  }
  const Value* error = response.find("error");
  const Value* rule = error ? error->find("rule") : nullptr;
  const Value* message = error ? error->find("message") : nullptr;
  if (!rule || rule->kind() != Value::Kind::kString) {
    return Status::IoError("client.response", "a response with neither a result nor an error");
  }
  return Status::Invalid(rule->as_string(), message && message->kind() == Value::Kind::kString
                                                ? message->as_string()
                                                : std::string());
}

}  // namespace pl::api
