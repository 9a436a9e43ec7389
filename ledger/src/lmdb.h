// A thin RAII layer over LMDB that keeps its rules visible:
//  - a Txn aborts on destruction unless committed;
//  - a ByteView from Get or a cursor is valid only until the next update in
//    the same transaction, or the end of the transaction;
//  - MDB_MAP_FULL surfaces as kMapFull so the caller can grow the map and retry.
#pragma once

#include <lmdb.h>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "crypto/bytes.h"
#include "crypto/status.h"

namespace pl::ledger::lmdb {

inline Status Error(int rc, const std::string& what) {
  if (rc == ENOSPC || rc == EDQUOT) {
    return Status::IoError("store.full",
                           what + ": the disk is full (" + mdb_strerror(rc) + "); nothing written");
  }
  return Status::IoError("store.io", what + ": " + mdb_strerror(rc));
}

inline MDB_val Val(ByteView b) { return MDB_val{b.size(), const_cast<std::uint8_t*>(b.data())}; }
inline ByteView View(const MDB_val& v) {
  return {static_cast<const std::uint8_t*>(v.mv_data), v.mv_size};
}

inline std::array<std::uint8_t, 8> BigEndian(std::uint64_t n) {
  std::array<std::uint8_t, 8> out;
  for (int i = 7; i >= 0; --i, n >>= 8) out[static_cast<std::size_t>(i)] = n & 0xff;
  return out;
}
inline std::uint64_t FromBigEndian(ByteView b) {
  std::uint64_t n = 0;
  for (auto byte : b) n = (n << 8) | byte;
  return n;
}

class Txn {
 public:
  Txn() = default;
  Txn(Txn&& o) noexcept : txn_(std::exchange(o.txn_, nullptr)) {}
  Txn& operator=(Txn&& o) noexcept {
    Abort();
    txn_ = std::exchange(o.txn_, nullptr);
    return *this;
  }
  ~Txn() { Abort(); }

  // rc is the LMDB return code (MDB_MAP_RESIZED among them).
  static int Begin(MDB_env* env, unsigned flags, Txn* out) {
    MDB_txn* t = nullptr;
    int rc = mdb_txn_begin(env, nullptr, flags, &t);
    if (rc == 0) *out = Txn(t);
    return rc;
  }
  MDB_txn* get() const { return txn_; }
  int Commit() { return mdb_txn_commit(std::exchange(txn_, nullptr)); }
  void Abort() {
    if (txn_) mdb_txn_abort(std::exchange(txn_, nullptr));
  }

  // nullopt when absent; the view lives until the next update or txn end.
  std::optional<ByteView> Get(MDB_dbi dbi, ByteView key, int* rc) const {
    MDB_val k = Val(key), v;
    *rc = mdb_get(txn_, dbi, &k, &v);
    if (*rc != 0) return std::nullopt;
    return View(v);
  }
  int Put(MDB_dbi dbi, ByteView key, ByteView value, unsigned flags = 0) {
    MDB_val k = Val(key), v = Val(value);
    return mdb_put(txn_, dbi, &k, &v, flags);
  }

 private:
  explicit Txn(MDB_txn* t) : txn_(t) {}
  MDB_txn* txn_ = nullptr;
};

class Cursor {
 public:
  Cursor(const Txn& txn, MDB_dbi dbi, int* rc) { *rc = mdb_cursor_open(txn.get(), dbi, &c_); }
  ~Cursor() {
    if (c_) mdb_cursor_close(c_);
  }
  Cursor(const Cursor&) = delete;
  Cursor& operator=(const Cursor&) = delete;

  // Returns the LMDB code; key/value views live until the next update.
  int Get(MDB_cursor_op op, ByteView* key, ByteView* value, ByteView seek = {}) {
    return Get(op, key, value, seek, {});
  }
  // The same with a data item to seek too (MDB_GET_BOTH, MDB_GET_BOTH_RANGE).
  int Get(MDB_cursor_op op, ByteView* key, ByteView* value, ByteView seek, ByteView seek_value) {
    MDB_val k = Val(seek), v = Val(seek_value);
    int rc = mdb_cursor_get(c_, &k, &v, op);
    if (rc == 0) {
      *key = View(k);
      *value = View(v);
    }
    return rc;
  }
  // Stores `count` data items of `item_size` bytes each, contiguous at
  // `items`, under one key of an MDB_DUPFIXED database, in one call
  // (MDB_MULTIPLE, with `flags` such as MDB_APPENDDUP besides).
  int PutMultiple(ByteView key, const void* items, std::size_t item_size, std::size_t count,
                  unsigned flags) {
    MDB_val k = Val(key);
    MDB_val data[2] = {{item_size, const_cast<void*>(items)}, {count, nullptr}};
    return mdb_cursor_put(c_, &k, data, flags | MDB_MULTIPLE);
  }
  int Put(ByteView key, ByteView value, unsigned flags) {
    MDB_val k = Val(key), v = Val(value);
    return mdb_cursor_put(c_, &k, &v, flags);
  }

 private:
  MDB_cursor* c_ = nullptr;
};

}  // namespace pl::ledger::lmdb
