// Inputs the fuzz targets of tests/fuzz found or pin, kept here so the normal
// suite guards them (docs/reliability.md, "Hostile input: fuzzing"): stored
// records whose lengths or nesting are corrupt.
#define BOOST_TEST_MODULE hostile_input
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <string>

#include "ledger/envelope.h"
#include "ledger/serialization.h"

using namespace pl;
using namespace pl::ledger;

namespace {

constexpr const char* kMarker = "decision-under-test";

Envelope Sample(Value payload = Value(Value::Object{{"project_id", "P-1"}})) {
  Envelope e;
  e.sequence = 7;
  e.recorded_at = 1356998400000;
  e.decision.decision = {kMarker, "project.proposed", "secretariat", 1356998400000,
                         std::move(payload)};
  return e;
}

// The stored bytes of Sample() with the length of its decision id replaced.
std::string WithIdLength(std::uint64_t length) {
  std::string bytes = Encode(Sample());
  const std::string id(kMarker);
  const auto at = bytes.find(id);
  BOOST_REQUIRE(at != std::string::npos && at >= 8);
  // Portable binary writes lengths as little-endian u64 before the bytes.
  for (int i = 0; i < 8; ++i) {
    bytes[at - 8 + static_cast<std::size_t>(i)] = static_cast<char>((length >> (8 * i)) & 0xff);
  }
  return bytes;
}

Value Nested(int depth) {
  Value v = Value(Value::Array{});
  for (int i = 1; i < depth; ++i) v = Value(Value::Array{std::move(v)});
  return v;
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_corrupt_length_is_refused_before_it_is_allocated) {
  // The length as written decodes.
  BOOST_TEST(Decode<Envelope>(AsBytes(WithIdLength(std::string(kMarker).size()))).ok());
  for (std::uint64_t length :
       {std::uint64_t{1} << 30, std::uint64_t{0x62} << 48, ~std::uint64_t{0}}) {
    const std::string bytes = WithIdLength(length);
    auto decoded = Decode<Envelope>(AsBytes(bytes));
    BOOST_TEST_INFO("length " << length);
    BOOST_REQUIRE(!decoded.ok());
    BOOST_TEST(decoded.status().rule() == "store.decode");
    // Refused at the length itself, before anything is allocated for it (a
    // plain cereal decoder allocates the claim, then finds the bytes missing).
    BOOST_TEST(decoded.status().message().find("exceeds the bytes left") != std::string::npos,
               decoded.status().ToString());
  }
}

BOOST_AUTO_TEST_CASE(values_nested_beyond_the_bound_are_refused) {
  const unsigned bound = decode_bounds::kMaxValueDepth;
  // The payload object itself is one level: arrays fill the rest up to the bound.
  auto at_bound = Sample(Value(Value::Object{{"deep", Nested(static_cast<int>(bound) - 1)}}));
  auto back = Decode<Envelope>(AsBytes(Encode(at_bound)));
  BOOST_REQUIRE_MESSAGE(back.ok(), back.status().ToString());
  BOOST_TEST((*back == at_bound));

  auto beyond = Sample(Value(Value::Object{{"deep", Nested(2000)}}));
  auto refused = Decode<Envelope>(AsBytes(Encode(beyond)));
  BOOST_REQUIRE(!refused.ok());
  BOOST_TEST(refused.status().rule() == "store.decode");
  BOOST_TEST(refused.status().message().find("nested deeper than") != std::string::npos,
             refused.status().ToString());
}
