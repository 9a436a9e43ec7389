#include "projections/verify.h"

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "crypto/merkle.h"
#include "ledger/serialization.h"
#include "projections/rules.h"

namespace pl::projections {

namespace {

struct SignatureJob {
  std::uint64_t sequence;
  std::string signing_bytes;
  std::vector<std::pair<const crypto::PublicKey*, crypto::Signature>> signatures;
};

// A pool that checks signatures and remembers the earliest event that fails.
class SignatureCheckers {
 public:
  explicit SignatureCheckers(unsigned threads) {
    for (unsigned i = 0; i < threads; ++i) workers_.emplace_back([this] { Work(); });
  }
  ~SignatureCheckers() { Finish(); }

  void Add(std::vector<SignatureJob> batch) {
    std::unique_lock lock(mutex_);
    // Bounded: the reader waits rather than buffering the whole log.
    space_.wait(lock, [&] { return queue_.size() < 64; });
    queue_.push_back(std::move(batch));
    ready_.notify_one();
  }
  void Finish() {
    {
      std::lock_guard lock(mutex_);
      done_ = true;
    }
    ready_.notify_all();
    for (auto& w : workers_) {
      if (w.joinable()) w.join();
    }
  }
  // The earliest failing event, if any, and its status.
  std::optional<std::pair<std::uint64_t, Status>> failure() const {
    std::lock_guard lock(mutex_);
    return failure_;
  }
  std::uint64_t checked() const { return checked_; }

 private:
  void Work() {
    for (;;) {
      std::vector<SignatureJob> batch;
      {
        std::unique_lock lock(mutex_);
        ready_.wait(lock, [&] { return done_ || !queue_.empty(); });
        if (queue_.empty()) return;
        batch = std::move(queue_.front());
        queue_.pop_front();
        space_.notify_one();
      }
      for (const SignatureJob& job : batch) {
        for (const auto& [key, sig] : job.signatures) {
          ++checked_;
          if (!key->Verify(AsBytes(job.signing_bytes), sig)) {
            std::lock_guard lock(mutex_);
            if (!failure_ || failure_->first > job.sequence) {
              failure_.emplace(
                  job.sequence,
                  Status::Corruption("signature.invalid", "event " + std::to_string(job.sequence) +
                                                              ": the signature of key " +
                                                              key->key_id() + " does not verify"));
            }
          }
        }
      }
    }
  }

  mutable std::mutex mutex_;
  std::condition_variable ready_, space_;
  std::deque<std::vector<SignatureJob>> queue_;
  bool done_ = false;
  std::optional<std::pair<std::uint64_t, Status>> failure_;
  std::atomic<std::uint64_t> checked_{0};
  std::vector<std::thread> workers_;
};

Status At(std::uint64_t seq, const std::string& rule, const std::string& what) {
  return Status::Corruption(rule, "event " + std::to_string(seq) + ": " + what);
}

}  // namespace

Result<VerifyReport> VerifyLog(const ledger::Store& store, const VerifyOptions& options) {
  VerifyReport report;
  report.head = store.head();
  if (report.head.size > 0) {
    if (Status s = ledger::Verify(report.head, store.log_key()); !s.ok()) return s;
  }
  const unsigned threads =
      options.threads ? options.threads : std::max(1u, std::thread::hardware_concurrency());
  SignatureCheckers checkers(options.signatures ? threads : 0);

  ProgrammeState& state = report.state;
  ApplyOptions apply;
  apply.verify_signatures = false;  // checked by the pool instead
  apply.find_decision = [&store](std::string_view id) -> std::optional<Seq> {
    auto seq = store.Find(id);
    return seq.ok() ? std::optional<Seq>(*seq) : std::nullopt;
  };
  crypto::CompactRange range;
  std::vector<crypto::CompactRange::Node> unused;
  std::vector<SignatureJob> pending;
  Status problem;
  const std::uint64_t total = report.head.size;

  Status scan = store.ScanRaw(0, total, [&](std::uint64_t seq, ByteView bytes) {
    if (options.progress && seq % 4096 == 0) options.progress(seq, total);
    if (seq != range.size()) {
      problem = At(range.size(), "verify.gap", "missing from the log");
      return false;
    }
    auto e = ledger::Decode<ledger::Envelope>(bytes);
    if (!e.ok()) {
      problem = At(seq, "verify.decode", "does not decode: " + e.status().message());
      return false;
    }
    if (e->sequence != seq) {
      problem = At(seq, "verify.sequence", "carries sequence " + std::to_string(e->sequence));
      return false;
    }
    const ledger::Decision& d = e->decision.decision;
    const crypto::Hash leaf = crypto::LeafHash(AsBytes(ledger::EntryBytes(*e)));
    if (leaf != e->leaf_hash) {
      problem = At(seq, "verify.leaf_hash",
                   "(decision " + d.id + ") stored leaf hash " + ToHex(e->leaf_hash) +
                       " but its content hashes to " + ToHex(leaf));
      return false;
    }
    // Keys as the state holds them before the event; the genesis brings its own.
    const bool genesis = seq == 0;
    auto queue_signatures = [&] {
      if (!options.signatures) return true;
      SignatureJob job{seq, ledger::SigningBytes(d), {}};
      for (const auto& sig : e->decision.signatures) {
        const crypto::PublicKey* key = FindPublicKey(state, sig.key_id);
        if (!key) {
          problem = At(seq, "signature.unknown_key",
                       "(decision " + d.id + ") signed by unknown key " + ToHex(sig.key_id));
          return false;
        }
        job.signatures.emplace_back(key, sig.signature);
      }
      report.signatures += job.signatures.size();
      pending.push_back(std::move(job));
      if (pending.size() >= 256) checkers.Add(std::exchange(pending, {}));
      return true;
    };
    if (!genesis && !queue_signatures()) return false;
    if (Status s = Apply(&state, *e, apply); !s.ok()) {
      problem = At(seq, s.rule(), "(decision " + d.id + ") " + s.message());
      return false;
    }
    if (genesis && !queue_signatures()) return false;
    range.Append(leaf, &unused);
    return true;
  });
  if (!pending.empty()) checkers.Add(std::move(pending));
  checkers.Finish();
  // Report whichever problem comes first in the log.
  if (auto bad = checkers.failure(); bad && (problem.ok() || bad->first < range.size())) {
    return bad->second;
  }
  if (!problem.ok()) return problem;
  if (!scan.ok()) return scan;
  if (range.size() != total) {
    return At(range.size(), "verify.gap", "missing; the tree head covers " + std::to_string(total));
  }
  if (range.Root() != report.head.root) {
    return Status::Corruption("verify.root", "the events hash to root " + ToHex(range.Root()) +
                                                 " but the signed tree head says " +
                                                 ToHex(report.head.root));
  }
  auto stored = store.Root(total);
  if (!stored.ok()) return stored.status();
  if (*stored != report.head.root) {
    return Status::Corruption("verify.nodes",
                              "the stored Merkle nodes give root " + ToHex(*stored) +
                                  " but the signed tree head says " + ToHex(report.head.root));
  }
  if (options.progress) options.progress(total, total);
  report.events = total;
  return report;
}

}  // namespace pl::projections
