// Merkle trees as in RFC 9162 §2.1 (the same hashing as RFC 6962):
//   leaf hash  = SHA-256(0x00 || entry)
//   node hash  = SHA-256(0x01 || left || right)
//   MTH of the empty tree = SHA-256("")
//
// Trees are addressed by "perfect" subtrees: node (level, index) is the hash
// of leaves [index << level, (index + 1) << level). Such a node never changes
// once its last leaf exists, so a store keeps them and answers any root or
// proof with O(log n) node reads through a NodeSource.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "crypto/hash.h"
#include "crypto/status.h"

namespace pl::crypto {

Hash LeafHash(ByteView entry);
Hash NodeHash(const Hash& left, const Hash& right);
Hash EmptyTreeHash();

// Reads a stored perfect subtree hash. It is only asked for nodes that lie
// wholly inside the tree size the caller passed, and returns a non-ok Status
// if the node cannot be read.
using NodeSource = std::function<Result<Hash>(unsigned level, std::uint64_t index)>;

// MTH(D[0:size]).
Result<Hash> TreeRoot(const NodeSource& nodes, std::uint64_t size);
// The audit path of RFC 9162 §2.1.3.1 for leaf `index` in a tree of `size`.
// REQUIRES: index < size.
Result<std::vector<Hash>> InclusionProof(const NodeSource& nodes, std::uint64_t index,
                                         std::uint64_t size);
// The consistency proof of RFC 9162 §2.1.4.1 between sizes old_size and
// new_size. REQUIRES: 0 < old_size <= new_size.
Result<std::vector<Hash>> ConsistencyProof(const NodeSource& nodes, std::uint64_t old_size,
                                           std::uint64_t new_size);

// RFC 9162 §2.1.3.2. Ok only if the proof links leaf_hash to root.
Status VerifyInclusion(const Hash& leaf_hash, std::uint64_t index, std::uint64_t size,
                       const std::vector<Hash>& proof, const Hash& root);
// RFC 9162 §2.1.4.2. Ok only if old_root is a prefix tree of new_root.
Status VerifyConsistency(std::uint64_t old_size, std::uint64_t new_size, const Hash& old_root,
                         const Hash& new_root, const std::vector<Hash>& proof);

// The right edge of a growing tree: the roots of its perfect subtrees, from
// the largest to the smallest. Appending a leaf reports every perfect node it
// completes, so a store can persist them in the same transaction.
class CompactRange {
 public:
  struct Node {
    unsigned level;
    std::uint64_t index;
    Hash hash;
  };

  CompactRange() = default;
  // Rebuilds the edge of a tree of `size` leaves from stored nodes.
  static Result<CompactRange> Load(const NodeSource& nodes, std::uint64_t size);

  std::uint64_t size() const { return size_; }
  // Appends a leaf; `completed` receives the leaf node and every parent it
  // completes, lowest level first.
  void Append(const Hash& leaf_hash, std::vector<Node>* completed);
  // MTH of the leaves appended so far.
  Hash Root() const;

 private:
  std::uint64_t size_ = 0;
  std::vector<Hash> edge_;  // one per set bit of size_, largest subtree first
};

}  // namespace pl::crypto
