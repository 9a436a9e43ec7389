// ledgerd's server: one port for HTTP (health, metrics, REST mirrors, the
// dashboard's files) and WebSocket (the JSON protocol of docs/api.md), over
// an open Programme. Boost.Beast and Asio stay inside api/src.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "crypto/status.h"
#include "ledger/note.h"
#include "projections/programme.h"

namespace pl::api {

struct ServerOptions {
  // Address and port to listen on; port 0 picks a free port (see port()).
  std::string address = "127.0.0.1";
  std::uint16_t port = 8480;
  // TLS when both are set (PEM files); plain HTTP/WebSocket otherwise.
  std::string tls_certificate;
  std::string tls_private_key;
  // Folder of the dashboard's static files; none served when empty.
  std::string static_dir;
  // I/O threads (sessions are spread across them; each session on its strand).
  unsigned threads = 2;
  // Largest WebSocket message or HTTP body accepted, in bytes.
  std::size_t max_message_bytes = 1 << 20;
  // Outgoing messages queued for one session before it is dropped as too slow.
  std::size_t max_queued_messages = 4096;
  // Open connections accepted at once; more are refused.
  std::size_t max_connections = 20000;
  // Requests a session may have in flight (submits waiting for the writer count).
  std::size_t max_pending_requests = 64;
  // Idle time after which an HTTP connection, or a WebSocket that answers no
  // ping, is closed.
  unsigned idle_timeout_seconds = 60;
  // Bearer tokens for the audit trail (docs/api.md "Access control"). Empty:
  // everything is open. Otherwise audit, event, inclusion and the events
  // topic need one of them; state queries and submit stay open. Never logged.
  std::vector<std::string> audit_tokens;
  // Decisions the writer takes into one group commit at most.
  std::size_t max_group_commit = 1000;
  // One structured log line per event of note; "error", "warn", "info", "debug".
  std::string log_level = "info";
  std::function<void(const std::string&)> log_sink;  // stderr when empty

  // Checkpoints and witness cosignatures (docs/witnesses.md). The origin
  // names the log in its checkpoints and signs them; empty means
  // ledger::DefaultOrigin(the log key). Start refuses a reserved or malformed
  // origin ("checkpoint.origin").
  std::string checkpoint_origin;
  // The witnesses whose cosignatures add_cosignature accepts: cosignature/v1
  // (type 0x04) verifier keys; Start refuses another type ("server.witness").
  // None: every cosignature is refused.
  std::vector<ledger::NoteVerifier> witnesses;
};

class Server {
 public:
  // Binds the port and starts the writer; serving starts with Run().
  static Result<std::unique_ptr<Server>> Start(projections::Programme& programme,
                                               const ServerOptions& options);
  virtual ~Server() = default;

  // The bound port (useful with port 0).
  virtual std::uint16_t port() const = 0;
  // Serves until Stop(); then drains: stops accepting, finishes or refuses
  // in-flight submits cleanly, closes sessions, and returns.
  virtual void Run() = 0;
  // Thread-safe and signal-safe to request (it only posts to the I/O context).
  virtual void Stop() = 0;
};

}  // namespace pl::api
