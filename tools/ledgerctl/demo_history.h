// DemoHistory: a synthetic, realistic record of the China-ASEAN Science and
// Technology Partnership Programme, from its genesis in March 2012 to
// November 2026, for demonstrations, load tests and the live demo.
//
// The history follows docs/events.md to the letter: every decision is signed
// by officers of its deciding body with keys that are active when it is
// issued, under a policy of that body in force at the time, and is valid
// against the state left by the decisions before it. docs/demo.md describes
// what it contains.
//
// Determinism: everything (ids, names, amounts, dates, officers' keys and so
// the Ed25519 signatures) is a pure function of the seed and the event count;
// no clock, no std::random_device, no library distributions.
//
// Size: exactly `events` decisions. The governance record (meetings,
// officers, keys, policies, bilateral mechanisms, partnerships) is about the
// same whatever the size; the number of projects, and with them funding,
// milestones and evaluations, scales to fill the rest. Generation streams:
// memory is bounded by the projects in flight, never by the history.
//
// Thread-safety: none; one thread drives a DemoHistory.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/ed25519.h"
#include "ledger/decision.h"

namespace pl::ctl {

struct DemoOptions {
  // Every byte of the history follows from the seed.
  std::uint64_t seed = 2012;
  // Decisions in the history (at least 1). The first is the genesis.
  std::uint64_t events = 5000;
};

// An officer appointed at some point of the history, with the key it signs with then.
struct DemoOfficer {
  std::string officer_id;
  std::string body_id;
  std::string role;
  crypto::PrivateKey key;
};

class DemoHistory {
 public:
  explicit DemoHistory(const DemoOptions& options);
  ~DemoHistory();
  DemoHistory(const DemoHistory&) = delete;
  DemoHistory& operator=(const DemoHistory&) = delete;

  // Decisions in the whole history (= options.events).
  std::uint64_t size() const;
  // Decisions handed out by Next so far.
  std::uint64_t produced() const;
  bool done() const { return produced() == size(); }

  // Appends up to `max` next decisions to *batch in issue order (issued_at
  // strictly increasing over the whole history) and returns how many; 0 once
  // done. The demo is a historical import: record each decision at its own
  // issued_at.
  std::size_t Next(std::vector<ledger::SignedDecision>* batch, std::size_t max);

  // The officers in office after the decisions produced so far, each with
  // its current (active) private key, in a stable order.
  std::vector<DemoOfficer> Officers() const;

  // An officer's key of a given generation (0 when first registered, +1 at
  // each rotation or replacement):
  //   seed32 = SHA-256("partnership-ledger demo key" || seed as 8 bytes
  //            big-endian || officer_id || generation as 4 bytes big-endian)
  static crypto::PrivateKey OfficerKey(std::uint64_t seed, std::string_view officer_id,
                                       std::uint32_t generation);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace pl::ctl
