// The decision rules: what may be decided, by whom, and what it changes.
//
// Apply() checks one recorded event against the state in the order of
// docs/events.md (type, payload, signatures, signers, policy, state) and, when
// every check passes, folds it into the state. When a check fails it returns
// a Status naming the rule and leaves the state exactly as it was.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "ledger/envelope.h"
#include "projections/shared_by_id.h"
#include "projections/state.h"

namespace pl::projections {

// Subjects (entities with a std::string `id` that never changes) by id, in
// one open-addressed array: a lookup reads a slot (the id's hash, the id
// itself when it is short, and the subject), then the subject it needs
// anyway. A node-based hash map reads a bucket, the node before, the node and
// its key (on the heap past 15 bytes) besides: at a million events each of
// those reads is a cache miss. Holds pointers it does not own.
template <typename T>
class SubjectTable {
 public:
  T* Find(std::string_view id) const {
    if (slots_.empty()) return nullptr;
    const std::size_t hash = Hash(id);
    for (std::size_t i = hash & Mask();; i = (i + 1) & Mask()) {
      const Slot& slot = slots_[i];
      if (!slot.subject) return nullptr;
      if (slot.hash == hash && slot.Holds(id)) return slot.subject;
    }
  }
  // REQUIRES: no subject with the same id in the table.
  void Add(T* subject) {
    if (2 * (used_ + 1) > slots_.size()) Grow();
    Place(Hash(subject->id), subject);
    ++used_;
  }
  std::size_t size() const { return used_; }
  // Hints that change nothing: bring into the cache the slot where a lookup
  // of an id with this hash starts, or the subject that slot holds when it
  // is that id's. A replay calls them for events a few ahead of the one it
  // applies, so that the lookups find their memory there.
  void PrefetchSlot(std::size_t hash) const {
    if (!slots_.empty()) __builtin_prefetch(&slots_[hash & Mask()]);
  }
  void PrefetchSubject(std::size_t hash) const {
    if (slots_.empty()) return;
    const Slot& slot = slots_[hash & Mask()];
    if (slot.subject && slot.hash == hash) __builtin_prefetch(slot.subject);
  }

 private:
  struct Slot {
    std::size_t hash = 0;
    T* subject = nullptr;  // nullptr: empty
    std::uint8_t size = 0;
    char id[23];  // the id when it fits (size <= 23)
    bool Holds(std::string_view other) const {
      if (other.size() > sizeof id) return subject->id == other;
      return other.size() == size && std::equal(other.begin(), other.end(), id);
    }
  };
  static std::size_t Hash(std::string_view id) { return HashId(id); }
  std::size_t Mask() const { return slots_.size() - 1; }
  void Place(std::size_t hash, T* subject) {
    std::size_t i = hash & Mask();
    while (slots_[i].subject) i = (i + 1) & Mask();
    Slot& slot = slots_[i];
    slot.hash = hash;
    slot.subject = subject;
    const std::string& id = subject->id;
    if (id.size() <= sizeof slot.id) {
      slot.size = static_cast<std::uint8_t>(id.size());
      std::copy(id.begin(), id.end(), slot.id);
    }
  }
  void Grow() {
    std::vector<Slot> old(std::max<std::size_t>(64, 2 * slots_.size()));
    old.swap(slots_);
    for (const Slot& slot : old) {
      if (slot.subject) Place(slot.hash, slot.subject);
    }
  }
  std::vector<Slot> slots_;  // a power of two of them, at most half used
  std::size_t used_ = 0;
};

// Hash lookups of projects, commitments, keys, officers, bodies and the
// policies that apply beside the state's ordered maps, for a replay of many
// events into one state (ReplayLog): at a million events the maps no longer
// fit in the cache and each walk down one costs more than applying the rest
// of the event. Filled as Apply creates and looks up subjects; valid while
// the state is changed only by Apply with this index, and neither copied nor
// moved.
struct SubjectIndex {
  // Set when the index was made for an empty state: every project and
  // commitment is then in it, and an id it lacks is in no map either.
  bool complete = false;
  SubjectTable<Project> projects;
  SubjectTable<Commitment> commitments;
  // Signing keys by raw key id (the state's map is keyed by its hex form).
  struct KeyIdHash {
    std::size_t operator()(const crypto::Hash& id) const {
      std::size_t h = 0;
      for (std::size_t i = 0; i < sizeof h; ++i) h = (h << 8) | id[i];  // already uniform
      return h;
    }
  };
  std::unordered_map<crypto::Hash, const Key*, KeyIdHash> keys;
  // The officer holding each signing key (a key's officer never changes).
  std::unordered_map<const Key*, const Officer*> officers;
  // Bodies by id (bodies are never removed, only marked dissolved).
  SubjectTable<Body> bodies;
  // The policies in force for a deciding body and a decision type (its name
  // as the catalogue holds it), in the order of the state's policies: the
  // ones step 6 of Apply tries. Emptied whenever the policies change.
  struct BodyAndType {
    const Body* body;
    const std::string* type;
    bool operator==(const BodyAndType&) const = default;
  };
  struct BodyAndTypeHash {
    std::size_t operator()(const BodyAndType& k) const {
      return std::hash<const void*>()(k.body) * 31 + std::hash<const void*>()(k.type);
    }
  };
  std::unordered_map<BodyAndType, std::vector<const Policy*>, BodyAndTypeHash> policies;

  // The subject an event most likely looks up first: its payload's
  // project_id, or else its commitment_id (HashId of it), read from the
  // event alone.
  struct Hint {
    enum class Table : std::uint8_t { kNone, kProjects, kCommitments };
    Table table = Table::kNone;
    std::size_t hash = 0;
  };
  static Hint HintOf(const ledger::Decision& decision);

  void PrefetchSlot(const Hint& hint) const;
  void PrefetchSubject(const Hint& hint) const;
};

struct ApplyOptions {
  // Check every signature (step 4). A replay that trusts the signed tree
  // head may skip the cryptography; every other rule still runs.
  bool verify_signatures = true;
  // This event's signatures were already verified against the public keys
  // their key ids name (ledger::VerifySignatures, before the writer). A key
  // id is the SHA-256 of its public key, so that binding never changes: only
  // the cryptographic check is skipped; the keys must still be registered,
  // active and an officer's of the deciding body, and the policy still runs.
  bool signatures_verified = false;
  // Finds a decision id among the events before this one (for resolutions
  // that adopt earlier decisions). Without it, such references are refused.
  std::function<std::optional<Seq>(std::string_view decision_id)> find_decision;
  // When set, projects and commitments are found through it (see SubjectIndex).
  SubjectIndex* index = nullptr;
};

struct Applied {
  // The policy the decision was taken under; empty for genesis.
  std::string authority;
};

Status Apply(ProgrammeState* state, const ledger::Envelope& event, const ApplyOptions& options,
             Applied* applied = nullptr);

// Every event type of the catalogue, in the order of docs/events.md.
const std::vector<std::string>& EventTypes();

// The subject ids an event is filed under for audit queries: its payload's
// top-level string fields whose names end in "_id" (and "country" for an
// admitted member).
std::vector<std::string> Subjects(const ledger::Decision& decision);

// Looks a key up in the state for signature checks; nullptr if unknown.
// The returned key lives as long as the state's entry for it.
const crypto::PublicKey* FindPublicKey(const ProgrammeState& state, const crypto::Hash& key_id);

}  // namespace pl::projections
