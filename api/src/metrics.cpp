#include "metrics.h"

#include <array>
#include <mutex>
#include <sstream>

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

namespace pl::api {

namespace {

// The ops of docs/api.md: labels are limited to these so that a client cannot
// grow the metric's cardinality.
constexpr std::array<std::string_view, 14> kOps = {
    "submit",    "get",       "list",        "funding", "summary", "audit",     "event",
    "tree_head", "inclusion", "consistency", "as_of",   "diff",    "subscribe", "unsubscribe"};

}  // namespace

struct Metrics::Impl {
  std::shared_ptr<prometheus::Registry> registry = std::make_shared<prometheus::Registry>();
  prometheus::Counter& appends = prometheus::BuildCounter()
                                     .Name("ledger_appends_total")
                                     .Help("Events appended to the log by this process")
                                     .Register(*registry)
                                     .Add({});
  prometheus::Family<prometheus::Counter>& refusals =
      prometheus::BuildCounter()
          .Name("ledger_refusals_total")
          .Help("Decisions refused, by the rule they broke")
          .Register(*registry);
  prometheus::Family<prometheus::Counter>& queries =
      prometheus::BuildCounter()
          .Name("ledger_queries_total")
          .Help("Requests received (WebSocket and REST), by op")
          .Register(*registry);
  prometheus::Gauge& sessions = prometheus::BuildGauge()
                                    .Name("ledger_sessions_open")
                                    .Help("Open WebSocket sessions")
                                    .Register(*registry)
                                    .Add({});
  prometheus::Gauge& connections = prometheus::BuildGauge()
                                       .Name("ledger_connections_open")
                                       .Help("Open TCP connections (HTTP and WebSocket)")
                                       .Register(*registry)
                                       .Add({});
  prometheus::Counter& refused_connections =
      prometheus::BuildCounter()
          .Name("ledger_connections_refused_total")
          .Help("Connections refused because max_connections were open")
          .Register(*registry)
          .Add({});
  prometheus::Gauge& subscribers = prometheus::BuildGauge()
                                       .Name("ledger_subscribers")
                                       .Help("Active subscriptions")
                                       .Register(*registry)
                                       .Add({});
  prometheus::Counter& dropped = prometheus::BuildCounter()
                                     .Name("ledger_dropped_slow_clients_total")
                                     .Help("Sessions closed because they could not keep up")
                                     .Register(*registry)
                                     .Add({});
  prometheus::Histogram& commit_seconds =
      prometheus::BuildHistogram()
          .Name("ledger_commit_seconds")
          .Help("Duration of one group commit (rules, LMDB write, fsync, apply)")
          .Register(*registry)
          .Add({}, prometheus::Histogram::BucketBoundaries{0.0005, 0.001, 0.0025, 0.005, 0.01,
                                                           0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5});
  prometheus::Gauge& log_size = prometheus::BuildGauge()
                                    .Name("ledger_log_size")
                                    .Help("Events in the log")
                                    .Register(*registry)
                                    .Add({});
  std::mutex render_mutex;
  double dropped_seen = 0;
};

Metrics::Metrics() : impl_(std::make_unique<Impl>()) {
  // Every op's series exists from the start, so that a scrape shows zeros.
  for (std::string_view op : kOps) impl_->queries.Add({{"op", std::string(op)}});
}

Metrics::~Metrics() = default;

void Metrics::Commit(double seconds, std::size_t appended) {
  impl_->commit_seconds.Observe(seconds);
  impl_->appends.Increment(static_cast<double>(appended));
}

void Metrics::Refused(const std::string& rule) {
  impl_->refusals.Add({{"rule", rule}}).Increment();
}

void Metrics::Query(std::string_view op) {
  bool known = false;
  for (std::string_view k : kOps) known = known || k == op;
  impl_->queries.Add({{"op", known ? std::string(op) : std::string("unknown")}}).Increment();
}

void Metrics::SessionOpened() { impl_->sessions.Increment(); }
void Metrics::SessionClosed() { impl_->sessions.Decrement(); }
void Metrics::ConnectionOpened() { impl_->connections.Increment(); }
void Metrics::ConnectionClosed() { impl_->connections.Decrement(); }
void Metrics::ConnectionRefused() { impl_->refused_connections.Increment(); }

std::string Metrics::Render(std::uint64_t log_size, std::size_t subscribers,
                            std::uint64_t dropped_slow) {
  std::lock_guard lock(impl_->render_mutex);
  impl_->log_size.Set(static_cast<double>(log_size));
  impl_->subscribers.Set(static_cast<double>(subscribers));
  // The hub counts drops; the counter catches up with it at each scrape.
  const double dropped = static_cast<double>(dropped_slow);
  if (dropped > impl_->dropped_seen) {
    impl_->dropped.Increment(dropped - impl_->dropped_seen);
    impl_->dropped_seen = dropped;
  }
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, impl_->registry->Collect());
  return out.str();
}

}  // namespace pl::api
