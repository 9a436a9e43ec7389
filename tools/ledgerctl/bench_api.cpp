// bench --suite api: ledgerd under load, measured against a running server
// through api::Client (docs/performance.md): submit throughput from many
// connections, paced query latency, and subscription fan-out latency.
//
// The load generator runs on the same machine as the server (steady_clock is
// shared), one thread per synchronous client.
#include "bench_api.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <mutex>
#include <sstream>
#include <thread>
#include <unordered_map>

#include "api/client.h"
#include "cli.h"
#include "ledger/time.h"
#include "remote.h"

namespace pl::ctl {
namespace {

using Clock = std::chrono::steady_clock;
using ledger::Value;

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

// The p-th percentile (0..1) of sorted values; 0 when empty.
double Percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const auto i = static_cast<std::size_t>(p * static_cast<double>(sorted.size() - 1) + 0.5);
  return sorted[std::min(i, sorted.size() - 1)];
}

}  // namespace

// The Secretary-General's current key, from KEYDIR/officers.json.
Result<crypto::PrivateKey> SecretaryGeneralKey(const std::string& dir) {
  namespace fs = std::filesystem;
  auto text = ReadInput((fs::path(dir) / "officers.json").string());
  if (!text.ok()) return text.status();
  auto list = ledger::ParseJson(*text);
  if (!list.ok()) return list.status();
  if (list->kind() == Value::Kind::kArray) {
    for (const Value& officer : list->as_array()) {
      const Value* body = officer.find("body_id");
      const Value* role = officer.find("role");
      const Value* id = officer.find("officer_id");
      if (body && role && id && body->kind() == Value::Kind::kString &&
          role->kind() == Value::Kind::kString && id->kind() == Value::Kind::kString &&
          body->as_string() == "secretariat" && role->as_string() == "secretary_general") {
        return crypto::PrivateKey::Load((fs::path(dir) / (id->as_string() + ".key")).string());
      }
    }
  }
  return Status::Invalid("bench.keys", dir + "/officers.json names no Secretary-General");
}

// A submit request for a signed project.proposed (docs/events.md) of a new
// project, issued now by the Secretariat.
Value Proposal(const std::string& tag, std::size_t i, const crypto::PrivateKey& key) {
  static const char* const kCountries[] = {"TH", "VN", "ID", "MY", "PH", "SG"};
  ledger::SignedDecision d;
  d.decision.id = "bench-" + tag + "-" + std::to_string(i);
  d.decision.type = "project.proposed";
  d.decision.body = "secretariat";
  d.decision.issued_at = ledger::Now();
  d.decision.payload = Value(Value::Object{
      {"budget", Value(Value::Object{{"amount", std::int64_t{50000000}}, {"currency", "CNY"}})},
      {"end_date", "2029-12-31"},
      {"lead_institution", Value(Value::Object{{"en", "Guangxi University"}})},
      {"mode", "M2"},
      {"partners",
       Value(Value::Array{Value(Value::Object{
           {"country", kCountries[i % 6]},
           {"institution", Value(Value::Object{{"en", "Chulalongkorn University"}})}})})},
      {"priority_area", "A1"},
      {"project_id", "P-B" + tag + "-" + std::to_string(i)},
      {"start_date", "2027-01-01"},
      {"title", Value(Value::Object{{"en", "Load benchmark project " + std::to_string(i)}})}});
  ledger::Sign(&d, key);
  return Value(Value::Object{{"decision", ledger::ToValue(d)}, {"op", "submit"}});
}

namespace {

// The submitted decision's sequence, or an error for a refusal or a
// duplicate.
Result<std::int64_t> SubmittedSequence(const Result<Value>& response) {
  if (!response.ok()) return response.status();
  auto result = api::ResultOf(*response);
  if (!result.ok()) return result.status();
  const Value* decisions = result->find("decisions");
  if (!decisions || decisions->kind() != Value::Kind::kArray || decisions->as_array().size() != 1) {
    return Status::Invalid("bench.response", "a submit answer without its decision");
  }
  const Value& d = decisions->as_array()[0];
  const Value* duplicate = d.find("duplicate");
  const Value* sequence = d.find("sequence");
  if (!sequence || sequence->kind() != Value::Kind::kInt || !duplicate ||
      duplicate->kind() != Value::Kind::kBool || duplicate->as_bool()) {
    return Status::Invalid("bench.response", "a submit answer that is not a new append");
  }
  return sequence->as_int();
}

Result<std::vector<std::unique_ptr<api::Client>>> ConnectAll(const std::string& url,
                                                             std::size_t n) {
  std::vector<std::unique_ptr<api::Client>> clients;
  for (std::size_t i = 0; i < n; ++i) {
    auto c = api::Client::Connect(url);
    if (!c.ok()) return c.status();
    clients.push_back(std::move(*c));
  }
  return clients;
}

// The first error any thread met.
class FirstError {
 public:
  void Set(const Status& s) {
    std::lock_guard lock(mutex_);
    if (status_.ok()) status_ = s;
  }
  Status Get() {
    std::lock_guard lock(mutex_);
    return status_;
  }

 private:
  std::mutex mutex_;
  Status status_;
};

std::string Met(bool met) { return met ? "met" : "NOT met"; }

}  // namespace

bool IsApiSuite(const std::vector<std::string>& args) {
  for (std::size_t i = 1; i < args.size(); ++i) {
    if (args[i] == "--suite=api") return true;
    if (args[i] == "--suite" && i + 1 < args.size() && args[i + 1] == "api") return true;
  }
  return false;
}

int BenchApi(const std::vector<std::string>& args) {
  po::options_description flags("flags");
  std::string url = kDefaultUrl, keys;
  std::size_t clients = 50, decisions = 5000, subscribers = 200, rate = 500;
  double seconds = 10;
  flags.add_options()("suite", po::value<std::string>(), "api")(
      "url", po::value(&url)->default_value(kDefaultUrl), "the running ledgerd (ws://)")(
      "keys", po::value(&keys)->required(),
      "the officers' keys written by ledgerctl demo --keys-out (with officers.json)")(
      "clients", po::value(&clients)->default_value(50), "concurrent submitting connections")(
      "decisions", po::value(&decisions)->default_value(5000), "decisions submitted")(
      "subscribers", po::value(&subscribers)->default_value(200),
      "WebSocket clients subscribed to events in the fan-out phase (the 2,000-subscriber "
      "figure: --subscribers 2000)")("rate", po::value(&rate)->default_value(500),
                                     "events/s submitted during the fan-out phase")(
      "seconds", po::value(&seconds)->default_value(10),
      "duration of the query and fan-out phases");
  po::variables_map vm;
  int exit;
  if (!ParseFlags(args,
                  "--suite api --keys DIR [--url URL] [--clients N] [--decisions N] "
                  "[--subscribers N] [--rate R] [--seconds S]",
                  flags, nullptr, &vm, &exit)) {
    return exit;
  }
  if (clients == 0 || decisions == 0 || subscribers == 0 || rate == 0 || seconds <= 0) {
    return Usage("bench",
                 "--clients, --decisions, --subscribers, --rate and --seconds must be "
                 "positive");
  }
  auto key = SecretaryGeneralKey(keys);
  if (!key.ok()) return Fail(key.status());
  const std::string tag = std::to_string(ledger::Now());
  std::cout << std::fixed;

  // 1. Single-core verify rate, this run.
  const double verify_rate = SingleCoreVerifyRate(1.0);

  // 2. Submit throughput.
  std::vector<Value> proposals;
  proposals.reserve(decisions);
  for (std::size_t i = 0; i < decisions; ++i) proposals.push_back(Proposal(tag + "s", i, *key));
  double submit_rate = 0;
  {
    auto connections = ConnectAll(url, clients);
    if (!connections.ok()) return Fail(connections.status());
    std::atomic<std::size_t> next{0};
    FirstError error;
    std::vector<std::thread> threads;
    const auto t = Clock::now();
    for (auto& client : *connections) {
      threads.emplace_back([&, c = client.get()] {
        for (std::size_t i; (i = next++) < proposals.size();) {
          auto sequence = SubmittedSequence(c->Request(proposals[i]));
          if (!sequence.ok()) {
            error.Set(sequence.status());
            next = proposals.size();
          }
        }
      });
    }
    for (auto& th : threads) th.join();
    submit_rate = static_cast<double>(decisions) / Seconds(t);
    if (Status s = error.Get(); !s.ok()) return Fail(s);
  }

  // 3. Query latency: get / summary / list, 1,000 requests/s in all.
  const std::size_t query_clients = 4;
  const double query_rate = 1000;
  std::vector<double> query_ms;
  std::size_t queries = 0;
  {
    auto connections = ConnectAll(url, query_clients);
    if (!connections.ok()) return Fail(connections.status());
    FirstError error;
    std::mutex mutex;
    std::vector<std::thread> threads;
    const auto interval = std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(static_cast<double>(query_clients) / query_rate));
    const auto start = Clock::now();
    const auto end =
        start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
    for (std::size_t k = 0; k < query_clients; ++k) {
      threads.emplace_back([&, k, c = (*connections)[k].get()] {
        std::vector<double> mine;
        // Clients start a fraction of the interval apart: evenly spread.
        auto at = start + interval * static_cast<long>(k) / static_cast<long>(query_clients);
        for (std::size_t n = 0; at < end; ++n, at += interval) {
          std::this_thread::sleep_until(at);
          Value request;
          switch ((n + k) % 3) {
            case 0:
              request = Value(Value::Object{
                  {"key", "P-B" + tag + "s-" + std::to_string((n * 7919 + k) % decisions)},
                  {"kind", "project"},
                  {"op", "get"}});
              break;
            case 1:
              request = Value(Value::Object{{"op", "summary"}});
              break;
            default:
              request = Value(Value::Object{{"kind", "projects"}, {"limit", 20}, {"op", "list"}});
          }
          const auto sent = Clock::now();
          auto response = c->Request(std::move(request));
          const auto got = Clock::now();
          if (!response.ok()) {
            error.Set(response.status());
            break;
          }
          if (auto result = api::ResultOf(*response); !result.ok()) {
            error.Set(result.status());
            break;
          }
          mine.push_back(Ms(got - sent));
        }
        std::lock_guard lock(mutex);
        query_ms.insert(query_ms.end(), mine.begin(), mine.end());
      });
    }
    for (auto& th : threads) th.join();
    if (Status s = error.Get(); !s.ok()) return Fail(s);
    queries = query_ms.size();
    std::sort(query_ms.begin(), query_ms.end());
  }

  // 4. Fan-out: subscribers on the events topic (live) while one client
  // submits at --rate.
  const std::size_t events =
      std::max<std::size_t>(1, static_cast<std::size_t>(static_cast<double>(rate) * seconds));
  std::vector<Value> live;
  live.reserve(events);
  for (std::size_t i = 0; i < events; ++i) live.push_back(Proposal(tag + "f", i, *key));
  std::vector<double> delivery_ms;
  std::size_t dropped = 0, missing = 0, submitted = 0;
  double submit_seconds = 0;
  {
    auto connections = ConnectAll(url, subscribers);
    if (!connections.ok()) return Fail(connections.status());
    for (auto& c : *connections) {
      auto started = c->Request(Value(Value::Object{{"op", "subscribe"}, {"topic", "events"}}));
      if (!started.ok()) return Fail(started.status());
      if (auto result = api::ResultOf(*started); !result.ok()) return Fail(result.status());
    }
    auto submitter = api::Client::Connect(url);
    if (!submitter.ok()) return Fail(submitter.status());

    std::atomic<bool> stop{false};
    std::vector<std::vector<std::pair<std::int64_t, Clock::time_point>>> arrivals(subscribers);
    std::vector<char> closed(subscribers, 0);
    std::vector<std::thread> threads;
    for (std::size_t k = 0; k < subscribers; ++k) {
      threads.emplace_back([&, k, c = (*connections)[k].get()] {
        auto& mine = arrivals[k];
        mine.reserve(events);
        while (!stop) {
          auto message = c->Next(std::chrono::milliseconds(100));
          const auto now = Clock::now();
          if (!message.ok()) {
            closed[k] = 1;
            return;
          }
          if (!*message) continue;
          const Value* op = (*message)->find("op");
          const Value* sequence = (*message)->find("sequence");
          if (op && op->kind() == Value::Kind::kString && op->as_string() == "event" && sequence &&
              sequence->kind() == Value::Kind::kInt) {
            mine.emplace_back(sequence->as_int(), now);
          }
        }
      });
    }

    std::unordered_map<std::int64_t, Clock::time_point> acks;
    Status failure;
    const auto interval = std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(1.0 / static_cast<double>(rate)));
    const auto start = Clock::now();
    auto at = start;
    for (std::size_t i = 0; i < events; ++i, at += interval) {
      std::this_thread::sleep_until(at);
      auto sequence = SubmittedSequence((*submitter)->Request(live[i]));
      const auto acked = Clock::now();
      if (!sequence.ok()) {
        failure = sequence.status();
        break;
      }
      acks.emplace(*sequence, acked);
      ++submitted;
    }
    submit_seconds = Seconds(start);
    // Time for the last events to arrive.
    std::this_thread::sleep_for(std::chrono::seconds(2));
    stop = true;
    for (auto& th : threads) th.join();
    if (!failure.ok()) return Fail(failure);

    for (std::size_t k = 0; k < subscribers; ++k) {
      if (closed[k]) ++dropped;
      std::size_t seen = 0;
      for (const auto& [sequence, arrived] : arrivals[k]) {
        auto ack = acks.find(sequence);
        if (ack == acks.end()) continue;  // someone else's event
        ++seen;
        delivery_ms.push_back(Ms(arrived - ack->second));
      }
      missing += acks.size() - std::min(seen, acks.size());
    }
    std::sort(delivery_ms.begin(), delivery_ms.end());
  }

  const double ratio = submit_rate / verify_rate;
  const double query_p99 = Percentile(query_ms, 0.99);
  const double delivery_p99 = Percentile(delivery_ms, 0.99);
  std::cout << "ledgerd under load: " << url << " (load generator on this machine, "
            << std::thread::hardware_concurrency() << " hardware threads)\n\n";
  std::cout << std::setprecision(0);
  std::cout << "ed25519 verify (1 core):  " << verify_rate << " /s\n";
  std::cout << "submit throughput:        " << submit_rate << " decisions/s (" << decisions
            << " decisions, " << clients << " clients, durable on acknowledgement); ratio to "
            << "1-core verify " << std::setprecision(2) << ratio
            << " (target >= 0.7: " << Met(ratio >= 0.7) << ")\n";
  std::cout << "query latency:            p50 " << Percentile(query_ms, 0.5) << " ms, p99 "
            << query_p99 << " ms, max " << (query_ms.empty() ? 0 : query_ms.back()) << " ms ("
            << queries << " get/summary/list requests at " << std::setprecision(0) << query_rate
            << "/s from " << query_clients << " clients; target p99 < 5 ms: " << Met(query_p99 < 5)
            << ")\n";
  std::cout << "fan-out delivery:         " << std::setprecision(1) << "p50 "
            << Percentile(delivery_ms, 0.5) << " ms, p99 " << delivery_p99 << " ms, max "
            << (delivery_ms.empty() ? 0 : delivery_ms.back()) << " ms (" << subscribers
            << " subscribers, " << submitted << " events at " << std::setprecision(0)
            << static_cast<double>(submitted) / submit_seconds << "/s of " << rate << "/s asked; "
            << delivery_ms.size() << " deliveries; target p99 < 200 ms: " << Met(delivery_p99 < 200)
            << ")\n";
  std::cout << "subscribers dropped:      " << dropped << " of " << subscribers << ", " << missing
            << " deliveries missing (target none: " << Met(dropped == 0 && missing == 0) << ")\n";
  return kOk;
}

}  // namespace pl::ctl
