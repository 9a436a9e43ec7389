// The operations of docs/api.md over a Programme. Reads run on the calling
// thread and hold the state's shared lock only while they pick out and
// serialize what they answer; submit goes through the Writer and answers from
// the writer thread.
#include "protocol.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <map>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "crypto/bytes.h"
#include "ledger/envelope.h"
#include "ledger/time.h"
#include "projections/views.h"
#include "writer.h"

namespace pl::api {
namespace {

using ledger::Value;
using projections::ProgrammeState;

constexpr std::int64_t kListLimit = 50, kListLimitMax = 500;
constexpr std::int64_t kAuditLimit = 50, kAuditLimitMax = 1000;

Value Count(std::uint64_t n) { return Value(static_cast<std::int64_t>(n)); }

Value HashList(const std::vector<crypto::Hash>& hashes) {
  Value::Array out;
  out.reserve(hashes.size());
  for (const auto& h : hashes) out.emplace_back(ToHex(h));
  return Value(std::move(out));
}

Status BadParam(std::string_view name, std::string_view what) {
  return Status::Invalid("request.param", "\"" + std::string(name) + "\" " + std::string(what));
}

Status OneOf(std::string_view a, std::string_view b) {
  return Status::Invalid("request.param", "give exactly one of \"" + std::string(a) + "\" and \"" +
                                              std::string(b) + "\"");
}

bool AllDigits(std::string_view s) {
  return !s.empty() && s.size() <= 16 &&
         s.find_first_not_of("0123456789") == std::string_view::npos;
}

// A calendar date YYYY-MM-DD, as the rules write dates.
bool IsDate(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  for (std::size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  return ledger::ParseTimestamp(std::string(s) + "T00:00:00Z").ok();
}

// The parameters of one request: the request object's members other than
// `id` and `op`. With from_query (a REST query string, where the transport
// can only guess types), a string also stands for the integer, boolean,
// object or array it spells (docs/api.md, REST mirrors).
class Params {
 public:
  Params(const Value& members, bool from_query) : members_(members), from_query_(from_query) {}

  bool from_query() const { return from_query_; }
  const Value* Find(std::string_view name) const { return members_.find(name); }
  bool Has(std::string_view name) const { return Find(name) != nullptr; }

  // Refuses a member that is not one of the op's parameters (a misspelt
  // filter should not silently widen a query).
  Status OnlyKnown(std::initializer_list<std::string_view> names) const {
    for (const auto& [name, value] : members_.as_object()) {
      if (name == "id" || name == "op") continue;
      if (std::find(names.begin(), names.end(), name) == names.end()) {
        return BadParam(name, "is not a parameter of this operation");
      }
    }
    return Status::Ok();
  }

  Status String(std::string_view name, std::optional<std::string>* out) const {
    const Value* v = Find(name);
    if (!v) return Status::Ok();
    if (v->kind() != Value::Kind::kString) return BadParam(name, "must be a string");
    *out = v->as_string();
    return Status::Ok();
  }

  Status RequiredString(std::string_view name, std::string* out) const {
    std::optional<std::string> v;
    if (Status s = String(name, &v); !s.ok()) return s;
    if (!v) return BadParam(name, "is missing");
    *out = std::move(*v);
    return Status::Ok();
  }

  Status Integer(std::string_view name, std::int64_t min, std::int64_t max,
                 std::optional<std::int64_t>* out) const {
    const Value* v = Find(name);
    if (!v) return Status::Ok();
    std::int64_t n = 0;
    if (v->kind() == Value::Kind::kInt) {
      n = v->as_int();
    } else if (from_query_ && v->kind() == Value::Kind::kString && AllDigits(v->as_string())) {
      const std::string& s = v->as_string();
      std::from_chars(s.data(), s.data() + s.size(), n);
    } else {
      return BadParam(name, "must be an integer");
    }
    if (n < min || n > max) {
      return BadParam(name, "must be between " + std::to_string(min) + " and " +
                                std::to_string(max) + ", not " + std::to_string(n));
    }
    *out = n;
    return Status::Ok();
  }

  Status Bool(std::string_view name, bool* out) const {
    const Value* v = Find(name);
    if (!v) return Status::Ok();
    if (v->kind() == Value::Kind::kBool) {
      *out = v->as_bool();
    } else if (from_query_ && v->kind() == Value::Kind::kString &&
               (v->as_string() == "true" || v->as_string() == "false")) {
      *out = v->as_string() == "true";
    } else {
      return BadParam(name, "must be true or false");
    }
    return Status::Ok();
  }

  // An object or array parameter (JSON text in a query string).
  Status Structured(std::string_view name, Value::Kind kind, std::optional<Value>* out) const {
    const Value* v = Find(name);
    if (!v) return Status::Ok();
    Value parsed;
    if (from_query_ && v->kind() == Value::Kind::kString) {
      auto json = ledger::ParseJson(v->as_string());
      if (!json.ok()) return BadParam(name, "is not JSON: " + json.status().message());
      parsed = std::move(*json);
      v = &parsed;
    }
    if (v->kind() != kind) {
      return BadParam(name,
                      kind == Value::Kind::kObject ? "must be an object" : "must be an array");
    }
    *out = *v;
    return Status::Ok();
  }

 private:
  const Value& members_;
  bool from_query_;
};

// ---------------------------------------------------------------------------
// Points in time

// The number of events in the state a point names: {"sequence": N} is the
// state after N events, {"time": T} every event recorded at or before T,
// {"date": D} every event recorded by the end of that UTC day. In a query
// string a point may also be written as N (an integer or its digits), D or T
// alone.
Result<std::uint64_t> ResolvePoint(const projections::Programme& programme, const Value& point,
                                   std::string_view name, bool from_query) {
  Value spelled;
  const Value* p = &point;
  if (from_query && point.kind() == Value::Kind::kInt) {
    spelled = Value(Value::Object{{"sequence", point}});
    p = &spelled;
  } else if (from_query && point.kind() == Value::Kind::kString) {
    const std::string& s = point.as_string();
    if (AllDigits(s)) {
      spelled = Value(Value::Object{{"sequence", Value(static_cast<std::int64_t>(std::stoll(s)))}});
    } else if (IsDate(s)) {
      spelled = Value(Value::Object{{"date", s}});
    } else if (!s.empty() && s.front() == '{') {
      auto json = ledger::ParseJson(s);
      if (!json.ok()) return BadParam(name, "is not JSON: " + json.status().message());
      spelled = std::move(*json);
    } else {
      spelled = Value(Value::Object{{"time", s}});
    }
    p = &spelled;
  }
  constexpr std::string_view kShape =
      "must be a point: {\"sequence\": N}, {\"time\": \"RFC 3339\"} or {\"date\": \"YYYY-MM-DD\"}";
  if (!p->is_object() || p->as_object().size() != 1) return BadParam(name, kShape);
  const auto& [kind, v] = p->as_object().front();
  const std::uint64_t size = programme.store().size();
  if (kind == "sequence") {
    if (v.kind() != Value::Kind::kInt || v.as_int() < 0) {
      return BadParam(name, "sequence must be a non-negative integer");
    }
    const auto n = static_cast<std::uint64_t>(v.as_int());
    if (n > size) {
      return Status::Invalid("as_of.range", "the log has " + std::to_string(size) +
                                                " events; there is no state after " +
                                                std::to_string(n));
    }
    return n;
  }
  if (v.kind() != Value::Kind::kString) return BadParam(name, kShape);
  std::string text = v.as_string();
  if (kind == "date") {
    if (!IsDate(text)) return BadParam(name, "date must be YYYY-MM-DD, not \"" + text + "\"");
    text += "T23:59:59.999Z";
  } else if (kind != "time") {
    return BadParam(name, kShape);
  }
  auto t = ledger::ParseTimestamp(text);
  if (!t.ok()) return BadParam(name, "time: " + t.status().message());
  return programme.store().SizeAt(*t);
}

// Runs fn on the state after `size` events, or on the current state when
// size is empty. The current state is read in place under its shared lock;
// an earlier one is rebuilt (from a checkpoint) first, outside any lock, and
// kept for the next questions of the same point (Programme::SharedAsOf).
Status WithStateAt(const projections::Programme& programme, std::optional<std::uint64_t> size,
                   const std::function<void(const ProgrammeState&)>& fn) {
  bool done = false;
  programme.WithState([&](const ProgrammeState& state) {
    if (!size || state.size == *size) {
      fn(state);
      done = true;
    }
  });
  if (done) return Status::Ok();
  auto state = programme.SharedAsOf(*size);
  if (!state.ok()) return state.status();
  fn(**state);
  return Status::Ok();
}

Result<std::optional<std::uint64_t>> AsOfParam(const projections::Programme& programme,
                                               const Params& params) {
  const Value* at = params.Find("as_of");
  if (!at) return std::optional<std::uint64_t>();
  auto size = ResolvePoint(programme, *at, "as_of", params.from_query());
  if (!size.ok()) return size.status();
  return std::optional<std::uint64_t>(*size);
}

// ---------------------------------------------------------------------------
// Entities: get and list

// What list filters look at in one entity.
struct Facets {
  std::string_view status, priority_area, mode, body, kind, source, project_id, role, currency;
  std::optional<std::int64_t> year;
  std::vector<std::string_view> countries;
  std::vector<const projections::Text*> names;
};

struct Filter {
  std::map<std::string, std::string, std::less<>> exact;  // name -> value
  std::optional<std::int64_t> year;
  std::optional<std::string> country;
  std::optional<std::string> text;  // lower-cased
};

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool Matches(const Filter& filter, const Facets& f) {
  for (const auto& [name, want] : filter.exact) {
    std::string_view have;
    if (name == "status") have = f.status;
    if (name == "priority_area") have = f.priority_area;
    if (name == "mode") have = f.mode;
    if (name == "body") have = f.body;
    if (name == "kind") have = f.kind;
    if (name == "source") have = f.source;
    if (name == "project_id") have = f.project_id;
    if (name == "role") have = f.role;
    if (name == "currency") have = f.currency;
    if (have != want) return false;
  }
  if (filter.year && f.year != filter.year) return false;
  if (filter.country &&
      std::find(f.countries.begin(), f.countries.end(), *filter.country) == f.countries.end()) {
    return false;
  }
  if (filter.text) {
    bool found = false;
    for (const projections::Text* t : f.names) {
      if (Lower(t->en).find(*filter.text) != std::string::npos ||
          t->zh.find(*filter.text) != std::string::npos) {
        found = true;
        break;
      }
    }
    if (!found) return false;
  }
  return true;
}

std::int64_t YearOf(const std::string& date) {
  std::int64_t year = 0;
  std::from_chars(date.data(), date.data() + std::min<std::size_t>(4, date.size()), year);
  return year;
}

Facets FacetsOf(const projections::Member& m) {
  Facets f;
  f.countries = {m.country};
  f.names = {&m.name};
  return f;
}

Facets FacetsOf(const projections::Body& b) {
  Facets f;
  f.status = b.dissolved ? "dissolved" : "active";
  f.kind = b.kind;
  if (!b.country.empty()) f.countries = {b.country};
  f.names = {&b.name};
  return f;
}

Facets FacetsOf(const projections::Officer& o) {
  Facets f;
  f.status = o.active ? "active" : "removed";
  f.body = o.body_id;
  f.role = o.role;
  f.countries = {o.country};
  f.names = {&o.name};
  return f;
}

Facets FacetsOf(const projections::Key& k) {
  Facets f;
  switch (k.status) {
    case projections::Key::Status::kActive:
      f.status = "active";
      break;
    case projections::Key::Status::kRevoked:
      f.status = "revoked";
      break;
    case projections::Key::Status::kRotated:
      f.status = "rotated";
      break;
  }
  return f;
}

Facets FacetsOf(const projections::Policy& p) {
  Facets f;
  f.status = p.in_force ? "in_force" : "repealed";
  f.body = p.body_id;
  return f;
}

Facets FacetsOf(const projections::Meeting& m) {
  Facets f;
  f.body = m.body_id;
  f.year = YearOf(m.held_on);
  f.names = {&m.title};
  return f;
}

Facets FacetsOf(const projections::Resolution& r) {
  Facets f;
  f.body = r.body_id;
  f.names = {&r.title};
  return f;
}

Facets FacetsOf(const projections::Project& p) {
  Facets f;
  f.status = p.status;
  f.priority_area = p.priority_area;
  f.mode = p.mode;
  f.year = p.year;
  for (const auto& partner : p.partners) f.countries.push_back(partner.country);
  f.names = {&p.title};
  return f;
}

Facets FacetsOf(const projections::Commitment& c) {
  Facets f;
  f.status = c.closed ? "closed" : "open";
  f.source = c.source;
  f.project_id = c.project_id;
  f.currency = c.currency;
  f.year = c.year;
  if (!c.party.empty()) f.countries = {c.party};
  if (!c.party_name.en.empty()) f.names = {&c.party_name};
  return f;
}

Facets FacetsOf(const projections::Partnership& p) {
  Facets f;
  f.status = p.status;
  f.kind = p.kind;
  f.countries.assign(p.countries.begin(), p.countries.end());
  f.names = {&p.name};
  return f;
}

// One kind of entity: its names in get and list, the filters it takes, and
// its collection in a state (keyed by id; a member by its country).
template <typename Entity>
struct Collection {
  // The many (projects, commitments) are kept in maps that copies of a state share.
  using Items = std::conditional_t<std::is_same_v<Entity, projections::Project> ||
                                       std::is_same_v<Entity, projections::Commitment>,
                                   projections::SharedById<Entity>, projections::ById<Entity>>;
  const char* one;   // get's kind
  const char* many;  // list's kind
  std::vector<std::string_view> filters;
  Items ProgrammeState::*items;
};

const Collection<projections::Member> kMembers{
    "member", "members", {"country", "text"}, &ProgrammeState::members};
const Collection<projections::Body> kBodies{
    "body", "bodies", {"status", "kind", "country", "text"}, &ProgrammeState::bodies};
const Collection<projections::Officer> kOfficers{"officer",
                                                 "officers",
                                                 {"status", "body", "role", "country", "text"},
                                                 &ProgrammeState::officers};
const Collection<projections::Key> kKeys{"key", "keys", {"status"}, &ProgrammeState::keys};
const Collection<projections::Policy> kPolicies{
    "policy", "policies", {"status", "body"}, &ProgrammeState::policies};
const Collection<projections::Meeting> kMeetings{
    "meeting", "meetings", {"body", "year", "text"}, &ProgrammeState::meetings};
const Collection<projections::Resolution> kResolutions{
    "resolution", "resolutions", {"body", "text"}, &ProgrammeState::resolutions};
const Collection<projections::Project> kProjects{
    "project",
    "projects",
    {"status", "priority_area", "mode", "country", "year", "text"},
    &ProgrammeState::projects};
const Collection<projections::Commitment> kCommitments{
    "commitment",
    "commitments",
    {"status", "source", "project_id", "currency", "country", "year", "text"},
    &ProgrammeState::commitments};
const Collection<projections::Partnership> kPartnerships{"partnership",
                                                         "partnerships",
                                                         {"status", "kind", "country", "text"},
                                                         &ProgrammeState::partnerships};

// Calls visit with the collection whose get (or list) name is `kind`;
// false when there is none.
template <typename Visit>
bool WithCollection(std::string_view kind, bool plural, Visit&& visit) {
  auto try_one = [&](const auto& c) {
    if (kind != (plural ? c.many : c.one)) return false;
    visit(c);
    return true;
  };
  return try_one(kMembers) || try_one(kBodies) || try_one(kOfficers) || try_one(kKeys) ||
         try_one(kPolicies) || try_one(kMeetings) || try_one(kResolutions) || try_one(kProjects) ||
         try_one(kCommitments) || try_one(kPartnerships);
}

constexpr std::string_view kKinds =
    "project, commitment, partnership, body, officer, key, policy, member, meeting or resolution";

Result<Value> Get(const projections::Programme& programme, const Params& params) {
  if (Status s = params.OnlyKnown({"kind", "key", "as_of"}); !s.ok()) return s;
  std::string kind, key;
  if (Status s = params.RequiredString("kind", &kind); !s.ok()) return s;
  if (Status s = params.RequiredString("key", &key); !s.ok()) return s;
  auto as_of = AsOfParam(programme, params);
  if (!as_of.ok()) return as_of.status();
  Result<Value> out = Status::Ok();
  const bool known = WithCollection(kind, false, [&](const auto& c) {
    Status s = WithStateAt(programme, *as_of, [&](const ProgrammeState& state) {
      const auto& items = state.*c.items;
      auto it = items.find(key);
      if (it == items.end()) {
        out = Status::NotFound("state.unknown", "there is no " + kind + " " + key);
      } else {
        out = Value(Value::Object{{"entity", projections::ToValue(it->second)},
                                  {"size", Count(state.size)}});
      }
    });
    if (!s.ok()) out = s;
  });
  if (!known) return BadParam("kind", "must be " + std::string(kKinds));
  return out;
}

Result<Value> List(const projections::Programme& programme, const Params& params) {
  if (Status s = params.OnlyKnown({"kind", "filter", "after", "limit", "as_of"}); !s.ok()) {
    return s;
  }
  std::string kind;
  std::optional<std::string> after;
  std::optional<std::int64_t> limit;
  std::optional<Value> filter_value;
  if (Status s = params.RequiredString("kind", &kind); !s.ok()) return s;
  if (Status s = params.String("after", &after); !s.ok()) return s;
  if (Status s = params.Integer("limit", 1, kListLimitMax, &limit); !s.ok()) return s;
  if (Status s = params.Structured("filter", Value::Kind::kObject, &filter_value); !s.ok()) {
    return s;
  }
  auto as_of = AsOfParam(programme, params);
  if (!as_of.ok()) return as_of.status();
  const auto page = static_cast<std::size_t>(limit.value_or(kListLimit));

  Result<Value> out = Status::Ok();
  const bool known = WithCollection(kind, true, [&](const auto& c) {
    Filter filter;
    if (filter_value) {
      for (const auto& [name, v] : filter_value->as_object()) {
        const std::string param = "filter." + name;
        if (std::find(c.filters.begin(), c.filters.end(), name) == c.filters.end()) {
          std::string known_filters;
          for (std::string_view f : c.filters) {
            known_filters += (known_filters.empty() ? "" : ", ") + std::string(f);
          }
          out =
              BadParam(param, "is not a filter of " + kind + " (they take " + known_filters + ")");
          return;
        }
        Value given = v;
        if (params.from_query()) {  // the query string's guess at a type may be wrong
          if (name == "year" && v.kind() == Value::Kind::kString && AllDigits(v.as_string())) {
            given = Value(static_cast<std::int64_t>(std::stoll(v.as_string())));
          } else if (name != "year" && v.kind() == Value::Kind::kInt) {
            given = Value(std::to_string(v.as_int()));
          }
        }
        if (name == "year") {
          if (given.kind() != Value::Kind::kInt) {
            out = BadParam(param, "must be an integer");
            return;
          }
          filter.year = given.as_int();
        } else if (given.kind() != Value::Kind::kString) {
          out = BadParam(param, "must be a string");
          return;
        } else if (name == "country") {
          filter.country = given.as_string();
        } else if (name == "text") {
          filter.text = Lower(given.as_string());
        } else {
          filter.exact.emplace(name, given.as_string());
        }
      }
    }
    Status s = WithStateAt(programme, *as_of, [&](const ProgrammeState& state) {
      Value::Array found;
      std::uint64_t total = 0;
      std::string last;
      bool more = false;
      const auto& items = state.*c.items;
      if (!filter_value || filter_value->as_object().empty()) {
        // Everything matches: the page starts right after the cursor and the
        // total is the collection's size, so a page costs O(log n + limit).
        auto it = after ? items.upper_bound(*after) : items.begin();
        for (; it != items.end() && found.size() < page; ++it) {
          found.push_back(projections::ToValue(it->second));
          last = it->first;
        }
        more = it != items.end();
        total = items.size();
      } else {
        for (const auto& [id, entity] : items) {
          if (!Matches(filter, FacetsOf(entity))) continue;
          ++total;
          if (after && id <= *after) continue;
          if (found.size() < page) {
            found.push_back(projections::ToValue(entity));
            last = id;
          } else {
            more = true;
          }
        }
      }
      out = Value(Value::Object{{"items", Value(std::move(found))},
                                {"next", more ? Value(last) : Value(nullptr)},
                                {"size", Count(state.size)},
                                {"total", Count(total)}});
    });
    if (!s.ok()) out = s;
  });
  if (!known) {
    return BadParam("kind",
                    "must be projects, commitments, partnerships, bodies, officers, keys, "
                    "policies, members, meetings or resolutions");
  }
  return out;
}

// ---------------------------------------------------------------------------
// Aggregates

Result<Value> Funding(const projections::Programme& programme, const Params& params) {
  if (Status s = params.OnlyKnown({"group_by", "as_of"}); !s.ok()) return s;
  std::vector<std::string> group_by;
  if (const Value* v = params.Find("group_by")) {
    if (params.from_query() && v->kind() == Value::Kind::kString && !v->as_string().empty() &&
        v->as_string().front() != '[') {
      // group_by=source,year
      std::string_view rest = v->as_string();
      while (!rest.empty()) {
        const std::size_t comma = rest.find(',');
        group_by.emplace_back(rest.substr(0, comma));
        rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
      }
    } else {
      std::optional<Value> dims;
      if (Status s = params.Structured("group_by", Value::Kind::kArray, &dims); !s.ok()) return s;
      for (const Value& d : dims->as_array()) {
        if (d.kind() != Value::Kind::kString) return BadParam("group_by", "must hold strings");
        group_by.push_back(d.as_string());
      }
    }
  }
  auto as_of = AsOfParam(programme, params);
  if (!as_of.ok()) return as_of.status();
  Value rows;
  std::string error;
  std::uint64_t size = 0;
  Status s = WithStateAt(programme, *as_of, [&](const ProgrammeState& state) {
    rows = projections::FundingAggregate(state, group_by, &error);
    size = state.size;
  });
  if (!s.ok()) return s;
  if (!error.empty()) return Status::Invalid("request.param", "\"group_by\": " + error);
  return Value(Value::Object{{"rows", std::move(rows)}, {"size", Count(size)}});
}

Result<Value> Summary(const projections::Programme& programme, const Params& params) {
  if (Status s = params.OnlyKnown({"as_of"}); !s.ok()) return s;
  auto as_of = AsOfParam(programme, params);
  if (!as_of.ok()) return as_of.status();
  // The current state's summary comes from its tallies, without a pass over it.
  Value summary;
  bool current = false;
  programme.WithTallied([&](const ProgrammeState& state, const projections::Tallies& tallies) {
    if (*as_of && state.size != **as_of) return;
    summary = projections::Summary(state, tallies);
    current = true;
  });
  if (current) return summary;
  Status s = WithStateAt(programme, *as_of, [&](const ProgrammeState& state) {
    summary = projections::Summary(state);
  });
  if (!s.ok()) return s;
  return summary;
}

// ---------------------------------------------------------------------------
// The log: events, authorities and proofs

// The entry of one event in audit and event results: the envelope, the
// policy it was taken under (its id as recorded, and the policy as it stands
// now, which may have been replaced or repealed since: compare adopted_seq
// and in_force), and with proofs its inclusion proof against `head`.
struct EventEntries {
  std::vector<ledger::AuditPage::Entry> events;

  Result<Value> ToValue(const projections::Programme& programme,
                        const ledger::TreeHead* head) const {
    std::map<std::string, Value> policies;
    for (const auto& e : events) {
      if (!e.authority.empty()) policies.emplace(e.authority, Value(nullptr));
    }
    if (!policies.empty()) {
      programme.WithState([&](const ProgrammeState& state) {
        for (auto& [id, policy] : policies) {
          if (auto it = state.policies.find(id); it != state.policies.end()) {
            policy = projections::ToValue(it->second);
          }
        }
      });
    }
    Value::Array out;
    out.reserve(events.size());
    for (const auto& e : events) {
      Value::Object entry{{"authority", e.authority.empty() ? Value(nullptr) : Value(e.authority)},
                          {"event", ledger::ToValue(e.event)},
                          {"policy", e.authority.empty() ? Value(nullptr) : policies[e.authority]}};
      if (head) {
        auto proof = programme.store().InclusionProof(e.event.sequence, head->size);
        if (!proof.ok()) return proof.status();
        entry.emplace_back("proof", HashList(*proof));
      }
      out.push_back(Value(std::move(entry)));
    }
    return Value(std::move(out));
  }
};

Result<Value> Audit(const projections::Programme& programme, const Params& params) {
  if (Status s = params.OnlyKnown(
          {"subject", "body", "signer", "type", "from", "to", "before", "limit", "proofs"});
      !s.ok()) {
    return s;
  }
  ledger::AuditQuery query;
  std::optional<std::string> signer, from, to;
  std::optional<std::int64_t> before, limit;
  bool proofs = false;
  if (Status s = params.String("subject", &query.subject); !s.ok()) return s;
  if (Status s = params.String("body", &query.body); !s.ok()) return s;
  if (Status s = params.String("type", &query.type); !s.ok()) return s;
  if (Status s = params.String("signer", &signer); !s.ok()) return s;
  if (Status s = params.String("from", &from); !s.ok()) return s;
  if (Status s = params.String("to", &to); !s.ok()) return s;
  if (Status s = params.Integer("before", 0, Value::kMaxInt, &before); !s.ok()) return s;
  if (Status s = params.Integer("limit", 1, kAuditLimitMax, &limit); !s.ok()) return s;
  if (Status s = params.Bool("proofs", &proofs); !s.ok()) return s;
  if (signer) {
    auto raw = FromHex(*signer);
    if (!raw || raw->size() != crypto::Hash().size()) {
      return BadParam("signer", "must be a key id of 64 hex digits");
    }
    query.signer.emplace();
    std::copy(raw->begin(), raw->end(), query.signer->begin());
  }
  for (auto [name, text, out] :
       {std::tuple{"from", &from, &query.issued_from}, std::tuple{"to", &to, &query.issued_to}}) {
    if (!*text) continue;
    auto t = ledger::ParseTimestamp(**text);
    if (!t.ok()) return BadParam(name, "must be an RFC 3339 time: " + t.status().message());
    *out = *t;
  }
  query.limit = static_cast<std::size_t>(limit.value_or(kAuditLimit));
  // Only events the returned tree head covers, so that every proof is
  // against it (an append may be committed before its head is published).
  const ledger::TreeHead head = programme.store().head();
  query.before =
      std::min<std::uint64_t>(before ? static_cast<std::uint64_t>(*before) : head.size, head.size);
  auto page = programme.store().Audit(query);
  if (!page.ok()) return page.status();
  auto events = EventEntries{std::move(page->events)}.ToValue(programme, proofs ? &head : nullptr);
  if (!events.ok()) return events.status();
  return Value(
      Value::Object{{"events", std::move(*events)},
                    {"next_before", page->next_before ? Count(*page->next_before) : Value(nullptr)},
                    {"tree_head", ledger::ToValue(head)}});
}

// The sequence named by exactly one of `sequence` and `decision_id`, below
// the size of the tree head given.
Result<std::uint64_t> EventParam(const projections::Programme& programme, const Params& params,
                                 std::uint64_t size) {
  std::optional<std::int64_t> sequence;
  std::optional<std::string> decision_id;
  if (Status s = params.Integer("sequence", 0, Value::kMaxInt, &sequence); !s.ok()) return s;
  if (Status s = params.String("decision_id", &decision_id); !s.ok()) return s;
  if (sequence.has_value() == decision_id.has_value()) {
    return OneOf("sequence", "decision_id");
  }
  std::uint64_t seq = 0;
  if (decision_id) {
    auto found = programme.store().Find(*decision_id);
    if (!found.ok()) {
      if (found.status().code() != Status::Code::kNotFound) return found.status();
      return Status::NotFound("event.unknown", "no decision \"" + *decision_id + "\" is recorded");
    }
    seq = *found;
  } else {
    seq = static_cast<std::uint64_t>(*sequence);
  }
  if (seq >= size) {
    return Status::NotFound("event.unknown", "there is no event " + std::to_string(seq) +
                                                 "; the log has " + std::to_string(size));
  }
  return seq;
}

Result<Value> Event(const projections::Programme& programme, const Params& params) {
  if (Status s = params.OnlyKnown({"sequence", "decision_id", "proofs"}); !s.ok()) return s;
  bool proofs = false;
  if (Status s = params.Bool("proofs", &proofs); !s.ok()) return s;
  const ledger::TreeHead head = programme.store().head();
  auto seq = EventParam(programme, params, head.size);
  if (!seq.ok()) return seq.status();
  EventEntries entries;
  auto event = programme.store().Read(*seq);
  if (!event.ok()) return event.status();
  auto authority = programme.store().Authority(*seq);
  if (!authority.ok()) return authority.status();
  entries.events.push_back({std::move(*event), std::move(*authority)});
  auto values = entries.ToValue(programme, proofs ? &head : nullptr);
  if (!values.ok()) return values.status();
  Value::Object out = values->as_array().front().as_object();
  if (proofs) out.emplace_back("tree_head", ledger::ToValue(head));
  return Value(std::move(out));
}

Value LogKey(const projections::Programme& programme) {
  const crypto::PublicKey& key = programme.store().log_key();
  return Value(Value::Object{{"key_id", key.key_id()}, {"public_key", ToBase64(key.raw())}});
}

Result<Value> TreeHead(const projections::Programme& programme, const Params& params) {
  if (Status s = params.OnlyKnown({}); !s.ok()) return s;
  return Value(Value::Object{{"log_key", LogKey(programme)},
                             {"tree_head", ledger::ToValue(programme.store().head())}});
}

// The tree head signed when the log was exactly `size` events long, if one was.
std::optional<ledger::TreeHead> SignedHeadAt(const projections::Programme& programme,
                                             const ledger::TreeHead& current, std::uint64_t size) {
  if (size == current.size) return current;
  auto head = programme.store().HeadAt(size);
  if (!head.ok()) return std::nullopt;
  return *head;
}

// A tree size parameter: at most the current tree head's size.
Status SizeParam(const Params& params, std::string_view name, std::int64_t min,
                 const ledger::TreeHead& head, std::uint64_t* out) {
  std::optional<std::int64_t> size;
  if (Status s = params.Integer(name, min, Value::kMaxInt, &size); !s.ok()) return s;
  if (!size) {
    *out = head.size;
    return Status::Ok();
  }
  if (static_cast<std::uint64_t>(*size) > head.size) {
    return Status::Invalid("log.range", std::string(name) + " " + std::to_string(*size) +
                                            " is beyond the log, whose tree head has size " +
                                            std::to_string(head.size));
  }
  *out = static_cast<std::uint64_t>(*size);
  return Status::Ok();
}

Result<Value> Inclusion(const projections::Programme& programme, const Params& params) {
  if (Status s = params.OnlyKnown({"sequence", "decision_id", "size"}); !s.ok()) return s;
  const ledger::Store& store = programme.store();
  const ledger::TreeHead head = store.head();
  std::uint64_t size = 0;
  if (Status s = SizeParam(params, "size", 1, head, &size); !s.ok()) return s;
  auto seq = EventParam(programme, params, head.size);
  if (!seq.ok()) return seq.status();
  if (*seq >= size) {
    return Status::Invalid("log.range", "event " + std::to_string(*seq) +
                                            " is not in the tree of size " + std::to_string(size));
  }
  auto event = store.Read(*seq);
  if (!event.ok()) return event.status();
  auto proof = store.InclusionProof(*seq, size);
  if (!proof.ok()) return proof.status();
  auto root = store.Root(size);
  if (!root.ok()) return root.status();
  Value::Object out{{"decision_id", event->decision.decision.id},
                    {"event", ledger::ToValue(*event)},
                    {"leaf_hash", ToHex(event->leaf_hash)},
                    {"proof", HashList(*proof)},
                    {"root", ToHex(*root)},
                    {"sequence", Count(*seq)},
                    {"size", Count(size)}};
  if (auto signed_head = SignedHeadAt(programme, head, size)) {
    out.emplace_back("tree_head", ledger::ToValue(*signed_head));
  }
  return Value(std::move(out));
}

Result<Value> Consistency(const projections::Programme& programme, const Params& params) {
  if (Status s = params.OnlyKnown({"from", "to"}); !s.ok()) return s;
  const ledger::Store& store = programme.store();
  const ledger::TreeHead head = store.head();
  std::uint64_t from = 0, to = 0;
  if (!params.Has("from")) return BadParam("from", "is missing");
  if (Status s = SizeParam(params, "from", 1, head, &from); !s.ok()) return s;
  if (Status s = SizeParam(params, "to", 1, head, &to); !s.ok()) return s;
  if (from > to) {
    return Status::Invalid("log.range",
                           "from " + std::to_string(from) + " is after to " + std::to_string(to));
  }
  auto proof = store.ConsistencyProof(from, to);
  if (!proof.ok()) return proof.status();
  auto from_root = store.Root(from);
  if (!from_root.ok()) return from_root.status();
  auto to_root = store.Root(to);
  if (!to_root.ok()) return to_root.status();
  Value::Object out{{"from", Count(from)},
                    {"from_root", ToHex(*from_root)},
                    {"proof", HashList(*proof)},
                    {"to", Count(to)},
                    {"to_root", ToHex(*to_root)}};
  if (auto signed_head = SignedHeadAt(programme, head, to)) {
    out.emplace_back("tree_head", ledger::ToValue(*signed_head));
  }
  if (auto signed_head = SignedHeadAt(programme, head, from)) {
    out.emplace_back("from_tree_head", ledger::ToValue(*signed_head));
  }
  return Value(std::move(out));
}

// ---------------------------------------------------------------------------
// Checkpoints and cosignatures (docs/witnesses.md)

Value CosignatureValue(const ledger::NoteSignature& s) {
  std::uint64_t time = 0;
  for (std::size_t i = 0; i < 8 && i < s.signature.size(); ++i) time = (time << 8) | s.signature[i];
  return Value(Value::Object{
      {"line", s.Line()}, {"time", static_cast<std::int64_t>(time)}, {"witness", s.name}});
}

// The checkpoint of the newest tree head, of the head at `size`, or of the
// newest head with stored cosignatures by at least `cosigned` witnesses; the
// note carries the log's signature, then every stored cosignature.
Result<Value> CheckpointOp(const projections::Programme& programme, const std::string& origin,
                           const Params& params) {
  if (Status s = params.OnlyKnown({"size", "cosigned"}); !s.ok()) return s;
  const ledger::Store& store = programme.store();
  const ledger::TreeHead head = store.head();
  std::optional<std::int64_t> cosigned;
  if (Status s = params.Integer(
          "cosigned", 1, static_cast<std::int64_t>(ledger::kMaxNoteSignatures) - 1, &cosigned);
      !s.ok()) {
    return s;
  }
  if (cosigned && params.Has("size")) return OneOf("size", "cosigned");
  std::uint64_t size = 0;
  if (Status s = SizeParam(params, "size", 1, head, &size); !s.ok()) return s;
  if (cosigned) {
    auto newest = store.NewestCosigned(static_cast<std::size_t>(*cosigned));
    if (!newest.ok()) {
      if (newest.status().rule() != "store.not_found") return newest.status();
      return Status::NotFound(
          "checkpoint.not_cosigned",
          "no checkpoint has cosignatures by " + std::to_string(*cosigned) + " witnesses yet");
    }
    size = *newest;
  }
  if (size == 0) return Status::NotFound("checkpoint.empty", "the log has no events yet");
  auto note = store.CheckpointNote(origin, size);
  if (!note.ok()) return note.status();
  auto cosignatures = store.Cosignatures(size);
  if (!cosignatures.ok()) return cosignatures.status();
  Value::Array listed;
  for (const auto& c : *cosignatures) {
    listed.push_back(CosignatureValue(c));
    note->signatures.push_back(c);
  }
  const ledger::NoteVerifier log =
      *ledger::MakeVerifier(origin, ledger::kNoteEd25519, store.log_key());
  auto body = ledger::ParseCheckpointBody(note->text);
  if (!body.ok()) return body.status();
  return Value(Value::Object{{"cosignatures", Value(std::move(listed))},
                             {"log_vkey", ledger::FormatVerifierKey(log)},
                             {"note", ledger::FormatNote(*note)},
                             {"origin", origin},
                             {"root", ToHex(body->root)},
                             {"size", Count(size)}});
}

// A witness's cosignature line for the checkpoint of the tree head at `size`:
// from a configured witness, valid over that checkpoint; then stored.
Result<Value> AddCosignatureOp(projections::Programme& programme, const std::string& origin,
                               const std::vector<ledger::NoteVerifier>& witnesses,
                               const Params& params) {
  if (Status s = params.OnlyKnown({"size", "cosignature"}); !s.ok()) return s;
  std::optional<std::int64_t> size;
  if (Status s = params.Integer("size", 1, Value::kMaxInt, &size); !s.ok()) return s;
  if (!size) return BadParam("size", "is missing");
  std::string line;
  if (Status s = params.RequiredString("cosignature", &line); !s.ok()) return s;
  auto cosignature = ledger::ParseSignatureLine(line);
  if (!cosignature.ok()) return cosignature.status();
  const auto witness = std::find_if(witnesses.begin(), witnesses.end(), [&](const auto& w) {
    return w.name == cosignature->name && w.key_hash == cosignature->key_hash;
  });
  if (witness == witnesses.end()) {
    return Status::Invalid("cosignature.unknown_witness",
                           "no witness \"" + cosignature->name + "\" with key hash " +
                               ToHex(cosignature->key_hash) +
                               " is configured here (ledgerd --witness-key)");
  }
  ledger::Store& store = programme.store();
  auto head = store.HeadAt(static_cast<std::uint64_t>(*size));
  if (!head.ok()) {
    if (head.status().rule() != "store.not_found") return head.status();
    return Status::Invalid("cosignature.size", "the log signed no tree head at size " +
                                                   std::to_string(*size) + " (its size is " +
                                                   std::to_string(store.size()) + ")");
  }
  const std::string body = ledger::CheckpointBody({origin, head->size, head->root, {}});
  auto time = ledger::VerifyCosignature(body, *cosignature, *witness);
  if (!time.ok()) return time.status();
  if (Status s = store.PutCosignature(head->size, *cosignature); !s.ok()) return s;
  return Value(Value::Object{{"size", Count(head->size)},
                             {"time", static_cast<std::int64_t>(*time)},
                             {"witness", cosignature->name}});
}

// ---------------------------------------------------------------------------
// as_of and diff

Result<Value> Read(const projections::Programme& programme, std::string_view op,
                   const Params& params);

Result<Value> AsOf(const projections::Programme& programme, const Params& params) {
  if (Status s = params.OnlyKnown({"at", "query"}); !s.ok()) return s;
  const Value* at = params.Find("at");
  if (!at) return BadParam("at", "is missing");
  std::optional<Value> query;
  if (Status s = params.Structured("query", Value::Kind::kObject, &query); !s.ok()) return s;
  if (!query) return BadParam("query", "is missing");
  const Value* op = query->find("op");
  if (!op || op->kind() != Value::Kind::kString) return BadParam("query.op", "is missing");
  const std::string& name = op->as_string();
  if (name != "get" && name != "list" && name != "funding" && name != "summary") {
    return BadParam("query.op", "must be get, list, funding or summary");
  }
  if (query->find("as_of")) return BadParam("query.as_of", "is given by \"at\"");
  Value::Object members = query->as_object();
  members.emplace_back("as_of", *at);
  return Read(programme, name, Params(Value(std::move(members)), params.from_query()));
}

Result<Value> DiffOp(const projections::Programme& programme, const Params& params) {
  if (Status s = params.OnlyKnown({"from", "to"}); !s.ok()) return s;
  std::uint64_t sizes[2];
  int i = 0;
  for (const char* name : {"from", "to"}) {
    const Value* point = params.Find(name);
    if (!point) return BadParam(name, "is missing");
    auto size = ResolvePoint(programme, *point, name, params.from_query());
    if (!size.ok()) return size.status();
    sizes[i++] = *size;
  }
  auto before = programme.SharedAsOf(sizes[0]);
  if (!before.ok()) return before.status();
  Value diff;
  Status s = WithStateAt(programme, sizes[1], [&](const ProgrammeState& after) {
    diff = projections::Diff(**before, after);
  });
  if (!s.ok()) return s;
  return diff;
}

// ---------------------------------------------------------------------------
// Dispatch

using ReadOp = Result<Value> (*)(const projections::Programme&, const Params&);

const std::map<std::string, ReadOp, std::less<>>& ReadOps() {
  static const std::map<std::string, ReadOp, std::less<>> ops{{"get", Get},
                                                              {"list", List},
                                                              {"funding", Funding},
                                                              {"summary", Summary},
                                                              {"as_of", AsOf},
                                                              {"diff", DiffOp},
                                                              {"audit", Audit},
                                                              {"event", Event},
                                                              {"tree_head", TreeHead},
                                                              {"inclusion", Inclusion},
                                                              {"consistency", Consistency}};
  return ops;
}

Result<Value> Read(const projections::Programme& programme, std::string_view op,
                   const Params& params) {
  const auto& ops = ReadOps();
  auto it = ops.find(op);
  if (it == ops.end()) {
    if (op == "submit" || op == "subscribe" || op == "unsubscribe") {
      return Status::Invalid("request.op", std::string(op) + " is only a WebSocket operation");
    }
    return Status::Invalid("request.op", "there is no operation \"" + std::string(op) + "\"");
  }
  return it->second(programme, params);
}

Value Respond(const Value* id, Result<Value> result) {
  if (!result.ok()) return Protocol::Error(id, result.status());
  return Protocol::Ok(id, std::move(*result));
}

// ---------------------------------------------------------------------------
// Submit

Status ExpectationFrom(const Value& v, std::string_view name,
                       std::optional<projections::Expectation>* out) {
  if (v.is_null()) return Status::Ok();
  const Value* subject = v.find("subject");
  const Value* sequence = v.find("sequence");
  if (!v.is_object() || v.as_object().size() != 2 || !subject ||
      subject->kind() != Value::Kind::kString || !sequence ||
      sequence->kind() != Value::Kind::kInt || sequence->as_int() < 0) {
    return BadParam(name, "must be {\"subject\": id, \"sequence\": N} or null");
  }
  *out = projections::Expectation{subject->as_string(),
                                  static_cast<std::uint64_t>(sequence->as_int())};
  return Status::Ok();
}

Value SubmittedValue(const std::string& decision_id, const projections::Submitted& d) {
  if (!d.status.ok()) {
    return Value(Value::Object{
        {"decision_id", decision_id}, {"message", d.status.message()}, {"rule", d.status.rule()}});
  }
  return Value(Value::Object{{"authority", d.authority},
                             {"decision_id", decision_id},
                             {"duplicate", d.duplicate},
                             {"leaf_hash", ToHex(d.leaf_hash)},
                             {"sequence", Count(d.sequence)}});
}

// The signed decision in `item`, as ledger::SignedDecisionFromValue reads it
// (the same checks, in the same order, and the same errors), with its
// payload moved out of the request instead of copied: the request is not
// read again. A payload that is not an object is left to the plain path (it
// is refused there).
Result<ledger::SignedDecision> TakeSignedDecision(Value& item) {
  Value* payload = item.find("payload");
  if (!payload || !payload->is_object()) return ledger::SignedDecisionFromValue(item);
  Value taken = std::move(*payload);
  *payload = Value(Value::Object{});  // an object, as the one taken: the same checks pass
  auto d = ledger::SignedDecisionFromValue(item);
  if (d.ok()) d->decision.payload = std::move(taken);
  return d;
}

// The response to a submission from the writer's outcome.
Value SubmitResponse(const Value* id, const std::vector<std::string>& decision_ids, bool batch,
                     const Result<projections::SubmitResult>& outcome) {
  if (!outcome.ok()) return Protocol::Error(id, outcome.status());
  const auto& decisions = outcome->decisions;
  // The first decision refused on its own account (the others of a refused
  // batch carry "batch.refused").
  std::optional<std::size_t> refused;
  for (std::size_t i = 0; i < decisions.size(); ++i) {
    if (!decisions[i].status.ok() &&
        (!refused || (decisions[*refused].status.rule() == "batch.refused" &&
                      decisions[i].status.rule() != "batch.refused"))) {
      refused = i;
    }
  }
  Value::Array each;
  for (std::size_t i = 0; i < decisions.size(); ++i) {
    each.push_back(SubmittedValue(decision_ids[i], decisions[i]));
  }
  if (refused) {
    const Status& s = decisions[*refused].status;
    if (!batch) return Protocol::Error(id, s);
    Value response = Protocol::Error(
        id, Status::Invalid(s.rule(), "decisions[" + std::to_string(*refused) + "] (" +
                                          decision_ids[*refused] + "): " + s.message() +
                                          "; none of the " + std::to_string(decisions.size()) +
                                          " decisions was appended"));
    auto& members = std::get<Value::Object>(response.variant());
    for (auto& [name, value] : members) {
      if (name == "error") {
        Value::Object error = value.as_object();
        error.emplace_back("decisions", Value(std::move(each)));
        value = Value(std::move(error));
      }
    }
    return response;
  }
  return Protocol::Ok(id, Value(Value::Object{{"decisions", Value(std::move(each))},
                                              {"tree_head", ledger::ToValue(outcome->head)}}));
}

}  // namespace

Protocol::Protocol(projections::Programme& programme, Writer& writer)
    : programme_(programme),
      writer_(writer),
      origin_(ledger::DefaultOrigin(programme.store().log_key())) {}

Status Protocol::Witness(std::string origin, std::vector<ledger::NoteVerifier> witnesses) {
  if (origin.empty()) origin = ledger::DefaultOrigin(programme_.store().log_key());
  if (Status s = ledger::CheckOrigin(origin); !s.ok()) return s;
  for (const auto& w : witnesses) {
    if (w.type != ledger::kCosignatureV1) {
      return Status::Invalid("server.witness", "the witness key " + ledger::FormatVerifierKey(w) +
                                                   " is not a cosignature/v1 (type 4) key");
    }
  }
  origin_ = std::move(origin);
  witnesses_ = std::move(witnesses);
  return Status::Ok();
}

Value Protocol::AddCosignature(const Value& params) {
  if (!params.is_object()) {
    return Error(nullptr, Status::Invalid("request.shape", "parameters are a JSON object"));
  }
  return Respond(nullptr, AddCosignatureOp(programme_, origin_, witnesses_, Params(params, true)));
}

Value Protocol::Ok(const Value* id, Value result) {
  return Value(Value::Object{
      {"id", id ? *id : Value(nullptr)}, {"ok", true}, {"result", std::move(result)}});
}

Value Protocol::Error(const Value* id, const Status& status) {
  return Value(Value::Object{
      {"error", Value(Value::Object{{"message", status.message()}, {"rule", status.rule()}})},
      {"id", id ? *id : Value(nullptr)},
      {"ok", false}});
}

Value Protocol::HandleRead(const std::string& op, const Value& params) {
  if (!params.is_object()) {
    return Error(nullptr, Status::Invalid("request.shape", "parameters are a JSON object"));
  }
  if (op == "checkpoint")
    return Respond(nullptr, CheckpointOp(programme_, origin_, Params(params, true)));
  if (op == "add_cosignature") {
    return Error(nullptr, Status::Invalid("request.op",
                                          "add_cosignature is a WebSocket operation, or POST "
                                          "/cosignature?size=N with the line as the body"));
  }
  return Respond(nullptr, Read(programme_, op, Params(params, true)));
}

void Protocol::Handle(Value request, const Done& done) {
  if (!request.is_object()) {
    done(Error(nullptr, Status::Invalid("request.shape", "a request is a JSON object")));
    return;
  }
  const Value* id = request.find("id");
  if (!id || (id->kind() != Value::Kind::kString && id->kind() != Value::Kind::kInt)) {
    done(Error(nullptr, Status::Invalid("request.shape",
                                        "a request needs an \"id\" (a string or an integer)")));
    return;
  }
  const Value* op = request.find("op");
  if (!op || op->kind() != Value::Kind::kString) {
    done(Error(id, Status::Invalid("request.shape", "a request needs an \"op\" (a string)")));
    return;
  }
  const Params params(request, false);
  if (op->as_string() == "checkpoint") {
    done(Respond(id, CheckpointOp(programme_, origin_, params)));
    return;
  }
  if (op->as_string() == "add_cosignature") {
    done(Respond(id, AddCosignatureOp(programme_, origin_, witnesses_, params)));
    return;
  }
  if (op->as_string() != "submit") {
    done(Respond(id, Read(programme_, op->as_string(), params)));
    return;
  }

  if (Status s = params.OnlyKnown({"decision", "decisions", "expect"}); !s.ok()) {
    done(Error(id, s));
    return;
  }
  // The request is ours (taken by value): its decisions are taken from it.
  Value* const one = request.find("decision");
  Value* const many = request.find("decisions");
  if ((one != nullptr) == (many != nullptr)) {
    done(Error(id, OneOf("decision", "decisions")));
    return;
  }
  Submission submission;
  submission.batch = many != nullptr;
  std::vector<Value*> items;
  if (many) {
    if (many->kind() != Value::Kind::kArray || many->as_array().empty()) {
      done(Error(id, BadParam("decisions", "must be a non-empty array of signed decisions")));
      return;
    }
    for (Value& item : std::get<Value::Array>(many->variant())) items.push_back(&item);
  } else {
    items.push_back(one);
  }
  std::vector<std::string> decision_ids;
  for (std::size_t i = 0; i < items.size(); ++i) {
    auto d = TakeSignedDecision(*items[i]);
    if (!d.ok()) {
      const std::string where = many ? "decisions[" + std::to_string(i) + "]: " : "";
      done(Error(id, Status::Invalid(d.status().rule(), where + d.status().message())));
      return;
    }
    decision_ids.push_back(d->decision.id);
    submission.decisions.push_back(std::move(*d));
  }
  if (const Value* expect = params.Find("expect")) {
    submission.expectations.resize(items.size());
    Status s;
    if (!many) {
      s = ExpectationFrom(*expect, "expect", &submission.expectations[0]);
    } else if (expect->kind() != Value::Kind::kArray || expect->as_array().size() != items.size()) {
      s = BadParam("expect", "must be an array with one expectation (or null) per decision");
    } else {
      for (std::size_t i = 0; i < items.size() && s.ok(); ++i) {
        s = ExpectationFrom(expect->as_array()[i], "expect[" + std::to_string(i) + "]",
                            &submission.expectations[i]);
      }
    }
    if (!s.ok()) {
      done(Error(id, s));
      return;
    }
  }
  const bool batch = submission.batch;
  submission.done = [id = *id, decision_ids, batch,
                     done](Result<projections::SubmitResult> outcome) {
    done(SubmitResponse(&id, decision_ids, batch, outcome));
  };
  if (!writer_.Submit(std::move(submission))) {
    done(Error(id, Status::Invalid("server.stopping",
                                   "the server is shutting down; resubmit later "
                                   "(a decision id makes that safe)")));
  }
}

}  // namespace pl::api
