#include "projections/programme.h"

#include <pthread.h>
#include <algorithm>
#include <array>
#include <atomic>
#include <deque>
#include <future>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <thread>
#include <unordered_map>

#include "checkpoint.h"
#include "ledger/serialization.h"

namespace pl::projections {

namespace {

// A readers-writer lock that lets a waiting writer in before readers that
// arrive after it. The state's readers (queries, pushes, subscriptions) are
// many and, under load, continuous; with the default kind (readers first) a
// commit could wait behind them indefinitely while its submitters wait for it.
class WriterFirstMutex {
 public:
  WriterFirstMutex() {
    pthread_rwlockattr_t attr;
    pthread_rwlockattr_init(&attr);
    pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&lock_, &attr);
    pthread_rwlockattr_destroy(&attr);
  }
  ~WriterFirstMutex() { pthread_rwlock_destroy(&lock_); }
  WriterFirstMutex(const WriterFirstMutex&) = delete;
  WriterFirstMutex& operator=(const WriterFirstMutex&) = delete;

  void lock() { pthread_rwlock_wrlock(&lock_); }
  void unlock() { pthread_rwlock_unlock(&lock_); }
  void lock_shared() { pthread_rwlock_rdlock(&lock_); }
  void unlock_shared() { pthread_rwlock_unlock(&lock_); }

 private:
  pthread_rwlock_t lock_;
};

}  // namespace

struct Programme::Impl {
  ProgrammeOptions options;
  std::unique_ptr<ledger::Store> store;

  // Two copies of the state: the writer checks a batch against its own copy
  // (so readers never wait for signature checks or the disk), and the batch
  // is applied to the readers' copy only once it is durable.
  std::mutex writer_mutex;
  ProgrammeState writer_state;
  // Readers hold it shared and must not take it again while they hold it
  // (a writer waiting in between would deadlock them).
  mutable WriterFirstMutex reader_mutex;
  ProgrammeState reader_state;
  Tallies reader_tallies;  // Tallies::Of(reader_state), kept up to date at each commit
  std::uint64_t last_checkpoint = 0;

  // SharedAsOf's recent states, newest first. A state being rebuilt is
  // already here (its future not yet ready), so other calls for it wait.
  using SharedState = Result<std::shared_ptr<const ProgrammeState>>;
  struct KeptState {
    std::uint64_t size;
    std::shared_future<SharedState> state;
  };
  // Each kept state holds the whole programme at its point (about 190 MiB
  // at a million events): two serve a dashboard's questions of one date and
  // a diff's two points.
  static constexpr std::size_t kKeptStates = 2;
  mutable std::mutex kept_mutex;
  mutable std::deque<KeptState> kept;

  void Log(const std::string& line) const {
    if (options.log) options.log(line);
  }

  ApplyOptions ReplayOptions(bool verify) const {
    ApplyOptions o;
    o.verify_signatures = verify;
    o.find_decision = [this](std::string_view id) -> std::optional<Seq> {
      auto seq = store->Find(id);
      return seq.ok() ? std::optional<Seq>(*seq) : std::nullopt;
    };
    return o;
  }

  // Folds events [state->size, to) into *state.
  Status Replay(ProgrammeState* state, std::uint64_t to, bool verify) const {
    return ReplayLog(*store, state, to, ReplayOptions(verify), options.progress);
  }

  // The chunks of the writer's last checkpoint (written or loaded): what
  // the next checkpoint need not write again, and what a state loaded for an
  // as-of query shares instead of decoding. Replaced, never changed.
  mutable std::mutex known_mutex;
  std::shared_ptr<const KnownChunks> known = std::make_shared<KnownChunks>();

  std::shared_ptr<const KnownChunks> Known() const {
    std::lock_guard lock(known_mutex);
    return known;
  }

  // Sets *state to the newest usable checkpoint at or below `at_most`, or to
  // the empty state when there is none; *learned, when given, receives its
  // chunks. A checkpoint that does not load is logged and the one before it
  // tried.
  void LoadCheckpoint(std::uint64_t at_most, ProgrammeState* state,
                      KnownChunks* learned = nullptr) const {
    *state = {};
    const std::shared_ptr<const KnownChunks> shared = Known();
    for (;;) {
      std::uint64_t size = 0;
      crypto::Hash root{};
      bool found = false;
      Status problem;
      std::optional<Result<ProgrammeState>> decoded;
      Status read = store->VisitCheckpoint(
          at_most, [&](std::uint64_t at, ByteView bytes, const ledger::Store::SectionOf& section) {
            found = true;
            size = at;
            problem = CheckCheckpoint(bytes, &root);
            if (!problem.ok()) return;
            decoded = DecodeCheckedCheckpoint(bytes, section, shared.get(), learned);
            if (!decoded->ok()) problem = decoded->status();
          });
      if (!read.ok() || !found) return;
      if (problem.ok()) {
        auto log_root = store->Root(size);
        if (!log_root.ok() || *log_root != root || (*decoded)->size != size) {
          problem = Status::Corruption("checkpoint.root", "it does not match the log");
        }
      }
      if (problem.ok()) {
        *state = std::move(**decoded);
        return;
      }
      if (learned) *learned = {};
      Log("checkpoint at " + std::to_string(size) + " ignored (" + problem.ToString() + "); " +
          (size > 0 ? "trying the one before" : "rebuilding from the log"));
      if (size == 0) return;
      at_most = size - 1;
    }
  }

  // True when the store holds a checkpoint at exactly `size` that this
  // build can load (the header checks alone: format, version, table).
  bool HasCheckpointAt(std::uint64_t size) const {
    bool usable = false;
    crypto::Hash root{};
    Status read = store->VisitCheckpoint(
        size, [&](std::uint64_t at, ByteView bytes, const ledger::Store::SectionOf&) {
          usable = at == size && CheckCheckpoint(bytes, &root).ok();
        });
    return read.ok() && usable;
  }

  // Removes the checkpoints of another format (an older build's, after an
  // upgrade, once the replay has written this build's at the multiples of
  // checkpoint_every): none of them loads, and those at other sizes would
  // never be replaced.
  void RemoveOtherFormats() {
    auto sizes = store->Checkpoints();
    if (!sizes.ok()) return;
    for (std::uint64_t size : *sizes) {
      std::uint32_t format = kStateFormat;
      Status read = store->VisitCheckpoint(
          size, [&](std::uint64_t, ByteView bytes, const ledger::Store::SectionOf&) {
            format = CheckpointFormat(bytes);
          });
      if (!read.ok() || format == kStateFormat) continue;
      Status removed = store->RemoveCheckpoint(size);
      Log("checkpoint at " + std::to_string(size) + " of format " + std::to_string(format) +
          (removed.ok() ? " removed" : " not removed: " + removed.ToString()));
    }
  }

  // Replay for Open: folds events [state->size, to) into *state and, on a
  // writable store, writes a checkpoint at each multiple of checkpoint_every
  // it passes where none is usable, so that an as-of query finds one near
  // every point. That happens after an upgrade whose checkpoint format
  // differs: the first start-up replays from scratch and rewrites them all.
  Status ReplayWritingCheckpoints(ProgrammeState* state, std::uint64_t to, bool verify) {
    const std::uint64_t every = options.checkpoint_every;
    if (options.store.read_only || every == 0) return Replay(state, to, verify);
    for (std::uint64_t at = (state->size / every + 1) * every; at < to; at += every) {
      if (HasCheckpointAt(at)) continue;
      if (Status s = Replay(state, at, verify); !s.ok()) return s;
      if (Status s = WriteCheckpoint(*state); !s.ok()) Log("checkpoint failed: " + s.ToString());
    }
    return Replay(state, to, verify);
  }

  // Writes only the chunks the last checkpoint did not; the state's chunks
  // are then the known ones.
  Status WriteCheckpoint(const ProgrammeState& state) {
    auto root = store->Root(state.size);
    if (!root.ok()) return root.status();
    auto now_known = std::make_shared<KnownChunks>();
    const EncodedCheckpoint encoded =
        EncodeCheckpoint(state, *root, Known().get(), now_known.get());
    std::vector<ledger::Store::CheckpointSection> sections;
    sections.reserve(encoded.sections.size());
    for (const auto& [digest, bytes] : encoded.sections)
      sections.push_back({digest, AsBytes(bytes)});
    Status s = store->PutCheckpoint(state.size, AsBytes(encoded.bytes), sections);
    if (s.ok()) {
      last_checkpoint = state.size;
      {
        std::lock_guard lock(known_mutex);
        known = std::move(now_known);
      }
      Log("checkpoint written at " + std::to_string(state.size) + " events");
    }
    return s;
  }
};

namespace {

// Replay in two stages on two threads: a decoder scans the log and decodes
// each event into a slot of a ring of batches; the calling thread applies
// them in order. The decoder stays at most kBatches batches ahead.
class DecodedRing {
 public:
  static constexpr std::size_t kBatch = 256;
  static constexpr std::size_t kBatches = 8;

  // An event decoded, and what the applier may fetch before it applies it.
  struct Decoded {
    ledger::Envelope envelope;
    SubjectIndex::Hint hint;
  };

  // The decoder's side: where to decode the next event.
  Decoded* Next() {
    if (filling_ == kBatch) {
      Publish(false);
      filling_ = 0;
      // Wait for the applier to release the batch this one overwrites.
      for (std::uint64_t done = consumed_.load(std::memory_order_acquire);
           produced_ - done >= kBatches; done = consumed_.load(std::memory_order_acquire)) {
        if (stop_.load(std::memory_order_relaxed)) return nullptr;
        consumed_.wait(done, std::memory_order_acquire);
      }
    }
    return &slots_[produced_ % kBatches][filling_++];
  }
  // The event just decoded into Next()'s envelope did not decode.
  void Unfill() { --filling_; }
  void Finish(Status failure) {
    failure_ = std::move(failure);
    Publish(true);
  }

  // The applier's side: the next batch (empty at the end), then Release it.
  std::span<Decoded> Take() {
    std::uint64_t state = published_.load(std::memory_order_acquire);
    while ((state >> 1) <= taken_ && !(state & 1)) {
      published_.wait(state, std::memory_order_acquire);
      state = published_.load(std::memory_order_acquire);
    }
    if ((state >> 1) <= taken_) return {};
    const std::uint64_t b = taken_++;
    const bool last = (state & 1) && (state >> 1) == taken_;
    return {slots_[b % kBatches].data(), last ? last_count_ : kBatch};
  }
  void Release() {
    consumed_.store(taken_, std::memory_order_release);
    consumed_.notify_one();
  }
  // The applier takes no more batches: the decoder stops at its next one.
  // (Releasing "every batch" ends any wait; stop_ then ends the scan.)
  void Stop() {
    stop_.store(true, std::memory_order_relaxed);
    consumed_.store(~std::uint64_t{0} >> 1, std::memory_order_release);
    consumed_.notify_one();
  }
  const Status& failure() const { return failure_; }

 private:
  void Publish(bool end) {
    if (filling_ > 0) ++produced_;
    if (end) last_count_ = filling_ > 0 ? filling_ : kBatch;
    published_.store(produced_ << 1 | (end ? 1 : 0), std::memory_order_release);
    published_.notify_one();
  }

  std::array<std::array<Decoded, kBatch>, kBatches> slots_;
  std::uint64_t produced_ = 0;               // decoder's: batches published
  std::size_t filling_ = 0;                  // decoder's: events in the batch being filled
  std::size_t last_count_ = 0;               // events in the last batch, once published
  std::uint64_t taken_ = 0;                  // applier's
  std::atomic<std::uint64_t> published_{0};  // batches << 1 | ended
  std::atomic<std::uint64_t> consumed_{0};
  std::atomic<bool> stop_{false};
  Status failure_;  // the decoder's, read after the end is published
};

Status DecodeStored(std::uint64_t seq, ByteView bytes, ledger::Envelope* e) {
  Status failure = ledger::DecodeEnvelopeInto(bytes, e);
  if (failure.ok() && e->sequence != seq) {
    failure =
        Status::Corruption("store.decode", "it carries sequence " + std::to_string(e->sequence));
  }
  if (!failure.ok()) {
    return Status::Corruption(
        "store.decode", "event " + std::to_string(seq) + " does not decode: " + failure.message());
  }
  return failure;
}

}  // namespace

Status ReplayLog(const ledger::Store& store, ProgrammeState* state, std::uint64_t to,
                 const ApplyOptions& apply,
                 const std::function<void(std::uint64_t, std::uint64_t)>& progress) {
  const std::uint64_t from = state->size;
  SubjectIndex index;  // *state changes only through Apply below
  index.complete = from == 0;
  ApplyOptions indexed = apply;
  if (!indexed.index) indexed.index = &index;
  auto ring = std::make_unique<DecodedRing>();
  std::jthread decoder([&] {
    Status failure;
    Status scan = store.ScanRaw(from, to, [&](std::uint64_t seq, ByteView bytes) {
      DecodedRing::Decoded* next = ring->Next();
      if (!next) return false;
      failure = DecodeStored(seq, bytes, &next->envelope);
      if (!failure.ok()) {
        ring->Unfill();
        return false;
      }
      next->hint = SubjectIndex::HintOf(next->envelope.decision.decision);
      return true;
    });
    ring->Finish(!failure.ok() ? failure : scan);
  });
  // However this returns, the decoder stops before it is joined.
  struct StopDecoder {
    DecodedRing* ring;
    ~StopDecoder() { ring->Stop(); }
  } stop{ring.get()};
  Status failure;
  while (failure.ok()) {
    const std::span<DecodedRing::Decoded> batch = ring->Take();
    if (batch.empty()) break;
    // The subjects of the events 16 ahead come into the cache while these
    // are applied (their table slots, then, 8 ahead, the subjects).
    for (std::size_t i = 0; i < batch.size(); ++i) {
      if (i + 16 < batch.size()) indexed.index->PrefetchSlot(batch[i + 16].hint);
      if (i + 8 < batch.size()) indexed.index->PrefetchSubject(batch[i + 8].hint);
      const ledger::Envelope& e = batch[i].envelope;
      if (progress && (e.sequence - from) % 4096 == 0) progress(e.sequence - from, to - from);
      failure = Apply(state, e, indexed);
      if (!failure.ok()) {
        failure = Status::Corruption(failure.rule(),
                                     "event " + std::to_string(e.sequence) +
                                         " breaks a rule on replay: " + failure.message());
        break;
      }
    }
    ring->Release();
  }
  ring->Stop();
  decoder.join();
  if (!failure.ok()) return failure;
  if (!ring->failure().ok()) return ring->failure();
  if (progress) progress(to - from, to - from);
  if (state->size != to) {
    return Status::Corruption(
        "store.gap",
        "replay stopped at event " + std::to_string(state->size) + " of " + std::to_string(to));
  }
  return Status::Ok();
}

Programme::Programme(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Programme::~Programme() {
  if (!impl_ || impl_->options.store.read_only) return;
  std::lock_guard writer(impl_->writer_mutex);
  if (impl_->writer_state.size != impl_->last_checkpoint) {
    Status s = impl_->WriteCheckpoint(impl_->writer_state);
    if (!s.ok()) impl_->Log("checkpoint at close failed: " + s.ToString());
  }
}

Result<std::unique_ptr<Programme>> Programme::Open(const std::string& dir,
                                                   const ProgrammeOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  auto store = ledger::Store::Open(dir, options.store);
  if (!store.ok()) return store.status();
  impl->store = std::move(*store);
  const ledger::TreeHead head = impl->store->head();
  if (head.size > 0) {
    if (Status s = ledger::Verify(head, impl->store->log_key()); !s.ok()) return s;
  }
  ProgrammeState state;
  auto learned = std::make_shared<KnownChunks>();
  impl->LoadCheckpoint(head.size, &state, learned.get());
  impl->known = std::move(learned);
  impl->last_checkpoint = state.size;
  const std::uint64_t from = state.size;
  if (Status s = impl->ReplayWritingCheckpoints(&state, head.size, options.verify_on_open);
      !s.ok()) {
    return s;
  }
  if (head.size > from) {
    impl->Log("replayed " + std::to_string(head.size - from) + " events after the checkpoint at " +
              std::to_string(from));
  }
  if (!options.store.read_only) impl->RemoveOtherFormats();
  // The writer's copy shares the readers' chunks until either changes one.
  impl->writer_state = state;
  impl->reader_tallies = Tallies::Of(state);
  impl->reader_state = std::move(state);
  return std::unique_ptr<Programme>(new Programme(std::move(impl)));
}

namespace {

// The latest event on a project, commitment or partnership.
std::optional<Seq> LastSequence(const ProgrammeState& s, const std::string& subject) {
  if (auto it = s.projects.find(subject); it != s.projects.end()) return it->second.last_seq;
  if (auto it = s.commitments.find(subject); it != s.commitments.end()) return it->second.last_seq;
  if (auto it = s.partnerships.find(subject); it != s.partnerships.end())
    return it->second.last_seq;
  return std::nullopt;
}

}  // namespace

Result<SubmitResult> Programme::Submit(std::span<const ledger::SignedDecision> batch,
                                       bool all_or_nothing, std::optional<Timestamp> recorded_at,
                                       std::span<const std::optional<Expectation>> expectations,
                                       std::span<const bool> signatures_verified) {
  if (!expectations.empty() && expectations.size() != batch.size()) {
    return Status::Invalid("submit.expect", "one expectation (or none) per decision");
  }
  if (!signatures_verified.empty() && signatures_verified.size() != batch.size()) {
    return Status::Invalid("submit.verified", "one signature flag (or none) per decision");
  }
  Impl& m = *impl_;
  std::lock_guard writer(m.writer_mutex);
  ProgrammeState& state = m.writer_state;
  const Timestamp now =
      std::max(recorded_at.value_or(m.options.clock ? m.options.clock() : ledger::Now()),
               state.last_recorded_at);

  SubmitResult result;
  result.decisions.resize(batch.size());
  std::vector<ledger::SignedDecision> accepted;
  std::vector<ledger::Annotation> annotations;
  std::vector<std::size_t> accepted_index;  // batch position of each accepted decision
  accepted.reserve(batch.size());
  annotations.reserve(batch.size());
  accepted_index.reserve(batch.size());
  std::unordered_map<std::string_view, std::size_t> new_ids;  // id -> batch position

  ApplyOptions apply = m.ReplayOptions(true);
  const std::uint64_t base = state.size;
  apply.find_decision = [&](std::string_view id) -> std::optional<Seq> {
    if (auto it = new_ids.find(id); it != new_ids.end()) {
      return result.decisions[it->second].sequence;
    }
    auto seq = m.store->Find(id);
    return seq.ok() ? std::optional<Seq>(*seq) : std::nullopt;
  };

  bool refused_any = false;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const ledger::SignedDecision& d = batch[i];
    Submitted& out = result.decisions[i];
    if (Status s = ledger::CheckShape(d.decision); !s.ok()) {
      out.status = s;
      refused_any = true;
      continue;
    }
    // A decision already recorded (or earlier in this batch) returns its original result.
    auto same = [&](const ledger::Decision& original) {
      return ledger::SigningBytes(original) == ledger::SigningBytes(d.decision);
    };
    if (auto it = new_ids.find(d.decision.id); it != new_ids.end()) {
      if (same(batch[it->second].decision)) {
        out = result.decisions[it->second];
        out.duplicate = true;
      } else {
        out.status = Status::Conflict("decision.id_reused",
                                      "decision id \"" + d.decision.id +
                                          "\" appears twice in the batch with different content");
        refused_any = true;
      }
      continue;
    }
    if (auto seq = m.store->Find(d.decision.id); seq.ok()) {
      auto original = m.store->Read(*seq);
      if (!original.ok()) return original.status();
      if (same(original->decision.decision)) {
        out.sequence = *seq;
        out.leaf_hash = original->leaf_hash;
        out.duplicate = true;
        auto authority = m.store->Authority(*seq);
        if (authority.ok()) out.authority = *authority;
      } else {
        out.status = Status::Conflict(
            "decision.id_reused", "decision id \"" + d.decision.id +
                                      "\" is already recorded (sequence " + std::to_string(*seq) +
                                      ") with different content");
        refused_any = true;
      }
      continue;
    }
    if (!expectations.empty() && expectations[i]) {
      const Expectation& x = *expectations[i];
      const std::optional<Seq> last = LastSequence(state, x.subject);
      if (last != x.sequence) {
        out.status = Status::Conflict(
            "state.moved", x.subject +
                               (last ? " was last changed by event " + std::to_string(*last)
                                     : std::string(" has no events")) +
                               ", not " + std::to_string(x.sequence));
        refused_any = true;
        continue;
      }
    }
    // The decision's one copy: into the envelope Apply reads, then moved on
    // into `accepted` (the batch itself stays the caller's).
    ledger::Envelope envelope{base + accepted.size(), now, d, {}};
    Applied applied;
    apply.signatures_verified = !signatures_verified.empty() && signatures_verified[i];
    if (Status s = Apply(&state, envelope, apply, &applied); !s.ok()) {
      out.status = s;
      refused_any = true;
      continue;
    }
    out.sequence = envelope.sequence;
    out.authority = applied.authority;
    new_ids.emplace(d.decision.id, i);
    annotations.push_back(ledger::Annotation{applied.authority, Subjects(d.decision)});
    accepted.push_back(std::move(envelope.decision));
    accepted_index.push_back(i);
  }

  auto restore_writer_state = [&] {
    std::shared_lock lock(m.reader_mutex);
    state = m.reader_state;
  };
  if (refused_any && all_or_nothing) {
    if (!accepted.empty()) restore_writer_state();
    for (auto& d : result.decisions) {
      if (d.status.ok()) {
        d = Submitted{Status::Invalid("batch.refused", "another decision in the batch was refused"),
                      0,
                      {},
                      false,
                      {}};
      }
    }
    result.head = m.store->head();
    return result;
  }
  if (accepted.empty()) {
    result.head = m.store->head();
    return result;
  }

  auto appended = m.store->Append(accepted, now, annotations);
  if (!appended.ok()) {
    restore_writer_state();
    return appended.status();
  }
  result.head = appended->head;
  for (std::size_t k = 0; k < accepted.size(); ++k) {
    Submitted& out = result.decisions[accepted_index[k]];
    out.leaf_hash = appended->decisions[k].leaf_hash;
  }
  for (std::size_t i = 0; i < batch.size(); ++i) {  // in-batch repeats copy the final result
    if (result.decisions[i].duplicate) {
      if (auto it = new_ids.find(batch[i].decision.id); it != new_ids.end()) {
        result.decisions[i].leaf_hash = result.decisions[it->second].leaf_hash;
      }
    }
  }

  // The projects, commitments and partnerships the batch changes: an event
  // changes only those its payload names (Subjects), so the tallies take
  // them away before the batch and count them again after it.
  std::vector<std::string> changed;
  for (const ledger::Annotation& a : annotations) {
    changed.insert(changed.end(), a.subjects.begin(), a.subjects.end());
  }
  std::sort(changed.begin(), changed.end());
  changed.erase(std::unique(changed.begin(), changed.end()), changed.end());

  // Durable: now the readers' copy takes the batch, all at once.
  {
    std::unique_lock lock(m.reader_mutex);
    m.reader_tallies.Count(m.reader_state, changed, -1);
    const ApplyOptions replay = m.ReplayOptions(false);
    for (std::size_t k = 0; k < accepted.size(); ++k) {
      // `accepted` is done with: each decision moves into its envelope.
      const ledger::Envelope envelope{base + k, now, std::move(accepted[k]),
                                      appended->decisions[k].leaf_hash};
      Status s = Apply(&m.reader_state, envelope, replay);
      if (!s.ok()) m.Log("BUG: a committed decision did not re-apply: " + s.ToString());
    }
    m.reader_tallies.Count(m.reader_state, changed, +1);
  }
  if (m.options.checkpoint_every > 0 &&
      state.size / m.options.checkpoint_every > m.last_checkpoint / m.options.checkpoint_every) {
    Status s = m.WriteCheckpoint(state);
    if (!s.ok()) m.Log("checkpoint failed: " + s.ToString());
  }
  return result;
}

void Programme::WithState(const std::function<void(const ProgrammeState&)>& fn) const {
  std::shared_lock lock(impl_->reader_mutex);
  fn(impl_->reader_state);
}

void Programme::WithTallied(
    const std::function<void(const ProgrammeState&, const Tallies&)>& fn) const {
  std::shared_lock lock(impl_->reader_mutex);
  fn(impl_->reader_state, impl_->reader_tallies);
}

Result<ProgrammeState> Programme::AsOf(std::uint64_t size) const {
  const std::uint64_t have = impl_->store->size();
  if (size > have) {
    return Status::Invalid("as_of.range", "the log has " + std::to_string(have) +
                                              " events; there is no state after " +
                                              std::to_string(size));
  }
  {
    std::shared_lock lock(impl_->reader_mutex);
    if (impl_->reader_state.size == size) return impl_->reader_state;
  }
  ProgrammeState state;
  impl_->LoadCheckpoint(size, &state);
  if (Status s = impl_->Replay(&state, size, false); !s.ok()) return s;
  return state;
}

Result<std::shared_ptr<const ProgrammeState>> Programme::SharedAsOf(std::uint64_t size) const {
  Impl& m = *impl_;
  std::shared_future<Impl::SharedState> kept;
  std::promise<Impl::SharedState> rebuilt;
  {
    std::lock_guard lock(m.kept_mutex);
    auto it = std::find_if(m.kept.begin(), m.kept.end(),
                           [size](const Impl::KeptState& k) { return k.size == size; });
    if (it != m.kept.end()) {
      kept = it->state;
    } else {
      m.kept.push_front({size, rebuilt.get_future().share()});
      if (m.kept.size() > Impl::kKeptStates) m.kept.pop_back();
    }
  }
  if (kept.valid()) return kept.get();  // kept, or being rebuilt by another call
  auto state = AsOf(size);
  Impl::SharedState result =
      state.ok() ? Impl::SharedState(std::make_shared<const ProgrammeState>(std::move(*state)))
                 : Impl::SharedState(state.status());
  rebuilt.set_value(result);
  if (!result.ok()) {  // not kept: the next call tries again
    std::lock_guard lock(m.kept_mutex);
    std::erase_if(m.kept, [size](const Impl::KeptState& k) { return k.size == size; });
  }
  return result;
}

Result<ProgrammeState> Programme::AsOfTime(Timestamp t) const {
  auto size = impl_->store->SizeAt(t);
  if (!size.ok()) return size.status();
  return AsOf(*size);
}

Status Programme::Checkpoint() {
  std::lock_guard writer(impl_->writer_mutex);
  return impl_->WriteCheckpoint(impl_->writer_state);
}

ledger::Store& Programme::store() const { return *impl_->store; }

}  // namespace pl::projections
