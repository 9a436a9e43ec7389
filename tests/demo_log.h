// A realistic programme log for tests: the demo history written through a
// Programme (the rules check every decision) in group commits of 500,
// without fsync. Include after <boost/test/unit_test.hpp>.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "demo_history.h"
#include "projections/programme.h"

namespace pl::test {

inline void WriteDemoLog(const std::string& dir, std::uint64_t seed, std::uint64_t events,
                         std::uint64_t checkpoint_every = 50000) {
  projections::ProgrammeOptions options;
  options.store.create_if_missing = true;
  options.store.sync = false;
  options.checkpoint_every = checkpoint_every;
  auto programme = projections::Programme::Open(dir, options);
  BOOST_REQUIRE_MESSAGE(programme.ok(), programme.status().ToString());
  ctl::DemoHistory history({seed, events});
  std::vector<ledger::SignedDecision> batch;
  while (!history.done()) {
    batch.clear();
    history.Next(&batch, 500);
    auto r = (*programme)->Submit(batch, true, batch.back().decision.issued_at);
    BOOST_REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  }
}

}  // namespace pl::test
