#include "projections/views.h"

#include <algorithm>
#include <compare>
#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "crypto/bytes.h"

namespace pl::projections {

using ledger::Value;

namespace {

// Sequence numbers count events, so they stay far below Value::kMaxInt.
Value SeqValue(Seq seq) { return Value(static_cast<std::int64_t>(seq)); }

Value OptionalSeqValue(const std::optional<Seq>& seq) {
  return seq ? SeqValue(*seq) : Value(nullptr);
}

Value TimeValue(Timestamp t) { return Value(ledger::FormatTimestamp(t)); }

// The state keeps an absent optional id, date or country as an empty string.
Value OptionalString(const std::string& s) { return s.empty() ? Value(nullptr) : Value(s); }

Value TextValue(const Text& t) {
  if (t.zh.empty()) return Value(Value::Object{{"en", t.en}});
  return Value(Value::Object{{"en", t.en}, {"zh", t.zh}});
}

Value MoneyValue(const Money& m) {
  return Value(Value::Object{{"amount", m.amount}, {"currency", m.currency}});
}

Value OptionalMoneyValue(const std::optional<Money>& m) {
  return m ? MoneyValue(*m) : Value(nullptr);
}

Value Strings(const std::vector<std::string>& items) {
  Value::Array out;
  out.reserve(items.size());
  for (const std::string& s : items) out.emplace_back(s);
  return Value(std::move(out));
}

Value Texts(const std::vector<Text>& items) {
  Value::Array out;
  out.reserve(items.size());
  for (const Text& t : items) out.push_back(TextValue(t));
  return Value(std::move(out));
}

const char* KeyStatusName(Key::Status status) {
  switch (status) {
    case Key::Status::kActive:
      return "active";
    case Key::Status::kRevoked:
      return "revoked";
    case Key::Status::kRotated:
      return "rotated";
  }
  return "unknown";
}

Value CountValue(std::size_t n) { return Value(static_cast<std::int64_t>(n)); }

// Counts keyed by a value the rules restrict to identifiers (statuses, kinds,
// areas, modes, currencies), so each key is a valid object key.
using Tally = std::map<std::string, std::int64_t>;

Value TallyValue(const Tally& tally) {
  Value::Object out;
  out.reserve(tally.size());
  for (const auto& [key, n] : tally) out.emplace_back(key, n);
  return Value(std::move(out));  // std::map order is already key order
}

}  // namespace

Value ToValue(const Member& m) {
  return Value(Value::Object{{"country", m.country},
                             {"name", TextValue(m.name)},
                             {"admitted_seq", SeqValue(m.admitted_seq)},
                             {"admitted_at", TimeValue(m.admitted_at)}});
}

Value ToValue(const Body& b) {
  return Value(Value::Object{{"body_id", b.id},
                             {"kind", b.kind},
                             {"name", TextValue(b.name)},
                             {"parent_id", OptionalString(b.parent_id)},
                             {"country", OptionalString(b.country)},
                             {"dissolved", b.dissolved},
                             {"constituted_seq", SeqValue(b.constituted_seq)}});
}

Value ToValue(const Officer& o) {
  return Value(Value::Object{{"officer_id", o.id},
                             {"body_id", o.body_id},
                             {"role", o.role},
                             {"name", TextValue(o.name)},
                             {"country", o.country},
                             {"active", o.active},
                             {"appointed_seq", SeqValue(o.appointed_seq)},
                             {"removed_seq", OptionalSeqValue(o.removed_seq)}});
}

Value ToValue(const Key& k) {
  return Value(Value::Object{{"key_id", k.key_id},
                             {"public_key", ToBase64(k.public_key)},
                             {"officer_id", k.officer_id},
                             {"status", KeyStatusName(k.status)},
                             {"registered_seq", SeqValue(k.registered_seq)},
                             {"registered_at", TimeValue(k.registered_at)},
                             {"ended_seq", OptionalSeqValue(k.ended_seq)},
                             {"ended_at", k.ended_seq ? TimeValue(k.ended_at) : Value(nullptr)},
                             {"replaced_by", OptionalString(k.replaced_by)}});
}

Value ToValue(const Policy& p) {
  return Value(Value::Object{{"policy_id", p.id},
                             {"body_id", p.body_id},
                             {"types", Strings(p.types)},
                             {"min_signatures", p.min_signatures},
                             {"required_roles", Strings(p.required_roles)},
                             {"ceiling", OptionalMoneyValue(p.ceiling)},
                             {"in_force", p.in_force},
                             {"adopted_seq", SeqValue(p.adopted_seq)}});
}

Value ToValue(const Meeting& m) {
  return Value(Value::Object{{"meeting_id", m.id},
                             {"body_id", m.body_id},
                             {"held_on", m.held_on},
                             {"location", m.location},
                             {"title", TextValue(m.title)},
                             {"seq", SeqValue(m.seq)}});
}

Value ToValue(const Resolution& r) {
  return Value(Value::Object{{"resolution_id", r.id},
                             {"meeting_id", r.meeting_id},
                             {"body_id", r.body_id},
                             {"title", TextValue(r.title)},
                             {"adopts", Strings(r.adopts)},
                             {"seq", SeqValue(r.seq)}});
}

Value ToValue(const Project& p) {
  Value::Array partners;
  partners.reserve(p.partners.size());
  for (const Partner& partner : p.partners) {
    partners.emplace_back(Value::Object{{"institution", TextValue(partner.institution)},
                                        {"country", partner.country}});
  }
  Value::Array milestones;
  milestones.reserve(p.milestones.size());
  for (const Milestone& m : p.milestones) {
    milestones.emplace_back(Value::Object{{"name", m.name},
                                          {"summary", m.summary},
                                          {"reached_on", m.reached_on},
                                          {"seq", SeqValue(m.seq)}});
  }
  Value evaluation = nullptr;
  if (p.evaluation) {
    evaluation = Value(Value::Object{{"rating", p.evaluation->rating},
                                     {"summary", p.evaluation->summary},
                                     {"seq", SeqValue(p.evaluation->seq)}});
  }
  return Value(Value::Object{{"project_id", p.id},
                             {"title", TextValue(p.title)},
                             {"priority_area", p.priority_area},
                             {"mode", p.mode},
                             {"lead_institution", TextValue(p.lead_institution)},
                             {"partners", Value(std::move(partners))},
                             {"proposed_budget", MoneyValue(p.proposed_budget)},
                             {"approved_budget", OptionalMoneyValue(p.approved_budget)},
                             {"start_date", p.start_date},
                             {"end_date", p.end_date},
                             {"status", p.status},
                             {"milestones", Value(std::move(milestones))},
                             {"evaluation", std::move(evaluation)},
                             {"year", p.year},
                             {"proposed_seq", SeqValue(p.proposed_seq)},
                             {"last_seq", SeqValue(p.last_seq)},
                             {"last_issued_at", TimeValue(p.last_issued_at)}});
}

Value ToValue(const Commitment& c) {
  Value::Array tranches;
  tranches.reserve(c.tranches.size());
  for (const Tranche& t : c.tranches) {
    tranches.emplace_back(Value::Object{{"tranche_id", t.id},
                                        {"amount", t.amount},
                                        {"disbursed_on", t.disbursed_on},
                                        {"seq", SeqValue(t.seq)}});
  }
  return Value(Value::Object{
      {"commitment_id", c.id},
      {"project_id", c.project_id},
      {"source", c.source},
      {"party", OptionalString(c.party)},
      {"party_name", c.party_name.en.empty() ? Value(nullptr) : TextValue(c.party_name)},
      {"currency", c.currency},
      {"committed", c.committed},
      {"disbursed", c.disbursed},
      {"returned", c.returned},
      {"spent", c.spent},
      {"year", c.year},
      {"closed", c.closed},
      {"tranches", Value(std::move(tranches))},
      {"committed_seq", SeqValue(c.committed_seq)},
      {"last_seq", SeqValue(c.last_seq)},
      {"last_issued_at", TimeValue(c.last_issued_at)}});
}

Value ToValue(const Partnership& p) {
  return Value(Value::Object{{"partnership_id", p.id},
                             {"kind", p.kind},
                             {"name", TextValue(p.name)},
                             {"countries", Strings(p.countries)},
                             {"institutions", Texts(p.institutions)},
                             {"established_on", p.established_on},
                             {"until", OptionalString(p.until)},
                             {"status", p.status},
                             {"established_seq", SeqValue(p.established_seq)},
                             {"last_seq", SeqValue(p.last_seq)},
                             {"last_issued_at", TimeValue(p.last_issued_at)}});
}

// ---------------------------------------------------------------------------
// Summary

namespace {

void Add(Amounts* a, const Commitment& c, std::int64_t sign = 1) {
  a->committed += sign * c.committed;
  a->disbursed += sign * c.disbursed;
  a->returned += sign * c.returned;
  a->spent += sign * c.spent;
  a->commitments += sign;
}

// The members shared by the summary's currencies and the aggregate's rows.
Value::Object Members(const Amounts& a) {
  return {{"committed", a.committed},
          {"disbursed", a.disbursed},
          {"returned", a.returned},
          {"spent", a.spent},
          {"commitments", a.commitments}};
}

void Bump(Tally* tally, const std::string& key, std::int64_t sign) {
  auto it = tally->try_emplace(key, 0).first;
  if ((it->second += sign) == 0) tally->erase(it);
}

}  // namespace

Tallies Tallies::Of(const ProgrammeState& state) {
  Tallies t;
  for (const auto& [id, p] : state.projects) {
    ++t.project_statuses[p.status];
    ++t.project_areas[p.priority_area];
    ++t.project_modes[p.mode];
  }
  for (const auto& [id, p] : state.partnerships) {
    ++t.partnership_kinds[p.kind];
    ++t.partnership_statuses[p.status];
  }
  for (const auto& [id, c] : state.commitments) Add(&t.funding[c.currency], c);
  return t;
}

void Tallies::Count(const ProgrammeState& state, const std::vector<std::string>& ids, int sign) {
  for (const std::string& id : ids) {
    if (auto p = state.projects.find(id); p != state.projects.end()) {
      Bump(&project_statuses, p->second.status, sign);
      Bump(&project_areas, p->second.priority_area, sign);
      Bump(&project_modes, p->second.mode, sign);
    }
    if (auto p = state.partnerships.find(id); p != state.partnerships.end()) {
      Bump(&partnership_kinds, p->second.kind, sign);
      Bump(&partnership_statuses, p->second.status, sign);
    }
    if (auto c = state.commitments.find(id); c != state.commitments.end()) {
      auto it = funding.try_emplace(c->second.currency).first;
      Add(&it->second, c->second, sign);
      if (it->second.commitments == 0) funding.erase(it);
    }
  }
}

Value Summary(const ProgrammeState& state) { return Summary(state, Tallies::Of(state)); }

Value Summary(const ProgrammeState& state, const Tallies& tallies) {
  Tally body_kinds;
  std::int64_t bodies_dissolved = 0;
  for (const auto& [id, b] : state.bodies) {
    ++body_kinds[b.kind];
    if (b.dissolved) ++bodies_dissolved;
  }
  const auto officers_active = std::count_if(state.officers.begin(), state.officers.end(),
                                             [](const auto& entry) { return entry.second.active; });
  // Every status is listed, even at zero, so a dashboard's columns are fixed.
  Tally key_statuses{{"active", 0}, {"revoked", 0}, {"rotated", 0}};
  for (const auto& [id, k] : state.keys) ++key_statuses[KeyStatusName(k.status)];
  const auto policies_in_force =
      std::count_if(state.policies.begin(), state.policies.end(),
                    [](const auto& entry) { return entry.second.in_force; });

  Value::Object funding;
  funding.reserve(tallies.funding.size());
  for (const auto& [currency, amounts] : tallies.funding) {
    funding.emplace_back(currency, Value(Members(amounts)));
  }

  return Value(Value::Object{
      {"size", SeqValue(state.size)},
      {"as_of", state.size == 0 ? Value(nullptr) : TimeValue(state.last_recorded_at)},
      {"programme", state.size == 0 ? Value(nullptr) : TextValue(state.programme)},
      {"members", CountValue(state.members.size())},
      {"bodies", Value(Value::Object{{"total", CountValue(state.bodies.size())},
                                     {"dissolved", bodies_dissolved},
                                     {"by_kind", TallyValue(body_kinds)}})},
      {"officers", Value(Value::Object{{"total", CountValue(state.officers.size())},
                                       {"active", static_cast<std::int64_t>(officers_active)}})},
      {"keys", Value(Value::Object{{"total", CountValue(state.keys.size())},
                                   {"by_status", TallyValue(key_statuses)}})},
      {"policies",
       Value(Value::Object{{"total", CountValue(state.policies.size())},
                           {"in_force", static_cast<std::int64_t>(policies_in_force)}})},
      {"meetings", CountValue(state.meetings.size())},
      {"resolutions", CountValue(state.resolutions.size())},
      {"projects", Value(Value::Object{{"total", CountValue(state.projects.size())},
                                       {"by_status", TallyValue(tallies.project_statuses)},
                                       {"by_priority_area", TallyValue(tallies.project_areas)},
                                       {"by_mode", TallyValue(tallies.project_modes)}})},
      {"partnerships",
       Value(Value::Object{{"total", CountValue(state.partnerships.size())},
                           {"by_kind", TallyValue(tallies.partnership_kinds)},
                           {"by_status", TallyValue(tallies.partnership_statuses)}})},
      {"funding", Value(Value::Object{{"commitments", CountValue(state.commitments.size())},
                                      {"by_currency", Value(std::move(funding))}})}});
}

// ---------------------------------------------------------------------------
// FundingAggregate

namespace {

enum class Dimension { kSource, kParty, kCountry, kPriorityArea, kMode, kYear, kCurrency };

constexpr std::pair<std::string_view, Dimension> kDimensions[] = {
    {"source", Dimension::kSource},     {"party", Dimension::kParty},
    {"country", Dimension::kCountry},   {"priority_area", Dimension::kPriorityArea},
    {"mode", Dimension::kMode},         {"year", Dimension::kYear},
    {"currency", Dimension::kCurrency},
};

// One coordinate of a group. Ordered null < integer < string, so rows sort
// deterministically and years sort as numbers. The text views the state's own
// strings (which outlive the aggregation), so grouping allocates nothing per
// commitment.
struct Cell {
  enum class Kind : std::uint8_t { kNull, kInt, kString };
  Kind kind = Kind::kNull;
  std::int64_t number = 0;
  std::string_view text;

  static Cell Of(std::string_view s) { return s.empty() ? Cell{} : Cell{Kind::kString, 0, s}; }
  static Cell Of(std::int64_t n) { return Cell{Kind::kInt, n, {}}; }

  Value ToValue() const {
    switch (kind) {
      case Kind::kNull:
        return nullptr;
      case Kind::kInt:
        return number;
      case Kind::kString:
        return std::string(text);
    }
    return nullptr;
  }

  auto operator<=>(const Cell&) const = default;
};

using Group = std::vector<Cell>;

struct GroupHash {
  std::size_t operator()(const Group& group) const {
    std::size_t h = group.size();
    for (const Cell& cell : group) {
      const std::size_t part = cell.kind == Cell::Kind::kString
                                   ? std::hash<std::string_view>{}(cell.text)
                                   : std::hash<std::int64_t>{}(cell.number);
      h ^= part + 0x9e3779b97f4a7c15 + (h << 6) + (h >> 2);
    }
    return h;
  }
};

// The projects by id, for one aggregation. A std::map lookup costs a cache
// miss per tree level, which dominates a pass over 10^5 commitments; this
// open-addressing table costs about one miss per lookup, plus the project
// itself, and one allocation to build.
class ProjectIndex {
 public:
  explicit ProjectIndex(const SharedById<Project>& projects) {
    std::size_t capacity = 16;
    while (capacity < 2 * projects.size()) capacity *= 2;
    slots_.resize(capacity);
    for (const auto& [id, project] : projects) {
      const std::size_t hash = std::hash<std::string_view>{}(id);
      std::size_t i = hash & (capacity - 1);
      while (slots_[i].project) i = (i + 1) & (capacity - 1);
      slots_[i] = {hash, &project};
    }
  }

  // nullptr when no project has this id.
  const Project* Find(std::string_view id) const {
    const std::size_t mask = slots_.size() - 1;
    const std::size_t hash = std::hash<std::string_view>{}(id);
    for (std::size_t i = hash & mask; slots_[i].project; i = (i + 1) & mask) {
      if (slots_[i].hash == hash && slots_[i].project->id == id) return slots_[i].project;
    }
    return nullptr;
  }

 private:
  struct Slot {
    std::size_t hash = 0;
    const Project* project = nullptr;
  };
  std::vector<Slot> slots_;  // at most half full, so every probe ends at an empty slot
};

// The coordinate of commitment c (of project p, which may be missing from a
// hand-built state) along d. The country dimension is filled in by the caller.
Cell CellOf(Dimension d, const Commitment& c, const Project* p) {
  switch (d) {
    case Dimension::kSource:
      return Cell::Of(c.source);
    case Dimension::kParty:
      return Cell::Of(c.party.empty() ? c.party_name.en : c.party);
    case Dimension::kCountry:
      return {};
    case Dimension::kPriorityArea:
      return p ? Cell::Of(p->priority_area) : Cell{};
    case Dimension::kMode:
      return p ? Cell::Of(p->mode) : Cell{};
    case Dimension::kYear:
      return Cell::Of(c.year);
    case Dimension::kCurrency:
      return Cell::Of(c.currency);
  }
  return {};
}

}  // namespace

Value FundingAggregate(const ProgrammeState& state, const std::vector<std::string>& group_by,
                       std::string* error) {
  std::vector<Dimension> dims;
  std::vector<std::string> names;
  dims.reserve(group_by.size() + 1);
  for (const std::string& name : group_by) {
    const auto* it = std::find_if(std::begin(kDimensions), std::end(kDimensions),
                                  [&](const auto& d) { return d.first == name; });
    std::string problem;
    if (it == std::end(kDimensions)) {
      problem = "unknown funding dimension \"" + name +
                "\" (source, party, country, priority_area, mode, year, currency)";
    } else if (std::find(dims.begin(), dims.end(), it->second) != dims.end()) {
      problem = "funding dimension \"" + name + "\" given twice";
    }
    if (!problem.empty()) {
      if (error) *error = std::move(problem);
      return Value(Value::Array{});
    }
    dims.push_back(it->second);
    names.push_back(name);
  }
  // Amounts in different currencies are never added together.
  if (std::find(dims.begin(), dims.end(), Dimension::kCurrency) == dims.end()) {
    dims.push_back(Dimension::kCurrency);
    names.emplace_back("currency");
  }
  const auto country_at = std::find(dims.begin(), dims.end(), Dimension::kCountry);
  const bool by_country = country_at != dims.end();
  const std::size_t country_index = static_cast<std::size_t>(country_at - dims.begin());
  const bool needs_project =
      by_country || std::find_if(dims.begin(), dims.end(), [](Dimension d) {
                      return d == Dimension::kPriorityArea || d == Dimension::kMode;
                    }) != dims.end();

  const std::optional<ProjectIndex> projects =
      needs_project ? std::make_optional<ProjectIndex>(state.projects) : std::nullopt;

  // Hashed while accumulating (groups are few and hot), sorted once at the end.
  std::unordered_map<Group, Amounts, GroupHash> rows;
  const auto add = [&rows](const Group& group, const Commitment& c) {
    auto it = rows.find(group);
    if (it == rows.end()) it = rows.emplace(group, Amounts{}).first;
    Add(&it->second, c);
  };
  Group group(dims.size());
  std::vector<std::string_view> countries;
  for (const auto& [id, c] : state.commitments) {
    const Project* project = projects ? projects->Find(c.project_id) : nullptr;
    for (std::size_t i = 0; i < dims.size(); ++i) group[i] = CellOf(dims[i], c, project);
    if (!by_country) {
      add(group, c);
      continue;
    }
    // Once per distinct partner country: a project with two partners from the
    // same country must not count its money twice for that country.
    countries.clear();
    if (project) {
      for (const Partner& partner : project->partners) countries.push_back(partner.country);
    }
    std::sort(countries.begin(), countries.end());
    countries.erase(std::unique(countries.begin(), countries.end()), countries.end());
    if (countries.empty()) {
      add(group, c);  // under a null country, so no commitment goes missing
      continue;
    }
    for (std::string_view country : countries) {
      group[country_index] = Cell::Of(country);
      add(group, c);
    }
  }

  std::vector<const std::pair<const Group, Amounts>*> sorted;
  sorted.reserve(rows.size());
  for (const auto& row : rows) sorted.push_back(&row);
  std::sort(sorted.begin(), sorted.end(),
            [](const auto* a, const auto* b) { return a->first < b->first; });
  Value::Array out;
  out.reserve(sorted.size());
  for (const auto* entry : sorted) {
    const auto& [key, amounts] = *entry;
    Value::Object g;
    g.reserve(key.size());
    for (std::size_t i = 0; i < key.size(); ++i) g.emplace_back(names[i], key[i].ToValue());
    Value::Object row = Members(amounts);
    row.emplace_back("group", Value(std::move(g)));
    out.emplace_back(std::move(row));
  }
  if (error) error->clear();
  return Value(std::move(out));
}

// ---------------------------------------------------------------------------
// Diff

namespace {

struct CollectionDiff {
  Value::Array added, removed, changed;
};

// Walks two id-ordered maps together: one pass, no lookups.
template <typename Map>
CollectionDiff DiffMaps(const Map& before, const Map& after) {
  CollectionDiff d;
  auto b = before.begin();
  auto a = after.begin();
  while (b != before.end() || a != after.end()) {
    if (a == after.end() || (b != before.end() && b->first < a->first)) {
      d.removed.push_back(ToValue(b->second));
      ++b;
    } else if (b == before.end() || a->first < b->first) {
      d.added.push_back(ToValue(a->second));
      ++a;
    } else {
      if (!(b->second == a->second)) {
        d.changed.emplace_back(Value::Object{
            {"id", a->first}, {"before", ToValue(b->second)}, {"after", ToValue(a->second)}});
      }
      ++b;
      ++a;
    }
  }
  return d;
}

}  // namespace

Value Diff(const ProgrammeState& before, const ProgrammeState& after) {
  Value::Object changes;
  Value::Object counts;
  const auto add = [&](const char* name, CollectionDiff d) {
    if (d.added.empty() && d.removed.empty() && d.changed.empty()) return;
    counts.emplace_back(name, Value(Value::Object{{"added", CountValue(d.added.size())},
                                                  {"removed", CountValue(d.removed.size())},
                                                  {"changed", CountValue(d.changed.size())}}));
    Value::Object body;
    if (!d.added.empty()) body.emplace_back("added", Value(std::move(d.added)));
    if (!d.removed.empty()) body.emplace_back("removed", Value(std::move(d.removed)));
    if (!d.changed.empty()) body.emplace_back("changed", Value(std::move(d.changed)));
    changes.emplace_back(name, Value(std::move(body)));
  };
  add("members", DiffMaps(before.members, after.members));
  add("bodies", DiffMaps(before.bodies, after.bodies));
  add("officers", DiffMaps(before.officers, after.officers));
  add("keys", DiffMaps(before.keys, after.keys));
  add("policies", DiffMaps(before.policies, after.policies));
  add("meetings", DiffMaps(before.meetings, after.meetings));
  add("resolutions", DiffMaps(before.resolutions, after.resolutions));
  add("projects", DiffMaps(before.projects, after.projects));
  add("commitments", DiffMaps(before.commitments, after.commitments));
  add("partnerships", DiffMaps(before.partnerships, after.partnerships));

  Value::Object out{{"from", SeqValue(before.size)},
                    {"to", SeqValue(after.size)},
                    {"changes", Value(std::move(changes))},
                    {"counts", Value(std::move(counts))}};
  if (before.programme != after.programme) {
    out.emplace_back("programme", Value(Value::Object{{"before", TextValue(before.programme)},
                                                      {"after", TextValue(after.programme)}}));
  }
  return Value(std::move(out));
}

}  // namespace pl::projections
