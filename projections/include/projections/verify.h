// VerifyLog: re-checks a whole log from its events alone — every record
// decodes and carries its sequence, its entry bytes hash to its leaf hash,
// every signature verifies with the key the governance state held for it at
// that point, every decision passes the rules in order, and the leaves give
// the root of the signed tree head. Signatures are checked on worker threads
// while the main thread decodes and applies, so all cores are used.
#pragma once

#include <cstdint>
#include <functional>

#include "ledger/store.h"
#include "projections/state.h"

namespace pl::projections {

struct VerifyOptions {
  // Worker threads for signature checks; 0 = one per hardware thread.
  unsigned threads = 0;
  // Check signatures at all (false: trust them, check everything else).
  bool signatures = true;
  // Called every few thousand events with (done, total).
  std::function<void(std::uint64_t, std::uint64_t)> progress;
};

struct VerifyReport {
  std::uint64_t events = 0;
  std::uint64_t signatures = 0;
  ledger::TreeHead head;
  ProgrammeState state;  // the state the log folds into
};

// On failure, the Status names the first bad event: "event N: ..." with the
// rule (verify.decode, verify.sequence, verify.leaf_hash, signature.*, the
// decision rules' own, verify.root, tree_head.signature).
Result<VerifyReport> VerifyLog(const ledger::Store& store, const VerifyOptions& options = {});

}  // namespace pl::projections
