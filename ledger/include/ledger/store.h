// Store: the append-only log in one LMDB environment.
//
// A data directory holds the LMDB environment (data.mdb, lock.mdb), the log's
// own signing key (log-key.pem, mode 0600) and a LOCK file that one writing
// process holds. Inside the environment:
//
//   meta       "format" -> "partnership-ledger/1", "log_key" -> raw public key
//   events     sequence (u64 big-endian) -> Envelope (cereal portable binary)
//   decisions  decision id -> sequence (u64 big-endian)
//   nodes      level (u8) || index (u64 big-endian) -> 32-byte perfect subtree hash
//   heads      size (u64 big-endian) -> TreeHead signed after each commit
//
// Nothing in the Store rewrites or deletes an event: the only write is Append.
//
// Thread-safety: one thread appends at a time (the caller's single writer);
// any number of threads may read concurrently with it. A reader sees either
// all of a committed batch or none of it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "crypto/ed25519.h"
#include "crypto/merkle.h"
#include "ledger/envelope.h"

namespace pl::ledger {

inline constexpr std::string_view kStoreFormat = "partnership-ledger/1";

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
};

struct Appended {
  std::uint64_t sequence = 0;
  crypto::Hash leaf_hash{};
  // True when the decision id was already in the log with the same signing
  // bytes: nothing was appended and this is the original result.
  bool duplicate = false;
};

struct AppendResult {
  std::vector<Appended> decisions;  // one per decision, in batch order
  TreeHead head;                    // the tree head after the commit
};

class Store {
 public:
  // Errors: "store.missing" (I/O: no log and !create_if_missing), "store.format"
  // (another format or version), "store.locked" (another process writes),
  // "store.io" (LMDB or the file system failed), "key.*" (log key).
  static Result<std::unique_ptr<Store>> Open(const std::string& dir,
                                             const StoreOptions& options = {});
  virtual ~Store() = default;

  // Appends the batch in one durable write transaction (group commit), all or
  // nothing. Does not check signatures or authority: that is the caller's
  // job before it calls Append. Errors: "decision.id_reused" (an id already
  // recorded, or repeated in the batch, with other signing bytes), "store.io",
  // "store.full" (the disk is full; nothing was written).
  virtual Result<AppendResult> Append(std::span<const SignedDecision> batch) = 0;

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
};

}  // namespace pl::ledger
