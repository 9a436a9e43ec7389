// Protocol abuse against a real ledgerd over real loopback sockets: oversized
// frames, bodies and headers; floods on one connection; thousands of idle
// connections; half-open connections and slowloris; invalid UTF-8; deeply
// nested JSON. For each: a clear answer or close reason, a per-connection
// bound, and a well-behaved client's query round trip measured during the
// abuse (printed, and held under kPrompt).
#define BOOST_TEST_MODULE abuse
#include <boost/test/unit_test.hpp>

#include <sys/resource.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <set>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include "api/client.h"
#include "ledgerd_process.h"
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
using Clock = std::chrono::steady_clock;

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kAddressSanitizer = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kAddressSanitizer = true;
#else
constexpr bool kAddressSanitizer = false;
#endif
#else
constexpr bool kAddressSanitizer = false;
#endif

namespace {

// A query round trip slower than this during an abuse counts as the server
// not staying responsive (loopback, on a busy 2-core machine).
constexpr auto kPrompt = 1000ms;

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

// A data directory with the test programme's genesis; its Secretariat's proposals.
struct Deployment {
  pl::test::TempDir dir;
  pl::test::Officers officers;
  int counter = 1;
  std::string data() const { return dir.str("data"); }
  std::string log() const { return dir.str("ledgerd.log"); }

  Deployment() {
    pl::projections::ProgrammeOptions o;
    o.store.create_if_missing = true;
    o.store.sync = false;
    auto p = pl::projections::Programme::Open(data(), o);
    BOOST_REQUIRE_MESSAGE(p.ok(), p.status().ToString());
    const std::vector<pl::ledger::SignedDecision> genesis{
        Make("d-0", "governance.genesis", "joint-committee", pl::test::GenesisPayload(officers),
             {"jc-cn", "jc-asean"})};
    auto r = (*p)->Submit(genesis);
    BOOST_REQUIRE(r.ok() && r->decisions[0].status.ok());
  }
  pl::ledger::SignedDecision Make(const std::string& id, const std::string& type,
                                  const std::string& body, Value::Object payload,
                                  const std::vector<std::string>& signers) {
    pl::ledger::SignedDecision d;
    d.decision.id = id;
    d.decision.type = type;
    d.decision.body = body;
    d.decision.issued_at = 1356998400000 + counter * 60000;
    d.decision.payload = Value(std::move(payload));
    for (const auto& s : signers) pl::ledger::Sign(&d, officers[s]);
    return d;
  }
  pl::ledger::SignedDecision Proposal() {
    const std::string n = std::to_string(counter++);
    return Make("d-" + n, "project.proposed", "secretariat", pl::test::Proposal("P-" + n),
                {"sec-head"});
  }
};

std::string Rule(const Value& response) {
  const Value* error = response.find("error");
  const Value* rule = error ? error->find("rule") : nullptr;
  return rule ? rule->as_string() : "(ok)";
}

// The well-behaved client: one connection, summary round trips. Measure()
// may run on a thread of its own (it asserts nothing); Check() asserts.
class Probe {
 public:
  explicit Probe(const pl::test::LedgerdProcess& d) {
    auto c = pl::api::Client::Connect(d.url());
    BOOST_REQUIRE_MESSAGE(c.ok(), c.status().ToString() + d.Log());
    client_ = std::move(*c);
  }
  // Round trips for `how_long` (at least one); prints the worst.
  void Measure(const std::string& abuse, std::chrono::milliseconds how_long = 0ms) {
    const auto until = Clock::now() + how_long;
    worst_ = 0;
    failure_.clear();
    int n = 0;
    do {
      const auto start = Clock::now();
      auto r = client_->Request(Value(Value::Object{{"op", "summary"}}));
      worst_ = std::max(worst_, Ms(Clock::now() - start));
      ++n;
      if (!r.ok() || !pl::api::ResultOf(*r).ok()) {
        failure_ = r.ok() ? pl::ledger::CanonicalJson(*r) : r.status().ToString();
        break;
      }
      if (how_long > 0ms) std::this_thread::sleep_for(20ms);
    } while (Clock::now() < until);
    std::cout << "abuse: " << abuse << ": " << n << " summary round trips, worst " << worst_
              << " ms" << std::endl;
  }
  void Check(const std::string& abuse) {
    BOOST_TEST(failure_.empty(), abuse << ": a query failed: " << failure_);
    BOOST_TEST(worst_ < Ms(kPrompt), abuse << ": a round trip took " << worst_ << " ms");
  }
  void During(const std::string& abuse, std::chrono::milliseconds how_long = 0ms) {
    Measure(abuse, how_long);
    Check(abuse);
  }

 private:
  std::unique_ptr<pl::api::Client> client_;
  double worst_ = 0;
  std::string failure_;
};

tcp::endpoint At(std::uint16_t port) {
  return tcp::endpoint(net::ip::make_address("127.0.0.1"), port);
}

// A client WebSocket frame (masked, with a zero key: the payload goes as is),
// declaring `declared` bytes of payload (default: the payload's size).
std::string Frame(std::uint8_t opcode, std::string_view payload, bool fin = true,
                  std::optional<std::uint64_t> declared = std::nullopt) {
  const std::uint64_t n = declared.value_or(payload.size());
  std::string f;
  f.push_back(static_cast<char>((fin ? 0x80 : 0) | opcode));
  if (n < 126) {
    f.push_back(static_cast<char>(0x80 | n));
  } else if (n <= 0xffff) {
    f.push_back(static_cast<char>(0x80 | 126));
    f.push_back(static_cast<char>(n >> 8));
    f.push_back(static_cast<char>(n & 0xff));
  } else {
    f.push_back(static_cast<char>(0x80 | 127));
    for (int i = 7; i >= 0; --i) f.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
  }
  f.append(4, '\0');
  f.append(payload);
  return f;
}

// A WebSocket whose frames the test writes byte for byte, and whose
// answers are read through Beast.
class RawWebSocket {
 public:
  explicit RawWebSocket(std::uint16_t port, int receive_buffer = 0) : ws_(ioc_) {
    ws_.next_layer().open(tcp::v4());
    if (receive_buffer > 0) {
      ws_.next_layer().set_option(net::socket_base::receive_buffer_size(receive_buffer));
    }
    ws_.next_layer().connect(At(port));
    ws_.handshake("127.0.0.1", "/ws");
  }
  tcp::socket& socket() { return ws_.next_layer(); }
  void WriteRaw(std::string_view bytes, beast::error_code& ec) {
    net::write(ws_.next_layer(), net::buffer(bytes.data(), bytes.size()), ec);
  }
  void WriteRaw(std::string_view bytes) {
    beast::error_code ec;
    WriteRaw(bytes, ec);
    BOOST_REQUIRE_MESSAGE(!ec, ec.message());
  }
  Value Read() {
    beast::flat_buffer buffer;
    ws_.read(buffer);
    auto v = pl::ledger::ParseJson(beast::buffers_to_string(buffer.data()), {64, 64 << 20});
    BOOST_REQUIRE(v.ok());
    return *v;
  }
  // Reads until the server closes; its close reason (code 0: the TCP
  // connection ended without a close frame).
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

// Sends raw HTTP bytes and reads one response (status 0: closed without one).
struct RawHttpAnswer {
  unsigned status = 0;
  std::string body;
};
RawHttpAnswer SendHttp(std::uint16_t port, const std::string& bytes) {
  net::io_context ioc;
  tcp::socket s(ioc);
  s.connect(At(port));
  beast::error_code ec;
  net::write(s, net::buffer(bytes), ec);
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  http::read(s, buffer, res, ec);
  if (ec) return {};
  return {res.result_int(), res.body()};
}

// Seconds until the server closes a connection that the test keeps quiet
// (or feeds with `dribble`, one byte every 200 ms), at most `limit`.
double SecondsUntilClosed(tcp::socket& s, std::chrono::seconds limit, std::string dribble = "") {
  const auto start = Clock::now();
  s.non_blocking(true);
  std::size_t next = 0;
  while (Clock::now() - start < limit) {
    char bytes[4096];
    beast::error_code ec;
    const std::size_t n = s.read_some(net::buffer(bytes), ec);
    if (ec && ec != net::error::would_block) break;  // closed (eof or reset)
    if (!ec && n == 0) break;
    if (!dribble.empty()) {
      net::write(s, net::buffer(&dribble[next % dribble.size()], 1), ec);
      if (ec) break;
      ++next;
    }
    std::this_thread::sleep_for(200ms);
  }
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string Metric(std::uint16_t port, const std::string& name) {
  const RawHttpAnswer m = SendHttp(port, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
  const auto at = m.body.find("\n" + name + " ");
  if (at == std::string::npos) return "";
  const auto start = at + name.size() + 2;
  return m.body.substr(start, m.body.find('\n', start) - start);
}

}  // namespace

BOOST_AUTO_TEST_CASE(oversized_frames_bodies_and_headers_are_refused, *utf::timeout(120)) {
  Deployment dep;
  pl::test::LedgerdProcess d(LEDGERD_PATH, dep.data(), 0, {"--max-message-bytes", "65536"},
                             dep.log());
  BOOST_REQUIRE_MESSAGE(d.listening(), d.Log());
  Probe probe(d);

  // A frame that declares a GiB: answered and closed (1009) once the limit
  // is passed, not buffered.
  {
    RawWebSocket ws(d.port());
    ws.WriteRaw(Frame(0x1, std::string(70000, ' '), true, std::uint64_t{1} << 30));
    BOOST_TEST(Rule(ws.Read()) == "request.too_large");
    const auto reason = ws.ReadUntilClosed();
    BOOST_TEST(reason.code == 1009);
    BOOST_TEST(std::string(reason.reason.c_str()) == "request.too_large");
  }
  probe.During("a frame declaring 1 GiB");

  // A message in many small fragments, over the limit in total.
  {
    RawWebSocket ws(d.port());
    ws.WriteRaw(Frame(0x1, "[", false));
    beast::error_code ec;
    for (int i = 0; i < 20 && !ec; ++i) ws.WriteRaw(Frame(0x0, std::string(4096, ' '), false), ec);
    BOOST_TEST(Rule(ws.Read()) == "request.too_large");
    BOOST_TEST(ws.ReadUntilClosed().code == 1009);
  }
  probe.During("a fragmented message over the limit");

  // HTTP: a body announced over the limit is refused before it is sent ...
  const RawHttpAnswer announced = SendHttp(
      d.port(), "POST /api/summary HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000\r\n\r\n");
  BOOST_TEST(announced.status == 413u);
  BOOST_TEST(announced.body.find("request.too_large") != std::string::npos, announced.body);
  // ... and a chunked one as it passes the limit.
  std::string chunked =
      "POST /api/summary HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 20; ++i) chunked += "1000\r\n" + std::string(4096, 'a') + "\r\n";
  const RawHttpAnswer streamed = SendHttp(d.port(), chunked);
  BOOST_TEST(streamed.status == 413u);
  // Headers over 16 KiB, as one header or as many.
  const RawHttpAnswer long_header =
      SendHttp(d.port(), "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: " + std::string(20000, 'p') +
                             "\r\n\r\n");
  BOOST_TEST(long_header.status == 431u);
  BOOST_TEST(long_header.body.find("request.too_large") != std::string::npos);
  std::string many = "GET /healthz HTTP/1.1\r\nHost: x\r\n";
  for (int i = 0; i < 2000; ++i) many += "X-" + std::to_string(i) + ": v\r\n";
  BOOST_TEST(SendHttp(d.port(), many + "\r\n").status == 431u);
  // The same for the upgrade request itself.
  BOOST_TEST(SendHttp(d.port(),
                      "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                      "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nX-Pad: " +
                          std::string(20000, 'p') + "\r\n\r\n")
                 .status == 431u);
  probe.During("oversized HTTP bodies and headers");
}

BOOST_AUTO_TEST_CASE(a_flood_on_one_connection_is_bounded, *utf::timeout(180)) {
  Deployment dep;
  constexpr int kSubmits = 300;
  std::vector<pl::ledger::SignedDecision> decisions;
  for (int i = 0; i < kSubmits; ++i) decisions.push_back(dep.Proposal());
  pl::test::LedgerdProcess d(LEDGERD_PATH, dep.data(), 0,
                             {"--max-pending", "8", "--max-queue", "256"}, dep.log());
  BOOST_REQUIRE_MESSAGE(d.listening(), d.Log());
  Probe probe(d);

  // 300 submits in one burst, more than max-pending: each is answered once,
  // appended or refused as session.busy, and only the appended are in the log.
  {
    RawWebSocket ws(d.port());
    std::string burst;
    for (int i = 0; i < kSubmits; ++i) {
      const Value request(Value::Object{
          {"decision", pl::ledger::ToValue(decisions[i])}, {"id", i}, {"op", "submit"}});
      burst += Frame(0x1, pl::ledger::CanonicalJson(request));
    }
    ws.WriteRaw(burst);
    std::set<std::int64_t> answered;
    int appended = 0, busy = 0, other = 0;
    for (int i = 0; i < kSubmits; ++i) {
      const Value r = ws.Read();
      answered.insert(r.find("id")->as_int());
      const std::string rule = Rule(r);
      if (rule == "(ok)") {
        ++appended;
      } else if (rule == "session.busy") {
        ++busy;
      } else {
        ++other;
        BOOST_TEST_MESSAGE(pl::ledger::CanonicalJson(r));
      }
    }
    std::cout << "abuse: submit flood of " << kSubmits << " with max-pending 8: " << appended
              << " appended, " << busy << " session.busy" << std::endl;
    BOOST_TEST(answered.size() == static_cast<std::size_t>(kSubmits));
    BOOST_TEST(busy > 0);
    BOOST_TEST(other == 0);
    BOOST_TEST(appended + busy == kSubmits);
    auto c = pl::api::Client::Connect(d.url());
    BOOST_REQUIRE(c.ok());
    auto head = (*c)->Request(Value(Value::Object{{"op", "tree_head"}}));
    BOOST_REQUIRE(head.ok());
    BOOST_TEST(pl::api::ResultOf(*head)->find("tree_head")->find("size")->as_int() == 1 + appended);
  }
  probe.During("a submit flood");

  // A client that sends queries without ever reading the answers (and has
  // a tiny receive window): the server stops reading it once max-queue
  // answers wait, so the flood stalls in TCP instead of growing the server.
  {
    const long rss_before = d.ResidentKiB();
    RawWebSocket ws(d.port(), 4096);
    const std::string request = Frame(0x1, R"({"id":1,"op":"summary"})");
    std::string burst;
    for (int i = 0; i < 1000; ++i) burst += request;
    ws.socket().non_blocking(true);
    std::size_t sent_bytes = 0;
    const std::string abuse = "a client that never reads its answers";
    std::thread probing([&] { probe.Measure(abuse, 3000ms); });
    const auto until = Clock::now() + 3s;
    std::size_t offset = 0;
    while (Clock::now() < until) {
      beast::error_code ec;
      const std::size_t n =
          ws.socket().write_some(net::buffer(burst.data() + offset, burst.size() - offset), ec);
      if (ec == net::error::would_block) {
        std::this_thread::sleep_for(1ms);
        continue;
      }
      BOOST_REQUIRE_MESSAGE(!ec, ec.message());
      sent_bytes += n;
      offset = (offset + n) % burst.size();
    }
    probing.join();
    probe.Check(abuse);
    const long rss_after = d.ResidentKiB();
    std::cout << "abuse: a non-reading client got " << sent_bytes / request.size()
              << " summary requests into the socket in 3 s; ledgerd resident " << rss_before
              << " -> " << rss_after << " KiB" << std::endl;
    // 256 answers of about a kilobyte, not one per request sent. Under
    // AddressSanitizer freed blocks stay in its quarantine (256 MB), so the
    // resident size follows allocations, not live memory: not judged there.
    if (!kAddressSanitizer) BOOST_TEST(rss_after - rss_before < 16 * 1024);
  }
  probe.During("after the non-reading client");
}

BOOST_AUTO_TEST_CASE(thousands_of_idle_connections_leave_queries_prompt, *utf::timeout(180)) {
  constexpr int kRaw = 1000, kWebSockets = 1000;
  // Both ends of 2,000 connections: this process, and ledgerd (which inherits it).
  rlimit limit{};
  BOOST_REQUIRE(::getrlimit(RLIMIT_NOFILE, &limit) == 0);
  limit.rlim_cur = std::min<rlim_t>(limit.rlim_max, 16384);
  BOOST_REQUIRE(::setrlimit(RLIMIT_NOFILE, &limit) == 0);
  BOOST_REQUIRE_MESSAGE(limit.rlim_cur >= 2 * (kRaw + kWebSockets) + 200,
                        "RLIMIT_NOFILE hard limit too low: " << limit.rlim_max);

  Deployment dep;
  pl::test::LedgerdProcess d(LEDGERD_PATH, dep.data(), 0, {}, dep.log());
  BOOST_REQUIRE_MESSAGE(d.listening(), d.Log());
  Probe probe(d);
  probe.During("none (baseline)", 500ms);
  const long fds_before = d.OpenDescriptors();
  const long rss_before = d.ResidentKiB();

  net::io_context ioc;
  std::vector<std::unique_ptr<tcp::socket>> raw;
  std::vector<std::unique_ptr<websocket::stream<tcp::socket>>> sessions;
  const auto start = Clock::now();
  for (int i = 0; i < kRaw; ++i) {
    raw.push_back(std::make_unique<tcp::socket>(ioc));
    raw.back()->connect(At(d.port()));
  }
  for (int i = 0; i < kWebSockets; ++i) {
    sessions.push_back(std::make_unique<websocket::stream<tcp::socket>>(ioc));
    sessions.back()->next_layer().connect(At(d.port()));
    sessions.back()->handshake("127.0.0.1", "/ws");
  }
  std::cout << "abuse: opened " << kRaw << " idle TCP connections and " << kWebSockets
            << " idle WebSocket sessions in " << Ms(Clock::now() - start) << " ms" << std::endl;
  probe.During("2,000 idle connections", 2000ms);
  const long fds_during = d.OpenDescriptors();
  const long rss_during = d.ResidentKiB();
  std::cout << "abuse: ledgerd descriptors " << fds_before << " -> " << fds_during << ", resident "
            << rss_before << " -> " << rss_during << " KiB" << std::endl;
  BOOST_TEST(fds_during >= fds_before + kRaw + kWebSockets);
  BOOST_TEST(Metric(d.port(), "ledger_sessions_open") == std::to_string(kWebSockets + 1));

  raw.clear();
  sessions.clear();  // closed without a close handshake: TCP FIN only
  long fds_after = 0;
  for (int i = 0; i < 100; ++i) {
    fds_after = d.OpenDescriptors();
    if (fds_after <= fds_before) break;
    std::this_thread::sleep_for(50ms);
  }
  std::cout << "abuse: ledgerd descriptors after they closed: " << fds_after << std::endl;
  BOOST_TEST(fds_after <= fds_before);
  probe.During("after 2,000 connections closed");
}

BOOST_AUTO_TEST_CASE(half_open_connections_and_slowloris_are_closed_on_deadlines,
                     *utf::timeout(120)) {
  Deployment dep;
  pl::test::LedgerdProcess d(LEDGERD_PATH, dep.data(), 0, {"--idle-timeout", "2"}, dep.log());
  BOOST_REQUIRE_MESSAGE(d.listening(), d.Log());
  net::io_context ioc;
  std::vector<std::pair<std::string, double>> closed;
  auto measure = [&](const std::string& what, const std::string& sent, const std::string& dribble) {
    tcp::socket s(ioc);
    s.connect(At(d.port()));
    if (!sent.empty()) net::write(s, net::buffer(sent));
    Probe probe(d);
    std::thread t([&] { probe.Measure(what, 1500ms); });
    const double seconds = SecondsUntilClosed(s, 15s, dribble);
    t.join();
    probe.Check(what);
    std::cout << "abuse: " << what << ": closed by ledgerd after " << seconds << " s" << std::endl;
    closed.emplace_back(what, seconds);
  };
  measure("TCP connected, nothing sent", "", "");
  measure("upgrade request begun, never finished",
          "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n", "");
  // Slowloris: header bytes keep coming, one every 200 ms; the deadline is
  // for the whole request, so they do not extend it.
  measure("headers dribbled a byte at a time", "GET /healthz HTTP/1.1\r\nHost: x\r\n",
          "X-Slow: abcdefghijklmnopqrstuvwxyz\r\n");
  // A finished upgrade whose client never reads or answers pings.
  measure("WebSocket upgraded, then silent",
          "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
          "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
          "");
  for (const auto& [what, seconds] : closed) {
    BOOST_TEST(seconds >= 1.5, what);  // not before the deadline ...
    BOOST_TEST(seconds < 7.0, what);   // ... and not long after it (2 s; a WebSocket 2 x 2 s)
  }
}

BOOST_AUTO_TEST_CASE(invalid_utf8_and_deep_nesting_are_refused_clearly, *utf::timeout(60)) {
  Deployment dep;
  pl::test::LedgerdProcess d(LEDGERD_PATH, dep.data(), 0, {}, dep.log());
  BOOST_REQUIRE_MESSAGE(d.listening(), d.Log());
  Probe probe(d);

  // Not UTF-8 in a text frame: the WebSocket protocol's 1007.
  for (const std::string& bad : {std::string("{\"id\":1,\"op\":\"\xff\xfe\"}"),
                                 std::string("{\"id\":1,\"op\":\"\xc0\xaf\"}"),  // overlong '/'
                                 std::string("{\"id\":1,\"op\":\"\xed\xa0\x80\"}")}) {  // surrogate
    RawWebSocket ws(d.port());
    ws.WriteRaw(Frame(0x1, bad));
    const auto reason = ws.ReadUntilClosed();
    BOOST_TEST(reason.code == 1007);
  }
  // An escaped lone surrogate is valid UTF-8 on the wire but no character.
  {
    RawWebSocket ws(d.port());
    ws.WriteRaw(Frame(0x1, R"({"id":2,"op":"get","kind":"project","key":"\ud800"})"));
    const Value r = ws.Read();
    BOOST_TEST((Rule(r) == "request.json" || Rule(r) == "project.not_found"),
               pl::ledger::CanonicalJson(r));
  }
  probe.During("invalid UTF-8");

  // 100,000 levels of nesting (200 KB): refused by the depth limit, the
  // connection and the server fine.
  {
    RawWebSocket ws(d.port());
    const std::string deep = R"({"id":3,"op":"summary","x":)" + std::string(100000, '[') +
                             std::string(100000, ']') + "}";
    ws.WriteRaw(Frame(0x1, deep));
    const Value r = ws.Read();
    BOOST_TEST(Rule(r) == "request.json");
    const std::string message = r.find("error")->find("message")->as_string();
    BOOST_TEST(message.find("json.depth") != std::string::npos, message);
    BOOST_TEST(message.find("16") != std::string::npos, message);
    // Deep objects too, and inside a decision.
    ws.WriteRaw(Frame(
        0x1, R"({"id":4,"op":"submit","decision":)" + [] {
          std::string s;
          for (int i = 0; i < 50000; ++i) s += R"({"a":)";
          return s + "1" + std::string(50000, '}');
        }() + "}"));
    BOOST_TEST(Rule(ws.Read()) == "request.json");
    ws.WriteRaw(Frame(0x1, R"({"id":5,"op":"tree_head"})"));
    BOOST_TEST(Rule(ws.Read()) == "(ok)");
  }
  probe.During("100,000 levels of nesting");
}
