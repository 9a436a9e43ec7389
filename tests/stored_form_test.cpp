// The stored form of an event (ledger/serialization.h): Decode<Envelope>
// reads the bytes directly, and must accept exactly the records cereal's own
// loader accepts, decoding them to the same envelope. Checked on records of
// every value kind, on every single-byte change and truncation of them, and
// on a record written byte-swapped.
#define BOOST_TEST_MODULE stored_form
#include <boost/test/unit_test.hpp>

#include <sstream>
#include <string>
#include <vector>

#include "ledger/envelope.h"
#include "ledger/serialization.h"

using namespace pl;
using namespace pl::ledger;

namespace {

DecisionSignature Signature(std::uint8_t seed) {
  DecisionSignature s;
  for (std::size_t i = 0; i < s.key_id.size(); ++i)
    s.key_id[i] = static_cast<std::uint8_t>(seed + i);
  for (std::size_t i = 0; i < s.signature.size(); ++i) {
    s.signature[i] = static_cast<std::uint8_t>(seed * 3 + i);
  }
  return s;
}

std::vector<Envelope> Samples() {
  std::vector<Envelope> out;
  Envelope e;
  e.sequence = 123456789;
  e.recorded_at = 1356998400123;
  e.decision.decision = {"d-1", "project.proposed", "secretariat", 1356998400000,
                         Value(Value::Object{})};
  out.push_back(e);  // empty payload, no signatures

  e.sequence = 0x0102030405060708;
  e.decision.decision.payload = Value(Value::Object{
      {"project_id", "P-2012-0007"},
      {"title", Value(Value::Object{{"en", "A title long enough to leave the small buffer"},
                                    {"zh", "中国-东盟科技伙伴计划"}})},
      {"amount", std::int64_t{-(std::int64_t{1} << 53) + 1}},
      {"flag", true},
      {"off", false},
      {"none", nullptr},
      {"list", Value(Value::Array{1, "two", Value(Value::Array{}), Value(Value::Object{})})},
  });
  e.decision.signatures = {Signature(1)};
  for (std::size_t i = 0; i < e.leaf_hash.size(); ++i)
    e.leaf_hash[i] = static_cast<std::uint8_t>(i);
  out.push_back(e);

  e.decision.signatures = {Signature(1), Signature(2), Signature(3)};
  e.decision.decision.id = std::string(128, 'x');
  out.push_back(e);
  return out;
}

// Both decoders agree on these bytes: both refuse them (as store.decode), or
// both decode them to the same envelope.
void Agree(const std::string& bytes, const std::string& what) {
  auto direct = Decode<Envelope>(AsBytes(bytes));
  auto reference = DecodeEnvelopeThroughCereal(AsBytes(bytes));
  BOOST_TEST_INFO(what);
  BOOST_REQUIRE_MESSAGE(direct.ok() == reference.ok(),
                        what << ": direct " << direct.status().ToString() << ", cereal "
                             << reference.status().ToString());
  if (direct.ok()) {
    BOOST_TEST((*direct == *reference));
  } else {
    BOOST_TEST(direct.status().rule() == "store.decode");
  }
}

}  // namespace

BOOST_AUTO_TEST_CASE(records_decode_to_what_was_encoded) {
  for (const Envelope& e : Samples()) {
    const std::string bytes = Encode(e);
    auto back = Decode<Envelope>(AsBytes(bytes));
    BOOST_REQUIRE_MESSAGE(back.ok(), back.status().ToString());
    BOOST_TEST((*back == e));
    Agree(bytes, "as written");
  }
}

BOOST_AUTO_TEST_CASE(every_damaged_record_is_judged_as_cereal_judges_it) {
  std::size_t refused = 0, accepted = 0;
  for (const Envelope& e : Samples()) {
    const std::string bytes = Encode(e);
    for (std::size_t at = 0; at < bytes.size(); ++at) {
      Agree(bytes.substr(0, at), "truncated to " + std::to_string(at));
      const auto original = static_cast<std::uint8_t>(bytes[at]);
      for (std::uint8_t changed :
           {std::uint8_t{0}, std::uint8_t{0xff}, static_cast<std::uint8_t>(original ^ 1),
            static_cast<std::uint8_t>(original ^ 0x80)}) {
        if (changed == original) continue;
        std::string damaged = bytes;
        damaged[at] = static_cast<char>(changed);
        Agree(damaged, "byte " + std::to_string(at) + " set to " + std::to_string(changed));
        (Decode<Envelope>(AsBytes(damaged)).ok() ? accepted : refused)++;
      }
    }
    Agree(bytes + '\0', "one byte more");
  }
  // Both kinds occur: a changed string byte still decodes, a changed length does not.
  BOOST_TEST(refused > 0);
  BOOST_TEST(accepted > 0);
}

BOOST_AUTO_TEST_CASE(a_record_written_byte_swapped_decodes_the_same) {
  for (const Envelope& e : Samples()) {
    std::ostringstream out(std::ios::binary);
    {
      cereal::PortableBinaryOutputArchive ar(
          out, cereal::PortableBinaryOutputArchive::Options::BigEndian());
      ar(e);
    }
    const std::string bytes = std::move(out).str();
    BOOST_REQUIRE(bytes != Encode(e));
    auto back = Decode<Envelope>(AsBytes(bytes));
    BOOST_REQUIRE_MESSAGE(back.ok(), back.status().ToString());
    BOOST_TEST((*back == e));
    Agree(bytes, "byte-swapped");
  }
}

BOOST_AUTO_TEST_CASE(decoding_into_a_used_envelope_gives_the_record_alone) {
  const std::vector<Envelope> samples = Samples();
  for (const Envelope& held : samples) {
    for (const Envelope& next : samples) {
      Envelope e = held;
      BOOST_REQUIRE(DecodeEnvelopeInto(AsBytes(Encode(next)), &e).ok());
      BOOST_TEST((e == next));
    }
  }
  // A payload whose values change kind and shrink, decoded over a larger one.
  Envelope big = samples[1], small = samples[1];
  small.decision.decision.payload = Value(Value::Object{{"list", "now a string"}, {"n", 1}});
  Envelope e = big;
  BOOST_REQUIRE(DecodeEnvelopeInto(AsBytes(Encode(small)), &e).ok());
  BOOST_TEST((e == small));
  // A record that fails leaves the envelope to be overwritten, and the next one decodes whole.
  const std::string bytes = Encode(big);
  BOOST_TEST(!DecodeEnvelopeInto(AsBytes(bytes).first(bytes.size() / 2), &e).ok());
  BOOST_REQUIRE(DecodeEnvelopeInto(AsBytes(bytes), &e).ok());
  BOOST_TEST((e == big));
}
