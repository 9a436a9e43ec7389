// Client: a small synchronous client of ledgerd's WebSocket protocol
// (docs/api.md), for ledgerctl and tests.
//
// One connection, used by one thread at a time (not thread-safe). Request()
// sends one request and blocks until its response arrives; messages the
// server pushes meanwhile (subscriptions) are kept, in order, for Next().
// Boost.Beast stays inside api/src/client.cpp.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "crypto/status.h"
#include "ledger/value.h"

namespace pl::api {

struct ClientOptions {
  // wss:// only. With an empty ca_file the server's certificate is not
  // verified (TLS still encrypts; fit for a test server with a self-signed
  // certificate, not for trusting a remote ledger's transport). With a CA file
  // (PEM), the certificate must chain to it and name the URL's host.
  std::string ca_file;
  // How long Connect() and each Request() may take before failing with
  // "client.timeout" (the connection is then closed).
  std::chrono::milliseconds timeout{30000};
  // Sent as "Authorization: Bearer TOKEN" on the WebSocket upgrade when not
  // empty: a ledgerd that guards its audit trail (docs/api.md) then opens it.
  std::string bearer_token;
  // Largest message accepted from the server, in bytes.
  std::size_t max_message_bytes = std::size_t{64} << 20;
};

class Client {
 public:
  // url: ws://host[:port]/path or wss://host[:port]/path (ports 80 and 443 by
  // default). Errors: "client.url", "client.connect" (resolve, TCP, TLS or
  // WebSocket handshake failed), "client.timeout".
  static Result<std::unique_ptr<Client>> Connect(const std::string& url,
                                                 const ClientOptions& options = {});
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Sends `request` (an object; its "id" is set to a fresh integer) and
  // returns the server's whole response, {"id", "ok": true, "result"} or
  // {"id", "ok": false, "error"}. A non-ok Result means the exchange itself
  // failed: "client.request" (not an object), "client.closed" (the server
  // closed the connection; its close reason, if any, is in the message),
  // "client.timeout", "client.io", "client.response" (a message that is not
  // JSON).
  Result<ledger::Value> Request(ledger::Value request);

  // The next pushed message (one without an "id"), waiting up to `timeout`;
  // nullopt when none came in time. Errors as for Request().
  Result<std::optional<ledger::Value>> Next(std::chrono::milliseconds timeout);

  // Closes the WebSocket cleanly (waits briefly for the server's close).
  // Idempotent; the destructor calls it.
  void Close();

  class Connection;  // the Beast side, in client.cpp

 private:
  explicit Client(std::unique_ptr<Connection> connection);
  std::unique_ptr<Connection> connection_;
  std::int64_t next_id_ = 1;
};

// The result of a response: its "result" when "ok" is true, or a Status with
// the error's rule and message (its other members, such as a refused batch's
// "decisions", stay in the response).
Result<ledger::Value> ResultOf(const ledger::Value& response);

}  // namespace pl::api
