// What every connection of one Server shares: the options, the programme, the
// writer, the hub, the protocol, metrics and the log, and the set of open
// connections to close at shutdown. No Beast or Asio here.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "api/server.h"
#include "audit_access.h"
#include "hub.h"
#include "log.h"
#include "metrics.h"
#include "protocol.h"
#include "writer.h"

namespace pl::api {

// A connection the server closes when it stops.
class Closable {
 public:
  virtual ~Closable() = default;
  // Any thread: finish what is in flight, then close (WebSocket: 1001).
  virtual void Shutdown() = 0;
};

struct ServerContext {
  ServerContext(projections::Programme& programme, const ServerOptions& options);

  const ServerOptions options;
  projections::Programme& programme;
  const Logger log;
  Metrics metrics;
  Hub hub;
  Writer writer;  // after hub: it publishes there
  Protocol protocol;
  const AuditAccess audit_access;

  // Set once Stop() begins: /healthz answers 503, submits are refused.
  std::atomic<bool> stopping{false};
  std::atomic<std::size_t> connections{0};
  // Runs work off the I/O threads (subscription catch-ups, which may wait for
  // a client to read). Set by the server.
  std::function<void(std::function<void()>)> background;

  void Register(const std::shared_ptr<Closable>& connection);
  void Unregister(const Closable* connection);
  // Calls Shutdown() on every open connection (outside the lock).
  void CloseAll();

 private:
  std::mutex mutex_;
  std::unordered_map<const Closable*, std::weak_ptr<Closable>> open_;
};

// One of max_connections, held by a connection for its lifetime.
class ConnectionSlot {
 public:
  explicit ConnectionSlot(ServerContext& ctx);
  ~ConnectionSlot();
  ConnectionSlot(const ConnectionSlot&) = delete;
  ConnectionSlot& operator=(const ConnectionSlot&) = delete;

 private:
  ServerContext& ctx_;
};

}  // namespace pl::api
