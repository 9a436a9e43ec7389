// The demo history: deterministic, well formed, complete, and accepted in
// full by the rules (docs/demo.md, docs/events.md).
#define BOOST_TEST_MODULE demo
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "demo_history.h"
#include "ledger/time.h"
#include "projections/programme.h"
#include "test_util.h"

namespace {

using pl::ctl::DemoHistory;
using pl::ctl::DemoOptions;
using pl::ledger::SignedDecision;
using pl::ledger::Value;

// The catalogue of docs/events.md.
const std::vector<std::string> kCatalogue = {
    "governance.genesis",
    "governance.body_constituted",
    "governance.body_dissolved",
    "governance.member_admitted",
    "governance.officer_appointed",
    "governance.officer_removed",
    "governance.key_registered",
    "governance.key_revoked",
    "governance.key_rotated",
    "governance.policy_adopted",
    "governance.policy_repealed",
    "governance.meeting_held",
    "governance.resolution_adopted",
    "project.proposed",
    "project.approved",
    "project.rejected",
    "project.started",
    "project.milestone_reported",
    "project.amended",
    "project.suspended",
    "project.resumed",
    "project.completed",
    "project.terminated",
    "project.evaluated",
    "funding.committed",
    "funding.disbursed",
    "funding.reduced",
    "funding.cancelled",
    "funding.returned",
    "funding.expenditure_reported",
    "partnership.established",
    "partnership.renewed",
    "partnership.amended",
    "partnership.suspended",
    "partnership.resumed",
    "partnership.dissolved",
};

// The first `count` decisions of a history, pulled `step` at a time.
std::vector<SignedDecision> Generate(std::uint64_t seed, std::uint64_t events, std::size_t count,
                                     std::size_t step) {
  DemoHistory history(DemoOptions{seed, events});
  std::vector<SignedDecision> out;
  while (out.size() < count && history.Next(&out, std::min(step, count - out.size())) > 0) {
  }
  return out;
}

std::string Canonical(const SignedDecision& d) {
  return pl::ledger::CanonicalJson(pl::ledger::ToValue(d));
}

const std::string& Str(const Value& v, const char* field) { return v.find(field)->as_string(); }

// The whole 5000-decision history of the default seed, generated once.
const std::vector<SignedDecision>& DefaultHistory() {
  static const std::vector<SignedDecision> history = Generate(2012, 5000, 5000, 1000);
  return history;
}

pl::ledger::Timestamp Time(const char* text) { return *pl::ledger::ParseTimestamp(text); }

}  // namespace

BOOST_AUTO_TEST_CASE(same_seed_same_history) {
  // Pulled in different batch sizes: the history does not depend on them.
  const auto a = Generate(2012, 5000, 3000, 1000);
  const auto b = Generate(2012, 5000, 3000, 7);
  const auto c = Generate(2013, 5000, 3000, 1000);
  BOOST_REQUIRE_EQUAL(a.size(), 3000u);
  BOOST_REQUIRE_EQUAL(b.size(), 3000u);
  std::size_t differing = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    BOOST_REQUIRE_MESSAGE(Canonical(a[i]) == Canonical(b[i]), "decision " << i << " differs");
    differing += Canonical(a[i]) != Canonical(c[i]);
  }
  BOOST_TEST(differing > 2000u);
  // Keys follow from the seed, the officer and the generation only.
  const auto key = DemoHistory::OfficerKey(2012, "jc-co-chair-cn-1", 0);
  BOOST_TEST(key.public_key().key_id() ==
             DemoHistory::OfficerKey(2012, "jc-co-chair-cn-1", 0).public_key().key_id());
  BOOST_TEST(key.public_key().key_id() !=
             DemoHistory::OfficerKey(2012, "jc-co-chair-cn-1", 1).public_key().key_id());
  BOOST_TEST(key.public_key().key_id() !=
             DemoHistory::OfficerKey(2013, "jc-co-chair-cn-1", 0).public_key().key_id());
}

BOOST_AUTO_TEST_CASE(exact_size_shape_and_order) {
  const auto& history = DefaultHistory();
  BOOST_REQUIRE_EQUAL(history.size(), 5000u);
  BOOST_TEST(history.front().decision.type == "governance.genesis");
  BOOST_TEST(history.front().decision.body == "joint-committee");
  BOOST_TEST(pl::ledger::FormatTimestamp(history.front().decision.issued_at).substr(0, 7) ==
             "2012-03");
  BOOST_TEST(history.back().decision.issued_at < Time("2026-11-21T00:00:00Z"));
  std::set<std::string> ids;
  for (std::size_t i = 0; i < history.size(); ++i) {
    const auto& d = history[i].decision;
    BOOST_REQUIRE_MESSAGE(pl::ledger::CheckShape(d).ok(),
                          d.id << ": " << pl::ledger::CheckShape(d).ToString());
    BOOST_REQUIRE_MESSAGE(ids.insert(d.id).second, "decision id " << d.id << " repeated");
    BOOST_REQUIRE(!history[i].signatures.empty());
    if (i > 0) {
      BOOST_REQUIRE_MESSAGE(d.issued_at > history[i - 1].decision.issued_at,
                            d.id << " is not issued after " << history[i - 1].decision.id);
    }
  }

  DemoHistory counted(DemoOptions{7, 1234});
  std::vector<SignedDecision> all;
  while (counted.Next(&all, 500) > 0) {
  }
  BOOST_TEST(all.size() == 1234u);
  BOOST_TEST(counted.done());
}

// Without the rules: every signature verifies with a key that is active, by
// the generator's own record of keys, when the decision is issued.
BOOST_AUTO_TEST_CASE(signed_with_active_keys) {
  std::map<pl::crypto::Hash, pl::crypto::PublicKey> active;
  auto add = [&](const std::string& base64) {
    auto raw = pl::FromBase64(base64);
    auto key = pl::crypto::PublicKey::FromRaw(*raw);
    BOOST_REQUIRE(key.ok());
    pl::crypto::Hash id{};
    auto bytes = pl::FromHex(key->key_id());
    std::copy(bytes->begin(), bytes->end(), id.begin());
    active.emplace(id, *key);
  };
  auto retire = [&](const std::string& hex) {
    pl::crypto::Hash id{};
    auto bytes = pl::FromHex(hex);
    std::copy(bytes->begin(), bytes->end(), id.begin());
    BOOST_REQUIRE_MESSAGE(active.erase(id) == 1, "retiring a key that is not active: " << hex);
  };
  const pl::ledger::KeyLookup lookup = [&](const pl::crypto::Hash& id) {
    auto it = active.find(id);
    return it == active.end() ? nullptr : &it->second;
  };
  for (const auto& d : DefaultHistory()) {
    const Value& p = d.decision.payload;
    if (d.decision.type == "governance.genesis") {
      for (const Value& k : p.find("keys")->as_array()) add(Str(k, "public_key"));
    }
    const auto s = pl::ledger::VerifySignatures(d, lookup);
    BOOST_REQUIRE_MESSAGE(s.ok(),
                          d.decision.id << " (" << d.decision.type << "): " << s.ToString());
    if (d.decision.type == "governance.key_registered") add(Str(p, "public_key"));
    if (d.decision.type == "governance.key_revoked") retire(Str(p, "key_id"));
    if (d.decision.type == "governance.key_rotated") {
      retire(Str(p, "key_id"));
      add(Str(p, "public_key"));
    }
  }
}

BOOST_AUTO_TEST_CASE(covers_the_catalogue_and_the_programme) {
  std::set<std::string> types, areas, modes, sources, kinds, currencies;
  bool timor_leste_admitted = false, timor_leste_after = false;
  const auto admitted_from = Time("2025-10-01T00:00:00Z");
  const auto admitted_to = Time("2025-11-01T00:00:00Z");
  for (const auto& signed_decision : DefaultHistory()) {
    const auto& d = signed_decision.decision;
    const Value& p = d.payload;
    types.insert(d.type);
    if (d.type == "project.proposed") {
      areas.insert(Str(p, "priority_area"));
      modes.insert(Str(p, "mode"));
      for (const Value& partner : p.find("partners")->as_array()) {
        timor_leste_after |= timor_leste_admitted && Str(partner, "country") == "TL";
      }
    }
    if (d.type == "funding.committed") {
      sources.insert(Str(p, "source"));
      currencies.insert(Str(p, "currency"));
      if (Str(p, "source") == "cn_government") BOOST_TEST(Str(p, "party") == "CN");
      if (Str(p, "source") == "partner_government") BOOST_TEST(Str(p, "party") != "CN");
      if (Str(p, "source") == "private") BOOST_TEST(p.find("party_name") != nullptr);
      timor_leste_after |= p.find("party") && Str(p, "party") == "TL";
    }
    if (d.type == "partnership.established" || d.type == "partnership.amended") {
      if (const Value* kind = p.find("kind")) kinds.insert(kind->as_string());
      if (const Value* countries = p.find("countries")) {
        for (const Value& c : countries->as_array()) {
          timor_leste_after |= timor_leste_admitted && c.as_string() == "TL";
        }
      }
    }
    if (d.type == "governance.genesis") {
      for (const Value& m : p.find("members")->as_array()) {
        BOOST_TEST(Str(m, "country") != "TL");
      }
      BOOST_TEST(p.find("members")->as_array().size() == 11u);
    }
    if (d.type == "governance.member_admitted" && Str(p, "country") == "TL") {
      timor_leste_admitted = true;
      BOOST_TEST(d.issued_at >= admitted_from);
      BOOST_TEST(d.issued_at < admitted_to);
    }
  }
  for (const auto& type : kCatalogue) BOOST_TEST(types.count(type) == 1u, "no " << type);
  BOOST_TEST(types.size() == kCatalogue.size());
  BOOST_TEST(areas.size() == 16u);
  BOOST_TEST(modes.size() == 7u);
  BOOST_TEST(sources.size() == 3u);
  BOOST_TEST(kinds.size() == 6u);
  BOOST_TEST(currencies.count("CNY") == 1u);
  BOOST_TEST(currencies.count("USD") == 1u);
  BOOST_TEST(currencies.size() >= 6u);
  BOOST_TEST(timor_leste_admitted);
  BOOST_TEST(timor_leste_after);
}

BOOST_AUTO_TEST_CASE(officers_hold_current_keys) {
  DemoHistory history(DemoOptions{2012, 5000});
  std::vector<SignedDecision> all;
  while (history.Next(&all, 1000) > 0) {
  }
  std::set<std::string> registered;
  for (const auto& d : all) {
    const Value& p = d.decision.payload;
    if (d.decision.type == "governance.genesis") {
      for (const Value& k : p.find("keys")->as_array()) registered.insert(Str(k, "key_id"));
    }
    if (d.decision.type == "governance.key_registered") registered.insert(Str(p, "key_id"));
    if (d.decision.type == "governance.key_rotated") registered.insert(Str(p, "new_key_id"));
  }
  const auto officers = history.Officers();
  std::set<std::string> roles;
  for (const auto& o : officers) {
    BOOST_TEST(registered.count(o.key.public_key().key_id()) == 1u, o.officer_id);
    if (o.body_id == "joint-committee") roles.insert(o.role);
  }
  BOOST_TEST(roles.count("co_chair_cn") == 1u);
  BOOST_TEST(roles.count("co_chair_asean") == 1u);
  BOOST_TEST(officers.size() >= 20u);
}

BOOST_AUTO_TEST_CASE(accepted_by_the_rules) {
  pl::test::TempDir dir;
  pl::projections::ProgrammeOptions options;
  options.store.create_if_missing = true;
  options.store.sync = false;
  auto programme = pl::projections::Programme::Open(dir.str("data"), options);
  BOOST_REQUIRE_MESSAGE(programme.ok(), programme.status().ToString());
  const auto& history = DefaultHistory();
  const auto start = std::chrono::steady_clock::now();
  for (std::size_t from = 0; from < history.size(); from += 1000) {
    const std::span<const SignedDecision> batch =
        std::span(history).subspan(from, std::min<std::size_t>(1000, history.size() - from));
    auto result = (*programme)->Submit(batch, true, batch.back().decision.issued_at);
    BOOST_REQUIRE_MESSAGE(result.ok(), result.status().ToString());
    for (std::size_t i = 0; i < batch.size(); ++i) {
      const auto& s = result->decisions[i].status;
      BOOST_REQUIRE_MESSAGE(
          s.ok() || s.rule() == "batch.refused",
          batch[i].decision.id << " (" << batch[i].decision.type << ") refused: " << s.ToString());
    }
    for (std::size_t i = 0; i < batch.size(); ++i) {
      BOOST_REQUIRE(result->decisions[i].status.ok());
    }
  }
  BOOST_TEST_MESSAGE(
      "5000 demo decisions submitted in "
      << std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() << " s");
  BOOST_TEST((*programme)->store().size() == 5000u);
  (*programme)->WithState([](const pl::projections::ProgrammeState& state) {
    BOOST_TEST(state.members.count("TL") == 1u);
    BOOST_TEST(state.members.size() == 12u);
    BOOST_TEST(state.projects.size() > 100u);
    BOOST_TEST(state.partnerships.size() > 40u);
  });
}
