// Writer: the one thread that appends. Sessions hand it submissions; it takes
// every single-decision submission queued behind the one at the front into
// one group commit (Programme::Submit), submits each multi-decision request
// on its own (all or nothing), answers each submission, and publishes what
// was appended to the Hub in log order.
//
// The Ed25519 check of each signature, the costliest step of a submit, runs
// before the queue, in the submitting thread (the sessions' I/O threads, in
// parallel), while the writer commits the group before: Submit() verifies
// every signature whose key the live state knows against that key (a key id
// is the SHA-256 of its public key, so the binding never changes) and marks
// the decision verified. The writer then skips only that check
// (ApplyOptions::signatures_verified); whether the key is registered, not
// revoked at that moment, an officer's of the deciding body, and the policy,
// are checked by the writer as before. A decision with an unknown key or a
// signature that does not verify is left to the writer, which refuses it
// with the same rule as before.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "hub.h"
#include "projections/programme.h"

namespace pl::api {

struct Submission {
  std::vector<ledger::SignedDecision> decisions;
  // Empty, or one per decision.
  std::vector<std::optional<projections::Expectation>> expectations;
  // True for a `decisions` request (all or nothing), false for `decision`.
  bool batch = false;
  // Set by Writer::Submit: one per decision, true when its signatures verified.
  std::vector<bool> signatures_verified;
  // Called once, on the writer thread, with the outcome. Must not block.
  std::function<void(Result<projections::SubmitResult>)> done;
};

class Writer {
 public:
  // on_commit, when set, is called after every commit that appended events,
  // with its duration (seconds) and the number of events it appended.
  // on_refusal, when set, is called once per refused decision with its rule
  // (not for "batch.refused", which only echoes another decision's refusal).
  // Both run on the writer thread and must not block.
  Writer(projections::Programme& programme, Hub& hub, std::size_t max_group_commit,
         std::function<void(double seconds, std::size_t decisions)> on_commit = {},
         std::function<void(const std::string& rule)> on_refusal = {});
  ~Writer();  // Stop()s

  // Verifies the signatures (in the calling thread), then queues. False
  // (and `done` not called) once stopping.
  bool Submit(Submission submission);
  // Finishes what is queued, then stops the thread. Idempotent.
  void Stop();
  std::size_t queued() const;
  // Decisions whose signatures Submit() verified before the queue.
  std::uint64_t verified_early() const { return verified_early_.load(); }

 private:
  void Run();
  // Takes the next group off the queue. REQUIRES: mutex_ held, queue_ not empty.
  std::vector<Submission> TakeGroup();
  // Submits one group, answers each submission and publishes what was appended.
  void Commit(std::vector<Submission>& group);

  projections::Programme& programme_;
  Hub& hub_;
  const std::size_t max_group_commit_;
  std::function<void(double, std::size_t)> on_commit_;
  mutable std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<Submission> queue_;
  bool stopping_ = false;
  std::function<void(const std::string&)> on_refusal_;
  std::atomic<std::uint64_t> verified_early_{0};
  std::mutex join_mutex_;  // Stop() may be called from several threads
  std::thread thread_;
};

}  // namespace pl::api
