// ledgerd end to end: the real executable on a real data directory, driven
// over HTTP and WebSocket (the client library, and raw Beast where a test
// needs to misbehave on the wire).
#define BOOST_TEST_MODULE server
#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include "api/client.h"
#include "ledger/store.h"
#include "programme_fixture.h"
#include "projections/programme.h"
#include "test_util.h"

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace utf = boost::unit_test;
using net::ip::tcp;
using pl::ledger::Value;
using namespace std::chrono_literals;

namespace {

const std::string kLedgerd = LEDGERD_PATH;

// A data directory holding the test programme's genesis, and the signed
// decisions of its Secretariat to submit.
struct Programme {
  pl::test::TempDir dir;
  pl::test::Officers officers;
  int counter = 1;

  std::string data() const { return dir.str("data"); }

  Programme() {
    pl::projections::ProgrammeOptions o;
    o.store.create_if_missing = true;
    o.store.sync = false;
    auto p = pl::projections::Programme::Open(data(), o);
    BOOST_REQUIRE_MESSAGE(p.ok(), p.status().ToString());
    std::vector<pl::ledger::SignedDecision> genesis{
        Make("d-0", "governance.genesis", "joint-committee", pl::test::GenesisPayload(officers),
             {"jc-cn", "jc-asean"})};
    auto r = (*p)->Submit(genesis);
    BOOST_REQUIRE(r.ok());
    BOOST_REQUIRE(r->decisions[0].status.ok());
  }

  pl::ledger::SignedDecision Make(const std::string& id, const std::string& type,
                                  const std::string& body, Value::Object payload,
                                  const std::vector<std::string>& signers) {
    pl::ledger::SignedDecision d;
    d.decision.id = id;
    d.decision.type = type;
    d.decision.body = body;
    d.decision.issued_at = 1356998400000 + counter * 60000;  // 2013 on
    d.decision.payload = Value(std::move(payload));
    for (const auto& o : signers) pl::ledger::Sign(&d, officers[o]);
    return d;
  }

  // The next project proposal by the Secretariat.
  pl::ledger::SignedDecision Proposal() {
    const std::string n = std::to_string(counter++);
    return Make("d-" + n, "project.proposed", "secretariat", pl::test::Proposal("P-" + n),
                {"sec-head"});
  }
  std::vector<pl::ledger::SignedDecision> Proposals(int n) {
    std::vector<pl::ledger::SignedDecision> out;
    for (int i = 0; i < n; ++i) out.push_back(Proposal());
    return out;
  }
  // A proposal with every text as long as the rules allow (about 6 KB of JSON).
  pl::ledger::SignedDecision FatProposal() {
    const std::string n = std::to_string(counter++);
    auto text = [&](char c) {
      return Value(Value::Object{{"en", std::string(490, c)}, {"zh", std::string(490, c)}});
    };
    Value::Object payload = pl::test::Proposal("P-" + n);
    Value::Array partners;
    for (const char* country : {"TH", "VN", "MY"}) {
      partners.emplace_back(Value::Object{{"country", country}, {"institution", text('i')}});
    }
    for (auto& [name, value] : payload) {
      if (name == "title") value = text('t');
      if (name == "lead_institution") value = text('l');
      if (name == "partners") value = Value(std::move(partners));
    }
    return Make("d-" + n, "project.proposed", "secretariat", std::move(payload), {"sec-head"});
  }
};

Value SubmitRequest(const pl::ledger::SignedDecision& d) {
  return Value(Value::Object{{"decision", pl::ledger::ToValue(d)}, {"op", "submit"}});
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A running ledgerd; killed at scope end if still running.
class Ledgerd {
 public:
  Ledgerd(const std::string& data, const std::vector<std::string>& flags) {
    log_ = data + ".log";
    std::vector<std::string> args{kLedgerd,      "--data",      data,   "--listen",
                                  "127.0.0.1:0", "--log-level", "debug"};
    args.insert(args.end(), flags.begin(), flags.end());
    int out[2];
    BOOST_REQUIRE(::pipe2(out, O_CLOEXEC) == 0);
    pid_ = ::fork();
    BOOST_REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      // Dies with the test, even when a timeout kills the test first.
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() == 1) ::_exit(127);
      const int err = ::open(log_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      ::dup2(out[1], 1);
      ::dup2(err, 2);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    ::close(out[1]);
    out_ = out[0];
    // The one line on stdout names the port.
    std::string line;
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (line.find('\n') == std::string::npos && std::chrono::steady_clock::now() < deadline) {
      pollfd p{out_, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      char buf[256];
      const ssize_t n = ::read(out_, buf, sizeof buf);
      if (n <= 0) break;
      line.append(buf, static_cast<std::size_t>(n));
    }
    line_ = line;
    const auto at = line.find("127.0.0.1:");
    BOOST_REQUIRE_MESSAGE(at != std::string::npos, "ledgerd did not start: " + line + Log());
    port_ = static_cast<std::uint16_t>(std::stoi(line.substr(at + 10)));
  }

  ~Ledgerd() {
    if (pid_ > 0 && !exited_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (out_ >= 0) ::close(out_);
  }

  std::uint16_t port() const { return port_; }
  const std::string& line() const { return line_; }
  std::string Url(bool tls = false) const {
    return std::string(tls ? "wss" : "ws") + "://127.0.0.1:" + std::to_string(port_) + "/ws";
  }
  std::string Log() const { return "\n--- ledgerd log ---\n" + ReadFile(log_); }

  void Signal(int sig) { ::kill(pid_, sig); }
  // The exit code, or -1 if it did not exit in time.
  int Wait(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        exited_ = true;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      std::this_thread::sleep_for(10ms);
    }
    return -1;
  }

 private:
  pid_t pid_ = -1;
  int out_ = -1;
  bool exited_ = false;
  std::uint16_t port_ = 0;
  std::string log_, line_;
};

struct HttpResult {
  unsigned status = 0;
  std::string body;
  std::string content_type;
};

HttpResult HttpGet(std::uint16_t port, const std::string& target) {
  net::io_context ioc;
  beast::tcp_stream stream(ioc);
  stream.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
  http::request<http::empty_body> req{http::verb::get, target, 11};
  req.set(http::field::host, "127.0.0.1");
  http::write(stream, req);
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  http::read(stream, buffer, res);
  return {res.result_int(), res.body(), std::string(res[http::field::content_type])};
}

// A WebSocket client that says exactly what the test tells it to.
class RawSocket {
 public:
  explicit RawSocket(std::uint16_t port, int receive_buffer = 0) : ws_(ioc_) {
    tcp::socket& s = ws_.next_layer();
    s.open(tcp::v4());
    if (receive_buffer > 0) s.set_option(net::socket_base::receive_buffer_size(receive_buffer));
    s.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
    ws_.handshake("127.0.0.1:" + std::to_string(port), "/ws");
  }
  void Send(std::string_view text) {
    ws_.text(true);
    ws_.write(net::buffer(text.data(), text.size()));
  }
  Value Read() {
    beast::flat_buffer buffer;
    ws_.read(buffer);
    auto v = pl::ledger::ParseJson(beast::buffers_to_string(buffer.data()), {16, 64 << 20});
    BOOST_REQUIRE(v.ok());
    return *v;
  }
  Value Ask(std::string_view text) {
    Send(text);
    return Read();
  }
  // Reads (and counts) messages until the server closes; returns its close reason.
  websocket::close_reason ReadUntilClosed(std::size_t* messages = nullptr) {
    for (;;) {
      beast::flat_buffer buffer;
      beast::error_code ec;
      ws_.read(buffer, ec);
      if (ec) return ws_.reason();
      if (messages) ++*messages;
    }
  }

 private:
  net::io_context ioc_;
  websocket::stream<tcp::socket> ws_;
};

std::string Rule(const Value& response) {
  const Value* error = response.find("error");
  const Value* rule = error ? error->find("rule") : nullptr;
  return rule ? rule->as_string() : "(none: " + pl::ledger::CanonicalJson(response) + ")";
}

std::unique_ptr<pl::api::Client> Connect(const Ledgerd& d, bool tls = false) {
  auto c = pl::api::Client::Connect(d.Url(tls));
  BOOST_REQUIRE_MESSAGE(c.ok(), c.status().ToString() + d.Log());
  return std::move(*c);
}

// Subscribes and returns the subscription's log size.
std::int64_t Subscribe(pl::api::Client& c, Value::Object request) {
  request.emplace_back("op", "subscribe");
  auto r = c.Request(Value(std::move(request)));
  BOOST_REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  auto result = pl::api::ResultOf(*r);
  BOOST_REQUIRE_MESSAGE(result.ok(), result.status().ToString());
  return result->find("size")->as_int();
}

}  // namespace

BOOST_AUTO_TEST_CASE(health_metrics_rest_and_static_files, *utf::timeout(60)) {
  Programme p;
  std::filesystem::create_directories(p.dir.str("www/assets"));
  std::ofstream(p.dir.str("www/index.html")) << "<h1>dashboard</h1>";
  std::ofstream(p.dir.str("www/assets/app.js")) << "console.log(1)";
  std::ofstream(p.dir.str("secret.txt")) << "secret";
  Ledgerd d(p.data(), {"--static", p.dir.str("www")});
  BOOST_TEST(d.line().find("ledgerd listening on http://127.0.0.1:") == 0);
  BOOST_TEST(d.line().find("(ws://127.0.0.1:") != std::string::npos);

  HttpResult health = HttpGet(d.port(), "/healthz");
  BOOST_TEST(health.status == 200u);
  auto h = pl::ledger::ParseJson(health.body);
  BOOST_REQUIRE(h.ok());
  BOOST_TEST(h->find("status")->as_string() == "ok");
  BOOST_TEST(h->find("size")->as_int() == 1);
  BOOST_TEST(h->find("root")->as_string().size() == 64u);

  // One appended and one refused decision, so that every series has a value.
  auto c = Connect(d);
  auto ok = c->Request(SubmitRequest(p.Proposal()));
  BOOST_REQUIRE(ok.ok());
  BOOST_TEST(pl::api::ResultOf(*ok).ok());
  auto tampered = p.Proposal();
  tampered.decision.payload = Value(pl::test::Proposal("P-tampered"));
  auto refused = c->Request(SubmitRequest(tampered));
  BOOST_REQUIRE(refused.ok());
  BOOST_TEST(Rule(*refused) == "signature.invalid");

  HttpResult metrics = HttpGet(d.port(), "/metrics");
  BOOST_TEST(metrics.status == 200u);
  BOOST_TEST(metrics.content_type.find("text/plain") == 0);
  for (const char* name :
       {"ledger_appends_total 1", "ledger_refusals_total{rule=\"signature.invalid\"} 1",
        "ledger_queries_total{op=\"submit\"} 2", "ledger_sessions_open 1", "ledger_subscribers 0",
        "ledger_dropped_slow_clients_total 0", "ledger_commit_seconds_bucket",
        "ledger_commit_seconds_count 1", "ledger_log_size 2"}) {
    BOOST_TEST(metrics.body.find(name) != std::string::npos, name);
  }

  HttpResult summary = HttpGet(d.port(), "/api/summary");
  BOOST_TEST(summary.status == 200u);
  BOOST_TEST(summary.body.find("\"ok\":true") != std::string::npos);
  const HttpResult got = HttpGet(d.port(), "/api/get?kind=project&key=P-1");
  BOOST_TEST(got.status == 200u, got.body);
  BOOST_TEST(HttpGet(d.port(), "/api/teleport").status == 404u);
  // Dotted names are object members, digits integers, group_by a list.
  const HttpResult listed =
      HttpGet(d.port(), "/api/list?kind=projects&filter.status=proposed&limit=1");
  BOOST_TEST(listed.status == 200u, listed.body);
  BOOST_TEST(listed.body.find("\"total\":1") != std::string::npos, listed.body);
  const HttpResult funding = HttpGet(d.port(), "/api/funding?group_by=source,currency");
  BOOST_TEST(funding.status == 200u, funding.body);
  BOOST_TEST(HttpGet(d.port(), "/api/list?kind=projects&limit=x%20y").status == 400u);

  HttpResult index = HttpGet(d.port(), "/");
  BOOST_TEST(index.status == 200u);
  BOOST_TEST(index.body == "<h1>dashboard</h1>");
  BOOST_TEST(index.content_type.find("text/html") == 0);
  HttpResult js = HttpGet(d.port(), "/assets/app.js");
  BOOST_TEST(js.body == "console.log(1)");
  BOOST_TEST(js.content_type.find("text/javascript") == 0);
  BOOST_TEST(HttpGet(d.port(), "/%2e%2e/secret.txt").status == 400u);
  BOOST_TEST(HttpGet(d.port(), "/assets/../../secret.txt").status == 400u);
  BOOST_TEST(HttpGet(d.port(), "/missing.css").status == 404u);
}

BOOST_AUTO_TEST_CASE(bad_requests_are_answered_and_the_connection_stays_usable, *utf::timeout(60)) {
  Programme p;
  Ledgerd d(p.data(), {"--max-message-bytes", "65536"});
  RawSocket s(d.port());
  struct Case {
    std::string request, rule;
  };
  for (const Case& c : std::vector<Case>{
           {"{not json", "request.json"},
           {R"({"id":1,"op":"summary","x":1.5})", "request.json"},
           {"[1,2]", "request.shape"},
           {R"({"op":"summary"})", "request.shape"},
           {R"({"id":{"a":1},"op":"summary"})", "request.shape"},
           {R"({"id":2})", "request.shape"},
           {R"({"id":3,"op":7})", "request.shape"},
           {R"({"id":4,"op":"teleport"})", "request.op"},
           {R"({"id":5,"op":"get","key":"P-1"})", "request.param"},
           {R"({"id":6,"op":"get","kind":5,"key":"P-1"})", "request.param"},
           {R"({"id":7,"op":"subscribe"})", "request.param"},
           {R"({"id":8,"op":"subscribe","topic":"events","from":"x"})", "request.param"},
           {R"({"id":9,"op":"subscribe","topic":"weather"})", "subscribe.topic"},
           {R"({"id":10,"op":"subscribe","topic":"events","from":99})", "subscribe.from"},
           {R"({"id":11,"op":"unsubscribe","subscription":"s999"})", "subscribe.unknown"},
           {R"({"id":12,"op":"submit"})", "request.param"},
       }) {
    const Value r = s.Ask(c.request);
    BOOST_TEST(Rule(r) == c.rule, c.request);
    BOOST_TEST(r.find("ok")->as_bool() == false);
  }
  // The id is echoed whenever there is a usable one.
  BOOST_TEST(s.Ask(R"({"id":"x-4","op":"teleport"})").find("id")->as_string() == "x-4");
  const Value fine = s.Ask(R"({"id":"last","op":"tree_head"})");
  BOOST_TEST(fine.find("ok")->as_bool());
  BOOST_TEST(fine.find("id")->as_string() == "last");

  // Over the size limit: an answer, then close code 1009.
  RawSocket big(d.port());
  big.Send(R"({"id":1,"op":"summary","pad":")" + std::string(70000, 'x') + "\"}");
  const Value too_large = big.Read();
  BOOST_TEST(Rule(too_large) == "request.too_large");
  const auto closed = big.ReadUntilClosed();
  BOOST_TEST(closed.code == 1009);
  BOOST_TEST(std::string(closed.reason.c_str()) == "request.too_large");

  // Not UTF-8 in a text frame: the WebSocket protocol closes it (1007).
  RawSocket garbled(d.port());
  garbled.Send("{\"id\":1,\"op\":\"\xff\xfe\"}");
  BOOST_TEST(garbled.ReadUntilClosed().code == 1007);

  // And the server is none the worse for it.
  BOOST_TEST(s.Ask(R"({"id":13,"op":"summary"})").find("ok")->as_bool());
}

BOOST_AUTO_TEST_CASE(a_resumed_subscription_sees_every_event_exactly_once, *utf::timeout(120)) {
  Programme p;
  constexpr int kClients = 4, kEach = 75, kTotal = 1 + kClients * kEach;  // with genesis
  std::vector<std::vector<pl::ledger::SignedDecision>> work;
  for (int i = 0; i < kClients; ++i) work.push_back(p.Proposals(kEach));
  Ledgerd d(p.data(), {});

  // The subscriber starts before the writers and leaves midway.
  auto first = Connect(d);
  BOOST_TEST(Subscribe(*first, {{"topic", "events"}, {"from", 0}}) == 1);

  std::atomic<int> failures{0};
  std::vector<std::thread> writers;
  for (int i = 0; i < kClients; ++i) {
    writers.emplace_back([&, i] {
      auto c = pl::api::Client::Connect(d.Url());
      if (!c.ok()) return void(++failures);
      for (const auto& decision : work[static_cast<std::size_t>(i)]) {
        auto r = (*c)->Request(SubmitRequest(decision));
        if (!r.ok() || !pl::api::ResultOf(*r).ok()) ++failures;
      }
    });
  }

  std::vector<std::int64_t> seen;
  std::set<std::string> ids;
  auto take = [&](pl::api::Client& c, std::size_t until) {
    while (seen.size() < until) {
      auto m = c.Next(10s);
      BOOST_REQUIRE_MESSAGE(m.ok(), m.status().ToString());
      BOOST_REQUIRE_MESSAGE(m->has_value(),
                            "no event within 10 s after " + std::to_string(seen.size()) + d.Log());
      const Value& msg = **m;
      BOOST_REQUIRE(msg.find("op")->as_string() == "event");
      const std::int64_t seq = msg.find("sequence")->as_int();
      BOOST_TEST(msg.find("event")->find("sequence")->as_int() == seq);
      ids.insert(msg.find("event")->find("decision")->find("decision_id")->as_string());
      seen.push_back(seq);
    }
  };
  take(*first, 120);
  first->Close();
  // Reconnect and resume from the first sequence not seen.
  auto second = Connect(d);
  Subscribe(*second, {{"topic", "events"}, {"from", seen.back() + 1}});
  take(*second, kTotal);
  for (auto& w : writers) w.join();
  BOOST_TEST(failures.load() == 0);

  BOOST_REQUIRE(seen.size() == static_cast<std::size_t>(kTotal));
  for (int i = 0; i < kTotal; ++i) BOOST_TEST(seen[static_cast<std::size_t>(i)] == i);
  BOOST_TEST(ids.size() == static_cast<std::size_t>(kTotal));
  // Nothing more arrives: no duplicate after the last.
  auto extra = second->Next(300ms);
  BOOST_REQUIRE(extra.ok());
  BOOST_TEST(!extra->has_value());
}

BOOST_AUTO_TEST_CASE(a_batching_subscriber_gets_every_event_in_order_in_arrays,
                     *utf::timeout(120)) {
  Programme p;
  constexpr int kLogged = 200, kLive = 40;
  auto logged = p.Proposals(kLogged);
  auto live = p.Proposals(kLive);
  Ledgerd d(p.data(), {});
  {
    auto c = Connect(d);
    for (const auto& decision : logged) {
      auto r = c->Request(SubmitRequest(decision));
      BOOST_REQUIRE(r.ok() && pl::api::ResultOf(*r).ok());
    }
  }
  RawSocket raw(d.port());
  BOOST_TEST(Rule(raw.Ask(R"({"id":1,"op":"subscribe","topic":"events","batch":"yes"})")) ==
             "request.param");
  BOOST_REQUIRE(raw.Ask(R"({"id":2,"op":"subscribe","topic":"events","from":0,"batch":true})")
                    .find("ok")
                    ->as_bool());
  std::vector<std::int64_t> seen;
  std::size_t arrays = 0, largest = 0;
  auto take = [&](std::size_t until) {
    while (seen.size() < until) {
      const Value m = raw.Read();
      std::vector<Value> pushes;
      if (m.kind() == Value::Kind::kArray) {
        ++arrays;
        largest = std::max(largest, m.as_array().size());
        pushes = m.as_array();
      } else {
        pushes.push_back(m);
      }
      for (const Value& push : pushes) {
        BOOST_REQUIRE(push.find("op")->as_string() == "event");
        seen.push_back(push.find("sequence")->as_int());
      }
    }
  };
  // The catch-up (genesis and the logged decisions) piles up behind the
  // first write, so it comes mostly in arrays.
  take(1 + kLogged);
  BOOST_TEST(arrays > 0u);
  // Live: one commit of kLive decisions.
  auto c = Connect(d);
  Value::Array batch;
  for (const auto& decision : live) batch.push_back(pl::ledger::ToValue(decision));
  auto r =
      c->Request(Value(Value::Object{{"decisions", Value(std::move(batch))}, {"op", "submit"}}));
  BOOST_REQUIRE(r.ok() && pl::api::ResultOf(*r).ok());
  take(1 + kLogged + kLive);
  BOOST_REQUIRE(seen.size() == static_cast<std::size_t>(1 + kLogged + kLive));
  for (std::size_t i = 0; i < seen.size(); ++i) BOOST_TEST(seen[i] == static_cast<std::int64_t>(i));
  BOOST_TEST(largest <= 256u);
  BOOST_TEST_MESSAGE("batched pushes: " << arrays << " arrays, the largest of " << largest);
}

BOOST_AUTO_TEST_CASE(a_slow_subscriber_is_dropped_and_others_get_everything, *utf::timeout(120)) {
  Programme p;
  constexpr int kDecisions = 60;
  std::vector<pl::ledger::SignedDecision> decisions;
  for (int i = 0; i < kDecisions; ++i) decisions.push_back(p.FatProposal());
  Ledgerd d(p.data(), {"--max-queue", "64"});

  // The slow client has many subscriptions (each event is many messages to
  // it), a small receive buffer, and never reads.
  RawSocket slow(d.port(), 4096);
  for (int i = 0; i < 50; ++i) {
    const Value r =
        slow.Ask(R"({"id":)" + std::to_string(i) + R"(,"op":"subscribe","topic":"events"})");
    BOOST_REQUIRE(r.find("ok")->as_bool());
  }
  auto normal = Connect(d);
  Subscribe(*normal, {{"topic", "events"}});
  auto projects = Connect(d);
  Subscribe(*projects, {{"topic", "projects"}});
  auto summary = Connect(d);
  Subscribe(*summary, {{"topic", "summary"}});
  {
    auto first = summary->Next(5s);
    BOOST_REQUIRE(first.ok() && first->has_value());
    BOOST_TEST((**first).find("kind")->as_string() == "summary");
    BOOST_TEST((**first).find("entity")->find("size")->as_int() == 1);
  }

  std::atomic<int> failures{0};
  std::thread writer([&] {
    auto c = pl::api::Client::Connect(d.Url());
    if (!c.ok()) return void(++failures);
    for (const auto& decision : decisions) {
      auto r = (*c)->Request(SubmitRequest(decision));
      if (!r.ok() || !pl::api::ResultOf(*r).ok()) ++failures;
    }
  });
  std::vector<std::int64_t> seen;
  while (seen.size() < static_cast<std::size_t>(kDecisions)) {
    auto m = normal->Next(10s);
    BOOST_REQUIRE(m.ok());
    BOOST_REQUIRE_MESSAGE(m->has_value(), "the normal subscriber stalled" + d.Log());
    seen.push_back((**m).find("sequence")->as_int());
  }
  writer.join();
  BOOST_TEST(failures.load() == 0);
  for (int i = 0; i < kDecisions; ++i) BOOST_TEST(seen[static_cast<std::size_t>(i)] == i + 1);

  // The projects topic pushed each new project once, as an update.
  std::set<std::string> updated;
  while (updated.size() < static_cast<std::size_t>(kDecisions)) {
    auto m = projects->Next(10s);
    BOOST_REQUIRE(m.ok());
    BOOST_REQUIRE(m->has_value());
    BOOST_TEST((**m).find("kind")->as_string() == "project");
    updated.insert((**m).find("entity")->find("project_id")->as_string());
  }

  // The summary is pushed coalesced (at most four a second), ending with them all.
  std::int64_t summarised = 0;
  int summaries = 0;
  while (summarised < kDecisions + 1) {
    auto m = summary->Next(5s);
    BOOST_REQUIRE(m.ok());
    BOOST_REQUIRE_MESSAGE(m->has_value(), "no summary with every event");
    summarised = (**m).find("entity")->find("size")->as_int();
    BOOST_TEST((**m).find("sequence")->as_int() == summarised - 1);
    ++summaries;
  }
  BOOST_TEST(summaries < kDecisions);

  // A late subscriber to a state topic first gets every current entity.
  auto late = Connect(d);
  BOOST_TEST(Subscribe(*late, {{"topic", "projects"}}) == kDecisions + 1);
  std::set<std::string> current;
  for (;;) {
    auto m = late->Next(500ms);
    BOOST_REQUIRE(m.ok());
    if (!m->has_value()) break;
    current.insert((**m).find("entity")->find("project_id")->as_string());
  }
  BOOST_TEST(current == updated);

  // 60 events x 50 subscriptions x 6 KB is more than the socket buffers hold.
  std::string metrics;
  for (int i = 0; i < 100; ++i) {
    metrics = HttpGet(d.port(), "/metrics").body;
    if (metrics.find("ledger_dropped_slow_clients_total 1") != std::string::npos) break;
    std::this_thread::sleep_for(50ms);
  }
  BOOST_REQUIRE_MESSAGE(metrics.find("ledger_dropped_slow_clients_total 1") != std::string::npos,
                        metrics);
  BOOST_TEST(metrics.find("ledger_subscribers 4") != std::string::npos);
  const auto reason = slow.ReadUntilClosed();
  BOOST_TEST(reason.code == 1008);
  BOOST_TEST(std::string(reason.reason.c_str()) == "session.too_slow");
}

// A state topic's initial content goes out in pages read from the live
// state while decisions keep coming: each entity arrives once per version,
// whether a page or a live update carried it.
BOOST_AUTO_TEST_CASE(a_state_topic_subscriber_gets_each_entity_once_while_submits_run,
                     *utf::timeout(120)) {
  Programme p;
  constexpr int kBefore = 1200, kDuring = 300;  // several pages of initial content
  const auto before = p.Proposals(kBefore);
  // Projects whose ids sort after every earlier one: those made before the
  // pages reach the end come both in a page and as a live update.
  std::vector<pl::ledger::SignedDecision> during;
  for (int i = 0; i < kDuring; ++i) {
    const std::string n = std::to_string(p.counter++);
    during.push_back(p.Make("d-" + n, "project.proposed", "secretariat",
                            pl::test::Proposal("Q-" + n), {"sec-head"}));
  }
  // A queue shorter than the initial content, so that the pages go at the
  // pace this client reads (and longer than a round of live updates).
  Ledgerd d(p.data(), {"--max-queue", "256"});
  {
    auto c = Connect(d);
    for (const auto& decision : before) {
      auto r = c->Request(SubmitRequest(decision));
      BOOST_REQUIRE(r.ok() && pl::api::ResultOf(*r).ok());
    }
  }
  std::atomic<int> failures{0};
  std::thread writer([&] {
    auto c = pl::api::Client::Connect(d.Url());
    if (!c.ok()) return void(++failures);
    for (const auto& decision : during) {
      auto r = (*c)->Request(SubmitRequest(decision));
      if (!r.ok() || !pl::api::ResultOf(*r).ok()) ++failures;
    }
  });
  auto sub = Connect(d);
  BOOST_TEST(Subscribe(*sub, {{"topic", "projects"}}) >= kBefore + 1);
  std::map<std::string, int> times;
  std::size_t received = 0;
  while (times.size() < static_cast<std::size_t>(kBefore + kDuring)) {
    auto m = sub->Next(10s);
    BOOST_REQUIRE_MESSAGE(m.ok(), m.status().ToString() + " after " + std::to_string(received));
    BOOST_REQUIRE_MESSAGE(m->has_value(), "stalled after " + std::to_string(received) + d.Log());
    BOOST_REQUIRE((**m).find("kind")->as_string() == "project");
    ++times[(**m).find("entity")->find("project_id")->as_string()];
    if (++received < 800) std::this_thread::sleep_for(1ms);  // read slowly at first
  }
  writer.join();
  BOOST_TEST(failures.load() == 0);
  auto extra = sub->Next(500ms);
  BOOST_REQUIRE(extra.ok());
  BOOST_TEST(!extra->has_value());  // nothing twice
  BOOST_TEST(received == static_cast<std::size_t>(kBefore + kDuring));
  for (const auto& [id, n] : times) BOOST_TEST(n == 1, id << " came " << n << " times");
}

BOOST_AUTO_TEST_CASE(tls_serves_wss, *utf::timeout(60)) {
  Programme p;
  const std::string cert = p.dir.str("cert.pem"), key = p.dir.str("key.pem");
  const std::string openssl = "openssl req -x509 -newkey ed25519 -keyout " + key + " -out " + cert +
                              " -days 1 -nodes -subj /CN=localhost >/dev/null 2>&1";
  BOOST_REQUIRE(std::system(openssl.c_str()) == 0);
  Ledgerd d(p.data(), {"--tls-cert", cert, "--tls-key", key});
  BOOST_TEST(d.line().find("ledgerd listening on https://127.0.0.1:") == 0);
  BOOST_TEST(d.line().find("(wss://") != std::string::npos);
  auto c = Connect(d, true);
  auto r = c->Request(Value(Value::Object{{"op", "tree_head"}}));
  BOOST_REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  auto result = pl::api::ResultOf(*r);
  BOOST_REQUIRE(result.ok());
  BOOST_TEST(result->find("tree_head")->find("size")->as_int() == 1);
}

BOOST_AUTO_TEST_CASE(sigterm_under_load_loses_no_acknowledged_decision, *utf::timeout(120)) {
  Programme p;
  constexpr int kClients = 4, kEach = 150;
  std::vector<std::vector<pl::ledger::SignedDecision>> work;
  for (int i = 0; i < kClients; ++i) work.push_back(p.Proposals(kEach));
  Ledgerd d(p.data(), {});
  RawSocket watcher(d.port());
  BOOST_REQUIRE(
      watcher.Ask(R"({"id":1,"op":"subscribe","topic":"summary"})").find("ok")->as_bool());

  struct Ack {
    std::int64_t sequence;
    std::string leaf_hash;
  };
  std::mutex mutex;
  std::map<std::string, Ack> acked;
  std::atomic<int> acks{0}, unexpected{0};
  std::vector<std::thread> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.emplace_back([&, i] {
      auto c = pl::api::Client::Connect(d.Url());
      if (!c.ok()) return;
      for (const auto& decision : work[static_cast<std::size_t>(i)]) {
        auto r = (*c)->Request(SubmitRequest(decision));
        if (!r.ok()) return;  // the server closed the connection
        auto result = pl::api::ResultOf(*r);
        if (!result.ok()) {
          if (result.status().rule() != "server.stopping") ++unexpected;
          return;
        }
        const Value& out = result->find("decisions")->as_array()[0];
        std::lock_guard lock(mutex);
        acked[out.find("decision_id")->as_string()] =
            Ack{out.find("sequence")->as_int(), out.find("leaf_hash")->as_string()};
        ++acks;
      }
    });
  }
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (acks.load() < 60 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(5ms);
  }
  // A subscriber that keeps reading is told goodbye (1001) and answers it.
  websocket::close_reason goodbye;
  std::thread watching([&] { goodbye = watcher.ReadUntilClosed(); });
  d.Signal(SIGTERM);
  const int code = d.Wait(15s);
  watching.join();
  for (auto& c : clients) c.join();
  BOOST_TEST(code == 0, d.Log());
  BOOST_TEST(unexpected.load() == 0);
  BOOST_TEST(acked.size() >= 60u);
  BOOST_TEST(acked.size() < static_cast<std::size_t>(kClients * kEach));  // stopped under load
  BOOST_TEST(d.Log().find("msg=\"shutting down\" signal=SIGTERM") != std::string::npos);
  BOOST_TEST(d.Log().find("did not close in time") == std::string::npos);
  BOOST_TEST(goodbye.code == 1001);
  BOOST_TEST(std::string(goodbye.reason.c_str()) == "server.stopping");

  pl::ledger::StoreOptions o;
  o.read_only = true;
  auto store = pl::ledger::Store::Open(p.data(), o);
  BOOST_REQUIRE_MESSAGE(store.ok(), store.status().ToString());
  for (const auto& [id, ack] : acked) {
    auto seq = (*store)->Find(id);
    BOOST_REQUIRE_MESSAGE(seq.ok(), id + " was acknowledged but is not in the log");
    BOOST_TEST(*seq == static_cast<std::uint64_t>(ack.sequence));
    auto event = (*store)->Read(*seq);
    BOOST_REQUIRE(event.ok());
    BOOST_TEST(pl::ToHex(event->leaf_hash) == ack.leaf_hash);
  }
}

BOOST_AUTO_TEST_CASE(connections_beyond_the_limit_are_refused, *utf::timeout(60)) {
  Programme p;
  Ledgerd d(p.data(), {"--max-connections", "1"});
  auto first = Connect(d);
  pl::api::ClientOptions quick;
  quick.timeout = 2s;
  BOOST_TEST(!pl::api::Client::Connect(d.Url(), quick).ok());
  first->Close();
  // The slot comes back once the first connection is gone.
  bool again = false;
  for (int i = 0; i < 100 && !again; ++i) {
    again = pl::api::Client::Connect(d.Url(), quick).ok();
    if (!again) std::this_thread::sleep_for(20ms);
  }
  BOOST_TEST(again);
}
