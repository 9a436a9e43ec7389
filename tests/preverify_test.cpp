// Signatures verified before the writer: the hook (Programme::Submit's
// signatures_verified, ApplyOptions::signatures_verified) skips only the
// Ed25519 check, never the key, officer, body or policy checks; the Writer
// verifies in the submitting thread and marks only what verified; and a
// decision with a bad signature is still refused by a real ledgerd.
#define BOOST_TEST_MODULE preverify
#include <boost/test/unit_test.hpp>

#include <array>
#include <future>

#include "api/client.h"
#include "hub.h"
#include "ledgerd_process.h"
#include "programme_fixture.h"
#include "projections/programme.h"
#include "test_util.h"
#include "writer.h"

using namespace pl;
using namespace pl::projections;
using namespace pl::test;

namespace utf = boost::unit_test;

namespace {

struct Fixture : DecisionMaker {
  TempDir dir;

  std::unique_ptr<Programme> Open(bool sync = false) {
    ProgrammeOptions o;
    o.store.create_if_missing = true;
    o.store.sync = sync;
    o.clock = [this] { return clock; };
    auto p = Programme::Open(dir.str("data"), o);
    BOOST_REQUIRE_MESSAGE(p.ok(), p.status().ToString());
    return std::move(*p);
  }
};

// The same decision with one bit of its first signature flipped.
ledger::SignedDecision Forged(ledger::SignedDecision d) {
  d.signatures.front().signature[7] ^= 0x10;
  return d;
}

// Submits one decision with its signatures marked verified (or not).
Status SubmitOne(Programme& p, const ledger::SignedDecision& d, bool verified) {
  const std::array<bool, 1> flag{verified};
  auto r = p.Submit(std::span(&d, 1), false, std::nullopt, {}, flag);
  if (!r.ok()) return r.status();
  return r->decisions.front().status;
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_verified_mark_skips_only_the_signature_check) {
  Fixture f;
  auto p = f.Open();
  const auto genesis = f.Genesis();
  BOOST_REQUIRE(SubmitOne(*p, genesis, false).ok());

  // Without the mark, a forged signature is refused; with it, the
  // cryptography is the caller's word (the Writer's, once it verified).
  BOOST_TEST(SubmitOne(*p, Forged(f.Propose("P-1")), false).rule() == "signature.invalid");
  BOOST_TEST(SubmitOne(*p, Forged(f.Propose("P-2")), true).ok());

  // Everything else still runs: an unregistered key,
  ledger::SignedDecision stranger = f.Propose("P-3", "nobody");
  BOOST_TEST(SubmitOne(*p, stranger, true).rule() == "signature.unknown_key");
  // a registered key of an officer of another body,
  BOOST_TEST(SubmitOne(*p, f.Propose("P-4", "conf-chair"), true).rule() == "authority.not_officer");
  // a key revoked before the decision is applied,
  const std::string deputy = f.officers["sec-deputy"].public_key().key_id();
  BOOST_REQUIRE(SubmitOne(*p,
                          f.Make("governance.key_revoked", "joint-committee",
                                 {{"key_id", deputy}, {"reason", "lost"}}, {"jc-cn", "jc-asean"}),
                          false)
                    .ok());
  BOOST_TEST(SubmitOne(*p, f.Propose("P-5", "sec-deputy"), true).rule() == "authority.key_revoked");
  // and the policy (the Secretariat's ceiling).
  ledger::SignedDecision big =
      f.Make("project.proposed", "secretariat", Proposal("P-6", 900000000), {"sec-head"});
  BOOST_TEST(SubmitOne(*p, big, true).rule() == "authority.ceiling");

  // One flag per decision, or none.
  const std::array<bool, 2> two{true, true};
  const auto d = f.Propose("P-7");
  auto r = p->Submit(std::span(&d, 1), false, std::nullopt, {}, two);
  BOOST_REQUIRE(!r.ok());
  BOOST_TEST(r.status().rule() == "submit.verified");
}

BOOST_AUTO_TEST_CASE(the_writer_verifies_before_its_queue_and_marks_only_what_verified) {
  Fixture f;
  auto p = f.Open();
  api::Hub hub(*p);
  api::Writer writer(*p, hub, 1000);
  auto submit = [&](const ledger::SignedDecision& d) {
    std::promise<Result<SubmitResult>> done;
    api::Submission s;
    s.decisions = {d};
    s.done = [&done](Result<SubmitResult> r) { done.set_value(std::move(r)); };
    BOOST_REQUIRE(writer.Submit(std::move(s)));
    auto r = done.get_future().get();
    BOOST_REQUIRE_MESSAGE(r.ok(), r.status().ToString());
    return r->decisions.front().status;
  };
  // The genesis's keys are not in the state before it: the writer checks it.
  BOOST_TEST(submit(f.Genesis()).ok());
  BOOST_TEST(writer.verified_early() == 0u);

  BOOST_TEST(submit(f.Propose("P-1")).ok());
  BOOST_TEST(writer.verified_early() == 1u);

  const std::uint64_t size = p->store().size();
  BOOST_TEST(submit(Forged(f.Propose("P-2"))).rule() == "signature.invalid");
  BOOST_TEST(writer.verified_early() == 1u);
  BOOST_TEST(p->store().size() == size);
}

BOOST_AUTO_TEST_CASE(ledgerd_still_refuses_a_bad_signature, *utf::timeout(120)) {
  Fixture f;
  {
    auto p = f.Open(true);
    BOOST_REQUIRE(SubmitOne(*p, f.Genesis(), false).ok());
  }
  LedgerdProcess ledgerd(LEDGERD_PATH, f.dir.str("data"), 8720, {}, f.dir.str("ledgerd.log"));
  BOOST_REQUIRE_MESSAGE(ledgerd.listening(), ReadWholeFile(f.dir.str("ledgerd.log")));
  auto client = api::Client::Connect("ws://127.0.0.1:" + std::to_string(ledgerd.port()) + "/ws");
  BOOST_REQUIRE_MESSAGE(client.ok(), client.status().ToString());
  auto submit = [&](const ledger::SignedDecision& d) -> Status {
    auto r = (*client)->Request(
        Value(Value::Object{{"decision", ledger::ToValue(d)}, {"op", "submit"}}));
    BOOST_REQUIRE_MESSAGE(r.ok(), r.status().ToString());
    return api::ResultOf(*r).status();
  };
  auto size = [&] {
    auto r = (*client)->Request(Value(Value::Object{{"op", "tree_head"}}));
    BOOST_REQUIRE(r.ok());
    return api::ResultOf(*r)->find("tree_head")->find("size")->as_int();
  };
  BOOST_TEST(submit(f.Propose("P-1")).ok());
  const auto before = size();
  const Status forged = submit(Forged(f.Propose("P-2")));
  BOOST_TEST(forged.rule() == "signature.invalid");
  BOOST_TEST(size() == before);
  // Signed by an unregistered key: refused by the writer, as before.
  BOOST_TEST(submit(f.Propose("P-3", "nobody")).rule() == "signature.unknown_key");
  BOOST_TEST(size() == before);
}
