// The protocol of docs/api.md, called directly (no transport) over a real
// data directory with the real Writer and Hub: every op's result, every error
// rule, submit refusals of each rule family, idempotent resubmission, points
// in time, and audit and proofs checked with the Merkle verifiers.
#define BOOST_TEST_MODULE protocol
#include <atomic>
#include <boost/test/unit_test.hpp>
#include <future>

#include "crypto/merkle.h"
#include "hub.h"
#include "ledger/envelope.h"
#include "programme_fixture.h"
#include "projections/programme.h"
#include "protocol.h"
#include "test_util.h"
#include "writer.h"

using namespace pl;
using namespace pl::test;
using ledger::Value;

namespace {

constexpr ledger::Timestamp kDay = 24 * 3600 * 1000;
// 2013-01-01T00:00:00Z
constexpr ledger::Timestamp kStart = 1356998400000;

// A running ledgerd without its transport: a Programme on a temporary data
// directory, its Writer and Hub, and the Protocol over them.
struct Ledger {
  TempDir dir;
  Officers officers;
  int counter = 0;
  // The ledger's clock: each test step moves it on by a day.
  std::atomic<ledger::Timestamp> clock{kStart};
  std::unique_ptr<projections::Programme> programme;
  std::unique_ptr<api::Hub> hub;
  std::unique_ptr<api::Writer> writer;
  std::unique_ptr<api::Protocol> protocol;

  Ledger() {
    projections::ProgrammeOptions options;
    options.store.create_if_missing = true;
    options.store.sync = false;
    options.clock = [this] { return clock.load(); };
    auto p = projections::Programme::Open(dir.str("data"), options);
    BOOST_REQUIRE_MESSAGE(p.ok(), p.status().ToString());
    programme = std::move(*p);
    hub = std::make_unique<api::Hub>(*programme);
    writer = std::make_unique<api::Writer>(*programme, *hub, 1000);
    protocol = std::make_unique<api::Protocol>(*programme, *writer);
  }
  ~Ledger() {
    writer->Stop();
    protocol.reset();
    writer.reset();
    hub.reset();
  }

  Value Send(const Value& request) {
    std::promise<Value> answer;
    auto future = answer.get_future();
    std::atomic<int> calls{0};
    protocol->Handle(request, [&](Value response) {
      if (calls++ == 0) answer.set_value(std::move(response));
    });
    BOOST_REQUIRE(future.wait_for(std::chrono::seconds(30)) == std::future_status::ready);
    Value response = future.get();
    BOOST_TEST(calls.load() == 1);
    return response;
  }
  // A request {"id": n, "op": op, ...params}.
  Value Call(const std::string& op, Value::Object params = {}) {
    params.emplace_back("id", ++counter);
    params.emplace_back("op", op);
    return Send(Value(std::move(params)));
  }

  ledger::SignedDecision Make(const std::string& id, const std::string& type,
                              const std::string& body, Value::Object payload,
                              const std::vector<std::string>& signers) {
    ledger::SignedDecision d;
    d.decision.id = id;
    d.decision.type = type;
    d.decision.body = body;
    d.decision.issued_at = clock.load() - 3600000;
    d.decision.payload = Value(std::move(payload));
    for (const auto& o : signers) ledger::Sign(&d, officers[o]);
    return d;
  }
  Value Submit(const ledger::SignedDecision& d, Value::Object more = {}) {
    more.emplace_back("decision", ledger::ToValue(d));
    Value response = Call("submit", std::move(more));
    clock += kDay;
    return response;
  }
  Value SubmitAll(const std::vector<ledger::SignedDecision>& ds, Value::Object more = {}) {
    Value::Array items;
    for (const auto& d : ds) items.push_back(ledger::ToValue(d));
    more.emplace_back("decisions", Value(std::move(items)));
    Value response = Call("submit", std::move(more));
    clock += kDay;
    return response;
  }

  // Genesis (0), P-1 and P-2 proposed (1, 2), P-1 approved (3) and funded
  // (4, C-1: CNY 500,000.00 from the Chinese government, 2013), each on
  // its own day from 2013-01-01.
  void History() {
    Ok(Submit(Make("jc-genesis", "governance.genesis", "joint-committee", GenesisPayload(officers),
                   {"jc-cn", "jc-asean"})));
    Ok(Submit(Make("sec-p1", "project.proposed", "secretariat", Proposal("P-1"), {"sec-head"})));
    Ok(Submit(Make("sec-p2", "project.proposed", "secretariat", Proposal("P-2", 200000000, "VN"),
                   {"sec-head"})));
    Ok(Submit(Make("jc-a1", "project.approved", "joint-committee",
                   {{"budget", MoneyValue(90000000)}, {"project_id", "P-1"}},
                   {"jc-cn", "jc-asean"})));
    Ok(Submit(Make("sec-c1", "funding.committed", "secretariat",
                   {{"amount", 50000000},
                    {"commitment_id", "C-1"},
                    {"currency", "CNY"},
                    {"party", "CN"},
                    {"project_id", "P-1"},
                    {"source", "cn_government"},
                    {"year", 2013}},
                   {"sec-head"})));
  }

  static Value Ok(const Value& response) {
    const Value* ok = response.find("ok");
    BOOST_REQUIRE_MESSAGE(ok && ok->as_bool(), ledger::CanonicalJson(response));
    BOOST_TEST(response.as_object().size() == 3u);
    return *response.find("result");
  }
};

// The rule of an error response (after checking the response's shape).
std::string Rule(const Value& response) {
  const Value* ok = response.find("ok");
  BOOST_REQUIRE_MESSAGE(ok && !ok->as_bool(), ledger::CanonicalJson(response));
  BOOST_TEST(response.as_object().size() == 3u);
  const Value* error = response.find("error");
  BOOST_REQUIRE(error && error->find("rule") && error->find("message"));
  return error->find("rule")->as_string();
}
std::string Message(const Value& response) {
  return response.find("error")->find("message")->as_string();
}

std::int64_t Int(const Value& v, const char* name) {
  const Value* m = v.find(name);
  BOOST_REQUIRE_MESSAGE(m && m->kind() == Value::Kind::kInt, name);
  return m->as_int();
}
std::string Str(const Value& v, const char* name) {
  const Value* m = v.find(name);
  BOOST_REQUIRE_MESSAGE(m && m->kind() == Value::Kind::kString, name);
  return m->as_string();
}

crypto::Hash HashOf(const Value& hex) {
  crypto::Hash h{};
  auto raw = FromHex(hex.as_string());
  BOOST_REQUIRE(raw && raw->size() == h.size());
  std::copy(raw->begin(), raw->end(), h.begin());
  return h;
}
std::vector<crypto::Hash> Hashes(const Value& list) {
  std::vector<crypto::Hash> out;
  for (const Value& h : list.as_array()) out.push_back(HashOf(h));
  return out;
}

// A tree head from a response, with its signature checked against the log key.
ledger::TreeHead SignedHead(const Ledger& l, const Value& value) {
  auto head = ledger::TreeHeadFromValue(value);
  BOOST_REQUIRE_MESSAGE(head.ok(), head.status().ToString());
  BOOST_TEST(ledger::Verify(*head, l.programme->store().log_key()).ok());
  return *head;
}

Value Obj(Value::Object o) { return Value(std::move(o)); }

}  // namespace

BOOST_AUTO_TEST_CASE(request_shape_and_op) {
  Ledger l;
  auto bare = l.Send(Value(Value::Array{}));
  BOOST_TEST(Rule(bare) == "request.shape");
  BOOST_TEST(bare.find("id")->is_null());
  BOOST_TEST(Rule(l.Send(Obj({{"op", "summary"}}))) == "request.shape");
  BOOST_TEST(Rule(l.Send(Obj({{"id", Value(Value::Object{})}, {"op", "summary"}}))) ==
             "request.shape");
  auto no_op = l.Send(Obj({{"id", "a-1"}}));
  BOOST_TEST(Rule(no_op) == "request.shape");
  BOOST_TEST(no_op.find("id")->as_string() == "a-1");
  auto unknown = l.Send(Obj({{"id", 9}, {"op", "frobnicate"}}));
  BOOST_TEST(Rule(unknown) == "request.op");
  BOOST_TEST(unknown.find("id")->as_int() == 9);
  BOOST_TEST(Rule(l.Call("subscribe")) == "request.op");

  // Read ops work on an empty log.
  auto summary = Ledger::Ok(l.Call("summary"));
  BOOST_TEST(Int(summary, "size") == 0);
  BOOST_TEST(Int(*Ledger::Ok(l.Call("tree_head")).find("tree_head"), "size") == 0);
  // Unknown parameters are refused, naming the parameter.
  auto typo = l.Call("summary", {{"as_off", Obj({{"sequence", 0}})}});
  BOOST_TEST(Rule(typo) == "request.param");
  BOOST_TEST(Message(typo).find("as_off") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(submit_results_duplicates_and_refusals) {
  Ledger l;
  // genesis.missing: nothing may come before the genesis.
  auto early =
      l.Make("sec-early", "project.proposed", "secretariat", Proposal("P-0"), {"sec-head"});
  BOOST_TEST(Rule(l.Submit(early)) == "genesis.missing");

  auto genesis = l.Make("jc-genesis", "governance.genesis", "joint-committee",
                        GenesisPayload(l.officers), {"jc-cn", "jc-asean"});
  auto first = Ledger::Ok(l.Submit(genesis));
  BOOST_TEST(first.find("decisions")->as_array().size() == 1u);
  const Value& d0 = first.find("decisions")->as_array()[0];
  BOOST_TEST(Str(d0, "decision_id") == "jc-genesis");
  BOOST_TEST(Int(d0, "sequence") == 0);
  BOOST_TEST(d0.find("duplicate")->as_bool() == false);
  BOOST_TEST(Str(d0, "authority") == "");
  BOOST_TEST(Str(d0, "leaf_hash") == ToHex(l.programme->store().Read(0)->leaf_hash));
  BOOST_TEST(Int(*first.find("tree_head"), "size") == 1);
  SignedHead(l, *first.find("tree_head"));

  // Idempotent: the same decision again returns the original result.
  auto again = Ledger::Ok(l.Submit(genesis));
  const Value& d0again = again.find("decisions")->as_array()[0];
  BOOST_TEST(d0again.find("duplicate")->as_bool());
  BOOST_TEST(Int(d0again, "sequence") == 0);
  BOOST_TEST(Str(d0again, "leaf_hash") == Str(d0, "leaf_hash"));
  BOOST_TEST(l.programme->store().size() == 1u);

  // genesis.repeated
  auto second = l.Make("jc-genesis-2", "governance.genesis", "joint-committee",
                       GenesisPayload(l.officers), {"jc-cn", "jc-asean"});
  BOOST_TEST(Rule(l.Submit(second)) == "genesis.repeated");

  auto p1 = l.Make("sec-p1", "project.proposed", "secretariat", Proposal("P-1"), {"sec-head"});
  auto r1 = Ledger::Ok(l.Submit(p1));
  BOOST_TEST(Str(r1.find("decisions")->as_array()[0], "authority") == "sec");

  // One refusal per rule family, each with its rule and a message.
  auto unsigned_d = l.Make("x-1", "project.proposed", "secretariat", Proposal("P-x"), {});
  BOOST_TEST(Rule(l.Submit(unsigned_d)) == "signature.missing");
  auto stranger = l.Make("x-2", "project.proposed", "secretariat", Proposal("P-x"), {});
  ledger::Sign(&stranger, *crypto::PrivateKey::FromSeed(crypto::Sha256(AsBytes("stranger"))));
  BOOST_TEST(Rule(l.Submit(stranger)) == "signature.unknown_key");
  auto one_chair = l.Make("x-3", "project.approved", "joint-committee",
                          {{"budget", MoneyValue(90000000)}, {"project_id", "P-1"}}, {"jc-cn"});
  auto quorum = l.Submit(one_chair);
  BOOST_TEST(Rule(quorum) == "authority.quorum");
  BOOST_TEST(!Message(quorum).empty());
  auto too_big =
      l.Make("x-4", "project.proposed", "secretariat", Proposal("P-x", 600000000), {"sec-head"});
  BOOST_TEST(Rule(l.Submit(too_big)) == "authority.ceiling");
  Value::Object no_title = Proposal("P-x");
  std::erase_if(no_title, [](const auto& m) { return m.first == "title"; });
  BOOST_TEST(Rule(l.Submit(l.Make("x-5", "project.proposed", "secretariat", no_title,
                                  {"sec-head"}))) == "payload.missing");
  BOOST_TEST(Rule(l.Submit(l.Make("x-6", "project.proposed", "secretariat", Proposal("P-1"),
                                  {"sec-head"}))) == "state.exists");
  auto reused = l.Make("sec-p1", "project.proposed", "secretariat", Proposal("P-9"), {"sec-head"});
  BOOST_TEST(Rule(l.Submit(reused)) == "decision.id_reused");

  // Optimistic concurrency: P-1 was last changed by event 1.
  auto approve =
      l.Make("jc-a1", "project.approved", "joint-committee",
             {{"budget", MoneyValue(90000000)}, {"project_id", "P-1"}}, {"jc-cn", "jc-asean"});
  auto moved = l.Submit(approve, {{"expect", Obj({{"sequence", 0}, {"subject", "P-1"}})}});
  BOOST_TEST(Rule(moved) == "state.moved");
  BOOST_TEST(Message(moved).find("event 1") != std::string::npos);
  auto approved =
      Ledger::Ok(l.Submit(approve, {{"expect", Obj({{"sequence", 1}, {"subject", "P-1"}})}}));
  BOOST_TEST(Int(approved.find("decisions")->as_array()[0], "sequence") == 2);
  BOOST_TEST(Str(approved.find("decisions")->as_array()[0], "authority") == "jc");
  BOOST_TEST(l.programme->store().size() == 3u);

  // Shapes that never reach the rules.
  Value::Object bad = ledger::ToValue(p1).as_object();
  bad.emplace_back("colour", "blue");
  BOOST_TEST(Rule(l.Call("submit", {{"decision", Value(bad)}})) == "decision.field");
  BOOST_TEST(Rule(l.Call("submit", {})) == "request.param");
  BOOST_TEST(Rule(l.Call("submit", {{"decision", ledger::ToValue(p1)},
                                    {"decisions", Value(Value::Array{ledger::ToValue(p1)})}})) ==
             "request.param");
  BOOST_TEST(Rule(l.Call("submit", {{"decisions", Value(Value::Array{})}})) == "request.param");
  BOOST_TEST(Rule(l.Call("submit", {{"decision", ledger::ToValue(p1)}, {"expect", 3}})) ==
             "request.param");
  BOOST_TEST(l.programme->store().size() == 3u);
}

BOOST_AUTO_TEST_CASE(batches_are_all_or_nothing) {
  Ledger l;
  l.History();
  const auto head = l.programme->store().head();
  auto p3 = l.Make("sec-p3", "project.proposed", "secretariat", Proposal("P-3"), {"sec-head"});
  auto p4 = l.Make("sec-p4", "project.proposed", "secretariat", Proposal("P-4"), {"sec-head"});
  auto dup =
      l.Make("sec-p1-again", "project.proposed", "secretariat", Proposal("P-1"), {"sec-head"});
  auto refused = l.SubmitAll({p3, dup, p4});
  BOOST_TEST(Rule(refused) == "state.exists");
  BOOST_TEST(Message(refused).find("decisions[1] (sec-p1-again)") != std::string::npos);
  const Value& each = *refused.find("error")->find("decisions");
  BOOST_REQUIRE(each.as_array().size() == 3u);
  BOOST_TEST(Str(each.as_array()[0], "rule") == "batch.refused");
  BOOST_TEST(Str(each.as_array()[0], "decision_id") == "sec-p3");
  BOOST_TEST(Str(each.as_array()[1], "rule") == "state.exists");
  BOOST_TEST(Str(each.as_array()[2], "rule") == "batch.refused");
  BOOST_TEST((l.programme->store().head() == head));

  // expect per decision, nulls allowed; a wrong one refuses the batch.
  auto moved = l.SubmitAll(
      {p3, p4},
      {{"expect", Value(Value::Array{Value(), Obj({{"sequence", 0}, {"subject", "P-1"}})})}});
  BOOST_TEST(Rule(moved) == "state.moved");
  BOOST_TEST(Rule(l.SubmitAll({p3, p4}, {{"expect", Value(Value::Array{Value()})}})) ==
             "request.param");
  // A decision that does not parse is named by its index.
  Value::Array items{ledger::ToValue(p3), Value("not a decision")};
  auto unparsed = l.Call("submit", {{"decisions", Value(items)}});
  BOOST_TEST(Message(unparsed).find("decisions[1]") != std::string::npos);

  auto ok = Ledger::Ok(l.SubmitAll({p3, p4}));
  BOOST_TEST(Int(ok.find("decisions")->as_array()[1], "sequence") == 6);
  BOOST_TEST(Int(*ok.find("tree_head"), "size") == 7);
  // The whole batch again: duplicates, nothing appended.
  auto again = Ledger::Ok(l.SubmitAll({p3, p4}));
  BOOST_TEST(again.find("decisions")->as_array()[0].find("duplicate")->as_bool());
  BOOST_TEST(l.programme->store().size() == 7u);
}

BOOST_AUTO_TEST_CASE(get_list_funding_summary) {
  Ledger l;
  l.History();
  auto got = Ledger::Ok(l.Call("get", {{"key", "P-1"}, {"kind", "project"}}));
  BOOST_TEST(Str(*got.find("entity"), "status") == "approved");
  BOOST_TEST(Int(got, "size") == 5);
  auto member = Ledger::Ok(l.Call("get", {{"key", "VN"}, {"kind", "member"}}));
  BOOST_TEST(Str(*member.find("entity"), "country") == "VN");
  auto missing = l.Call("get", {{"key", "P-9"}, {"kind", "project"}});
  BOOST_TEST(Rule(missing) == "state.unknown");
  BOOST_TEST(Message(missing) == "there is no project P-9");
  BOOST_TEST(Rule(l.Call("get", {{"key", "P-1"}, {"kind", "projects"}})) == "request.param");
  BOOST_TEST(Rule(l.Call("get", {{"kind", "project"}})) == "request.param");
  BOOST_TEST(Rule(l.Call("get", {{"key", 7}, {"kind", "project"}})) == "request.param");

  auto all = Ledger::Ok(l.Call("list", {{"kind", "projects"}}));
  BOOST_TEST(all.find("items")->as_array().size() == 2u);
  BOOST_TEST(Int(all, "total") == 2);
  BOOST_TEST(all.find("next")->is_null());
  // Paging with the cursor.
  auto page1 = Ledger::Ok(l.Call("list", {{"kind", "officers"}, {"limit", 2}}));
  BOOST_TEST(Int(page1, "total") == 5);
  BOOST_REQUIRE(page1.find("items")->as_array().size() == 2u);
  std::vector<std::string> ids;
  Value page = page1;
  for (;;) {
    for (const Value& item : page.find("items")->as_array()) ids.push_back(Str(item, "officer_id"));
    if (page.find("next")->is_null()) break;
    page = Ledger::Ok(
        l.Call("list", {{"after", *page.find("next")}, {"kind", "officers"}, {"limit", 2}}));
  }
  BOOST_TEST(ids.size() == 5u);
  BOOST_TEST(std::is_sorted(ids.begin(), ids.end()));
  // Filters.
  auto vn =
      Ledger::Ok(l.Call("list", {{"filter", Obj({{"country", "VN"}})}, {"kind", "projects"}}));
  BOOST_TEST(Int(vn, "total") == 1);
  BOOST_TEST(Str(vn.find("items")->as_array()[0], "project_id") == "P-2");
  auto text = Ledger::Ok(
      l.Call("list", {{"filter", Obj({{"status", "approved"}, {"text", "REMOTE sensing"}})},
                      {"kind", "projects"}}));
  BOOST_TEST(Int(text, "total") == 1);
  auto by_body = Ledger::Ok(
      l.Call("list", {{"filter", Obj({{"body", "secretariat"}})}, {"kind", "officers"}}));
  BOOST_TEST(Int(by_body, "total") == 2);
  auto open =
      Ledger::Ok(l.Call("list", {{"filter", Obj({{"source", "cn_government"}, {"year", 2013}})},
                                 {"kind", "commitments"}}));
  BOOST_TEST(Int(open, "total") == 1);
  auto wrong_filter = l.Call("list", {{"filter", Obj({{"mode", "M5"}})}, {"kind", "members"}});
  BOOST_TEST(Rule(wrong_filter) == "request.param");
  BOOST_TEST(Message(wrong_filter).find("filter.mode") != std::string::npos);
  BOOST_TEST(Rule(l.Call("list", {{"filter", Obj({{"year", "2013"}})}, {"kind", "projects"}})) ==
             "request.param");
  BOOST_TEST(Rule(l.Call("list", {{"kind", "projects"}, {"limit", 501}})) == "request.param");
  BOOST_TEST(Rule(l.Call("list", {{"kind", "project"}})) == "request.param");

  auto funding = Ledger::Ok(
      l.Call("funding", {{"group_by", Value(Value::Array{Value("source"), Value("year")})}}));
  BOOST_REQUIRE(funding.find("rows")->as_array().size() == 1u);
  const Value& row = funding.find("rows")->as_array()[0];
  BOOST_TEST(Int(row, "committed") == 50000000);
  BOOST_TEST(Str(*row.find("group"), "currency") == "CNY");
  BOOST_TEST(Int(funding, "size") == 5);
  BOOST_TEST(Rule(l.Call("funding", {{"group_by", Value(Value::Array{Value("colour")})}})) ==
             "request.param");
  BOOST_TEST(Rule(l.Call("funding", {{"group_by", "source"}})) == "request.param");

  auto summary = Ledger::Ok(l.Call("summary"));
  BOOST_TEST(Int(summary, "size") == 5);
  BOOST_TEST(Int(*summary.find("projects"), "total") == 2);
}

BOOST_AUTO_TEST_CASE(points_in_time_as_of_and_diff) {
  Ledger l;
  l.History();  // events recorded on 2013-01-01 ... 2013-01-05
  auto at = [&](Value point) { return l.Call("summary", {{"as_of", std::move(point)}}); };
  BOOST_TEST(Int(Ledger::Ok(at(Obj({{"sequence", 2}}))), "size") == 2);
  BOOST_TEST(Int(Ledger::Ok(at(Obj({{"sequence", 0}}))), "size") == 0);
  BOOST_TEST(Int(Ledger::Ok(at(Obj({{"date", "2013-01-02"}}))), "size") == 2);
  BOOST_TEST(Int(Ledger::Ok(at(Obj({{"time", "2013-01-03T00:00:00Z"}}))), "size") == 3);
  BOOST_TEST(Int(Ledger::Ok(at(Obj({{"date", "2012-12-31"}}))), "size") == 0);
  BOOST_TEST(Rule(at(Obj({{"sequence", 6}}))) == "as_of.range");
  BOOST_TEST(Rule(at(Obj({{"date", "2013-02-30"}}))) == "request.param");
  BOOST_TEST(Rule(at(Obj({{"time", "2013-01-03 00:00"}}))) == "request.param");
  BOOST_TEST(Rule(at(Obj({{"sequence", 1}, {"date", "2013-01-02"}}))) == "request.param");
  BOOST_TEST(Rule(at(Value(3))) == "request.param");

  // P-1 as it stood before its approval.
  auto then = Ledger::Ok(
      l.Call("get", {{"as_of", Obj({{"sequence", 3}})}, {"key", "P-1"}, {"kind", "project"}}));
  BOOST_TEST(Str(*then.find("entity"), "status") == "proposed");
  BOOST_TEST(Int(then, "size") == 3);
  auto no_project_yet =
      l.Call("get", {{"as_of", Obj({{"sequence", 1}})}, {"key", "P-1"}, {"kind", "project"}});
  BOOST_TEST(Rule(no_project_yet) == "state.unknown");

  auto as_of =
      Ledger::Ok(l.Call("as_of", {{"at", Obj({{"date", "2013-01-03"}})},
                                  {"query", Obj({{"kind", "projects"}, {"op", "list"}})}}));
  BOOST_TEST(Int(as_of, "total") == 2);
  BOOST_TEST(Int(as_of, "size") == 3);
  BOOST_TEST(Rule(l.Call("as_of", {{"at", Obj({{"sequence", 1}})},
                                   {"query", Obj({{"op", "audit"}})}})) == "request.param");
  BOOST_TEST(Rule(l.Call("as_of", {{"query", Obj({{"op", "summary"}})}})) == "request.param");
  BOOST_TEST(Rule(l.Call("as_of", {{"at", Obj({{"sequence", 9}})},
                                   {"query", Obj({{"op", "summary"}})}})) == "as_of.range");

  auto diff = Ledger::Ok(
      l.Call("diff", {{"from", Obj({{"sequence", 3}})}, {"to", Obj({{"sequence", 5}})}}));
  BOOST_TEST(Int(diff, "from") == 3);
  BOOST_TEST(Int(diff, "to") == 5);
  BOOST_TEST(Int(*diff.find("counts")->find("projects"), "changed") == 1);
  BOOST_TEST(Int(*diff.find("counts")->find("commitments"), "added") == 1);
  BOOST_TEST(Rule(l.Call("diff", {{"from", Obj({{"sequence", 3}})}})) == "request.param");
}

BOOST_AUTO_TEST_CASE(audit_and_events_with_verified_proofs) {
  Ledger l;
  l.History();
  const crypto::PublicKey& log_key = l.programme->store().log_key();
  auto audit = Ledger::Ok(l.Call("audit", {{"proofs", true}, {"subject", "P-1"}}));
  const ledger::TreeHead head = SignedHead(l, *audit.find("tree_head"));
  BOOST_TEST(head.size == 5u);
  const auto& events = audit.find("events")->as_array();
  BOOST_REQUIRE(events.size() == 3u);  // proposed, approved, funded: newest first
  std::vector<std::int64_t> seqs;
  for (const Value& entry : events) {
    const Value& event = *entry.find("event");
    const auto seq = static_cast<std::uint64_t>(Int(event, "sequence"));
    seqs.push_back(static_cast<std::int64_t>(seq));
    // The envelope is the stored event, and its proof links it to the signed root.
    auto stored = l.programme->store().Read(seq);
    BOOST_TEST(ledger::CanonicalJson(event) == ledger::CanonicalJson(ledger::ToValue(*stored)));
    BOOST_TEST(crypto::LeafHash(AsBytes(ledger::EntryBytes(*stored))) ==
               HashOf(*event.find("leaf_hash")));
    BOOST_TEST(crypto::VerifyInclusion(HashOf(*event.find("leaf_hash")), seq, head.size,
                                       Hashes(*entry.find("proof")), head.root)
                   .ok());
  }
  BOOST_TEST(seqs == (std::vector<std::int64_t>{4, 3, 1}));
  BOOST_TEST(Str(events[0], "authority") == "sec");
  BOOST_TEST(Str(*events[0].find("policy"), "policy_id") == "sec");
  BOOST_TEST(Str(events[1], "authority") == "jc");
  BOOST_TEST(audit.find("next_before")->is_null());
  (void)log_key;

  // Paging, filters, no proofs unless asked.
  auto page = Ledger::Ok(l.Call("audit", {{"limit", 2}}));
  BOOST_TEST(page.find("events")->as_array().size() == 2u);
  BOOST_TEST(Int(page, "next_before") == 3);
  BOOST_TEST(page.find("events")->as_array()[0].find("proof") == nullptr);
  auto rest = Ledger::Ok(l.Call("audit", {{"before", 3}, {"limit", 2}}));
  BOOST_TEST(Int(*rest.find("events")->as_array()[0].find("event"), "sequence") == 2);
  auto genesis = Ledger::Ok(l.Call("audit", {{"type", "governance.*"}}));
  BOOST_REQUIRE(genesis.find("events")->as_array().size() == 1u);
  BOOST_TEST(genesis.find("events")->as_array()[0].find("authority")->is_null());
  BOOST_TEST(genesis.find("events")->as_array()[0].find("policy")->is_null());
  const std::string jc_cn = l.officers["jc-cn"].public_key().key_id();
  auto signed_by = Ledger::Ok(l.Call("audit", {{"signer", jc_cn}}));
  BOOST_TEST(signed_by.find("events")->as_array().size() == 2u);
  auto in_time = Ledger::Ok(
      l.Call("audit", {{"from", "2013-01-02T00:00:00Z"}, {"to", "2013-01-03T00:00:00Z"}}));
  BOOST_TEST(in_time.find("events")->as_array().size() == 1u);
  BOOST_TEST(Rule(l.Call("audit", {{"signer", "abc"}})) == "request.param");
  BOOST_TEST(Rule(l.Call("audit", {{"from", "yesterday"}})) == "request.param");
  BOOST_TEST(Rule(l.Call("audit", {{"limit", 1001}})) == "request.param");
  BOOST_TEST(Rule(l.Call("audit", {{"type", ".*"}})) == "audit.type");

  // One event, by sequence or decision id.
  auto one = Ledger::Ok(l.Call("event", {{"decision_id", "jc-a1"}, {"proofs", true}}));
  BOOST_TEST(Int(*one.find("event"), "sequence") == 3);
  const ledger::TreeHead now = SignedHead(l, *one.find("tree_head"));
  BOOST_TEST(crypto::VerifyInclusion(HashOf(*one.find("event")->find("leaf_hash")), 3, now.size,
                                     Hashes(*one.find("proof")), now.root)
                 .ok());
  auto by_seq = Ledger::Ok(l.Call("event", {{"sequence", 0}}));
  BOOST_TEST(Str(*by_seq.find("event")->find("decision"), "decision_id") == "jc-genesis");
  BOOST_TEST(by_seq.find("proof") == nullptr);
  BOOST_TEST(Rule(l.Call("event", {{"sequence", 5}})) == "event.unknown");
  BOOST_TEST(Rule(l.Call("event", {{"decision_id", "nope"}})) == "event.unknown");
  BOOST_TEST(Rule(l.Call("event", {})) == "request.param");
  BOOST_TEST(Rule(l.Call("event", {{"decision_id", "jc-a1"}, {"sequence", 3}})) == "request.param");
}

BOOST_AUTO_TEST_CASE(tree_heads_and_proofs_verify) {
  Ledger l;
  l.History();
  auto th = Ledger::Ok(l.Call("tree_head"));
  // The log key given with the head is the one that signed it.
  const Value& key = *th.find("log_key");
  auto raw = FromBase64(Str(key, "public_key"));
  BOOST_REQUIRE(raw);
  auto log_key = crypto::PublicKey::FromRaw(*raw);
  BOOST_REQUIRE(log_key.ok());
  BOOST_TEST(log_key->key_id() == Str(key, "key_id"));
  auto head = ledger::TreeHeadFromValue(*th.find("tree_head"));
  BOOST_REQUIRE(head.ok());
  BOOST_TEST(ledger::Verify(*head, *log_key).ok());
  BOOST_TEST(head->size == 5u);

  // Inclusion, by sequence and by decision id, against the current head and
  // an older one.
  for (auto params : {Value::Object{{"sequence", 1}}, Value::Object{{"decision_id", "sec-p1"}},
                      Value::Object{{"sequence", 1}, {"size", 3}}}) {
    auto inc = Ledger::Ok(l.Call("inclusion", params));
    const auto size = static_cast<std::uint64_t>(Int(inc, "size"));
    const ledger::TreeHead signed_head = SignedHead(l, *inc.find("tree_head"));
    BOOST_TEST(signed_head.size == size);
    BOOST_TEST(ToHex(signed_head.root) == Str(inc, "root"));
    BOOST_TEST(Int(inc, "sequence") == 1);
    BOOST_TEST(Str(inc, "decision_id") == "sec-p1");
    BOOST_TEST(Str(*inc.find("event"), "leaf_hash") == Str(inc, "leaf_hash"));
    BOOST_TEST(crypto::VerifyInclusion(HashOf(*inc.find("leaf_hash")), 1, size,
                                       Hashes(*inc.find("proof")), signed_head.root)
                   .ok());
  }
  BOOST_TEST(Rule(l.Call("inclusion", {{"sequence", 3}, {"size", 3}})) == "log.range");
  BOOST_TEST(Rule(l.Call("inclusion", {{"sequence", 1}, {"size", 6}})) == "log.range");
  BOOST_TEST(Rule(l.Call("inclusion", {{"sequence", 9}})) == "event.unknown");
  BOOST_TEST(Rule(l.Call("inclusion", {{"sequence", 1}, {"size", 0}})) == "request.param");
  BOOST_TEST(Rule(l.Call("inclusion", {})) == "request.param");

  // Consistency between two signed heads.
  auto cons = Ledger::Ok(l.Call("consistency", {{"from", 2}}));
  BOOST_TEST(Int(cons, "to") == 5);
  const ledger::TreeHead to = SignedHead(l, *cons.find("tree_head"));
  const ledger::TreeHead from = SignedHead(l, *cons.find("from_tree_head"));
  BOOST_TEST(ToHex(from.root) == Str(cons, "from_root"));
  BOOST_TEST(ToHex(to.root) == Str(cons, "to_root"));
  BOOST_TEST(crypto::VerifyConsistency(2, 5, from.root, to.root, Hashes(*cons.find("proof"))).ok());
  auto part = Ledger::Ok(l.Call("consistency", {{"from", 1}, {"to", 3}}));
  BOOST_TEST(crypto::VerifyConsistency(1, 3, HashOf(*part.find("from_root")),
                                       HashOf(*part.find("to_root")), Hashes(*part.find("proof")))
                 .ok());
  BOOST_TEST(Rule(l.Call("consistency", {{"from", 4}, {"to", 3}})) == "log.range");
  BOOST_TEST(Rule(l.Call("consistency", {{"from", 2}, {"to", 6}})) == "log.range");
  BOOST_TEST(Rule(l.Call("consistency", {{"from", 0}})) == "request.param");
  BOOST_TEST(Rule(l.Call("consistency", {})) == "request.param");
}

BOOST_AUTO_TEST_CASE(rest_parameters_and_stopping) {
  Ledger l;
  l.History();
  auto read = [&](const std::string& op, Value::Object params) {
    return l.protocol->HandleRead(op, Value(std::move(params)));
  };
  auto list = read(
      "list",
      {{"as_of", "3"}, {"filter", R"({"country":"TH"})"}, {"kind", "projects"}, {"limit", "5"}});
  BOOST_TEST(list.find("id")->is_null());
  BOOST_TEST(Int(Ledger::Ok(list), "size") == 3);
  BOOST_TEST(Int(Ledger::Ok(list), "total") == 1);
  BOOST_TEST(Int(Ledger::Ok(read("summary", {{"as_of", "2013-01-02"}})), "size") == 2);
  BOOST_TEST(Int(Ledger::Ok(read("summary", {{"as_of", 4}})), "size") == 4);
  BOOST_TEST(Int(Ledger::Ok(read("summary", {{"as_of", Obj({{"date", "2013-01-03"}})}})), "size") ==
             3);
  BOOST_TEST(
      Ledger::Ok(read("funding", {{"group_by", "source,year"}})).find("rows")->as_array().size() ==
      1u);
  BOOST_TEST(Ledger::Ok(read("audit", {{"proofs", "true"}, {"limit", "1"}}))
                 .find("events")
                 ->as_array()[0]
                 .find("proof") != nullptr);
  BOOST_TEST(Rule(read("list", {{"kind", "projects"}, {"limit", "many"}})) == "request.param");
  // The transport's guesses at types: a year as text, an id as a number.
  BOOST_TEST(
      Int(Ledger::Ok(read("list", {{"filter", Obj({{"year", "2013"}})}, {"kind", "commitments"}})),
          "total") == 1);
  BOOST_TEST(
      Int(Ledger::Ok(read("list", {{"filter", Obj({{"project_id", 7}})}, {"kind", "commitments"}})),
          "total") == 0);
  auto missing = read("get", {{"key", "P-9"}, {"kind", "project"}});
  BOOST_TEST(Message(missing) == "there is no project P-9");
  BOOST_TEST(Rule(read("submit", {})) == "request.op");
  BOOST_TEST(Rule(read("nothing", {})) == "request.op");

  // Once the writer stops, submissions are refused cleanly.
  l.writer->Stop();
  auto late = l.Make("sec-late", "project.proposed", "secretariat", Proposal("P-7"), {"sec-head"});
  BOOST_TEST(Rule(l.Submit(late)) == "server.stopping");
  // Reads still work.
  BOOST_TEST(Int(Ledger::Ok(l.Call("summary")), "size") == 5);
}
