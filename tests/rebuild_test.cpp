// Property: for generated histories, the state the writer maintains
// incrementally (whatever the batching) equals the state rebuilt from the log
// from scratch, and the as-of state at every checkpointed and random point
// equals a replay of that prefix — compared as serialized bytes.
#define BOOST_TEST_MODULE rebuild
#include <boost/test/unit_test.hpp>

#include "../projections/src/checkpoint.h"
#include "demo_history.h"
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
