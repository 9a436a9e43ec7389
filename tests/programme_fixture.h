// Decisions of a small test programme, shared by the rules and Programme tests.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "crypto/hash.h"
#include "ledger/decision.h"
#include "ledger/time.h"

namespace pl::test {

using ledger::Value;

// The officers of the test programme, each with a key derived from its name.
struct Officers {
  std::map<std::string, crypto::PrivateKey> keys;
  const crypto::PrivateKey& operator[](const std::string& officer) {
    auto it = keys.find(officer);
    if (it == keys.end()) {
      const auto seed = crypto::Sha256(AsBytes("rules-test " + officer));
      it = keys.emplace(officer, *crypto::PrivateKey::FromSeed(seed)).first;
    }
    return it->second;
  }
  Value KeyEntry(const std::string& officer) {
    const auto& pub = (*this)[officer].public_key();
    return Value(Value::Object{
        {"key_id", pub.key_id()}, {"officer_id", officer}, {"public_key", ToBase64(pub.raw())}});
  }
};

inline Value Name(const std::string& en) { return Value(Value::Object{{"en", en}}); }

inline Value OfficerValue(const std::string& id, const std::string& body, const std::string& role,
                          const std::string& country) {
  return Value(Value::Object{{"body_id", body},
                             {"country", country},
                             {"name", Name(id)},
                             {"officer_id", id},
                             {"role", role}});
}

inline Value PolicyValue(const std::string& id, const std::string& body,
                         std::vector<std::string> types, int min, std::vector<std::string> roles,
                         std::optional<std::int64_t> ceiling) {
  Value::Array t, r;
  for (auto& x : types) t.emplace_back(x);
  for (auto& x : roles) r.emplace_back(x);
  return Value(Value::Object{
      {"body_id", body},
      {"ceiling",
       ceiling ? Value(Value::Object{{"amount", *ceiling}, {"currency", "CNY"}}) : Value()},
      {"min_signatures", min},
      {"policy_id", id},
      {"required_roles", Value(std::move(r))},
      {"types", Value(std::move(t))}});
}

inline Value MoneyValue(std::int64_t amount, const std::string& currency = "CNY") {
  return Value(Value::Object{{"amount", amount}, {"currency", currency}});
}

// The payload of the test programme's genesis: CN, TH, VN, MY; the Joint
// Committee, Joint Conference and Secretariat; five officers; three policies
// ("jc": governance and big project decisions, both co-chairs; "sec":
// projects, funding, partnerships up to CNY 5,000,000.00; "conf": funding).
inline Value::Object GenesisPayload(Officers& officers) {
  Value::Array members, bodies, people, keys, policies;
  for (const char* c : {"CN", "TH", "VN", "MY"}) {
    members.emplace_back(Value::Object{{"country", c}, {"name", Name(c)}});
  }
  for (auto [id, kind] : {std::pair{"joint-committee", "joint_committee"},
                          {"joint-conference", "joint_conference"},
                          {"secretariat", "secretariat"}}) {
    bodies.emplace_back(Value::Object{{"body_id", id}, {"kind", kind}, {"name", Name(id)}});
  }
  people = {OfficerValue("jc-cn", "joint-committee", "co_chair_cn", "CN"),
            OfficerValue("jc-asean", "joint-committee", "co_chair_asean", "TH"),
            OfficerValue("sec-head", "secretariat", "secretary_general", "CN"),
            OfficerValue("sec-deputy", "secretariat", "deputy", "VN"),
            OfficerValue("conf-chair", "joint-conference", "chair", "CN")};
  for (const char* o : {"jc-cn", "jc-asean", "sec-head", "sec-deputy", "conf-chair"}) {
    keys.push_back(officers.KeyEntry(o));
  }
  policies = {
      PolicyValue("jc", "joint-committee",
                  {"governance.*", "project.approved", "project.rejected", "project.terminated"}, 2,
                  {"co_chair_cn", "co_chair_asean"}, std::nullopt),
      PolicyValue("sec", "secretariat", {"project.*", "funding.*", "partnership.*"}, 1, {},
                  500000000),
      PolicyValue("conf", "joint-conference", {"funding.*"}, 1, {}, std::nullopt)};
  return Value::Object{{"bodies", Value(bodies)},     {"keys", Value(keys)},
                       {"members", Value(members)},   {"officers", Value(people)},
                       {"policies", Value(policies)}, {"programme", Name("China-ASEAN STEP")}};
}

inline Value::Object Proposal(const std::string& id, std::int64_t budget = 100000000,
                              const std::string& partner = "TH") {
  return Value::Object{{"budget", MoneyValue(budget)},
                       {"end_date", "2015-12-31"},
                       {"lead_institution", Name("Institute of Remote Sensing")},
                       {"mode", "M5"},
                       {"partners", Value(Value::Array{Value(Value::Object{
                                        {"country", partner}, {"institution", Name("GISTDA")}})})},
                       {"priority_area", "B10"},
                       {"project_id", id},
                       {"start_date", "2013-01-01"},
                       {"title", Name("Joint Laboratory for Remote Sensing")}};
}

// Signs decisions of the test programme: ids "d-0", "d-1", ..., each issued
// `step` milliseconds after the one before, from 2012-03-01T09:00:00Z.
struct DecisionMaker {
  Officers officers;
  int counter = 0;
  ledger::Timestamp clock = 1330592400000;
  ledger::Timestamp step = 60000;

  ledger::SignedDecision Make(const std::string& type, const std::string& body,
                              Value::Object payload, const std::vector<std::string>& signers) {
    ledger::SignedDecision d;
    d.decision.id = "d-" + std::to_string(counter++);
    d.decision.type = type;
    d.decision.body = body;
    d.decision.issued_at = clock += step;
    d.decision.payload = Value(std::move(payload));
    for (const auto& o : signers) ledger::Sign(&d, officers[o]);
    return d;
  }
  ledger::SignedDecision Genesis() {
    return Make("governance.genesis", "joint-committee", GenesisPayload(officers),
                {"jc-cn", "jc-asean"});
  }
  ledger::SignedDecision Propose(const std::string& id, const std::string& signer = "sec-head") {
    return Make("project.proposed", "secretariat", Proposal(id), {signer});
  }
};

}  // namespace pl::test
