// Annotations, audit queries, recorded_at, SizeAt and checkpoints of the LMDB
// store, on a real data directory.
#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <functional>
#include <limits>
#include <map>
#include <set>

#include "ledger/store.h"
#include "test_util.h"

using namespace pl;
using namespace pl::ledger;

namespace {

constexpr Timestamp kT0 = 1330592400000;  // 2012-03-01T09:00:00Z
constexpr Timestamp kHour = 3600000, kDay = 24 * kHour;

const crypto::PrivateKey& KeyA() {
  static const auto key = crypto::PrivateKey::Generate();
  return key;
}
const crypto::PrivateKey& KeyB() {
  static const auto key = crypto::PrivateKey::Generate();
  return key;
}
crypto::Hash KeyId(const crypto::PrivateKey& key) {
  crypto::Hash id;
  const auto raw = FromHex(key.public_key().key_id());
  std::copy(raw->begin(), raw->end(), id.begin());
  return id;
}

SignedDecision Decide(const std::string& id, const std::string& type, const std::string& body,
                      Timestamp issued_at,
                      std::vector<const crypto::PrivateKey*> signers = {&KeyA()}) {
  SignedDecision d;
  d.decision.id = id;
  d.decision.type = type;
  d.decision.body = body;
  d.decision.issued_at = issued_at;
  d.decision.payload = Value(Value::Object{{"ref", id}});
  for (const auto* key : signers) Sign(&d, *key);
  return d;
}

std::unique_ptr<Store> OpenStore(const std::string& dir, StoreOptions options = {}) {
  options.create_if_missing = true;
  options.sync = false;
  auto s = Store::Open(dir, options);
  BOOST_REQUIRE_MESSAGE(s.ok(), s.status().ToString());
  return std::move(*s);
}

std::vector<std::uint64_t> Sequences(const AuditPage& page) {
  std::vector<std::uint64_t> out;
  for (const auto& entry : page.events) out.push_back(entry.event.sequence);
  return out;
}

std::vector<std::uint64_t> Query(const Store& store, const AuditQuery& query) {
  auto page = store.Audit(query);
  BOOST_REQUIRE_MESSAGE(page.ok(), page.status().ToString());
  BOOST_TEST(!page->next_before.has_value());
  return Sequences(*page);
}

using Seqs = std::vector<std::uint64_t>;

// Four annotated decisions, and what they were filed under:
//   seq type               body             signers  issued    subjects     authority
//   0   project.proposed   secretariat      A        T0        P-1          policy-1
//   1   project.approved   joint-committee  A, B     T0+1d     P-1, B-jc    policy-2
//   2   funding.committed  joint-conference B        T0+2d     P-2          (none)
//   3   project.closed     secretariat      B        T0-1d     P-2          policy-1
struct Annotated {
  test::TempDir dir;
  std::unique_ptr<Store> store = OpenStore(dir.str());

  Annotated() { Append(*store); }

  static void Append(Store& store) {
    std::vector<SignedDecision> batch = {
        Decide("d-0", "project.proposed", "secretariat", kT0),
        Decide("d-1", "project.approved", "joint-committee", kT0 + kDay, {&KeyA(), &KeyB()}),
        Decide("d-2", "funding.committed", "joint-conference", kT0 + 2 * kDay, {&KeyB()}),
        Decide("d-3", "project.closed", "secretariat", kT0 - kDay, {&KeyB()}),
    };
    std::vector<Annotation> annotations = {
        {"policy-1", {"P-1"}}, {"policy-2", {"P-1", "B-jc"}}, {"", {"P-2"}}, {"policy-1", {"P-2"}}};
    auto r = store.Append(batch, kT0 + 3 * kDay, annotations);
    BOOST_REQUIRE_MESSAGE(r.ok(), r.status().ToString());
    BOOST_REQUIRE(r->head.size == 4u);
  }
};

AuditQuery Subject(const std::string& s) {
  AuditQuery q;
  q.subject = s;
  return q;
}
AuditQuery Body(const std::string& b) {
  AuditQuery q;
  q.body = b;
  return q;
}
AuditQuery Signer(const crypto::PrivateKey& key) {
  AuditQuery q;
  q.signer = KeyId(key);
  return q;
}
AuditQuery Type(const std::string& t) {
  AuditQuery q;
  q.type = t;
  return q;
}
AuditQuery Issued(std::optional<Timestamp> from, std::optional<Timestamp> to) {
  AuditQuery q;
  q.issued_from = from;
  q.issued_to = to;
  return q;
}

// Every page of a query, checking each is newest first and within the limit;
// the sequences in the order returned.
Seqs AllPages(const Store& store, AuditQuery query, std::size_t limit) {
  query.limit = limit;
  Seqs all;
  for (int pages = 0; pages < 1000; ++pages) {
    auto page = store.Audit(query);
    BOOST_REQUIRE_MESSAGE(page.ok(), page.status().ToString());
    const Seqs seqs = Sequences(*page);
    BOOST_TEST(seqs.size() <= limit);
    BOOST_TEST(std::is_sorted(seqs.rbegin(), seqs.rend()));
    all.insert(all.end(), seqs.begin(), seqs.end());
    if (!page->next_before) return all;
    BOOST_TEST(seqs.size() == limit);
    BOOST_TEST(*page->next_before == seqs.back());
    query.before = page->next_before;
  }
  BOOST_FAIL("paging does not end");
  return all;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(audit_suite)

BOOST_AUTO_TEST_CASE(each_filter_finds_its_events) {
  Annotated a;
  const Store& s = *a.store;
  BOOST_TEST(Query(s, {}) == (Seqs{3, 2, 1, 0}));

  BOOST_TEST(Query(s, Subject("P-1")) == (Seqs{1, 0}));
  BOOST_TEST(Query(s, Subject("P-2")) == (Seqs{3, 2}));
  BOOST_TEST(Query(s, Subject("B-jc")) == (Seqs{1}));
  BOOST_TEST(Query(s, Subject("P-")) == Seqs{});  // a prefix of a subject is not a subject

  BOOST_TEST(Query(s, Body("secretariat")) == (Seqs{3, 0}));
  BOOST_TEST(Query(s, Body("joint-conference")) == (Seqs{2}));
  BOOST_TEST(Query(s, Body("joint")) == Seqs{});

  BOOST_TEST(Query(s, Signer(KeyA())) == (Seqs{1, 0}));
  BOOST_TEST(Query(s, Signer(KeyB())) == (Seqs{3, 2, 1}));
  BOOST_TEST(Query(s, Signer(crypto::PrivateKey::Generate())) == Seqs{});

  BOOST_TEST(Query(s, Type("project.approved")) == (Seqs{1}));
  BOOST_TEST(Query(s, Type("project")) == Seqs{});  // exact, not a family

  BOOST_TEST(Query(s, Issued(kT0, kT0 + 2 * kDay)) == (Seqs{1, 0}));  // to is exclusive
  BOOST_TEST(Query(s, Issued(kT0 - kDay, std::nullopt)) == (Seqs{3, 2, 1, 0}));
  BOOST_TEST(Query(s, Issued(std::nullopt, kT0)) == (Seqs{3}));
  BOOST_TEST(Query(s, Issued(kT0 + 5 * kDay, std::nullopt)) == Seqs{});
  BOOST_TEST(Query(s, Issued(kT0, kT0)) == Seqs{});
}

BOOST_AUTO_TEST_CASE(type_families) {
  Annotated a;
  const Store& s = *a.store;
  BOOST_TEST(Query(s, Type("project.*")) == (Seqs{3, 1, 0}));
  BOOST_TEST(Query(s, Type("funding.*")) == (Seqs{2}));
  BOOST_TEST(Query(s, Type("proj.*")) == Seqs{});
  BOOST_TEST(Query(s, Type("project.app.*")) == Seqs{});
  BOOST_TEST(s.Audit(Type(".*")).status().rule() == "audit.type");
}

BOOST_AUTO_TEST_CASE(combined_filters) {
  Annotated a;
  const Store& s = *a.store;
  AuditQuery q = Subject("P-1");
  q.signer = KeyId(KeyB());
  BOOST_TEST(Query(s, q) == (Seqs{1}));

  q = Subject("P-2");
  q.type = "project.*";
  BOOST_TEST(Query(s, q) == (Seqs{3}));

  q = Body("secretariat");
  q.issued_from = kT0;
  BOOST_TEST(Query(s, q) == (Seqs{0}));

  q = Signer(KeyB());
  q.type = "funding.committed";
  q.body = "joint-conference";
  BOOST_TEST(Query(s, q) == (Seqs{2}));
  q.body = "secretariat";
  BOOST_TEST(Query(s, q) == Seqs{});

  q = Type("project.*");
  q.body = "joint-committee";
  BOOST_TEST(Query(s, q) == (Seqs{1}));

  q = Subject("P-1");
  q.issued_to = kT0 + kHour;
  q.signer = KeyId(KeyA());
  BOOST_TEST(Query(s, q) == (Seqs{0}));

  q = Type("project.*");
  q.before = 3;
  BOOST_TEST(Query(s, q) == (Seqs{1, 0}));
  q.before = 0;
  BOOST_TEST(Query(s, q) == Seqs{});
}

BOOST_AUTO_TEST_CASE(the_authority_round_trips) {
  test::TempDir dir;
  {
    auto store = OpenStore(dir.str());
    Annotated::Append(*store);
    auto page = store->Audit({});
    BOOST_REQUIRE(page.ok());
    std::vector<std::string> authorities;
    for (const auto& e : page->events) authorities.push_back(e.authority);
    BOOST_TEST(authorities == (std::vector<std::string>{"policy-1", "", "policy-2", "policy-1"}));
  }
  StoreOptions ro;
  ro.read_only = true;
  auto store = OpenStore(dir.str(), ro);
  BOOST_TEST(*store->Authority(0) == "policy-1");
  BOOST_TEST(*store->Authority(1) == "policy-2");
  BOOST_TEST(*store->Authority(2) == "");
  BOOST_TEST(store->Authority(4).status().rule() == "store.not_found");
  auto page = store->Audit(Subject("B-jc"));
  BOOST_REQUIRE(page.ok());
  BOOST_REQUIRE(page->events.size() == 1u);
  BOOST_TEST(page->events[0].authority == "policy-2");
  BOOST_TEST(page->events[0].event.decision.decision.id == "d-1");
  BOOST_TEST((page->events[0].event == *store->Read(1)));
}

BOOST_AUTO_TEST_CASE(paging_returns_every_match_once_newest_first) {
  test::TempDir dir;
  auto store = OpenStore(dir.str());
  // 60 events in three batches; issued_at out of sequence order on purpose.
  constexpr std::uint64_t kEvents = 60;
  auto issued = [](std::uint64_t i) { return kT0 + static_cast<Timestamp>((i * 7) % 60) * kHour; };
  for (std::uint64_t from = 0; from < kEvents; from += 20) {
    std::vector<SignedDecision> batch;
    std::vector<Annotation> annotations;
    for (std::uint64_t i = from; i < from + 20; ++i) {
      batch.push_back(Decide("d-" + std::to_string(i),
                             i % 3 == 0 ? "project.proposed" : "funding.committed",
                             i % 2 ? "secretariat" : "joint-committee", issued(i),
                             i % 5 == 0 ? std::vector{&KeyB()} : std::vector{&KeyA()}));
      annotations.push_back({"policy-" + std::to_string(i), {i % 2 ? "odd" : "even", "all"}});
    }
    BOOST_REQUIRE(store->Append(batch, kT0, annotations).ok());
  }
  auto expected = [&](const std::function<bool(std::uint64_t)>& keep) {
    Seqs out;
    for (std::uint64_t i = kEvents; i-- > 0;) {
      if (keep(i)) out.push_back(i);
    }
    return out;
  };
  const Timestamp from = kT0 + 10 * kHour, to = kT0 + 45 * kHour;
  AuditQuery even_projects = Subject("even");
  even_projects.type = "project.*";
  struct Case {
    std::string name;
    AuditQuery query;
    Seqs want;
  };
  const std::vector<Case> cases = {
      {"everything", {}, expected([](auto) { return true; })},
      {"subject", Subject("odd"), expected([](auto i) { return i % 2 == 1; })},
      {"subject and family", even_projects, expected([](auto i) { return i % 6 == 0; })},
      {"signer", Signer(KeyB()), expected([](auto i) { return i % 5 == 0; })},
      {"family", Type("funding.*"), expected([](auto i) { return i % 3 != 0; })},
      {"body", Body("secretariat"), expected([](auto i) { return i % 2 == 1; })},
      {"time range", Issued(from, to),
       expected([&](auto i) { return issued(i) >= from && issued(i) < to; })},
  };
  for (const Case& c : cases) {
    BOOST_TEST_CONTEXT(c.name) {
      BOOST_REQUIRE(!c.want.empty());
      for (std::size_t limit : {1u, 7u, 10u, 1000u}) {
        BOOST_TEST_CONTEXT("limit " << limit) {
          const Seqs got = AllPages(*store, c.query, limit);
          BOOST_TEST(got == c.want);
          BOOST_TEST(std::set<std::uint64_t>(got.begin(), got.end()).size() == got.size());
        }
      }
    }
  }
  // Limits: 0 is the default of 50, and more than 1000 is 1000.
  AuditQuery q;
  q.limit = 0;
  auto page = store->Audit(q);
  BOOST_REQUIRE(page.ok());
  BOOST_TEST(page->events.size() == 50u);
  BOOST_TEST(*page->next_before == 10u);
  q.limit = 1'000'000;
  page = store->Audit(q);
  BOOST_REQUIRE(page.ok());
  BOOST_TEST(page->events.size() == kEvents);
  BOOST_TEST(!page->next_before);
}

BOOST_AUTO_TEST_CASE(plain_append_indexes_without_subjects_or_authority) {
  test::TempDir dir;
  StoreOptions options;
  options.clock = [] { return kT0 + kDay; };
  auto store = OpenStore(dir.str(), options);
  std::vector<SignedDecision> batch = {Decide("d-0", "project.proposed", "secretariat", kT0)};
  auto r = store->Append(batch);
  BOOST_REQUIRE(r.ok());
  BOOST_TEST(store->Read(0)->recorded_at == kT0 + kDay);
  BOOST_TEST(Query(*store, Body("secretariat")) == (Seqs{0}));
  BOOST_TEST(Query(*store, Type("project.proposed")) == (Seqs{0}));
  BOOST_TEST(Query(*store, Type("project.*")) == (Seqs{0}));
  BOOST_TEST(Query(*store, Signer(KeyA())) == (Seqs{0}));
  BOOST_TEST(Query(*store, Issued(kT0, kT0 + 1)) == (Seqs{0}));
  BOOST_TEST(*store->Authority(0) == "");
}

BOOST_AUTO_TEST_CASE(an_annotation_count_mismatch_writes_nothing) {
  test::TempDir dir;
  auto store = OpenStore(dir.str());
  Annotated::Append(*store);
  const TreeHead head = store->head();
  std::vector<SignedDecision> batch = {Decide("n-0", "project.proposed", "secretariat", kT0),
                                       Decide("n-1", "project.proposed", "secretariat", kT0)};
  std::vector<Annotation> one = {{"policy-1", {"P-9"}}};
  auto r = store->Append(batch, kT0 + 4 * kDay, one);
  BOOST_REQUIRE(!r.ok());
  BOOST_TEST(r.status().rule() == "store.annotations");
  std::vector<Annotation> three(3);
  BOOST_TEST(store->Append(batch, kT0 + 4 * kDay, three).status().rule() == "store.annotations");
  std::vector<Annotation> nul = {{"", {"ok"}}, {"", {std::string("bad\0subject", 11)}}};
  BOOST_TEST(store->Append(batch, kT0 + 4 * kDay, nul).status().rule() == "store.annotations");

  BOOST_TEST(store->size() == 4u);
  BOOST_TEST((store->head() == head));
  BOOST_TEST(store->Find("n-0").status().rule() == "store.not_found");
  BOOST_TEST(Query(*store, Subject("P-9")) == Seqs{});
  BOOST_TEST(Query(*store, Subject("ok")) == Seqs{});
}

BOOST_AUTO_TEST_CASE(duplicates_ignore_their_annotation) {
  Annotated a;
  std::vector<SignedDecision> batch = {
      Decide("d-1", "project.approved", "joint-committee", kT0 + kDay, {&KeyA(), &KeyB()}),
      Decide("d-4", "project.proposed", "secretariat", kT0)};
  std::vector<Annotation> annotations = {{"policy-9", {"X"}}, {"policy-4", {"Y"}}};
  auto r = a.store->Append(batch, kT0 + 4 * kDay, annotations);
  BOOST_REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  BOOST_TEST(r->decisions[0].duplicate);
  BOOST_TEST(r->decisions[0].sequence == 1u);
  BOOST_TEST(r->decisions[1].sequence == 4u);
  BOOST_TEST(*a.store->Authority(1) == "policy-2");
  BOOST_TEST(*a.store->Authority(4) == "policy-4");
  BOOST_TEST(Query(*a.store, Subject("X")) == Seqs{});
  BOOST_TEST(Query(*a.store, Subject("Y")) == (Seqs{4}));
  BOOST_TEST(Query(*a.store, Subject("B-jc")) == (Seqs{1}));
}

BOOST_AUTO_TEST_CASE(recorded_at_is_stored_and_never_decreases) {
  test::TempDir dir;
  auto store = OpenStore(dir.str());
  const Timestamp t1 = kT0 + 10 * kDay;
  auto append = [&](const std::string& id, Timestamp at) {
    std::vector<SignedDecision> batch = {Decide(id + "-a", "project.proposed", "secretariat", kT0),
                                         Decide(id + "-b", "project.proposed", "secretariat", kT0)};
    auto r = store->Append(batch, at, {});
    BOOST_REQUIRE_MESSAGE(r.ok(), r.status().ToString());
    return *r;
  };
  AppendResult r = append("first", t1);
  BOOST_TEST(r.head.timestamp == t1);
  BOOST_TEST(store->Read(0)->recorded_at == t1);
  BOOST_TEST(store->Read(1)->recorded_at == t1);

  r = append("earlier", t1 - kHour);  // clamped to the previous commit's time
  BOOST_TEST(r.head.timestamp == t1);
  BOOST_TEST(store->Read(2)->recorded_at == t1);
  BOOST_TEST(store->Read(3)->recorded_at == t1);
  BOOST_TEST(Verify(r.head, store->log_key()).ok());

  r = append("later", t1 + kHour);
  BOOST_TEST(r.head.timestamp == t1 + kHour);
  BOOST_TEST(store->Read(5)->recorded_at == t1 + kHour);
  BOOST_TEST((store->head() == r.head));
  // The stored envelope hashes to its leaf with the time it carries.
  const Envelope e = *store->Read(4);
  BOOST_TEST(e.leaf_hash == crypto::LeafHash(AsBytes(EntryBytes(e))));
}

BOOST_AUTO_TEST_CASE(size_at_counts_events_recorded_by_a_time) {
  test::TempDir dir;
  auto store = OpenStore(dir.str());
  BOOST_TEST(*store->SizeAt(kT0) == 0u);
  const Timestamp t1 = kT0 + kDay, t2 = kT0 + 2 * kDay, t3 = kT0 + 3 * kDay;
  std::uint64_t n = 0;
  for (auto [at, count] : {std::pair{t1, 2}, {t2, 1}, {t3, 3}}) {
    std::vector<SignedDecision> batch;
    for (int i = 0; i < count; ++i) {
      batch.push_back(Decide("d-" + std::to_string(n++), "project.proposed", "secretariat", kT0));
    }
    BOOST_REQUIRE(store->Append(batch, at, {}).ok());
  }
  BOOST_TEST(*store->SizeAt(0) == 0u);
  BOOST_TEST(*store->SizeAt(t1 - 1) == 0u);
  BOOST_TEST(*store->SizeAt(t1) == 2u);
  BOOST_TEST(*store->SizeAt(t1 + 1) == 2u);
  BOOST_TEST(*store->SizeAt(t2 - 1) == 2u);
  BOOST_TEST(*store->SizeAt(t2) == 3u);
  BOOST_TEST(*store->SizeAt(t3 - 1) == 3u);
  BOOST_TEST(*store->SizeAt(t3) == 6u);
  BOOST_TEST(*store->SizeAt(t3 + kDay) == 6u);
  BOOST_TEST(*store->SizeAt(std::numeric_limits<Timestamp>::max()) == 6u);
}

BOOST_AUTO_TEST_CASE(checkpoints_newest_at_or_below_and_surviving_reopen) {
  test::TempDir dir;
  {
    auto store = OpenStore(dir.str());
    BOOST_TEST(store->Checkpoint(10).status().rule() == "store.not_found");
    BOOST_TEST(store->Checkpoints()->empty());
    Annotated::Append(*store);  // 4 events
    std::vector<SignedDecision> more = {Decide("d-4", "project.proposed", "secretariat", kT0),
                                        Decide("d-5", "project.proposed", "secretariat", kT0)};
    BOOST_REQUIRE(store->Append(more).ok());
    BOOST_TEST(store->PutCheckpoint(5, AsBytes("five, first")).ok());
    BOOST_TEST(store->PutCheckpoint(2, AsBytes("two")).ok());
    BOOST_TEST(store->PutCheckpoint(5, AsBytes("five")).ok());  // replaces
    BOOST_TEST(store->PutCheckpoint(7, AsBytes("beyond")).rule() == "store.checkpoint_range");
    BOOST_TEST(store->PutCheckpoint(3, AsBytes("three")).ok());
    BOOST_TEST(store->RemoveCheckpoint(3).ok());
    BOOST_TEST(store->RemoveCheckpoint(4).ok());  // none there: nothing to do
    BOOST_TEST(store->size() == 6u);
  }
  for (bool read_only : {false, true}) {
    BOOST_TEST_CONTEXT("read_only " << read_only) {
      StoreOptions options;
      options.read_only = read_only;
      auto store = OpenStore(dir.str(), options);
      BOOST_TEST(*store->Checkpoints() == (Seqs{2, 5}));
      BOOST_TEST(store->Checkpoint(0).status().rule() == "store.not_found");
      BOOST_TEST(store->Checkpoint(1).status().rule() == "store.not_found");
      using Found = std::pair<std::uint64_t, std::string>;
      BOOST_TEST((*store->Checkpoint(2) == Found{2, "two"}));
      BOOST_TEST((*store->Checkpoint(4) == Found{2, "two"}));
      BOOST_TEST((*store->Checkpoint(5) == Found{5, "five"}));
      BOOST_TEST((*store->Checkpoint(6) == Found{5, "five"}));
      BOOST_TEST(
          (*store->Checkpoint(std::numeric_limits<std::uint64_t>::max()) == Found{5, "five"}));
      if (read_only) {
        BOOST_TEST(store->PutCheckpoint(6, AsBytes("six")).rule() == "store.read_only");
        BOOST_TEST(store->RemoveCheckpoint(5).rule() == "store.read_only");
      }
    }
  }
}

// Sections are stored once by digest, whichever checkpoints name them, and
// stay readable when a checkpoint that first named them is replaced.
BOOST_AUTO_TEST_CASE(checkpoint_sections_are_stored_once_and_found_by_digest) {
  test::TempDir dir;
  auto section = [](std::string text) {
    return std::pair{crypto::Sha256(AsBytes(text)), std::move(text)};
  };
  const auto a = section("section a"), b = section("section b"),
             c = section(std::string(5000, 'c'));
  auto put = [](Store& store, std::uint64_t size, std::string bytes,
                std::vector<std::pair<crypto::Hash, std::string>> sections) {
    std::vector<Store::CheckpointSection> named;
    for (const auto& [digest, text] : sections) named.push_back({digest, AsBytes(text)});
    return store.PutCheckpoint(size, AsBytes(bytes), named);
  };
  std::uint64_t after_first = 0;
  {
    auto store = OpenStore(dir.str());
    Annotated::Append(*store);                          // 4 events
    BOOST_TEST(put(*store, 2, "two", {a, b, a}).ok());  // a twice: stored once
    after_first = *store->CheckpointBytes();
    BOOST_TEST(after_first == 3u + a.second.size() + b.second.size());
    BOOST_TEST(put(*store, 4, "four", {b, c}).ok());  // b stored already
    BOOST_TEST(put(*store, 2, "two again", {a}).ok());
    BOOST_TEST(*store->CheckpointBytes() ==
               after_first + 4 + c.second.size() + std::string("two again").size() - 3);
  }
  for (bool read_only : {false, true}) {
    StoreOptions options;
    options.read_only = read_only;
    auto store = OpenStore(dir.str(), options);
    for (std::uint64_t at : {2u, 4u}) {
      std::map<std::string, std::optional<std::string>> found;
      BOOST_REQUIRE(store
                        ->VisitCheckpoint(at,
                                          [&](std::uint64_t, ByteView, const Store::SectionOf& of) {
                                            for (const auto& s : {a, b, c}) {
                                              auto bytes = of(s.first);
                                              found[s.second.substr(0, 9)] =
                                                  bytes ? std::optional(std::string(bytes->begin(),
                                                                                    bytes->end()))
                                                        : std::nullopt;
                                            }
                                            BOOST_TEST(!of(crypto::Sha256(AsBytes("none"))));
                                          })
                        .ok());
      BOOST_TEST((found["section a"] == a.second));
      BOOST_TEST((found["section b"] == b.second));
      BOOST_TEST((found[c.second.substr(0, 9)] == c.second));
    }
  }
}

BOOST_AUTO_TEST_CASE(map_grows_for_a_large_checkpoint) {
  test::TempDir dir;
  StoreOptions options;
  options.initial_map_size = 64 * 1024;  // far smaller than the checkpoint
  auto store = OpenStore(dir.str(), options);
  Annotated::Append(*store);
  std::string big(3 * 1024 * 1024 + 17, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>((i * 131) % 251);
  Status put = store->PutCheckpoint(4, AsBytes(big));
  BOOST_REQUIRE_MESSAGE(put.ok(), put.ToString());
  auto got = store->Checkpoint(4);
  BOOST_REQUIRE(got.ok());
  BOOST_TEST(got->first == 4u);
  BOOST_TEST((got->second == big));
  // The log goes on as before.
  std::vector<SignedDecision> more = {Decide("d-4", "project.proposed", "secretariat", kT0)};
  BOOST_REQUIRE(store->Append(more).ok());
  BOOST_TEST(Query(*store, Subject("P-1")) == (Seqs{1, 0}));
  store.reset();
  store = OpenStore(dir.str(), options);
  BOOST_TEST((store->Checkpoint(100)->second == big));
  BOOST_TEST(store->size() == 5u);
}

BOOST_AUTO_TEST_SUITE_END()
