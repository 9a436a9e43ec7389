#include "projections/rules.h"

#include <algorithm>
#include <boost/container/small_vector.hpp>
#include <map>
#include <mutex>
#include <set>

#include "crypto/hash.h"
#include "fields.h"

namespace pl::projections {

using ledger::Value;

namespace {

const std::set<std::string, std::less<>> kRoles = {
    "co_chair_cn",       "co_chair_asean", "chair", "vice_chair", "member",
    "secretary_general", "deputy",         "lead",  "co_chair"};
constexpr std::string_view kJointCommittee = "joint-committee";

Status Refuse(const char* rule, std::string message) {
  return Status::Invalid(rule, std::move(message));
}

template <typename Map>
auto* Find(Map& map, std::string_view id) {
  auto it = map.find(id);
  return it == map.end() ? nullptr : &it->second;
}
// The same in a map shared with copies of the state: the entity to change,
// in a chunk of this state's own.
template <typename T>
T* Find(SharedById<T>& map, std::string_view id) {
  return map.Edit(id);
}

// Finds a subject through the index when there is one, adding what the map
// finds to it.
// With `complete`, the index holds every subject of the map.
template <typename Map, typename T>
T* Lookup(Map& map, SubjectTable<T>* index, std::string_view id, bool complete = false) {
  if (!index) return Find(map, id);
  if (T* found = index->Find(id)) return found;
  if (complete) return nullptr;
  T* found = Find(map, id);
  if (found) index->Add(found);
  return found;
}

// Adds a new subject (its id not in the map), to the index too when there is one.
template <typename T>
void Insert(SharedById<T>& map, SubjectTable<T>* index, T subject) {
  std::string id = subject.id;  // (before subject moves)
  T& added = map.Insert(std::move(id), std::move(subject));
  if (index) index->Add(&added);
}

// The state's key with this id (hex of the raw id), or nullptr.
const Key* FindKey(const ProgrammeState& state, const crypto::Hash& key_id) {
  static constexpr char kDigits[] = "0123456789abcdef";
  char hex[2 * std::tuple_size_v<crypto::Hash>];
  for (std::size_t i = 0; i < key_id.size(); ++i) {
    hex[2 * i] = kDigits[key_id[i] >> 4];
    hex[2 * i + 1] = kDigits[key_id[i] & 0xf];
  }
  auto it = state.keys.find(std::string_view(hex, sizeof hex));
  return it == state.keys.end() ? nullptr : &it->second;
}

// The same through the index, when there is one.
const Key* FindKey(const ProgrammeState& state, const crypto::Hash& key_id, SubjectIndex* index) {
  if (!index) return FindKey(state, key_id);
  if (auto it = index->keys.find(key_id); it != index->keys.end()) return it->second;
  const Key* key = FindKey(state, key_id);
  if (key) index->keys.emplace(key_id, key);
  return key;
}

// One decision being applied: its payload reader, and the authority check
// that runs once the payload is read (step 3 precedes steps 4-6).
struct Ctx {
  ProgrammeState& s;
  const ledger::Envelope& e;
  const ApplyOptions& options;
  // The decision's type as the catalogue holds it (stable for the process).
  const std::string& type;
  Fields f;
  // The policy the decision is taken under, once step 6 found it.
  const std::string* authority = nullptr;

  const ledger::Decision& d() const { return e.decision.decision; }
  Project* FindProject(std::string_view id) {
    SubjectIndex* index = options.index;
    return Lookup(s.projects, index ? &index->projects : nullptr, id, index && index->complete);
  }
  Commitment* FindCommitment(std::string_view id) {
    SubjectIndex* index = options.index;
    return Lookup(s.commitments, index ? &index->commitments : nullptr, id,
                  index && index->complete);
  }
  void Add(Project p) {
    Insert(s.projects, options.index ? &options.index->projects : nullptr, std::move(p));
  }
  void Add(Commitment m) {
    Insert(s.commitments, options.index ? &options.index->commitments : nullptr, std::move(m));
  }
  Seq seq() const { return e.sequence; }
  Timestamp at() const { return d().issued_at; }

  // Finishes the payload check, then checks signatures, signers and policy;
  // `amount` is what a policy ceiling limits.
  Status Parsed(const std::optional<Money>& amount = std::nullopt);
  const Officer& OfficerOf(const Key& key, SubjectIndex* index);
  const std::vector<const Policy*>& PoliciesFor(const Body& body,
                                                std::vector<const Policy*>* scratch);
  // The policies of step 6 changed: forget what the index found for them.
  void PoliciesChanged() {
    if (options.index) options.index->policies.clear();
  }
};

// --- keys and authority -----------------------------------------------------

// OpenSSL key objects, one per raw key, made once and kept for the process:
// keys are few and never change, and making one costs more than a lookup.
const crypto::PublicKey* CachedKey(const crypto::RawPublicKey& raw) {
  static std::mutex mutex;
  static std::map<crypto::RawPublicKey, crypto::PublicKey> cache;
  std::lock_guard lock(mutex);
  auto it = cache.find(raw);
  if (it == cache.end()) {
    auto key = crypto::PublicKey::FromRaw(raw);
    if (!key.ok()) return nullptr;
    it = cache.emplace(raw, *key).first;
  }
  return &it->second;
}

bool TypeMatches(const std::string& pattern, std::string_view type) {
  if (pattern.size() > 2 && pattern.compare(pattern.size() - 2, 2, ".*") == 0) {
    return type.substr(0, pattern.size() - 1) ==
           std::string_view(pattern).substr(0, pattern.size() - 1);
  }
  return pattern == type;
}

using SignerKeys = boost::container::small_vector<const Key*, 4>;
using SignerRoles = boost::container::small_vector<const std::string*, 8>;

// At least one signature, each by a key `state` registered (collected in
// *keys, in signature order, when keys is given); with `verify`, each valid.
Status CheckSignatures(const ledger::SignedDecision& d, bool verify, const ProgrammeState& state,
                       SignerKeys* keys = nullptr, SubjectIndex* index = nullptr) {
  if (d.signatures.empty()) {
    return Refuse("signature.missing", "decision " + d.decision.id + " is not signed");
  }
  for (const auto& sig : d.signatures) {
    const Key* key = FindKey(state, sig.key_id, index);
    if (!key) {
      return Refuse(
          "signature.unknown_key",
          "decision " + d.decision.id + " is signed by unregistered key " + ToHex(sig.key_id));
    }
    if (keys) keys->push_back(key);
  }
  if (!verify) return Status::Ok();
  return ledger::VerifySignatures(
      d, [&state](const crypto::Hash& id) { return FindPublicKey(state, id); });
}

// The officer holding a registered key, through the index when there is one.
const Officer& Ctx::OfficerOf(const Key& key, SubjectIndex* index) {
  if (!index) return s.officers.at(key.officer_id);
  auto [it, added] = index->officers.try_emplace(&key, nullptr);
  if (added) it->second = &s.officers.at(key.officer_id);
  return *it->second;
}

// The policies in force for `body` and this decision's type, in the order of
// policy ids; kept in the index when there is one, else made in *scratch.
const std::vector<const Policy*>& Ctx::PoliciesFor(const Body& body,
                                                   std::vector<const Policy*>* scratch) {
  std::vector<const Policy*>* out = scratch;
  if (options.index) {
    auto [it, added] = options.index->policies.try_emplace({&body, &type});
    if (!added) return it->second;
    out = &it->second;
  }
  for (const auto& [id, policy] : s.policies) {
    if (!policy.in_force || policy.body_id != body.id) continue;
    if (std::any_of(policy.types.begin(), policy.types.end(),
                    [&](const std::string& t) { return TypeMatches(t, type); })) {
      out->push_back(&policy);
    }
  }
  return *out;
}

// Whether `policy` is not satisfied by these signers and this amount; with
// `why`, the refusal naming its first unmet condition (quorum, then roles in
// the policy's order, then ceiling).
bool Unmet(const Policy& policy, std::size_t officers, const SignerRoles& roles,
           const std::optional<Money>& amount, Status* why) {
  if (static_cast<std::int64_t>(officers) < policy.min_signatures) {
    if (why) {
      *why = Refuse("authority.quorum", "policy " + policy.id + " needs " +
                                            std::to_string(policy.min_signatures) +
                                            " officers of " + policy.body_id + " to sign; " +
                                            std::to_string(officers) + " did");
    }
    return true;
  }
  for (const auto& role : policy.required_roles) {
    if (std::none_of(roles.begin(), roles.end(),
                     [&](const std::string* r) { return *r == role; })) {
      if (why) {
        *why = Refuse("authority.roles", "policy " + policy.id + " needs a signature by the " +
                                             role + " of " + policy.body_id);
      }
      return true;
    }
  }
  if (policy.ceiling && amount &&
      (amount->currency != policy.ceiling->currency || amount->amount > policy.ceiling->amount)) {
    if (why) {
      *why =
          Refuse("authority.ceiling", "policy " + policy.id + " allows at most " +
                                          std::to_string(policy.ceiling->amount) + " " +
                                          policy.ceiling->currency + "; this decision involves " +
                                          std::to_string(amount->amount) + " " + amount->currency);
    }
    return true;
  }
  return false;
}

Status Ctx::Parsed(const std::optional<Money>& amount) {
  if (Status st = f.Finish(); !st.ok()) return st;
  const ledger::SignedDecision& sd = e.decision;
  // 4. Signatures.
  SignerKeys keys;
  if (Status st = CheckSignatures(sd, options.verify_signatures && !options.signatures_verified, s,
                                  &keys, options.index);
      !st.ok()) {
    return st;
  }
  // 5. Signers: active keys of officers of the deciding body.
  SubjectIndex* index = options.index;
  const Body* body = Lookup(s.bodies, index ? &index->bodies : nullptr, d().body);
  if (!body) return Refuse("authority.body", "there is no body \"" + d().body + "\"");
  if (body->dissolved) {
    return Refuse("authority.body", "body \"" + d().body + "\" is dissolved");
  }
  // Distinct signing officers and their roles (a decision has a few signatures).
  boost::container::small_vector<const std::string*, 8> officers;
  SignerRoles roles;
  auto add = [](auto& set, const std::string& x) {
    if (std::none_of(set.begin(), set.end(), [&](const std::string* y) { return *y == x; })) {
      set.push_back(&x);
    }
  };
  for (const Key* signer : keys) {
    const Key& key = *signer;
    if (key.status != Key::Status::kActive) {
      return Refuse("authority.key_revoked",
                    "key " + key.key_id + " was " +
                        (key.status == Key::Status::kRevoked ? "revoked" : "rotated away") +
                        " at event " + std::to_string(key.ended_seq.value_or(0)) +
                        " and signs nothing after it");
    }
    const Officer& officer = OfficerOf(key, index);
    if (!officer.active) {
      return Refuse("authority.not_officer", "key " + key.key_id + " belongs to " + officer.id +
                                                 ", who was removed from office at event " +
                                                 std::to_string(officer.removed_seq.value_or(0)));
    }
    if (officer.body_id != d().body) {
      return Refuse("authority.not_officer", "key " + key.key_id + " belongs to " + officer.id +
                                                 " of " + officer.body_id + ", not of " + d().body);
    }
    add(officers, officer.id);
    add(roles, officer.role);
  }
  // 6. A policy in force for this body and type, satisfied by these signers:
  // the first in the order of policy ids; when none is, the first one's
  // unmet condition is the refusal.
  std::vector<const Policy*> unindexed;
  const std::vector<const Policy*>& candidates = PoliciesFor(*body, &unindexed);
  const Policy* first_failure = nullptr;
  for (const Policy* policy : candidates) {
    if (Unmet(*policy, officers.size(), roles, amount, nullptr)) {
      if (!first_failure) first_failure = policy;
      continue;
    }
    authority = &policy->id;
    return Status::Ok();
  }
  if (first_failure) {
    Status failure;
    Unmet(*first_failure, officers.size(), roles, amount, &failure);
    return failure;
  }
  return Refuse("authority.no_policy",
                "no policy in force lets " + d().body + " take decisions of type " + d().type);
}

// --- shared state checks --------------------------------------------------

Status NeedMember(const ProgrammeState& s, const std::string& country, const char* what) {
  if (!s.members.count(country)) {
    return Refuse("state.unknown",
                  std::string(what) + " " + country + " is not a member of the programme");
  }
  return Status::Ok();
}

Status NeedNew(bool exists, const std::string& kind, const std::string& id) {
  return exists ? Refuse("state.exists", kind + " " + id + " already exists") : Status::Ok();
}

template <typename T>
Status NeedSubject(T* subject, const std::string& kind, const std::string& id) {
  return subject ? Status::Ok() : Refuse("state.unknown", "there is no " + kind + " " + id);
}

Status NeedTimeOrder(Timestamp last, Timestamp now, const std::string& id) {
  if (now < last) {
    return Refuse("state.time_order", "issued at " + ledger::FormatTimestamp(now) +
                                          ", before the previous decision on " + id + " (" +
                                          ledger::FormatTimestamp(last) + ")");
  }
  return Status::Ok();
}

Status NeedStatus(const std::string& kind, const std::string& id, const std::string& status,
                  std::initializer_list<std::string_view> allowed, const std::string& type) {
  if (std::find(allowed.begin(), allowed.end(), status) != allowed.end()) return Status::Ok();
  return Refuse(
      "state.status", kind + " " + id + " is " + status + "; " + type + " needs it " + [&] {
        std::string list;
        for (auto a : allowed) {
          list += (list.empty() ? "" : " or ") + std::string(a);
        }
        return list;
      }());
}

Status NeedDates(const std::string& start, const std::string& end) {
  return end < start ? Refuse("state.dates", "end date " + end + " is before start date " + start)
                     : Status::Ok();
}

Status NeedKeyMatches(const std::string& key_id, const std::string& public_key_b64,
                      crypto::RawPublicKey* raw) {
  auto bytes = FromBase64(public_key_b64);
  if (!bytes || bytes->size() != 32) {
    return Refuse("payload.value", "public_key of " + key_id + " is not 32 bytes of base64");
  }
  std::copy(bytes->begin(), bytes->end(), raw->begin());
  if (ToHex(crypto::Sha256(*bytes)) != key_id) {
    return Refuse("payload.value", "key_id " + key_id + " is not the SHA-256 of its public_key");
  }
  return Status::Ok();
}

// --- governance -------------------------------------------------------------

Policy ReadPolicy(Fields& f) {
  Policy p;
  p.id = f.Id("policy_id");
  p.body_id = f.Id("body_id");
  p.types = f.Ids("types", true);
  p.min_signatures = f.Int("min_signatures", 1, 16);
  p.required_roles = f.Ids("required_roles", false);
  p.ceiling = f.OptionalMoney("ceiling");
  return p;
}

Status CheckPolicy(const ProgrammeState& s, const Policy& p) {
  if (!s.bodies.count(p.body_id)) {
    return Refuse("state.unknown", "policy " + p.id + " names unknown body " + p.body_id);
  }
  const auto& types = EventTypes();
  for (const auto& t : p.types) {
    if (std::none_of(types.begin(), types.end(),
                     [&](const std::string& x) { return TypeMatches(t, x); })) {
      return Refuse("payload.value", "policy " + p.id + " names unknown decision type " + t);
    }
  }
  for (const auto& r : p.required_roles) {
    if (!kRoles.count(r))
      return Refuse("payload.value", "policy " + p.id + " names unknown role " + r);
  }
  return Status::Ok();
}

// The fields of a body or an officer, shared by the genesis and the
// decisions that constitute or appoint one later.
Body ReadBody(Fields& f, Seq seq) {
  Body b;
  b.id = f.Id("body_id");
  b.kind = f.OneOf("kind", {"joint_committee", "joint_conference", "secretariat", "working_group",
                            "bilateral_mechanism"});
  b.name = f.TextField("name");
  b.parent_id = f.OptionalId("parent_id").value_or("");
  b.country = f.OptionalCountry("country").value_or("");
  b.constituted_seq = seq;
  return b;
}

Officer ReadOfficer(Fields& f, Seq seq) {
  Officer o;
  o.id = f.Id("officer_id");
  o.body_id = f.Id("body_id");
  o.role = f.Id("role");
  o.name = f.TextField("name");
  o.country = f.Country("country");
  o.appointed_seq = seq;
  return o;
}

Status Genesis(Ctx& c) {
  ProgrammeState g;  // built aside, adopted only when everything checks
  g.programme = c.f.TextField("programme");
  auto read_array = [&](const char* name, auto read_one) {
    if (const Value::Array* items = c.f.Objects(name, true)) {
      for (const Value& item : *items) {
        Fields inner(item);
        read_one(inner);
        c.f.Nested(name, inner);
      }
    }
  };
  std::vector<std::pair<std::string, std::string>> key_texts;  // key id, base64
  read_array("members", [&](Fields& f) {
    Member m{f.Country("country"), f.TextField("name"), c.seq(), c.at()};
    g.members[m.country] = m;
  });
  read_array("bodies", [&](Fields& f) {
    Body b = ReadBody(f, c.seq());
    g.bodies[b.id] = b;
  });
  read_array("officers", [&](Fields& f) {
    Officer o = ReadOfficer(f, c.seq());
    g.officers[o.id] = o;
  });
  read_array("keys", [&](Fields& f) {
    Key k;
    k.key_id = f.Id("key_id");
    key_texts.emplace_back(k.key_id, f.String("public_key", 64));
    k.officer_id = f.Id("officer_id");
    k.registered_seq = c.seq();
    k.registered_at = c.at();
    g.keys[k.key_id] = k;
  });
  std::vector<Policy> policies;
  read_array("policies", [&](Fields& f) { policies.push_back(ReadPolicy(f)); });
  if (Status st = c.f.Finish(); !st.ok()) return st;

  // References inside the genesis resolve.
  if (!g.bodies.count(std::string(kJointCommittee)) ||
      g.bodies.at(std::string(kJointCommittee)).kind != "joint_committee") {
    return Refuse("genesis.bodies",
                  "genesis must constitute the joint-committee (kind joint_committee)");
  }
  for (const auto& [id, b] : g.bodies) {
    if (!b.parent_id.empty() && !g.bodies.count(b.parent_id)) {
      return Refuse("state.unknown", "body " + id + " has unknown parent " + b.parent_id);
    }
    if (!b.country.empty()) {
      if (Status st = NeedMember(g, b.country, "country"); !st.ok()) return st;
    }
  }
  for (const auto& [id, o] : g.officers) {
    if (!g.bodies.count(o.body_id))
      return Refuse("state.unknown", "officer " + id + " names unknown body " + o.body_id);
    if (!kRoles.count(o.role))
      return Refuse("payload.value", "officer " + id + " has unknown role " + o.role);
  }
  for (const auto& [key_id, text] : key_texts) {
    Key& k = g.keys[key_id];
    if (Status st = NeedKeyMatches(key_id, text, &k.public_key); !st.ok()) return st;
    if (!g.officers.count(k.officer_id)) {
      return Refuse("state.unknown", "key " + key_id + " names unknown officer " + k.officer_id);
    }
  }
  for (Policy& p : policies) {
    if (Status st = CheckPolicy(g, p); !st.ok()) return st;
    p.adopted_seq = c.seq();
    g.policies[p.id] = p;
  }

  // Signed by the genesis's own keys, every co-chair key of the Joint Committee among them.
  const ledger::SignedDecision& sd = c.e.decision;
  if (Status st = CheckSignatures(sd, c.options.verify_signatures, g); !st.ok()) {
    return st;
  }
  std::set<std::string> signers;
  for (const auto& sig : sd.signatures) signers.insert(ToHex(sig.key_id));
  bool has_cn = false, has_asean = false;
  for (const auto& [key_id, k] : g.keys) {
    const Officer& o = g.officers.at(k.officer_id);
    if (o.body_id != kJointCommittee || (o.role != "co_chair_cn" && o.role != "co_chair_asean"))
      continue;
    (o.role == "co_chair_cn" ? has_cn : has_asean) = true;
    if (!signers.count(key_id)) {
      return Refuse("genesis.signers",
                    "genesis must be signed by co-chair key " + key_id + " of " + o.id);
    }
  }
  if (!has_cn || !has_asean) {
    return Refuse("genesis.signers",
                  "genesis must register keys for both Joint Committee co-chairs");
  }
  g.size = c.s.size;
  c.s = std::move(g);
  // Every entity is new: no earlier lookup stands.
  if (SubjectIndex* index = c.options.index) {
    const bool complete = index->complete;  // the genesis makes no project or commitment
    *index = SubjectIndex();
    index->complete = complete;
  }
  return Status::Ok();
}

Status BodyConstituted(Ctx& c) {
  Body b = ReadBody(c.f, c.seq());
  if (Status st = c.Parsed(); !st.ok()) return st;
  if (Status st = NeedNew(c.s.bodies.count(b.id) > 0, "body", b.id); !st.ok()) return st;
  if (!b.parent_id.empty()) {
    const Body* parent = Find(c.s.bodies, b.parent_id);
    if (!parent || parent->dissolved) {
      return Refuse("state.unknown",
                    "parent body " + b.parent_id + " does not exist or is dissolved");
    }
  }
  if (!b.country.empty()) {
    if (Status st = NeedMember(c.s, b.country, "country"); !st.ok()) return st;
  }
  c.s.bodies[b.id] = std::move(b);
  return Status::Ok();
}

Status BodyDissolved(Ctx& c) {
  const std::string& id = c.f.Id("body_id");
  c.f.String("reason");
  if (Status st = c.Parsed(); !st.ok()) return st;
  Body* b = Find(c.s.bodies, id);
  if (Status st = NeedSubject(b, "body", id); !st.ok()) return st;
  if (b->dissolved) return Refuse("state.status", "body " + id + " is already dissolved");
  if (id == kJointCommittee)
    return Refuse("state.status", "the joint-committee cannot be dissolved");
  b->dissolved = true;
  for (auto& [oid, o] : c.s.officers) {
    if (o.body_id == id && o.active) {
      o.active = false;
      o.removed_seq = c.seq();
    }
  }
  return Status::Ok();
}

Status MemberAdmitted(Ctx& c) {
  Member m{c.f.Country("country"), c.f.TextField("name"), c.seq(), c.at()};
  if (Status st = c.Parsed(); !st.ok()) return st;
  if (Status st = NeedNew(c.s.members.count(m.country) > 0, "member", m.country); !st.ok())
    return st;
  c.s.members[m.country] = std::move(m);
  return Status::Ok();
}

Status OfficerAppointed(Ctx& c) {
  Officer o = ReadOfficer(c.f, c.seq());
  if (Status st = c.Parsed(); !st.ok()) return st;
  if (!kRoles.count(o.role)) return Refuse("payload.value", "unknown role " + o.role);
  if (Status st = NeedNew(c.s.officers.count(o.id) > 0, "officer", o.id); !st.ok()) return st;
  const Body* b = Find(c.s.bodies, o.body_id);
  if (!b || b->dissolved)
    return Refuse("state.unknown", "body " + o.body_id + " does not exist or is dissolved");
  c.s.officers[o.id] = std::move(o);
  return Status::Ok();
}

void EndKey(Key& k, Key::Status status, const Ctx& c) {
  k.status = status;
  k.ended_seq = c.seq();
  k.ended_at = c.at();
}

Status OfficerRemoved(Ctx& c) {
  const std::string& id = c.f.Id("officer_id");
  c.f.String("reason");
  if (Status st = c.Parsed(); !st.ok()) return st;
  Officer* o = Find(c.s.officers, id);
  if (Status st = NeedSubject(o, "officer", id); !st.ok()) return st;
  if (!o->active) return Refuse("state.status", "officer " + id + " is no longer in office");
  o->active = false;
  o->removed_seq = c.seq();
  return Status::Ok();
}

Status KeyRegistered(Ctx& c) {
  Key k;
  k.key_id = c.f.Id("key_id");
  const std::string& text = c.f.String("public_key", 64);
  k.officer_id = c.f.Id("officer_id");
  if (Status st = c.Parsed(); !st.ok()) return st;
  if (Status st = NeedKeyMatches(k.key_id, text, &k.public_key); !st.ok()) return st;
  if (Status st = NeedNew(c.s.keys.count(k.key_id) > 0, "key", k.key_id); !st.ok()) return st;
  const Officer* o = Find(c.s.officers, k.officer_id);
  if (!o || !o->active)
    return Refuse("state.unknown", "officer " + k.officer_id + " is not in office");
  k.registered_seq = c.seq();
  k.registered_at = c.at();
  c.s.keys[k.key_id] = std::move(k);
  return Status::Ok();
}

Status KeyRevoked(Ctx& c) {
  const std::string& id = c.f.Id("key_id");
  c.f.String("reason");
  if (Status st = c.Parsed(); !st.ok()) return st;
  Key* k = Find(c.s.keys, id);
  if (Status st = NeedSubject(k, "key", id); !st.ok()) return st;
  if (k->status != Key::Status::kActive)
    return Refuse("state.status", "key " + id + " is not active");
  EndKey(*k, Key::Status::kRevoked, c);
  return Status::Ok();
}

Status KeyRotated(Ctx& c) {
  const std::string& old_id = c.f.Id("key_id");
  Key k;
  k.key_id = c.f.Id("new_key_id");
  const std::string& text = c.f.String("public_key", 64);
  if (Status st = c.Parsed(); !st.ok()) return st;
  Key* old = Find(c.s.keys, old_id);
  if (Status st = NeedSubject(old, "key", old_id); !st.ok()) return st;
  if (old->status != Key::Status::kActive)
    return Refuse("state.status", "key " + old_id + " is not active");
  if (Status st = NeedKeyMatches(k.key_id, text, &k.public_key); !st.ok()) return st;
  if (Status st = NeedNew(c.s.keys.count(k.key_id) > 0, "key", k.key_id); !st.ok()) return st;
  k.officer_id = old->officer_id;
  k.registered_seq = c.seq();
  k.registered_at = c.at();
  EndKey(*old, Key::Status::kRotated, c);
  old->replaced_by = k.key_id;
  c.s.keys[k.key_id] = std::move(k);
  return Status::Ok();
}

Status PolicyAdopted(Ctx& c) {
  Policy p = ReadPolicy(c.f);
  if (Status st = c.Parsed(); !st.ok()) return st;
  if (Status st = CheckPolicy(c.s, p); !st.ok()) return st;
  p.adopted_seq = c.seq();
  c.s.policies[p.id] = std::move(p);
  c.PoliciesChanged();
  return Status::Ok();
}

Status PolicyRepealed(Ctx& c) {
  const std::string& id = c.f.Id("policy_id");
  c.f.String("reason");
  if (Status st = c.Parsed(); !st.ok()) return st;
  Policy* p = Find(c.s.policies, id);
  if (Status st = NeedSubject(p, "policy", id); !st.ok()) return st;
  if (!p->in_force) return Refuse("state.status", "policy " + id + " is not in force");
  p->in_force = false;
  c.PoliciesChanged();
  return Status::Ok();
}

Status MeetingHeld(Ctx& c) {
  Meeting m;
  m.id = c.f.Id("meeting_id");
  m.held_on = c.f.Date("held_on");
  m.location = c.f.String("location", 200);
  m.title = c.f.TextField("title");
  if (Status st = c.Parsed(); !st.ok()) return st;
  if (Status st = NeedNew(c.s.meetings.count(m.id) > 0, "meeting", m.id); !st.ok()) return st;
  m.body_id = c.d().body;
  m.seq = c.seq();
  c.s.meetings[m.id] = std::move(m);
  return Status::Ok();
}

Status ResolutionAdopted(Ctx& c) {
  Resolution r;
  r.id = c.f.Id("resolution_id");
  r.meeting_id = c.f.Id("meeting_id");
  r.title = c.f.TextField("title");
  r.adopts = c.f.Ids("adopts", false);
  if (Status st = c.Parsed(); !st.ok()) return st;
  if (Status st = NeedNew(c.s.resolutions.count(r.id) > 0, "resolution", r.id); !st.ok()) return st;
  const Meeting* m = Find(c.s.meetings, r.meeting_id);
  if (Status st = NeedSubject(m, "meeting", r.meeting_id); !st.ok()) return st;
  if (m->body_id != c.d().body) {
    return Refuse("state.unknown",
                  "meeting " + r.meeting_id + " was held by " + m->body_id + ", not " + c.d().body);
  }
  for (const auto& id : r.adopts) {
    std::optional<Seq> found = c.options.find_decision ? c.options.find_decision(id) : std::nullopt;
    if (!found || *found >= c.seq()) {
      return Refuse("state.unknown",
                    "resolution " + r.id + " adopts decision " + id + ", which is not in the log");
    }
  }
  r.body_id = c.d().body;
  r.seq = c.seq();
  c.s.resolutions[r.id] = std::move(r);
  return Status::Ok();
}

// --- projects ---------------------------------------------------------------

std::vector<Partner> ReadPartners(Fields& f, bool required) {
  std::vector<Partner> out;
  const Value::Array* items = f.Objects("partners", required);
  if (!items) return out;
  for (const Value& item : *items) {
    Fields inner(item);
    out.push_back(Partner{inner.TextField("institution"), inner.Country("country")});
    f.Nested("partners", inner);
  }
  return out;
}

Status CheckPartners(const ProgrammeState& s, const std::vector<Partner>& partners) {
  if (partners.empty()) return Refuse("payload.value", "a project needs at least one partner");
  for (const auto& p : partners) {
    if (Status st = NeedMember(s, p.country, "partner country"); !st.ok()) return st;
  }
  return Status::Ok();
}

// Reads project_id and finds the project; the time-order rule applies.
Project* ProjectOf(Ctx& c, const std::string& id, Status* st) {
  Project* p = c.FindProject(id);
  *st = NeedSubject(p, "project", id);
  if (st->ok()) *st = NeedTimeOrder(p->last_issued_at, c.at(), id);
  return st->ok() ? p : nullptr;
}

void Touch(Project& p, const Ctx& c) {
  p.last_seq = c.seq();
  p.last_issued_at = c.at();
}

Status ProjectProposed(Ctx& c) {
  Project p;
  p.id = c.f.Id("project_id");
  p.title = c.f.TextField("title");
  p.priority_area = c.f.OneOf("priority_area", {"A1", "A2", "A3", "A4", "A5", "A6", "B1", "B2",
                                                "B3", "B4", "B5", "B6", "B7", "B8", "B9", "B10"});
  p.mode = c.f.OneOf("mode", {"M1", "M2", "M3", "M4", "M5", "M6", "M7"});
  p.lead_institution = c.f.TextField("lead_institution");
  p.partners = ReadPartners(c.f, true);
  p.proposed_budget = c.f.MoneyField("budget");
  p.start_date = c.f.Date("start_date");
  p.end_date = c.f.Date("end_date");
  if (Status st = c.Parsed(p.proposed_budget); !st.ok()) return st;
  if (Status st = NeedNew(c.FindProject(p.id) != nullptr, "project", p.id); !st.ok()) {
    return st;
  }
  if (Status st = CheckPartners(c.s, p.partners); !st.ok()) return st;
  if (Status st = NeedDates(p.start_date, p.end_date); !st.ok()) return st;
  p.status = "proposed";
  p.year = std::stoll(ledger::FormatTimestamp(c.at()).substr(0, 4));
  p.proposed_seq = c.seq();
  Touch(p, c);
  c.Add(std::move(p));
  return Status::Ok();
}

Status ProjectApproved(Ctx& c) {
  const std::string& id = c.f.Id("project_id");
  const Money budget = c.f.MoneyField("budget");
  if (Status st = c.Parsed(budget); !st.ok()) return st;
  Status st;
  Project* p = ProjectOf(c, id, &st);
  if (!p) return st;
  if (st = NeedStatus("project", id, p->status, {"proposed"}, c.d().type); !st.ok()) return st;
  p->approved_budget = budget;
  p->status = "approved";
  Touch(*p, c);
  return Status::Ok();
}

// The transitions that carry only an id, a text field and a status change.
Status ProjectTransition(Ctx& c, const char* text_field,
                         std::initializer_list<std::string_view> from, const char* to,
                         bool is_date = false) {
  const std::string& id = c.f.Id("project_id");
  if (is_date) {
    c.f.Date(text_field);
  } else {
    c.f.String(text_field);
  }
  if (Status st = c.Parsed(); !st.ok()) return st;
  Status st;
  Project* p = ProjectOf(c, id, &st);
  if (!p) return st;
  if (st = NeedStatus("project", id, p->status, from, c.d().type); !st.ok()) return st;
  p->status = to;
  Touch(*p, c);
  return Status::Ok();
}

Status ProjectMilestone(Ctx& c) {
  const std::string& id = c.f.Id("project_id");
  Milestone m{c.f.String("milestone", 200), c.f.String("summary"), c.f.Date("reached_on"), c.seq()};
  if (Status st = c.Parsed(); !st.ok()) return st;
  Status st;
  Project* p = ProjectOf(c, id, &st);
  if (!p) return st;
  if (st = NeedStatus("project", id, p->status, {"active"}, c.d().type); !st.ok()) return st;
  p->milestones.push_back(std::move(m));
  Touch(*p, c);
  return Status::Ok();
}

Status ProjectAmended(Ctx& c) {
  const std::string& id = c.f.Id("project_id");
  auto title = c.f.OptionalText("title");
  auto end_date = c.f.OptionalDate("end_date");
  auto budget = c.f.OptionalMoney("budget");
  std::optional<std::vector<Partner>> partners;
  if (c.f.Has("partners")) partners = ReadPartners(c.f, true);
  if (Status st = c.Parsed(budget); !st.ok()) return st;
  if (!title && !end_date && !budget && !partners) {
    return Refuse("payload.missing",
                  "an amendment changes at least one of title, end_date, budget, partners");
  }
  Status st;
  Project* p = ProjectOf(c, id, &st);
  if (!p) return st;
  if (st = NeedStatus("project", id, p->status, {"proposed", "approved", "active", "suspended"},
                      c.d().type);
      !st.ok()) {
    return st;
  }
  if (end_date) {
    if (st = NeedDates(p->start_date, *end_date); !st.ok()) return st;
  }
  if (budget && budget->currency != p->proposed_budget.currency) {
    return Refuse("state.currency", "project " + id + " is budgeted in " +
                                        p->proposed_budget.currency + ", not " + budget->currency);
  }
  if (partners) {
    if (st = CheckPartners(c.s, *partners); !st.ok()) return st;
  }
  if (title) p->title = std::move(*title);
  if (end_date) p->end_date = std::move(*end_date);
  if (budget) (p->approved_budget ? *p->approved_budget : p->proposed_budget) = *budget;
  if (partners) p->partners = std::move(*partners);
  Touch(*p, c);
  return Status::Ok();
}

Status ProjectEvaluated(Ctx& c) {
  const std::string& id = c.f.Id("project_id");
  Evaluation e{c.f.OneOf("rating", {"excellent", "good", "satisfactory", "poor"}),
               c.f.String("summary"), c.seq()};
  if (Status st = c.Parsed(); !st.ok()) return st;
  Status st;
  Project* p = ProjectOf(c, id, &st);
  if (!p) return st;
  if (st = NeedStatus("project", id, p->status, {"completed", "terminated"}, c.d().type);
      !st.ok()) {
    return st;
  }
  p->evaluation = std::move(e);
  Touch(*p, c);
  return Status::Ok();
}

// --- funding ----------------------------------------------------------------

Commitment* CommitmentOf(Ctx& c, const std::string& id, Status* st) {
  Commitment* m = c.FindCommitment(id);
  *st = NeedSubject(m, "commitment", id);
  if (st->ok()) *st = NeedTimeOrder(m->last_issued_at, c.at(), id);
  return st->ok() ? m : nullptr;
}

Status NeedCurrency(const Commitment& m, const std::string& currency) {
  return currency == m.currency ? Status::Ok()
                                : Refuse("state.currency", "commitment " + m.id + " is in " +
                                                               m.currency + ", not " + currency);
}

Status NeedOpen(const Commitment& m) {
  return m.closed ? Refuse("state.status", "commitment " + m.id + " is cancelled") : Status::Ok();
}

void Touch(Commitment& m, const Ctx& c) {
  m.last_seq = c.seq();
  m.last_issued_at = c.at();
}

Status FundingCommitted(Ctx& c) {
  Commitment m;
  m.id = c.f.Id("commitment_id");
  m.project_id = c.f.Id("project_id");
  m.source = c.f.OneOf("source", {"cn_government", "partner_government", "private"});
  m.party = c.f.OptionalCountry("party").value_or("");
  m.party_name = c.f.OptionalText("party_name").value_or(Text{});
  m.committed = c.f.Amount("amount");
  m.currency = c.f.Currency("currency");
  m.year = c.f.Int("year", 2000, 2100);
  if (Status st = c.Parsed(Money{m.committed, m.currency}); !st.ok()) return st;
  if (m.source == "private" ? m.party_name.en.empty() || !m.party.empty()
                            : m.party.empty() || !m.party_name.en.empty()) {
    return Refuse("payload.value",
                  m.source == "private"
                      ? "a private commitment names party_name, not party"
                      : "a government commitment names party (a country), not party_name");
  }
  if (m.source == "cn_government" && m.party != "CN") {
    return Refuse("payload.value", "a cn_government commitment has party CN");
  }
  if (m.source == "partner_government") {
    if (m.party == "CN")
      return Refuse("payload.value",
                    "a partner_government commitment names a partner country, not CN");
    if (Status st = NeedMember(c.s, m.party, "party"); !st.ok()) return st;
  }
  if (Status st = NeedNew(c.FindCommitment(m.id) != nullptr, "commitment", m.id); !st.ok()) {
    return st;
  }
  Status st;
  Project* p = ProjectOf(c, m.project_id, &st);
  if (!p) return st;
  if (st = NeedStatus("project", m.project_id, p->status, {"approved", "active", "suspended"},
                      c.d().type);
      !st.ok()) {
    return st;
  }
  m.committed_seq = c.seq();
  Touch(m, c);
  c.Add(std::move(m));
  return Status::Ok();
}

Status FundingDisbursed(Ctx& c) {
  const std::string& id = c.f.Id("commitment_id");
  Tranche t{c.f.Id("tranche_id"), c.f.Amount("amount"), "", c.seq()};
  const std::string& currency = c.f.Currency("currency");
  t.disbursed_on = c.f.Date("disbursed_on");
  if (Status st = c.Parsed(Money{t.amount, currency}); !st.ok()) return st;
  Status st;
  Commitment* m = CommitmentOf(c, id, &st);
  if (!m) return st;
  if (st = NeedOpen(*m); !st.ok()) return st;
  if (st = NeedCurrency(*m, currency); !st.ok()) return st;
  if (m->disbursed + t.amount > m->committed) {
    return Refuse("state.overdrawn", "commitment " + id + " has " +
                                         std::to_string(m->committed - m->disbursed) + " " +
                                         m->currency + " left to disburse; tranche " + t.id +
                                         " asks " + std::to_string(t.amount));
  }
  if (std::any_of(m->tranches.begin(), m->tranches.end(),
                  [&](const Tranche& x) { return x.id == t.id; })) {
    return Refuse("state.exists", "tranche " + t.id + " of commitment " + id + " already exists");
  }
  m->disbursed += t.amount;
  m->tranches.push_back(std::move(t));
  Touch(*m, c);
  return Status::Ok();
}

Status FundingReduced(Ctx& c) {
  const std::string& id = c.f.Id("commitment_id");
  const std::int64_t amount = c.f.Amount("amount");
  c.f.String("reason");
  if (Status st = c.Parsed(); !st.ok()) return st;
  Status st;
  Commitment* m = CommitmentOf(c, id, &st);
  if (!m) return st;
  if (st = NeedOpen(*m); !st.ok()) return st;
  if (amount >= m->committed || amount < m->disbursed) {
    return Refuse("state.amount", "commitment " + id + " can be reduced to between " +
                                      std::to_string(m->disbursed) + " (disbursed) and " +
                                      std::to_string(m->committed - 1) + ", not " +
                                      std::to_string(amount));
  }
  m->committed = amount;
  Touch(*m, c);
  return Status::Ok();
}

Status FundingCancelled(Ctx& c) {
  const std::string& id = c.f.Id("commitment_id");
  c.f.String("reason");
  if (Status st = c.Parsed(); !st.ok()) return st;
  Status st;
  Commitment* m = CommitmentOf(c, id, &st);
  if (!m) return st;
  if (st = NeedOpen(*m); !st.ok()) return st;
  m->committed = m->disbursed;
  m->closed = true;
  Touch(*m, c);
  return Status::Ok();
}

Status FundingReturned(Ctx& c) {
  const std::string& id = c.f.Id("commitment_id");
  const std::int64_t amount = c.f.Amount("amount");
  const std::string& currency = c.f.Currency("currency");
  c.f.String("reason");
  if (Status st = c.Parsed(); !st.ok()) return st;
  Status st;
  Commitment* m = CommitmentOf(c, id, &st);
  if (!m) return st;
  if (st = NeedCurrency(*m, currency); !st.ok()) return st;
  if (m->returned + amount > m->disbursed) {
    return Refuse("state.amount", "commitment " + id + " has " +
                                      std::to_string(m->disbursed - m->returned) + " " + currency +
                                      " disbursed and not returned; cannot return " +
                                      std::to_string(amount));
  }
  m->returned += amount;
  Touch(*m, c);
  return Status::Ok();
}

Status FundingExpenditure(Ctx& c) {
  const std::string& id = c.f.Id("commitment_id");
  const std::int64_t amount = c.f.Amount("amount");
  const std::string& currency = c.f.Currency("currency");
  c.f.String("period", 32);
  if (Status st = c.Parsed(); !st.ok()) return st;
  Status st;
  Commitment* m = CommitmentOf(c, id, &st);
  if (!m) return st;
  if (st = NeedCurrency(*m, currency); !st.ok()) return st;
  if (m->spent + amount > m->disbursed - m->returned) {
    return Refuse("state.amount", "commitment " + id + " has " +
                                      std::to_string(m->disbursed - m->returned - m->spent) + " " +
                                      currency + " disbursed and unspent; cannot report " +
                                      std::to_string(amount));
  }
  m->spent += amount;
  Touch(*m, c);
  return Status::Ok();
}

// --- partnerships -----------------------------------------------------------

Partnership* PartnershipOf(Ctx& c, const std::string& id, Status* st) {
  Partnership* p = Find(c.s.partnerships, id);
  *st = NeedSubject(p, "partnership", id);
  if (st->ok()) *st = NeedTimeOrder(p->last_issued_at, c.at(), id);
  if (st->ok() && p->status == "dissolved") {
    *st = Refuse("state.status", "partnership " + id + " is dissolved; nothing may change it");
  }
  return st->ok() ? p : nullptr;
}

void Touch(Partnership& p, const Ctx& c) {
  p.last_seq = c.seq();
  p.last_issued_at = c.at();
}

Status CheckCountries(const ProgrammeState& s, const std::vector<std::string>& countries) {
  for (const auto& country : countries) {
    if (Status st = NeedMember(s, country, "country"); !st.ok()) return st;
  }
  return Status::Ok();
}

Status PartnershipEstablished(Ctx& c) {
  Partnership p;
  p.id = c.f.Id("partnership_id");
  p.kind = c.f.OneOf("kind", {"bilateral_mechanism", "joint_laboratory", "science_park",
                              "training_centre", "technology_transfer_centre", "forum"});
  p.name = c.f.TextField("name");
  p.countries = c.f.Countries("countries");
  p.institutions = c.f.Texts("institutions");
  p.established_on = c.f.Date("established_on");
  p.until = c.f.OptionalDate("until").value_or("");
  if (Status st = c.Parsed(); !st.ok()) return st;
  if (Status st = NeedNew(c.s.partnerships.count(p.id) > 0, "partnership", p.id); !st.ok())
    return st;
  if (Status st = CheckCountries(c.s, p.countries); !st.ok()) return st;
  if (!p.until.empty()) {
    if (Status st = NeedDates(p.established_on, p.until); !st.ok()) return st;
  }
  p.status = "active";
  p.established_seq = c.seq();
  Touch(p, c);
  c.s.partnerships[p.id] = std::move(p);
  return Status::Ok();
}

Status PartnershipRenewed(Ctx& c) {
  const std::string& id = c.f.Id("partnership_id");
  const std::string& until = c.f.Date("until");
  if (Status st = c.Parsed(); !st.ok()) return st;
  Status st;
  Partnership* p = PartnershipOf(c, id, &st);
  if (!p) return st;
  if (until <= p->until || until <= p->established_on) {
    return Refuse("state.dates", "partnership " + id + " runs until " +
                                     (p->until.empty() ? p->established_on : p->until) +
                                     "; a renewal must run later than that, not until " + until);
  }
  p->until = until;
  Touch(*p, c);
  return Status::Ok();
}

Status PartnershipAmended(Ctx& c) {
  const std::string& id = c.f.Id("partnership_id");
  auto name = c.f.OptionalText("name");
  std::optional<std::vector<std::string>> countries;
  if (c.f.Has("countries")) countries = c.f.Countries("countries");
  std::optional<std::vector<Text>> institutions;
  if (c.f.Has("institutions")) institutions = c.f.Texts("institutions");
  if (Status st = c.Parsed(); !st.ok()) return st;
  if (!name && !countries && !institutions) {
    return Refuse("payload.missing",
                  "an amendment changes at least one of name, countries, institutions");
  }
  Status st;
  Partnership* p = PartnershipOf(c, id, &st);
  if (!p) return st;
  if (countries) {
    if (st = CheckCountries(c.s, *countries); !st.ok()) return st;
  }
  if (name) p->name = std::move(*name);
  if (countries) p->countries = std::move(*countries);
  if (institutions) p->institutions = std::move(*institutions);
  Touch(*p, c);
  return Status::Ok();
}

Status PartnershipTransition(Ctx& c, const char* from, const char* to) {
  const std::string& id = c.f.Id("partnership_id");
  c.f.String("reason");
  if (Status st = c.Parsed(); !st.ok()) return st;
  Status st;
  Partnership* p = PartnershipOf(c, id, &st);
  if (!p) return st;
  if (from && p->status != from) {
    return Refuse("state.status", "partnership " + id + " is " + p->status + "; " + c.d().type +
                                      " needs it " + from);
  }
  p->status = to;
  Touch(*p, c);
  return Status::Ok();
}

// --- the catalogue ----------------------------------------------------------

using Handler = Status (*)(Ctx&);

const std::map<std::string, Handler, std::less<>>& Handlers() {
  static const std::map<std::string, Handler, std::less<>> handlers = {
      {"governance.genesis", Genesis},
      {"governance.body_constituted", BodyConstituted},
      {"governance.body_dissolved", BodyDissolved},
      {"governance.member_admitted", MemberAdmitted},
      {"governance.officer_appointed", OfficerAppointed},
      {"governance.officer_removed", OfficerRemoved},
      {"governance.key_registered", KeyRegistered},
      {"governance.key_revoked", KeyRevoked},
      {"governance.key_rotated", KeyRotated},
      {"governance.policy_adopted", PolicyAdopted},
      {"governance.policy_repealed", PolicyRepealed},
      {"governance.meeting_held", MeetingHeld},
      {"governance.resolution_adopted", ResolutionAdopted},
      {"project.proposed", ProjectProposed},
      {"project.approved", ProjectApproved},
      {"project.rejected",
       [](Ctx& c) { return ProjectTransition(c, "reason", {"proposed"}, "rejected"); }},
      {"project.started",
       [](Ctx& c) { return ProjectTransition(c, "started_on", {"approved"}, "active", true); }},
      {"project.milestone_reported", ProjectMilestone},
      {"project.amended", ProjectAmended},
      {"project.suspended",
       [](Ctx& c) { return ProjectTransition(c, "reason", {"active"}, "suspended"); }},
      {"project.resumed",
       [](Ctx& c) { return ProjectTransition(c, "reason", {"suspended"}, "active"); }},
      {"project.completed",
       [](Ctx& c) { return ProjectTransition(c, "completed_on", {"active"}, "completed", true); }},
      {"project.terminated",
       [](Ctx& c) {
         return ProjectTransition(c, "reason", {"approved", "active", "suspended"}, "terminated");
       }},
      {"project.evaluated", ProjectEvaluated},
      {"funding.committed", FundingCommitted},
      {"funding.disbursed", FundingDisbursed},
      {"funding.reduced", FundingReduced},
      {"funding.cancelled", FundingCancelled},
      {"funding.returned", FundingReturned},
      {"funding.expenditure_reported", FundingExpenditure},
      {"partnership.established", PartnershipEstablished},
      {"partnership.renewed", PartnershipRenewed},
      {"partnership.amended", PartnershipAmended},
      {"partnership.suspended",
       [](Ctx& c) { return PartnershipTransition(c, "active", "suspended"); }},
      {"partnership.resumed",
       [](Ctx& c) { return PartnershipTransition(c, "suspended", "active"); }},
      {"partnership.dissolved",
       [](Ctx& c) { return PartnershipTransition(c, nullptr, "dissolved"); }},
  };
  return handlers;
}

}  // namespace

const std::vector<std::string>& EventTypes() {
  static const std::vector<std::string> types = [] {
    std::vector<std::string> out;
    for (const auto& [name, unused] : Handlers()) out.push_back(name);
    return out;
  }();
  return types;
}

std::vector<std::string> Subjects(const ledger::Decision& d) {
  std::vector<std::string> out;
  if (!d.payload.is_object()) return out;
  for (const auto& [name, value] : d.payload.as_object()) {
    const bool is_id = name.size() > 3 && name.compare(name.size() - 3, 3, "_id") == 0;
    const bool is_member = name == "country" && d.type == "governance.member_admitted";
    if ((is_id || is_member) && value.kind() == Value::Kind::kString &&
        std::find(out.begin(), out.end(), value.as_string()) == out.end()) {
      out.push_back(value.as_string());
    }
  }
  return out;
}

const crypto::PublicKey* FindPublicKey(const ProgrammeState& state, const crypto::Hash& key_id) {
  const Key* key = FindKey(state, key_id);
  return key ? CachedKey(key->public_key) : nullptr;
}

SubjectIndex::Hint SubjectIndex::HintOf(const ledger::Decision& decision) {
  if (!decision.payload.is_object()) return {};
  for (auto [name, table] : {std::pair{"project_id", Hint::Table::kProjects},
                             std::pair{"commitment_id", Hint::Table::kCommitments}}) {
    const Value* id = decision.payload.find(name);
    if (id && id->kind() == Value::Kind::kString) return {table, HashId(id->as_string())};
  }
  return {};
}

void SubjectIndex::PrefetchSlot(const Hint& hint) const {
  if (hint.table == Hint::Table::kProjects) projects.PrefetchSlot(hint.hash);
  if (hint.table == Hint::Table::kCommitments) commitments.PrefetchSlot(hint.hash);
}

void SubjectIndex::PrefetchSubject(const Hint& hint) const {
  if (hint.table == Hint::Table::kProjects) projects.PrefetchSubject(hint.hash);
  if (hint.table == Hint::Table::kCommitments) commitments.PrefetchSubject(hint.hash);
}

Status Apply(ProgrammeState* state, const ledger::Envelope& event, const ApplyOptions& options,
             Applied* applied) {
  const ledger::Decision& d = event.decision.decision;
  if (event.sequence != state->size) {
    return Refuse("state.sequence", "event " + std::to_string(event.sequence) +
                                        " does not follow the state's " +
                                        std::to_string(state->size) + " events");
  }
  // The catalogue by name through a hash (a walk down the ordered map
  // compares several strings of 20-odd bytes per event).
  static const auto by_name = [] {
    struct Hash {
      std::size_t operator()(std::string_view type) const { return HashId(type); }
    };
    std::unordered_map<std::string_view, const std::pair<const std::string, Handler>*, Hash> out;
    for (const auto& entry : Handlers()) out.emplace(entry.first, &entry);
    return out;
  }();
  auto found = by_name.find(d.type);
  const auto* handler = found == by_name.end() ? nullptr : found->second;
  if (!handler) {
    return Refuse("decision.unknown_type",
                  "\"" + d.type + "\" is not a decision type (docs/events.md)");
  }
  const bool is_genesis = d.type == "governance.genesis";
  if (state->size == 0 && !is_genesis) {
    return Refuse("genesis.missing", "the first decision of a ledger must be governance.genesis");
  }
  if (state->size > 0 && is_genesis) {
    return Refuse("genesis.repeated", "the ledger already has its genesis");
  }
  if (!d.payload.is_object()) return Refuse("decision.payload", "payload must be a JSON object");
  Ctx c{*state, event, options, handler->first, Fields(d.payload)};
  if (Status st = handler->second(c); !st.ok()) return st;
  state->size = event.sequence + 1;
  state->last_recorded_at = event.recorded_at;
  state->last_issued_at = std::max(state->last_issued_at, d.issued_at);
  if (applied) applied->authority = c.authority ? *c.authority : std::string();
  return Status::Ok();
}

}  // namespace pl::projections
