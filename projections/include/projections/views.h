// Views of the programme state for people and programs: JSON forms of each
// entity, the overview's counts and funding aggregates, and the difference
// between two states.
//
// Every function here is a pure function of its arguments: it keeps no state,
// returns a value that owns all its data, and may be called from several
// threads at once on states nobody is modifying. Output is deterministic (the
// same state gives the same JSON byte for byte).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "ledger/value.h"
#include "projections/state.h"

namespace pl::projections {

// One entity as JSON, with the field names of its events in docs/events.md
// (body_id, project_id, ...). Names are {"en", "zh"} (zh omitted when empty);
// Money is {"amount", "currency"}; sequence numbers are integers; timestamps
// are RFC 3339 text (ledger::FormatTimestamp); a key's public_key is base64
// and its status "active", "revoked" or "rotated". Optional fields (a parent
// body, an approved budget, an evaluation, an end of validity, ...) are null
// when absent, never omitted, so every entity of a kind has the same members.
ledger::Value ToValue(const Member&);
ledger::Value ToValue(const Body&);
ledger::Value ToValue(const Officer&);
ledger::Value ToValue(const Key&);
ledger::Value ToValue(const Policy&);
ledger::Value ToValue(const Meeting&);
ledger::Value ToValue(const Resolution&);
ledger::Value ToValue(const Project&);
ledger::Value ToValue(const Commitment&);
ledger::Value ToValue(const Partnership&);

// The overview, with exact counts:
//   {"size", "as_of" (last recorded_at; null for an empty state),
//    "programme" (its name; null for an empty state), "members": n,
//    "bodies": {"total", "dissolved", "by_kind"},
//    "officers": {"total", "active"},
//    "keys": {"total", "by_status"} (active, revoked, rotated: always all three),
//    "policies": {"total", "in_force"}, "meetings": n, "resolutions": n,
//    "projects": {"total", "by_status", "by_priority_area", "by_mode"},
//    "partnerships": {"total", "by_kind", "by_status"},
//    "funding": {"commitments": n, "by_currency": {"CNY": {"committed",
//                "disbursed", "returned", "spent", "commitments"}, ...}}}
// The by_* objects are keyed by the values themselves (which the rules
// restrict to identifiers) and list only the values that occur. Amounts of
// different currencies are never added together.
ledger::Value Summary(const ProgrammeState& state);

// Money of one currency, summed over commitments.
struct Amounts {
  std::int64_t committed = 0;
  std::int64_t disbursed = 0;
  std::int64_t returned = 0;
  std::int64_t spent = 0;
  std::int64_t commitments = 0;
  bool operator==(const Amounts&) const = default;
};

// The overview's counts that take a pass over every project, commitment and
// partnership. Programme keeps the tallies of its current state up to date
// as decisions are committed (Programme::WithTallied), so the overview of a
// programme of a million events costs a few small maps, not a pass over it.
struct Tallies {
  std::map<std::string, std::int64_t> project_statuses, project_areas, project_modes;
  std::map<std::string, std::int64_t> partnership_kinds, partnership_statuses;
  std::map<std::string, Amounts> funding;  // by currency

  // One pass over the state.
  static Tallies Of(const ProgrammeState& state);
  // Adds (sign +1) or takes away (sign -1) what the projects, commitments
  // and partnerships with these ids count for; ids of nothing are ignored.
  // Counts that fall to zero are erased, as Of() would not list them.
  void Count(const ProgrammeState& state, const std::vector<std::string>& ids, int sign);
  bool operator==(const Tallies&) const = default;
};

// Summary(state), from tallies that are exactly Tallies::Of(state): costs
// the governance maps only (a few hundred entries at most).
ledger::Value Summary(const ProgrammeState& state, const Tallies& tallies);

// Funding totals grouped by any of these dimensions, in the order given:
//   "source"         cn_government, partner_government, private
//   "party"          the commitment's party country, or a private party's
//                    name (party_name.en)
//   "country"        each distinct partner country of the commitment's
//                    project: a commitment counts once in each of its
//                    project's countries (so rows of this dimension overlap
//                    and do not add up to the programme's total)
//   "priority_area"  the project's priority area
//   "mode"           the project's mode of cooperation
//   "year"           the commitment's year, as an integer
//   "currency"       ISO 4217
// Money is only ever summed within one currency: when "currency" is not among
// group_by it is added as a last dimension, so every row's group names its
// currency. Returns an array of rows {"group": {dim: value, ...}, "committed",
// "disbursed", "returned", "spent", "commitments"}, sorted by the group's
// values in dimension order (null before numbers before strings; years
// numerically). A value the state lacks (a commitment whose project is
// unknown, a project without partners) is null, so every commitment appears
// in at least one row. An empty group_by gives one row per currency.
// An unknown or repeated dimension gives an empty array and sets *error
// (cleared on success). Cost: one pass over the commitments with one project
// lookup each.
ledger::Value FundingAggregate(const ProgrammeState& state,
                               const std::vector<std::string>& group_by,
                               std::string* error = nullptr);

// What changed from `before` to `after`, by id, for each collection (members,
// bodies, officers, keys, policies, meetings, resolutions, projects,
// commitments, partnerships):
//   {"from": before.size, "to": after.size,
//    "changes": {"projects": {"added": [entity...], "removed": [entity...],
//                             "changed": [{"id", "before", "after"}...]}, ...},
//    "counts": {"projects": {"added": n, "removed": n, "changed": n}, ...},
//    "programme": {"before", "after"}}  (only when the programme's name differs)
// Entities are in ToValue's form, in id order. A collection without changes is
// omitted from both "changes" and "counts", and an empty added/removed/changed
// list from its collection's changes, so equal states give empty "changes" and
// "counts". An entity is changed when any of its fields differs, including
// bookkeeping such as last_seq. Cost: one merge walk over each pair of maps.
ledger::Value Diff(const ProgrammeState& before, const ProgrammeState& after);

}  // namespace pl::projections
