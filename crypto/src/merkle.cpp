#include "crypto/merkle.h"

#include <algorithm>
#include <bit>
#include <string>

namespace pl::crypto {
namespace {

using std::uint64_t;

// The largest power of two strictly smaller than n. REQUIRES: n > 1.
uint64_t SplitPoint(uint64_t n) { return std::bit_floor(n - 1); }

bool IsPowerOfTwo(uint64_t n) { return std::has_single_bit(n); }

// MTH(D[begin:end]) for a range that arises in the RFC 9162 recursion: begin
// is a multiple of a power of two >= end - begin, so the range is either one
// perfect stored node or the perfect nodes of its size's binary
// decomposition, largest first, which the RFC's split folds right to left.
// Costs popcount(end - begin) node reads. REQUIRES: begin < end.
Result<Hash> RangeHash(const NodeSource& nodes, uint64_t begin, uint64_t end) {
  const uint64_t size = end - begin;
  Hash acc{};
  bool have = false;
  // Smallest subtree first (it is the rightmost), so the fold can run as the
  // nodes are read.
  uint64_t rest = size;
  while (rest != 0) {
    const unsigned level = static_cast<unsigned>(std::countr_zero(rest));
    const uint64_t width = uint64_t{1} << level;
    rest -= width;
    const uint64_t node_begin = begin + rest;
    Result<Hash> node = nodes(level, node_begin >> level);
    if (!node.ok()) return node.status();
    acc = have ? NodeHash(*node, acc) : *node;
    have = true;
  }
  return acc;
}

Status InclusionError(std::string why) {
  return Status::Invalid("proof.inclusion_invalid", std::move(why));
}

Status ConsistencyError(std::string why) {
  return Status::Invalid("proof.consistency_invalid", std::move(why));
}

// Right-shifts fn and sn together until LSB(fn) is set or fn is 0 (RFC 9162
// §2.1.3.2 step 4.b.ii and §2.1.4.2 step 6.b.iii).
void ShiftWhileEven(uint64_t& fn, uint64_t& sn) {
  while ((fn & 1) == 0 && fn != 0) {
    fn >>= 1;
    sn >>= 1;
  }
}

}  // namespace

Hash LeafHash(ByteView entry) {
  // Finish() resets the hasher, so one per thread serves every call without
  // allocating a context each time.
  thread_local Sha256Hasher h;
  const std::uint8_t prefix = 0x00;
  h.Update(ByteView(&prefix, 1));
  h.Update(entry);
  return h.Finish();
}

Hash NodeHash(const Hash& left, const Hash& right) {
  std::array<std::uint8_t, 1 + 2 * sizeof(Hash)> buf;
  buf[0] = 0x01;
  std::copy(left.begin(), left.end(), buf.begin() + 1);
  std::copy(right.begin(), right.end(), buf.begin() + 1 + left.size());
  return Sha256(buf);
}

Hash EmptyTreeHash() {
  static const Hash kEmpty = Sha256(ByteView());
  return kEmpty;
}

Result<Hash> TreeRoot(const NodeSource& nodes, uint64_t size) {
  if (size == 0) return EmptyTreeHash();
  return RangeHash(nodes, 0, size);
}

// PATH(m, D[begin:end]) of RFC 9162 §2.1.3.1, unrolled from the top. The RFC
// appends each level's sibling after the deeper path, so siblings collected
// top-down are reversed at the end.
Result<std::vector<Hash>> InclusionProof(const NodeSource& nodes, uint64_t index, uint64_t size) {
  if (index >= size) {
    return Status::Invalid(
        "proof.index_out_of_range",
        "leaf index " + std::to_string(index) + " is not below tree size " + std::to_string(size));
  }
  std::vector<Hash> proof;
  uint64_t begin = 0;
  uint64_t end = size;
  while (end - begin > 1) {
    const uint64_t k = SplitPoint(end - begin);
    const uint64_t mid = begin + k;
    Result<Hash> sibling = index < mid ? RangeHash(nodes, mid, end) : RangeHash(nodes, begin, mid);
    if (!sibling.ok()) return sibling.status();
    proof.push_back(*sibling);
    if (index < mid) {
      end = mid;
    } else {
      begin = mid;
    }
  }
  std::reverse(proof.begin(), proof.end());
  return proof;
}

// SUBPROOF(m, D[begin:end], b) of RFC 9162 §2.1.4.1 with m = old_size - begin,
// unrolled from the top like InclusionProof. When the recursion ends with
// b false, MTH of the final range is the first element of the proof.
Result<std::vector<Hash>> ConsistencyProof(const NodeSource& nodes, uint64_t old_size,
                                           uint64_t new_size) {
  if (old_size == 0 || old_size > new_size) {
    return Status::Invalid("proof.invalid_sizes",
                           "a consistency proof needs 0 < old_size <= new_size, got " +
                               std::to_string(old_size) + " and " + std::to_string(new_size));
  }
  std::vector<Hash> siblings;
  uint64_t begin = 0;
  uint64_t end = new_size;
  bool whole_old_tree = true;  // the RFC's b: this range's left edge is old_size's tree
  while (old_size != end) {
    const uint64_t k = SplitPoint(end - begin);
    const uint64_t mid = begin + k;
    if (old_size <= mid) {
      Result<Hash> right = RangeHash(nodes, mid, end);
      if (!right.ok()) return right.status();
      siblings.push_back(*right);
      end = mid;
    } else {
      Result<Hash> left = RangeHash(nodes, begin, mid);
      if (!left.ok()) return left.status();
      siblings.push_back(*left);
      begin = mid;
      whole_old_tree = false;
    }
  }
  std::vector<Hash> proof;
  proof.reserve(siblings.size() + 1);
  if (!whole_old_tree) {
    Result<Hash> last = RangeHash(nodes, begin, end);
    if (!last.ok()) return last.status();
    proof.push_back(*last);
  }
  proof.insert(proof.end(), siblings.rbegin(), siblings.rend());
  return proof;
}

Status VerifyInclusion(const Hash& leaf_hash, uint64_t index, uint64_t size,
                       const std::vector<Hash>& proof, const Hash& root) {
  if (index >= size) {
    return InclusionError("leaf index " + std::to_string(index) + " is not below tree size " +
                          std::to_string(size));
  }
  uint64_t fn = index;
  uint64_t sn = size - 1;
  Hash r = leaf_hash;
  for (const Hash& p : proof) {
    if (sn == 0) {
      return InclusionError("proof has " + std::to_string(proof.size()) +
                            " hashes, more than a tree of size " + std::to_string(size) +
                            " needs for leaf " + std::to_string(index));
    }
    if ((fn & 1) == 1 || fn == sn) {
      r = NodeHash(p, r);
      ShiftWhileEven(fn, sn);
    } else {
      r = NodeHash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) {
    return InclusionError("proof has " + std::to_string(proof.size()) +
                          " hashes, fewer than a tree of size " + std::to_string(size) +
                          " needs for leaf " + std::to_string(index));
  }
  if (r != root) {
    return InclusionError("the root computed from the proof does not match for leaf " +
                          std::to_string(index) + " in a tree of size " + std::to_string(size));
  }
  return Status::Ok();
}

Status VerifyConsistency(uint64_t old_size, uint64_t new_size, const Hash& old_root,
                         const Hash& new_root, const std::vector<Hash>& proof) {
  if (old_size == 0) return ConsistencyError("old tree size is 0; nothing to prove");
  if (old_size > new_size) {
    return ConsistencyError("old tree size " + std::to_string(old_size) +
                            " exceeds new tree size " + std::to_string(new_size));
  }
  if (old_size == new_size) {
    if (!proof.empty()) {
      return ConsistencyError("proof between equal tree sizes must be empty, has " +
                              std::to_string(proof.size()) + " hashes");
    }
    if (old_root != new_root) return ConsistencyError("equal tree sizes but different roots");
    return Status::Ok();
  }
  // From here on the algorithm of RFC 9162 §2.1.4.2, steps 1 to 7.
  if (proof.empty()) return ConsistencyError("proof is empty but the tree sizes differ");
  std::size_t next = 0;  // position in proof of the value step 6 consumes next
  uint64_t fn = old_size - 1;
  uint64_t sn = new_size - 1;
  while ((fn & 1) == 1) {
    fn >>= 1;
    sn >>= 1;
  }
  // Step 2 prepends old_root when old_size is a power of two; reading it
  // instead of copying the proof gives the same sequence of values.
  Hash fr;
  if (IsPowerOfTwo(old_size)) {
    fr = old_root;
  } else {
    fr = proof[next++];
  }
  Hash sr = fr;
  for (; next < proof.size(); ++next) {
    const Hash& c = proof[next];
    if (sn == 0) {
      return ConsistencyError("proof has " + std::to_string(proof.size()) +
                              " hashes, more than sizes " + std::to_string(old_size) + " and " +
                              std::to_string(new_size) + " need");
    }
    if ((fn & 1) == 1 || fn == sn) {
      fr = NodeHash(c, fr);
      sr = NodeHash(c, sr);
      ShiftWhileEven(fn, sn);
    } else {
      sr = NodeHash(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) {
    return ConsistencyError("proof has " + std::to_string(proof.size()) +
                            " hashes, fewer than sizes " + std::to_string(old_size) + " and " +
                            std::to_string(new_size) + " need");
  }
  if (fr != old_root) {
    return ConsistencyError("the old root computed from the proof does not match for size " +
                            std::to_string(old_size));
  }
  if (sr != new_root) {
    return ConsistencyError("the new root computed from the proof does not match for size " +
                            std::to_string(new_size));
  }
  return Status::Ok();
}

// ------------------------------------------------------------- CompactRange

Result<CompactRange> CompactRange::Load(const NodeSource& nodes, uint64_t size) {
  CompactRange range;
  range.size_ = size;
  uint64_t begin = 0;
  for (int bit = 63; bit >= 0; --bit) {
    const unsigned level = static_cast<unsigned>(bit);
    const uint64_t width = uint64_t{1} << level;
    if ((size & width) == 0) continue;
    Result<Hash> node = nodes(level, begin >> level);
    if (!node.ok()) return node.status();
    range.edge_.push_back(*node);
    begin += width;
  }
  return range;
}

void CompactRange::Append(const Hash& leaf_hash, std::vector<Node>* completed) {
  Hash hash = leaf_hash;
  unsigned level = 0;
  uint64_t index = size_;
  if (completed) completed->push_back({level, index, hash});
  // Each set low bit of size_ is a perfect subtree of that level sitting just
  // left of the new node; merging climbs one level per bit.
  while (((size_ >> level) & 1) == 1) {
    hash = NodeHash(edge_.back(), hash);
    edge_.pop_back();
    ++level;
    index >>= 1;
    if (completed) completed->push_back({level, index, hash});
  }
  edge_.push_back(hash);
  ++size_;
}

Hash CompactRange::Root() const {
  if (edge_.empty()) return EmptyTreeHash();
  Hash acc = edge_.back();
  for (auto it = edge_.rbegin() + 1; it != edge_.rend(); ++it) acc = NodeHash(*it, acc);
  return acc;
}

}  // namespace pl::crypto
