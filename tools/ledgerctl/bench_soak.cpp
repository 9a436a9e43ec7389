// bench --suite soak: mixed load for minutes against a running ledgerd, the
// way a busy deployment uses it, while its resident memory and open
// descriptors are sampled from /proc/PID (docs/reliability.md "Soak"):
//  - submitters: signed proposals at a steady rate (api::Client, one thread each);
//  - queriers: summary, list, get, funding, audit, tree_head at a steady rate;
//  - subscribers (1,000 by default) on one Asio thread, not a thread each:
//    most follow the events topic and check every sequence number arrives
//    once and in order, the rest follow summary and projects;
//  - slow readers: many subscriptions and a tiny receive buffer; they stop
//    reading for 15 s of every 20, so ledgerd drops them (1008
//    session.too_slow: deliberate, counted apart); then they read what is
//    left (the close comes after whatever the kernel still held) and come
//    back a second later;
//  - reconnecting clients: follow events for a few seconds, close, and
//    resume from the next sequence number; nothing may be missed or repeated.
#include "bench_soak.h"

#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <memory>
#include <mutex>
#include <random>
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include "api/client.h"
#include "bench_api.h"
#include "cli.h"
#include "ledger/time.h"
#include "remote.h"

namespace pl::ctl {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;
using ledger::Value;

double SecondsSince(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// The load's outcome; every member is updated from several threads.
struct Tally {
  std::atomic<std::uint64_t> submitted{0}, queries{0}, subscriber_messages{0}, reconnects{0},
      slow_dropped{0}, errors{0};
  std::mutex mutex;
  std::vector<double> query_ms;
  std::vector<std::string> first_errors;

  void Error(const std::string& what) {
    ++errors;
    std::lock_guard lock(mutex);
    if (first_errors.size() < 10) first_errors.push_back(what);
  }
};

// One sample of ledgerd from /proc.
struct Sample {
  double at = 0;  // seconds into the run
  long rss_kib = -1, anon_kib = -1, file_kib = -1, fds = -1;
};

Sample Observe(long pid, double at) {
  Sample s;
  s.at = at;
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string key;
  long value;
  while (in >> key) {
    if (key == "VmRSS:" && in >> value) s.rss_kib = value;
    if (key == "RssAnon:" && in >> value) s.anon_kib = value;
    if (key == "RssFile:" && in >> value) s.file_kib = value;
  }
  std::error_code ec;
  std::filesystem::directory_iterator it("/proc/" + std::to_string(pid) + "/fd", ec);
  if (!ec) {
    s.fds = 0;
    for (; it != std::filesystem::directory_iterator(); it.increment(ec)) {
      if (ec) break;
      ++s.fds;
    }
  }
  return s;
}

// The sequence number of a pushed event message (the hub writes it right
// after the subscription id); nullopt for anything else.
std::optional<std::uint64_t> EventSequence(std::string_view message) {
  if (message.rfind(R"({"op":"event")", 0) != 0) return std::nullopt;
  const auto at = message.find(R"("sequence":)");
  if (at == std::string_view::npos) return std::nullopt;
  std::uint64_t n = 0;
  const char* begin = message.data() + at + 11;
  if (std::from_chars(begin, message.data() + message.size(), n).ec != std::errc()) {
    return std::nullopt;
  }
  return n;
}

enum class Role { kSubscriber, kSlowReader, kReconnecting };

// One asynchronous WebSocket client of the soak (all on one io_context
// thread, so no strand is needed).
class Listener : public std::enable_shared_from_this<Listener> {
 public:
  Listener(net::io_context& ioc, tcp::endpoint server, std::string host, Role role,
           std::string topic, std::size_t subscriptions, Tally& tally, const bool& stopping)
      : ioc_(ioc),
        server_(server),
        host_(std::move(host)),
        role_(role),
        topic_(std::move(topic)),
        subscriptions_(subscriptions),
        tally_(tally),
        stopping_(stopping),
        timer_(ioc),
        rng_(std::hash<const void*>()(this)) {}

  void Start() {
    cycle_start_ = Clock::now();
    ws_.emplace(ioc_);
    buffer_.clear();
    answered_ = 0;
    auto& socket = beast::get_lowest_layer(*ws_).socket();
    beast::error_code ec;
    socket.open(tcp::v4(), ec);
    // A slow reader's small window fills at once, so ledgerd's queue for it does.
    if (!ec && role_ == Role::kSlowReader) {
      socket.set_option(net::socket_base::receive_buffer_size(4096), ec);
    }
    beast::get_lowest_layer(*ws_).expires_after(std::chrono::seconds(30));
    beast::get_lowest_layer(*ws_).async_connect(
        server_, [self = shared_from_this()](beast::error_code e) { self->OnConnect(e); });
  }

  // Ends the client (the run is over): a clean close.
  void Stop() {
    timer_.cancel();
    if (!open_) return;
    open_ = false;
    ws_->async_close(websocket::close_code::normal,
                     [self = shared_from_this()](beast::error_code) {});
  }

 private:
  void OnConnect(beast::error_code ec) {
    if (ec) return Failed("connect", ec);
    beast::get_lowest_layer(*ws_).expires_never();
    ws_->set_option(websocket::stream_base::timeout::suggested(beast::role_type::client));
    ws_->read_message_max(64 << 20);
    ws_->async_handshake(host_, "/ws", [self = shared_from_this()](beast::error_code e) {
      if (e) return self->Failed("handshake", e);
      self->open_ = true;
      if (self->stopping_) return self->Stop();
      self->SendSubscribe(0);
    });
  }

  void SendSubscribe(std::size_t i) {
    Value::Object request{
        {"id", static_cast<std::int64_t>(i)}, {"op", "subscribe"}, {"topic", topic_}};
    if (next_ && role_ != Role::kSlowReader) {
      request.emplace_back("from", static_cast<std::int64_t>(*next_));
    }
    out_ = ledger::CanonicalJson(Value(std::move(request)));
    ws_->text(true);
    ws_->async_write(net::buffer(out_),
                     [self = shared_from_this(), i](beast::error_code e, std::size_t) {
                       if (e) return self->Failed("subscribe", e);
                       if (i + 1 < self->subscriptions_) return self->SendSubscribe(i + 1);
                       if (self->role_ == Role::kReconnecting) self->LeaveLater();
                       self->Read();
                     });
  }

  void Read() {
    ws_->async_read(buffer_, [self = shared_from_this()](beast::error_code e, std::size_t) {
      self->OnRead(e);
    });
  }

  void OnRead(beast::error_code ec) {
    if (ec) {
      open_ = false;
      if (stopping_ || leaving_) return Leave();
      if (ec == websocket::error::closed &&
          ws_->reason().code == websocket::close_code::policy_error) {
        // Dropped as too slow: the point of a slow reader; anyone else, an error.
        if (role_ == Role::kSlowReader) {
          ++tally_.slow_dropped;
          return Again(std::chrono::seconds(1));
        }
        tally_.Error("a subscriber that keeps up was dropped as too slow");
        return;
      }
      return Failed("read", ec);
    }
    const std::string_view text(static_cast<const char*>(buffer_.data().data()), buffer_.size());
    if (answered_ < subscriptions_ && text.find(R"("id":)") != std::string_view::npos &&
        text.rfind(R"({"op":)", 0) != 0) {
      // The answer to a subscribe.
      ++answered_;
      if (text.find(R"("ok":true)") == std::string_view::npos) {
        tally_.Error("subscribe refused: " + std::string(text.substr(0, 200)));
      }
    } else {
      ++tally_.subscriber_messages;
      if (role_ != Role::kSlowReader && topic_ == "events") Check(EventSequence(text));
    }
    buffer_.consume(buffer_.size());
    if (role_ == Role::kSlowReader) {
      const auto in_cycle = (Clock::now() - cycle_start_) % std::chrono::seconds(20);
      if (in_cycle < std::chrono::seconds(15)) {
        timer_.expires_after(std::chrono::seconds(15) - in_cycle);
        timer_.async_wait([self = shared_from_this()](beast::error_code e) {
          if (!e && self->open_) self->Read();
        });
        return;
      }
    }
    Read();
  }

  // Events arrive once each and in order, across reconnections too.
  void Check(std::optional<std::uint64_t> sequence) {
    if (!sequence) return tally_.Error("an events message without a sequence");
    if (next_ && *sequence != *next_) {
      tally_.Error("events: expected sequence " + std::to_string(*next_) + ", got " +
                   std::to_string(*sequence));
    }
    next_ = *sequence + 1;
  }

  // A reconnecting client leaves after 1 to 4 seconds and comes back.
  void LeaveLater() {
    timer_.expires_after(std::chrono::milliseconds(1000 + rng_() % 3000));
    timer_.async_wait([self = shared_from_this()](beast::error_code e) {
      if (e || !self->open_ || self->stopping_) return;
      self->leaving_ = true;
      self->open_ = false;
      self->ws_->async_close(websocket::close_code::normal,
                             [self](beast::error_code) { /* the read ends, then Leave */ });
    });
  }

  void Leave() {
    if (!leaving_ || stopping_) return;
    leaving_ = false;
    ++tally_.reconnects;
    Again(std::chrono::milliseconds(50));
  }

  void Again(std::chrono::milliseconds after) {
    if (stopping_) return;
    timer_.expires_after(after);
    timer_.async_wait([self = shared_from_this()](beast::error_code e) {
      if (!e && !self->stopping_) self->Start();
    });
  }

  void Failed(const char* what, beast::error_code ec) {
    open_ = false;
    if (stopping_) return;
    tally_.Error(std::string("subscriber ") + what + ": " + ec.message());
  }

  net::io_context& ioc_;
  const tcp::endpoint server_;
  const std::string host_;
  const Role role_;
  const std::string topic_;
  const std::size_t subscriptions_;
  Tally& tally_;
  const bool& stopping_;
  net::steady_timer timer_;
  std::minstd_rand rng_;
  std::optional<websocket::stream<beast::tcp_stream>> ws_;
  beast::flat_buffer buffer_;
  std::string out_;
  std::size_t answered_ = 0;
  std::optional<std::uint64_t> next_;  // the next events sequence expected
  bool open_ = false;
  bool leaving_ = false;
  Clock::time_point cycle_start_;  // a slow reader's stall-and-drain cycle
};

// Runs `each` `per_second` times a second (spread over the call) until `until`.
template <class F>
void Paced(double per_second, Clock::time_point until, const F& each) {
  const auto interval = std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(1.0 / std::max(per_second, 0.001)));
  auto next = Clock::now();
  for (std::size_t i = 0; Clock::now() < until; ++i) {
    each(i);
    next += interval;
    std::this_thread::sleep_until(std::min(next, until));
  }
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1,
                    static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5))];
}

}  // namespace

bool IsSoakSuite(const std::vector<std::string>& args) {
  for (std::size_t i = 1; i < args.size(); ++i) {
    if (args[i] == "--suite=soak") return true;
    if (args[i] == "--suite" && i + 1 < args.size() && args[i + 1] == "soak") return true;
  }
  return false;
}

int BenchSoak(const std::vector<std::string>& args) {
  po::options_description flags("flags");
  std::string url = kDefaultUrl, keys;
  double minutes = 10, seconds = 0, rate = 20, query_rate = 100;
  long pid = 0;
  std::size_t subscribers = 1000, slow = 4, reconnecting = 20, threads = 2;
  flags.add_options()("suite", po::value<std::string>(), "soak")(
      "url", po::value(&url)->default_value(kDefaultUrl), "the running ledgerd (ws://)")(
      "pid", po::value(&pid)->required(), "ledgerd's process id (its memory and descriptors)")(
      "keys", po::value(&keys)->required(),
      "the officers' keys written by ledgerctl demo --keys-out (with officers.json)")(
      "minutes", po::value(&minutes)->default_value(10), "how long")(
      "seconds", po::value(&seconds), "how long, in seconds (instead of --minutes)")(
      "rate", po::value(&rate)->default_value(20), "decisions submitted per second")(
      "query-rate", po::value(&query_rate)->default_value(100), "queries per second")(
      "subscribers", po::value(&subscribers)->default_value(1000),
      "subscribed clients (7 in 10 on events, the rest on summary and projects)")(
      "slow", po::value(&slow)->default_value(4),
      "slow readers (20 events subscriptions each; stop reading 15 s of every 20)")(
      "reconnecting", po::value(&reconnecting)->default_value(20),
      "clients that follow events, leave after 1-4 s and resume")(
      "threads", po::value(&threads)->default_value(2), "submitting and querying threads, each");
  po::variables_map vm;
  int exit;
  if (!ParseFlags(args,
                  "--suite soak --pid PID --keys DIR [--url URL] [--minutes M | --seconds S] "
                  "[--rate R] [--query-rate Q] [--subscribers N] [--slow N] [--reconnecting N]",
                  flags, nullptr, &vm, &exit)) {
    return exit;
  }
  const double duration = vm.count("seconds") ? seconds : minutes * 60;
  if (duration <= 0 || rate <= 0 || query_rate <= 0 || threads == 0) {
    return Usage("bench", "--minutes/--seconds, --rate, --query-rate, --threads must be positive");
  }
  if (Observe(pid, 0).rss_kib < 0) {
    return Fail(Status::Invalid("bench.pid", "no process " + std::to_string(pid) + " to watch"));
  }
  auto key = SecretaryGeneralKey(keys);
  if (!key.ok()) return Fail(key.status());
  // ws://HOST:PORT/ws only: the soak is for a ledgerd on this machine.
  const std::string prefix = "ws://";
  const auto colon = url.find(':', prefix.size());
  const auto slash = url.find('/', prefix.size());
  if (url.rfind(prefix, 0) != 0 || colon == std::string::npos || slash == std::string::npos) {
    return Usage("bench", "--suite soak wants --url ws://HOST:PORT/ws");
  }
  const std::string host = url.substr(prefix.size(), colon - prefix.size());
  const std::string port = url.substr(colon + 1, slash - colon - 1);
  net::io_context ioc;
  tcp::resolver resolver(ioc);
  beast::error_code ec;
  const auto resolved = resolver.resolve(host, port, ec);
  if (ec || resolved.empty()) {
    return Fail(Status::Invalid("bench.url", "cannot resolve " + host + ":" + port));
  }
  const tcp::endpoint server = resolved.begin()->endpoint();

  std::cout << std::fixed << std::setprecision(1);
  std::cout << "soak: " << duration << " s against " << url << " (ledgerd pid " << pid
            << "): " << rate << " submits/s, " << query_rate << " queries/s, " << subscribers
            << " subscribers, " << slow << " slow readers, " << reconnecting
            << " reconnecting clients" << std::endl;
  const auto start = Clock::now();
  const auto until =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(duration));
  std::vector<Sample> samples{Observe(pid, 0)};
  const Sample first = samples.front();

  Tally tally;
  bool stopping = false;  // written on the io thread only (posted)
  std::vector<std::shared_ptr<Listener>> listeners;
  for (std::size_t i = 0; i < subscribers; ++i) {
    const char* topic = i % 10 < 7 ? "events" : i % 10 < 9 ? "summary" : "projects";
    listeners.push_back(std::make_shared<Listener>(ioc, server, host, Role::kSubscriber, topic, 1,
                                                   tally, stopping));
  }
  for (std::size_t i = 0; i < slow; ++i) {
    listeners.push_back(std::make_shared<Listener>(ioc, server, host, Role::kSlowReader, "events",
                                                   20, tally, stopping));
  }
  for (std::size_t i = 0; i < reconnecting; ++i) {
    listeners.push_back(std::make_shared<Listener>(ioc, server, host, Role::kReconnecting, "events",
                                                   1, tally, stopping));
  }
  for (auto& l : listeners) l->Start();
  auto work = net::make_work_guard(ioc);
  std::thread io([&] { ioc.run(); });

  // Submitters and queriers, synchronous, each on its own connection.
  std::vector<std::thread> load;
  const std::string tag = "soak" + std::to_string(ledger::Now());
  api::ClientOptions options;
  options.timeout = std::chrono::seconds(30);
  for (std::size_t t = 0; t < threads; ++t) {
    load.emplace_back([&, t] {
      auto c = api::Client::Connect(url, options);
      if (!c.ok()) return tally.Error("submitter: " + c.status().ToString());
      Paced(rate / static_cast<double>(threads), until, [&](std::size_t i) {
        auto r = (*c)->Request(Proposal(tag + "-" + std::to_string(t), i, *key));
        auto result = r.ok() ? api::ResultOf(*r) : Result<Value>(r.status());
        if (!result.ok()) return tally.Error("submit: " + result.status().ToString());
        ++tally.submitted;
      });
    });
    load.emplace_back([&] {
      auto c = api::Client::Connect(url, options);
      if (!c.ok()) return tally.Error("querier: " + c.status().ToString());
      // A project of the log, for get.
      std::string project = "P-none";
      if (auto listed = (*c)->Request(
              Value(Value::Object{{"op", "list"}, {"kind", "projects"}, {"limit", 1}}));
          listed.ok()) {
        auto page = api::ResultOf(*listed);
        const Value* items = page.ok() ? page->find("items") : nullptr;
        if (items && items->kind() == Value::Kind::kArray && !items->as_array().empty()) {
          project = items->as_array()[0].find("project_id")->as_string();
        }
      }
      const std::vector<Value::Object> queries{
          {{"op", "summary"}},
          {{"op", "list"}, {"kind", "projects"}, {"limit", 20}},
          {{"op", "get"}, {"kind", "project"}, {"key", project}},
          {{"op", "funding"}, {"group_by", Value(Value::Array{Value("source")})}},
          {{"op", "audit"}, {"limit", 10}},
          {{"op", "tree_head"}}};
      Paced(query_rate / static_cast<double>(threads), until, [&](std::size_t i) {
        const auto t0 = Clock::now();
        auto r = (*c)->Request(Value(queries[i % queries.size()]));
        const double ms = SecondsSince(t0) * 1000;
        auto result = r.ok() ? api::ResultOf(*r) : Result<Value>(r.status());
        if (!result.ok()) {
          return tally.Error("query: " + result.status().ToString());
        }
        ++tally.queries;
        std::lock_guard lock(tally.mutex);
        tally.query_ms.push_back(ms);
      });
    });
  }

  // Samples: every duration/40 (at least a second), printed as they come.
  const double every = std::max(1.0, duration / 40);
  std::cout << "samples (s, resident KiB, of it heap KiB, mapped-file KiB, descriptors):"
            << std::endl;
  while (Clock::now() < until) {
    std::this_thread::sleep_until(std::min(
        until, start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(
                           every * static_cast<double>(samples.size())))));
    const Sample s = Observe(pid, SecondsSince(start));
    samples.push_back(s);
    std::cout << "  " << s.at << " " << s.rss_kib << " " << s.anon_kib << " " << s.file_kib << " "
              << s.fds << "  (messages to subscribers " << tally.subscriber_messages.load()
              << ", errors " << tally.errors.load() << ")" << std::endl;
  }
  for (auto& t : load) t.join();
  net::post(ioc, [&] {
    stopping = true;
    for (auto& l : listeners) l->Stop();
  });
  work.reset();
  // The closes finish (or their 30 s timeouts do); then the context runs out.
  io.join();
  listeners.clear();

  // Descriptors once every client has gone (ledgerd closes its side as it sees them go).
  Sample end = Observe(pid, SecondsSince(start));
  for (int i = 0; i < 100 && end.fds > first.fds; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    end = Observe(pid, SecondsSince(start));
  }

  // Growth after the warm-up (the first fifth): the largest later sample
  // against the first one after it.
  const double warm_up = duration / 5;
  const Sample* base = nullptr;
  long peak = 0, peak_anon = 0;
  long fds_peak = first.fds;
  for (const auto& s : samples) {
    fds_peak = std::max(fds_peak, s.fds);
    if (s.at < warm_up) continue;
    if (!base) base = &s;
    peak = std::max(peak, s.rss_kib);
    peak_anon = std::max(peak_anon, s.anon_kib);
  }
  if (!base) base = &samples.back();
  auto percent = [](long from, long to) {
    return from > 0 ? 100.0 * static_cast<double>(to - from) / static_cast<double>(from) : 0.0;
  };
  const double growth = percent(base->rss_kib, peak);
  const double anon_growth = percent(base->anon_kib, peak_anon);
  // The limit is on ledgerd's own memory (anonymous pages: heap, stacks,
  // queues). Its mapped-file pages are the LMDB log it reads and appends to:
  // they grow with the log, are shared page cache, and are shown apart.
  const bool memory_ok = anon_growth < 10.0;
  const bool fds_ok = end.fds <= first.fds;
  const double elapsed = SecondsSince(start);

  std::vector<double> query_ms;
  {
    std::lock_guard lock(tally.mutex);
    query_ms = tally.query_ms;
  }
  std::cout << "duration:                  " << elapsed << " s\n";
  std::cout << "submitted:                 " << tally.submitted.load() << " decisions ("
            << static_cast<double>(tally.submitted.load()) / duration << "/s)\n";
  std::cout << "queries:                   " << tally.queries.load() << " (p50 "
            << Percentile(query_ms, 0.5) << " ms, p99 " << Percentile(query_ms, 0.99) << " ms, max "
            << Percentile(query_ms, 1.0) << " ms)\n";
  std::cout << "subscriber messages:       " << tally.subscriber_messages.load() << "\n";
  std::cout << "reconnections:             " << tally.reconnects.load()
            << " (each resumed with no event missed or repeated)\n";
  std::cout << "slow readers dropped:      " << tally.slow_dropped.load() << " (deliberate)\n";
  std::cout << "errors:                    " << tally.errors.load() << "\n";
  for (const auto& e : tally.first_errors) std::cout << "  error: " << e << "\n";
  std::cout << "resident memory:           start " << first.rss_kib << " KiB, after warm-up "
            << base->rss_kib << " KiB (at " << base->at << " s), peak after " << peak
            << " KiB, end " << samples.back().rss_kib << " KiB\n";
  std::cout << "resident growth after warm-up: " << growth << "% in all (mapped log pages "
            << base->file_kib << " -> " << samples.back().file_kib << " KiB, as the log grew by "
            << tally.submitted.load() << " events); ledgerd's own memory " << anon_growth << "% ("
            << base->anon_kib << " -> peak " << peak_anon
            << " KiB; limit 10%: " << (memory_ok ? "met" : "NOT met") << ")\n";
  std::cout << "open descriptors:          start " << first.fds << ", peak " << fds_peak << ", end "
            << end.fds << " (" << (fds_ok ? "no leak" : "LEAK") << ")" << std::endl;
  return tally.errors.load() == 0 && memory_ok && fds_ok ? kOk : 1;
}

}  // namespace pl::ctl
