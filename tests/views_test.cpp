// Views of the programme state: each entity's JSON, the summary's counts, the
// funding aggregates (every dimension, the multi-currency and once-per-country
// rules) and the difference between two states. States are built by hand.
#define BOOST_TEST_MODULE views
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <string>
#include <vector>

#include "crypto/bytes.h"
#include "ledger/value.h"
#include "projections/views.h"

using namespace pl;
using namespace pl::projections;
using ledger::Value;

namespace {

constexpr Timestamp kT0 = 1330592400000;  // 2012-03-01T09:00:00Z

const Value& At(const Value& v, std::string_view key) {
  const Value* m = v.find(key);
  BOOST_TEST_REQUIRE(m != nullptr, "missing member " << key << " in " << ledger::CanonicalJson(v));
  return *m;
}

std::string Str(const Value& v, std::string_view key) { return At(v, key).as_string(); }
std::int64_t Int(const Value& v, std::string_view key) { return At(v, key).as_int(); }
std::string Json(const Value& v) { return ledger::CanonicalJson(v); }

std::vector<std::string> Keys(const Value& object) {
  std::vector<std::string> out;
  for (const auto& [k, v] : object.as_object()) out.push_back(k);
  return out;
}

Project MakeProject(const std::string& id, const std::string& area, const std::string& mode,
                    std::vector<std::string> countries) {
  Project p;
  p.id = id;
  p.title = {"Project " + id, ""};
  p.priority_area = area;
  p.mode = mode;
  p.lead_institution = {"Institute", "研究所"};
  for (const std::string& c : countries) p.partners.push_back({{"Partner in " + c, ""}, c});
  p.proposed_budget = {1000, "CNY"};
  p.start_date = "2012-01-01";
  p.end_date = "2014-12-31";
  p.status = "active";
  p.year = 2012;
  p.proposed_seq = 5;
  p.last_seq = 7;
  p.last_issued_at = kT0;
  return p;
}

Commitment MakeCommitment(const std::string& id, const std::string& project_id,
                          const std::string& source, const std::string& party,
                          const std::string& currency, std::int64_t committed, std::int64_t year) {
  Commitment c;
  c.id = id;
  c.project_id = project_id;
  c.source = source;
  if (source == "private") {
    c.party_name = {party, ""};
  } else {
    c.party = party;
  }
  c.currency = currency;
  c.committed = committed;
  c.disbursed = committed / 2;
  c.returned = committed / 10;
  c.spent = committed / 4;
  c.year = year;
  c.committed_seq = 10;
  c.last_seq = 11;
  c.last_issued_at = kT0;
  return c;
}

// Two projects and five commitments in two currencies:
//   P1 B1 M4 partners TH, VN, TH (TH twice)    P2 A4 M6 partners MY
//   C1 P1 cn_government CN  CNY 1000 2012      C2 P1 partner_government TH THB 500 2012
//   C3 P2 cn_government CN  CNY  300 2013      C4 P2 private "Acme" CNY 200 2013
//   C5 P1 private "Acme"    USD   80 2013
ProgrammeState FundingState() {
  ProgrammeState s;
  s.size = 20;
  s.projects["P1"] = MakeProject("P1", "B1", "M4", {"TH", "VN", "TH"});
  s.projects["P2"] = MakeProject("P2", "A4", "M6", {"MY"});
  s.commitments["C1"] = MakeCommitment("C1", "P1", "cn_government", "CN", "CNY", 1000, 2012);
  s.commitments["C2"] = MakeCommitment("C2", "P1", "partner_government", "TH", "THB", 500, 2012);
  s.commitments["C3"] = MakeCommitment("C3", "P2", "cn_government", "CN", "CNY", 300, 2013);
  s.commitments["C4"] = MakeCommitment("C4", "P2", "private", "Acme", "CNY", 200, 2013);
  s.commitments["C5"] = MakeCommitment("C5", "P1", "private", "Acme", "USD", 80, 2013);
  return s;
}

// Rows as compact strings "group-json=committed/commitments", in output order.
std::vector<std::string> Rows(const Value& rows) {
  std::vector<std::string> out;
  for (const Value& row : rows.as_array()) {
    out.push_back(Json(At(row, "group")) + "=" + std::to_string(Int(row, "committed")) + "/" +
                  std::to_string(Int(row, "commitments")));
  }
  return out;
}

std::vector<std::string> Aggregate(const ProgrammeState& s, std::vector<std::string> dims) {
  std::string error = "stale";
  Value rows = FundingAggregate(s, dims, &error);
  BOOST_TEST(error.empty());
  return Rows(rows);
}

using Strings = std::vector<std::string>;

}  // namespace

// ---------------------------------------------------------------------------
BOOST_AUTO_TEST_SUITE(entities)

BOOST_AUTO_TEST_CASE(member) {
  Member m{"TL", {"Timor-Leste", "东帝汶"}, 42, kT0};
  BOOST_TEST(Json(ToValue(m)) ==
             R"({"admitted_at":"2012-03-01T09:00:00Z","admitted_seq":42,"country":"TL",)"
             R"("name":{"en":"Timor-Leste","zh":"东帝汶"}})");
}

BOOST_AUTO_TEST_CASE(text_without_zh_omits_it) {
  Member m{"TH", {"Thailand", ""}, 0, kT0};
  BOOST_TEST(Json(At(ToValue(m), "name")) == R"({"en":"Thailand"})");
}

BOOST_AUTO_TEST_CASE(body) {
  Body b{"jc", "joint_committee", {"Joint Committee", ""}, "", "", false, 0};
  BOOST_TEST(Json(ToValue(b)) ==
             R"({"body_id":"jc","constituted_seq":0,"country":null,"dissolved":false,)"
             R"("kind":"joint_committee","name":{"en":"Joint Committee"},"parent_id":null})");
  Body m{"cn-th", "bilateral_mechanism", {"CN-TH", ""}, "jc", "TH", true, 9};
  Value v = ToValue(m);
  BOOST_TEST(Str(v, "parent_id") == "jc");
  BOOST_TEST(Str(v, "country") == "TH");
  BOOST_TEST(At(v, "dissolved").as_bool());
  BOOST_TEST(Int(v, "constituted_seq") == 9);
}

BOOST_AUTO_TEST_CASE(officer) {
  Officer o{"o1", "jc", "co_chair_cn", {"Li", "李"}, "CN", true, 0, std::nullopt};
  BOOST_TEST(Json(ToValue(o)) ==
             R"({"active":true,"appointed_seq":0,"body_id":"jc","country":"CN",)"
             R"("name":{"en":"Li","zh":"李"},"officer_id":"o1","removed_seq":null,)"
             R"("role":"co_chair_cn"})");
  o.active = false;
  o.removed_seq = 12;
  Value v = ToValue(o);
  BOOST_TEST(!At(v, "active").as_bool());
  BOOST_TEST(Int(v, "removed_seq") == 12);
}

BOOST_AUTO_TEST_CASE(key) {
  Key k;
  k.key_id = std::string(64, 'a');
  for (std::size_t i = 0; i < k.public_key.size(); ++i) {
    k.public_key[i] = static_cast<std::uint8_t>(i);
  }
  k.officer_id = "o1";
  k.registered_seq = 0;
  k.registered_at = kT0;
  Value v = ToValue(k);
  BOOST_TEST(Str(v, "key_id") == k.key_id);
  BOOST_TEST(Str(v, "public_key") == ToBase64(k.public_key));
  BOOST_TEST(Str(v, "public_key") == "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=");
  BOOST_TEST(Str(v, "officer_id") == "o1");
  BOOST_TEST(Str(v, "status") == "active");
  BOOST_TEST(Int(v, "registered_seq") == 0);
  BOOST_TEST(Str(v, "registered_at") == "2012-03-01T09:00:00Z");
  BOOST_TEST(At(v, "ended_seq").is_null());
  BOOST_TEST(At(v, "ended_at").is_null());
  BOOST_TEST(At(v, "replaced_by").is_null());
  BOOST_TEST(Keys(v) == (Strings{"ended_at", "ended_seq", "key_id", "officer_id", "public_key",
                                 "registered_at", "registered_seq", "replaced_by", "status"}),
             boost::test_tools::per_element());

  k.status = Key::Status::kRotated;
  k.ended_seq = 30;
  k.ended_at = kT0 + 250;
  k.replaced_by = std::string(64, 'b');
  v = ToValue(k);
  BOOST_TEST(Str(v, "status") == "rotated");
  BOOST_TEST(Int(v, "ended_seq") == 30);
  BOOST_TEST(Str(v, "ended_at") == "2012-03-01T09:00:00.250Z");
  BOOST_TEST(Str(v, "replaced_by") == std::string(64, 'b'));
  k.status = Key::Status::kRevoked;
  BOOST_TEST(Str(ToValue(k), "status") == "revoked");
}

BOOST_AUTO_TEST_CASE(policy) {
  Policy p{"jc-projects", "jc", {"project.approved", "project.*"}, 2, {"co_chair_cn"}, std::nullopt,
           true,          3};
  BOOST_TEST(Json(ToValue(p)) ==
             R"({"adopted_seq":3,"body_id":"jc","ceiling":null,"in_force":true,)"
             R"("min_signatures":2,"policy_id":"jc-projects",)"
             R"("required_roles":["co_chair_cn"],"types":["project.approved","project.*"]})");
  p.ceiling = Money{5000000000, "CNY"};
  p.in_force = false;
  Value v = ToValue(p);
  BOOST_TEST(Json(At(v, "ceiling")) == R"({"amount":5000000000,"currency":"CNY"})");
  BOOST_TEST(!At(v, "in_force").as_bool());
}

BOOST_AUTO_TEST_CASE(meeting_and_resolution) {
  Meeting m{"jc-2012", "jc", "2012-03-01", "Nanning", {"Seventh meeting", "第七次会议"}, 4};
  BOOST_TEST(
      Json(ToValue(m)) ==
      R"({"body_id":"jc","held_on":"2012-03-01","location":"Nanning",)"
      R"("meeting_id":"jc-2012","seq":4,"title":{"en":"Seventh meeting","zh":"第七次会议"}})");
  Resolution r{"r1", "jc-2012", "jc", {"Adopts the plan", ""}, {"d1", "d2"}, 6};
  BOOST_TEST(Json(ToValue(r)) ==
             R"({"adopts":["d1","d2"],"body_id":"jc","meeting_id":"jc-2012",)"
             R"("resolution_id":"r1","seq":6,"title":{"en":"Adopts the plan"}})");
}

BOOST_AUTO_TEST_CASE(project) {
  Project p = MakeProject("P1", "B1", "M4", {"TH", "VN"});
  Value v = ToValue(p);
  BOOST_TEST(Str(v, "project_id") == "P1");
  BOOST_TEST(Json(At(v, "title")) == R"({"en":"Project P1"})");
  BOOST_TEST(Str(v, "priority_area") == "B1");
  BOOST_TEST(Str(v, "mode") == "M4");
  BOOST_TEST(Json(At(v, "lead_institution")) == R"({"en":"Institute","zh":"研究所"})");
  BOOST_TEST(Json(At(v, "partners")) ==
             R"([{"country":"TH","institution":{"en":"Partner in TH"}},)"
             R"({"country":"VN","institution":{"en":"Partner in VN"}}])");
  BOOST_TEST(Json(At(v, "proposed_budget")) == R"({"amount":1000,"currency":"CNY"})");
  BOOST_TEST(At(v, "approved_budget").is_null());
  BOOST_TEST(Str(v, "start_date") == "2012-01-01");
  BOOST_TEST(Str(v, "end_date") == "2014-12-31");
  BOOST_TEST(Str(v, "status") == "active");
  BOOST_TEST(At(v, "milestones").as_array().empty());
  BOOST_TEST(At(v, "evaluation").is_null());
  BOOST_TEST(Int(v, "year") == 2012);
  BOOST_TEST(Int(v, "proposed_seq") == 5);
  BOOST_TEST(Int(v, "last_seq") == 7);
  BOOST_TEST(Str(v, "last_issued_at") == "2012-03-01T09:00:00Z");
  BOOST_TEST(v.as_object().size() == 17u);

  p.approved_budget = Money{900, "CNY"};
  p.milestones.push_back({"prototype", "first prototype", "2013-06-30", 8});
  p.evaluation = Evaluation{"good", "met its aims", 9};
  v = ToValue(p);
  BOOST_TEST(Json(At(v, "approved_budget")) == R"({"amount":900,"currency":"CNY"})");
  BOOST_TEST(Json(At(v, "milestones")) ==
             R"([{"name":"prototype","reached_on":"2013-06-30","seq":8,)"
             R"("summary":"first prototype"}])");
  BOOST_TEST(Json(At(v, "evaluation")) == R"({"rating":"good","seq":9,"summary":"met its aims"})");
}

BOOST_AUTO_TEST_CASE(commitment) {
  Commitment c = MakeCommitment("C1", "P1", "cn_government", "CN", "CNY", 1000, 2012);
  c.tranches.push_back({"T1", 500, "2012-05-01", 11});
  Value v = ToValue(c);
  BOOST_TEST(Json(v) ==
             R"({"closed":false,"commitment_id":"C1","committed":1000,"committed_seq":10,)"
             R"("currency":"CNY","disbursed":500,"last_issued_at":"2012-03-01T09:00:00Z",)"
             R"("last_seq":11,"party":"CN","party_name":null,"project_id":"P1","returned":100,)"
             R"("source":"cn_government","spent":250,"tranches":[{"amount":500,)"
             R"("disbursed_on":"2012-05-01","seq":11,"tranche_id":"T1"}],"year":2012})");

  Commitment p = MakeCommitment("C2", "P1", "private", "Acme", "USD", 80, 2013);
  p.party_name.zh = "阿克米";
  p.closed = true;
  v = ToValue(p);
  BOOST_TEST(At(v, "party").is_null());
  BOOST_TEST(Json(At(v, "party_name")) == R"({"en":"Acme","zh":"阿克米"})");
  BOOST_TEST(At(v, "closed").as_bool());
}

BOOST_AUTO_TEST_CASE(partnership) {
  Partnership p;
  p.id = "lab-1";
  p.kind = "joint_laboratory";
  p.name = {"Joint Lab", "联合实验室"};
  p.countries = {"CN", "TH"};
  p.institutions = {{"CAS", ""}, {"NSTDA", ""}};
  p.established_on = "2013-01-01";
  p.status = "active";
  p.established_seq = 14;
  p.last_seq = 15;
  p.last_issued_at = kT0;
  BOOST_TEST(Json(ToValue(p)) ==
             R"({"countries":["CN","TH"],"established_on":"2013-01-01","established_seq":14,)"
             R"("institutions":[{"en":"CAS"},{"en":"NSTDA"}],"kind":"joint_laboratory",)"
             R"("last_issued_at":"2012-03-01T09:00:00Z","last_seq":15,)"
             R"("name":{"en":"Joint Lab","zh":"联合实验室"},"partnership_id":"lab-1",)"
             R"("status":"active","until":null})");
  p.until = "2018-01-01";
  BOOST_TEST(Str(ToValue(p), "until") == "2018-01-01");
}

// Every view stays inside the Value domain, so it round-trips through the
// strict parser (object keys are identifiers, integers in range).
BOOST_AUTO_TEST_CASE(views_parse_back) {
  ProgrammeState s = FundingState();
  s.partnerships["x"] = Partnership{
      "x", "forum", {"Forum", "论坛"}, {"CN"}, {}, "2012-01-01", "", "active", 1, 1, kT0};
  for (const Value& v :
       {ToValue(s.projects.at("P1")), ToValue(s.commitments.at("C4")), Summary(s),
        FundingAggregate(s, {"country", "party", "year"}), Diff(ProgrammeState{}, s)}) {
    auto parsed = ledger::ParseJson(Json(v), {64, 1 << 20});
    BOOST_TEST_REQUIRE(parsed.ok());
    BOOST_TEST(Json(*parsed) == Json(v));
  }
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------------------
BOOST_AUTO_TEST_SUITE(summary)

BOOST_AUTO_TEST_CASE(empty_state) {
  Value v = Summary(ProgrammeState{});
  BOOST_TEST(Int(v, "size") == 0);
  BOOST_TEST(At(v, "as_of").is_null());
  BOOST_TEST(At(v, "programme").is_null());
  BOOST_TEST(Int(v, "members") == 0);
  BOOST_TEST(Json(At(v, "keys")) ==
             R"({"by_status":{"active":0,"revoked":0,"rotated":0},"total":0})");
  BOOST_TEST(Json(At(v, "funding")) == R"({"by_currency":{},"commitments":0})");
}

BOOST_AUTO_TEST_CASE(counts) {
  ProgrammeState s = FundingState();
  s.last_recorded_at = kT0;
  s.programme = {"China-ASEAN S&T Partnership Programme", "中国-东盟科技伙伴计划"};
  for (const char* c : {"CN", "TH", "VN", "MY"}) s.members[c] = Member{c, {c, ""}, 0, kT0};
  s.bodies["jc"] = Body{"jc", "joint_committee", {"JC", ""}, "", "", false, 0};
  s.bodies["wg1"] = Body{"wg1", "working_group", {"WG1", ""}, "sec", "", true, 3};
  s.bodies["wg2"] = Body{"wg2", "working_group", {"WG2", ""}, "sec", "", false, 4};
  s.officers["o1"] = Officer{"o1", "jc", "co_chair_cn", {"A", ""}, "CN", true, 0, std::nullopt};
  s.officers["o2"] = Officer{"o2", "wg1", "lead", {"B", ""}, "TH", false, 3, 5};
  s.keys["k1"].status = Key::Status::kActive;
  s.keys["k2"].status = Key::Status::kRotated;
  s.keys["k3"].status = Key::Status::kActive;
  s.policies["p1"].in_force = true;
  s.policies["p2"].in_force = false;
  s.meetings["m1"].id = "m1";
  s.projects["P3"] = MakeProject("P3", "B1", "M1", {"VN"});
  s.projects["P3"].status = "proposed";
  s.partnerships["l1"].kind = "joint_laboratory";
  s.partnerships["l1"].status = "active";
  s.partnerships["l2"].kind = "forum";
  s.partnerships["l2"].status = "dissolved";
  s.partnerships["l3"].kind = "joint_laboratory";
  s.partnerships["l3"].status = "active";

  Value v = Summary(s);
  BOOST_TEST(Int(v, "size") == 20);
  BOOST_TEST(Str(v, "as_of") == "2012-03-01T09:00:00Z");
  BOOST_TEST(Str(At(v, "programme"), "zh") == "中国-东盟科技伙伴计划");
  BOOST_TEST(Int(v, "members") == 4);
  BOOST_TEST(Json(At(v, "bodies")) ==
             R"({"by_kind":{"joint_committee":1,"working_group":2},"dissolved":1,"total":3})");
  BOOST_TEST(Json(At(v, "officers")) == R"({"active":1,"total":2})");
  BOOST_TEST(Json(At(v, "keys")) ==
             R"({"by_status":{"active":2,"revoked":0,"rotated":1},"total":3})");
  BOOST_TEST(Json(At(v, "policies")) == R"({"in_force":1,"total":2})");
  BOOST_TEST(Int(v, "meetings") == 1);
  BOOST_TEST(Int(v, "resolutions") == 0);
  BOOST_TEST(Json(At(v, "projects")) ==
             R"({"by_mode":{"M1":1,"M4":1,"M6":1},"by_priority_area":{"A4":1,"B1":2},)"
             R"("by_status":{"active":2,"proposed":1},"total":3})");
  BOOST_TEST(Json(At(v, "partnerships")) == R"({"by_kind":{"forum":1,"joint_laboratory":2},)"
                                            R"("by_status":{"active":2,"dissolved":1},"total":3})");
  // CNY: C1 1000 + C3 300 + C4 200; never mixed with THB or USD.
  BOOST_TEST(
      Json(At(v, "funding")) ==
      R"({"by_currency":{)"
      R"("CNY":{"commitments":3,"committed":1500,"disbursed":750,"returned":150,"spent":375},)"
      R"("THB":{"commitments":1,"committed":500,"disbursed":250,"returned":50,"spent":125},)"
      R"("USD":{"commitments":1,"committed":80,"disbursed":40,"returned":8,"spent":20}},)"
      R"("commitments":5})");
  // Stable: the same state gives the same bytes.
  BOOST_TEST(Json(Summary(s)) == Json(v));
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------------------
BOOST_AUTO_TEST_SUITE(funding)

BOOST_AUTO_TEST_CASE(no_dimension_is_by_currency) {
  BOOST_TEST(Aggregate(FundingState(), {}) ==
                 (Strings{R"({"currency":"CNY"}=1500/3)", R"({"currency":"THB"}=500/1)",
                          R"({"currency":"USD"}=80/1)"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(row_fields) {
  Value rows = FundingAggregate(FundingState(), {"currency"});
  BOOST_TEST_REQUIRE(rows.as_array().size() == 3u);
  BOOST_TEST(Json(rows.as_array()[0]) ==
             R"({"commitments":3,"committed":1500,"disbursed":750,"group":{"currency":"CNY"},)"
             R"("returned":150,"spent":375})");
}

BOOST_AUTO_TEST_CASE(source) {
  // Currency is added implicitly: cn_government and private each span two currencies.
  BOOST_TEST(Aggregate(FundingState(), {"source"}) ==
                 (Strings{R"({"currency":"CNY","source":"cn_government"}=1300/2)",
                          R"({"currency":"THB","source":"partner_government"}=500/1)",
                          R"({"currency":"CNY","source":"private"}=200/1)",
                          R"({"currency":"USD","source":"private"}=80/1)"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(party) {
  BOOST_TEST(Aggregate(FundingState(), {"party", "currency"}) ==
                 (Strings{R"({"currency":"CNY","party":"Acme"}=200/1)",
                          R"({"currency":"USD","party":"Acme"}=80/1)",
                          R"({"currency":"CNY","party":"CN"}=1300/2)",
                          R"({"currency":"THB","party":"TH"}=500/1)"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(country_counts_once_per_distinct_country) {
  // P1's partners are TH, VN, TH: C1, C2 and C5 count once in TH and once in VN.
  BOOST_TEST(Aggregate(FundingState(), {"country", "currency"}) ==
                 (Strings{R"({"country":"MY","currency":"CNY"}=500/2)",
                          R"({"country":"TH","currency":"CNY"}=1000/1)",
                          R"({"country":"TH","currency":"THB"}=500/1)",
                          R"({"country":"TH","currency":"USD"}=80/1)",
                          R"({"country":"VN","currency":"CNY"}=1000/1)",
                          R"({"country":"VN","currency":"THB"}=500/1)",
                          R"({"country":"VN","currency":"USD"}=80/1)"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(priority_area_and_mode) {
  BOOST_TEST(Aggregate(FundingState(), {"priority_area"}) ==
                 (Strings{R"({"currency":"CNY","priority_area":"A4"}=500/2)",
                          R"({"currency":"CNY","priority_area":"B1"}=1000/1)",
                          R"({"currency":"THB","priority_area":"B1"}=500/1)",
                          R"({"currency":"USD","priority_area":"B1"}=80/1)"}),
             boost::test_tools::per_element());
  BOOST_TEST(
      Aggregate(FundingState(), {"mode", "currency"}) ==
          (Strings{
              R"({"currency":"CNY","mode":"M4"}=1000/1)", R"({"currency":"THB","mode":"M4"}=500/1)",
              R"({"currency":"USD","mode":"M4"}=80/1)", R"({"currency":"CNY","mode":"M6"}=500/2)"}),
      boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(year_is_an_integer_sorted_numerically) {
  ProgrammeState s = FundingState();
  s.commitments["C6"] = MakeCommitment("C6", "P2", "cn_government", "CN", "CNY", 7, 999);
  BOOST_TEST(
      Aggregate(s, {"year", "currency"}) ==
          (Strings{
              R"({"currency":"CNY","year":999}=7/1)", R"({"currency":"CNY","year":2012}=1000/1)",
              R"({"currency":"THB","year":2012}=500/1)", R"({"currency":"CNY","year":2013}=500/2)",
              R"({"currency":"USD","year":2013}=80/1)"}),
      boost::test_tools::per_element());
  Value rows = FundingAggregate(s, {"year"});
  BOOST_TEST(At(At(rows.as_array()[0], "group"), "year").as_int() == 999);
}

BOOST_AUTO_TEST_CASE(combinations) {
  // Rows sort by the dimensions in the order asked for.
  BOOST_TEST(Aggregate(FundingState(), {"currency", "source", "year"}) ==
                 (Strings{R"({"currency":"CNY","source":"cn_government","year":2012}=1000/1)",
                          R"({"currency":"CNY","source":"cn_government","year":2013}=300/1)",
                          R"({"currency":"CNY","source":"private","year":2013}=200/1)",
                          R"({"currency":"THB","source":"partner_government","year":2012}=500/1)",
                          R"({"currency":"USD","source":"private","year":2013}=80/1)"}),
             boost::test_tools::per_element());
  // Country with source, currency implicit and last.
  BOOST_TEST(
      Aggregate(FundingState(), {"source", "country"}) ==
          (Strings{R"({"country":"MY","currency":"CNY","source":"cn_government"}=300/1)",
                   R"({"country":"TH","currency":"CNY","source":"cn_government"}=1000/1)",
                   R"({"country":"VN","currency":"CNY","source":"cn_government"}=1000/1)",
                   R"({"country":"TH","currency":"THB","source":"partner_government"}=500/1)",
                   R"({"country":"VN","currency":"THB","source":"partner_government"}=500/1)",
                   R"({"country":"MY","currency":"CNY","source":"private"}=200/1)",
                   R"({"country":"TH","currency":"USD","source":"private"}=80/1)",
                   R"({"country":"VN","currency":"USD","source":"private"}=80/1)"}),
      boost::test_tools::per_element());
  // Every dimension at once.
  Value all = FundingAggregate(
      FundingState(), {"source", "party", "country", "priority_area", "mode", "year", "currency"});
  BOOST_TEST(all.as_array().size() == 8u);  // C1, C2, C5 twice (TH, VN); C3, C4 once (MY)
  BOOST_TEST(
      Keys(At(all.as_array()[0], "group")) ==
          (Strings{"country", "currency", "mode", "party", "priority_area", "source", "year"}),
      boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(amounts_of_every_kind_are_summed) {
  Value rows = FundingAggregate(FundingState(), {"source", "currency"});
  const Value& cn = rows.as_array()[0];  // cn_government CNY: C1 + C3
  BOOST_TEST(Str(At(cn, "group"), "source") == "cn_government");
  BOOST_TEST(Int(cn, "committed") == 1300);
  BOOST_TEST(Int(cn, "disbursed") == 500 + 150);
  BOOST_TEST(Int(cn, "returned") == 100 + 30);
  BOOST_TEST(Int(cn, "spent") == 250 + 75);
  BOOST_TEST(Int(cn, "commitments") == 2);
}

BOOST_AUTO_TEST_CASE(missing_project_groups_under_null) {
  ProgrammeState s = FundingState();
  s.commitments["C9"] = MakeCommitment("C9", "nope", "cn_government", "CN", "CNY", 9, 2012);
  s.projects["P2"].partners.clear();
  BOOST_TEST(Aggregate(s, {"country", "priority_area", "currency"}) ==
                 (Strings{R"({"country":null,"currency":"CNY","priority_area":null}=9/1)",
                          R"({"country":null,"currency":"CNY","priority_area":"A4"}=500/2)",
                          R"({"country":"TH","currency":"CNY","priority_area":"B1"}=1000/1)",
                          R"({"country":"TH","currency":"THB","priority_area":"B1"}=500/1)",
                          R"({"country":"TH","currency":"USD","priority_area":"B1"}=80/1)",
                          R"({"country":"VN","currency":"CNY","priority_area":"B1"}=1000/1)",
                          R"({"country":"VN","currency":"THB","priority_area":"B1"}=500/1)",
                          R"({"country":"VN","currency":"USD","priority_area":"B1"}=80/1)"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(bad_dimensions) {
  std::string error;
  Value rows = FundingAggregate(FundingState(), {"source", "colour"}, &error);
  BOOST_TEST(rows.as_array().empty());
  BOOST_TEST(error.find("colour") != std::string::npos);
  error.clear();
  rows = FundingAggregate(FundingState(), {"year", "year"}, &error);
  BOOST_TEST(rows.as_array().empty());
  BOOST_TEST(error.find("twice") != std::string::npos);
  // No error pointer: still an empty result, no crash.
  BOOST_TEST(FundingAggregate(FundingState(), {"colour"}).as_array().empty());
}

BOOST_AUTO_TEST_CASE(speed_of_100k_commitments) {
  ProgrammeState s;
  const char* countries[] = {"BN", "KH", "ID", "LA", "MY", "MM", "PH", "SG", "TH", "VN", "TL"};
  const char* currencies[] = {"CNY", "USD", "THB"};
  const char* sources[] = {"cn_government", "partner_government", "private"};
  for (int i = 0; i < 60000; ++i) {
    const std::string id = "P-" + std::to_string(i);
    s.projects[id] = MakeProject(id, (i % 2 ? "B" : "A") + std::to_string(1 + i % 6),
                                 "M" + std::to_string(1 + i % 7),
                                 {countries[i % 11], countries[(i * 7 + 3) % 11]});
  }
  for (int i = 0; i < 100000; ++i) {
    const std::string id = "C-" + std::to_string(i);
    s.commitments[id] =
        MakeCommitment(id, "P-" + std::to_string((i * 13) % 60000), sources[i % 3],
                       i % 3 == 2 ? "Firm " + std::to_string(i % 50) : countries[i % 11],
                       currencies[i % 3], 1000 + i, 2012 + i % 14);
  }
  std::int64_t total = 0;
  for (const auto& dims : std::vector<Strings>{
           {"currency"}, {"country", "year"}, {"source", "party", "priority_area", "mode"}}) {
    const auto start = std::chrono::steady_clock::now();
    Value rows = FundingAggregate(s, dims);
    const auto ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    BOOST_TEST_MESSAGE("FundingAggregate over 100k commitments / 60k projects by "
                       << Json(Value(Value::Array(dims.begin(), dims.end()))) << ": "
                       << rows.as_array().size() << " rows in " << ms << " ms");
    if (dims.size() == 1) {
      for (const Value& row : rows.as_array()) total += Int(row, "commitments");
    }
  }
  BOOST_TEST(total == 100000);
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------------------
BOOST_AUTO_TEST_SUITE(diff)

BOOST_AUTO_TEST_CASE(equal_states_give_an_empty_diff) {
  ProgrammeState s = FundingState();
  BOOST_TEST(Json(Diff(s, s)) == R"({"changes":{},"counts":{},"from":20,"to":20})");
  BOOST_TEST(Json(Diff(ProgrammeState{}, ProgrammeState{})) ==
             R"({"changes":{},"counts":{},"from":0,"to":0})");
}

BOOST_AUTO_TEST_CASE(added_removed_changed) {
  ProgrammeState before = FundingState();
  before.members["TH"] = Member{"TH", {"Thailand", ""}, 0, kT0};
  ProgrammeState after = before;
  after.size = 23;
  after.members["TL"] = Member{"TL", {"Timor-Leste", ""}, 21, kT0};
  after.projects.erase("P2");
  after.projects["P0"] = MakeProject("P0", "B9", "M5", {"SG"});
  after.projects["P1"].status = "completed";
  after.projects["P1"].last_seq = 22;
  after.commitments["C3"].disbursed = 300;

  Value d = Diff(before, after);
  BOOST_TEST(Int(d, "from") == 20);
  BOOST_TEST(Int(d, "to") == 23);
  BOOST_TEST(d.find("programme") == nullptr);
  const Value& changes = At(d, "changes");
  BOOST_TEST(Keys(changes) == (Strings{"commitments", "members", "projects"}),
             boost::test_tools::per_element());

  BOOST_TEST(Json(At(changes, "members")) ==
             "{\"added\":[" + Json(ToValue(after.members["TL"])) + "]}");
  const Value& projects = At(changes, "projects");
  BOOST_TEST(Json(At(projects, "added")) == "[" + Json(ToValue(after.projects["P0"])) + "]");
  BOOST_TEST(Json(At(projects, "removed")) == "[" + Json(ToValue(before.projects["P2"])) + "]");
  const Value& changed = At(projects, "changed");
  BOOST_TEST_REQUIRE(changed.as_array().size() == 1u);
  BOOST_TEST(Str(changed.as_array()[0], "id") == "P1");
  BOOST_TEST(Json(At(changed.as_array()[0], "before")) == Json(ToValue(before.projects["P1"])));
  BOOST_TEST(Json(At(changed.as_array()[0], "after")) == Json(ToValue(after.projects["P1"])));
  const Value& commitments = At(changes, "commitments");
  BOOST_TEST(Keys(commitments) == (Strings{"changed"}), boost::test_tools::per_element());
  BOOST_TEST(Str(At(commitments, "changed").as_array()[0], "id") == "C3");

  BOOST_TEST(Json(At(d, "counts")) == R"({"commitments":{"added":0,"changed":1,"removed":0},)"
                                      R"("members":{"added":1,"changed":0,"removed":0},)"
                                      R"("projects":{"added":1,"changed":1,"removed":1}})");
}

BOOST_AUTO_TEST_CASE(merge_order_with_interleaved_ids) {
  ProgrammeState before, after;
  for (const char* id : {"a", "c", "e", "g"}) before.meetings[id].id = id;
  for (const char* id : {"b", "c", "d", "g", "h"}) after.meetings[id].id = id;
  after.meetings["g"].location = "Hanoi";
  Value d = Diff(before, after);
  const Value& m = At(At(d, "changes"), "meetings");
  auto ids = [](const Value& list, const char* key) {
    Strings out;
    for (const Value& v : list.as_array()) out.push_back(Str(v, key));
    return out;
  };
  BOOST_TEST(ids(At(m, "added"), "meeting_id") == (Strings{"b", "d", "h"}),
             boost::test_tools::per_element());
  BOOST_TEST(ids(At(m, "removed"), "meeting_id") == (Strings{"a", "e"}),
             boost::test_tools::per_element());
  BOOST_TEST(ids(At(m, "changed"), "id") == (Strings{"g"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(every_collection_and_the_programme) {
  ProgrammeState before;
  ProgrammeState after;
  after.programme = {"Programme", ""};
  after.members["CN"].country = "CN";
  after.bodies["jc"].id = "jc";
  after.officers["o"].id = "o";
  after.keys["k"].key_id = "k";
  after.policies["p"].id = "p";
  after.meetings["m"].id = "m";
  after.resolutions["r"].id = "r";
  after.projects["P"].id = "P";
  after.commitments["C"].id = "C";
  after.partnerships["X"].id = "X";
  Value d = Diff(before, after);
  BOOST_TEST(Keys(At(d, "counts")) ==
                 (Strings{"bodies", "commitments", "keys", "meetings", "members", "officers",
                          "partnerships", "policies", "projects", "resolutions"}),
             boost::test_tools::per_element());
  for (const auto& [name, counts] : At(d, "counts").as_object()) {
    BOOST_TEST(Int(counts, "added") == 1, name);
  }
  BOOST_TEST(Json(At(d, "programme")) == R"({"after":{"en":"Programme"},"before":{"en":""}})");
  // Backwards, everything is removed.
  Value back = Diff(after, before);
  for (const auto& [name, counts] : At(back, "counts").as_object()) {
    BOOST_TEST(Int(counts, "removed") == 1, name);
  }
}

BOOST_AUTO_TEST_SUITE_END()
