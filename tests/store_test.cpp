// The LMDB store on a real data directory.
#include <sys/stat.h>

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>

#include "crypto/merkle.h"
#include "ledger/store.h"
#include "test_util.h"

using namespace pl;
using namespace pl::ledger;

namespace {

const crypto::PrivateKey& Signer() {
  static const auto key = crypto::PrivateKey::Generate();
  return key;
}

SignedDecision MakeDecision(const std::string& id, const std::string& note = "") {
  SignedDecision d;
  d.decision.id = id;
  d.decision.type = "project.proposed";
  d.decision.body = "secretariat";
  d.decision.issued_at = 1330592400000;
  d.decision.payload = Value(Value::Object{{"project_id", "P-" + id}, {"note", note}});
  Sign(&d, Signer());
  return d;
}

std::vector<SignedDecision> MakeBatch(std::size_t from, std::size_t n) {
  std::vector<SignedDecision> out;
  for (std::size_t i = from; i < from + n; ++i)
    out.push_back(MakeDecision("d-" + std::to_string(i)));
  return out;
}

std::unique_ptr<Store> OpenNew(const std::string& dir, StoreOptions options = {}) {
  options.create_if_missing = true;
  auto s = Store::Open(dir, options);
  BOOST_REQUIRE_MESSAGE(s.ok(), s.status().ToString());
  return std::move(*s);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(store_suite)

BOOST_AUTO_TEST_CASE(append_read_and_reopen) {
  test::TempDir dir;
  crypto::Hash root;
  {
    auto store = OpenNew(dir.str("data"));
    BOOST_TEST(store->size() == 0u);
    BOOST_TEST(store->head().root == crypto::EmptyTreeHash());
    auto batch = MakeBatch(0, 5);
    auto r = store->Append(batch);
    BOOST_REQUIRE_MESSAGE(r.ok(), r.status().ToString());
    BOOST_TEST(r->decisions.size() == 5u);
    for (std::size_t i = 0; i < 5; ++i) {
      BOOST_TEST(r->decisions[i].sequence == i);
      BOOST_TEST(!r->decisions[i].duplicate);
    }
    BOOST_TEST(r->head.size == 5u);
    BOOST_TEST(Verify(r->head, store->log_key()).ok());
    auto r2 = store->Append(MakeBatch(5, 3));
    BOOST_REQUIRE(r2.ok());
    BOOST_TEST(r2->decisions[0].sequence == 5u);
    BOOST_TEST(store->size() == 8u);
    root = store->head().root;

    auto e = store->Read(6);
    BOOST_REQUIRE(e.ok());
    BOOST_TEST(e->decision.decision.id == "d-6");
    BOOST_TEST(e->leaf_hash == crypto::LeafHash(AsBytes(EntryBytes(*e))));
    BOOST_TEST(*store->Find("d-6") == 6u);
    BOOST_TEST(store->Find("nope").status().rule() == "store.not_found");
    BOOST_TEST(store->Read(8).status().rule() == "store.not_found");
  }
  // Reopen: everything is still there, and appends continue the tree.
  auto store = OpenNew(dir.str("data"));
  BOOST_TEST(store->size() == 8u);
  BOOST_TEST(store->head().root == root);
  auto reopened_root = store->Root(8);
  BOOST_REQUIRE_MESSAGE(reopened_root.ok(), reopened_root.status().ToString());
  BOOST_TEST(*reopened_root == root);
  BOOST_TEST(store->HeadAt(5).ok());
  BOOST_TEST(store->HeadAt(6).status().rule() == "store.not_found");
  auto r = store->Append(MakeBatch(8, 1));
  BOOST_REQUIRE(r.ok());
  BOOST_TEST(r->decisions[0].sequence == 8u);

  std::vector<std::uint64_t> seen;
  BOOST_TEST(store
                 ->Scan(2, 6,
                        [&](const Envelope& env) {
                          seen.push_back(env.sequence);
                          return true;
                        })
                 .ok());
  BOOST_TEST(seen == (std::vector<std::uint64_t>{2, 3, 4, 5}));
}

BOOST_AUTO_TEST_CASE(idempotent_reappend_and_reused_ids) {
  test::TempDir dir;
  auto store = OpenNew(dir.str());
  auto first = store->Append(MakeBatch(0, 3));
  BOOST_REQUIRE(first.ok());
  const TreeHead head = store->head();

  // The same decision again: the original result, nothing appended.
  auto again = store->Append(MakeBatch(1, 1));
  BOOST_REQUIRE(again.ok());
  BOOST_TEST(again->decisions[0].duplicate);
  BOOST_TEST(again->decisions[0].sequence == 1u);
  BOOST_TEST(again->decisions[0].leaf_hash == first->decisions[1].leaf_hash);
  BOOST_TEST((store->head() == head));

  // The same id with other content: refused, all or nothing.
  std::vector<SignedDecision> mixed = MakeBatch(3, 2);
  mixed.push_back(MakeDecision("d-0", "changed"));
  auto refused = store->Append(mixed);
  BOOST_REQUIRE(!refused.ok());
  BOOST_TEST(refused.status().rule() == "decision.id_reused");
  BOOST_TEST(store->size() == 3u);
  BOOST_TEST((store->head() == head));
  BOOST_TEST(store->Find("d-3").status().rule() == "store.not_found");

  // Repeats inside one batch.
  std::vector<SignedDecision> repeat = {MakeDecision("x"), MakeDecision("x")};
  auto r = store->Append(repeat);
  BOOST_REQUIRE(r.ok());
  BOOST_TEST(r->decisions[1].duplicate);
  BOOST_TEST(r->decisions[1].sequence == r->decisions[0].sequence);
  std::vector<SignedDecision> clash = {MakeDecision("y"), MakeDecision("y", "other")};
  BOOST_TEST(store->Append(clash).status().rule() == "decision.id_reused");
  BOOST_TEST(store->size() == 4u);
}

BOOST_AUTO_TEST_CASE(proofs_for_every_size_verify) {
  test::TempDir dir;
  auto store = OpenNew(dir.str());
  std::vector<crypto::Hash> leaves;
  std::vector<crypto::Hash> roots{crypto::EmptyTreeHash()};
  for (std::size_t i = 0; i < 40; i += 1 + i % 3) {
    const std::size_t n = 1 + i % 3;
    auto r = store->Append(MakeBatch(i, n));
    BOOST_REQUIRE(r.ok());
  }
  const std::uint64_t size = store->size();
  for (std::uint64_t n = 1; n <= size; ++n) {
    auto root = store->Root(n);
    BOOST_REQUIRE(root.ok());
    for (std::uint64_t i = 0; i < n; ++i) {
      auto proof = store->InclusionProof(i, n);
      BOOST_REQUIRE(proof.ok());
      BOOST_TEST(crypto::VerifyInclusion(store->Read(i)->leaf_hash, i, n, *proof, *root).ok());
    }
    for (std::uint64_t m = 1; m <= n; ++m) {
      auto proof = store->ConsistencyProof(m, n);
      BOOST_REQUIRE(proof.ok());
      BOOST_TEST(crypto::VerifyConsistency(m, n, *store->Root(m), *root, *proof).ok());
    }
  }
  BOOST_TEST(store->Root(size + 1).status().rule() == "proof.range");
  BOOST_TEST(store->InclusionProof(size, size).status().rule() == "proof.range");
  BOOST_TEST(store->ConsistencyProof(0, size).status().rule() == "proof.range");
}

BOOST_AUTO_TEST_CASE(map_grows_instead_of_failing) {
  test::TempDir dir;
  StoreOptions options;
  options.initial_map_size = 64 * 1024;  // far too small for what follows
  options.sync = false;
  auto store = OpenNew(dir.str(), options);
  for (std::size_t i = 0; i < 20; ++i) {
    auto r = store->Append(MakeBatch(i * 100, 100));
    BOOST_REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  }
  BOOST_TEST(store->size() == 2000u);
  BOOST_TEST(*store->Root(2000) == store->head().root);
}

BOOST_AUTO_TEST_CASE(opening_refuses_what_it_cannot_serve) {
  test::TempDir dir;
  BOOST_TEST(Store::Open(dir.str("absent")).status().rule() == "store.missing");
  {
    auto store = OpenNew(dir.str("a"));
    // A second writer on the same directory.
    BOOST_TEST(Store::Open(dir.str("a")).status().rule() == "store.locked");
    // A reader is welcome, but may not append.
    StoreOptions ro;
    ro.read_only = true;
    auto reader = Store::Open(dir.str("a"), ro);
    BOOST_REQUIRE(reader.ok());
    BOOST_TEST((*reader)->Append(MakeBatch(0, 1)).status().rule() == "store.read_only");
  }
  // A directory whose LMDB environment is not a ledger.
  std::filesystem::create_directories(dir.str("other"));
  {
    std::ofstream junk(dir.str("other/data.mdb"), std::ios::binary);
    junk << std::string(8192, 'x');
  }
  auto other = Store::Open(dir.str("other"));
  BOOST_REQUIRE(!other.ok());
  BOOST_TEST(other.status().rule() == "store.format");
  // The log key must be private to the ledger's user.
  namespace fs = std::filesystem;
  const fs::perms mode = fs::status(dir.str("a/log-key.pem")).permissions() & fs::perms::all;
  BOOST_TEST((mode == (fs::perms::owner_read | fs::perms::owner_write)));
  ::chmod(dir.str("a/log-key.pem").c_str(), 0644);
  BOOST_TEST(Store::Open(dir.str("a")).status().rule() == "key.file_mode");
}

BOOST_AUTO_TEST_SUITE_END()
