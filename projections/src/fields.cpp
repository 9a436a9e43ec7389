#include "fields.h"

#include <algorithm>
#include <array>
#include <cstring>

namespace pl::projections {

using ledger::Value;

namespace {

// What a field that is missing or of the wrong kind reads as.
const std::string kNone;

// [A-Za-z0-9._:-], one table lookup a character.
constexpr std::array<bool, 256> kIdChars = [] {
  std::array<bool, 256> t{};
  for (int c = 0; c < 256; ++c) {
    t[c] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == ':' || c == '-';
  }
  return t;
}();

bool IsIdChar(char c) { return kIdChars[static_cast<unsigned char>(c)]; }

bool IsDate(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  for (std::size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  const int month = (s[5] - '0') * 10 + (s[6] - '0');
  const int day = (s[8] - '0') * 10 + (s[9] - '0');
  return month >= 1 && month <= 12 && day >= 1 && day <= 31;
}

}  // namespace

void Fields::Problem(const char* rule, std::string_view name, const std::string& what) {
  if (first_.ok()) {
    first_ = Status::Invalid(rule, "payload field \"" + std::string(name) + "\" " + what);
  }
}

const Value* Fields::Get(std::string_view name, bool required) {
  // As Value::find, keeping the member's position for Finish. A decision's
  // payload has a few members: comparing lengths first, one after the other,
  // costs less than a binary search's string comparisons.
  const Value::Object& members = payload_.as_object();
  std::size_t index = members.size();
  if (members.size() <= 16) {
    for (std::size_t i = 0; i < members.size(); ++i) {
      const std::string& key = members[i].first;
      if (key.size() == name.size() && key[0] == name[0] &&
          std::memcmp(key.data(), name.data(), name.size()) == 0) {
        index = i;
        break;
      }
    }
  } else {
    auto it =
        std::lower_bound(members.begin(), members.end(), name,
                         [](const Value::Member& m, std::string_view k) { return m.first < k; });
    if (it != members.end() && it->first == name) {
      index = static_cast<std::size_t>(it - members.begin());
    }
  }
  const Value* v = nullptr;
  if (index < members.size()) {
    v = &members[index].second;
    if (index < 64) {
      found_ |= std::uint64_t{1} << index;
    } else {
      known_.push_back(name);
    }
  }
  if (v && v->is_null()) v = nullptr;
  if (!v && required) Problem("payload.missing", name, "is required");
  return v;
}

const std::string& Fields::IdValue(std::string_view name, const Value& v) {
  if (v.kind() != Value::Kind::kString) {
    Problem("payload.type", name, "must be a string");
    return kNone;
  }
  const std::string& s = v.as_string();
  if (s.empty() || s.size() > 64 || !std::all_of(s.begin(), s.end(), IsIdChar)) {
    Problem("payload.value", name, "\"" + s + "\" must match [A-Za-z0-9._:-]{1,64}");
  }
  return s;
}

std::optional<std::string> Fields::OptionalId(std::string_view name) {
  const Value* v = Get(name, false);
  if (!v) return std::nullopt;
  return IdValue(name, *v);
}

const std::string& Fields::Id(std::string_view name) {
  const Value* v = Get(name, true);
  return v ? IdValue(name, *v) : kNone;
}

const std::string& Fields::String(std::string_view name, std::size_t max_length) {
  const Value* v = Get(name, true);
  if (!v) return kNone;
  if (v->kind() != Value::Kind::kString) {
    Problem("payload.type", name, "must be a string");
    return kNone;
  }
  if (v->as_string().empty() || v->as_string().size() > max_length) {
    Problem("payload.value", name, "must be 1 to " + std::to_string(max_length) + " bytes");
  }
  return v->as_string();
}

std::optional<Text> Fields::OptionalText(std::string_view name) {
  const Value* v = Get(name, false);
  if (!v) return std::nullopt;
  return TextValue(name, *v);
}

Text Fields::TextValue(std::string_view name, const Value& v) {
  Text t;
  if (!v.is_object()) {
    Problem("payload.type", name, "must be a name object {\"en\": ..., \"zh\": ...}");
    return t;
  }
  for (const auto& [key, item] : v.as_object()) {
    if (key != "en" && key != "zh") {
      Problem("payload.unknown_field", name, "has unknown language \"" + key + "\"");
    } else if (item.kind() != Value::Kind::kString || item.as_string().size() > 500) {
      Problem("payload.type", name, "." + key + " must be a string of at most 500 bytes");
    } else {
      (key == "en" ? t.en : t.zh) = item.as_string();
    }
  }
  if (t.en.empty()) Problem("payload.missing", name, "needs an English name (en)");
  return t;
}

Text Fields::TextField(std::string_view name) {
  const Value* v = Get(name, true);
  return v ? TextValue(name, *v) : Text{};
}

const std::string& Fields::DateValue(std::string_view name, const Value& v) {
  if (v.kind() != Value::Kind::kString || !IsDate(v.as_string())) {
    Problem("payload.value", name, "must be a date YYYY-MM-DD");
    return kNone;
  }
  return v.as_string();
}

std::optional<std::string> Fields::OptionalDate(std::string_view name) {
  const Value* v = Get(name, false);
  if (!v) return std::nullopt;
  return DateValue(name, *v);
}

const std::string& Fields::Date(std::string_view name) {
  const Value* v = Get(name, true);
  return v ? DateValue(name, *v) : kNone;
}

const std::string& Fields::CountryValue(std::string_view name, const Value& v) {
  if (v.kind() != Value::Kind::kString || v.as_string().size() != 2 ||
      !std::all_of(v.as_string().begin(), v.as_string().end(),
                   [](char c) { return c >= 'A' && c <= 'Z'; })) {
    Problem("payload.value", name, "must be an ISO 3166-1 alpha-2 country code");
    return kNone;
  }
  return v.as_string();
}

std::optional<std::string> Fields::OptionalCountry(std::string_view name) {
  const Value* v = Get(name, false);
  if (!v) return std::nullopt;
  return CountryValue(name, *v);
}

const std::string& Fields::Country(std::string_view name) {
  const Value* v = Get(name, true);
  return v ? CountryValue(name, *v) : kNone;
}

std::vector<std::string> Fields::Countries(std::string_view name) {
  std::vector<std::string> out;
  const Value* v = Get(name, true);
  if (!v) return out;
  if (v->kind() != Value::Kind::kArray || v->as_array().empty()) {
    Problem("payload.type", name, "must be a non-empty array of country codes");
    return out;
  }
  for (const Value& item : v->as_array()) {
    if (item.kind() != Value::Kind::kString || item.as_string().size() != 2) {
      Problem("payload.value", name, "must hold ISO 3166-1 alpha-2 country codes");
      return out;
    }
    if (std::find(out.begin(), out.end(), item.as_string()) != out.end()) {
      Problem("payload.value", name, "lists " + item.as_string() + " twice");
    }
    out.push_back(item.as_string());
  }
  return out;
}

std::int64_t Fields::Int(std::string_view name, std::int64_t min, std::int64_t max) {
  const Value* v = Get(name, true);
  if (!v) return 0;
  if (v->kind() != Value::Kind::kInt) {
    Problem("payload.type", name, "must be an integer");
    return 0;
  }
  if (v->as_int() < min || v->as_int() > max) {
    Problem("payload.value", name,
            "must be between " + std::to_string(min) + " and " + std::to_string(max));
  }
  return v->as_int();
}

std::int64_t Fields::Amount(std::string_view name) { return Int(name, 1, Value::kMaxInt); }

const std::string& Fields::Currency(std::string_view name) {
  const Value* v = Get(name, true);
  if (!v) return kNone;
  if (v->kind() != Value::Kind::kString || v->as_string().size() != 3 ||
      !std::all_of(v->as_string().begin(), v->as_string().end(),
                   [](char c) { return c >= 'A' && c <= 'Z'; })) {
    Problem("payload.value", name, "must be an ISO 4217 currency code");
    return kNone;
  }
  return v->as_string();
}

Money Fields::MoneyValue(std::string_view name, const Value& v) {
  if (!v.is_object()) {
    Problem("payload.type", name, "must be {\"amount\": integer, \"currency\": code}");
    return Money{};
  }
  Fields inner(v);
  Money m{inner.Amount("amount"), inner.Currency("currency")};
  Nested(name, inner);
  return m;
}

std::optional<Money> Fields::OptionalMoney(std::string_view name) {
  const Value* v = Get(name, false);
  if (!v) return std::nullopt;
  return MoneyValue(name, *v);
}

Money Fields::MoneyField(std::string_view name) {
  const Value* v = Get(name, true);
  return v ? MoneyValue(name, *v) : Money{};
}

std::string Fields::OneOf(std::string_view name, std::initializer_list<std::string_view> allowed) {
  const Value* v = Get(name, true);
  if (!v) return {};
  if (v->kind() == Value::Kind::kString &&
      std::find(allowed.begin(), allowed.end(), v->as_string()) != allowed.end()) {
    return v->as_string();
  }
  std::string list;
  for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
  Problem("payload.value", name, "must be one of: " + list);
  return {};
}

std::vector<std::string> Fields::Ids(std::string_view name, bool non_empty) {
  std::vector<std::string> out;
  const Value* v = Get(name, true);
  if (!v) return out;
  if (v->kind() != Value::Kind::kArray || (non_empty && v->as_array().empty())) {
    Problem("payload.type", name, non_empty ? "must be a non-empty array" : "must be an array");
    return out;
  }
  for (const Value& item : v->as_array()) {
    if (item.kind() != Value::Kind::kString || item.as_string().empty() ||
        item.as_string().size() > 128) {
      Problem("payload.value", name, "must hold ids (strings of 1 to 128 bytes)");
      return out;
    }
    out.push_back(item.as_string());
  }
  return out;
}

std::vector<Text> Fields::Texts(std::string_view name) {
  std::vector<Text> out;
  const Value* v = Get(name, true);
  if (!v) return out;
  if (v->kind() != Value::Kind::kArray) {
    Problem("payload.type", name, "must be an array of names");
    return out;
  }
  for (const Value& item : v->as_array()) {
    // A wrapper so the element reads like a named field.
    Value wrapper(Value::Object{{"name", item}});
    Fields element(wrapper);
    out.push_back(element.TextField("name"));
    Nested(name, element);
  }
  return out;
}

const Value::Array* Fields::Objects(std::string_view name, bool required) {
  const Value* v = Get(name, required);
  if (!v) return nullptr;
  if (v->kind() != Value::Kind::kArray) {
    Problem("payload.type", name, "must be an array of objects");
    return nullptr;
  }
  for (const Value& item : v->as_array()) {
    if (!item.is_object()) {
      Problem("payload.type", name, "must be an array of objects");
      return nullptr;
    }
  }
  return &v->as_array();
}

void Fields::Nested(std::string_view path, Fields& inner) {
  Status s = inner.Finish();
  if (!s.ok() && first_.ok()) {
    std::string message = s.message();
    const std::string prefix = "payload field \"";
    if (message.rfind(prefix, 0) == 0) message.insert(prefix.size(), std::string(path) + ".");
    first_ = Status::Invalid(s.rule(), message);
  }
}

Status Fields::Finish() {
  if (!first_.ok()) return first_;
  const Value::Object& members = payload_.as_object();
  for (std::size_t i = 0; i < members.size(); ++i) {
    if (i < 64 && (found_ >> i & 1)) continue;
    const std::string& name = members[i].first;
    if (std::find(known_.begin(), known_.end(), name) == known_.end()) {
      return Status::Invalid("payload.unknown_field",
                             "payload field \"" + name + "\" is not part of this decision type");
    }
  }
  return Status::Ok();
}

}  // namespace pl::projections
