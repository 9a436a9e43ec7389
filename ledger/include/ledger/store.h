// Store: the append-only log in one LMDB environment.
//
// A data directory holds the LMDB environment (data.mdb, lock.mdb), the log's
// own signing key (log-key.pem, mode 0600) and a LOCK file that one writing
// process holds. Inside the environment:
//
//   meta         "format" -> "partnership-ledger/2", "log_key" -> raw public key
//   events       sequence (u64 big-endian) -> Envelope (cereal portable binary,
//                ending with the leaf hash: the tree's level-0 node)
//   decisions    decision id -> sequence (u64 big-endian)
//   tree         last leaf (u64 big-endian) || level (u8) -> 32-byte perfect
//                subtree hash, for the levels above the leaves
//   heads        size (u64 big-endian) -> TreeHead signed after each commit
//   filed        kind (u8) || value -> sequences (u64 BE), MDB_DUPSORT |
//                MDB_DUPFIXED, for the kinds 's' subject, 'b' body, 'k' signer
//                key id (32 raw bytes), 't' type, 'f' type family, and
//                'i' || issued_at (u64 BE). Written with the event.
//   authority    sequence (u64 big-endian) -> policy id (only when non-empty)
//   checkpoints  size (u64 big-endian) -> opaque projection checkpoint bytes
//   cosignatures size (u64 big-endian) || witness name -> the witness's
//                cosignature line on the checkpoint of that size (ledger/note.h)
//
// Nothing in the Store rewrites or deletes an event: Append only appends, and
// the only other writes, PutCheckpoint and PutCosignature, store derived state
// and witnesses' cosignatures beside the log.
//
// A directory of format "partnership-ledger/1" (every tree level in `nodes`,
// index entries as keys in `index`) is migrated in place when opened for
// writing; opened read-only it serves everything but audit queries
// (docs/storage.md, "Format versions").
//
// Thread-safety: one thread writes (Append, PutCheckpoint) at a time (the
// caller's single writer); any number of threads may read concurrently with it. A reader sees
// either all of a committed batch or none of it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "crypto/ed25519.h"
#include "crypto/merkle.h"
#include "ledger/envelope.h"
#include "ledger/note.h"

namespace pl::ledger {

inline constexpr std::string_view kStoreFormat = "partnership-ledger/2";

struct StoreOptions {
  // Create the directory, the environment and a new log key when missing.
  // When false, opening a directory without a log is an error.
  bool create_if_missing = false;

  // Open for reading only: no LOCK, no log key needed, Append refused.
  bool read_only = false;

  // fsync on every commit. With true, an acknowledged append survives a power
  // cut. With false, a crash may lose the last commits (never corrupt the
  // log: LMDB's copy-on-write pages keep the previous state intact).
  bool sync = true;

  // Initial size of the LMDB map. The map doubles whenever a commit does not
  // fit, so this only bounds the first mapping.
  std::size_t initial_map_size = std::size_t{1} << 30;

  // The clock that stamps recorded_at and tree heads; Now() when empty.
  std::function<Timestamp()> clock;

  // Receives a line for what an operator should know of (a layout migrated
  // on open); standard error when empty.
  std::function<void(const std::string&)> notice;
};

struct Appended {
  std::uint64_t sequence = 0;
  crypto::Hash leaf_hash{};
  // True when the decision id was already in the log with the same signing
  // bytes: nothing was appended and this is the original result.
  bool duplicate = false;
};

// What the caller's rules learned about a decision, recorded with it in the
// same transaction: the policy it was taken under, and the index entries
// that audit queries find it by.
struct Annotation {
  // The policy id the decision was authorised by (empty for genesis).
  std::string authority;
  // Subject ids (project, commitment, partnership, body, officer, key, ...).
  // A subject may not contain a NUL byte (it ends the value in an index key).
  std::vector<std::string> subjects;
};

// An audit query: events matching every filter given, newest (highest
// sequence) first.
struct AuditQuery {
  std::optional<std::string> subject;
  std::optional<std::string> body;
  std::optional<crypto::Hash> signer;  // key id
  // Exact ("project.approved"), or a family ending in ".*" ("project.*",
  // "project.funding.*": every type that starts with the part before the '*').
  std::optional<std::string> type;
  std::optional<Timestamp> issued_from;  // inclusive, on the decision's issued_at
  std::optional<Timestamp> issued_to;    // exclusive
  // Only events with sequence < before (the paging cursor; none = from the newest).
  std::optional<std::uint64_t> before;
  // Events per page: 0 means 50, more than 1000 means 1000.
  std::size_t limit = 50;
};

struct AuditPage {
  struct Entry {
    Envelope event;
    std::string authority;  // as Authority(event.sequence)
  };
  std::vector<Entry> events;  // newest first
  // Set when the page is full and more events may match: pass it as
  // AuditQuery::before for the next page (which may then be empty). None when
  // this is the last page.
  std::optional<std::uint64_t> next_before;
};

struct AppendResult {
  std::vector<Appended> decisions;  // one per decision, in batch order
  TreeHead head;                    // the tree head after the commit
};

class Store {
 public:
  // Errors: "store.missing" (I/O: no log and !create_if_missing), "store.format"
  // (another format or version, another program's LMDB environment, or not an
  // LMDB file), "store.locked" (another process writes), "store.not_writable"
  // (a writer without write access to the directory), "store.io" (LMDB or the
  // file system failed), "key.*" (log key).
  static Result<std::unique_ptr<Store>> Open(const std::string& dir,
                                             const StoreOptions& options = {});
  virtual ~Store() = default;

  // Appends the batch in one durable write transaction (group commit), all or
  // nothing, stamped with the clock and without annotations. Does not check signatures or
  // authority: that is the caller's job before it calls Append. Errors: "decision.id_reused" (an id
  // already recorded, or repeated in the batch, with other signing bytes), "store.io", "store.full"
  // (the disk is full; nothing was written).
  virtual Result<AppendResult> Append(std::span<const SignedDecision> batch) = 0;
  // Same, with every new event stamped recorded_at (raised to the previous
  // commit's time if earlier; the new tree head carries the same time) and
  // filed with its annotation: none (an empty span), or exactly one per
  // decision in batch order; annotations of duplicates are ignored. Every new
  // event is indexed by body, signers, type and issued_at either way.
  // Errors: as above, and "store.annotations" (a count other than 0 or the
  // batch size, or a subject with a NUL byte; nothing was written).
  virtual Result<AppendResult> Append(std::span<const SignedDecision> batch, Timestamp recorded_at,
                                      std::span<const Annotation> annotations) = 0;

  // Number of events; the latest tree head covers exactly these.
  virtual std::uint64_t size() const = 0;
  virtual TreeHead head() const = 0;
  virtual const crypto::PublicKey& log_key() const = 0;

  // Errors: "store.not_found", "store.decode" (corrupt record).
  virtual Result<Envelope> Read(std::uint64_t sequence) const = 0;
  virtual Result<std::uint64_t> Find(std::string_view decision_id) const = 0;

  // Calls visit for each event with from <= sequence < to in order, in one
  // read snapshot, until it returns false. A record that does not decode ends
  // the scan with "store.decode" naming its sequence.
  virtual Status Scan(std::uint64_t from, std::uint64_t to,
                      const std::function<bool(const Envelope&)>& visit) const = 0;
  // Same, with the stored bytes of each record, undecoded.
  virtual Status ScanRaw(std::uint64_t from, std::uint64_t to,
                         const std::function<bool(std::uint64_t, ByteView)>& visit) const = 0;

  // The signed tree head recorded when the log reached exactly `size`
  // ("store.not_found" if no commit ended there).
  virtual Result<TreeHead> HeadAt(std::uint64_t size) const = 0;
  // Merkle root of the first `size` events, and proofs, from stored nodes
  // in O(log n) reads.
  virtual Result<crypto::Hash> Root(std::uint64_t size) const = 0;
  virtual Result<std::vector<crypto::Hash>> InclusionProof(std::uint64_t sequence,
                                                           std::uint64_t size) const = 0;
  virtual Result<std::vector<crypto::Hash>> ConsistencyProof(std::uint64_t old_size,
                                                             std::uint64_t new_size) const = 0;

  // Audit queries over the indexes written at append time: by subject, body,
  // signer, type and issued-at time, newest first, paged, in one read
  // snapshot. Errors: "audit.type" (a family with nothing before ".*"),
  // "store.decode", "store.index" (an index entry names a missing event),
  // "store.migration" (a format 1 directory opened read-only).
  virtual Result<AuditPage> Audit(const AuditQuery& query) const = 0;
  // The authority recorded for an event ("" for genesis or when none was
  // given). Errors: "store.not_found" (no such event).
  virtual Result<std::string> Authority(std::uint64_t sequence) const = 0;

  // Projection checkpoints: opaque bytes of the state after `size` events,
  // owned by the projections module. Kept in the same environment; a second
  // checkpoint at the same size replaces the first. A checkpoint may name
  // sections: pieces stored once, under their SHA-256, however many
  // checkpoints name them (the parts of a state that did not change between
  // two checkpoints). PutCheckpoint stores those of `sections` not yet
  // stored, in the checkpoint's own durable write transaction; call it from
  // the appending thread. Errors: "store.read_only", "store.checkpoint_range"
  // (size beyond the log), "store.io", "store.full".
  struct CheckpointSection {
    crypto::Hash digest;  // SHA-256 of bytes (the caller's)
    ByteView bytes;
  };
  virtual Status PutCheckpoint(std::uint64_t size, ByteView bytes,
                               std::span<const CheckpointSection> sections = {}) = 0;
  // The newest checkpoint with size <= at_most, as (size, bytes);
  // "store.not_found" if none.
  virtual Result<std::pair<std::uint64_t, std::string>> Checkpoint(std::uint64_t at_most) const = 0;
  // The same without copying the bytes: calls visit(size, bytes, section)
  // inside the read transaction; section(digest) gives the stored section
  // with that digest (nullopt when there is none). Every byte is the mapped
  // LMDB pages, valid only until visit returns; call section on visit's own
  // thread (the bytes it gives may be read on any). Same errors (visit is
  // not called then).
  using SectionOf = std::function<std::optional<ByteView>(const crypto::Hash& digest)>;
  virtual Status VisitCheckpoint(
      std::uint64_t at_most,
      const std::function<void(std::uint64_t size, ByteView bytes, const SectionOf& section)>&
          visit) const = 0;
  // Removes the checkpoint at exactly `size`, if any (its sections stay:
  // others may name them). Its own durable write transaction, from the
  // appending thread. Errors: "store.read_only", "store.io".
  virtual Status RemoveCheckpoint(std::uint64_t size) = 0;
  // Sizes of all stored checkpoints, ascending.
  virtual Result<std::vector<std::uint64_t>> Checkpoints() const = 0;
  // The bytes of every checkpoint and section stored (values alone).
  virtual Result<std::uint64_t> CheckpointBytes() const = 0;
  // The number of events with recorded_at <= t, i.e. the sequence of the first
  // event recorded after t, or the log's size if none: the log as of time t is
  // its prefix of that many events. O(log n) reads (recorded_at never
  // decreases along the log).
  virtual Result<std::uint64_t> SizeAt(Timestamp t) const = 0;

  // Backup: a consistent, compacted copy of the log into dest_dir (which
  // must exist and hold no data.mdb): data.mdb written by LMDB from one read
  // snapshot (mdb_env_copy2 with MDB_CP_COMPACT), so it holds the events,
  // indexes, Merkle nodes, tree heads and checkpoints of exactly one commit,
  // with that commit's signed tree head; and a copy of log-key.pem (mode
  // 0600), so that a restored log appends under the same key. Works on a
  // read-only store while another process appends, and never blocks it.
  // Errors: "store.backup_exists" (dest_dir holds a data.mdb), "store.io",
  // "store.full".
  virtual Status Backup(const std::string& dest_dir) const = 0;

  // Checkpoints as signed notes (docs/witnesses.md): the tree head signed at
  // `size`, as a checkpoint under `origin`, signed with the log key. Errors:
  // "store.read_only" (no log key), "store.not_found" (no tree head at that
  // size), "checkpoint.origin".
  virtual Result<Note> CheckpointNote(std::string_view origin, std::uint64_t size) const = 0;
  // Witness cosignatures, kept beside the log: the caller verifies a
  // cosignature (ledger/note.h) before it stores it. One per witness and size;
  // a second replaces the first. Its own durable write transaction, safe from
  // any thread (it waits for a running append). Errors: "store.read_only",
  // "store.not_found" (no tree head at that size), "note.name", "store.io",
  // "store.full".
  virtual Status PutCosignature(std::uint64_t size, const NoteSignature& cosignature) = 0;
  // The cosignatures stored for `size`, by witness name.
  virtual Result<std::vector<NoteSignature>> Cosignatures(std::uint64_t size) const = 0;
  // The largest size with cosignatures by at least `witnesses` distinct
  // witnesses (or "store.not_found").
  virtual Result<std::uint64_t> NewestCosigned(std::size_t witnesses) const = 0;
};

}  // namespace pl::ledger
