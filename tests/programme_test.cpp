// Programme on a real data directory: the single writer, group commit with
// the rules, idempotency, refusals that change nothing, checkpoints, rebuilds
// and as-of states.
#define BOOST_TEST_MODULE programme
#include <boost/test/unit_test.hpp>

#include <thread>

#include "../projections/src/checkpoint.h"
#include "programme_fixture.h"
#include "projections/programme.h"
#include "test_util.h"

using namespace pl;
using namespace pl::projections;
using namespace pl::test;

namespace {

struct Writer : DecisionMaker {
  TempDir dir;
  std::vector<std::string> log;

  ProgrammeOptions Options(std::uint64_t checkpoint_every = 50000) {
    ProgrammeOptions o;
    o.store.create_if_missing = true;
    o.store.sync = false;
    o.checkpoint_every = checkpoint_every;
    o.log = [this](const std::string& line) { log.push_back(line); };
    o.clock = [this] { return clock; };
    return o;
  }
  std::unique_ptr<Programme> Open(std::uint64_t checkpoint_every = 50000) {
    auto p = Programme::Open(dir.str("data"), Options(checkpoint_every));
    BOOST_REQUIRE_MESSAGE(p.ok(), p.status().ToString());
    return std::move(*p);
  }
};

std::string LiveBytes(const Programme& p) {
  std::string out;
  p.WithState([&](const ProgrammeState& s) { out = StateBytes(s); });
  return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(submit_checks_appends_and_is_idempotent) {
  Writer w;
  auto p = w.Open();
  std::vector<ledger::SignedDecision> batch{w.Genesis(), w.Propose("P-1"), w.Propose("P-2")};
  auto r = p->Submit(batch);
  BOOST_REQUIRE(r.ok());
  for (std::size_t i = 0; i < 3; ++i) {
    BOOST_TEST(r->decisions[i].status.ok(), r->decisions[i].status.ToString());
    BOOST_TEST(r->decisions[i].sequence == i);
  }
  BOOST_TEST(r->decisions[1].authority == "sec");
  BOOST_TEST(r->head.size == 3u);
  BOOST_TEST(*p->store().Authority(1) == "sec");

  // Resubmission: the original result, nothing appended.
  auto again = p->Submit(std::span(batch).subspan(1, 1));
  BOOST_REQUIRE(again.ok());
  BOOST_TEST(again->decisions[0].duplicate);
  BOOST_TEST(again->decisions[0].sequence == 1u);
  BOOST_TEST(again->decisions[0].leaf_hash == r->decisions[1].leaf_hash);
  BOOST_TEST(again->decisions[0].authority == "sec");
  BOOST_TEST(p->store().size() == 3u);

  // Group commit of independent decisions: the refused one is left out.
  const std::string before = LiveBytes(*p);
  std::vector<ledger::SignedDecision> mixed{w.Propose("P-3"), w.Propose("P-1"), w.Propose("P-4")};
  auto m = p->Submit(mixed);
  BOOST_REQUIRE(m.ok());
  BOOST_TEST(m->decisions[0].status.ok());
  BOOST_TEST(m->decisions[1].status.rule() == "state.exists");
  BOOST_TEST(m->decisions[2].status.ok());
  BOOST_TEST(m->decisions[2].sequence == 4u);
  BOOST_TEST(p->store().size() == 5u);
  BOOST_TEST(LiveBytes(*p) != before);

  // All or nothing: one refusal refuses the batch; log and state unchanged.
  const std::string at5 = LiveBytes(*p);
  const ledger::TreeHead head = p->store().head();
  std::vector<ledger::SignedDecision> all{w.Propose("P-5"), w.Propose("P-1")};
  auto n = p->Submit(all, true);
  BOOST_REQUIRE(n.ok());
  BOOST_TEST(n->decisions[0].status.rule() == "batch.refused");
  BOOST_TEST(n->decisions[1].status.rule() == "state.exists");
  BOOST_TEST((p->store().head() == head));
  BOOST_TEST(LiveBytes(*p) == at5);
  // ... and the writer's own copy was restored too: P-5 is still new.
  auto later = p->Submit(std::span(all).subspan(0, 1));
  BOOST_TEST(later->decisions[0].status.ok(), later->decisions[0].status.ToString());

  // A reused id with other content.
  auto reused = w.Propose("P-9");
  reused.decision.id = batch[1].decision.id;
  reused.signatures.clear();
  ledger::Sign(&reused, w.officers["sec-head"]);
  auto c = p->Submit(std::span(&reused, 1));
  BOOST_TEST(c->decisions[0].status.rule() == "decision.id_reused");
}

BOOST_AUTO_TEST_CASE(rebuild_equals_incremental_and_checkpoints_are_used) {
  Writer w;
  std::string live;
  {
    auto p = w.Open(/*checkpoint_every=*/4);
    std::vector<ledger::SignedDecision> first{w.Genesis()};
    for (int i = 0; i < 10; ++i) first.push_back(w.Propose("P-" + std::to_string(i)));
    auto r = p->Submit(first);
    BOOST_REQUIRE(r.ok());
    for (int i = 10; i < 20; ++i) {
      auto d = w.Propose("P-" + std::to_string(i));
      BOOST_REQUIRE(p->Submit(std::span(&d, 1))->decisions[0].status.ok());
    }
    live = LiveBytes(*p);
    BOOST_TEST(p->store().Checkpoints()->size() >= 4u);
  }
  // Reopen: the newest checkpoint (written at close) is loaded, nothing replayed.
  w.log.clear();
  {
    auto p = w.Open();
    BOOST_TEST(LiveBytes(*p) == live);
    for (const auto& line : w.log) BOOST_TEST(line.find("replayed") == std::string::npos, line);
    // As of any size equals a replay of that prefix from scratch.
    ProgrammeState scratch;
    ApplyOptions options;
    options.find_decision = [&](std::string_view id) -> std::optional<Seq> {
      auto s = p->store().Find(id);
      return s.ok() ? std::optional<Seq>(*s) : std::nullopt;
    };
    for (std::uint64_t n = 1; n <= 21; ++n) {
      auto e = p->store().Read(n - 1);
      BOOST_REQUIRE(Apply(&scratch, *e, options).ok());
      auto as_of = p->AsOf(n);
      BOOST_REQUIRE(as_of.ok());
      BOOST_TEST((StateBytes(*as_of) == StateBytes(scratch)), "as of " << n);
    }
    BOOST_TEST(StateBytes(scratch) == live);
    BOOST_TEST(p->AsOf(22).status().rule() == "as_of.range");
  }
}

BOOST_AUTO_TEST_CASE(shared_as_of_states_are_kept_and_each_rebuilt_once) {
  Writer w;
  auto p = w.Open();
  std::vector<ledger::SignedDecision> batch{w.Genesis()};
  for (int i = 1; i <= 9; ++i) batch.push_back(w.Propose("P-" + std::to_string(i)));
  BOOST_REQUIRE(p->Submit(batch).ok());

  // The same point twice: the same state, equal to a fresh rebuild.
  auto five = p->SharedAsOf(5);
  BOOST_REQUIRE(five.ok());
  BOOST_TEST(p->SharedAsOf(5)->get() == five->get());
  BOOST_TEST(StateBytes(**five) == StateBytes(*p->AsOf(5)));
  BOOST_TEST((*five)->size == 5u);

  // Many calls at once for a new point: one rebuild, one state for all.
  std::vector<std::thread> threads;
  std::vector<const ProgrammeState*> seen(8);
  for (std::size_t i = 0; i < seen.size(); ++i) {
    threads.emplace_back([&, i] {
      auto s = p->SharedAsOf(7);
      seen[i] = s.ok() ? s->get() : nullptr;
    });
  }
  for (auto& t : threads) t.join();
  BOOST_REQUIRE(seen[0] != nullptr);
  for (const ProgrammeState* s : seen) BOOST_TEST(s == seen[0]);

  // Only the last two points are kept: 5 made way for 8.
  BOOST_REQUIRE(p->SharedAsOf(8).ok());
  BOOST_TEST(p->SharedAsOf(7)->get() == seen[0]);
  auto five_again = p->SharedAsOf(5);
  BOOST_TEST(five_again->get() != five->get());
  BOOST_TEST(StateBytes(**five_again) == StateBytes(**five));

  // A point beyond the log is refused and not kept: once the log reaches
  // it, it is served.
  BOOST_TEST(p->SharedAsOf(11).status().rule() == "as_of.range");
  std::vector<ledger::SignedDecision> one{w.Propose("P-10")};
  BOOST_REQUIRE(p->Submit(one).ok());
  auto eleven = p->SharedAsOf(11);
  BOOST_REQUIRE(eleven.ok());
  BOOST_TEST((*eleven)->projects.count("P-10") == 1u);
}

BOOST_AUTO_TEST_CASE(damaged_or_foreign_checkpoints_are_ignored_and_rebuilt) {
  Writer w;
  std::string live;
  ProgrammeState state;
  crypto::Hash root;
  {
    auto p = w.Open();
    std::vector<ledger::SignedDecision> batch{w.Genesis(), w.Propose("P-1"), w.Propose("P-2")};
    BOOST_REQUIRE(p->Submit(batch).ok());
    live = LiveBytes(*p);
    p->WithState([&](const ProgrammeState& st) { state = st; });
    root = p->store().head().root;
  }
  // Overwrites the checkpoint at 3 (written at close) directly in the store.
  auto put = [&](const std::string& bytes) {
    auto store = ledger::Store::Open(w.dir.str("data"));
    BOOST_REQUIRE(store.ok());
    BOOST_REQUIRE((*store)->PutCheckpoint(3, AsBytes(bytes)).ok());
  };
  std::string damaged = EncodeCheckpoint(state, root).bytes;
  damaged[damaged.size() / 2] ^= 0x40;
  put(damaged);
  w.log.clear();
  {
    auto p = w.Open();
    BOOST_TEST(LiveBytes(*p) == live);
    BOOST_REQUIRE(!w.log.empty());
    BOOST_TEST(w.log[0].find("checkpoint.digest") != std::string::npos, w.log[0]);
  }
  // One taken from another log (its root differs) is ignored too.
  put(EncodeCheckpoint(state, crypto::Sha256(AsBytes("another log"))).bytes);
  w.log.clear();
  {
    auto p = w.Open();
    BOOST_TEST(LiveBytes(*p) == live);
    BOOST_REQUIRE(!w.log.empty());
    BOOST_TEST(w.log[0].find("does not match the log") != std::string::npos, w.log[0]);
  }
}

BOOST_AUTO_TEST_CASE(a_damaged_checkpoint_gives_way_to_the_one_before) {
  Writer w;
  std::string live;
  {
    auto p = w.Open(2);  // checkpoints at 2, 4 and 6, written as the log passes them
    std::vector<ledger::SignedDecision> batch{w.Genesis(), w.Propose("P-1")};
    BOOST_REQUIRE(p->Submit(batch).ok());
    for (const char* id : {"P-2", "P-3", "P-4", "P-5"}) {
      BOOST_REQUIRE(p->Submit(std::vector{w.Propose(id)}).ok());
    }
    live = LiveBytes(*p);
  }
  // Damage the checkpoints at 6 and at 4: the one at 2 is loaded.
  {
    auto store = ledger::Store::Open(w.dir.str("data"));
    BOOST_REQUIRE(store.ok());
    for (std::uint64_t at : {6u, 4u}) {
      std::string bytes;
      BOOST_REQUIRE((*store)
                        ->VisitCheckpoint(at,
                                          [&](std::uint64_t found, ByteView stored,
                                              const ledger::Store::SectionOf&) {
                                            BOOST_REQUIRE(found == at);
                                            bytes.assign(stored.begin(), stored.end());
                                          })
                        .ok());
      bytes[bytes.size() - 10] ^= 0x01;
      BOOST_REQUIRE((*store)->PutCheckpoint(at, AsBytes(bytes)).ok());
    }
  }
  w.log.clear();
  auto p = w.Open(2);
  BOOST_TEST(LiveBytes(*p) == live);
  BOOST_REQUIRE(w.log.size() >= 3u);
  BOOST_TEST(w.log[0].find("checkpoint at 6 ignored (checkpoint.digest") == 0u, w.log[0]);
  BOOST_TEST(w.log[0].find("trying the one before") != std::string::npos, w.log[0]);
  BOOST_TEST(w.log[1].find("checkpoint at 4 ignored") == 0u, w.log[1]);
  BOOST_TEST(
      std::count(w.log.begin(), w.log.end(), "replayed 4 events after the checkpoint at 2") == 1);
  // As of 5, past the damaged one at 4: the same fallback, the same state a
  // replay from the start gives.
  auto five = p->AsOf(5);
  BOOST_REQUIRE(five.ok());
  ProgrammeState replayed;
  ApplyOptions apply;
  apply.verify_signatures = false;
  BOOST_REQUIRE(ReplayLog(p->store(), &replayed, 5, apply).ok());
  BOOST_TEST((StateBytes(*five) == StateBytes(replayed)));
}

BOOST_AUTO_TEST_CASE(a_checkpoint_of_many_chunks_decodes_to_the_same_state_sharing_known_ones) {
  // Many chunks in each collection, so a checkpoint names hundreds of sections.
  ProgrammeState state;
  state.size = 70000;
  state.programme.en = "China-ASEAN STEP";
  state.members["TH"].country = "TH";
  for (int i = 0; i < 20000; ++i) {
    const std::string n = std::to_string(100000 + i);
    Project& p = state.projects["P-" + n];
    p.id = "P-" + n;
    p.title.en = "Project " + n;
    p.milestones.push_back({"m", "reached", "2015-01-01", static_cast<Seq>(i)});
    Commitment& c = state.commitments["C-" + n];
    c.id = "C-" + n;
    c.committed = i;
    if (i % 3 == 0) state.partnerships["J-" + n].id = "J-" + n;
  }
  const crypto::Hash root = crypto::Sha256(AsBytes("root"));
  KnownChunks known;
  const EncodedCheckpoint encoded = EncodeCheckpoint(state, root, nullptr, &known);
  const std::string& bytes = encoded.bytes;
  // The chunks' sections, as the store keeps them (by SHA-256).
  std::map<crypto::Hash, std::string> stored(encoded.sections.begin(), encoded.sections.end());
  BOOST_TEST(stored.size() == state.projects.chunks().size() + state.commitments.chunks().size());
  BOOST_TEST(state.projects.chunks().size() > 100u);
  const ledger::Store::SectionOf section = [&](const crypto::Hash& d) -> std::optional<ByteView> {
    auto it = stored.find(d);
    return it == stored.end() ? std::nullopt : std::make_optional(AsBytes(it->second));
  };
  crypto::Hash got{};
  auto decoded = DecodeCheckpoint(AsBytes(bytes), section, &got);
  BOOST_REQUIRE_MESSAGE(decoded.ok(), decoded.status().ToString());
  BOOST_TEST((StateBytes(*decoded) == StateBytes(state)));
  BOOST_TEST((got == root));

  // With the chunks known, a checkpoint of the same state writes no section
  // and one with a project changed writes that project's chunk alone; each
  // decodes sharing the known chunks (the very same ones), not copies.
  BOOST_TEST(EncodeCheckpoint(state, root, &known).sections.empty());
  ProgrammeState changed = state;
  changed.projects["P-100007"].status = "approved";
  const EncodedCheckpoint next = EncodeCheckpoint(changed, root, &known);
  BOOST_REQUIRE(next.sections.size() == 1u);
  stored.insert(next.sections.begin(), next.sections.end());
  BOOST_REQUIRE(CheckCheckpoint(AsBytes(next.bytes), &got).ok());
  auto shared = DecodeCheckedCheckpoint(AsBytes(next.bytes), section, &known);
  BOOST_REQUIRE_MESSAGE(shared.ok(), shared.status().ToString());
  BOOST_TEST((StateBytes(*shared) == StateBytes(changed)));
  std::size_t same = 0;
  for (std::size_t i = 0; i < state.projects.chunks().size(); ++i) {
    same += shared->projects.chunks()[i].identity() == state.projects.chunks()[i].identity();
  }
  BOOST_TEST(same == state.projects.chunks().size() - 1);

  // Every kind of damage is refused by the rule naming it, never decoded.
  auto rule = [&](std::string damaged) {
    return DecodeCheckpoint(AsBytes(damaged), section, &got).status().rule();
  };
  std::string last_section = bytes;
  last_section[bytes.size() - 3] ^= 0x01;
  BOOST_TEST(rule(last_section) == "checkpoint.digest");
  std::string table = bytes;
  table[60] ^= 0x01;  // inside the section table
  BOOST_TEST(rule(table) == "checkpoint.digest");
  BOOST_TEST(rule(bytes.substr(0, bytes.size() - 1)) == "checkpoint.format");
  BOOST_TEST(rule(bytes + "x") == "checkpoint.format");
  // A table whose sections are out of order (the last, a commitments'
  // chunk, swapped with the second, a projects'), its SHA-256 made anew.
  {
    constexpr std::size_t kHeader = 7 + 4 + 32 + 4, kEntry = 1 + 8 + 8 + 32;
    const std::size_t count = static_cast<std::uint8_t>(bytes[kHeader - 2]) << 8 |
                              static_cast<std::uint8_t>(bytes[kHeader - 1]);  // (< 65,536)
    std::string swapped = bytes;
    std::swap_ranges(swapped.begin() + kHeader + kEntry, swapped.begin() + kHeader + 2 * kEntry,
                     swapped.begin() + kHeader + (count - 1) * kEntry);
    const crypto::Hash digest =
        crypto::Sha256(AsBytes(swapped.substr(0, kHeader + count * kEntry)));
    std::copy(digest.begin(), digest.end(), swapped.begin() + kHeader + count * kEntry);
    BOOST_TEST(rule(swapped) == "checkpoint.format");
  }
  // A stored chunk damaged, or missing.
  std::string& chunk = stored.at(encoded.sections[5].first);
  chunk[chunk.size() / 2] ^= 0x01;
  BOOST_TEST(rule(bytes) == "checkpoint.digest");
  stored.erase(encoded.sections[5].first);
  BOOST_TEST(rule(bytes) == "checkpoint.section");
  std::string older = bytes;
  older[10] = 1;  // the format number's last byte
  BOOST_TEST(rule(older) == "checkpoint.version");
  BOOST_TEST(rule("plstate") == "checkpoint.format");
}

BOOST_AUTO_TEST_CASE(start_up_rewrites_checkpoints_this_build_cannot_load) {
  Writer w;
  std::string live;
  {
    auto p = w.Open(5);  // checkpoints at 5 and 10 (as commits pass them) and 12 (at close)
    std::vector<ledger::SignedDecision> batch{w.Genesis()};
    for (int i = 1; i <= 11; ++i) {
      batch.push_back(w.Propose("P-" + std::to_string(i)));
      if (batch.size() == 5 || i == 11) {
        BOOST_REQUIRE(p->Submit(batch).ok());
        batch.clear();
      }
    }
    live = LiveBytes(*p);
  }
  // An older build's checkpoints (another format number) at 5, 10 and 12:
  // as after an upgrade that changed the format.
  {
    auto store = ledger::Store::Open(w.dir.str("data"));
    BOOST_REQUIRE(store.ok());
    for (std::uint64_t at : {5, 10, 12}) {
      std::string older;
      BOOST_REQUIRE(
          (*store)
              ->VisitCheckpoint(at,
                                [&](std::uint64_t, ByteView b, const ledger::Store::SectionOf&) {
                                  older.assign(reinterpret_cast<const char*>(b.data()), b.size());
                                })
              .ok());
      older[10] = 1;
      BOOST_REQUIRE((*store)->PutCheckpoint(at, AsBytes(older)).ok());
      // And one at a size no multiple of 5 (an older build's interval).
      if (at == 5) BOOST_REQUIRE((*store)->PutCheckpoint(7, AsBytes(older)).ok());
    }
  }
  // A read-only open replays from scratch and writes nothing.
  w.log.clear();
  {
    ProgrammeOptions o = w.Options(5);
    o.store.read_only = true;
    auto p = Programme::Open(w.dir.str("data"), o);
    BOOST_REQUIRE(p.ok());
    BOOST_TEST(LiveBytes(**p) == live);
    for (const auto& line : w.log) BOOST_TEST(line.find("written") == std::string::npos, line);
    BOOST_TEST(*(*p)->store().Checkpoints() == (std::vector<std::uint64_t>{5, 7, 10, 12}));
  }
  // A writable open tries each, newest first, replays from the start,
  // rewrites the ones at 5 and 10 as it passes them, and the one at 12 at
  // close.
  w.log.clear();
  {
    auto p = w.Open(5);
    BOOST_TEST(LiveBytes(*p) == live);
    const std::string logged = [&] {
      std::string all;
      for (const auto& line : w.log) all += line + "\n";
      return all;
    }();
    BOOST_TEST(logged.find("checkpoint written at 5 events") != std::string::npos, logged);
    BOOST_TEST(logged.find("checkpoint written at 10 events") != std::string::npos, logged);
    BOOST_TEST(logged.find("checkpoint at 5 ignored (checkpoint.version") != std::string::npos,
               logged);
    BOOST_TEST(logged.find("replayed 12 events after the checkpoint at 0") != std::string::npos,
               logged);
    // The ones at 7 (never replaced) and at 12 (until the close writes it
    // again) are removed.
    BOOST_TEST(logged.find("checkpoint at 7 of format 1 removed") != std::string::npos, logged);
    BOOST_TEST(*p->store().Checkpoints() == (std::vector<std::uint64_t>{5, 10}));
  }
  auto store = ledger::Store::Open(w.dir.str("data"));
  BOOST_REQUIRE(store.ok());
  for (std::uint64_t at : {5, 10, 12}) {
    crypto::Hash root{};
    Status checked = Status::Corruption("test", "no checkpoint");
    BOOST_REQUIRE(
        (*store)
            ->VisitCheckpoint(at,
                              [&](std::uint64_t size, ByteView b, const ledger::Store::SectionOf&) {
                                if (size == at) checked = CheckCheckpoint(b, &root);
                              })
            .ok());
    BOOST_TEST(checked.ok(), "at " << at << ": " << checked.ToString());
  }
}

BOOST_AUTO_TEST_CASE(as_of_time_uses_recorded_time) {
  Writer w;
  auto p = w.Open();
  auto g = w.Genesis();
  BOOST_REQUIRE(
      p->Submit(std::span(&g, 1), false, Timestamp{1330592400000})->decisions[0].status.ok());
  auto a = w.Propose("P-1");
  BOOST_REQUIRE(
      p->Submit(std::span(&a, 1), false, Timestamp{1420070400000})->decisions[0].status.ok());
  auto b = w.Propose("P-2");
  BOOST_REQUIRE(
      p->Submit(std::span(&b, 1), false, Timestamp{1577836800000})->decisions[0].status.ok());
  auto at2016 = p->AsOfTime(*ledger::ParseTimestamp("2016-01-01T00:00:00Z"));
  BOOST_REQUIRE(at2016.ok());
  BOOST_TEST(at2016->size == 2u);
  BOOST_TEST(at2016->projects.count("P-1") == 1u);
  BOOST_TEST(at2016->projects.count("P-2") == 0u);
  BOOST_TEST(p->AsOfTime(0)->size == 0u);
}

BOOST_AUTO_TEST_CASE(optimistic_concurrency_refuses_a_moved_subject) {
  Writer w;
  auto p = w.Open();
  std::vector<ledger::SignedDecision> batch{w.Genesis(), w.Propose("P-1")};
  BOOST_REQUIRE(p->Submit(batch).ok());
  auto approve = [&](const char* id) {
    return w.Make("project.approved", "joint-committee",
                  {{"budget", MoneyValue(1000)}, {"project_id", id}}, {"jc-cn", "jc-asean"});
  };
  auto stale = approve("P-1");
  std::vector<std::optional<Expectation>> expect{Expectation{"P-1", 0}};
  auto r = p->Submit(std::span(&stale, 1), false, std::nullopt, expect);
  BOOST_TEST(r->decisions[0].status.rule() == "state.moved");
  BOOST_TEST(p->store().size() == 2u);
  expect[0] = Expectation{"P-1", 1};
  r = p->Submit(std::span(&stale, 1), false, std::nullopt, expect);
  BOOST_TEST(r->decisions[0].status.ok(), r->decisions[0].status.ToString());
  BOOST_TEST(p->Submit(std::span(&stale, 1), false, std::nullopt,
                       std::vector<std::optional<Expectation>>{std::nullopt, std::nullopt})
                 .status()
                 .rule() == "submit.expect");
}
