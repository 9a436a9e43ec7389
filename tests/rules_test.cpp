// The decision rules, table-driven: every rule of docs/events.md with at
// least one accepted and one refused decision. A refused decision must leave
// the state byte for byte as it was.
#define BOOST_TEST_MODULE rules
#include <boost/test/unit_test.hpp>
#include <map>

#include "../projections/src/checkpoint.h"
#include "programme_fixture.h"
#include "projections/rules.h"

using namespace pl;
using namespace pl::projections;
using ledger::Value;
using namespace pl::test;

namespace {

class Fixture : public DecisionMaker {
 public:
  ProgrammeState state;
  std::map<std::string, Seq> decided;  // decision id -> sequence
  // The same decisions applied to a second state through one SubjectIndex
  // kept across them all, as a replay does: every result (rule, message,
  // authority) and every state must be the same as without it.
  ProgrammeState indexed_state;
  SubjectIndex index = [] {
    SubjectIndex made;
    made.complete = true;  // made for the empty state, as a replay from the start
    return made;
  }();
  std::string authority;  // of the last decision applied

  Fixture() {
    step = 1000;
    const Status s = Decide("governance.genesis", "joint-committee", test::GenesisPayload(officers),
                            {"jc-cn", "jc-asean"});
    BOOST_REQUIRE_MESSAGE(s.ok(), s.ToString());
  }

  // Applies a decision; on refusal checks that the state did not move.
  Status Submit(const ledger::SignedDecision& d) {
    const std::string before = StateBytes(state);
    ApplyOptions options;
    options.find_decision = [this](std::string_view id) -> std::optional<Seq> {
      auto it = decided.find(std::string(id));
      return it == decided.end() ? std::nullopt : std::optional<Seq>(it->second);
    };
    ledger::Envelope e{state.size, clock, d, {}};
    Applied applied, applied_indexed;
    Status s = Apply(&state, e, options, &applied);
    ApplyOptions indexed = options;
    indexed.index = &index;
    const Status s_indexed = Apply(&indexed_state, e, indexed, &applied_indexed);
    BOOST_TEST(s_indexed.ToString() == s.ToString());
    BOOST_TEST(applied_indexed.authority == applied.authority);
    BOOST_TEST((StateBytes(indexed_state) == StateBytes(state)), "indexed state differs");
    authority = applied.authority;
    if (s.ok()) {
      decided[d.decision.id] = e.sequence;
    } else {
      BOOST_TEST((StateBytes(state) == before),
                 "state changed by a refused decision: " + s.ToString());
    }
    return s;
  }

  Status Decide(const std::string& type, const std::string& body, Value::Object payload,
                const std::vector<std::string>& signers) {
    return Submit(Make(type, body, std::move(payload), signers));
  }
};

struct Case {
  std::string name;
  std::string type;
  std::string body;
  Value::Object payload;
  std::vector<std::string> signers;
  std::string rule;  // "" = accepted
};

void Run(Fixture& f, const std::vector<Case>& cases) {
  for (const Case& c : cases) {
    BOOST_TEST_CONTEXT(c.name) {
      Status s = f.Decide(c.type, c.body, c.payload, c.signers);
      if (c.rule.empty()) {
        BOOST_TEST(s.ok(), s.ToString());
      } else {
        BOOST_TEST(s.rule() == c.rule, s.ToString());
      }
    }
  }
}

}  // namespace

BOOST_AUTO_TEST_CASE(genesis_rules) {
  Fixture f;
  BOOST_TEST(f.state.size == 1u);
  BOOST_TEST(f.state.members.size() == 4u);
  BOOST_TEST(f.state.keys.size() == 5u);
  BOOST_TEST(f.Decide("governance.genesis", "joint-committee", {}, {"jc-cn", "jc-asean"}).rule() ==
             "genesis.repeated");

  ProgrammeState empty;
  ApplyOptions options;
  Fixture g;  // borrow a valid genesis and a non-genesis decision
  ledger::Envelope first{
      0, 0, g.Make("project.proposed", "secretariat", Proposal("P-1"), {"sec-head"}), {}};
  BOOST_TEST(Apply(&empty, first, options).rule() == "genesis.missing");
}

BOOST_AUTO_TEST_CASE(genesis_needs_both_co_chairs) {
  Fixture f;
  // Re-run the fixture's genesis on an empty state with one co-chair only.
  ProgrammeState empty;
  ApplyOptions options;
  ledger::SignedDecision d;
  d.decision.id = "g";
  d.decision.type = "governance.genesis";
  d.decision.body = "joint-committee";
  d.decision.issued_at = 1330592400000;
  Value::Array keys{f.officers.KeyEntry("jc-cn"), f.officers.KeyEntry("jc-asean")};
  d.decision.payload = Value(Value::Object{
      {"bodies",
       Value(Value::Array{Value(Value::Object{
           {"body_id", "joint-committee"}, {"kind", "joint_committee"}, {"name", Name("JC")}})})},
      {"keys", Value(keys)},
      {"members",
       Value(Value::Array{Value(Value::Object{{"country", "CN"}, {"name", Name("China")}}),
                          Value(Value::Object{{"country", "TH"}, {"name", Name("Thailand")}})})},
      {"officers",
       Value(Value::Array{OfficerValue("jc-cn", "joint-committee", "co_chair_cn", "CN"),
                          OfficerValue("jc-asean", "joint-committee", "co_chair_asean", "TH")})},
      {"policies", Value(Value::Array{})},
      {"programme", Name("STEP")}});
  ledger::Sign(&d, f.officers["jc-cn"]);
  BOOST_TEST(Apply(&empty, {0, 0, d, {}}, options).rule() == "genesis.signers");
  ledger::Sign(&d, f.officers["sec-head"]);  // not a genesis key
  BOOST_TEST(Apply(&empty, {0, 0, d, {}}, options).rule() == "signature.unknown_key");
  d.signatures.clear();
  ledger::Sign(&d, f.officers["jc-cn"]);
  ledger::Sign(&d, f.officers["jc-asean"]);
  BOOST_TEST(Apply(&empty, {0, 0, d, {}}, options).ok());
  BOOST_TEST(empty.size == 1u);
}

BOOST_AUTO_TEST_CASE(type_payload_signature_and_authority_rules) {
  Fixture f;
  auto stranger = crypto::PrivateKey::Generate();
  auto unsigned_d = f.Make("project.proposed", "secretariat", Proposal("P-x"), {});
  BOOST_TEST(f.Submit(unsigned_d).rule() == "signature.missing");
  auto foreign = f.Make("project.proposed", "secretariat", Proposal("P-x"), {});
  ledger::Sign(&foreign, stranger);
  BOOST_TEST(f.Submit(foreign).rule() == "signature.unknown_key");
  auto forged = f.Make("project.proposed", "secretariat", Proposal("P-x"), {"sec-head"});
  forged.decision.payload = Value(Proposal("P-y"));
  BOOST_TEST(f.Submit(forged).rule() == "signature.invalid");

  Value::Object extra = Proposal("P-x");
  extra.emplace_back("colour", "blue");
  Value::Object no_title = Proposal("P-x");
  std::erase_if(no_title, [](const auto& m) { return m.first == "title"; });
  Value::Object bad_area = Proposal("P-x");
  for (auto& m : bad_area) {
    if (m.first == "priority_area") m.second = "C1";
  }
  Value::Object bad_budget = Proposal("P-x");
  for (auto& m : bad_budget) {
    if (m.first == "budget") m.second = MoneyValue(-5);
  }
  Run(f,
      {
          {"unknown type",
           "project.blessed",
           "secretariat",
           {},
           {"sec-head"},
           "decision.unknown_type"},
          {"unknown field",
           "project.proposed",
           "secretariat",
           extra,
           {"sec-head"},
           "payload.unknown_field"},
          {"missing field",
           "project.proposed",
           "secretariat",
           no_title,
           {"sec-head"},
           "payload.missing"},
          {"bad enum", "project.proposed", "secretariat", bad_area, {"sec-head"}, "payload.value"},
          {"negative amount",
           "project.proposed",
           "secretariat",
           bad_budget,
           {"sec-head"},
           "payload.value"},
          {"not an officer of the body",
           "project.proposed",
           "secretariat",
           Proposal("P-x"),
           {"conf-chair"},
           "authority.not_officer"},
          {"no policy for the body and type",
           "project.proposed",
           "joint-conference",
           Proposal("P-x"),
           {"conf-chair"},
           "authority.no_policy"},
          {"unknown body",
           "project.proposed",
           "science-council",
           Proposal("P-x"),
           {"sec-head"},
           "authority.body"},
          {"over the ceiling",
           "project.proposed",
           "secretariat",
           Proposal("P-x", 600000000),
           {"sec-head"},
           "authority.ceiling"},
          {"within the ceiling",
           "project.proposed",
           "secretariat",
           Proposal("P-1"),
           {"sec-head"},
           ""},
          {"one co-chair only",
           "project.approved",
           "joint-committee",
           {{"budget", MoneyValue(90000000)}, {"project_id", "P-1"}},
           {"jc-cn"},
           "authority.quorum"},
          {"both co-chairs",
           "project.approved",
           "joint-committee",
           {{"budget", MoneyValue(90000000)}, {"project_id", "P-1"}},
           {"jc-cn", "jc-asean"},
           ""},
      });
  BOOST_TEST(f.state.projects.at("P-1").status == "approved");
}

BOOST_AUTO_TEST_CASE(required_roles_and_revoked_keys) {
  Fixture f;
  // A policy needing the secretary general, then a decision signed by the deputy alone.
  Run(f, {{"adopt",
           "governance.policy_adopted",
           "joint-committee",
           PolicyValue("sec-partnerships", "secretariat", {"partnership.*"}, 1,
                       {"secretary_general"}, std::nullopt)
               .as_object(),
           {"jc-cn", "jc-asean"},
           ""},
          {"repeal the general one",
           "governance.policy_repealed",
           "joint-committee",
           {{"policy_id", "sec"}, {"reason", "split"}},
           {"jc-cn", "jc-asean"},
           ""},
          {"repeal twice",
           "governance.policy_repealed",
           "joint-committee",
           {{"policy_id", "sec"}, {"reason", "again"}},
           {"jc-cn", "jc-asean"},
           "state.status"}});
  Value::Object lab{{"countries", Value(Value::Array{Value("CN"), Value("TH")})},
                    {"established_on", "2013-04-01"},
                    {"institutions", Value(Value::Array{Name("CAS"), Name("NSTDA")})},
                    {"kind", "joint_laboratory"},
                    {"name", Name("China-Thailand Joint Lab")},
                    {"partnership_id", "PS-1"}};
  Run(f, {{"deputy lacks the role",
           "partnership.established",
           "secretariat",
           lab,
           {"sec-deputy"},
           "authority.roles"},
          {"secretary general", "partnership.established", "secretariat", lab, {"sec-head"}, ""}});
  // Revoke the secretary general's key: it signs nothing after.
  const std::string key = f.officers["sec-head"].public_key().key_id();
  Run(f, {{"revoke",
           "governance.key_revoked",
           "joint-committee",
           {{"key_id", key}, {"reason", "lost"}},
           {"jc-cn", "jc-asean"},
           ""},
          {"revoke again",
           "governance.key_revoked",
           "joint-committee",
           {{"key_id", key}, {"reason", "x"}},
           {"jc-cn", "jc-asean"},
           "state.status"},
          {"revoked key signs",
           "partnership.suspended",
           "secretariat",
           {{"partnership_id", "PS-1"}, {"reason", "review"}},
           {"sec-head"},
           "authority.key_revoked"}});
  BOOST_TEST((f.state.keys.at(key).status == Key::Status::kRevoked));
}

// The policies a body's decisions of one type may be taken under change as
// policies are adopted and repealed; a replay's index of them must follow.
BOOST_AUTO_TEST_CASE(policy_changes_reach_later_decisions_of_the_same_type) {
  Fixture f;
  BOOST_TEST(f.Submit(f.Propose("P-1")).ok());
  BOOST_TEST(f.authority == "sec");
  // "a-projects" sorts before "sec": tried first, unmet (one signer), so "sec" decides.
  Run(f, {{"adopt",
           "governance.policy_adopted",
           "joint-committee",
           PolicyValue("a-projects", "secretariat", {"project.*"}, 2, {}, std::nullopt).as_object(),
           {"jc-cn", "jc-asean"},
           ""}});
  BOOST_TEST(f.Submit(f.Propose("P-2")).ok());
  BOOST_TEST(f.authority == "sec");
  Run(f, {{"repeal",
           "governance.policy_repealed",
           "joint-committee",
           {{"policy_id", "sec"}, {"reason", "two signatures from now on"}},
           {"jc-cn", "jc-asean"},
           ""}});
  const Status one = f.Submit(f.Propose("P-3"));
  BOOST_TEST(one.rule() == "authority.quorum", one.ToString());
  BOOST_TEST(f.Submit(f.Make("project.proposed", "secretariat", Proposal("P-3"),
                             {"sec-head", "sec-deputy"}))
                 .ok());
  BOOST_TEST(f.authority == "a-projects");
}

// The index keeps ids of up to 23 bytes in its slots and compares longer
// ones with the subject's: both are found again.
BOOST_AUTO_TEST_CASE(short_and_long_ids_are_found_through_the_index) {
  Fixture f;
  for (const std::string& id :
       std::vector<std::string>{"P-1", "P-23456789012345678901", "P-234567890123456789012",
                                "P-2345678901234567890123", std::string(64, 'P')}) {
    BOOST_TEST_CONTEXT(id) {
      BOOST_TEST(f.Submit(f.Propose(id)).ok());
      BOOST_TEST(f.Decide("project.approved", "joint-committee",
                          {{"budget", MoneyValue(90000000)}, {"project_id", id}},
                          {"jc-cn", "jc-asean"})
                     .ok());
      BOOST_TEST(f.indexed_state.projects.at(id).status == "approved");
    }
  }
}

BOOST_AUTO_TEST_CASE(governance_changes) {
  Fixture f;
  auto fresh = crypto::PrivateKey::Generate();
  auto rotated = crypto::PrivateKey::Generate();
  f.officers.keys.emplace("sec-new", fresh);
  const std::string old_key = f.officers["sec-deputy"].public_key().key_id();
  Run(f, {
             {"admit Timor-Leste",
              "governance.member_admitted",
              "joint-committee",
              {{"country", "TL"}, {"name", Name("Timor-Leste")}},
              {"jc-cn", "jc-asean"},
              ""},
             {"admit twice",
              "governance.member_admitted",
              "joint-committee",
              {{"country", "TL"}, {"name", Name("Timor-Leste")}},
              {"jc-cn", "jc-asean"},
              "state.exists"},
             {"constitute a working group",
              "governance.body_constituted",
              "joint-committee",
              {{"body_id", "wg-technology-transfer"},
               {"kind", "working_group"},
               {"name", Name("Technology Transfer")},
               {"parent_id", "secretariat"}},
              {"jc-cn", "jc-asean"},
              ""},
             {"unknown parent",
              "governance.body_constituted",
              "joint-committee",
              {{"body_id", "wg-x"},
               {"kind", "working_group"},
               {"name", Name("X")},
               {"parent_id", "nowhere"}},
              {"jc-cn", "jc-asean"},
              "state.unknown"},
             {"bilateral mechanism with a non-member",
              "governance.body_constituted",
              "joint-committee",
              {{"body_id", "bilateral-jp"},
               {"country", "JP"},
               {"kind", "bilateral_mechanism"},
               {"name", Name("Japan")}},
              {"jc-cn", "jc-asean"},
              "state.unknown"},
             {"appoint",
              "governance.officer_appointed",
              "joint-committee",
              {{"body_id", "secretariat"},
               {"country", "TL"},
               {"name", Name("New officer")},
               {"officer_id", "sec-new"},
               {"role", "deputy"}},
              {"jc-cn", "jc-asean"},
              ""},
             {"unknown role",
              "governance.officer_appointed",
              "joint-committee",
              {{"body_id", "secretariat"},
               {"country", "TL"},
               {"name", Name("X")},
               {"officer_id", "sec-x"},
               {"role", "emperor"}},
              {"jc-cn", "jc-asean"},
              "payload.value"},
             {"register a key",
              "governance.key_registered",
              "joint-committee",
              {{"key_id", fresh.public_key().key_id()},
               {"officer_id", "sec-new"},
               {"public_key", ToBase64(fresh.public_key().raw())}},
              {"jc-cn", "jc-asean"},
              ""},
             {"key id not its key",
              "governance.key_registered",
              "joint-committee",
              {{"key_id", std::string(64, 'a')},
               {"officer_id", "sec-new"},
               {"public_key", ToBase64(fresh.public_key().raw())}},
              {"jc-cn", "jc-asean"},
              "payload.value"},
             {"new officer decides",
              "project.proposed",
              "secretariat",
              Proposal("P-TL", 1000, "TL"),
              {"sec-new"},
              ""},
             {"rotate",
              "governance.key_rotated",
              "joint-committee",
              {{"key_id", old_key},
               {"new_key_id", rotated.public_key().key_id()},
               {"public_key", ToBase64(rotated.public_key().raw())}},
              {"jc-cn", "jc-asean"},
              ""},
             {"rotated key signs",
              "project.proposed",
              "secretariat",
              Proposal("P-2"),
              {"sec-deputy"},
              "authority.key_revoked"},
             {"remove",
              "governance.officer_removed",
              "joint-committee",
              {{"officer_id", "sec-new"}, {"reason", "term ended"}},
              {"jc-cn", "jc-asean"},
              ""},
             {"removed officer signs",
              "project.proposed",
              "secretariat",
              Proposal("P-3"),
              {"sec-new"},
              "authority.not_officer"},
             {"meeting",
              "governance.meeting_held",
              "joint-committee",
              {{"held_on", "2013-06-01"},
               {"location", "Nanning"},
               {"meeting_id", "JC-2013"},
               {"title", Name("Joint Committee 2013")}},
              {"jc-cn", "jc-asean"},
              ""},
             {"resolution adopting an unknown decision",
              "governance.resolution_adopted",
              "joint-committee",
              {{"adopts", Value(Value::Array{Value("no-such-decision")})},
               {"meeting_id", "JC-2013"},
               {"resolution_id", "R-1"},
               {"title", Name("R")}},
              {"jc-cn", "jc-asean"},
              "state.unknown"},
             {"resolution",
              "governance.resolution_adopted",
              "joint-committee",
              {{"adopts", Value(Value::Array{Value("d-0"), Value("d-1")})},
               {"meeting_id", "JC-2013"},
               {"resolution_id", "R-1"},
               {"title", Name("R")}},
              {"jc-cn", "jc-asean"},
              ""},
             {"dissolve the joint committee",
              "governance.body_dissolved",
              "joint-committee",
              {{"body_id", "joint-committee"}, {"reason", "no"}},
              {"jc-cn", "jc-asean"},
              "state.status"},
             {"dissolve a working group",
              "governance.body_dissolved",
              "joint-committee",
              {{"body_id", "wg-technology-transfer"}, {"reason", "merged"}},
              {"jc-cn", "jc-asean"},
              ""},
         });
  // The rotated key's successor signs for the same officer.
  f.officers.keys.insert_or_assign("sec-deputy", rotated);
  Run(f, {{"successor key signs",
           "project.proposed",
           "secretariat",
           Proposal("P-4"),
           {"sec-deputy"},
           ""}});
  BOOST_TEST(f.state.members.count("TL") == 1u);
}

BOOST_AUTO_TEST_CASE(project_lifecycle_and_state_rules) {
  Fixture f;
  const std::vector<std::string> jc{"jc-cn", "jc-asean"}, sec{"sec-head"};
  Value::Object bad_dates = Proposal("P-bad");
  for (auto& m : bad_dates) {
    if (m.first == "end_date") m.second = "2012-01-01";
  }
  auto id = [](const char* p) { return Value::Object{{"project_id", p}}; };
  auto with = [](Value::Object o, const char* k, Value v) {
    o.emplace_back(k, std::move(v));
    return o;
  };
  Run(f, {
             {"propose", "project.proposed", "secretariat", Proposal("P-1"), sec, ""},
             {"propose again", "project.proposed", "secretariat", Proposal("P-1"), sec,
              "state.exists"},
             {"end before start", "project.proposed", "secretariat", bad_dates, sec, "state.dates"},
             {"partner not a member", "project.proposed", "secretariat",
              Proposal("P-2", 1000, "JP"), sec, "state.unknown"},
             {"start before approval", "project.started", "secretariat",
              with(id("P-1"), "started_on", "2013-01-02"), sec, "state.status"},
             {"approve unknown", "project.approved", "joint-committee",
              with(id("P-9"), "budget", MoneyValue(1)), jc, "state.unknown"},
             {"approve", "project.approved", "joint-committee",
              with(id("P-1"), "budget", MoneyValue(80000000)), jc, ""},
             {"approve twice", "project.approved", "joint-committee",
              with(id("P-1"), "budget", MoneyValue(80000000)), jc, "state.status"},
             {"start", "project.started", "secretariat",
              with(id("P-1"), "started_on", "2013-01-02"), sec, ""},
             {"milestone", "project.milestone_reported", "secretariat",
              with(with(with(id("P-1"), "milestone", "Ground station"), "reached_on", "2013-09-01"),
                   "summary", "Built"),
              sec, ""},
             {"a ceiling in CNY does not cover USD", "project.amended", "secretariat",
              with(id("P-1"), "budget", MoneyValue(1000, "USD")), sec, "authority.ceiling"},
             {"amend nothing", "project.amended", "secretariat", id("P-1"), sec, "payload.missing"},
             {"amend the end date", "project.amended", "secretariat",
              with(id("P-1"), "end_date", "2016-06-30"), sec, ""},
             {"evaluate while active", "project.evaluated", "secretariat",
              with(with(id("P-1"), "rating", "good"), "summary", "fine"), sec, "state.status"},
             {"suspend", "project.suspended", "secretariat", with(id("P-1"), "reason", "audit"),
              sec, ""},
             {"complete while suspended", "project.completed", "secretariat",
              with(id("P-1"), "completed_on", "2016-01-01"), sec, "state.status"},
             {"resume", "project.resumed", "secretariat", with(id("P-1"), "reason", "cleared"), sec,
              ""},
             {"complete", "project.completed", "secretariat",
              with(id("P-1"), "completed_on", "2016-01-01"), sec, ""},
             {"evaluate", "project.evaluated", "secretariat",
              with(with(id("P-1"), "rating", "excellent"), "summary", "A model"), sec, ""},
             {"terminate a completed project", "project.terminated", "joint-committee",
              with(id("P-1"), "reason", "x"), jc, "state.status"},
             {"propose P-3", "project.proposed", "secretariat", Proposal("P-3"), sec, ""},
             {"reject", "project.rejected", "joint-committee",
              with(id("P-3"), "reason", "out of scope"), jc, ""},
         });
  BOOST_TEST(f.state.projects.at("P-1").status == "completed");
  BOOST_TEST(f.state.projects.at("P-1").milestones.size() == 1u);
  BOOST_TEST(f.state.projects.at("P-3").status == "rejected");

  // A decision issued before the subject's previous one.
  auto late = f.Make("project.suspended", "secretariat", with(id("P-1"), "reason", "x"), sec);
  late.decision.issued_at = 1330592400000;
  late.signatures.clear();
  ledger::Sign(&late, f.officers["sec-head"]);
  BOOST_TEST(f.Submit(late).rule() == "state.time_order");
}

BOOST_AUTO_TEST_CASE(funding_rules) {
  Fixture f;
  const std::vector<std::string> jc{"jc-cn", "jc-asean"}, sec{"sec-head"}, conf{"conf-chair"};
  Run(f, {{"propose", "project.proposed", "secretariat", Proposal("P-1"), sec, ""}});
  Value::Object commit{{"amount", 300000000}, {"commitment_id", "C-1"}, {"currency", "CNY"},
                       {"party", "CN"},       {"project_id", "P-1"},    {"source", "cn_government"},
                       {"year", 2013}};
  auto with = [](Value::Object o, const char* k, Value v) {
    for (auto& m : o) {
      if (m.first == k) {
        m.second = std::move(v);
        return o;
      }
    }
    o.emplace_back(k, std::move(v));
    return o;
  };
  Value::Object tranche{{"amount", 100000000},
                        {"commitment_id", "C-1"},
                        {"currency", "CNY"},
                        {"disbursed_on", "2013-03-01"},
                        {"tranche_id", "T-1"}};
  Run(f,
      {
          {"commit before approval", "funding.committed", "secretariat", commit, sec,
           "state.status"},
          {"approve",
           "project.approved",
           "joint-committee",
           {{"budget", MoneyValue(300000000)}, {"project_id", "P-1"}},
           jc,
           ""},
          {"commit", "funding.committed", "secretariat", commit, sec, ""},
          {"commit the same id", "funding.committed", "secretariat", commit, sec, "state.exists"},
          {"commit above the secretariat's ceiling", "funding.committed", "secretariat",
           with(with(commit, "commitment_id", "C-big"), "amount", 900000000), sec,
           "authority.ceiling"},
          {"the joint conference has no ceiling", "funding.committed", "joint-conference",
           with(with(commit, "commitment_id", "C-big"), "amount", 900000000), conf, ""},
          {"partner government must not be CN", "funding.committed", "secretariat",
           with(with(commit, "commitment_id", "C-2"), "source", "partner_government"), sec,
           "payload.value"},
          {"partner government", "funding.committed", "secretariat",
           with(with(with(with(commit, "commitment_id", "C-2"), "source", "partner_government"),
                     "party", "TH"),
                "currency", "THB"),
           sec, "authority.ceiling"},
          {"private without a name", "funding.committed", "secretariat",
           with(with(commit, "commitment_id", "C-3"), "source", "private"), sec, "payload.value"},
          {"disburse", "funding.disbursed", "secretariat", tranche, sec, ""},
          {"same tranche id", "funding.disbursed", "secretariat", tranche, sec, "state.exists"},
          {"other currency", "funding.disbursed", "secretariat",
           with(with(tranche, "tranche_id", "T-2"), "currency", "USD"), sec, "authority.ceiling"},
          {"other currency, no ceiling", "funding.disbursed", "joint-conference",
           with(with(tranche, "tranche_id", "T-2"), "currency", "USD"), conf, "state.currency"},
          {"overdraw", "funding.disbursed", "joint-conference",
           with(with(tranche, "tranche_id", "T-2"), "amount", 250000000), conf, "state.overdrawn"},
          {"disburse the rest", "funding.disbursed", "secretariat",
           with(with(tranche, "tranche_id", "T-2"), "amount", 150000000), sec, ""},
          {"reduce below disbursed",
           "funding.reduced",
           "secretariat",
           {{"amount", 100000000}, {"commitment_id", "C-1"}, {"reason", "x"}},
           sec,
           "state.amount"},
          {"reduce",
           "funding.reduced",
           "secretariat",
           {{"amount", 260000000}, {"commitment_id", "C-1"}, {"reason", "savings"}},
           sec,
           ""},
          {"return too much",
           "funding.returned",
           "secretariat",
           {{"amount", 260000000}, {"commitment_id", "C-1"}, {"currency", "CNY"}, {"reason", "x"}},
           sec,
           "state.amount"},
          {"return",
           "funding.returned",
           "secretariat",
           {{"amount", 10000000},
            {"commitment_id", "C-1"},
            {"currency", "CNY"},
            {"reason", "unspent"}},
           sec,
           ""},
          {"spend too much",
           "funding.expenditure_reported",
           "secretariat",
           {{"amount", 250000000},
            {"commitment_id", "C-1"},
            {"currency", "CNY"},
            {"period", "2013"}},
           sec,
           "state.amount"},
          {"spend",
           "funding.expenditure_reported",
           "secretariat",
           {{"amount", 200000000},
            {"commitment_id", "C-1"},
            {"currency", "CNY"},
            {"period", "2013"}},
           sec,
           ""},
          {"cancel",
           "funding.cancelled",
           "secretariat",
           {{"commitment_id", "C-1"}, {"reason", "closed"}},
           sec,
           ""},
          {"disburse after cancel", "funding.disbursed", "secretariat",
           with(with(tranche, "tranche_id", "T-3"), "amount", 1), sec, "state.status"},
      });
  const Commitment& c = f.state.commitments.at("C-1");
  BOOST_TEST(c.committed == 250000000);
  BOOST_TEST(c.disbursed == 250000000);
  BOOST_TEST(c.returned == 10000000);
  BOOST_TEST(c.spent == 200000000);
  BOOST_TEST(c.closed);
}

BOOST_AUTO_TEST_CASE(partnership_rules) {
  Fixture f;
  const std::vector<std::string> sec{"sec-head"};
  Value::Object park{{"countries", Value(Value::Array{Value("CN"), Value("MY")})},
                     {"established_on", "2014-05-01"},
                     {"institutions", Value(Value::Array{Name("Guangxi Park")})},
                     {"kind", "science_park"},
                     {"name", Name("China-Malaysia Science Park")},
                     {"partnership_id", "PS-1"},
                     {"until", "2019-05-01"}};
  Value::Object bad_country = park;
  bad_country[0].second = Value(Value::Array{Value("CN"), Value("JP")});
  Run(f, {
             {"non-member country", "partnership.established", "secretariat", bad_country, sec,
              "state.unknown"},
             {"establish", "partnership.established", "secretariat", park, sec, ""},
             {"renew earlier",
              "partnership.renewed",
              "secretariat",
              {{"partnership_id", "PS-1"}, {"until", "2018-01-01"}},
              sec,
              "state.dates"},
             {"renew",
              "partnership.renewed",
              "secretariat",
              {{"partnership_id", "PS-1"}, {"until", "2024-05-01"}},
              sec,
              ""},
             {"amend",
              "partnership.amended",
              "secretariat",
              {{"countries", Value(Value::Array{Value("CN"), Value("MY"), Value("TH")})},
               {"partnership_id", "PS-1"}},
              sec,
              ""},
             {"resume while active",
              "partnership.resumed",
              "secretariat",
              {{"partnership_id", "PS-1"}, {"reason", "x"}},
              sec,
              "state.status"},
             {"suspend",
              "partnership.suspended",
              "secretariat",
              {{"partnership_id", "PS-1"}, {"reason", "x"}},
              sec,
              ""},
             {"resume",
              "partnership.resumed",
              "secretariat",
              {{"partnership_id", "PS-1"}, {"reason", "x"}},
              sec,
              ""},
             {"dissolve",
              "partnership.dissolved",
              "secretariat",
              {{"partnership_id", "PS-1"}, {"reason", "done"}},
              sec,
              ""},
             {"amend a dissolved one",
              "partnership.amended",
              "secretariat",
              {{"name", Name("New name")}, {"partnership_id", "PS-1"}},
              sec,
              "state.status"},
         });
  BOOST_TEST(f.state.partnerships.at("PS-1").countries.size() == 3u);
}

BOOST_AUTO_TEST_CASE(subjects_and_catalogue) {
  ledger::Decision d;
  d.type = "funding.disbursed";
  d.payload = Value(Value::Object{{"commitment_id", "C-1"}, {"tranche_id", "T-1"}, {"amount", 5}});
  BOOST_TEST(Subjects(d) == (std::vector<std::string>{"C-1", "T-1"}));
  d.type = "governance.member_admitted";
  d.payload = Value(Value::Object{{"country", "TL"}, {"name", Name("Timor-Leste")}});
  BOOST_TEST(Subjects(d) == (std::vector<std::string>{"TL"}));
  BOOST_TEST(EventTypes().size() == 36u);
}
