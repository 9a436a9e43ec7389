// Crash loop: a real ledgerd takes signed decisions from several connections
// and is killed with SIGKILL at random moments (seeded, printed), then
// restarted on the same directory. After every kill:
//  - every acknowledged decision is in the log with the sequence and leaf
//    hash it was acknowledged with;
//  - every event in the log is the genesis, an acknowledged decision, or a
//    decision that was in flight at the kill (committed just before it): the
//    log holds nothing else, and all of it verifies (VerifyLog, and the real
//    `ledgerctl verify`);
//  - the state loaded as ledgerd loads it (newest checkpoint + tail) equals a
//    rebuild from scratch byte for byte, and the restarted ledgerd's summary
//    equals the rebuilt state's.
// PL_CRASH_CYCLES sets the number of cycles (default 20), PL_CRASH_SEED the
// seed, PL_CRASH_PORT ledgerd's port (default 8660), PL_CRASH_FULL_EVERY how
// often (in cycles) the whole log is verified and rebuilt (default 1: every
// cycle), PL_CRASH_CHECKPOINT_EVERY ledgerd's --checkpoint-every (500).
#define BOOST_TEST_MODULE crash_loop
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "../projections/src/checkpoint.h"
#include "api/client.h"
#include "ledger/store.h"
#include "ledger/time.h"
#include "ledgerd_process.h"
#include "process.h"
#include "programme_fixture.h"
#include "projections/programme.h"
#include "projections/verify.h"
#include "projections/views.h"
#include "test_util.h"

namespace {

using pl::ledger::Value;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr int kClients = 4;

std::uint64_t EnvNumber(const char* name, std::uint64_t fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::strtoull(v, nullptr, 10) : fallback;
}

struct Ack {
  std::uint64_t sequence = 0;
  std::string leaf_hash;  // hex
};

// What the clients learned during one cycle.
struct Cycle {
  std::mutex mutex;
  std::map<std::string, Ack> acked;  // decision id -> acknowledgement
  std::set<std::string> in_flight;   // sent, no answer (yet)
  std::uint64_t refused = 0;         // answered with an error
};

pl::ledger::SignedDecision Proposal(pl::test::Officers& officers, const std::string& id,
                                    std::uint64_t n) {
  static const char* const kPartners[] = {"TH", "VN", "MY"};
  pl::ledger::SignedDecision d;
  d.decision.id = id;
  d.decision.type = "project.proposed";
  d.decision.body = "secretariat";
  d.decision.issued_at = 1356998400000 + static_cast<std::int64_t>(n) * 1000;
  d.decision.payload = Value(
      pl::test::Proposal("P-" + id, 1000000 + static_cast<std::int64_t>(n), kPartners[n % 3]));
  pl::ledger::Sign(&d, officers["sec-head"]);
  return d;
}

// One connection submitting decisions one by one until the server goes away.
void SubmitUntilKilled(const std::string& url, pl::test::Officers officers, const std::string& tag,
                       Cycle& cycle) {
  std::unique_ptr<pl::api::Client> client;
  for (int attempt = 0; attempt < 100 && !client; ++attempt) {
    pl::api::ClientOptions o;
    o.timeout = 10s;
    auto c = pl::api::Client::Connect(url, o);
    if (c.ok()) {
      client = std::move(*c);
    } else {
      std::this_thread::sleep_for(20ms);
    }
  }
  if (!client) return;
  for (std::uint64_t i = 0;; ++i) {
    const std::string id = tag + "-" + std::to_string(i);
    const auto d = Proposal(officers, id, i);
    {
      std::lock_guard lock(cycle.mutex);
      cycle.in_flight.insert(id);
    }
    auto response = client->Request(
        Value(Value::Object{{"decision", pl::ledger::ToValue(d)}, {"op", "submit"}}));
    if (!response.ok()) return;  // the server is gone: `id` stays in flight
    auto result = pl::api::ResultOf(*response);
    std::lock_guard lock(cycle.mutex);
    cycle.in_flight.erase(id);
    if (!result.ok()) {
      ++cycle.refused;
      continue;
    }
    const Value& answer = result->find("decisions")->as_array().at(0);
    cycle.acked[id] = Ack{static_cast<std::uint64_t>(answer.find("sequence")->as_int()),
                          answer.find("leaf_hash")->as_string()};
  }
}

std::string StateBytesOf(const pl::projections::Programme& p) {
  std::string out;
  p.WithState(
      [&](const pl::projections::ProgrammeState& s) { out = pl::projections::StateBytes(s); });
  return out;
}

Value Summary(const std::string& url) {
  auto client = pl::api::Client::Connect(url);
  BOOST_REQUIRE_MESSAGE(client.ok(), client.status().ToString());
  auto response = (*client)->Request(Value(Value::Object{{"op", "summary"}}));
  BOOST_REQUIRE_MESSAGE(response.ok(), response.status().ToString());
  auto result = pl::api::ResultOf(*response);
  BOOST_REQUIRE_MESSAGE(result.ok(), result.status().ToString());
  return *result;
}

}  // namespace

BOOST_AUTO_TEST_CASE(acknowledged_decisions_survive_sigkill) {
  const std::uint64_t cycles = EnvNumber("PL_CRASH_CYCLES", 20);
  const auto port = static_cast<std::uint16_t>(EnvNumber("PL_CRASH_PORT", 8660));
  // Verification and the rebuild from scratch grow with the log: a long soak
  // may do them every few cycles (and always after the last).
  const std::uint64_t full_every = std::max<std::uint64_t>(1, EnvNumber("PL_CRASH_FULL_EVERY", 1));
  // Every checkpoint is kept (they answer as-of queries), each as big as the
  // state: few enough that the directory stays small.
  const std::string checkpoint_every = std::to_string(EnvNumber("PL_CRASH_CHECKPOINT_EVERY", 500));
  const std::uint64_t seed = EnvNumber(
      "PL_CRASH_SEED", static_cast<std::uint64_t>(Clock::now().time_since_epoch().count()));
  std::cout << "crash loop: " << cycles << " cycles, seed " << seed << " (PL_CRASH_SEED=" << seed
            << " repeats the kill times)" << std::endl;
  std::mt19937_64 random(seed);

  pl::test::TempDir dir;
  const std::string data = dir.str("data");
  pl::test::Officers officers;
  {
    pl::projections::ProgrammeOptions o;
    o.store.create_if_missing = true;
    auto p = pl::projections::Programme::Open(data, o);
    BOOST_REQUIRE_MESSAGE(p.ok(), p.status().ToString());
    pl::ledger::SignedDecision genesis;
    genesis.decision.id = "genesis";
    genesis.decision.type = "governance.genesis";
    genesis.decision.body = "joint-committee";
    genesis.decision.issued_at = 1356998400000;
    genesis.decision.payload = Value(pl::test::GenesisPayload(officers));
    pl::ledger::Sign(&genesis, officers["jc-cn"]);
    pl::ledger::Sign(&genesis, officers["jc-asean"]);
    auto r = (*p)->Submit(std::span(&genesis, 1));
    BOOST_REQUIRE(r.ok() && r->decisions[0].status.ok());
  }

  // Everything known to be in the log: acknowledged, or found committed after a kill.
  std::map<std::string, Ack> recorded;
  std::uint64_t acknowledged = 0, in_flight_at_kills = 0, committed_unacknowledged = 0,
                kills_mid_commit = 0, refused = 0, full_checks = 0;
  const std::vector<std::string> flags{"--checkpoint-every", checkpoint_every, "--log-level",
                                       "warn"};
  const auto started = Clock::now();
  auto server = std::make_unique<pl::test::LedgerdProcess>(LEDGERD_PATH, data, port, flags,
                                                           dir.str("ledgerd.log"));
  BOOST_REQUIRE_MESSAGE(server->listening(), "ledgerd did not start:\n" + server->Log());

  for (std::uint64_t c = 0; c < cycles; ++c) {
    Cycle cycle;
    std::vector<std::thread> clients;
    for (int t = 0; t < kClients; ++t) {
      clients.emplace_back(SubmitUntilKilled, server->url(), officers,
                           "c" + std::to_string(c) + "t" + std::to_string(t), std::ref(cycle));
    }
    const auto kill_after = std::chrono::milliseconds(50 + random() % 1200);
    std::this_thread::sleep_for(kill_after);
    server->Kill();
    for (auto& t : clients) t.join();

    acknowledged += cycle.acked.size();
    refused += cycle.refused;
    BOOST_TEST(cycle.refused == 0u, "cycle " << c << ": refusals of valid decisions");
    in_flight_at_kills += cycle.in_flight.size();

    {
      pl::ledger::StoreOptions ro;
      ro.read_only = true;
      auto store = pl::ledger::Store::Open(data, ro);
      BOOST_REQUIRE_MESSAGE(store.ok(), "cycle " << c << ": " << store.status().ToString());
      for (const auto& [id, ack] : cycle.acked) {
        BOOST_TEST_REQUIRE(recorded.count(id) == 0u);
        recorded[id] = ack;
      }
      std::uint64_t found_unacknowledged = 0;
      for (const std::string& id : cycle.in_flight) {
        auto seq = (*store)->Find(id);
        if (!seq.ok()) continue;
        auto e = (*store)->Read(*seq);
        BOOST_REQUIRE_MESSAGE(e.ok(), e.status().ToString());
        recorded[id] = Ack{*seq, pl::ToHex(e->leaf_hash)};
        ++found_unacknowledged;
      }
      committed_unacknowledged += found_unacknowledged;
      if (found_unacknowledged > 0) ++kills_mid_commit;

      // Every decision known to be recorded is there, unchanged...
      for (const auto& [id, ack] : recorded) {
        auto seq = (*store)->Find(id);
        BOOST_REQUIRE_MESSAGE(seq.ok(), "cycle " << c << ": acknowledged " << id << " is lost");
        BOOST_TEST_REQUIRE(*seq == ack.sequence, id);
        auto e = (*store)->Read(*seq);
        BOOST_REQUIRE(e.ok());
        BOOST_TEST_REQUIRE(pl::ToHex(e->leaf_hash) == ack.leaf_hash, id);
        BOOST_TEST_REQUIRE(e->decision.decision.id == id);
      }
      // ...and the log holds nothing else.
      BOOST_TEST_REQUIRE((*store)->size() == recorded.size() + 1,
                         "cycle " << c << ": the log has events nobody submitted");

      // The state as ledgerd loads it (checkpoint + tail)...
      pl::projections::ProgrammeOptions po;
      po.store.read_only = true;
      auto loaded = pl::projections::Programme::Open(data, po);
      BOOST_REQUIRE_MESSAGE(loaded.ok(), loaded.status().ToString());
      const std::string state = StateBytesOf(**loaded);
      Value expected;
      (*loaded)->WithState([&](const pl::projections::ProgrammeState& s) {
        expected = pl::projections::Summary(s);
      });
      // ...equals a rebuild from scratch, and all of the log verifies.
      if (c % full_every == 0 || c + 1 == cycles) {
        ++full_checks;
        auto verified = pl::projections::VerifyLog(**store);
        BOOST_REQUIRE_MESSAGE(verified.ok(), "cycle " << c << ": " << verified.status().ToString());
        BOOST_TEST_REQUIRE((state == pl::projections::StateBytes(verified->state)),
                           "cycle " << c << ": checkpoint + tail differs from a rebuild");
        const auto verify = pl::test::Run(std::string(LEDGERCTL_PATH) + " verify --data " + data);
        BOOST_TEST_REQUIRE(verify.exit_code == 0, "cycle " << c << ": " << verify.err);
      }

      loaded->reset();
      store->reset();
      server = std::make_unique<pl::test::LedgerdProcess>(LEDGERD_PATH, data, port, flags,
                                                          dir.str("ledgerd.log"));
      BOOST_REQUIRE_MESSAGE(server->listening(),
                            "cycle " << c << ": ledgerd did not restart:\n" + server->Log());
      BOOST_TEST_REQUIRE((Summary(server->url()) == expected),
                         "cycle " << c << ": the restarted ledgerd's summary differs");
    }
  }
  server->Kill();
  const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
  std::cout << "crash loop: " << cycles << " kills, " << acknowledged
            << " acknowledged decisions (all present, same sequence and leaf hash), "
            << in_flight_at_kills << " in flight at the kills, of which "
            << committed_unacknowledged << " committed unacknowledged (" << kills_mid_commit
            << " kills between commit and answer), " << refused << " refused, log "
            << recorded.size() + 1 << " events, verified and rebuilt in " << full_checks
            << " cycles, " << seconds << " s" << std::endl;
  BOOST_TEST(acknowledged > cycles, "too few decisions acknowledged to mean anything");
}
