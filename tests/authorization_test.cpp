// Authorization end to end: a demo log made by the real `ledgerctl demo`
// (its officers' keys from --keys-out), served by a real ledgerd, and signed
// decisions submitted over a WebSocket. Every decision that its signers may
// not take is refused with the rule it broke, and leaves the log (tree head)
// and the state (summary) exactly as they were; the same decisions, signed
// as the policies ask, pass.
#define BOOST_TEST_MODULE authorization
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <map>
#include <optional>
#include <set>

#include "api/client.h"
#include "crypto/ed25519.h"
#include "demo_history.h"
#include "ledgerd_process.h"
#include "process.h"
#include "projections/programme.h"
#include "test_util.h"

namespace utf = boost::unit_test;
using pl::ledger::SignedDecision;
using pl::ledger::Value;

namespace {

constexpr std::uint64_t kSeed = 2012;  // ledgerctl demo's default

struct Officer {
  std::string officer_id, body_id, role;
};

class Ledger {
 public:
  explicit Ledger(pl::api::Client& c) : c_(c) {}
  Value Ask(Value::Object request) {
    auto r = c_.Request(Value(std::move(request)));
    BOOST_REQUIRE_MESSAGE(r.ok(), r.status().ToString());
    return *r;
  }
  Value Result(Value::Object request) {
    const Value r = Ask(std::move(request));
    auto result = pl::api::ResultOf(r);
    BOOST_REQUIRE_MESSAGE(result.ok(), result.status().ToString());
    return *result;
  }
  // What must not change when a decision is refused: the log and the state.
  std::string Snapshot() {
    const Value head = *Result({{"op", "tree_head"}}).find("tree_head");
    const Value summary = Result({{"op", "summary"}});
    return std::to_string(head.find("size")->as_int()) + " " + head.find("root")->as_string() +
           " " + pl::ledger::CanonicalJson(summary);
  }
  // Submits; the refusal's rule, or "(appended)".
  std::string Submit(const SignedDecision& d) {
    const Value r = Ask({{"decision", pl::ledger::ToValue(d)}, {"op", "submit"}});
    const Value* error = r.find("error");
    if (!error) return "(appended)";
    BOOST_TEST_MESSAGE(d.decision.id << ": " << error->find("message")->as_string());
    return error->find("rule")->as_string();
  }

 private:
  pl::api::Client& c_;
};

}  // namespace

BOOST_AUTO_TEST_CASE(unauthorized_decisions_are_refused_over_the_wire_and_change_nothing,
                     *utf::timeout(300)) {
  pl::test::TempDir dir;
  const std::string data = dir.str("data"), keys = dir.str("keys");
  const auto demo = pl::test::Run(std::string(LEDGERCTL_PATH) + " demo --data " + data +
                                  " --events 600 --keys-out " + keys);
  BOOST_REQUIRE_MESSAGE(demo.exit_code == 0, demo.err);

  // The officers in office at the end of the history, and their keys.
  auto listed = pl::ledger::ParseJson(pl::test::ReadWholeFile(keys + "/officers.json"));
  BOOST_REQUIRE(listed.ok());
  std::map<std::string, Officer> by_role;  // "body/role" -> officer
  std::map<std::string, pl::crypto::PrivateKey> key_of;
  for (const Value& o : listed->as_array()) {
    Officer officer{o.find("officer_id")->as_string(), o.find("body_id")->as_string(),
                    o.find("role")->as_string()};
    auto key = pl::crypto::PrivateKey::Load(keys + "/" + officer.officer_id + ".key");
    BOOST_REQUIRE_MESSAGE(key.ok(), key.status().ToString());
    key_of.emplace(officer.officer_id, std::move(*key));
    by_role[officer.body_id + "/" + officer.role] = officer;
  }
  auto key = [&](const std::string& body_role) -> const pl::crypto::PrivateKey& {
    auto it = by_role.find(body_role);
    BOOST_REQUIRE_MESSAGE(it != by_role.end(), "no officer " + body_role);
    return key_of.at(it->second.officer_id);
  };

  pl::test::LedgerdProcess d(LEDGERD_PATH, data, 0, {}, dir.str("ledgerd.log"));
  BOOST_REQUIRE_MESSAGE(d.listening(), d.Log());
  auto client = pl::api::Client::Connect(d.url());
  BOOST_REQUIRE_MESSAGE(client.ok(), client.status().ToString());
  Ledger ledger(**client);

  // Decisions issued now: after everything in the history.
  std::int64_t issued = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
  auto decision = [&](const std::string& id, const std::string& type, const std::string& body,
                      Value::Object payload) {
    SignedDecision s;
    s.decision.id = id;
    s.decision.type = type;
    s.decision.body = body;
    s.decision.issued_at = issued += 60000;
    s.decision.payload = Value(std::move(payload));
    return s;
  };
  auto signed_by = [](SignedDecision s, std::vector<const pl::crypto::PrivateKey*> signers) {
    for (const auto* k : signers) pl::ledger::Sign(&s, *k);
    return s;
  };
  auto money = [](std::int64_t amount) {
    return Value(Value::Object{{"amount", amount}, {"currency", "CNY"}});
  };
  const Value::Object proposal{
      {"budget", money(600000000)},
      {"end_date", "2029-12-31"},
      {"lead_institution", Value(Value::Object{{"en", "Guangxi Academy of Sciences"}})},
      {"mode", "M5"},
      {"partners",
       Value(Value::Array{Value(Value::Object{
           {"country", "TH"}, {"institution", Value(Value::Object{{"en", "NSTDA"}})}})})},
      {"priority_area", "B10"},
      {"project_id", "P-2026-AUTH"},
      {"start_date", "2027-01-01"},
      {"title", Value(Value::Object{{"en", "Authorization under test"}})}};

  // The way in is open: the Secretariat proposes, as its policy allows.
  const auto& secretary = key("secretariat/secretary_general");
  BOOST_REQUIRE_EQUAL(
      ledger.Submit(
          signed_by(decision("auth-1", "project.proposed", "secretariat", proposal), {&secretary})),
      "(appended)");

  // A key revoked in the history (found through the API's audit trail and
  // derived as docs/demo.md says), and a key nobody registered.
  const Value revocations =
      ledger.Result({{"op", "audit"}, {"type", "governance.key_revoked"}, {"limit", 10}});
  BOOST_REQUIRE(!revocations.find("events")->as_array().empty());
  const std::string revoked_id = revocations.find("events")
                                     ->as_array()[0]
                                     .find("event")
                                     ->find("decision")
                                     ->find("payload")
                                     ->find("key_id")
                                     ->as_string();
  const Value registration = ledger.Result({{"op", "audit"},
                                            {"type", "governance.key_registered"},
                                            {"subject", revoked_id},
                                            {"limit", 1}});
  std::optional<pl::crypto::PrivateKey> revoked;
  for (const Value& e : registration.find("events")->as_array()) {
    const std::string officer =
        e.find("event")->find("decision")->find("payload")->find("officer_id")->as_string();
    for (std::uint32_t g = 0; g < 10 && !revoked; ++g) {
      auto k = pl::ctl::DemoHistory::OfficerKey(kSeed, officer, g);
      if (k.public_key().key_id() == revoked_id) revoked = std::move(k);
    }
  }
  if (!revoked) {
    // The key_registered index may not list the key id as a subject: try the
    // genesis and every registration.
    const Value all = ledger.Result({{"op", "audit"}, {"type", "governance.*"}, {"limit", 1000}});
    std::set<std::string> officers;
    for (const Value& e : all.find("events")->as_array()) {
      if (const Value* o = e.find("event")->find("decision")->find("payload")->find("officer_id");
          o && o->kind() == Value::Kind::kString) {
        officers.insert(o->as_string());
      }
    }
    for (const auto& officer : officers) {
      for (std::uint32_t g = 0; g < 10 && !revoked; ++g) {
        auto k = pl::ctl::DemoHistory::OfficerKey(kSeed, officer, g);
        if (k.public_key().key_id() == revoked_id) revoked = std::move(k);
      }
    }
  }
  BOOST_REQUIRE_MESSAGE(revoked, "the revoked key " + revoked_id + " was not derived");
  const auto stranger = *pl::crypto::PrivateKey::FromSeed(
      pl::crypto::Sha256(pl::AsBytes("nobody registered this key")));

  // An old decision of the history, replayed under a new id with its signatures.
  const Value old = ledger.Result({{"op", "event"}, {"sequence", 5}});
  Value::Object signed_form = old.find("event")->find("decision")->as_object();
  signed_form.emplace_back("signatures", *old.find("event")->find("signatures"));
  auto replayed = pl::ledger::SignedDecisionFromValue(Value(std::move(signed_form)));
  BOOST_REQUIRE_MESSAGE(replayed.ok(), replayed.status().ToString());
  SignedDecision replay = *replayed;
  replay.decision.id = "auth-replayed";

  const auto& cn = key("joint-committee/co_chair_cn");
  const auto& asean = key("joint-committee/co_chair_asean");
  const auto& conference_chair = key("joint-conference/chair");
  const auto& deputy = key("secretariat/deputy");
  const Value::Object approve_big{{"budget", money(900000000)}, {"project_id", "P-2026-AUTH"}};
  const Value::Object approve{{"budget", money(600000000)}, {"project_id", "P-2026-AUTH"}};
  const Value::Object terminate{{"project_id", "P-2026-AUTH"}, {"reason", "under test"}};

  struct Case {
    std::string what, rule;
    SignedDecision decision;
  };
  const std::vector<Case> cases{
      {"a key nobody registered", "signature.unknown_key",
       signed_by(decision("auth-2", "project.rejected", "secretariat",
                          {{"project_id", "P-2026-AUTH"}, {"reason", "x"}}),
                 {&stranger})},
      {"a revoked key", "authority.key_revoked",
       signed_by(decision("auth-3", "project.rejected", "secretariat",
                          {{"project_id", "P-2026-AUTH"}, {"reason", "x"}}),
                 {&*revoked})},
      {"the key of another body's officer", "authority.not_officer",
       signed_by(decision("auth-4", "project.rejected", "secretariat",
                          {{"project_id", "P-2026-AUTH"}, {"reason", "x"}}),
                 {&conference_chair})},
      {"one co-chair where the Joint Committee needs both", "authority.quorum",
       signed_by(decision("auth-5", "project.approved", "joint-committee", approve), {&cn})},
      // Signed by both of the Secretariat's approvers, so that each of its
      // approval policies fails on the ceiling alone.
      {"an amount above the Secretariat's ceiling", "authority.ceiling",
       signed_by(decision("auth-6", "project.approved", "secretariat", approve_big),
                 {&secretary, &deputy})},
      {"an old decision replayed under a new id", "signature.invalid", replay},
      {"a type the body's policies do not cover", "authority.no_policy",
       signed_by(decision("auth-7", "project.terminated", "secretariat", terminate), {&secretary})},
  };
  for (const Case& c : cases) {
    const std::string before = ledger.Snapshot();
    BOOST_TEST(ledger.Submit(c.decision) == c.rule, c.what);
    BOOST_TEST(ledger.Snapshot() == before, c.what << ": the log or the state changed");
    // Refused for good: the same id again is refused again, not "duplicate".
    BOOST_TEST(ledger.Submit(c.decision) == c.rule, c.what << " (again)");
  }

  // Signed as the policies ask, the same decisions pass: the refusals were
  // for the reason named, not for anything else about them.
  BOOST_TEST(ledger.Submit(
                 signed_by(decision("auth-8", "project.approved", "joint-committee", approve_big),
                           {&cn, &asean})) == "(appended)");
  BOOST_TEST(ledger.Submit(
                 signed_by(decision("auth-9", "project.terminated", "joint-committee", terminate),
                           {&cn, &asean})) == "(appended)");
  const Value project = ledger.Result({{"op", "get"}, {"kind", "project"}, {"key", "P-2026-AUTH"}});
  BOOST_TEST(
      pl::ledger::CanonicalJson(project).find("\"status\":\"terminated\"") != std::string::npos,
      pl::ledger::CanonicalJson(project));
}
