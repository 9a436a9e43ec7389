// bench --suite api: ledgerd under load, measured against a running server
// through api::Client (docs/performance.md): submit throughput from many
// connections, paced query latency, and subscription fan-out latency.
//
// The load generator runs on the same machine as the server (steady_clock is
// shared): one thread per synchronous client for submits and queries, and
// the fan-out's subscribers asynchronous on one thread (thousands of them).
#include "bench_api.h"

#include <sys/resource.h>

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

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

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

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;

// One subscriber of the fan-out phase, asynchronous on a shared io_context
// thread: subscribes to the events topic with batched pushes and records
// each event's sequence and arrival time.
class FanoutSubscriber : public std::enable_shared_from_this<FanoutSubscriber> {
 public:
  FanoutSubscriber(net::io_context& ioc, const tcp::endpoint& server, std::string host,
                   std::string target, std::atomic<std::size_t>& ready, std::size_t events)
      : ws_(ioc),
        server_(server),
        host_(std::move(host)),
        target_(std::move(target)),
        ready_(ready) {
    arrivals.reserve(events);
  }

  void Start() {
    beast::get_lowest_layer(ws_).expires_after(std::chrono::seconds(30));
    beast::get_lowest_layer(ws_).async_connect(server_, [self = shared_from_this()](
                                                            beast::error_code ec) {
      if (ec) return self->Fail("connect", ec);
      beast::get_lowest_layer(self->ws_).expires_never();
      self->ws_.read_message_max(64 << 20);
      self->ws_.async_handshake(self->host_, self->target_, [self](beast::error_code e) {
        if (e) return self->Fail("handshake", e);
        self->out_ = R"({"batch":true,"id":1,"op":"subscribe","topic":"events"})";
        self->ws_.text(true);
        self->ws_.async_write(net::buffer(self->out_), [self](beast::error_code w, std::size_t) {
          if (w) return self->Fail("subscribe", w);
          self->Read();
        });
      });
    });
  }

  void Stop() {
    stopping_ = true;
    beast::error_code ignored;
    beast::get_lowest_layer(ws_).socket().close(ignored);
  }

  // What it saw; read once the io_context has stopped.
  std::vector<std::pair<std::int64_t, Clock::time_point>> arrivals;
  std::string failure;  // why the connection ended early, if it did

 private:
  void Read() {
    ws_.async_read(buffer_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return self->Fail("read", ec);
      const auto now = Clock::now();
      const std::string_view text(static_cast<const char*>(self->buffer_.data().data()),
                                  self->buffer_.size());
      if (!self->subscribed_) {
        if (text.find(R"("ok":true)") == std::string_view::npos) {
          self->failure = "subscribe refused: " + std::string(text.substr(0, 200));
          return;
        }
        self->subscribed_ = true;
        ++self->ready_;
      } else {
        self->Record(text, now);
      }
      self->buffer_.consume(self->buffer_.size());
      self->Read();
    });
  }

  // A push, or an array of them. Each event push starts with
  // {"op":"event","subscription":"sN","sequence":N (docs/api.md); only that
  // head is read. Its opening quotes cannot occur inside a JSON string (they
  // would be escaped there), so a search for it finds exactly the pushes.
  // (string_view::find skips to each '{' with memchr: several GB/s, where
  // thousands of subscribers at hundreds of events a second are about a
  // gigabyte a second on this one thread.)
  void Record(std::string_view text, Clock::time_point now) {
    static constexpr std::string_view kHead = R"({"op":"event","subscription":")";
    static constexpr std::string_view kSequence = R"(","sequence":)";
    for (auto at = text.find(kHead); at != std::string_view::npos; at = text.find(kHead, at)) {
      at = text.find('"', at + kHead.size());  // after the subscription id
      if (at == std::string_view::npos || text.compare(at, kSequence.size(), kSequence) != 0) {
        return;
      }
      at += kSequence.size();
      std::int64_t sequence = 0;
      while (at < text.size() && text[at] >= '0' && text[at] <= '9') {
        sequence = sequence * 10 + (text[at++] - '0');
      }
      arrivals.emplace_back(sequence, now);
    }
  }

  void Fail(const char* what, beast::error_code ec) {
    if (!stopping_) failure = std::string(what) + ": " + ec.message();
  }

  websocket::stream<beast::tcp_stream> ws_;
  const tcp::endpoint server_;
  const std::string host_, target_;
  std::atomic<std::size_t>& ready_;
  beast::flat_buffer buffer_;
  std::string out_;
  bool subscribed_ = false;
  bool stopping_ = false;
};

// One submitting client of the throughput phase, asynchronous on a shared
// io_context thread: a WebSocket connection that sends one signed decision,
// waits for its answer and checks that it is a new append (its id and
// SubmittedSequence), then takes the next decision. The requests are
// serialized before the clock starts, so that the load generator's CPU, on
// the same cores as ledgerd, is mostly its sockets.
class Submitter : public std::enable_shared_from_this<Submitter> {
 public:
  Submitter(net::io_context& ioc, const tcp::endpoint& server, std::string host, std::string target,
            const std::vector<std::string>& requests, std::atomic<std::size_t>& next,
            std::size_t& connected)
      : ws_(ioc),
        server_(server),
        host_(std::move(host)),
        target_(std::move(target)),
        requests_(requests),
        next_(next),
        connected_(connected) {}

  // Connects; counts itself in `connected` once the handshake is done.
  void Connect() {
    beast::get_lowest_layer(ws_).expires_after(std::chrono::seconds(30));
    beast::get_lowest_layer(ws_).async_connect(
        server_, [self = shared_from_this()](beast::error_code ec) {
          if (ec) return self->Fail(Status::IoError("bench.submit", "connect: " + ec.message()));
          // Each request goes out at once (as api::Client's): no Nagle delay.
          beast::error_code ignored;
          beast::get_lowest_layer(self->ws_).socket().set_option(tcp::no_delay(true), ignored);
          self->ws_.async_handshake(self->host_, self->target_, [self](beast::error_code e) {
            if (e) return self->Fail(Status::IoError("bench.submit", "handshake: " + e.message()));
            beast::get_lowest_layer(self->ws_).expires_never();
            self->ws_.text(true);
            ++self->connected_;
          });
        });
  }

  // Submits decisions until none is left (all on the io_context's thread).
  void Start() { SendNext(); }

  Status failure;  // the first error, if any; read once the io_context has stopped
  std::size_t appended = 0;

 private:
  void SendNext() {
    if (!failure.ok()) return Close();
    current_ = next_++;
    if (current_ >= requests_.size()) return Close();
    // An answer not in within 30 s fails the run (as api::Client's timeout).
    beast::get_lowest_layer(ws_).expires_after(std::chrono::seconds(30));
    ws_.async_write(net::buffer(requests_[current_]), [self = shared_from_this()](
                                                          beast::error_code ec, std::size_t) {
      if (ec) {
        return self->Fail(Status::IoError("bench.submit", "write: " + ec.message()));
      }
      self->ws_.async_read(self->buffer_, [self](beast::error_code e, std::size_t) {
        if (e) {
          return self->Fail(Status::IoError("bench.submit", "read: " + e.message()));
        }
        self->Check();
      });
    });
  }

  void Check() {
    const std::string_view text(static_cast<const char*>(buffer_.data().data()), buffer_.size());
    auto response = ledger::ParseJson(text);
    buffer_.consume(buffer_.size());
    const Value* id = response.ok() ? response->find("id") : nullptr;
    if (!id || id->kind() != Value::Kind::kInt ||
        id->as_int() != static_cast<std::int64_t>(current_)) {
      return Fail(Status::Invalid("bench.response", "an answer to another request"));
    }
    if (auto sequence = SubmittedSequence(response); !sequence.ok()) return Fail(sequence.status());
    ++appended;
    SendNext();
  }

  void Fail(Status s) {
    if (failure.ok()) failure = std::move(s);
    next_ = requests_.size();  // every other submitter stops too
    Close();
  }

  // Drops the connection and its timer, so that the io_context runs out of work.
  void Close() { beast::get_lowest_layer(ws_).close(); }

  websocket::stream<beast::tcp_stream> ws_;
  const tcp::endpoint server_;
  const std::string host_, target_;
  const std::vector<std::string>& requests_;
  std::atomic<std::size_t>& next_;  // the next request to send, shared by the submitters
  std::size_t& connected_;          // submitters connected
  std::size_t current_ = 0;
  beast::flat_buffer buffer_;
};

// ws://host:port/path of a plain ledgerd, resolved.
Status ResolveUrl(const std::string& url, tcp::endpoint* server, std::string* host,
                  std::string* target) {
  constexpr std::string_view kScheme = "ws://";
  const std::size_t slash = url.find('/', kScheme.size());
  const std::size_t colon = url.rfind(':', slash);
  if (url.rfind(kScheme, 0) != 0 || slash == std::string::npos || colon < kScheme.size()) {
    return Status::Invalid("bench.url", "the fan-out needs a ws://host:port/path URL, not " + url);
  }
  *host = url.substr(kScheme.size(), colon - kScheme.size());
  *target = url.substr(slash);
  net::io_context ioc;
  tcp::resolver resolver(ioc);
  beast::error_code ec;
  const auto found = resolver.resolve(*host, url.substr(colon + 1, slash - colon - 1), ec);
  if (ec || found.empty()) return Status::Invalid("bench.url", "cannot resolve " + url);
  *server = found.begin()->endpoint();
  return Status::Ok();
}

// Thousands of subscribers need as many descriptors: the soft limit goes up
// to the hard one.
void RaiseDescriptorLimit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
  }
}

}  // namespace

bool IsApiSuite(const std::vector<std::string>& args) {
  for (std::size_t i = 1; i < args.size(); ++i) {
    if (args[i] == "--suite=api") return true;
    if (args[i] == "--suite" && i + 1 < args.size() && args[i + 1] == "api") return true;
  }
  return false;
}

int BenchApi(const std::vector<std::string>& args, ApiFigures* figures) {
  po::options_description flags("flags");
  std::string url = kDefaultUrl, keys;
  std::size_t clients = 50, decisions = 5000, subscribers = 2000, submitters = 8, rate = 500;
  double seconds = 10;
  flags.add_options()("suite", po::value<std::string>(), "api")(
      "url", po::value(&url)->default_value(kDefaultUrl), "the running ledgerd (ws://)")(
      "keys", po::value(&keys)->required(),
      "the officers' keys written by ledgerctl demo --keys-out (with officers.json)")(
      "clients", po::value(&clients)->default_value(50), "concurrent submitting connections")(
      "decisions", po::value(&decisions)->default_value(5000), "decisions submitted")(
      "subscribers", po::value(&subscribers)->default_value(2000),
      "WebSocket clients subscribed to events in the fan-out phase")(
      "submitters", po::value(&submitters)->default_value(8),
      "connections submitting the fan-out's events (each waits for its answer)")(
      "rate", po::value(&rate)->default_value(500), "events/s submitted during the fan-out phase")(
      "seconds", po::value(&seconds)->default_value(10),
      "duration of the query and fan-out phases")(
      "query-seconds", po::value<double>(),
      "duration of the query phase alone (default: --seconds); its requests are paced, so a "
      "slow server stretches it");
  po::variables_map vm;
  int exit;
  if (!ParseFlags(args,
                  "--suite api --keys DIR [--url URL] [--clients N] [--decisions N] "
                  "[--subscribers N] [--submitters N] [--rate R] [--seconds S]",
                  flags, nullptr, &vm, &exit)) {
    return exit;
  }
  if (clients == 0 || decisions == 0 || subscribers == 0 || submitters == 0 || rate == 0 ||
      seconds <= 0) {
    return Usage("bench",
                 "--clients, --decisions, --subscribers, --submitters, --rate and --seconds must "
                 "be positive");
  }
  auto key = SecretaryGeneralKey(keys);
  if (!key.ok()) return Fail(key.status());
  const std::string tag = std::to_string(ledger::Now());
  std::cout << std::fixed;

  // 1. Single-core verify rate, this run.
  const double verify_rate = SingleCoreVerifyRate(1.0);

  // 2. Submit throughput: --clients connections, each with one decision in
  // flight, asynchronous, spread over 8 threads of this process (each with
  // its own io_context): far fewer thread wake-ups than a thread per
  // connection, and still a fair share of the cores when the machine is
  // busy with other work.
  std::vector<std::string> requests;
  requests.reserve(decisions);
  for (std::size_t i = 0; i < decisions; ++i) {
    Value request = Proposal(tag + "s", i, *key);
    Value::Object members = request.as_object();
    members.emplace_back("id", static_cast<std::int64_t>(i));  // Value sorts the members
    requests.push_back(ledger::CanonicalJson(Value(std::move(members))));
  }
  double submit_rate = 0, submit_cpu_us = 0;
  {
    tcp::endpoint server;
    std::string host, target;
    if (Status s = ResolveUrl(url, &server, &host, &target); !s.ok()) return Fail(s);
    const std::size_t loops = std::min<std::size_t>(clients, 8);
    std::vector<net::io_context> iocs(loops);
    std::vector<std::size_t> connected(loops, 0);
    std::atomic<std::size_t> next{0};
    std::vector<std::shared_ptr<Submitter>> connections;
    for (std::size_t k = 0; k < clients; ++k) {
      connections.push_back(std::make_shared<Submitter>(iocs[k % loops], server, host, target,
                                                        requests, next, connected[k % loops]));
      connections.back()->Connect();
    }
    for (std::size_t l = 0; l < loops; ++l) {
      const std::size_t mine = clients / loops + (l < clients % loops ? 1 : 0);
      while (connected[l] < mine && iocs[l].run_one() > 0) {
      }
      iocs[l].restart();
    }
    for (const auto& s : connections) {
      if (!s->failure.ok()) return Fail(s->failure);
    }
    const auto t = Clock::now();
    const double cpu = ProcessCpuSeconds();
    for (auto& s : connections) s->Start();
    std::vector<std::thread> threads;
    for (auto& ioc : iocs) threads.emplace_back([&ioc] { ioc.run(); });
    for (auto& th : threads) th.join();
    submit_rate = static_cast<double>(decisions) / Seconds(t);
    submit_cpu_us = (ProcessCpuSeconds() - cpu) * 1e6 / static_cast<double>(decisions);
    std::size_t appended = 0;
    for (const auto& s : connections) {
      if (!s->failure.ok()) return Fail(s->failure);
      appended += s->appended;
    }
    if (appended != decisions) {
      return Fail(Status::IoError("bench.submit", std::to_string(appended) + " of " +
                                                      std::to_string(decisions) + " appended"));
    }
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
        start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(
                    vm.count("query-seconds") ? vm["query-seconds"].as<double>() : seconds));
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

  // 4. Fan-out: --subscribers asynchronous subscribers on the events topic
  // (batched pushes), while --submitters connections submit at --rate in all.
  const std::size_t events =
      std::max<std::size_t>(1, static_cast<std::size_t>(static_cast<double>(rate) * seconds));
  std::vector<Value> live;
  live.reserve(events);
  for (std::size_t i = 0; i < events; ++i) live.push_back(Proposal(tag + "f", i, *key));
  std::vector<double> delivery_ms;
  std::size_t dropped = 0, missing = 0;
  std::atomic<std::size_t> submitted{0};
  double submit_seconds = 0;
  std::string first_drop;
  {
    RaiseDescriptorLimit();
    tcp::endpoint server;
    std::string host, target;
    if (Status s = ResolveUrl(url, &server, &host, &target); !s.ok()) return Fail(s);
    net::io_context ioc;
    auto work = net::make_work_guard(ioc);
    std::atomic<std::size_t> ready{0};
    std::vector<std::shared_ptr<FanoutSubscriber>> subs;
    for (std::size_t k = 0; k < subscribers; ++k) {
      subs.push_back(std::make_shared<FanoutSubscriber>(ioc, server, host, target, ready, events));
      subs.back()->Start();
    }
    std::thread io([&] { ioc.run(); });
    auto stop_subscribers = [&] {
      net::post(ioc, [&] {
        for (auto& sub : subs) sub->Stop();
      });
      work.reset();
      io.join();
    };
    const auto deadline = Clock::now() + std::chrono::seconds(60);
    while (ready < subscribers && Clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (ready < subscribers) {
      stop_subscribers();
      for (auto& sub : subs) {
        if (!sub->failure.empty()) return Fail(Status::IoError("bench.fanout", sub->failure));
      }
      return Fail(Status::IoError("bench.fanout", "only " + std::to_string(ready.load()) + " of " +
                                                      std::to_string(subscribers) +
                                                      " subscribers subscribed within 60 s"));
    }

    auto connections = ConnectAll(url, submitters);
    if (!connections.ok()) {
      stop_subscribers();
      return Fail(connections.status());
    }
    std::mutex mutex;
    std::unordered_map<std::int64_t, Clock::time_point> acks;
    FirstError error;
    std::atomic<std::size_t> next{0};
    const auto interval = std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(1.0 / static_cast<double>(rate)));
    const auto start = Clock::now();
    std::vector<std::thread> threads;
    for (auto& client : *connections) {
      threads.emplace_back([&, c = client.get()] {
        for (std::size_t i; (i = next++) < events;) {
          std::this_thread::sleep_until(start + interval * static_cast<long>(i));
          auto sequence = SubmittedSequence(c->Request(live[i]));
          const auto acked = Clock::now();
          if (!sequence.ok()) {
            error.Set(sequence.status());
            next = events;
            return;
          }
          ++submitted;
          std::lock_guard lock(mutex);
          acks.emplace(*sequence, acked);
        }
      });
    }
    for (auto& th : threads) th.join();
    submit_seconds = Seconds(start);
    // Time for the last events to arrive.
    std::this_thread::sleep_for(std::chrono::seconds(2));
    stop_subscribers();
    if (Status s = error.Get(); !s.ok()) return Fail(s);

    for (const auto& sub : subs) {
      if (!sub->failure.empty()) {
        ++dropped;
        if (first_drop.empty()) first_drop = sub->failure;
      }
      std::size_t seen = 0;
      for (const auto& [sequence, arrived] : sub->arrivals) {
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
  if (figures) {
    *figures = {.verify_rate = verify_rate,
                .submit_rate = submit_rate,
                .query_p50_ms = Percentile(query_ms, 0.5),
                .query_p99_ms = query_p99,
                .queries = queries,
                .delivery_p50_ms = Percentile(delivery_ms, 0.5),
                .delivery_p99_ms = delivery_p99,
                .fanout_rate = static_cast<double>(submitted.load()) / submit_seconds,
                .subscribers = subscribers,
                .dropped = dropped,
                .missing = missing};
  }
  std::cout << "ledgerd under load: " << url << " (load generator on this machine, "
            << std::thread::hardware_concurrency() << " hardware threads)\n\n";
  std::cout << std::setprecision(0);
  std::cout << "ed25519 verify (1 core):  " << verify_rate << " /s\n";
  std::cout << "submit throughput:        " << submit_rate << " decisions/s (" << decisions
            << " decisions, " << clients << " clients, durable on acknowledgement); ratio to "
            << "1-core verify " << std::setprecision(2) << ratio
            << " (target >= 0.7: " << Met(ratio >= 0.7) << "); load generator CPU "
            << std::setprecision(0) << submit_cpu_us << " us per decision\n"
            << std::setprecision(2);
  std::cout << "query latency:            p50 " << Percentile(query_ms, 0.5) << " ms, p99 "
            << query_p99 << " ms, max " << (query_ms.empty() ? 0 : query_ms.back()) << " ms ("
            << queries << " get/summary/list requests at " << std::setprecision(0) << query_rate
            << "/s from " << query_clients << " clients; target p99 < 5 ms: " << Met(query_p99 < 5)
            << ")\n";
  std::cout << "fan-out delivery:         " << std::setprecision(1) << "p50 "
            << Percentile(delivery_ms, 0.5) << " ms, p99 " << delivery_p99 << " ms, max "
            << (delivery_ms.empty() ? 0 : delivery_ms.back()) << " ms (" << subscribers
            << " subscribers, " << submitted.load() << " events at " << std::setprecision(0)
            << static_cast<double>(submitted.load()) / submit_seconds << "/s of " << rate
            << "/s asked; " << delivery_ms.size()
            << " deliveries; target p99 < 200 ms: " << Met(delivery_p99 < 200) << ")\n";
  std::cout << "subscribers dropped:      " << dropped << " of " << subscribers << ", " << missing
            << " deliveries missing (target none: " << Met(dropped == 0 && missing == 0) << ")"
            << (first_drop.empty() ? "" : "; first: " + first_drop) << "\n";
  return kOk;
}

}  // namespace pl::ctl
