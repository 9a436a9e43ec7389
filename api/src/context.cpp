#include "context.h"

#include <algorithm>
#include <vector>

namespace pl::api {

ServerContext::ServerContext(projections::Programme& p, const ServerOptions& o)
    : options(o),
      programme(p),
      log(ParseLogLevel(o.log_level).value_or(LogLevel::kInfo), o.log_sink),
      // Live events held for a subscription during its catch-up.
      hub(p, std::max<std::size_t>(1024, 4 * o.max_queued_messages)),
      writer(
          p, hub, o.max_group_commit,
          [this](double seconds, std::size_t appended) { metrics.Commit(seconds, appended); },
          [this](const std::string& rule) { metrics.Refused(rule); }),
      protocol(p, writer),
      audit_access(o.audit_tokens) {}

void ServerContext::Register(const std::shared_ptr<Closable>& connection) {
  std::lock_guard lock(mutex_);
  open_[connection.get()] = connection;
}

void ServerContext::Unregister(const Closable* connection) {
  std::lock_guard lock(mutex_);
  open_.erase(connection);
}

void ServerContext::CloseAll() {
  std::vector<std::shared_ptr<Closable>> open;
  {
    std::lock_guard lock(mutex_);
    for (auto& [key, weak] : open_) {
      if (auto c = weak.lock()) open.push_back(std::move(c));
    }
  }
  for (auto& c : open) c->Shutdown();
}

ConnectionSlot::ConnectionSlot(ServerContext& ctx) : ctx_(ctx) {
  ++ctx_.connections;
  ctx_.metrics.ConnectionOpened();
}

ConnectionSlot::~ConnectionSlot() {
  --ctx_.connections;
  ctx_.metrics.ConnectionClosed();
}

}  // namespace pl::api
