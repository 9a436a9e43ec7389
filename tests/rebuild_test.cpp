// Property: for generated histories, the state the writer maintains
// incrementally (whatever the batching) equals the state rebuilt from the log
// from scratch, and the as-of state at every checkpointed and random point
// equals a replay of that prefix — compared as serialized bytes.
#define BOOST_TEST_MODULE rebuild
#include <boost/test/unit_test.hpp>
#include <map>

#include "../projections/src/checkpoint.h"
#include "demo_history.h"
#include "demo_log.h"
#include "projections/programme.h"
#include "projections/rules.h"
#include "projections/verify.h"
#include "test_util.h"

using namespace pl;
using namespace pl::projections;

namespace {

std::string LiveBytes(const Programme& p) {
  std::string out;
  p.WithState([&](const ProgrammeState& s) { out = StateBytes(s); });
  return out;
}

// splitmix64, so batch sizes and probe points follow from the seed.
std::uint64_t Next(std::uint64_t* x) {
  std::uint64_t z = (*x += 0x9e3779b97f4a7c15);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
  z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
  return z ^ (z >> 31);
}

}  // namespace

BOOST_AUTO_TEST_CASE(incremental_equals_rebuilt_for_generated_histories) {
  for (std::uint64_t seed : {7u, 2012u, 65537u}) {
    BOOST_TEST_CONTEXT("seed " << seed) {
      test::TempDir dir;
      ProgrammeOptions options;
      options.store.create_if_missing = true;
      options.store.sync = false;
      options.checkpoint_every = 250;
      std::string incremental;
      std::uint64_t rng = seed;
      {
        auto programme = Programme::Open(dir.str("data"), options);
        BOOST_REQUIRE(programme.ok());
        ctl::DemoHistory history({seed, 1200});
        std::vector<ledger::SignedDecision> batch;
        while (!history.done()) {
          batch.clear();
          history.Next(&batch, 1 + Next(&rng) % 97);  // uneven group commits
          auto r = (*programme)->Submit(batch, true, batch.back().decision.issued_at);
          BOOST_REQUIRE(r.ok());
          for (const auto& d : r->decisions)
            BOOST_REQUIRE_MESSAGE(d.status.ok(), d.status.ToString());
        }
        incremental = LiveBytes(**programme);
      }
      // From scratch: the verifier folds the log with no checkpoint at all.
      ledger::StoreOptions read_only;
      read_only.read_only = true;
      auto store = ledger::Store::Open(dir.str("data"), read_only);
      BOOST_REQUIRE(store.ok());
      auto report = VerifyLog(**store);
      BOOST_REQUIRE_MESSAGE(report.ok(), report.status().ToString());
      BOOST_TEST((StateBytes(report->state) == incremental));

      // Reopened (from the checkpoint written at close), and as of points in between.
      options.store.create_if_missing = false;
      auto programme = Programme::Open(dir.str("data"), options);
      BOOST_REQUIRE(programme.ok());
      BOOST_TEST(LiveBytes(**programme) == incremental);
      ProgrammeState scratch;
      ApplyOptions apply;
      apply.verify_signatures = false;
      apply.find_decision = [&](std::string_view id) -> std::optional<Seq> {
        auto s = (*store)->Find(id);
        return s.ok() ? std::optional<Seq>(*s) : std::nullopt;
      };
      std::vector<std::uint64_t> points{1, 250, 251, 499, 500, 1199, 1200};
      for (int i = 0; i < 5; ++i) points.push_back(1 + Next(&rng) % 1200);
      std::sort(points.begin(), points.end());
      for (std::uint64_t n : points) {
        while (scratch.size < n)
          BOOST_REQUIRE(Apply(&scratch, *(*store)->Read(scratch.size), apply).ok());
        auto as_of = (*programme)->AsOf(n);
        BOOST_REQUIRE(as_of.ok());
        BOOST_TEST((StateBytes(*as_of) == StateBytes(scratch)), "as of " << n);
      }
    }
  }
}

// ReplayLog decodes on a second thread in batches of a few hundred events:
// whatever the start and end (inside a batch, on its edge, past several),
// the state equals the events applied one by one; a refusal stops the replay
// at the event that broke the rule, and a log that ends early is a gap.
BOOST_AUTO_TEST_CASE(replay_in_decoded_batches_equals_applying_one_by_one) {
  test::TempDir dir;
  constexpr std::uint64_t kEvents = 5000;
  test::WriteDemoLog(dir.str("data"), 2026, kEvents, 0);
  ledger::StoreOptions read_only;
  read_only.read_only = true;
  auto store = ledger::Store::Open(dir.str("data"), read_only);
  BOOST_REQUIRE(store.ok());
  const std::uint64_t size = (*store)->size();
  BOOST_REQUIRE(size >= kEvents);
  ApplyOptions apply;
  apply.verify_signatures = false;
  apply.find_decision = [&](std::string_view id) -> std::optional<Seq> {
    auto s = (*store)->Find(id);
    return s.ok() ? std::optional<Seq>(*s) : std::nullopt;
  };
  // States after each prefix, applied one event at a time.
  std::map<std::uint64_t, std::string> expected;
  const std::vector<std::uint64_t> points{0,    1,    255,  256,  257,      2047,
                                          2048, 2049, 2305, 4096, size - 1, size};
  {
    ProgrammeState one_by_one;
    for (std::uint64_t n : points) {
      while (one_by_one.size < n) {
        BOOST_REQUIRE(Apply(&one_by_one, *(*store)->Read(one_by_one.size), apply).ok());
      }
      expected[n] = StateBytes(one_by_one);
    }
  }
  for (std::uint64_t from : {std::uint64_t{0}, std::uint64_t{256}, std::uint64_t{2049}}) {
    for (std::uint64_t to : points) {
      if (to < from) continue;
      BOOST_TEST_CONTEXT("from " << from << " to " << to) {
        ProgrammeState state;
        BOOST_REQUIRE(ReplayLog(**store, &state, from, apply).ok());
        BOOST_REQUIRE(state.size == from);
        Status s = ReplayLog(**store, &state, to, apply);
        BOOST_REQUIRE_MESSAGE(s.ok(), s.ToString());
        BOOST_TEST((StateBytes(state) == expected[to]));
      }
    }
  }
  // Without find_decision a resolution that adopts earlier decisions is
  // refused: the replay stops there, the events before it applied.
  ApplyOptions blind = apply;
  blind.find_decision = nullptr;
  ProgrammeState state;
  Status refused = ReplayLog(**store, &state, size, blind);
  BOOST_REQUIRE(!refused.ok());
  BOOST_TEST(refused.message().find("event " + std::to_string(state.size) +
                                    " breaks a rule on replay") != std::string::npos);
  BOOST_TEST(state.size < size);
  BOOST_TEST((*(*store)->Read(state.size)).decision.decision.type ==
             "governance.resolution_adopted");
  // Past the end of the log.
  ProgrammeState past;
  Status gap = ReplayLog(**store, &past, size + 1, apply);
  BOOST_TEST(gap.rule() == "store.gap");
  BOOST_TEST(past.size == size);
}
