// ProgrammeState: the programme as the log says it stands after some number
// of events: its governance (members, bodies, officers, keys, policies,
// meetings, resolutions), its projects, funding and partnerships.
//
// The state is a pure function of the log's prefix: Apply() folds one event
// into it deterministically, and the containers are ordered maps so that the
// serialized form of a state is itself deterministic (a rebuild from scratch
// equals the incrementally maintained state byte for byte).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "crypto/ed25519.h"
#include "ledger/time.h"
#include "projections/shared_by_id.h"

namespace pl::projections {

using ledger::Timestamp;
using Seq = std::uint64_t;

// A name in the programme's languages; en is always present.
struct Text {
  std::string en;
  std::string zh;
  bool operator==(const Text&) const = default;
};

struct Money {
  std::int64_t amount = 0;  // minor units
  std::string currency;     // ISO 4217
  bool operator==(const Money&) const = default;
};

struct Member {
  std::string country;  // ISO 3166-1 alpha-2
  Text name;
  Seq admitted_seq = 0;
  Timestamp admitted_at = 0;
  bool operator==(const Member&) const = default;
};

struct Body {
  std::string id;
  std::string
      kind;  // joint_committee, joint_conference, secretariat, working_group, bilateral_mechanism
  Text name;
  std::string parent_id;
  std::string country;
  bool dissolved = false;
  Seq constituted_seq = 0;
  bool operator==(const Body&) const = default;
};

struct Officer {
  std::string id;
  std::string body_id;
  std::string role;
  Text name;
  std::string country;
  bool active = true;
  Seq appointed_seq = 0;
  std::optional<Seq> removed_seq;
  bool operator==(const Officer&) const = default;
};

struct Key {
  enum class Status : std::uint8_t { kActive = 0, kRevoked = 1, kRotated = 2 };
  std::string key_id;  // hex SHA-256 of the raw public key
  crypto::RawPublicKey public_key{};
  std::string officer_id;
  Status status = Status::kActive;
  Seq registered_seq = 0;
  Timestamp registered_at = 0;
  std::optional<Seq> ended_seq;  // revoked or rotated at this event
  Timestamp ended_at = 0;
  std::string replaced_by;  // the new key id after a rotation
  bool operator==(const Key&) const = default;
};

struct Policy {
  std::string id;
  std::string body_id;
  std::vector<std::string> types;  // exact names or "family.*"
  std::int64_t min_signatures = 1;
  std::vector<std::string> required_roles;
  std::optional<Money> ceiling;
  bool in_force = true;
  Seq adopted_seq = 0;
  bool operator==(const Policy&) const = default;
};

struct Meeting {
  std::string id;
  std::string body_id;
  std::string held_on;  // YYYY-MM-DD
  std::string location;
  Text title;
  Seq seq = 0;
  bool operator==(const Meeting&) const = default;
};

struct Resolution {
  std::string id;
  std::string meeting_id;
  std::string body_id;
  Text title;
  std::vector<std::string> adopts;  // decision ids
  Seq seq = 0;
  bool operator==(const Resolution&) const = default;
};

struct Partner {
  Text institution;
  std::string country;
  bool operator==(const Partner&) const = default;
};

struct Milestone {
  std::string name;
  std::string summary;
  std::string reached_on;
  Seq seq = 0;
  bool operator==(const Milestone&) const = default;
};

struct Evaluation {
  std::string rating;
  std::string summary;
  Seq seq = 0;
  bool operator==(const Evaluation&) const = default;
};

struct Project {
  std::string id;
  Text title;
  std::string priority_area;  // A1-A6, B1-B10
  std::string mode;           // M1-M7
  Text lead_institution;
  std::vector<Partner> partners;
  Money proposed_budget;
  std::optional<Money> approved_budget;
  std::string start_date;
  std::string end_date;
  std::string status;  // proposed, approved, rejected, active, suspended, completed, terminated
  std::vector<Milestone> milestones;
  std::optional<Evaluation> evaluation;
  std::int64_t year = 0;  // the year it was proposed
  Seq proposed_seq = 0;
  Seq last_seq = 0;
  Timestamp last_issued_at = 0;
  bool operator==(const Project&) const = default;
};

struct Tranche {
  std::string id;
  std::int64_t amount = 0;
  std::string disbursed_on;
  Seq seq = 0;
  bool operator==(const Tranche&) const = default;
};

struct Commitment {
  std::string id;
  std::string project_id;
  std::string source;  // cn_government, partner_government, private
  std::string party;   // country for a government source, empty for private
  Text party_name;     // for a private source
  std::string currency;
  std::int64_t committed = 0;
  std::int64_t disbursed = 0;
  std::int64_t returned = 0;
  std::int64_t spent = 0;
  std::int64_t year = 0;
  bool closed = false;  // cancelled
  std::vector<Tranche> tranches;
  Seq committed_seq = 0;
  Seq last_seq = 0;
  Timestamp last_issued_at = 0;
  bool operator==(const Commitment&) const = default;
};

struct Partnership {
  std::string id;
  std::string kind;  // bilateral_mechanism, joint_laboratory, science_park, training_centre,
                     // technology_transfer_centre, forum
  Text name;
  std::vector<std::string> countries;
  std::vector<Text> institutions;
  std::string established_on;
  std::string until;
  std::string status;  // active, suspended, dissolved
  Seq established_seq = 0;
  Seq last_seq = 0;
  Timestamp last_issued_at = 0;
  bool operator==(const Partnership&) const = default;
};

// The state's collections, ordered by id. The comparator is transparent so
// that an id held as a std::string_view (a payload field, a key id in hex)
// is looked up without making a std::string of it.
template <typename T>
using ById = std::map<std::string, T, std::less<>>;

struct ProgrammeState {
  Seq size = 0;  // events folded in
  Timestamp last_recorded_at = 0;
  Timestamp last_issued_at = 0;
  Text programme;
  ById<Member> members;
  ById<Body> bodies;
  ById<Officer> officers;
  ById<Key> keys;
  ById<Policy> policies;
  ById<Meeting> meetings;
  ById<Resolution> resolutions;
  // The many: copies of a state share the projects and commitments neither
  // has changed (shared_by_id.h).
  SharedById<Project> projects;
  SharedById<Commitment> commitments;
  ById<Partnership> partnerships;
  bool operator==(const ProgrammeState&) const = default;
};

}  // namespace pl::projections
