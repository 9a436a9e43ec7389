#include "ledger/store.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <mutex>
#include <shared_mutex>
#include <unordered_map>

#include "ledger/serialization.h"
#include "lmdb.h"

namespace pl::ledger {

namespace fs = std::filesystem;

namespace {

constexpr char kLogKeyFile[] = "log-key.pem";

std::array<std::uint8_t, 9> NodeKey(unsigned level, std::uint64_t index) {
  std::array<std::uint8_t, 9> key;
  key[0] = static_cast<std::uint8_t>(level);
  auto be = lmdb::BigEndian(index);
  std::copy(be.begin(), be.end(), key.begin() + 1);
  return key;
}

class LmdbStore final : public Store {
 public:
  ~LmdbStore() override {
    if (env_) mdb_env_close(env_);
    if (lock_fd_ >= 0) close(lock_fd_);
  }

  static Result<std::unique_ptr<Store>> Open(const std::string& dir, const StoreOptions& options);

  Result<AppendResult> Append(std::span<const SignedDecision> batch) override;

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
      auto e = Decode<Envelope>(bytes);
      if (!e.ok() || e->sequence != seq) {
        scan_error_ = Status::Corruption(
            "store.decode", "event " + std::to_string(seq) + " does not decode: " +
                                (e.ok() ? "it carries sequence " + std::to_string(e->sequence)
                                        : e.status().message()));
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

  crypto::NodeSource Nodes(const lmdb::Txn& txn) const {
    return [this, &txn](unsigned level, std::uint64_t index) -> Result<crypto::Hash> {
      int rc;
      auto v = txn.Get(nodes_, NodeKey(level, index), &rc);
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
    auto e = Decode<Envelope>(*v);
    if (!e.ok()) {
      return Status::Corruption("store.decode", "event " + std::to_string(sequence) +
                                                    " does not decode: " + e.status().message());
    }
    return e;
  }

  // One attempt at the write transaction; MDB_MAP_FULL comes back as the
  // return code so Append can grow the map and try again.
  int TryAppend(std::span<const SignedDecision> batch, AppendResult* out,
                crypto::CompactRange* range, Status* refused);

  Status Grow();

  std::string dir_;
  StoreOptions options_;
  MDB_env* env_ = nullptr;
  MDB_dbi meta_ = 0, events_ = 0, decisions_ = 0, nodes_ = 0, heads_ = 0;
  int lock_fd_ = -1;
  std::optional<crypto::PublicKey> log_public_;
  std::optional<crypto::PrivateKey> log_private_;

  std::mutex write_mutex_;                // one Append at a time
  mutable std::shared_mutex map_mutex_;   // shared by transactions, unique to grow
  mutable std::mutex state_mutex_;        // guards range_ and head_
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
  if (rc) return lmdb::Error(rc, "opening the LMDB environment in \"" + dir + "\"");

  lmdb::Txn txn;
  rc = lmdb::Txn::Begin(store->env_, options.read_only ? MDB_RDONLY : 0, &txn);
  if (rc) return lmdb::Error(rc, "beginning the opening transaction");
  const unsigned dbi_flags = options.read_only ? 0 : MDB_CREATE;
  for (auto [name, dbi] : {std::pair{"meta", &store->meta_}, {"events", &store->events_},
                           {"decisions", &store->decisions_}, {"nodes", &store->nodes_},
                           {"heads", &store->heads_}}) {
    rc = mdb_dbi_open(txn.get(), name, dbi_flags, dbi);
    if (rc == MDB_NOTFOUND) {
      return Status::Invalid("store.format", "\"" + dir + "\" is not a Partnership Ledger log " +
                                                 "(no \"" + name + "\" database)");
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
    // A new log: its key and format record.
    crypto::PrivateKey key = crypto::PrivateKey::Generate();
    if (Status s = key.Save(key_path.string()); !s.ok()) return s;
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
  if (found != kStoreFormat) {
    return Status::Invalid("store.format", "\"" + dir + "\" holds format \"" + found +
                                               "\"; this build reads \"" +
                                               std::string(kStoreFormat) + "\"");
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
  return std::unique_ptr<Store>(std::move(store));
}

Result<AppendResult> LmdbStore::Append(std::span<const SignedDecision> batch) {
  if (options_.read_only || !log_private_) {
    return Status::Invalid("store.read_only", "this store was opened read-only");
  }
  std::lock_guard writer(write_mutex_);
  for (;;) {
    AppendResult result;
    crypto::CompactRange range;
    {
      std::lock_guard lock(state_mutex_);
      range = range_;
    }
    Status refused;
    int rc;
    {
      std::shared_lock map_lock(map_mutex_);
      rc = TryAppend(batch, &result, &range, &refused);
    }
    if (!refused.ok()) return refused;
    if (rc == MDB_MAP_FULL) {
      if (Status s = Grow(); !s.ok()) return s;
      continue;
    }
    if (rc) return lmdb::Error(rc, "appending a batch of " + std::to_string(batch.size()));
    std::lock_guard lock(state_mutex_);
    range_ = std::move(range);
    head_ = result.head;
    return result;
  }
}

int LmdbStore::TryAppend(std::span<const SignedDecision> batch, AppendResult* out,
                         crypto::CompactRange* range, Status* refused) {
  lmdb::Txn txn;
  int rc = lmdb::Txn::Begin(env_, 0, &txn);
  if (rc) return rc;
  TreeHead previous = head();
  const Timestamp now =
      std::max(options_.clock ? options_.clock() : Now(), previous.timestamp);
  // Decisions new in this batch, by id, so a repeat inside the batch is
  // treated like a repeat of a recorded decision.
  std::unordered_map<std::string_view, std::size_t> in_batch;
  std::vector<crypto::CompactRange::Node> completed;
  for (const SignedDecision& d : batch) {
    auto same_as = [&](const Decision& recorded, const Appended& original) -> bool {
      if (SigningBytes(recorded) != SigningBytes(d.decision)) {
        *refused = Status::Conflict("decision.id_reused",
                                    "decision id \"" + d.decision.id +
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
    completed.clear();
    range->Append(e.leaf_hash, &completed);
    for (const auto& node : completed) {
      if ((rc = txn.Put(nodes_, NodeKey(node.level, node.index), node.hash))) return rc;
    }
    in_batch.emplace(d.decision.id, out->decisions.size());
    out->decisions.push_back(Appended{e.sequence, e.leaf_hash, false});
  }
  if (in_batch.empty()) {  // nothing new: the current head stands
    out->head = previous;
    return 0;
  }
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

Result<std::unique_ptr<Store>> Store::Open(const std::string& dir, const StoreOptions& options) {
  return LmdbStore::Open(dir, options);
}

}  // namespace pl::ledger
