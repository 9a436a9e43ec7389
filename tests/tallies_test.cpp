// The tallies Programme keeps for its current state (the overview's counts,
// updated at each commit from the entities the commit names) always equal a
// fresh count of that state, whatever the batching, across every event type
// of the demo history, and after reopening.
#define BOOST_TEST_MODULE tallies
#include <boost/test/unit_test.hpp>

#include "demo_history.h"
#include "ledger/value.h"
#include "projections/programme.h"
#include "projections/views.h"
#include "test_util.h"

using namespace pl;
using namespace pl::projections;

namespace {

// Compares the kept tallies with a fresh count; returns the state's size.
std::uint64_t CheckTallies(const Programme& programme) {
  std::uint64_t size = 0;
  programme.WithTallied([&](const ProgrammeState& state, const Tallies& kept) {
    size = state.size;
    const Tallies counted = Tallies::Of(state);
    BOOST_TEST_REQUIRE((kept == counted), "tallies differ from a fresh count at " << state.size);
    BOOST_TEST_REQUIRE((Summary(state, kept) == Summary(state)));
  });
  return size;
}

}  // namespace

BOOST_AUTO_TEST_CASE(kept_tallies_equal_a_fresh_count_after_every_commit) {
  test::TempDir dir;
  ProgrammeOptions options;
  options.store.create_if_missing = true;
  options.store.sync = false;
  ctl::DemoHistory history({2012, 4000});
  std::uint64_t rng = 17;
  {
    auto programme = Programme::Open(dir.str("data"), options);
    BOOST_REQUIRE(programme.ok());
    std::vector<ledger::SignedDecision> batch;
    while (!history.done()) {
      batch.clear();
      rng = rng * 6364136223846793005u + 1442695040888963407u;
      history.Next(&batch, 1 + (rng >> 33) % 40);  // uneven group commits
      auto r = (*programme)->Submit(batch, true, batch.back().decision.issued_at);
      BOOST_REQUIRE(r.ok());
      CheckTallies(**programme);
    }
    // A refused decision changes nothing, tallies included.
    ledger::SignedDecision again = batch.back();
    again.decision.id += "-replayed";  // the signatures no longer cover it
    auto r = (*programme)->Submit(std::span(&again, 1));
    BOOST_REQUIRE(r.ok());
    BOOST_TEST(!r->decisions[0].status.ok());
    BOOST_TEST(CheckTallies(**programme) == 4000u);
  }
  // Reopened, the tallies are counted from the loaded state.
  auto programme = Programme::Open(dir.str("data"), options);
  BOOST_REQUIRE(programme.ok());
  BOOST_TEST(CheckTallies(**programme) == 4000u);
}

BOOST_AUTO_TEST_CASE(counting_takes_away_exactly_what_it_added) {
  test::TempDir dir;
  ProgrammeOptions options;
  options.store.create_if_missing = true;
  options.store.sync = false;
  auto programme = Programme::Open(dir.str("data"), options);
  BOOST_REQUIRE(programme.ok());
  ctl::DemoHistory history({7, 1500});
  std::vector<ledger::SignedDecision> batch;
  history.Next(&batch, 1500);
  BOOST_REQUIRE((*programme)->Submit(batch, true, batch.back().decision.issued_at).ok());
  (*programme)->WithState([&](const ProgrammeState& state) {
    std::vector<std::string> ids;
    for (const auto& [id, p] : state.projects) ids.push_back(id);
    for (const auto& [id, c] : state.commitments) ids.push_back(id);
    for (const auto& [id, p] : state.partnerships) ids.push_back(id);
    BOOST_REQUIRE(ids.size() > 100u);
    ids.push_back("no-such-entity");
    Tallies t = Tallies::Of(state);
    t.Count(state, ids, -1);
    BOOST_TEST((t == Tallies{}));  // every count fell to zero and was erased
    t.Count(state, ids, +1);
    BOOST_TEST((t == Tallies::Of(state)));
  });
}
