// The LMDB store on a real data directory.
#include <lmdb.h>
#include <sys/stat.h>

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>
#include <map>

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

// Rewrites a format 2 directory into format 1's layout, as the previous
// build wrote it: every tree level, the leaves included, in `nodes` keyed
// level || index; index entries as keys kind || value || 0x00 || sequence
// (or 'i' || issued_at || sequence) with empty values, in `index`.
void RewriteAsFormat1(const std::string& dir) {
  MDB_env* env = nullptr;
  BOOST_REQUIRE(mdb_env_create(&env) == 0);
  mdb_env_set_maxdbs(env, 16);
  BOOST_REQUIRE(mdb_env_open(env, dir.c_str(), 0, 0644) == 0);
  MDB_txn* txn = nullptr;
  BOOST_REQUIRE(mdb_txn_begin(env, nullptr, 0, &txn) == 0);
  MDB_dbi meta, events, tree, filed, nodes, index;
  BOOST_REQUIRE(mdb_dbi_open(txn, "meta", 0, &meta) == 0);
  BOOST_REQUIRE(mdb_dbi_open(txn, "events", 0, &events) == 0);
  BOOST_REQUIRE(mdb_dbi_open(txn, "tree", 0, &tree) == 0);
  BOOST_REQUIRE(mdb_dbi_open(txn, "filed", MDB_DUPSORT | MDB_DUPFIXED, &filed) == 0);
  BOOST_REQUIRE(mdb_dbi_open(txn, "nodes", MDB_CREATE, &nodes) == 0);
  BOOST_REQUIRE(mdb_dbi_open(txn, "index", MDB_CREATE, &index) == 0);
  auto be = [](std::uint64_t n) {
    std::string out(8, '\0');
    for (int i = 7; i >= 0; --i, n >>= 8) out[static_cast<std::size_t>(i)] = static_cast<char>(n);
    return out;
  };
  auto from_be = [](const char* p) {
    std::uint64_t n = 0;
    for (int i = 0; i < 8; ++i) n = (n << 8) | static_cast<std::uint8_t>(p[i]);
    return n;
  };
  auto put = [&](MDB_dbi dbi, const std::string& key, std::string value) {
    MDB_val k{key.size(), const_cast<char*>(key.data())};
    MDB_val v{value.size(), value.data()};
    BOOST_REQUIRE(mdb_put(txn, dbi, &k, &v, 0) == 0);
  };
  auto each = [&](MDB_dbi dbi, const std::function<void(std::string, std::string)>& visit) {
    MDB_cursor* c = nullptr;
    BOOST_REQUIRE(mdb_cursor_open(txn, dbi, &c) == 0);
    std::vector<std::pair<std::string, std::string>> all;
    MDB_val k, v;
    for (int rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
      all.emplace_back(std::string(static_cast<char*>(k.mv_data), k.mv_size),
                       std::string(static_cast<char*>(v.mv_data), v.mv_size));
    }
    mdb_cursor_close(c);
    for (auto& [key, value] : all) visit(key, value);
  };
  each(events, [&](std::string key, std::string value) {
    put(nodes, std::string(1, '\0') + key, value.substr(value.size() - 32));
  });
  each(tree, [&](std::string key, std::string value) {
    const auto level = static_cast<unsigned>(static_cast<std::uint8_t>(key[8]));
    const std::uint64_t at = ((from_be(key.data()) + 1) >> level) - 1;
    put(nodes, std::string(1, static_cast<char>(level)) + be(at), value);
  });
  each(filed, [&](std::string key, std::string sequence) {
    put(index, key[0] == 'i' ? key + sequence : key + std::string(1, '\0') + sequence, "");
  });
  BOOST_REQUIRE(mdb_drop(txn, tree, 1) == 0);
  BOOST_REQUIRE(mdb_drop(txn, filed, 1) == 0);
  put(meta, "format", "partnership-ledger/1");
  BOOST_REQUIRE(mdb_txn_commit(txn) == 0);
  mdb_env_close(env);
}

// Whether the environment in dir has a named database.
bool HasDatabase(const std::string& dir, const char* name) {
  MDB_env* env = nullptr;
  mdb_env_create(&env);
  mdb_env_set_maxdbs(env, 16);
  bool found = false;
  if (mdb_env_open(env, dir.c_str(), MDB_RDONLY, 0644) == 0) {
    MDB_txn* txn = nullptr;
    if (mdb_txn_begin(env, nullptr, MDB_RDONLY, &txn) == 0) {
      MDB_dbi dbi;
      found = mdb_dbi_open(txn, name, 0, &dbi) == 0;
      mdb_txn_abort(txn);
    }
  }
  mdb_env_close(env);
  return found;
}

// Every audit query the store answers, as sequences, for comparing layouts.
std::map<std::string, std::vector<std::uint64_t>> AuditAnswers(const Store& store,
                                                               const crypto::Hash& signer) {
  std::map<std::string, std::vector<std::uint64_t>> out;
  auto run = [&](const std::string& name, AuditQuery q) {
    if (q.limit == 50) q.limit = 1000;  // every answer in one page, unless a page is asked for
    auto page = store.Audit(q);
    BOOST_REQUIRE_MESSAGE(page.ok(), name + ": " + page.status().ToString());
    for (const auto& e : page->events) out[name].push_back(e.event.sequence);
    out[name].push_back(page->next_before.value_or(0));
  };
  run("all", {});
  AuditQuery q;
  q.subject = "P-1";
  run("subject", q);
  q.before = 20;
  q.limit = 3;
  run("subject page", q);
  q = {};
  q.body = "secretariat";
  run("body", q);
  q = {};
  q.signer = signer;
  run("signer", q);
  q = {};
  q.type = "project.*";
  run("family", q);
  q = {};
  q.type = "project.proposed";
  q.subject = "P-2";
  run("type and subject", q);
  q = {};
  q.issued_from = 1330592400000 + 5;
  q.issued_to = 1330592400000 + 30;
  run("issued", q);
  return out;
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

BOOST_AUTO_TEST_CASE(format_1_is_served_read_only_and_migrated_by_a_writer) {
  test::TempDir dir;
  const std::string data = dir.str("data");
  std::map<std::string, std::vector<std::uint64_t>> answers;
  std::vector<crypto::Hash> roots;
  std::vector<std::vector<crypto::Hash>> proofs;
  const crypto::Hash signer = MakeDecision("k").signatures[0].key_id;
  auto collect = [&](const Store& store) {
    std::vector<crypto::Hash> r;
    std::vector<std::vector<crypto::Hash>> p;
    for (std::uint64_t n = 1; n <= store.size(); ++n) {
      r.push_back(*store.Root(n));
      p.push_back(*store.InclusionProof(n / 2, n));
      p.push_back(*store.ConsistencyProof((n + 1) / 2, n));
    }
    return std::pair{r, p};
  };
  {
    auto store = OpenNew(data);
    for (std::size_t i = 0; i < 37; i += 4) {
      auto batch = MakeBatch(i, 4);
      std::vector<Annotation> notes;
      for (std::size_t j = 0; j < batch.size(); ++j) {
        batch[j].decision.issued_at = 1330592400000 + static_cast<Timestamp>(i + j);
        Sign(&batch[j], Signer());
        // A subject named twice is filed once.
        notes.push_back(
            {"policy-" + std::to_string(j), {"P-" + std::to_string((i + j) % 3), "P-1", "P-1"}});
      }
      BOOST_REQUIRE(store->Append(batch, 1330592400000, notes).ok());
    }
    answers = AuditAnswers(*store, signer);
    std::tie(roots, proofs) = collect(*store);
  }
  BOOST_TEST(answers["subject"].size() == 41u);  // every event, and no next page
  BOOST_TEST(answers["subject page"] == (std::vector<std::uint64_t>{19, 18, 17, 17}));
  RewriteAsFormat1(data);

  // Read-only: events, heads and proofs as before; audit refused, naming the migration.
  StoreOptions ro;
  ro.read_only = true;
  {
    auto reader = Store::Open(data, ro);
    BOOST_REQUIRE_MESSAGE(reader.ok(), reader.status().ToString());
    BOOST_TEST((*reader)->size() == 40u);
    BOOST_TEST((*reader)->Read(7)->decision.decision.id == "d-7");
    BOOST_TEST((*reader)->HeadAt(40).ok());
    BOOST_TEST((collect(**reader) == std::pair{roots, proofs}));
    auto refused = (*reader)->Audit({});
    BOOST_TEST(refused.status().rule() == "store.migration");
    BOOST_TEST(refused.status().message().find("partnership-ledger/1") != std::string::npos);
    BOOST_TEST(*(*reader)->Authority(5) == "policy-1");
  }
  BOOST_TEST(HasDatabase(data, "index"));

  // A writer migrates it in place, once, saying so.
  std::vector<std::string> notices;
  StoreOptions rw;
  rw.notice = [&](const std::string& line) { notices.push_back(line); };
  {
    auto store = Store::Open(data, rw);
    BOOST_REQUIRE_MESSAGE(store.ok(), store.status().ToString());
    BOOST_REQUIRE(notices.size() == 1u);
    BOOST_TEST(notices[0].find("migrated") != std::string::npos);
    BOOST_TEST(notices[0].find("partnership-ledger/2") != std::string::npos);
    BOOST_TEST((AuditAnswers(**store, signer) == answers));
    BOOST_TEST((collect(**store) == std::pair{roots, proofs}));
    // Appends continue the tree and the index.
    BOOST_REQUIRE((*store)
                      ->Append(MakeBatch(100, 2), 1330592400000,
                               std::vector<Annotation>{{"", {"P-1"}}, {"", {"P-9"}}})
                      .ok());
    AuditQuery q;
    q.subject = "P-1";
    q.limit = 2;
    auto page = (*store)->Audit(q);
    BOOST_REQUIRE(page.ok());
    BOOST_TEST(page->events.size() == 2u);
    BOOST_TEST(page->events[0].event.sequence == 40u);
    BOOST_TEST(page->events[1].event.sequence == 39u);
  }
  BOOST_TEST(!HasDatabase(data, "index"));
  BOOST_TEST(!HasDatabase(data, "nodes"));
  auto again = Store::Open(data, rw);
  BOOST_REQUIRE(again.ok());
  BOOST_TEST(notices.size() == 1u);
  BOOST_TEST((*again)->size() == 42u);
  BOOST_TEST(*(*again)->Root(40) == roots.back());
}

BOOST_AUTO_TEST_SUITE_END()
