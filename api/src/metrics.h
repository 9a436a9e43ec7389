// The server's Prometheus metrics (docs/operations.md lists them). Counters
// and gauges are updated from any thread; Render() produces the text format
// for GET /metrics. prometheus-cpp stays inside metrics.cpp.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace pl::api {

class Metrics {
 public:
  Metrics();
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // One group commit that appended `appended` events in `seconds`.
  void Commit(double seconds, std::size_t appended);
  // A decision refused by the rule named.
  void Refused(const std::string& rule);
  // A request of the op named (WebSocket or REST); unknown ops count as "unknown".
  void Query(std::string_view op);
  void SessionOpened();
  void SessionClosed();
  void ConnectionOpened();
  void ConnectionClosed();
  void ConnectionRefused();

  // The text exposition, with the values sampled at scrape time.
  std::string Render(std::uint64_t log_size, std::size_t subscribers, std::uint64_t dropped_slow);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace pl::api
