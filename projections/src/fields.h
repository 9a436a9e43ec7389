// Fields: typed, checked access to a decision's payload.
//
// Each accessor marks its field as known and returns a value; the first
// problem is kept and reported by Finish(), which also refuses any field no
// accessor asked for. Rules: payload.missing, payload.type, payload.value,
// payload.unknown_field.
//
// The accessors returning `const std::string&` return the payload's own
// string (valid as long as the payload), or an empty string when the field
// is missing or of the wrong kind: reading a field copies nothing.
#pragma once

#include <boost/container/small_vector.hpp>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include "ledger/value.h"
#include "projections/state.h"

namespace pl::projections {

class Fields {
 public:
  explicit Fields(const ledger::Value& payload) : payload_(payload) {}

  // [A-Za-z0-9._:-]{1,64}
  const std::string& Id(std::string_view name);
  std::optional<std::string> OptionalId(std::string_view name);
  // Free text, 1 to max_length bytes.
  const std::string& String(std::string_view name, std::size_t max_length = 2000);
  Text TextField(std::string_view name);
  std::optional<Text> OptionalText(std::string_view name);
  // YYYY-MM-DD
  const std::string& Date(std::string_view name);
  std::optional<std::string> OptionalDate(std::string_view name);
  // Two upper-case letters (membership is a state rule).
  const std::string& Country(std::string_view name);
  std::optional<std::string> OptionalCountry(std::string_view name);
  std::vector<std::string> Countries(std::string_view name);
  std::int64_t Amount(std::string_view name);  // > 0
  const std::string& Currency(std::string_view name);
  Money MoneyField(std::string_view name);
  std::optional<Money> OptionalMoney(std::string_view name);
  std::int64_t Int(std::string_view name, std::int64_t min, std::int64_t max);
  std::string OneOf(std::string_view name, std::initializer_list<std::string_view> allowed);
  std::vector<std::string> Ids(std::string_view name, bool non_empty);
  std::vector<Text> Texts(std::string_view name);
  // The raw value of an array-of-objects field, each read with its own Fields.
  const ledger::Value::Array* Objects(std::string_view name, bool required);
  bool Has(std::string_view name) const { return payload_.find(name) != nullptr; }

  // Adopts the first problem of a nested reader (with its path prefixed).
  void Nested(std::string_view path, Fields& inner);

  // The first problem, or an unknown field; Ok when the payload is clean.
  Status Finish();

 private:
  const ledger::Value* Get(std::string_view name, bool required);
  void Problem(const char* rule, std::string_view name, const std::string& what);
  // The checks of the accessors above on a value Get found (not null).
  const std::string& IdValue(std::string_view name, const ledger::Value& v);
  Text TextValue(std::string_view name, const ledger::Value& v);
  const std::string& DateValue(std::string_view name, const ledger::Value& v);
  const std::string& CountryValue(std::string_view name, const ledger::Value& v);
  Money MoneyValue(std::string_view name, const ledger::Value& v);

  const ledger::Value& payload_;
  // Bit i: member i of the payload was asked for (the first 64 members).
  std::uint64_t found_ = 0;
  // The names of members past the 64th that were asked for: string literals
  // in the rules, so views of them stay valid. (A name asked for and not in
  // the payload needs no record: member names are unique, so it can never
  // be one Finish finds unasked.)
  boost::container::small_vector<std::string_view, 4> known_;
  Status first_;
};

}  // namespace pl::projections
