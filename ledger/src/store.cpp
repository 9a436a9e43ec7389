#include "ledger/store.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <limits>
#include <mutex>
#include <queue>
#include <set>
#include <shared_mutex>
#include <sstream>
#include <unordered_map>

#include "ledger/serialization.h"
#include "lmdb.h"

namespace pl::ledger {

namespace fs = std::filesystem;

namespace {

constexpr char kLogKeyFile[] = "log-key.pem";

// The layout this build migrates from (docs/storage.md, "Format versions").
constexpr std::string_view kFormatV1 = "partnership-ledger/1";

// A Merkle node's key in `tree`: the sequence of the last leaf under it
// (u64 big-endian) || level. The nodes a leaf completes share its sequence
// and rise in level, so every append adds keys past all others (MDB_APPEND).
std::array<std::uint8_t, 9> TreeKey(unsigned level, std::uint64_t index) {
  std::array<std::uint8_t, 9> key;
  const auto be = lmdb::BigEndian(((index + 1) << level) - 1);
  std::copy(be.begin(), be.end(), key.begin());
  key[8] = static_cast<std::uint8_t>(level);
  return key;
}

// Format 1's `nodes` key: level (u8) || index (u64 big-endian).
std::array<std::uint8_t, 9> V1NodeKey(unsigned level, std::uint64_t index) {
  std::array<std::uint8_t, 9> key;
  key[0] = static_cast<std::uint8_t>(level);
  auto be = lmdb::BigEndian(index);
  std::copy(be.begin(), be.end(), key.begin() + 1);
  return key;
}

// The stored envelope ends with its 32-byte leaf hash (docs/storage.md), the
// Merkle tree's level-0 node, which is therefore not stored again.
constexpr std::size_t kLeafHashSize = 32;

// Index kinds (docs/storage.md): the first byte of every key in `filed`.
constexpr char kSubject = 's', kBody = 'b', kSigner = 'k', kType = 't', kFamily = 'f',
               kIssued = 'i';
// `filed` is MDB_DUPSORT | MDB_DUPFIXED: one key per indexed value, its data
// items the sequences filed under it (u64 big-endian), packed 8 bytes each.
constexpr unsigned kFiledFlags = MDB_DUPSORT | MDB_DUPFIXED;

constexpr std::uint64_t kNoBefore = std::numeric_limits<std::uint64_t>::max();
constexpr std::size_t kDefaultAuditLimit = 50, kMaxAuditLimit = 1000;

// kind || value: the key in `filed` of every event filed under that value.
std::string FiledKey(char kind, std::string_view value) {
  std::string key(1, kind);
  key += value;
  return key;
}

// 'i' || issued_at (u64 big-endian). Decisions are dated 1970 or later
// (ParseTimestamp), so issued_at is never negative and sorts as a u64.
std::string IssuedKey(Timestamp issued_at) {
  const auto be = lmdb::BigEndian(static_cast<std::uint64_t>(issued_at));
  return std::string(1, kIssued) + std::string(be.begin(), be.end());
}

// The part of a type before its first '.', which 'f' entries file it under;
// empty when the type has no '.' (it then belongs to no family).
std::string_view Family(std::string_view type) {
  const auto dot = type.find('.');
  return dot == std::string_view::npos ? std::string_view() : type.substr(0, dot);
}

std::string_view AsText(ByteView b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }

// LMDB reports a short write (the disk filled part-way through a commit's
// pages) as EIO, not ENOSPC; an EIO on a file system with (almost) nothing
// left is that case.
bool OutOfSpace(const std::string& dir) {
  struct statvfs fs;
  constexpr std::uint64_t kNearlyFull = std::uint64_t{1} << 20;
  return ::statvfs(dir.c_str(), &fs) == 0 && std::uint64_t{fs.f_bavail} * fs.f_frsize < kNearlyFull;
}

class LmdbStore final : public Store {
 public:
  ~LmdbStore() override {
    if (env_) mdb_env_close(env_);
    if (lock_fd_ >= 0) close(lock_fd_);
  }

  static Result<std::unique_ptr<Store>> Open(const std::string& dir, const StoreOptions& options);

  Result<AppendResult> Append(std::span<const SignedDecision> batch) override {
    return Append(batch, options_.clock ? options_.clock() : Now(), {});
  }
  Result<AppendResult> Append(std::span<const SignedDecision> batch, Timestamp recorded_at,
                              std::span<const Annotation> annotations) override;

  std::uint64_t size() const override {
    std::lock_guard lock(state_mutex_);
    return range_.size();
  }
  TreeHead head() const override {
    std::lock_guard lock(state_mutex_);
    return head_;
  }
  const crypto::PublicKey& log_key() const override { return *log_public_; }

  Result<Envelope> Read(std::uint64_t sequence) const override {
    ReadTxn r;
    if (Status s = BeginRead(&r); !s.ok()) return s;
    return ReadIn(r.txn, sequence);
  }

  Result<std::uint64_t> Find(std::string_view decision_id) const override {
    ReadTxn r;
    if (Status s = BeginRead(&r); !s.ok()) return s;
    int rc;
    auto v = r.txn.Get(decisions_, AsBytes(decision_id), &rc);
    if (!v) {
      if (rc == MDB_NOTFOUND) {
        return Status::NotFound("store.not_found",
                                "no decision with id \"" + std::string(decision_id) + "\"");
      }
      return lmdb::Error(rc, "reading decision ids");
    }
    return lmdb::FromBigEndian(*v);
  }

  Status Scan(std::uint64_t from, std::uint64_t to,
              const std::function<bool(const Envelope&)>& visit) const override {
    return ScanRaw(from, to, [&](std::uint64_t seq, ByteView bytes) {
      auto e = DecodeEvent(seq, bytes);
      if (!e.ok()) {
        scan_error_ = e.status();
        return false;
      }
      return visit(*e);
    });
  }

  Status ScanRaw(std::uint64_t from, std::uint64_t to,
                 const std::function<bool(std::uint64_t, ByteView)>& visit) const override {
    ReadTxn r;
    if (Status s = BeginRead(&r); !s.ok()) return s;
    int rc;
    lmdb::Cursor cursor(r.txn, events_, &rc);
    if (rc) return lmdb::Error(rc, "opening an events cursor");
    scan_error_ = Status::Ok();
    const auto start = lmdb::BigEndian(from);
    ByteView key, value;
    for (rc = cursor.Get(MDB_SET_RANGE, &key, &value, start); rc == 0;
         rc = cursor.Get(MDB_NEXT, &key, &value)) {
      const std::uint64_t seq = lmdb::FromBigEndian(key);
      if (seq >= to) break;
      if (!visit(seq, value)) return std::exchange(scan_error_, Status::Ok());
    }
    if (rc != 0 && rc != MDB_NOTFOUND) return lmdb::Error(rc, "scanning events");
    return Status::Ok();
  }

  Result<TreeHead> HeadAt(std::uint64_t size) const override {
    ReadTxn r;
    if (Status s = BeginRead(&r); !s.ok()) return s;
    int rc;
    auto v = r.txn.Get(heads_, lmdb::BigEndian(size), &rc);
    if (!v) {
      if (rc == MDB_NOTFOUND) {
        return Status::NotFound("store.not_found",
                                "no tree head was signed at size " + std::to_string(size));
      }
      return lmdb::Error(rc, "reading tree heads");
    }
    return Decode<TreeHead>(*v);
  }

  Result<crypto::Hash> Root(std::uint64_t size) const override {
    ReadTxn r;
    if (Status s = BeginRead(&r); !s.ok()) return s;
    if (Status s = CheckSize(size); !s.ok()) return s;
    return crypto::TreeRoot(Nodes(r.txn), size);
  }

  Result<std::vector<crypto::Hash>> InclusionProof(std::uint64_t sequence,
                                                   std::uint64_t size) const override {
    ReadTxn r;
    if (Status s = BeginRead(&r); !s.ok()) return s;
    if (Status s = CheckSize(size); !s.ok()) return s;
    if (sequence >= size) {
      return Status::Invalid("proof.range", "event " + std::to_string(sequence) +
                                                " is not in a tree of size " +
                                                std::to_string(size));
    }
    return crypto::InclusionProof(Nodes(r.txn), sequence, size);
  }

  Result<std::vector<crypto::Hash>> ConsistencyProof(std::uint64_t old_size,
                                                     std::uint64_t new_size) const override {
    ReadTxn r;
    if (Status s = BeginRead(&r); !s.ok()) return s;
    if (Status s = CheckSize(new_size); !s.ok()) return s;
    if (old_size == 0 || old_size > new_size) {
      return Status::Invalid("proof.range", "a consistency proof needs 0 < old size (" +
                                                std::to_string(old_size) + ") <= new size (" +
                                                std::to_string(new_size) + ")");
    }
    return crypto::ConsistencyProof(Nodes(r.txn), old_size, new_size);
  }

  Result<AuditPage> Audit(const AuditQuery& query) const override;

  Result<std::string> Authority(std::uint64_t sequence) const override {
    ReadTxn r;
    if (Status s = BeginRead(&r); !s.ok()) return s;
    int rc;
    if (!r.txn.Get(events_, lmdb::BigEndian(sequence), &rc)) {
      if (rc == MDB_NOTFOUND) {
        return Status::NotFound("store.not_found", "no event " + std::to_string(sequence));
      }
      return lmdb::Error(rc, "reading event " + std::to_string(sequence));
    }
    return AuthorityIn(r.txn, sequence);
  }

  Status PutCheckpoint(std::uint64_t size, ByteView bytes,
                       std::span<const CheckpointSection> sections) override;
  Status Backup(const std::string& dest_dir) const override;
  Result<Note> CheckpointNote(std::string_view origin, std::uint64_t size) const override;
  Status PutCosignature(std::uint64_t size, const NoteSignature& cosignature) override;
  Result<std::vector<NoteSignature>> Cosignatures(std::uint64_t size) const override;
  Result<std::uint64_t> NewestCosigned(std::size_t witnesses) const override;

  Result<std::pair<std::uint64_t, std::string>> Checkpoint(std::uint64_t at_most) const override {
    std::pair<std::uint64_t, std::string> found;
    Status s =
        VisitCheckpoint(at_most, [&found](std::uint64_t size, ByteView bytes, const SectionOf&) {
          found = {size, std::string(AsText(bytes))};
        });
    if (!s.ok()) return s;
    return found;
  }

  Status VisitCheckpoint(
      std::uint64_t at_most,
      const std::function<void(std::uint64_t, ByteView, const SectionOf&)>& visit) const override {
    ReadTxn r;
    if (Status s = BeginRead(&r); !s.ok()) return s;
    int rc;
    lmdb::Cursor cursor(r.txn, checkpoints_, &rc);
    if (rc) return lmdb::Error(rc, "opening a checkpoints cursor");
    ByteView key, value;
    // The newest key <= at_most is the one before the first key > at_most.
    if (at_most == kNoBefore) {
      rc = cursor.Get(MDB_LAST, &key, &value);
    } else {
      rc = cursor.Get(MDB_SET_RANGE, &key, &value, lmdb::BigEndian(at_most + 1));
      rc = rc == 0              ? cursor.Get(MDB_PREV, &key, &value)
           : rc == MDB_NOTFOUND ? cursor.Get(MDB_LAST, &key, &value)
                                : rc;
    }
    if (rc == MDB_NOTFOUND) {
      return Status::NotFound("store.not_found",
                              "no checkpoint at a size <= " + std::to_string(at_most));
    }
    if (rc) return lmdb::Error(rc, "reading checkpoints");
    const SectionOf section = [this, &r](const crypto::Hash& digest) -> std::optional<ByteView> {
      if (!sections_) return std::nullopt;
      int get_rc;
      auto where = r.txn.Get(sections_, ByteView(digest.data(), digest.size()), &get_rc);
      if (!where || where->size() != 16) return std::nullopt;
      auto pack = r.txn.Get(packs_, where->first(8), &get_rc);
      const std::uint64_t offset = lmdb::FromBigEndian(where->subspan(8, 4));
      const std::uint64_t length = lmdb::FromBigEndian(where->subspan(12, 4));
      if (!pack || offset + length > pack->size()) return std::nullopt;
      return pack->subspan(offset, length);
    };
    visit(lmdb::FromBigEndian(key), value, section);
    return Status::Ok();
  }

  Status RemoveCheckpoint(std::uint64_t size) override;

  Result<std::vector<std::uint64_t>> Checkpoints() const override {
    ReadTxn r;
    if (Status s = BeginRead(&r); !s.ok()) return s;
    int rc;
    lmdb::Cursor cursor(r.txn, checkpoints_, &rc);
    if (rc) return lmdb::Error(rc, "opening a checkpoints cursor");
    std::vector<std::uint64_t> sizes;
    ByteView key, value;
    for (rc = cursor.Get(MDB_FIRST, &key, &value); rc == 0;
         rc = cursor.Get(MDB_NEXT, &key, &value)) {
      sizes.push_back(lmdb::FromBigEndian(key));
    }
    if (rc != MDB_NOTFOUND) return lmdb::Error(rc, "listing checkpoints");
    return sizes;
  }

  Result<std::uint64_t> CheckpointBytes() const override {
    ReadTxn r;
    if (Status s = BeginRead(&r); !s.ok()) return s;
    std::uint64_t bytes = 0;
    for (MDB_dbi dbi : {checkpoints_, packs_}) {
      if (!dbi) continue;
      int rc;
      lmdb::Cursor cursor(r.txn, dbi, &rc);
      if (rc) return lmdb::Error(rc, "opening a checkpoints cursor");
      ByteView key, value;
      for (rc = cursor.Get(MDB_FIRST, &key, &value); rc == 0;
           rc = cursor.Get(MDB_NEXT, &key, &value)) {
        bytes += value.size();
      }
      if (rc != MDB_NOTFOUND) return lmdb::Error(rc, "reading checkpoints");
    }
    return bytes;
  }

  Result<std::uint64_t> SizeAt(Timestamp t) const override {
    ReadTxn r;
    if (Status s = BeginRead(&r); !s.ok()) return s;
    // The size of this snapshot, not size(): a commit after BeginRead is not in it.
    std::uint64_t low = 0, high = 0;
    {
      int rc;
      lmdb::Cursor cursor(r.txn, events_, &rc);
      if (rc) return lmdb::Error(rc, "opening an events cursor");
      ByteView key, value;
      rc = cursor.Get(MDB_LAST, &key, &value);
      if (rc == 0) high = lmdb::FromBigEndian(key) + 1;
      if (rc != 0 && rc != MDB_NOTFOUND) return lmdb::Error(rc, "reading the last event");
    }
    // recorded_at never decreases along the log, so the events with
    // recorded_at <= t are a prefix: find its end.
    while (low < high) {
      const std::uint64_t mid = low + (high - low) / 2;
      auto e = ReadIn(r.txn, mid);
      if (!e.ok()) return e.status();
      if (e->recorded_at <= t) {
        low = mid + 1;
      } else {
        high = mid;
      }
    }
    return low;
  }

 private:
  // A read transaction, holding off map growth (which needs no live
  // transaction in this process) while it lasts.
  struct ReadTxn {
    std::shared_lock<std::shared_mutex> map_lock;
    lmdb::Txn txn;
  };

  Status BeginRead(ReadTxn* r) const {
    r->map_lock = std::shared_lock(map_mutex_);
    int rc = lmdb::Txn::Begin(env_, MDB_RDONLY, &r->txn);
    if (rc == MDB_MAP_RESIZED) {  // another process grew the map
      r->map_lock.unlock();
      {
        std::unique_lock grow(map_mutex_);
        mdb_env_set_mapsize(env_, 0);
      }
      r->map_lock.lock();
      rc = lmdb::Txn::Begin(env_, MDB_RDONLY, &r->txn);
    }
    return rc ? lmdb::Error(rc, "beginning a read transaction") : Status::Ok();
  }

  Status CheckSize(std::uint64_t size) const {
    const std::uint64_t have = this->size();
    if (size > have) {
      return Status::Invalid("proof.range", "tree size " + std::to_string(size) +
                                                " exceeds the log size " + std::to_string(have));
    }
    return Status::Ok();
  }

  // Level 0 is the leaf hash at the end of the stored event; higher levels
  // are in `tree` (format 1: every level in `nodes`).
  crypto::NodeSource Nodes(const lmdb::Txn& txn) const {
    return [this, &txn](unsigned level, std::uint64_t index) -> Result<crypto::Hash> {
      int rc;
      std::optional<ByteView> v;
      if (v1_) {
        v = txn.Get(v1_nodes_, V1NodeKey(level, index), &rc);
      } else if (level == 0) {
        v = txn.Get(events_, lmdb::BigEndian(index), &rc);
        if (v && v->size() >= kLeafHashSize) v = v->last(kLeafHashSize);
      } else {
        v = txn.Get(tree_, TreeKey(level, index), &rc);
      }
      if (!v || v->size() != 32) {
        return Status::Corruption("store.node_missing", "Merkle node (" + std::to_string(level) +
                                                            ", " + std::to_string(index) +
                                                            ") is missing or malformed");
      }
      crypto::Hash h;
      std::copy(v->begin(), v->end(), h.begin());
      return h;
    };
  }

  Result<Envelope> ReadIn(const lmdb::Txn& txn, std::uint64_t sequence) const {
    int rc;
    auto v = txn.Get(events_, lmdb::BigEndian(sequence), &rc);
    if (!v) {
      if (rc == MDB_NOTFOUND) {
        return Status::NotFound("store.not_found", "no event " + std::to_string(sequence));
      }
      return lmdb::Error(rc, "reading event " + std::to_string(sequence));
    }
    return DecodeEvent(sequence, *v);
  }

  // The stored bytes of event `sequence`; "store.decode" when they do not
  // decode or carry another sequence.
  static Result<Envelope> DecodeEvent(std::uint64_t sequence, ByteView bytes) {
    auto e = Decode<Envelope>(bytes);
    if (!e.ok() || e->sequence != sequence) {
      return Status::Corruption("store.decode",
                                "event " + std::to_string(sequence) + " does not decode: " +
                                    (e.ok() ? "it carries sequence " + std::to_string(e->sequence)
                                            : e.status().message()));
    }
    return e;
  }

  // The authority of an event known to exist ("" when none was recorded).
  Result<std::string> AuthorityIn(const lmdb::Txn& txn, std::uint64_t sequence) const {
    int rc;
    auto v = txn.Get(authority_, lmdb::BigEndian(sequence), &rc);
    if (v) return std::string(AsText(*v));
    if (rc == MDB_NOTFOUND) return std::string();
    return lmdb::Error(rc, "reading the authority of event " + std::to_string(sequence));
  }

  // Calls visit(sequence) for each sequence filed under `key` in `filed`
  // with sequence < before, highest first, until visit returns false.
  Status WalkBack(const lmdb::Txn& txn, std::string_view key, std::uint64_t before,
                  const std::function<bool(std::uint64_t)>& visit) const;
  // Calls visit(sequence, stored bytes) for each event with sequence <
  // before, highest first, until visit returns false.
  Status WalkEvents(const lmdb::Txn& txn, std::uint64_t before,
                    const std::function<bool(std::uint64_t, ByteView)>& visit) const {
    int rc;
    lmdb::Cursor cursor(txn, events_, &rc);
    if (rc) return lmdb::Error(rc, "opening an events cursor");
    ByteView key, value;
    rc = cursor.Get(MDB_SET_RANGE, &key, &value, lmdb::BigEndian(before));
    rc = rc == 0              ? cursor.Get(MDB_PREV, &key, &value)
         : rc == MDB_NOTFOUND ? cursor.Get(MDB_LAST, &key, &value)
                              : rc;
    for (; rc == 0; rc = cursor.Get(MDB_PREV, &key, &value)) {
      if (!visit(lmdb::FromBigEndian(key), value)) return Status::Ok();
    }
    if (rc != MDB_NOTFOUND) return lmdb::Error(rc, "walking the events");
    return Status::Ok();
  }
  // Format 1 to format 2 in one write transaction (docs/storage.md).
  // REQUIRES: v1_, opened for writing, write_mutex_ held or not yet shared.
  Status Migrate();

  // One attempt at a write transaction: returns an LMDB code, MDB_MAP_FULL
  // among them, and starts from scratch each time it is called.
  using WriteAttempt = std::function<int()>;
  // Runs attempt until it fits the map, doubling the map after each
  // MDB_MAP_FULL; any other failing code becomes an error naming `what`.
  // REQUIRES: write_mutex_ held.
  Status WriteGrowing(const WriteAttempt& attempt, const std::string& what);
  // A small durable write transaction of its own beside the appends
  // (checkpoints, cosignatures): `work` puts or deletes within it.
  Status WriteAlone(const std::function<int(lmdb::Txn&)>& work, const std::string& what);

  int TryAppend(std::span<const SignedDecision> batch, Timestamp recorded_at,
                std::span<const Annotation> annotations, AppendResult* out,
                crypto::CompactRange* range, Status* refused);
  // A new event's entries for `filed`, added to *entries as (key, sequence).
  static void IndexEntries(const Envelope& e, const Annotation* annotation,
                           std::vector<std::pair<std::string, std::uint64_t>>* entries);
  // Files a batch's entries in `filed`: sorted, each key's sequences put in one
  // call. REQUIRES: every sequence is above all sequences already filed.
  int WriteFiled(lmdb::Txn& txn, std::vector<std::pair<std::string, std::uint64_t>>* entries);
  // Stores the sections not yet stored, in one new pack.
  int PutSections(lmdb::Txn& txn, std::span<const CheckpointSection> sections);

  Status Grow();

  std::string dir_;
  StoreOptions options_;
  MDB_env* env_ = nullptr;
  MDB_dbi meta_ = 0, events_ = 0, decisions_ = 0, tree_ = 0, heads_ = 0, filed_ = 0, authority_ = 0,
          checkpoints_ = 0;
  MDB_dbi cosignatures_ = 0;
  // Checkpoint sections: each checkpoint's new sections are stored together
  // in one pack (packs_, by a number counting up: LMDB stores each value in
  // whole pages, so thousands of small values would waste a quarter of the
  // bytes), and found by SHA-256 in sections_, whose values are where:
  // u64 pack || u32 offset || u32 length (big-endian). Made by the first
  // writable open of this build; a read-only store of a directory without
  // them has no sections (0).
  MDB_dbi sections_ = 0, packs_ = 0;
  // A format 1 directory opened read-only: its nodes are read from `nodes`,
  // and audit queries are refused (its `index` is not read).
  bool v1_ = false;
  MDB_dbi v1_nodes_ = 0, v1_index_ = 0;
  int lock_fd_ = -1;
  std::optional<crypto::PublicKey> log_public_;
  std::optional<crypto::PrivateKey> log_private_;

  std::mutex write_mutex_;               // one write transaction (Append, PutCheckpoint) at a time
  mutable std::shared_mutex map_mutex_;  // shared by transactions, unique to grow
  mutable std::mutex state_mutex_;       // guards range_ and head_
  crypto::CompactRange range_;
  TreeHead head_;
  mutable Status scan_error_;  // carries a decode failure out of ScanRaw's visitor
};

Result<std::unique_ptr<Store>> LmdbStore::Open(const std::string& dir,
                                               const StoreOptions& options) {
  auto store = std::make_unique<LmdbStore>();
  store->dir_ = dir;
  store->options_ = options;
  std::error_code ec;
  const bool exists = fs::exists(fs::path(dir) / "data.mdb", ec);
  if (!exists && !options.create_if_missing) {
    return Status::IoError("store.missing", "no ledger in \"" + dir +
                                                "\" (create one with ledgerctl init, or "
                                                "append with --create)");
  }
  if (!exists) {
    fs::create_directories(dir, ec);
    if (ec) return Status::IoError("store.io", "cannot create \"" + dir + "\": " + ec.message());
  }
  if (!options.read_only) {
    const std::string lock_path = (fs::path(dir) / "LOCK").string();
    store->lock_fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (store->lock_fd_ < 0) {
      if (errno == EACCES || errno == EPERM || errno == EROFS) {
        return Status::IoError("store.not_writable",
                               "the data directory \"" + dir + "\" is not writable (cannot open " +
                                   lock_path + ": " + strerror(errno) +
                                   "); a writer needs write access, a reader opens it read-only");
      }
      return Status::IoError("store.io", "cannot open \"" + lock_path + "\": " + strerror(errno));
    }
    if (flock(store->lock_fd_, LOCK_EX | LOCK_NB) != 0) {
      return Status::Conflict("store.locked", "another process is writing to \"" + dir + "\"");
    }
  }

  int rc = mdb_env_create(&store->env_);
  if (rc) return lmdb::Error(rc, "mdb_env_create");
  mdb_env_set_maxdbs(store->env_, 16);
  mdb_env_set_maxreaders(store->env_, 512);
  mdb_env_set_mapsize(store->env_, options.initial_map_size);
  unsigned flags = MDB_NOTLS | MDB_NORDAHEAD;
  if (!options.sync) flags |= MDB_NOSYNC;
  if (options.read_only) flags |= MDB_RDONLY;
  rc = mdb_env_open(store->env_, dir.c_str(), flags, 0644);
  if (rc == MDB_INVALID || rc == MDB_VERSION_MISMATCH) {
    return Status::Invalid("store.format", "\"" + dir + "\" is not a Partnership Ledger log (" +
                                               mdb_strerror(rc) + ")");
  }
  if (rc) return lmdb::Error(rc, "opening the LMDB environment in \"" + dir + "\"");

  lmdb::Txn txn;
  rc = lmdb::Txn::Begin(store->env_, options.read_only ? MDB_RDONLY : 0, &txn);
  if (rc) return lmdb::Error(rc, "beginning the opening transaction");
  // Whether the environment held anything before this open: a new log starts
  // only in an empty one, never in another program's LMDB environment.
  bool held_data = false;
  {
    MDB_dbi main_db;
    rc = mdb_dbi_open(txn.get(), nullptr, 0, &main_db);
    if (rc) return lmdb::Error(rc, "opening the main database");
    MDB_stat stat;
    rc = mdb_stat(txn.get(), main_db, &stat);
    if (rc) return lmdb::Error(rc, "reading the main database");
    held_data = stat.ms_entries > 0;
  }
  const unsigned dbi_flags = options.read_only ? 0 : MDB_CREATE;
  auto open_db = [&](const char* name, unsigned db_flags, MDB_dbi* dbi) -> Status {
    rc = mdb_dbi_open(txn.get(), name, db_flags, dbi);
    if (rc == MDB_NOTFOUND || rc == MDB_INCOMPATIBLE) {
      return Status::Invalid("store.format", "\"" + dir + "\" is not a Partnership Ledger log " +
                                                 "(no \"" + name + "\" database)");
    }
    if (rc) return lmdb::Error(rc, std::string("opening the ") + name + " database");
    return Status::Ok();
  };
  for (auto [name, dbi] : {std::pair{"meta", &store->meta_},
                           {"events", &store->events_},
                           {"decisions", &store->decisions_},
                           {"heads", &store->heads_},
                           {"authority", &store->authority_},
                           {"checkpoints", &store->checkpoints_},
                           {"cosignatures", &store->cosignatures_}}) {
    if (Status s = open_db(name, dbi_flags, dbi); !s.ok()) return s;
  }
  // Checkpoint sections came after the databases above: a read-only store of
  // a directory no writable store of this build has opened goes without.
  for (auto [name, dbi] : {std::pair{"sections", &store->sections_}, {"packs", &store->packs_}}) {
    rc = mdb_dbi_open(txn.get(), name, dbi_flags, dbi);
    if (rc == MDB_NOTFOUND) {
      store->sections_ = store->packs_ = 0;
      break;
    }
    if (rc) return lmdb::Error(rc, std::string("opening the ") + name + " database");
  }

  auto format = txn.Get(store->meta_, AsBytes("format"), &rc);
  const fs::path key_path = fs::path(dir) / kLogKeyFile;
  if (!format) {
    ByteView k, v;
    int events_rc;
    {
      lmdb::Cursor c(txn, store->events_, &events_rc);
      events_rc = c.Get(MDB_FIRST, &k, &v);
    }
    if (events_rc == 0 || options.read_only) {
      return Status::Invalid("store.format", "\"" + dir + "\" has no format record");
    }
    if (held_data) {
      return Status::Invalid("store.format",
                             "\"" + dir +
                                 "\" is not a Partnership Ledger log (an LMDB "
                                 "environment with other data and no format record)");
    }
    // A new log: its key and format record.
    crypto::PrivateKey key = crypto::PrivateKey::Generate();
    if (Status s = key.Save(key_path.string()); !s.ok()) return s;
    if (Status s = open_db("tree", MDB_CREATE, &store->tree_); !s.ok()) return s;
    if (Status s = open_db("filed", MDB_CREATE | kFiledFlags, &store->filed_); !s.ok()) return s;
    txn.Put(store->meta_, AsBytes("format"), AsBytes(kStoreFormat));
    rc = txn.Put(store->meta_, AsBytes("log_key"), key.public_key().raw());
    if (rc) return lmdb::Error(rc, "writing the format record");
    rc = txn.Commit();
    if (rc) return lmdb::Error(rc, "committing the format record");
    rc = lmdb::Txn::Begin(store->env_, MDB_RDONLY, &txn);
    if (rc) return lmdb::Error(rc, "beginning a read transaction");
    format = txn.Get(store->meta_, AsBytes("format"), &rc);
  }
  const std::string found(reinterpret_cast<const char*>(format->data()), format->size());
  if (found == kStoreFormat) {
    if (Status s = open_db("tree", dbi_flags, &store->tree_); !s.ok()) return s;
    if (Status s = open_db("filed", dbi_flags | kFiledFlags, &store->filed_); !s.ok()) return s;
  } else if (found == kFormatV1) {
    // Served as it is until Migrate (below, for a writer) rewrites it.
    store->v1_ = true;
    if (Status s = open_db("nodes", dbi_flags, &store->v1_nodes_); !s.ok()) return s;
    if (Status s = open_db("index", dbi_flags, &store->v1_index_); !s.ok()) return s;
  } else {
    return Status::Invalid("store.format", "\"" + dir + "\" holds format \"" + found +
                                               "\"; this build reads \"" +
                                               std::string(kStoreFormat) + "\" (and migrates \"" +
                                               std::string(kFormatV1) + "\")");
  }
  auto raw_key = txn.Get(store->meta_, AsBytes("log_key"), &rc);
  if (!raw_key) return Status::Corruption("store.format", "the log key record is missing");
  auto pub = crypto::PublicKey::FromRaw(*raw_key);
  if (!pub.ok()) return pub.status();
  store->log_public_ = *pub;
  if (!options.read_only) {
    auto priv = crypto::PrivateKey::Load(key_path.string());
    if (!priv.ok()) return priv.status();
    if (priv->public_key().raw() != pub->raw()) {
      return Status::Invalid("key.log_key_mismatch",
                             key_path.string() + " is not the key this log was created with");
    }
    store->log_private_ = *priv;
  }

  // The log's size is one past its last sequence; its right edge and head follow.
  std::uint64_t size = 0;
  {
    lmdb::Cursor c(txn, store->events_, &rc);
    ByteView k, v;
    if (c.Get(MDB_LAST, &k, &v) == 0) size = lmdb::FromBigEndian(k) + 1;
  }
  auto range = crypto::CompactRange::Load(store->Nodes(txn), size);
  if (!range.ok()) return range.status();
  store->range_ = std::move(*range);
  if (size > 0) {
    auto head = txn.Get(store->heads_, lmdb::BigEndian(size), &rc);
    if (!head) {
      return Status::Corruption("store.head_missing",
                                "no signed tree head for the log size " + std::to_string(size));
    }
    auto decoded = Decode<TreeHead>(*head);
    if (!decoded.ok()) return decoded.status();
    store->head_ = *decoded;
  } else {
    store->head_.root = crypto::EmptyTreeHash();
  }
  // Database handles opened in a transaction live on only if it commits.
  rc = txn.Commit();
  if (rc) return lmdb::Error(rc, "committing the opening transaction");
  if (store->v1_ && !options.read_only) {
    if (Status s = store->Migrate(); !s.ok()) return s;
  }
  return std::unique_ptr<Store>(std::move(store));
}

Status LmdbStore::Migrate() {
  const auto started = std::chrono::steady_clock::now();
  std::size_t entries = 0, nodes = 0;
  Status s = WriteGrowing(
      [&]() -> int {
        entries = nodes = 0;
        lmdb::Txn txn;
        int rc = lmdb::Txn::Begin(env_, 0, &txn);
        if (rc) return rc;
        if ((rc = mdb_dbi_open(txn.get(), "tree", MDB_CREATE, &tree_))) return rc;
        if ((rc = mdb_dbi_open(txn.get(), "filed", MDB_CREATE | kFiledFlags, &filed_))) return rc;
        // Index entries: kind || value || 0x00 || sequence, or 'i' || issued_at
        // || sequence, become key kind || value (or 'i' || issued_at) with the
        // sequence as a data item. Both orders agree, so each key's items come
        // in ascending order.
        {
          lmdb::Cursor from(txn, v1_index_, &rc);
          if (rc) return rc;
          lmdb::Cursor to(txn, filed_, &rc);
          if (rc) return rc;
          ByteView key, value;
          for (rc = from.Get(MDB_FIRST, &key, &value); rc == 0;
               rc = from.Get(MDB_NEXT, &key, &value)) {
            const std::size_t tail = key.size() > 0 && key[0] == kIssued ? 8 : 9;
            if (key.size() < tail + 1) return MDB_CORRUPTED;
            const auto seq = key.last(8);
            if ((rc = to.Put(key.first(key.size() - tail), seq, MDB_APPENDDUP))) return rc;
            ++entries;
          }
          if (rc != MDB_NOTFOUND) return rc;
        }
        // Nodes above the leaves, re-keyed and put in their new key order.
        std::vector<std::pair<std::array<std::uint8_t, 9>, crypto::Hash>> tree;
        {
          lmdb::Cursor from(txn, v1_nodes_, &rc);
          if (rc) return rc;
          ByteView key, value;
          for (rc = from.Get(MDB_FIRST, &key, &value); rc == 0;
               rc = from.Get(MDB_NEXT, &key, &value)) {
            if (key.size() != 9 || value.size() != 32) return MDB_CORRUPTED;
            if (key[0] == 0) continue;
            tree.emplace_back(TreeKey(key[0], lmdb::FromBigEndian(key.subspan(1))), crypto::Hash{});
            std::copy(value.begin(), value.end(), tree.back().second.begin());
          }
          if (rc != MDB_NOTFOUND) return rc;
        }
        std::sort(tree.begin(), tree.end());
        for (const auto& [key, hash] : tree) {
          if ((rc = txn.Put(tree_, key, hash, MDB_APPEND))) return rc;
        }
        nodes = tree.size();
        if ((rc = mdb_drop(txn.get(), v1_index_, 1))) return rc;
        if ((rc = mdb_drop(txn.get(), v1_nodes_, 1))) return rc;
        if ((rc = txn.Put(meta_, AsBytes("format"), AsBytes(kStoreFormat)))) return rc;
        return txn.Commit();
      },
      "migrating \"" + dir_ + "\" from " + std::string(kFormatV1) + " to " +
          std::string(kStoreFormat));
  if (!s.ok()) return s;
  v1_ = false;
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::ostringstream line;
  line << "ledger: migrated \"" << dir_ << "\" from " << kFormatV1 << " to " << kStoreFormat << ": "
       << entries << " index entries and " << nodes << " tree nodes rewritten in " << std::fixed
       << std::setprecision(1) << seconds << " s";
  if (options_.notice) {
    options_.notice(line.str());
  } else {
    std::cerr << line.str() << std::endl;
  }
  return Status::Ok();
}

Status LmdbStore::WriteGrowing(const WriteAttempt& attempt, const std::string& what) {
  for (;;) {
    int rc;
    {
      std::shared_lock map_lock(map_mutex_);
      rc = attempt();
    }
    if (rc == MDB_MAP_FULL) {
      if (Status s = Grow(); !s.ok()) return s;
      continue;
    }
    if (rc == EIO && OutOfSpace(dir_)) rc = ENOSPC;
    return rc ? lmdb::Error(rc, what) : Status::Ok();
  }
}

Result<AppendResult> LmdbStore::Append(std::span<const SignedDecision> batch, Timestamp recorded_at,
                                       std::span<const Annotation> annotations) {
  if (options_.read_only || !log_private_) {
    return Status::Invalid("store.read_only", "this store was opened read-only");
  }
  if (!annotations.empty() && annotations.size() != batch.size()) {
    return Status::Invalid("store.annotations", std::to_string(annotations.size()) +
                                                    " annotations for a batch of " +
                                                    std::to_string(batch.size()) + " decisions");
  }
  for (const Annotation& a : annotations) {
    for (const std::string& subject : a.subjects) {
      if (subject.find('\0') != std::string::npos) {
        return Status::Invalid("store.annotations", "a subject contains a NUL byte");
      }
    }
  }
  std::lock_guard writer(write_mutex_);
  AppendResult result;
  crypto::CompactRange range;
  Status refused;
  Status written = WriteGrowing(
      [&] {
        result = {};
        refused = Status::Ok();
        {
          std::lock_guard lock(state_mutex_);
          range = range_;
        }
        return TryAppend(batch, recorded_at, annotations, &result, &range, &refused);
      },
      "appending a batch of " + std::to_string(batch.size()));
  if (!refused.ok()) return refused;
  if (!written.ok()) return written;
  std::lock_guard lock(state_mutex_);
  range_ = std::move(range);
  head_ = result.head;
  return result;
}

// Refusals come back in *refused with the transaction aborted and 0 returned.
int LmdbStore::TryAppend(std::span<const SignedDecision> batch, Timestamp recorded_at,
                         std::span<const Annotation> annotations, AppendResult* out,
                         crypto::CompactRange* range, Status* refused) {
  lmdb::Txn txn;
  int rc = lmdb::Txn::Begin(env_, 0, &txn);
  if (rc) return rc;
  TreeHead previous = head();
  // recorded_at never decreases along the log: SizeAt depends on it.
  const Timestamp now = std::max(recorded_at, previous.timestamp);
  // Decisions new in this batch, by id, so a repeat inside the batch is
  // treated like a repeat of a recorded decision.
  std::unordered_map<std::string_view, std::size_t> in_batch;
  std::vector<crypto::CompactRange::Node> completed;
  std::vector<std::pair<std::string, std::uint64_t>> filed;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const SignedDecision& d = batch[i];
    auto same_as = [&](const Decision& recorded, const Appended& original) -> bool {
      if (SigningBytes(recorded) != SigningBytes(d.decision)) {
        *refused = Status::Conflict("decision.id_reused", "decision id \"" + d.decision.id +
                                                              "\" is already recorded (sequence " +
                                                              std::to_string(original.sequence) +
                                                              ") with different content");
        return false;
      }
      out->decisions.push_back(Appended{original.sequence, original.leaf_hash, true});
      return true;
    };
    if (auto it = in_batch.find(d.decision.id); it != in_batch.end()) {
      if (!same_as(batch[it->second].decision, out->decisions[it->second])) return 0;
      continue;
    }
    auto recorded_seq = txn.Get(decisions_, AsBytes(d.decision.id), &rc);
    if (recorded_seq) {
      auto original = ReadIn(txn, lmdb::FromBigEndian(*recorded_seq));
      if (!original.ok()) {
        *refused = original.status();
        return 0;
      }
      if (!same_as(original->decision.decision,
                   Appended{original->sequence, original->leaf_hash, true})) {
        return 0;
      }
      continue;
    }
    if (rc != MDB_NOTFOUND) return rc;

    Envelope e{range->size(), now, d, {}};
    e.leaf_hash = crypto::LeafHash(AsBytes(EntryBytes(e)));
    const auto key = lmdb::BigEndian(e.sequence);
    if ((rc = txn.Put(events_, key, AsBytes(Encode(e)), MDB_APPEND))) return rc;
    if ((rc = txn.Put(decisions_, AsBytes(d.decision.id), key, MDB_NOOVERWRITE))) return rc;
    const Annotation* annotation = annotations.empty() ? nullptr : &annotations[i];
    IndexEntries(e, annotation, &filed);
    if (annotation && !annotation->authority.empty()) {
      // Sequences only grow, so every authority key goes at the end.
      if ((rc = txn.Put(authority_, key, AsBytes(annotation->authority), MDB_APPEND))) return rc;
    }
    completed.clear();
    range->Append(e.leaf_hash, &completed);
    for (const auto& node : completed) {
      if (node.level == 0) continue;  // the leaf hash, stored with the event
      if ((rc = txn.Put(tree_, TreeKey(node.level, node.index), node.hash, MDB_APPEND))) return rc;
    }
    in_batch.emplace(d.decision.id, out->decisions.size());
    out->decisions.push_back(Appended{e.sequence, e.leaf_hash, false});
  }
  if (in_batch.empty()) {  // nothing new: the current head stands
    out->head = previous;
    return 0;
  }
  if ((rc = WriteFiled(txn, &filed))) return rc;
  out->head.size = range->size();
  out->head.root = range->Root();
  out->head.timestamp = now;
  Sign(&out->head, *log_private_);
  if ((rc = txn.Put(heads_, lmdb::BigEndian(out->head.size), AsBytes(Encode(out->head)),
                    MDB_APPEND))) {
    return rc;
  }
  return txn.Commit();
}

void LmdbStore::IndexEntries(const Envelope& e, const Annotation* annotation,
                             std::vector<std::pair<std::string, std::uint64_t>>* entries) {
  const Decision& d = e.decision.decision;
  auto add = [&](std::string key) { entries->emplace_back(std::move(key), e.sequence); };
  add(FiledKey(kBody, d.body));
  add(FiledKey(kType, d.type));
  if (auto family = Family(d.type); !family.empty()) add(FiledKey(kFamily, family));
  for (const DecisionSignature& sig : e.decision.signatures)
    add(FiledKey(kSigner, AsText(sig.key_id)));
  add(IssuedKey(d.issued_at));
  if (annotation) {
    for (const std::string& subject : annotation->subjects) add(FiledKey(kSubject, subject));
  }
}

int LmdbStore::WriteFiled(lmdb::Txn& txn,
                          std::vector<std::pair<std::string, std::uint64_t>>* entries) {
  // Key order, then sequence order; an entry twice (a subject named twice,
  // two signatures by one key) is filed once.
  std::sort(entries->begin(), entries->end());
  entries->erase(std::unique(entries->begin(), entries->end()), entries->end());
  int rc;
  lmdb::Cursor cursor(txn, filed_, &rc);
  if (rc) return rc;
  std::vector<std::array<std::uint8_t, 8>> sequences;
  for (auto run = entries->begin(); run != entries->end();) {
    auto end = std::find_if(run, entries->end(),
                            [&](const auto& entry) { return entry.first != run->first; });
    sequences.clear();
    for (auto it = run; it != end; ++it) sequences.push_back(lmdb::BigEndian(it->second));
    // Every sequence is new and above those already filed: MDB_APPENDDUP adds
    // them at the end of the key's items without searching among them.
    if ((rc = cursor.PutMultiple(AsBytes(run->first), sequences.data(), 8, sequences.size(),
                                 MDB_APPENDDUP))) {
      return rc;
    }
    run = end;
  }
  return 0;
}

int LmdbStore::PutSections(lmdb::Txn& txn, std::span<const CheckpointSection> sections) {
  std::string pack;
  std::vector<std::pair<const CheckpointSection*, std::uint64_t>> added;  // with their offsets
  std::set<crypto::Hash> in_pack;
  for (const CheckpointSection& section : sections) {
    int rc;
    if (txn.Get(sections_, ByteView(section.digest.data(), section.digest.size()), &rc)) continue;
    if (rc != MDB_NOTFOUND) return rc;
    if (!in_pack.insert(section.digest).second) continue;
    if (pack.size() + section.bytes.size() > 0xffffffffu) return MDB_BAD_VALSIZE;  // (u32 offsets)
    added.emplace_back(&section, pack.size());
    pack.append(reinterpret_cast<const char*>(section.bytes.data()), section.bytes.size());
  }
  if (added.empty()) return 0;
  int rc;
  std::uint64_t number = 0;  // the last pack's number + 1
  {
    lmdb::Cursor cursor(txn, packs_, &rc);
    if (rc) return rc;
    ByteView key, value;
    rc = cursor.Get(MDB_LAST, &key, &value);
    if (rc == 0) number = lmdb::FromBigEndian(key) + 1;
    if (rc && rc != MDB_NOTFOUND) return rc;
  }
  const auto pack_key = lmdb::BigEndian(number);
  if ((rc = txn.Put(packs_, pack_key, AsBytes(pack), MDB_APPEND))) return rc;
  for (const auto& [section, offset] : added) {
    std::string where(pack_key.begin(), pack_key.end());
    for (std::uint64_t v : {offset, static_cast<std::uint64_t>(section->bytes.size())}) {
      for (int shift = 24; shift >= 0; shift -= 8) where.push_back(static_cast<char>(v >> shift));
    }
    ByteView digest(section->digest.data(), section->digest.size());
    if ((rc = txn.Put(sections_, digest, AsBytes(where)))) return rc;
  }
  return 0;
}

Status LmdbStore::PutCheckpoint(std::uint64_t size, ByteView bytes,
                                std::span<const CheckpointSection> sections) {
  if (options_.read_only || !log_private_) {
    return Status::Invalid("store.read_only", "this store was opened read-only");
  }
  if (const std::uint64_t have = this->size(); size > have) {
    return Status::Invalid("store.checkpoint_range",
                           "a checkpoint at size " + std::to_string(size) +
                               " is beyond the log size " + std::to_string(have));
  }
  return WriteAlone(
      [&](lmdb::Txn& txn) {
        if (int rc = PutSections(txn, sections)) return rc;
        return txn.Put(checkpoints_, lmdb::BigEndian(size), bytes);
      },
      "writing the checkpoint at size " + std::to_string(size));
}

Status LmdbStore::RemoveCheckpoint(std::uint64_t size) {
  if (options_.read_only || !log_private_) {
    return Status::Invalid("store.read_only", "this store was opened read-only");
  }
  return WriteAlone(
      [&](lmdb::Txn& txn) {
        const auto key = lmdb::BigEndian(size);
        MDB_val k{key.size(), const_cast<std::uint8_t*>(key.data())};
        const int rc = mdb_del(txn.get(), checkpoints_, &k, nullptr);
        return rc == MDB_NOTFOUND ? 0 : rc;
      },
      "removing the checkpoint at size " + std::to_string(size));
}

Status LmdbStore::WriteAlone(const std::function<int(lmdb::Txn&)>& work, const std::string& what) {
  std::lock_guard writer(write_mutex_);
  return WriteGrowing(
      [&] {
        lmdb::Txn txn;
        int rc = lmdb::Txn::Begin(env_, 0, &txn);
        if (rc) return rc;
        if ((rc = work(txn))) return rc;
        return txn.Commit();
      },
      what);
}

Result<Note> LmdbStore::CheckpointNote(std::string_view origin, std::uint64_t size) const {
  if (!log_private_) return Status::Invalid("store.read_only", "this store was opened read-only");
  if (Status s = CheckOrigin(origin); !s.ok()) return s;
  auto head = HeadAt(size);
  if (!head.ok()) return head.status();
  return SignCheckpoint(origin, *head, *log_private_);
}

// A cosignature's key: size (u64 big-endian) || witness name.
static std::string CosignatureKey(std::uint64_t size, std::string_view witness) {
  const auto prefix = lmdb::BigEndian(size);
  return std::string(AsText(prefix)) + std::string(witness);
}

Status LmdbStore::PutCosignature(std::uint64_t size, const NoteSignature& cosignature) {
  if (options_.read_only || !log_private_) {
    return Status::Invalid("store.read_only", "this store was opened read-only");
  }
  if (Status s = CheckNoteName(cosignature.name); !s.ok()) return s;
  if (auto head = HeadAt(size); !head.ok()) return head.status();
  const std::string key = CosignatureKey(size, cosignature.name);
  const std::string line = cosignature.Line();
  return WriteAlone(
      [&](lmdb::Txn& txn) { return txn.Put(cosignatures_, AsBytes(key), AsBytes(line)); },
      "writing a cosignature at size " + std::to_string(size));
}

Result<std::vector<NoteSignature>> LmdbStore::Cosignatures(std::uint64_t size) const {
  ReadTxn r;
  if (Status s = BeginRead(&r); !s.ok()) return s;
  int rc;
  lmdb::Cursor cursor(r.txn, cosignatures_, &rc);
  if (rc) return lmdb::Error(rc, "opening a cosignatures cursor");
  const auto prefix = lmdb::BigEndian(size);
  std::vector<NoteSignature> out;
  ByteView key, value;
  for (rc = cursor.Get(MDB_SET_RANGE, &key, &value, prefix);
       rc == 0 && key.size() > 8 && std::equal(prefix.begin(), prefix.end(), key.begin());
       rc = cursor.Get(MDB_NEXT, &key, &value)) {
    auto line = ParseSignatureLine(AsText(value));
    if (!line.ok()) {
      return Status::Corruption(
          "store.decode",
          "a stored cosignature at size " + std::to_string(size) + ": " + line.status().message());
    }
    out.push_back(std::move(*line));
  }
  if (rc && rc != MDB_NOTFOUND) return lmdb::Error(rc, "reading cosignatures");
  return out;
}

Result<std::uint64_t> LmdbStore::NewestCosigned(std::size_t witnesses) const {
  ReadTxn r;
  if (Status s = BeginRead(&r); !s.ok()) return s;
  int rc;
  lmdb::Cursor cursor(r.txn, cosignatures_, &rc);
  if (rc) return lmdb::Error(rc, "opening a cosignatures cursor");
  ByteView key, value;
  std::optional<std::uint64_t> size;
  std::size_t count = 0;
  // Newest size first; the entries of one size are adjacent.
  for (rc = cursor.Get(MDB_LAST, &key, &value); rc == 0; rc = cursor.Get(MDB_PREV, &key, &value)) {
    const std::uint64_t at = lmdb::FromBigEndian(key.first(8));
    if (at != size) size = at, count = 0;
    if (++count >= witnesses) return at;
  }
  if (rc != MDB_NOTFOUND) return lmdb::Error(rc, "reading cosignatures");
  return Status::NotFound("store.not_found", "no checkpoint has cosignatures by " +
                                                 std::to_string(witnesses) + " witnesses");
}

Status LmdbStore::WalkBack(const lmdb::Txn& txn, std::string_view key, std::uint64_t before,
                           const std::function<bool(std::uint64_t)>& visit) const {
  int rc;
  lmdb::Cursor cursor(txn, filed_, &rc);
  if (rc) return lmdb::Error(rc, "opening a cursor");
  ByteView k, value;
  // The last item below `before`: the one before the first item at or above
  // it, or the key's last item when there is none.
  rc = cursor.Get(MDB_GET_BOTH_RANGE, &k, &value, AsBytes(key), lmdb::BigEndian(before));
  if (rc == 0) {
    rc = cursor.Get(MDB_PREV_DUP, &k, &value);
  } else if (rc == MDB_NOTFOUND) {
    rc = cursor.Get(MDB_SET_KEY, &k, &value, AsBytes(key));
    if (rc == 0) rc = cursor.Get(MDB_LAST_DUP, &k, &value);
  }
  for (; rc == 0; rc = cursor.Get(MDB_PREV_DUP, &k, &value)) {
    if (!visit(lmdb::FromBigEndian(value))) return Status::Ok();
  }
  if (rc != MDB_NOTFOUND) return lmdb::Error(rc, "walking an index");
  return Status::Ok();
}

Result<AuditPage> LmdbStore::Audit(const AuditQuery& query) const {
  const std::size_t limit =
      query.limit == 0 ? kDefaultAuditLimit : std::min(query.limit, kMaxAuditLimit);
  // A family "x.*" matches the types starting with "x."; it is found under
  // the 'f' entries of its first segment.
  std::optional<std::string> type_prefix;
  std::string_view family;
  if (query.type && query.type->ends_with(".*")) {
    type_prefix = query.type->substr(0, query.type->size() - 1);
    family = Family(*type_prefix);
    if (family.empty()) {
      return Status::Invalid("audit.type",
                             "\"" + *query.type + "\" names no family (write e.g. \"project.*\")");
    }
  }
  const std::uint64_t before = query.before.value_or(kNoBefore);
  const Timestamp from = std::max<Timestamp>(query.issued_from.value_or(0), 0);
  const Timestamp to = query.issued_to.value_or(std::numeric_limits<Timestamp>::max());
  AuditPage page;
  if (v1_) {
    return Status::Invalid("store.migration",
                           "\"" + dir_ + "\" has the " + std::string(kFormatV1) +
                               " layout, whose audit index this build does not read; opening it "
                               "once for writing (ledgerd, or ledgerctl append) migrates it to " +
                               std::string(kStoreFormat));
  }
  if (before == 0 || to <= from) return page;

  ReadTxn r;
  if (Status s = BeginRead(&r); !s.ok()) return s;
  auto matches = [&](const Decision& d, const std::vector<DecisionSignature>& signatures) {
    if (query.body && d.body != *query.body) return false;
    if (type_prefix ? !d.type.starts_with(*type_prefix) : query.type && d.type != *query.type) {
      return false;
    }
    if (d.issued_at < from || d.issued_at >= to) return false;
    return !query.signer ||
           std::any_of(signatures.begin(), signatures.end(),
                       [&](const DecisionSignature& s) { return s.key_id == *query.signer; });
  };
  auto add = [&](Envelope e) -> Status {
    auto authority = AuthorityIn(r.txn, e.sequence);
    if (!authority.ok()) return authority.status();
    page.events.push_back({std::move(e), std::move(*authority)});
    return Status::Ok();
  };
  auto read = [&](std::uint64_t seq) -> Result<Envelope> {
    auto e = ReadIn(r.txn, seq);
    if (!e.ok() && e.status().code() == Status::Code::kNotFound) {
      return Status::Corruption("store.index", "the index names event " + std::to_string(seq) +
                                                   ", which is not in the log");
    }
    return e;
  };

  const bool filtered = query.subject || query.signer || query.type || query.body;
  if (!filtered && (query.issued_from || query.issued_to)) {
    // Only a time range: issued_at order is not sequence order, so keep the
    // limit + 1 highest sequences among the range's entries, then read those.
    int rc;
    lmdb::Cursor cursor(r.txn, filed_, &rc);
    if (rc) return lmdb::Error(rc, "opening an index cursor");
    std::priority_queue<std::uint64_t, std::vector<std::uint64_t>, std::greater<>> newest;
    const std::string start = IssuedKey(from);
    ByteView key, value;
    // MDB_NEXT visits each key's items, then the next key's.
    for (rc = cursor.Get(MDB_SET_RANGE, &key, &value, AsBytes(start)); rc == 0;
         rc = cursor.Get(MDB_NEXT, &key, &value)) {
      if (key.size() != 9 || key[0] != static_cast<std::uint8_t>(kIssued)) break;
      if (static_cast<Timestamp>(lmdb::FromBigEndian(key.subspan(1, 8))) >= to) break;
      const std::uint64_t seq = lmdb::FromBigEndian(value);
      if (seq >= before) continue;
      newest.push(seq);
      if (newest.size() > limit + 1) newest.pop();
    }
    if (rc != 0 && rc != MDB_NOTFOUND) return lmdb::Error(rc, "walking the issued_at index");
    std::vector<std::uint64_t> sequences;
    for (; !newest.empty(); newest.pop()) sequences.push_back(newest.top());
    std::reverse(sequences.begin(), sequences.end());
    for (std::size_t i = 0; i < std::min(limit, sequences.size()); ++i) {
      auto e = read(sequences[i]);
      if (!e.ok()) return e.status();
      if (Status s = add(std::move(*e)); !s.ok()) return s;
    }
    if (sequences.size() > limit) page.next_before = page.events.back().event.sequence;
    return page;
  }

  // Otherwise walk one index (or the events themselves) newest first, most
  // selective first, and check the other filters on each event.
  std::string key;
  if (query.subject) {
    key = FiledKey(kSubject, *query.subject);
  } else if (query.signer) {
    key = FiledKey(kSigner, AsText(*query.signer));
  } else if (type_prefix) {
    key = FiledKey(kFamily, family);
  } else if (query.type) {
    key = FiledKey(kType, *query.type);
  } else if (query.body) {
    key = FiledKey(kBody, *query.body);
  }
  Status problem;
  auto visit = [&](std::uint64_t seq, std::optional<ByteView> stored) {
    if (page.events.size() == limit) {  // a full page, and more
      page.next_before = page.events.back().event.sequence;
      return false;
    }
    Result<Envelope> e = stored ? DecodeEvent(seq, *stored) : read(seq);
    if (!e.ok()) {
      problem = e.status();
      return false;
    }
    if (!matches(e->decision.decision, e->decision.signatures)) return true;
    problem = add(std::move(*e));
    return problem.ok();
  };
  Status walked;
  if (filtered) {
    walked = WalkBack(r.txn, key, before, [&](std::uint64_t seq) { return visit(seq, {}); });
  } else {
    walked = WalkEvents(r.txn, before,
                        [&](std::uint64_t seq, ByteView value) { return visit(seq, value); });
  }
  if (!problem.ok()) return problem;
  if (!walked.ok()) return walked;
  return page;
}

Status LmdbStore::Grow() {
  std::unique_lock lock(map_mutex_);
  MDB_envinfo info;
  mdb_env_info(env_, &info);
  const std::size_t bigger = info.me_mapsize * 2;
  int rc = mdb_env_set_mapsize(env_, bigger);
  return rc ? lmdb::Error(rc, "growing the map to " + std::to_string(bigger) + " bytes")
            : Status::Ok();
}

}  // namespace

Status LmdbStore::Backup(const std::string& dest_dir) const {
  const fs::path data = fs::path(dest_dir) / "data.mdb";
  std::error_code ec;
  if (fs::exists(data, ec)) {
    return Status::Conflict("store.backup_exists", "\"" + dest_dir + "\" already holds a data.mdb");
  }
  for (int attempt = 0;; ++attempt) {
    int rc;
    {
      // The copy runs its own read transaction; hold off map growth in this
      // process while it lasts, as every read does.
      std::shared_lock map_lock(map_mutex_);
      rc = mdb_env_copy2(env_, dest_dir.c_str(), MDB_CP_COMPACT);
    }
    if (rc == MDB_MAP_RESIZED && attempt == 0) {  // another process grew the map
      fs::remove(data, ec);
      std::unique_lock grow(map_mutex_);
      mdb_env_set_mapsize(env_, 0);
      continue;
    }
    if (rc) {
      fs::remove(data, ec);
      return lmdb::Error(rc, "copying the log to \"" + dest_dir + "\"");
    }
    break;
  }
  // The log key never changes, so copying it after the snapshot is consistent.
  const fs::path key = fs::path(dest_dir) / kLogKeyFile;
  fs::copy_file(fs::path(dir_) / kLogKeyFile, key, fs::copy_options::overwrite_existing, ec);
  if (!ec) fs::permissions(key, fs::perms::owner_read | fs::perms::owner_write, ec);
  if (ec) {
    return Status::IoError("store.io", "copying " + std::string(kLogKeyFile) + " to \"" + dest_dir +
                                           "\": " + ec.message());
  }
  return Status::Ok();
}

Result<std::unique_ptr<Store>> Store::Open(const std::string& dir, const StoreOptions& options) {
  return LmdbStore::Open(dir, options);
}

}  // namespace pl::ledger
