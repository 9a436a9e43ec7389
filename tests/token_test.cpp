// Access control for the audit trail (docs/api.md "Access control"), end to
// end: a real ledgerd with and without --audit-token-file, asked over
// WebSocket (header on the upgrade, or the auth op) and REST, and through the
// real `ledgerctl audit --url`.
#define BOOST_TEST_MODULE token
#include <boost/test/unit_test.hpp>

#include <sys/stat.h>

#include <fstream>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include "api/client.h"
#include "ledgerd_process.h"
#include "process.h"
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

namespace {

const std::string kAuditor = "k7Qz9-audit-token-of-the-court-of-auditors";
const std::string kSecond = "second-token-2b1f0c7e9d";

// A log with the genesis and one proposal, and a token file.
struct Deployment {
  pl::test::TempDir dir;
  std::string data() const { return dir.str("data"); }
  std::string tokens() const { return dir.str("tokens"); }
  std::string log() const { return dir.str("ledgerd.log"); }

  Deployment() {
    pl::test::Officers officers;
    pl::projections::ProgrammeOptions o;
    o.store.create_if_missing = true;
    o.store.sync = false;
    auto p = pl::projections::Programme::Open(data(), o);
    BOOST_REQUIRE_MESSAGE(p.ok(), p.status().ToString());
    auto make = [&](const std::string& id, const std::string& type, const std::string& body,
                    Value::Object payload, std::vector<std::string> signers, int minute) {
      pl::ledger::SignedDecision d;
      d.decision.id = id;
      d.decision.type = type;
      d.decision.body = body;
      d.decision.issued_at = 1356998400000 + minute * 60000;
      d.decision.payload = Value(std::move(payload));
      for (const auto& s : signers) pl::ledger::Sign(&d, officers[s]);
      return d;
    };
    const std::vector<pl::ledger::SignedDecision> decisions{
        make("d-0", "governance.genesis", "joint-committee", pl::test::GenesisPayload(officers),
             {"jc-cn", "jc-asean"}, 0),
        make("d-1", "project.proposed", "secretariat", pl::test::Proposal("P-1"), {"sec-head"}, 1)};
    auto r = (*p)->Submit(decisions);
    BOOST_REQUIRE(r.ok() && r->decisions[1].status.ok());
    std::ofstream(tokens()) << "# auditors of the programme\n\nauditor:" << kAuditor << "\n"
                            << kSecond << "\n";
    ::chmod(tokens().c_str(), 0600);
  }
};

struct HttpAnswer {
  unsigned status = 0;
  std::string body, www_authenticate;
};

HttpAnswer Get(std::uint16_t port, const std::string& target, const std::string& authorization) {
  net::io_context ioc;
  beast::tcp_stream stream(ioc);
  stream.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
  http::request<http::empty_body> req{http::verb::get, target, 11};
  req.set(http::field::host, "127.0.0.1");
  if (!authorization.empty()) req.set(http::field::authorization, authorization);
  http::write(stream, req);
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  http::read(stream, buffer, res);
  return {res.result_int(), res.body(), std::string(res[http::field::www_authenticate])};
}

std::string Rule(const Value& response) {
  const Value* error = response.find("error");
  const Value* rule = error ? error->find("rule") : nullptr;
  return rule ? rule->as_string() : "(ok)";
}

std::string RuleOfBody(const std::string& body) {
  auto v = pl::ledger::ParseJson(body);
  return v.ok() ? Rule(*v) : "(not json: " + body + ")";
}

Value Ask(pl::api::Client& c, Value::Object request) {
  auto r = c.Request(Value(std::move(request)));
  BOOST_REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  return *r;
}

std::unique_ptr<pl::api::Client> Connect(const pl::test::LedgerdProcess& d,
                                         const std::string& token = "") {
  pl::api::ClientOptions options;
  options.bearer_token = token;
  auto c = pl::api::Client::Connect(d.url(), options);
  BOOST_REQUIRE_MESSAGE(c.ok(), c.status().ToString() + d.Log());
  return std::move(*c);
}

const Value::Object kAudit{{"op", "audit"}, {"limit", 5}};
const Value::Object kEvent{{"op", "event"}, {"sequence", 1}};
const Value::Object kInclusion{{"op", "inclusion"}, {"sequence", 1}};
const Value::Object kEventsTopic{{"op", "subscribe"}, {"topic", "events"}, {"from", 0}};

}  // namespace

BOOST_AUTO_TEST_CASE(without_tokens_the_audit_trail_is_open, *utf::timeout(60)) {
  Deployment dep;
  pl::test::LedgerdProcess d(LEDGERD_PATH, dep.data(), 0, {}, dep.log());
  BOOST_REQUIRE_MESSAGE(d.listening(), d.Log());
  auto c = Connect(d);
  BOOST_TEST(Rule(Ask(*c, kAudit)) == "(ok)");
  BOOST_TEST(Rule(Ask(*c, kEvent)) == "(ok)");
  BOOST_TEST(Rule(Ask(*c, kEventsTopic)) == "(ok)");
  BOOST_TEST(Get(d.port(), "/api/audit?limit=5", "").status == 200u);
  // A token sent to a ledgerd that asks for none does no harm.
  BOOST_TEST(Get(d.port(), "/api/event?sequence=1", "Bearer whatever").status == 200u);
}

BOOST_AUTO_TEST_CASE(with_tokens_audit_event_and_the_events_topic_need_one, *utf::timeout(90)) {
  Deployment dep;
  pl::test::LedgerdProcess d(LEDGERD_PATH, dep.data(), 0,
                             {"--audit-token-file", dep.tokens(), "--log-level", "debug"},
                             dep.log());
  BOOST_REQUIRE_MESSAGE(d.listening(), d.Log());

  // WebSocket, no credential: the audit trail is refused, state is open.
  auto open = Connect(d);
  for (const auto& request : {kAudit, kEvent, kInclusion, kEventsTopic}) {
    const Value r = Ask(*open, request);
    BOOST_TEST(Rule(r) == "auth.required", pl::ledger::CanonicalJson(r));
  }
  BOOST_TEST(Rule(Ask(*open, {{"op", "summary"}})) == "(ok)");
  BOOST_TEST(Rule(Ask(*open, {{"op", "get"}, {"kind", "project"}, {"key", "P-1"}})) == "(ok)");
  BOOST_TEST(Rule(Ask(*open, {{"op", "tree_head"}})) == "(ok)");
  BOOST_TEST(Rule(Ask(*open, {{"op", "subscribe"}, {"topic", "summary"}})) == "(ok)");

  // The auth op: a wrong token is refused and changes nothing; a right one opens it.
  BOOST_TEST(Rule(Ask(*open, {{"op", "auth"}, {"token", kAuditor + "x"}})) == "auth.invalid");
  BOOST_TEST(Rule(Ask(*open, kAudit)) == "auth.required");
  BOOST_TEST(Rule(Ask(*open, {{"op", "auth"}})) == "request.param");
  const Value authed = Ask(*open, {{"op", "auth"}, {"token", kSecond}});
  BOOST_TEST(Rule(authed) == "(ok)");
  BOOST_TEST(authed.find("result")->find("audit")->as_bool());
  const Value audit = Ask(*open, kAudit);
  BOOST_TEST(Rule(audit) == "(ok)");
  BOOST_TEST(audit.find("result")->find("events")->as_array().size() == 2u);

  // The header on the upgrade: right opens the session's audit trail ...
  auto auditor = Connect(d, kAuditor);
  BOOST_TEST(Rule(Ask(*auditor, kAudit)) == "(ok)");
  BOOST_TEST(Rule(Ask(*auditor, kEvent)) == "(ok)");
  BOOST_TEST(Rule(Ask(*auditor, kInclusion)) == "(ok)");
  BOOST_TEST(Rule(Ask(*auditor, kEventsTopic)) == "(ok)");
  // ... wrong refuses the upgrade itself, with the rule (client side) and a 401.
  pl::api::ClientOptions wrong;
  wrong.bearer_token = kAuditor.substr(0, kAuditor.size() - 1) + "Y";
  auto refused = pl::api::Client::Connect(d.url(), wrong);
  BOOST_REQUIRE(!refused.ok());
  BOOST_TEST(refused.status().rule() == "auth.invalid", refused.status().ToString());
  {
    net::io_context ioc;
    websocket::stream<tcp::socket> ws(ioc);
    ws.next_layer().connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), d.port()));
    ws.set_option(websocket::stream_base::decorator(
        [](websocket::request_type& r) { r.set(http::field::authorization, "Bearer nope"); }));
    websocket::response_type res;
    beast::error_code ec;
    ws.handshake(res, "127.0.0.1", "/ws", ec);
    BOOST_TEST(ec.failed());
    BOOST_TEST(res.result_int() == 401u);
    BOOST_TEST(std::string(res[http::field::www_authenticate]).find("invalid_token") !=
               std::string::npos);
    BOOST_TEST(RuleOfBody(res.body()) == "auth.invalid");
  }

  // REST: 401 with WWW-Authenticate, naming the rule; state stays open.
  const HttpAnswer none = Get(d.port(), "/api/audit?limit=5", "");
  BOOST_TEST(none.status == 401u);
  BOOST_TEST(none.www_authenticate == "Bearer realm=\"ledgerd\"");
  BOOST_TEST(RuleOfBody(none.body) == "auth.required");
  const HttpAnswer bad = Get(d.port(), "/api/event?sequence=1", "Bearer " + kSecond + "0");
  BOOST_TEST(bad.status == 401u);
  BOOST_TEST(bad.www_authenticate == "Bearer realm=\"ledgerd\", error=\"invalid_token\"");
  BOOST_TEST(RuleOfBody(bad.body) == "auth.invalid");
  BOOST_TEST(RuleOfBody(Get(d.port(), "/api/audit", "Basic " + kAuditor).body) == "auth.invalid");
  BOOST_TEST(Get(d.port(), "/api/audit?limit=5", "Bearer " + kAuditor).status == 200u);
  BOOST_TEST(Get(d.port(), "/api/event?sequence=1", "bearer  " + kSecond).status == 200u);
  BOOST_TEST(Get(d.port(), "/api/summary", "").status == 200u);
  BOOST_TEST(Get(d.port(), "/api/tree_head", "").status == 200u);
  BOOST_TEST(Get(d.port(), "/api/consistency?from=1", "").status == 200u);
  BOOST_TEST(Get(d.port(), "/api/inclusion?sequence=1", "").status == 401u);

  // ledgerctl audit --url: --token-file, --token; refused without.
  const std::string ctl = std::string(LEDGERCTL_PATH) + " audit --url " + d.url() + " --state " +
                          dep.dir.str("ctl") + " --format json";
  const auto with_file = pl::test::Run(ctl + " --token-file " + dep.tokens());
  BOOST_TEST(with_file.exit_code == 0, with_file.err);
  BOOST_TEST(with_file.out.find("\"decision_id\":\"d-1\"") != std::string::npos, with_file.out);
  const auto with_token = pl::test::Run(ctl + " --token " + kSecond + " --proofs");
  BOOST_TEST(with_token.exit_code == 0, with_token.err);
  const auto without = pl::test::Run(ctl);
  BOOST_TEST(without.exit_code != 0);
  BOOST_TEST(without.err.find("auth.required") != std::string::npos, without.err);
  const auto wrong_token = pl::test::Run(ctl + " --token not-the-token-at-all");
  BOOST_TEST(wrong_token.exit_code != 0);
  BOOST_TEST(wrong_token.err.find("auth.invalid") != std::string::npos, wrong_token.err);
  const auto no_file = pl::test::Run(ctl + " --token-file " + dep.dir.str("missing"));
  BOOST_TEST(no_file.err.find("client.token") != std::string::npos, no_file.err);

  // Refusals are logged, tokens never.
  const std::string log = d.Log();
  BOOST_TEST(log.find("audit access refused") != std::string::npos);
  BOOST_TEST(log.find(kAuditor.substr(0, 12)) == std::string::npos);
  BOOST_TEST(log.find(kSecond.substr(0, 12)) == std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_bad_token_file_stops_ledgerd_at_start, *utf::timeout(60)) {
  Deployment dep;
  std::ofstream(dep.dir.str("short")) << "# too short\nops:abc123\n";
  std::ofstream(dep.dir.str("empty")) << "# nothing\n\n";
  struct Case {
    std::string file, says;
  };
  for (const Case& c : {Case{dep.dir.str("short"), "line 2: a token has at least 16 characters"},
                        Case{dep.dir.str("empty"), "holds no token"},
                        Case{dep.dir.str("absent"), "cannot read --audit-token-file"}}) {
    const auto r = pl::test::Run(std::string(LEDGERD_PATH) + " --data " + dep.data() +
                                 " --listen 127.0.0.1:0 --audit-token-file " + c.file);
    BOOST_TEST(r.exit_code == 2);
    BOOST_TEST(r.err.find(c.says) != std::string::npos, r.err);
  }
}
