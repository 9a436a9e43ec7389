// Tests of merkle.h against a literal transcription of RFC 9162 §2.1 and
// the Certificate Transparency reference roots.
#include <bit>
#include <boost/test/unit_test.hpp>
#include <cstdint>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "crypto/bytes.h"
#include "crypto/hash.h"
#include "crypto/merkle.h"

namespace pl::crypto {
namespace {

using std::uint64_t;

// ---- Reference: RFC 9162 §2.1 written out recursively, sharing nothing
// with the implementation but Sha256.

Hash RefLeaf(ByteView entry) {
  Bytes b{0x00};
  b.insert(b.end(), entry.begin(), entry.end());
  return Sha256(b);
}

Hash RefNode(const Hash& left, const Hash& right) {
  Bytes b{0x01};
  b.insert(b.end(), left.begin(), left.end());
  b.insert(b.end(), right.begin(), right.end());
  return Sha256(b);
}

// The largest power of two smaller than n. REQUIRES: n > 1.
uint64_t RefSplit(uint64_t n) {
  uint64_t k = 1;
  while (k <= (n - 1) / 2) k <<= 1;
  return k;
}

// MTH(D[begin:end]).
Hash RefMth(const std::vector<Hash>& leaves, uint64_t begin, uint64_t end) {
  const uint64_t n = end - begin;
  if (n == 0) return Sha256(ByteView());
  if (n == 1) return leaves[begin];
  const uint64_t k = RefSplit(n);
  return RefNode(RefMth(leaves, begin, begin + k), RefMth(leaves, begin + k, end));
}

// PATH(m, D[begin:end]), m relative to begin.
std::vector<Hash> RefPath(const std::vector<Hash>& leaves, uint64_t m, uint64_t begin,
                          uint64_t end) {
  const uint64_t n = end - begin;
  if (n == 1) return {};
  const uint64_t k = RefSplit(n);
  std::vector<Hash> path;
  if (m < k) {
    path = RefPath(leaves, m, begin, begin + k);
    path.push_back(RefMth(leaves, begin + k, end));
  } else {
    path = RefPath(leaves, m - k, begin + k, end);
    path.push_back(RefMth(leaves, begin, begin + k));
  }
  return path;
}

// SUBPROOF(m, D[begin:end], b), m relative to begin.
std::vector<Hash> RefSubproof(const std::vector<Hash>& leaves, uint64_t m, uint64_t begin,
                              uint64_t end, bool b) {
  const uint64_t n = end - begin;
  if (m == n) {
    if (b) return {};
    return {RefMth(leaves, begin, end)};
  }
  const uint64_t k = RefSplit(n);
  std::vector<Hash> proof;
  if (m <= k) {
    proof = RefSubproof(leaves, m, begin, begin + k, b);
    proof.push_back(RefMth(leaves, begin + k, end));
  } else {
    proof = RefSubproof(leaves, m - k, begin + k, end, false);
    proof.push_back(RefMth(leaves, begin, begin + k));
  }
  return proof;
}

std::vector<Hash> RefProof(const std::vector<Hash>& leaves, uint64_t m, uint64_t n) {
  return RefSubproof(leaves, m, 0, n, true);
}

// Proof lengths by the same recursions, for sizes too large to hash.
std::size_t RefPathLength(uint64_t m, uint64_t n) {
  std::size_t len = 0;
  for (uint64_t begin = 0, end = n; end - begin > 1; ++len) {
    const uint64_t k = RefSplit(end - begin);
    if (m - begin < k) {
      end = begin + k;
    } else {
      begin += k;
    }
  }
  return len;
}

std::size_t RefProofLength(uint64_t m, uint64_t n) {
  std::size_t len = 0;
  bool b = true;
  uint64_t begin = 0;
  uint64_t end = n;
  while (m - begin != end - begin) {
    const uint64_t k = RefSplit(end - begin);
    if (m - begin <= k) {
      end = begin + k;
    } else {
      begin += k;
      b = false;
    }
    ++len;
  }
  return len + (b ? 0 : 1);
}

unsigned CeilLog2(uint64_t n) { return n <= 1 ? 0 : 64 - std::countl_zero(n - 1); }

Hash Flip(Hash h, unsigned bit) {
  h[(bit / 8) % h.size()] ^= static_cast<std::uint8_t>(1u << (bit % 8));
  return h;
}

// ---- A tree of kMaxLeaves leaves, its stored perfect nodes and the roots
// the compact range reported along the way.

constexpr uint64_t kMaxLeaves = 71;

Bytes Entry(uint64_t i) {
  // The eight leaves of the RFC 6962 / CT test data, then synthetic ones.
  static const char* const kCt[] = {"",
                                    "00",
                                    "10",
                                    "2021",
                                    "3031",
                                    "40414243",
                                    "5051525354555657",
                                    "606162636465666768696a6b6c6d6e6f"};
  if (i < 8) return *FromHex(kCt[i]);
  const std::string s = "leaf " + std::to_string(i);
  return Bytes(s.begin(), s.end());
}

struct Tree {
  std::vector<Hash> leaves;
  std::map<std::pair<unsigned, uint64_t>, Hash> nodes;
  std::vector<Hash> roots;  // roots[n] = CompactRange::Root() after n appends
};

const Tree& TheTree() {
  static const Tree tree = [] {
    Tree t;
    CompactRange range;
    t.roots.push_back(range.Root());
    for (uint64_t i = 0; i < kMaxLeaves; ++i) {
      const Hash leaf = LeafHash(Entry(i));
      t.leaves.push_back(leaf);
      std::vector<CompactRange::Node> completed;
      range.Append(leaf, &completed);
      for (const CompactRange::Node& node : completed) {
        t.nodes[{node.level, node.index}] = node.hash;
      }
      t.roots.push_back(range.Root());
    }
    return t;
  }();
  return tree;
}

// Serves the stored nodes of a tree of `size` leaves, counting reads and
// failing the test on any read outside that tree.
struct Source {
  const Tree& tree;
  uint64_t size;
  mutable int reads = 0;

  NodeSource Get() const {
    return [this](unsigned level, uint64_t index) -> Result<Hash> {
      ++reads;
      if (level >= 64 || (index + 1) > (size >> level)) {
        BOOST_ERROR("node (" << level << ", " << index << ") outside a tree of " << size);
        return Status::Invalid("test.out_of_range", "outside the tree");
      }
      auto it = tree.nodes.find({level, index});
      if (it == tree.nodes.end()) {
        BOOST_ERROR("node (" << level << ", " << index << ") was never stored");
        return Status::NotFound("test.missing", "not stored");
      }
      return it->second;
    };
  }
};

// Fake perfect nodes for huge trees: only the reads are of interest.
struct FakeSource {
  uint64_t size;
  mutable int reads = 0;

  NodeSource Get() const {
    return [this](unsigned level, uint64_t index) -> Result<Hash> {
      ++reads;
      if (level >= 64 || (index + 1) > (size >> level)) {
        BOOST_ERROR("node (" << level << ", " << index << ") outside a tree of " << size);
        return Status::Invalid("test.out_of_range", "outside the tree");
      }
      Bytes key(12);
      key[0] = static_cast<std::uint8_t>(level);
      for (int b = 0; b < 8; ++b) key[4 + b] = static_cast<std::uint8_t>(index >> (8 * b));
      return Sha256(key);
    };
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(merkle)

BOOST_AUTO_TEST_CASE(hash_definitions) {
  BOOST_TEST(ToHex(EmptyTreeHash()) ==
             "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  BOOST_TEST(ToHex(LeafHash(ByteView())) ==
             "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
  for (uint64_t i = 0; i < 20; ++i) {
    BOOST_TEST(LeafHash(Entry(i)) == RefLeaf(Entry(i)));
    BOOST_TEST(NodeHash(RefLeaf(Entry(i)), RefLeaf(Entry(i + 1))) ==
               RefNode(RefLeaf(Entry(i)), RefLeaf(Entry(i + 1))));
  }
}

BOOST_AUTO_TEST_CASE(certificate_transparency_roots) {
  static const char* const kRoots[] = {
      "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
      "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
      "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
      "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
      "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
      "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
      "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
  };
  const Tree& t = TheTree();
  for (uint64_t n = 1; n <= 8; ++n) {
    BOOST_TEST_CONTEXT("size " << n) {
      BOOST_TEST(ToHex(RefMth(t.leaves, 0, n)) == kRoots[n - 1]);
      BOOST_TEST(ToHex(t.roots[n]) == kRoots[n - 1]);
    }
  }
}

BOOST_AUTO_TEST_CASE(append_reports_completed_perfect_nodes) {
  const Tree& t = TheTree();
  // Every stored node is the MTH of exactly its leaves.
  for (const auto& [key, hash] : t.nodes) {
    const auto [level, index] = key;
    BOOST_TEST(hash == RefMth(t.leaves, index << level, (index + 1) << level),
               "node (" << level << ", " << index << ")");
  }
  // And every perfect node of the tree was reported.
  std::size_t expected = 0;
  for (unsigned level = 0; level < 64; ++level) expected += kMaxLeaves >> level;
  BOOST_TEST(t.nodes.size() == expected);

  CompactRange range;
  for (uint64_t i = 0; i < 40; ++i) {
    std::vector<CompactRange::Node> completed;
    range.Append(t.leaves[i], &completed);
    BOOST_REQUIRE_EQUAL(completed.size(), 1u + std::countr_one(i));
    for (unsigned j = 0; j < completed.size(); ++j) {
      BOOST_TEST(completed[j].level == j);
      BOOST_TEST(completed[j].index == (i >> j));
    }
  }
  range.Append(t.leaves[40], nullptr);  // a caller may ignore the nodes
  BOOST_TEST(range.size() == 41u);
  BOOST_TEST(range.Root() == t.roots[41]);
}

BOOST_AUTO_TEST_CASE(roots_for_every_size) {
  const Tree& t = TheTree();
  BOOST_TEST(CompactRange().Root() == EmptyTreeHash());
  for (uint64_t n = 0; n <= kMaxLeaves; ++n) {
    BOOST_TEST_CONTEXT("size " << n) {
      const Hash ref = RefMth(t.leaves, 0, n);
      BOOST_TEST(t.roots[n] == ref);

      Source src{t, n};
      Result<Hash> root = TreeRoot(src.Get(), n);
      BOOST_REQUIRE(root.ok());
      BOOST_TEST(*root == ref);
      BOOST_TEST(src.reads == std::popcount(n));

      Source load_src{t, n};
      Result<CompactRange> range = CompactRange::Load(load_src.Get(), n);
      BOOST_REQUIRE(range.ok());
      BOOST_TEST(load_src.reads == std::popcount(n));
      BOOST_TEST(range->size() == n);
      BOOST_TEST(range->Root() == ref);
      // A loaded range continues exactly like the original.
      for (uint64_t i = n; i < kMaxLeaves; ++i) {
        std::vector<CompactRange::Node> completed;
        range->Append(t.leaves[i], &completed);
        for (const CompactRange::Node& node : completed) {
          BOOST_TEST(node.hash == t.nodes.at({node.level, node.index}));
        }
        BOOST_TEST(range->Root() == t.roots[i + 1]);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(inclusion_proofs_for_every_leaf) {
  const Tree& t = TheTree();
  for (uint64_t n = 1; n <= kMaxLeaves; ++n) {
    const Hash root = RefMth(t.leaves, 0, n);
    for (uint64_t i = 0; i < n; ++i) {
      BOOST_TEST_CONTEXT("leaf " << i << " of " << n) {
        Source src{t, n};
        Result<std::vector<Hash>> proof = InclusionProof(src.Get(), i, n);
        BOOST_REQUIRE(proof.ok());
        BOOST_TEST((*proof == RefPath(t.leaves, i, 0, n)));
        BOOST_TEST(src.reads <= static_cast<int>(2 * CeilLog2(n) + 2));
        const Status s = VerifyInclusion(t.leaves[i], i, n, *proof, root);
        BOOST_TEST(s.ok(), s.ToString());
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(consistency_proofs_for_every_pair) {
  const Tree& t = TheTree();
  for (uint64_t n = 1; n <= kMaxLeaves; ++n) {
    const Hash new_root = RefMth(t.leaves, 0, n);
    for (uint64_t m = 1; m <= n; ++m) {
      BOOST_TEST_CONTEXT("sizes " << m << " and " << n) {
        Source src{t, n};
        Result<std::vector<Hash>> proof = ConsistencyProof(src.Get(), m, n);
        BOOST_REQUIRE(proof.ok());
        BOOST_TEST((*proof == RefProof(t.leaves, m, n)));
        BOOST_TEST(src.reads <= static_cast<int>(2 * CeilLog2(n) + 2));
        if (m == n) BOOST_TEST(proof->empty());
        const Status s = VerifyConsistency(m, n, RefMth(t.leaves, 0, m), new_root, *proof);
        BOOST_TEST(s.ok(), s.ToString());
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(tampered_inclusion_proofs_fail) {
  const Tree& t = TheTree();
  int checked = 0;
  for (uint64_t n = 1; n < kMaxLeaves; ++n) {
    const Hash root = RefMth(t.leaves, 0, n);
    for (uint64_t i = 0; i < n; ++i) {
      BOOST_TEST_CONTEXT("leaf " << i << " of " << n) {
        const std::vector<Hash> proof = RefPath(t.leaves, i, 0, n);
        const Hash& leaf = t.leaves[i];
        // `why` is a word the message must contain, naming the failed check.
        auto expect_fail = [&](const char* what, const Hash& l, uint64_t index, uint64_t size,
                               const std::vector<Hash>& p, const Hash& r, const char* why = "") {
          const Status s = VerifyInclusion(l, index, size, p, r);
          BOOST_TEST(!s.ok(), what << " was accepted");
          BOOST_TEST(s.rule() == "proof.inclusion_invalid");
          BOOST_TEST(s.message().find(why) != std::string::npos, what << ": " << s.message());
          ++checked;
        };

        // Wrong index: leaf i is at no other position.
        for (uint64_t j : {i - 1, i + 1, i ^ 1, n, n + 5}) {
          if (j == i || j > n + 5) continue;  // i - 1 wraps when i == 0
          expect_fail("wrong index", leaf, j, n, proof, root);
          // Even with the leaf that is at j, this proof is i's, not j's.
          if (j < n && proof != RefPath(t.leaves, j, 0, n)) {
            expect_fail("wrong index and leaf", t.leaves[j], j, n, proof, root);
          }
        }
        // Wrong size, with the true root of that size.
        for (uint64_t size : {n - 1, n + 1}) {
          if (size <= i || size > kMaxLeaves) continue;
          if (proof == RefPath(t.leaves, i, 0, size)) continue;  // the same proof
          expect_fail("wrong size", leaf, i, size, proof, RefMth(t.leaves, 0, size));
        }
        if (!proof.empty()) {
          expect_fail("truncated", leaf, i, n, {proof.begin(), proof.end() - 1}, root, "fewer");
          expect_fail("first dropped", leaf, i, n, {proof.begin() + 1, proof.end()}, root, "fewer");
        }
        std::vector<Hash> longer = proof;
        longer.push_back(Sha256(AsBytes("extra")));
        expect_fail("extended", leaf, i, n, longer, root, "more");
        longer = proof;
        longer.insert(longer.begin(), leaf);
        expect_fail("extended at the front", leaf, i, n, longer, root, "more");
        for (std::size_t j = 0; j + 1 < proof.size(); ++j) {
          if (proof[j] == proof[j + 1]) continue;
          std::vector<Hash> swapped = proof;
          std::swap(swapped[j], swapped[j + 1]);
          expect_fail("swapped", leaf, i, n, swapped, root, "does not match");
        }
        if (proof.size() > 2 && proof.front() != proof.back()) {
          std::vector<Hash> swapped = proof;
          std::swap(swapped.front(), swapped.back());
          expect_fail("ends swapped", leaf, i, n, swapped, root);
        }
        for (std::size_t j = 0; j < proof.size(); ++j) {
          std::vector<Hash> flipped = proof;
          flipped[j] = Flip(flipped[j], static_cast<unsigned>(37 * j + i));
          expect_fail("flipped", leaf, i, n, flipped, root, "does not match");
        }
        expect_fail("wrong root", leaf, i, n, proof, Flip(root, static_cast<unsigned>(i)),
                    "does not match");
        expect_fail("root of another size", leaf, i, n, proof, RefMth(t.leaves, 0, n + 1));
        expect_fail("wrong leaf", Flip(leaf, 200), i, n, proof, root, "does not match");
        expect_fail("another leaf", t.leaves[(i + 1) % kMaxLeaves], i, n, proof, root);
        expect_fail("node hash as leaf hash", RefNode(leaf, leaf), i, n, proof, root);
      }
    }
  }
  BOOST_TEST_MESSAGE(checked << " tampered inclusion proofs rejected");
  BOOST_TEST(checked > 20000);
}

BOOST_AUTO_TEST_CASE(tampered_consistency_proofs_fail) {
  const Tree& t = TheTree();
  int checked = 0;
  for (uint64_t n = 2; n <= 40; ++n) {
    const Hash new_root = RefMth(t.leaves, 0, n);
    for (uint64_t m = 1; m < n; ++m) {
      BOOST_TEST_CONTEXT("sizes " << m << " and " << n) {
        const Hash old_root = RefMth(t.leaves, 0, m);
        const std::vector<Hash> proof = RefProof(t.leaves, m, n);
        // `why` is a word the message must contain, naming the failed check.
        auto expect_fail = [&](const char* what, uint64_t old_size, uint64_t new_size,
                               const Hash& o, const Hash& r, const std::vector<Hash>& p,
                               const char* why = "") {
          const Status s = VerifyConsistency(old_size, new_size, o, r, p);
          BOOST_TEST(!s.ok(), what << " was accepted");
          BOOST_TEST(s.rule() == "proof.consistency_invalid");
          BOOST_TEST(s.message().find(why) != std::string::npos, what << ": " << s.message());
          ++checked;
        };

        // Wrong sizes, each with the true root of the size claimed.
        for (uint64_t old_size : {m - 1, m + 1}) {
          if (old_size > n) continue;
          if (old_size > 0 && proof == RefProof(t.leaves, old_size, n)) continue;
          expect_fail("wrong old size", old_size, n, RefMth(t.leaves, 0, old_size), new_root,
                      proof);
        }
        for (uint64_t new_size : {n - 1, n + 1}) {
          if (new_size < m) continue;
          if (proof == RefProof(t.leaves, m, new_size)) continue;
          expect_fail("wrong new size", m, new_size, old_root, RefMth(t.leaves, 0, new_size),
                      proof);
        }
        expect_fail("sizes reversed", n, m, new_root, old_root, proof);
        const char* shorter = proof.size() > 1 ? "fewer" : "empty";
        expect_fail("truncated", m, n, old_root, new_root, {proof.begin(), proof.end() - 1},
                    shorter);
        expect_fail("first dropped", m, n, old_root, new_root, {proof.begin() + 1, proof.end()},
                    shorter);
        std::vector<Hash> longer = proof;
        longer.push_back(Sha256(AsBytes("extra")));
        expect_fail("extended", m, n, old_root, new_root, longer, "more");
        longer = proof;
        longer.insert(longer.begin(), old_root);
        expect_fail("extended at the front", m, n, old_root, new_root, longer, "more");
        for (std::size_t j = 0; j + 1 < proof.size(); ++j) {
          if (proof[j] == proof[j + 1]) continue;
          std::vector<Hash> swapped = proof;
          std::swap(swapped[j], swapped[j + 1]);
          expect_fail("swapped", m, n, old_root, new_root, swapped, "does not match");
        }
        for (std::size_t j = 0; j < proof.size(); ++j) {
          std::vector<Hash> flipped = proof;
          flipped[j] = Flip(flipped[j], static_cast<unsigned>(29 * j + m));
          expect_fail("flipped", m, n, old_root, new_root, flipped, "does not match");
        }
        // For a power-of-two m the old root seeds sr and only sr exposes it.
        expect_fail("wrong old root", m, n, Flip(old_root, 3), new_root, proof, "does not match");
        expect_fail("wrong new root", m, n, old_root, Flip(new_root, 250), proof, "new root");
        expect_fail("roots swapped", m, n, new_root, old_root, proof);
        expect_fail("empty proof", m, n, old_root, new_root, {}, "empty");
      }
    }
  }
  BOOST_TEST_MESSAGE(checked << " tampered consistency proofs rejected");
  BOOST_TEST(checked > 5000);
}

BOOST_AUTO_TEST_CASE(equal_and_invalid_sizes) {
  const Tree& t = TheTree();
  for (uint64_t n = 1; n <= 10; ++n) {
    const Hash root = t.roots[n];
    BOOST_TEST(VerifyConsistency(n, n, root, root, {}).ok());
    Status s = VerifyConsistency(n, n, root, root, {root});
    BOOST_TEST(s.rule() == "proof.consistency_invalid");
    BOOST_TEST(s.message().find("empty") != std::string::npos, s.message());
    s = VerifyConsistency(n, n, root, t.roots[n + 1], {});
    BOOST_TEST(s.rule() == "proof.consistency_invalid");
    BOOST_TEST(!VerifyConsistency(n, n, t.roots[n + 1], root, {}).ok());
  }
  // An empty old tree is no input for a proof.
  BOOST_TEST(!VerifyConsistency(0, 0, EmptyTreeHash(), EmptyTreeHash(), {}).ok());
  BOOST_TEST(!VerifyConsistency(0, 1, EmptyTreeHash(), t.roots[1], {}).ok());
  BOOST_TEST(!VerifyConsistency(0, 1, EmptyTreeHash(), t.roots[1], {t.roots[1]}).ok());
  BOOST_TEST(!VerifyConsistency(3, 2, t.roots[3], t.roots[2], {}).ok());

  Source src{t, 8};
  Result<std::vector<Hash>> bad = ConsistencyProof(src.Get(), 0, 8);
  BOOST_TEST(!bad.ok());
  BOOST_TEST((bad.status().code() == Status::Code::kInvalid));
  BOOST_TEST(!ConsistencyProof(src.Get(), 9, 8).ok());
  BOOST_TEST(!InclusionProof(src.Get(), 8, 8).ok());
  BOOST_TEST((InclusionProof(src.Get(), 8, 8).status().code() == Status::Code::kInvalid));
  BOOST_TEST(!InclusionProof(src.Get(), 0, 0).ok());
  BOOST_TEST(src.reads == 0);

  Status s = VerifyInclusion(t.leaves[0], 5, 5, {}, t.roots[5]);
  BOOST_TEST(s.rule() == "proof.inclusion_invalid");
  BOOST_TEST(s.message().find('5') != std::string::npos);
  BOOST_TEST(!VerifyInclusion(t.leaves[0], 0, 0, {}, EmptyTreeHash()).ok());
  BOOST_TEST(VerifyInclusion(t.leaves[0], 0, 1, {}, t.roots[1]).ok());
  BOOST_TEST(TreeRoot(src.Get(), 0).ok());
  BOOST_TEST(*TreeRoot(src.Get(), 0) == EmptyTreeHash());
  BOOST_TEST(src.reads == 0);
}

BOOST_AUTO_TEST_CASE(node_source_errors_propagate) {
  const Tree& t = TheTree();
  Source good{t, 13};
  const NodeSource inner = good.Get();
  // 13 = 8 + 4 + 1: node (2, 2), leaves 8..11, is part of the root, of the
  // loaded edge and of each proof below.
  const NodeSource failing = [&](unsigned level, uint64_t index) -> Result<Hash> {
    if (level == 2 && index == 2) return Status::IoError("test.io", "disk on fire");
    return inner(level, index);
  };
  BOOST_TEST(TreeRoot(failing, 13).status().rule() == "test.io");
  BOOST_TEST(CompactRange::Load(failing, 13).status().rule() == "test.io");
  BOOST_TEST(InclusionProof(failing, 0, 13).status().rule() == "test.io");
  BOOST_TEST(ConsistencyProof(failing, 3, 13).status().rule() == "test.io");
  BOOST_TEST(ConsistencyProof(failing, 12, 13).status().rule() == "test.io");
}

BOOST_AUTO_TEST_CASE(huge_trees_need_logarithmic_reads) {
  std::mt19937_64 rng(7);
  const uint64_t kMax = std::numeric_limits<uint64_t>::max();
  for (uint64_t n : {uint64_t{1000000}, uint64_t{999999}, uint64_t{1} << 20,
                     (uint64_t{1} << 20) + 1, (uint64_t{1} << 40) + 12345, kMax - 1, kMax}) {
    BOOST_TEST_CONTEXT("size " << n) {
      const int bound = static_cast<int>(2 * CeilLog2(n) + 2);
      FakeSource root_src{n};
      BOOST_TEST(TreeRoot(root_src.Get(), n).ok());
      BOOST_TEST(root_src.reads == std::popcount(n));

      FakeSource load_src{n};
      Result<CompactRange> range = CompactRange::Load(load_src.Get(), n);
      BOOST_TEST(range.ok());
      BOOST_TEST(load_src.reads == std::popcount(n));

      std::vector<uint64_t> indices = {0, 1, n / 2, n - 2, n - 1, 12345};
      for (int r = 0; r < 20; ++r) indices.push_back(rng() % n);
      for (uint64_t i : indices) {
        FakeSource src{n};
        Result<std::vector<Hash>> proof = InclusionProof(src.Get(), i, n);
        BOOST_REQUIRE(proof.ok());
        BOOST_TEST(proof->size() == RefPathLength(i, n), "leaf " << i);
        BOOST_TEST(src.reads <= bound, "leaf " << i << ": " << src.reads << " reads");
      }
      std::vector<uint64_t> olds = {1, 2, 3, n / 2, n / 2 + 1, n - 1, n, 12345};
      for (int r = 0; r < 20; ++r) olds.push_back(1 + rng() % n);
      for (uint64_t m : olds) {
        FakeSource src{n};
        Result<std::vector<Hash>> proof = ConsistencyProof(src.Get(), m, n);
        BOOST_REQUIRE(proof.ok());
        BOOST_TEST(proof->size() == RefProofLength(m, n), "old size " << m);
        BOOST_TEST(src.reads <= bound, "old size " << m << ": " << src.reads << " reads");
      }
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace pl::crypto
