// Proof verification (crypto/merkle.h) against one fixed, honest tree of
// kLeaves leaves: arbitrary or mutated inclusion and consistency proofs, any
// sizes and indexes. Verification must never crash, and must accept only
// what is true of the honest tree: the honest leaf at that index with the
// honest proof, or the honest old root with the honest consistency proof.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "crypto/merkle.h"

using namespace pl;
using crypto::Hash;

namespace {

constexpr std::uint64_t kLeaves = 37;  // not a power of two: every proof shape occurs

struct HonestTree {
  std::vector<Hash> leaves;
  std::map<std::pair<unsigned, std::uint64_t>, Hash> nodes;
  crypto::NodeSource source;

  HonestTree() {
    crypto::CompactRange range;
    std::vector<crypto::CompactRange::Node> completed;
    for (std::uint64_t i = 0; i < kLeaves; ++i) {
      leaves.push_back(crypto::LeafHash(AsBytes("leaf " + std::to_string(i))));
      completed.clear();
      range.Append(leaves.back(), &completed);
      for (const auto& n : completed) nodes[{n.level, n.index}] = n.hash;
    }
    source = [this](unsigned level, std::uint64_t index) -> Result<Hash> {
      auto it = nodes.find({level, index});
      if (it == nodes.end()) return Status::NotFound("fuzz.node", "no such node");
      return it->second;
    };
  }
  Hash Root(std::uint64_t size) const {
    if (size == 0) return crypto::EmptyTreeHash();
    auto root = crypto::TreeRoot(source, size);
    if (!root.ok()) std::abort();
    return *root;
  }
};

const HonestTree& Tree() {
  static const HonestTree tree;
  return tree;
}

Hash ConsumeHash(FuzzedDataProvider& in) {
  Hash h{};
  const auto bytes = in.ConsumeBytes<std::uint8_t>(h.size());
  std::copy(bytes.begin(), bytes.end(), h.begin());
  return h;
}

// Mostly sizes and indexes within or near the honest tree, sometimes any u64.
std::uint64_t ConsumeSize(FuzzedDataProvider& in) {
  return in.ConsumeBool() ? in.ConsumeIntegralInRange<std::uint64_t>(0, kLeaves + 2)
                          : in.ConsumeIntegral<std::uint64_t>();
}

// The honest proof with one change (or none), or arbitrary hashes.
std::vector<Hash> ConsumeProof(FuzzedDataProvider& in, std::vector<Hash> honest) {
  switch (in.ConsumeIntegralInRange(0, 4)) {
    case 0:
      break;
    case 1:  // one byte of one hash flipped
      if (!honest.empty()) {
        auto& h = honest[in.ConsumeIntegralInRange<std::size_t>(0, honest.size() - 1)];
        h[in.ConsumeIntegralInRange<std::size_t>(0, h.size() - 1)] ^=
            std::max<std::uint8_t>(1, in.ConsumeIntegral<std::uint8_t>());
      }
      break;
    case 2:  // a hash dropped
      if (!honest.empty()) {
        honest.erase(honest.begin() +
                     static_cast<std::ptrdiff_t>(
                         in.ConsumeIntegralInRange<std::size_t>(0, honest.size() - 1)));
      }
      break;
    case 3:  // a hash inserted
      honest.insert(honest.begin() + static_cast<std::ptrdiff_t>(
                                         in.ConsumeIntegralInRange<std::size_t>(0, honest.size())),
                    ConsumeHash(in));
      break;
    default:
      honest.clear();
      for (std::size_t n = in.ConsumeIntegralInRange<std::size_t>(0, 80); n > 0; --n) {
        honest.push_back(ConsumeHash(in));
      }
  }
  return honest;
}

void Inclusion(FuzzedDataProvider& in) {
  const HonestTree& tree = Tree();
  const std::uint64_t size = ConsumeSize(in);
  const std::uint64_t index = ConsumeSize(in);
  const bool in_tree = index < size && size <= kLeaves;
  std::vector<Hash> honest;
  if (in_tree) {
    auto p = crypto::InclusionProof(tree.source, index, size);
    if (!p.ok()) std::abort();
    honest = *p;
  }
  const Hash leaf = in.ConsumeBool() && index < kLeaves ? tree.leaves[index] : ConsumeHash(in);
  const std::vector<Hash> proof = ConsumeProof(in, honest);
  // A root only means something with its size; beyond the honest tree the
  // check is only that nothing crashes.
  const Hash root = tree.Root(std::min(size, kLeaves));
  const Status s = crypto::VerifyInclusion(leaf, index, size, proof, root);
  if (s.ok() && size <= kLeaves) {
    if (!in_tree || leaf != tree.leaves[index] || proof != honest) std::abort();
  }
  if (!s.ok() && s.rule().empty()) std::abort();
}

void Consistency(FuzzedDataProvider& in) {
  const HonestTree& tree = Tree();
  const std::uint64_t old_size = ConsumeSize(in);
  const std::uint64_t new_size = ConsumeSize(in);
  const bool in_tree = 0 < old_size && old_size <= new_size && new_size <= kLeaves;
  std::vector<Hash> honest;
  if (in_tree && old_size < new_size) {
    auto p = crypto::ConsistencyProof(tree.source, old_size, new_size);
    if (!p.ok()) std::abort();
    honest = *p;
  }
  const Hash old_root = in.ConsumeBool() ? tree.Root(std::min(old_size, kLeaves)) : ConsumeHash(in);
  const std::vector<Hash> proof = ConsumeProof(in, honest);
  const Hash new_root = tree.Root(std::min(new_size, kLeaves));
  const Status s = crypto::VerifyConsistency(old_size, new_size, old_root, new_root, proof);
  if (s.ok() && new_size <= kLeaves) {
    if (!in_tree || old_root != tree.Root(old_size) || proof != honest) std::abort();
  }
  if (!s.ok() && s.rule().empty()) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  if (in.ConsumeBool()) {
    Inclusion(in);
  } else {
    Consistency(in);
  }
  return 0;
}
