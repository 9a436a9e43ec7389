// Programme: the ledger at work. It owns the Store and the live state, is
// the single writer (every decision passes the rules before it is appended),
// and answers state queries now and as of any earlier point.
//
// Thread-safety: Submit may be called from any thread; submissions are
// serialized (one writer) and each call's batch is one group commit. Reads
// (WithState, AsOf, the Store's own reads) may run concurrently with it:
// they see the state after some whole batch, never half of one, and never
// wait for the writer's signature checks or disk flush, only for the short
// in-memory apply of a committed batch.
#pragma once

#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "ledger/store.h"
#include "projections/rules.h"
#include "projections/state.h"
#include "projections/views.h"

namespace pl::projections {

struct ProgrammeOptions {
  ledger::StoreOptions store;
  // Write a checkpoint of the state every this many events (and on Close).
  std::uint64_t checkpoint_every = 20000;
  // Verify every signature when the state is rebuilt from the log at open
  // (the log's own tree head is always verified). Off: trust the signed head.
  bool verify_on_open = false;
  // Where log lines go ("checkpoint ignored: ...", "replayed N events"); none when empty.
  std::function<void(const std::string&)> log;
  // The clock for recorded_at; Now() when empty.
  std::function<Timestamp()> clock;
  // Called now and then while events are replayed (at open, and for as-of
  // states) with the events done and the events to do.
  std::function<void(std::uint64_t done, std::uint64_t total)> progress;
};

// The result of one submitted decision.
struct Submitted {
  Status status;  // ok, or the rule it broke (then nothing of it was written)
  std::uint64_t sequence = 0;
  crypto::Hash leaf_hash{};
  bool duplicate = false;  // already recorded: this is the original result
  std::string authority;   // the policy it was taken under
};

// Optimistic concurrency: refuse a decision ("state.moved") unless the
// subject's latest event (a project, commitment or partnership) is exactly
// `sequence`.
struct Expectation {
  std::string subject;
  std::uint64_t sequence = 0;
};

struct SubmitResult {
  std::vector<Submitted> decisions;  // in batch order
  ledger::TreeHead head;             // after the commit
};

// Folds the events [state->size, to) of the store's log into *state through
// the rules: a replay from a checkpoint or from scratch. A second thread
// scans and decodes the events a few hundred ahead; the calling thread
// applies them (it alone touches *state, `apply` and `progress`), finding
// subjects through a SubjectIndex of its own unless `apply` brings one
// (rules.h). progress, when set, is called
// now and then with the events done and the events to do. Corruption naming
// the rule when an event does not decode ("store.decode") or breaks a rule,
// "store.gap" when the log ends before `to`.
Status ReplayLog(const ledger::Store& store, ProgrammeState* state, std::uint64_t to,
                 const ApplyOptions& apply,
                 const std::function<void(std::uint64_t done, std::uint64_t total)>& progress = {});

class Programme {
 public:
  static Result<std::unique_ptr<Programme>> Open(const std::string& dir,
                                                 const ProgrammeOptions& options = {});
  ~Programme();

  // Checks each decision against the state as left by the ones before it and
  // appends the accepted ones in one durable transaction. With all_or_nothing,
  // one refusal refuses the whole batch (each decision then carries either its
  // own refusal or "batch.refused"). recorded_at, when given, stamps the new
  // events (historical imports); otherwise the clock does.
  // expectations, when not empty, holds one optional Expectation per decision.
  // signatures_verified, when not empty, holds one flag per decision: true
  // when its signatures were verified before Submit (ApplyOptions::
  // signatures_verified; every other rule still runs), false to verify here.
  Result<SubmitResult> Submit(std::span<const ledger::SignedDecision> batch,
                              bool all_or_nothing = false,
                              std::optional<Timestamp> recorded_at = std::nullopt,
                              std::span<const std::optional<Expectation>> expectations = {},
                              std::span<const bool> signatures_verified = {});

  // Runs fn with the current state under a shared lock. Keep fn short.
  void WithState(const std::function<void(const ProgrammeState&)>& fn) const;
  // The same, with that state's tallies (exactly Tallies::Of(state), kept
  // up to date at each commit), for Summary(state, tallies).
  void WithTallied(const std::function<void(const ProgrammeState&, const Tallies&)>& fn) const;
  // The state after the first `size` events (size <= log size).
  Result<ProgrammeState> AsOf(std::uint64_t size) const;
  // The state as recorded at time t (every event recorded at or before t).
  Result<ProgrammeState> AsOfTime(Timestamp t) const;
  // AsOf(size), shared and kept: the last few states asked for stay in
  // memory (a past state never changes), so the several queries a dashboard
  // makes of one past date, or a diff's points asked again, rebuild it once.
  // Calls for a point being rebuilt wait for that rebuild.
  Result<std::shared_ptr<const ProgrammeState>> SharedAsOf(std::uint64_t size) const;

  // Writes a checkpoint of the current state now.
  Status Checkpoint();

  ledger::Store& store() const;

 private:
  struct Impl;
  explicit Programme(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace pl::projections
