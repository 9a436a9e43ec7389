// The ledger's data model: values, canonical JSON, timestamps, decisions,
// signatures, envelopes and tree heads, and the pinned encoding vectors of
// docs/encoding.md.
#include <boost/test/unit_test.hpp>

#include "crypto/bytes.h"
#include "crypto/merkle.h"
#include "ledger/envelope.h"
#include "ledger/serialization.h"

using namespace pl;
using namespace pl::ledger;

namespace {

crypto::PrivateKey KeyFromSeed(const std::string& hex) {
  auto seed = FromHex(hex);
  return *crypto::PrivateKey::FromSeed(*seed);
}

// The published test keys of docs/encoding.md (RFC 8032 §7.1 TEST 1 and 2).
const crypto::PrivateKey& TestKey1() {
  static const auto key =
      KeyFromSeed("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
  return key;
}
const crypto::PrivateKey& TestKey2() {
  static const auto key =
      KeyFromSeed("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb");
  return key;
}

// The example decision of docs/encoding.md.
const char* kVectorDecision = R"({
  "decision_id": "jc-2012-007",
  "type": "project.approved",
  "body": "joint-committee",
  "issued_at": "2012-03-01T09:00:00Z",
  "payload": {
    "project_id": "P-2012-0007",
    "title": {"en": "Joint Laboratory for Remote Sensing", "zh": "遥感联合实验室"},
    "priority_area": "B10",
    "mode": "M5",
    "budget": {"amount": 150000000, "currency": "CNY"},
    "partners": ["TH", "VN"],
    "note": "tab\there, \"quoted\", back\\slash, bell\u0007"
  }
})";

ledger::KeyLookup LookupOf(std::initializer_list<const crypto::PrivateKey*> keys) {
  std::vector<crypto::PublicKey> pubs;
  for (auto* k : keys) pubs.push_back(k->public_key());
  return [pubs](const crypto::Hash& id) -> const crypto::PublicKey* {
    for (const auto& p : pubs) {
      if (p.key_id() == ToHex(id)) return &p;
    }
    return nullptr;
  };
}

}  // namespace

BOOST_AUTO_TEST_SUITE(values)

BOOST_AUTO_TEST_CASE(canonical_json_is_rfc8785_for_the_domain) {
  auto v = ParseJson(R"( {"b": [1, -2, true, null], "a": "x\u0001\n/é", "A": {}} )");
  BOOST_REQUIRE(v.ok());
  BOOST_TEST(CanonicalJson(*v) == "{\"A\":{},\"a\":\"x\\u0001\\n/é\",\"b\":[1,-2,true,null]}");
  auto again = ParseJson(CanonicalJson(*v));
  BOOST_REQUIRE(again.ok());
  BOOST_TEST((*again == *v));
}

BOOST_AUTO_TEST_CASE(refuses_what_the_domain_excludes) {
  struct Case {
    const char* json;
    const char* rule;
  };
  for (const Case& c : std::initializer_list<Case>{
           {"{\"amount\": 1.5}", "json.float"},
           {"{\"amount\": 1e3}", "json.float"},
           {"{\"amount\": 9007199254740992}", "json.int_range"},
           {"{\"amount\": -9007199254740992}", "json.int_range"},
           {"{\"amount\": 18446744073709551615}", "json.int_range"},
           {"{\"bad key\": 1}", "json.key"},
           {"{\"\": 1}", "json.key"},
           {"{\"a\": 1, \"a\": 2}", "json.duplicate_key"},
           {"{\"a\": ", "json.syntax"},
           {"{\"a\": 1} x", "json.syntax"},
           {"", "json.syntax"},
           {"{\"s\": \"\xff\"}", "json.syntax"},
           {"[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]", "json.depth"},
       }) {
    auto v = ParseJson(c.json);
    BOOST_TEST_INFO(c.json);
    BOOST_REQUIRE(!v.ok());
    BOOST_TEST(v.status().rule() == c.rule);
  }
  BOOST_TEST(ParseJson("{\"amount\": 9007199254740991}").ok());
  JsonLimits small;
  small.max_bytes = 8;
  BOOST_TEST(ParseJson("{\"a\":\"long\"}", small).status().rule() == "json.size");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(timestamps)

BOOST_AUTO_TEST_CASE(round_trips_only_the_canonical_form) {
  BOOST_TEST(FormatTimestamp(0) == "1970-01-01T00:00:00Z");
  BOOST_TEST(FormatTimestamp(1330592400000) == "2012-03-01T09:00:00Z");
  BOOST_TEST(FormatTimestamp(1330592400250) == "2012-03-01T09:00:00.250Z");
  BOOST_TEST(*ParseTimestamp("2025-10-26T00:00:00Z") == 1761436800000);
  BOOST_TEST(*ParseTimestamp("2012-03-01T09:00:00.250Z") == 1330592400250);
  BOOST_TEST(*ParseTimestamp("2024-02-29T23:59:59Z") == 1709251199000);
  for (const char* bad : {"2012-03-01T09:00:00", "2012-03-01 09:00:00Z", "2012-03-01T09:00:00.000Z",
                          "2012-03-01T09:00:00.25Z", "2012-02-30T00:00:00Z", "2023-02-29T00:00:00Z",
                          "2012-13-01T00:00:00Z", "2012-03-01T24:00:00Z", "2012-03-01T09:00:00+08:00",
                          "1969-12-31T23:59:59Z", ""}) {
    BOOST_TEST_INFO(bad);
    BOOST_TEST(ParseTimestamp(bad).status().rule() == "time.format");
  }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(decisions)

BOOST_AUTO_TEST_CASE(json_round_trip_and_shape_rules) {
  auto d = ParseSignedDecision(kVectorDecision);
  BOOST_REQUIRE(d.ok());
  BOOST_TEST(d->decision.id == "jc-2012-007");
  BOOST_TEST(d->signatures.empty());
  auto again = SignedDecisionFromValue(ToValue(*d));
  BOOST_REQUIRE(again.ok());
  BOOST_TEST((*again == *d));

  struct Case {
    std::string json;
    const char* rule;
  };
  const std::string ok_tail = R"("type":"project.approved","body":"joint-committee","issued_at":"2012-03-01T09:00:00Z","payload":{})";
  for (const Case& c : std::vector<Case>{
           {R"({"decision_id":"has space",)" + ok_tail + "}", "decision.id"},
           {R"({"decision_id":"",)" + ok_tail + "}", "decision.id"},
           {R"({"decision_id":")" + std::string(129, 'a') + "\"," + ok_tail + "}", "decision.id"},
           {R"({"decision_id":"a","type":"Project","body":"joint-committee","issued_at":"2012-03-01T09:00:00Z","payload":{}})", "decision.type"},
           {R"({"decision_id":"a","type":"x","body":"Joint Committee","issued_at":"2012-03-01T09:00:00Z","payload":{}})", "decision.body"},
           {R"({"decision_id":"a","type":"x","body":"b","issued_at":"2012-03-01","payload":{}})", "time.format"},
           {R"({"decision_id":"a","type":"x","body":"b","issued_at":"2012-03-01T09:00:00Z","payload":[]})", "decision.payload"},
           {R"({"decision_id":"a","type":"x","body":"b","issued_at":"2012-03-01T09:00:00Z"})", "decision.field"},
           {R"({"decision_id":7,"type":"x","body":"b","issued_at":"2012-03-01T09:00:00Z","payload":{}})", "decision.field"},
           {R"({"decision_id":"a","extra":1,)" + ok_tail + "}", "decision.field"},
           {R"({"decision_id":"a",)" + ok_tail + R"(,"signatures":{}})", "signature.malformed"},
           {R"({"decision_id":"a",)" + ok_tail + R"(,"signatures":[{"key_id":"00","signature":""}]})", "signature.malformed"},
           {"[1]", "decision.shape"},
       }) {
    BOOST_TEST_INFO(c.json);
    auto r = ParseSignedDecision(c.json);
    BOOST_REQUIRE(!r.ok());
    BOOST_TEST(r.status().rule() == c.rule);
  }
}

BOOST_AUTO_TEST_CASE(signatures_verify_and_every_fault_is_named) {
  auto d = *ParseSignedDecision(kVectorDecision);
  const auto both = LookupOf({&TestKey1(), &TestKey2()});
  BOOST_TEST(VerifySignatures(d, both).rule() == "signature.missing");
  Sign(&d, TestKey1());
  Sign(&d, TestKey2());
  Sign(&d, TestKey1());  // re-signing replaces, never duplicates
  BOOST_TEST(d.signatures.size() == 2u);
  BOOST_TEST(VerifySignatures(d, both).ok());

  BOOST_TEST(VerifySignatures(d, LookupOf({&TestKey1()})).rule() == "signature.unknown_key");

  auto altered = d;
  altered.decision.payload = Value(Value::Object{{"project_id", "P-2012-0008"}});
  BOOST_TEST(VerifySignatures(altered, both).rule() == "signature.invalid");

  auto flipped = d;
  flipped.signatures[1].signature[10] ^= 1;
  BOOST_TEST(VerifySignatures(flipped, both).rule() == "signature.invalid");

  // A key id that names one key over another key's signature.
  auto swapped = d;
  std::swap(swapped.signatures[0].signature, swapped.signatures[1].signature);
  BOOST_TEST(VerifySignatures(swapped, both).rule() == "signature.invalid");

  auto json = CanonicalJson(ToValue(d));
  auto dup = json;
  const auto pos = dup.find("\"signatures\":[") + 14;
  const auto first_end = dup.find('}', pos) + 1;
  dup.insert(pos, dup.substr(pos, first_end - pos) + ",");
  BOOST_TEST(ParseSignedDecision(dup).status().rule() == "signature.duplicate_key");

  auto truncated = json;
  const auto sig_pos = truncated.find("\"signature\":\"") + 13;
  truncated.erase(sig_pos, 8);
  BOOST_TEST(ParseSignedDecision(truncated).status().rule() == "signature.malformed");
}

// docs/encoding.md, "Test vectors": these bytes must never change.
BOOST_AUTO_TEST_CASE(pinned_encoding_vectors) {
  auto d = *ParseSignedDecision(kVectorDecision);
  const std::string signing = SigningBytes(d.decision);
  const std::string expected_signing =
      "partnership-ledger/decision/v1\n"
      R"({"body":"joint-committee","decision_id":"jc-2012-007","issued_at":"2012-03-01T09:00:00Z",)"
      R"("payload":{"budget":{"amount":150000000,"currency":"CNY"},)"
      R"("mode":"M5","note":"tab\there, \"quoted\", back\\slash, bell\u0007",)"
      R"("partners":["TH","VN"],"priority_area":"B10","project_id":"P-2012-0007",)"
      R"("title":{"en":"Joint Laboratory for Remote Sensing","zh":"遥感联合实验室"}},)"
      R"("type":"project.approved"})";
  BOOST_TEST(signing == expected_signing);
  BOOST_TEST(ToHex(crypto::Sha256(AsBytes(signing))) == "5a877e022ccde9e0fbee1fa75b9c53a5241ff1033c99cb4e9d431079595b84f4");

  Sign(&d, TestKey1());
  Sign(&d, TestKey2());
  BOOST_TEST(TestKey1().public_key().key_id() == "21fe31dfa154a261626bf854046fd2271b7bed4b6abe45aa58877ef47f9721b9");
  BOOST_TEST(TestKey2().public_key().key_id() == "39f713d0a644253f04529421b9f51b9b08979d08295959c4f3990ee617f5139f");
  const auto sig_of = [&](const crypto::PrivateKey& k) {
    for (const auto& s : d.signatures) {
      if (ToHex(s.key_id) == k.public_key().key_id()) return ToBase64(s.signature);
    }
    return std::string();
  };
  BOOST_TEST(sig_of(TestKey1()) == "J991EwjIIluk9RL8mpfvdj0aGYkAPT7C/mSgRXhoQvURGKi5EHJrErYPD/tiwINyV+oqjRVJC+MvmDcA+WmkDQ==");
  BOOST_TEST(sig_of(TestKey2()) == "VfcAdNPIqJbfDufMBjyIt2DNh9smqsfxiiORgPbftfy1wkFlNrWIjJAR39zFcoACLeiRR1FTqqjJtB9yZGDKDA==");

  Envelope e{0, 1330596000000, d, {}};
  const std::string entry = EntryBytes(e);
  BOOST_TEST(ToHex(crypto::Sha256(AsBytes(entry))) == "3edfb3060363091ca99a235363af747308dc5e10cd88e615238f0bae24e0d5c4");
  BOOST_TEST(ToHex(crypto::LeafHash(AsBytes(entry))) == "32ef03e04a236adea0b9eae540c0289faf39d85fafab9b24e5ed77b5ffbcf571");

  TreeHead head{1, crypto::LeafHash(AsBytes(entry)), 1330596000000, {}, {}};
  Sign(&head, TestKey1());
  BOOST_TEST(SigningBytes(head) == "partnership-ledger/tree-head/v1\n1\nMu8D4Eojat6guerlQMAon6852F+vq5sk5e13tf+89XE=\n"
                                   "2012-03-01T10:00:00Z\n");
  BOOST_TEST(ToBase64(head.signature) == "HtbAUhCjPSAvaLvBR0ZmduPywOV3WzS3nYX7gWqPuTj3ugVVUGcdAe6SnKzTRBlCuwijqbc+EfTvz41mwTxdDQ==");
  BOOST_TEST(Verify(head, TestKey1().public_key()).ok());
  BOOST_TEST(Verify(head, TestKey2().public_key()).rule() == "tree_head.signature");
}

BOOST_AUTO_TEST_CASE(envelope_and_tree_head_round_trip_through_cereal) {
  auto d = *ParseSignedDecision(kVectorDecision);
  Sign(&d, TestKey1());
  Envelope e{42, 1330596000000, d, {}};
  e.leaf_hash = crypto::LeafHash(AsBytes(EntryBytes(e)));
  const std::string bytes = Encode(e);
  auto back = Decode<Envelope>(AsBytes(bytes));
  BOOST_REQUIRE(back.ok());
  BOOST_TEST((*back == e));

  BOOST_TEST(Decode<Envelope>(AsBytes(bytes + "x")).status().rule() == "store.decode");
  BOOST_TEST(Decode<Envelope>(AsBytes(bytes.substr(0, bytes.size() / 2))).status().rule() ==
             "store.decode");

  TreeHead h{7, e.leaf_hash, 1330596000000, {}, {}};
  Sign(&h, TestKey2());
  auto h2 = Decode<TreeHead>(AsBytes(Encode(h)));
  BOOST_REQUIRE(h2.ok());
  BOOST_TEST((*h2 == h));
  auto h3 = TreeHeadFromValue(ToValue(h));
  BOOST_REQUIRE(h3.ok());
  BOOST_TEST((*h3 == h));
}

BOOST_AUTO_TEST_SUITE_END()
