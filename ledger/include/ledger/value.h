// Value: the payload of a decision, a JSON document restricted to what a
// record of decisions needs and what every language encodes the same way.
//
//   null, true/false, integers in [-(2^53-1), 2^53-1] (amounts are integer
//   minor units, never floating point), UTF-8 strings, arrays, and objects
//   whose keys are unique ASCII identifiers [A-Za-z0-9_]{1,64}.
//
// Within that domain the canonical JSON of a value is exactly RFC 8785 (JCS):
// no whitespace, object members sorted by key, strings with the minimal
// escapes. docs/encoding.md specifies it with test vectors.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "crypto/status.h"

namespace pl::ledger {

class Value {
 public:
  using Array = std::vector<Value>;
  using Member = std::pair<std::string, Value>;
  using Object = std::vector<Member>;  // sorted by key, keys unique

  enum class Kind { kNull, kBool, kInt, kString, kArray, kObject };

  static constexpr std::int64_t kMaxInt = (std::int64_t{1} << 53) - 1;

  Value() = default;
  Value(std::nullptr_t) {}
  Value(bool b) : v_(b) {}
  Value(int i) : v_(std::int64_t{i}) {}
  Value(std::int64_t i) : v_(i) {}
  Value(std::string s) : v_(std::move(s)) {}
  Value(const char* s) : v_(std::string(s)) {}
  Value(Array a) : v_(std::move(a)) {}
  // Sorts the members by key. REQUIRES: keys unique.
  Value(Object o);

  Kind kind() const { return static_cast<Kind>(v_.index()); }
  bool is_null() const { return kind() == Kind::kNull; }
  bool is_object() const { return kind() == Kind::kObject; }
  bool as_bool() const { return std::get<bool>(v_); }
  std::int64_t as_int() const { return std::get<std::int64_t>(v_); }
  const std::string& as_string() const { return std::get<std::string>(v_); }
  const Array& as_array() const { return std::get<Array>(v_); }
  const Object& as_object() const { return std::get<Object>(v_); }

  // The member named key of an object; nullptr when absent or not an object.
  const Value* find(std::string_view key) const;
  Value* find(std::string_view key) {
    return const_cast<Value*>(static_cast<const Value*>(this)->find(key));
  }

  bool operator==(const Value&) const = default;

  // For the serialization layer only.
  using Variant = std::variant<std::monostate, bool, std::int64_t, std::string, Array, Object>;
  const Variant& variant() const { return v_; }
  Variant& variant() { return v_; }

 private:
  Variant v_;
};

// Limits applied while parsing untrusted JSON.
struct JsonLimits {
  // Nesting of arrays and objects; deeper documents are refused.
  unsigned max_depth = 16;
  // Bytes of JSON text.
  std::size_t max_bytes = 64 * 1024;
};

// Parses JSON text into a Value, refusing anything outside the domain above
// with a Status naming the rule ("json.syntax", "json.float", "json.int_range",
// "json.key", "json.depth", "json.size", "json.duplicate_key").
Result<Value> ParseJson(std::string_view text, const JsonLimits& limits = {});

// RFC 8785 canonical JSON, appended to *out.
void AppendCanonicalJson(const Value& value, std::string* out);
// A JSON string literal with JCS escaping, appended to *out.
void AppendJsonString(std::string_view text, std::string* out);
std::string CanonicalJson(const Value& value);

// Indented JSON for people (two spaces, members in key order).
std::string PrettyJson(const Value& value);

}  // namespace pl::ledger
