#include "export_format.h"

#include <algorithm>
#include <functional>
#include <map>
#include <set>
#include <sstream>

#include "crypto/hash.h"
#include "projections/rules.h"

namespace pl::ctl {
namespace {

using ledger::Value;

std::string EventName(std::uint64_t seq, const std::string& id) {
  return "event " + std::to_string(seq) + (id.empty() ? "" : " (decision " + id + ")");
}

std::optional<crypto::Hash> HashFromHex(std::string_view hex) {
  auto bytes = FromHex(hex);
  if (!bytes || bytes->size() != 32) return std::nullopt;
  crypto::Hash h;
  std::copy(bytes->begin(), bytes->end(), h.begin());
  return h;
}

std::vector<std::string> SplitSpaces(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string item; in >> item;) out.push_back(item);
  return out;
}

// The CloudEvents attributes hold strings, integers and binary (as base64):
// signatures are "KEY_ID:SIGNATURE" pairs (hex, base64) separated by spaces,
// proofs hex hashes separated by spaces.
std::string SignaturesText(const std::vector<ledger::DecisionSignature>& signatures) {
  std::string out;
  for (const auto& s : signatures) {
    if (!out.empty()) out += ' ';
    out += ToHex(s.key_id) + ":" + ToBase64(s.signature);
  }
  return out;
}

std::string HashesText(const std::vector<crypto::Hash>& hashes) {
  std::string out;
  for (const auto& h : hashes) {
    if (!out.empty()) out += ' ';
    out += ToHex(h);
  }
  return out;
}

std::optional<std::vector<crypto::Hash>> HashesFromText(const std::string& text) {
  std::vector<crypto::Hash> out;
  for (const auto& item : SplitSpaces(text)) {
    auto h = HashFromHex(item);
    if (!h) return std::nullopt;
    out.push_back(*h);
  }
  return out;
}

// The subject a reader looks an event up by: the id named after the type's
// family ("project_id" for project.*), else the first subject the audit
// index files it under; none for events without one.
std::string PrimarySubject(const ledger::Decision& d) {
  const std::string family = d.type.substr(0, d.type.find('.'));
  if (const Value* v = d.payload.find(family + "_id"); v && v->kind() == Value::Kind::kString) {
    return v->as_string();
  }
  auto subjects = projections::Subjects(d);
  return subjects.empty() ? std::string() : subjects.front();
}

const std::string* StringMember(const Value& v, std::string_view name) {
  const Value* m = v.find(name);
  return m && m->kind() == Value::Kind::kString ? &m->as_string() : nullptr;
}

std::optional<std::int64_t> IntMember(const Value& v, std::string_view name) {
  const Value* m = v.find(name);
  if (!m || m->kind() != Value::Kind::kInt) return std::nullopt;
  return m->as_int();
}

}  // namespace

std::string LogSource(const crypto::PublicKey& log_key) {
  return "urn:partnership-ledger:" + log_key.key_id();
}

Value ToCloudEvent(const ledger::Envelope& event, const std::string& source,
                   const std::vector<crypto::Hash>* inclusion) {
  const ledger::Decision& d = event.decision.decision;
  Value::Object o{{"specversion", "1.0"},
                  {"id", d.id},
                  {"source", source},
                  {"type", std::string(kEventTypePrefix) + d.type},
                  {"time", ledger::FormatTimestamp(d.issued_at)},
                  {"datacontenttype", "application/json"},
                  {"data", d.payload},
                  {"plsequence", static_cast<std::int64_t>(event.sequence)},
                  {"plbody", d.body},
                  {"plsignatures", SignaturesText(event.decision.signatures)},
                  {"plsignedbytes", ToBase64(AsBytes(ledger::SigningBytes(d)))},
                  {"plrecordedat", ledger::FormatTimestamp(event.recorded_at)},
                  {"plleafhash", ToHex(event.leaf_hash)}};
  if (std::string subject = PrimarySubject(d); !subject.empty()) {
    o.emplace_back("subject", std::move(subject));
  }
  if (inclusion) o.emplace_back("plinclusion", HashesText(*inclusion));
  return Value(std::move(o));
}

Value ToCloudEvent(const ledger::TreeHead& head, const crypto::PublicKey& log_key,
                   const std::string& source) {
  Value::Object data = ledger::ToValue(head).as_object();
  data.emplace_back("log_public_key", ToBase64(log_key.raw()));
  return Value(Value::Object{{"specversion", "1.0"},
                             {"id", "tree-head-" + std::to_string(head.size)},
                             {"source", source},
                             {"type", std::string(kTreeHeadEventType)},
                             {"time", ledger::FormatTimestamp(head.timestamp)},
                             {"datacontenttype", "application/json"},
                             {"data", Value(std::move(data))}});
}

Status CheckTrustedLogKey(const std::string& trusted_key_id, const std::string& signed_by) {
  if (trusted_key_id.empty() || trusted_key_id == signed_by) return Status::Ok();
  return Status::Invalid("export.log_key", "the tree head is signed by log key " + signed_by +
                                               ", not the trusted " + trusted_key_id);
}

bool IsTreeHeadEvent(const Value& event) {
  const std::string* type = StringMember(event, "type");
  return type && *type == kTreeHeadEventType;
}

ledger::JsonLimits ExportLineLimits() { return {.max_depth = 24, .max_bytes = 1 << 20}; }

ledger::JsonLimits BundleLimits(std::size_t bytes) {
  return {.max_depth = 24, .max_bytes = std::max<std::size_t>(bytes, 1)};
}

Result<ExportedEvent> FromCloudEvent(const Value& v) {
  auto shape = [](const std::string& where, const std::string& what) {
    return Status::Invalid("export.shape", where + ": " + what);
  };
  if (!v.is_object()) return shape("an event", "is not a JSON object");
  const auto seq = IntMember(v, "plsequence");
  if (!seq || *seq < 0) return shape("an event", "has no plsequence (a non-negative integer)");
  const std::string* id = StringMember(v, "id");
  const std::string where = EventName(static_cast<std::uint64_t>(*seq), id ? *id : "");
  const std::string* spec = StringMember(v, "specversion");
  if (!spec || *spec != "1.0") return shape(where, "specversion is not \"1.0\"");
  const std::string* type = StringMember(v, "type");
  if (!type || !type->starts_with(kEventTypePrefix)) {
    return shape(where, "type does not start with \"" + std::string(kEventTypePrefix) + "\"");
  }
  const Value* data = v.find("data");
  const std::string* time = StringMember(v, "time");
  const std::string* body = StringMember(v, "plbody");
  const std::string* sigs = StringMember(v, "plsignatures");
  const std::string* signed_bytes = StringMember(v, "plsignedbytes");
  const std::string* recorded_at = StringMember(v, "plrecordedat");
  const std::string* leaf = StringMember(v, "plleafhash");
  if (!id || !data || !data->is_object() || !time || !body || !sigs || !signed_bytes ||
      !recorded_at || !leaf) {
    return shape(where,
                 "needs id, time, data (an object), plbody, plsignatures, plsignedbytes, "
                 "plrecordedat and plleafhash");
  }
  ExportedEvent out;
  ledger::Envelope& e = out.envelope;
  e.sequence = static_cast<std::uint64_t>(*seq);
  ledger::Decision& d = e.decision.decision;
  d.id = *id;
  d.type = type->substr(kEventTypePrefix.size());
  d.body = *body;
  d.payload = *data;
  auto issued = ledger::ParseTimestamp(*time);
  auto recorded = ledger::ParseTimestamp(*recorded_at);
  if (!issued.ok() || !recorded.ok()) {
    return shape(where, "time and plrecordedat must be RFC 3339 timestamps in their one form");
  }
  d.issued_at = *issued;
  e.recorded_at = *recorded;
  if (Status s = ledger::CheckShape(d); !s.ok()) {
    return Status::Invalid(s.rule(), where + ": " + s.message());
  }
  for (const auto& item : SplitSpaces(*sigs)) {
    const auto colon = item.find(':');
    auto key_id = HashFromHex(item.substr(0, colon));
    auto sig = colon == std::string::npos ? std::nullopt : FromBase64(item.substr(colon + 1));
    if (!key_id || !sig || sig->size() != 64) {
      return shape(where, "plsignatures must be KEY_ID:SIGNATURE pairs (hex, base64)");
    }
    ledger::DecisionSignature s;
    s.key_id = *key_id;
    std::copy(sig->begin(), sig->end(), s.signature.begin());
    e.decision.signatures.push_back(s);
  }
  auto exported_bytes = FromBase64(*signed_bytes);
  if (!exported_bytes) return shape(where, "plsignedbytes is not base64");
  const std::string rebuilt = ledger::SigningBytes(d);
  if (std::string(exported_bytes->begin(), exported_bytes->end()) != rebuilt) {
    return Status::Invalid("export.signed_bytes",
                           where +
                               ": the signing bytes re-created from data, id, type, plbody and "
                               "time differ from plsignedbytes");
  }
  auto exported_leaf = HashFromHex(*leaf);
  if (!exported_leaf) return shape(where, "plleafhash is not 64 hex digits");
  e.leaf_hash = crypto::LeafHash(AsBytes(ledger::EntryBytes(e)));
  if (e.leaf_hash != *exported_leaf) {
    return Status::Invalid("export.leaf_hash", where +
                                                   ": the entry re-created from the event "
                                                   "hashes to " +
                                                   ToHex(e.leaf_hash) + ", not plleafhash " +
                                                   *leaf);
  }
  if (const Value* proof = v.find("plinclusion")) {
    auto hashes =
        proof->kind() == Value::Kind::kString ? HashesFromText(proof->as_string()) : std::nullopt;
    if (!hashes) return shape(where, "plinclusion must be hex hashes separated by spaces");
    out.inclusion = std::move(*hashes);
  }
  return out;
}

Result<ExportedHead> FromTreeHeadEvent(const Value& v) {
  const Value* data = v.find("data");
  if (!IsTreeHeadEvent(v) || !data || !data->is_object()) {
    return Status::Invalid("export.shape", "the tree head line must be of type " +
                                               std::string(kTreeHeadEventType) +
                                               " with the head as data");
  }
  auto head = ledger::TreeHeadFromValue(*data);
  if (!head.ok()) return head.status();
  const std::string* raw = StringMember(*data, "log_public_key");
  auto raw_bytes = raw ? FromBase64(*raw) : std::nullopt;
  auto key = raw_bytes ? crypto::PublicKey::FromRaw(*raw_bytes)
                       : Result<crypto::PublicKey>(Status::Invalid("", ""));
  if (!key.ok()) {
    return Status::Invalid("export.shape",
                           "the tree head line has no log_public_key (base64 of 32 bytes)");
  }
  if (Status s = ledger::Verify(*head, *key); !s.ok()) return s;
  return ExportedHead{*head, *key};
}

namespace {

struct BundleKey {
  crypto::PublicKey key;
  std::string public_key_text;  // base64, as the registering event carries it
  std::string officer_id;
  std::string body_id;
  std::uint64_t registered_seq = 0;
  std::optional<std::uint64_t> ended_seq;
  std::uint64_t appointed_seq = 0;
  std::optional<std::uint64_t> removed_seq;
};

// The object in v that names the key (as "key_id" or, for a rotation's new
// key, "new_key_id") with its public key: how genesis, key_registered and
// key_rotated register one. nullptr if none does.
const Value* FindRegistration(const Value& v, const std::string& key_id,
                              const std::string& public_key) {
  if (v.is_object()) {
    const std::string* pk = StringMember(v, "public_key");
    const char* name = v.find("new_key_id") ? "new_key_id" : "key_id";
    const std::string* id = StringMember(v, name);
    if (pk && id && *id == key_id && *pk == public_key) return &v;
    for (const auto& [member_name, member] : v.as_object()) {
      if (const Value* found = FindRegistration(member, key_id, public_key)) return found;
    }
  } else if (v.kind() == Value::Kind::kArray) {
    for (const auto& item : v.as_array()) {
      if (const Value* found = FindRegistration(item, key_id, public_key)) return found;
    }
  }
  return nullptr;
}

// Whether some object in v appoints the officer to the body (genesis's
// officers, governance.officer_appointed).
bool Appoints(const Value& v, const std::string& officer_id, const std::string& body_id) {
  if (v.is_object()) {
    const std::string* officer = StringMember(v, "officer_id");
    const std::string* body = StringMember(v, "body_id");
    if (officer && body && *officer == officer_id && *body == body_id) return true;
    for (const auto& [name, member] : v.as_object()) {
      if (Appoints(member, officer_id, body_id)) return true;
    }
  } else if (v.kind() == Value::Kind::kArray) {
    for (const auto& item : v.as_array()) {
      if (Appoints(item, officer_id, body_id)) return true;
    }
  }
  return false;
}

}  // namespace

Result<BundleReport> VerifyBundle(const Value& bundle) {
  auto shape = [](const std::string& what) { return Status::Invalid("bundle.shape", what); };
  if (!bundle.is_object()) return shape("a bundle is a JSON object");
  const std::string* format = StringMember(bundle, "format");
  if (!format || *format != kBundleFormat) {
    return shape("format is not \"" + std::string(kBundleFormat) + "\"");
  }
  BundleReport report;

  // The log key and the tree head it signed.
  const Value* log_key_v = bundle.find("log_key");
  const std::string* log_raw = log_key_v ? StringMember(*log_key_v, "public_key") : nullptr;
  auto log_raw_bytes = log_raw ? FromBase64(*log_raw) : std::nullopt;
  if (!log_raw_bytes) return shape("log_key.public_key must be base64 of the raw 32-byte key");
  auto log_key = crypto::PublicKey::FromRaw(*log_raw_bytes);
  if (!log_key.ok()) return log_key.status();
  report.log_key_id = log_key->key_id();
  const Value* head_v = bundle.find("tree_head");
  if (!head_v) return shape("no tree_head");
  auto head = ledger::TreeHeadFromValue(*head_v);
  if (!head.ok()) return head.status();
  if (Status s = ledger::Verify(*head, *log_key); !s.ok()) return s;
  report.head = *head;

  if (const Value* c = bundle.find("consistency")) {
    const auto old_size = IntMember(*c, "old_size");
    const std::string* old_root_hex = StringMember(*c, "old_root");
    const auto old_root = old_root_hex ? HashFromHex(*old_root_hex) : std::nullopt;
    const Value* proof_v = c->find("proof");
    if (!old_size || !old_root || !proof_v || proof_v->kind() != Value::Kind::kArray) {
      return shape("consistency needs old_size, old_root (hex) and proof (hex hashes)");
    }
    std::vector<crypto::Hash> proof;
    for (const auto& h : proof_v->as_array()) {
      auto hash = h.kind() == Value::Kind::kString ? HashFromHex(h.as_string()) : std::nullopt;
      if (!hash) return shape("consistency.proof must hold hex hashes");
      proof.push_back(*hash);
    }
    const auto old = static_cast<std::uint64_t>(*old_size);
    if (old == 0 || old > head->size ||
        !crypto::VerifyConsistency(old, head->size, *old_root, head->root, proof).ok()) {
      return Status::Invalid("bundle.consistency", "the tree of size " + std::to_string(old) +
                                                       " and root " + *old_root_hex +
                                                       " is not proven a prefix of the tree "
                                                       "of size " +
                                                       std::to_string(head->size));
    }
    if (const Value* old_v = c->find("old_tree_head")) {
      auto old_head = ledger::TreeHeadFromValue(*old_v);
      if (!old_head.ok()) return old_head.status();
      if (Status s = ledger::Verify(*old_head, *log_key); !s.ok()) return s;
      if (old_head->size != old || old_head->root != *old_root) {
        return Status::Invalid("bundle.consistency",
                               "old_tree_head does not sign old_size and old_root");
      }
    }
    report.consistent_from = old;
  }

  // The keys, each matching its id.
  std::map<crypto::Hash, BundleKey> keys;
  const Value* keys_v = bundle.find("keys");
  if (!keys_v || keys_v->kind() != Value::Kind::kArray) return shape("no keys array");
  for (const Value& k : keys_v->as_array()) {
    const std::string* id = StringMember(k, "key_id");
    const std::string* pk = StringMember(k, "public_key");
    const std::string* officer = StringMember(k, "officer_id");
    const std::string* body = StringMember(k, "body_id");
    const auto registered = IntMember(k, "registered_seq");
    const auto appointed = IntMember(k, "officer_appointed_seq");
    auto key_id = id ? HashFromHex(*id) : std::nullopt;
    auto raw = pk ? FromBase64(*pk) : std::nullopt;
    if (!key_id || !raw || !officer || !body || !registered || !appointed) {
      return shape(
          "a key needs key_id, public_key, officer_id, body_id, registered_seq and "
          "officer_appointed_seq");
    }
    auto key = crypto::PublicKey::FromRaw(*raw);
    if (!key.ok() || key->key_id() != *id) {
      return Status::Invalid("bundle.key_id", "key " + *id +
                                                  " is not the SHA-256 of its "
                                                  "public key");
    }
    BundleKey entry{.key = *key,
                    .public_key_text = *pk,
                    .officer_id = *officer,
                    .body_id = *body,
                    .registered_seq = static_cast<std::uint64_t>(*registered),
                    .ended_seq = std::nullopt,
                    .appointed_seq = static_cast<std::uint64_t>(*appointed),
                    .removed_seq = std::nullopt};
    if (auto ended = IntMember(k, "ended_seq")) entry.ended_seq = *ended;
    if (auto removed = IntMember(k, "officer_removed_seq")) entry.removed_seq = *removed;
    keys.emplace(*key_id, std::move(entry));
  }
  report.keys = keys.size();

  // Every event: bytes, leaf, inclusion, and signatures by keys valid then.
  std::map<std::uint64_t, ledger::Envelope> seen;
  for (const char* list : {"events", "key_events"}) {
    const Value* events = bundle.find(list);
    if (!events || events->kind() != Value::Kind::kArray) {
      return shape(std::string("no ") + list + " array");
    }
    for (const Value& ev : events->as_array()) {
      auto exported = FromCloudEvent(ev);
      if (!exported.ok()) return exported.status();
      const ledger::Envelope& e = exported->envelope;
      const std::string where = EventName(e.sequence, e.decision.decision.id);
      for (const auto& sig : e.decision.signatures) {
        auto it = keys.find(sig.key_id);
        if (it == keys.end()) {
          return Status::Invalid(
              "bundle.unknown_key",
              where + ": signed by key " + ToHex(sig.key_id) + ", which the bundle does not hold");
        }
        const BundleKey& k = it->second;
        // A key signs from the event after its registration (the genesis's
        // keys sign the genesis itself) up to and including the event that
        // ends it (the rules check a signer before the event applies, so a
        // key may sign its own rotation and an officer their own handover).
        const bool registered =
            k.registered_seq < e.sequence || (k.registered_seq == 0 && e.sequence == 0);
        if (!registered || (k.ended_seq && e.sequence > *k.ended_seq)) {
          return Status::Invalid(
              "bundle.key_validity",
              where + ": key " + ToHex(sig.key_id) + " was not valid then (registered at event " +
                  std::to_string(k.registered_seq) +
                  (k.ended_seq ? ", ended at " + std::to_string(*k.ended_seq) : std::string()) +
                  ")");
        }
        const bool appointed =
            k.appointed_seq < e.sequence || (k.appointed_seq == 0 && e.sequence == 0);
        if (k.body_id != e.decision.decision.body || !appointed ||
            (k.removed_seq && e.sequence > *k.removed_seq)) {
          return Status::Invalid("bundle.key_body", where + ": key " + ToHex(sig.key_id) +
                                                        " was not held by an officer of " +
                                                        e.decision.decision.body + " then");
        }
      }
      Status s = ledger::VerifySignatures(
          e.decision, [&keys](const crypto::Hash& id) -> const crypto::PublicKey* {
            auto it = keys.find(id);
            return it == keys.end() ? nullptr : &it->second.key;
          });
      if (!s.ok()) return Status::Invalid(s.rule(), where + ": " + s.message());
      if (!exported->inclusion || e.sequence >= head->size ||
          !crypto::VerifyInclusion(e.leaf_hash, e.sequence, head->size, *exported->inclusion,
                                   head->root)
               .ok()) {
        return Status::Invalid("bundle.inclusion", where +
                                                       ": its inclusion proof does not lead to "
                                                       "the root of the tree head of size " +
                                                       std::to_string(head->size));
      }
      report.signatures += e.decision.signatures.size();
      (std::string_view(list) == "events" ? report.events : report.key_events) += 1;
      seen.emplace(e.sequence, e);
    }
  }

  // The events that registered and ended each key, and appointed and removed
  // its officer, are there and say so.
  auto evidence = [&](const std::string& key, std::uint64_t seq, const std::string& what,
                      const std::function<bool(const ledger::Decision&)>& says) -> Status {
    auto it = seen.find(seq);
    if (it == seen.end() || !says(it->second.decision.decision)) {
      return Status::Invalid("bundle.key_evidence", "key " + key + ": event " +
                                                        std::to_string(seq) + " that " + what +
                                                        " is missing or does not say so");
    }
    return Status::Ok();
  };
  auto names = [](const ledger::Decision& d, const char* field, const std::string& id) {
    const std::string* value = StringMember(d.payload, field);
    return value && *value == id;
  };
  for (const auto& entry : keys) {
    const auto& k = entry.second;  // not a structured binding: the lambdas below capture it
    const std::string hex = ToHex(entry.first);
    Status s = evidence(hex, k.registered_seq, "registered it", [&](const ledger::Decision& d) {
      const Value* reg = FindRegistration(d.payload, hex, k.public_key_text);
      // A rotation's new key belongs to the old key's officer, who is not named.
      const std::string* officer = reg ? StringMember(*reg, "officer_id") : nullptr;
      return reg && (!officer || *officer == k.officer_id);
    });
    if (s.ok() && k.ended_seq) {
      s = evidence(hex, *k.ended_seq, "ended it", [&](const ledger::Decision& d) {
        return (d.type == "governance.key_revoked" || d.type == "governance.key_rotated") &&
               names(d, "key_id", hex);
      });
    }
    if (s.ok()) {
      s = evidence(
          hex, k.appointed_seq, "appointed its officer to " + k.body_id,
          [&](const ledger::Decision& d) { return Appoints(d.payload, k.officer_id, k.body_id); });
    }
    if (s.ok() && k.removed_seq) {
      s = evidence(hex, *k.removed_seq, "removed its officer", [&](const ledger::Decision& d) {
        return (d.type == "governance.officer_removed" && names(d, "officer_id", k.officer_id)) ||
               (d.type == "governance.body_dissolved" && names(d, "body_id", k.body_id));
      });
    }
    if (!s.ok()) return s;
  }
  return report;
}

}  // namespace pl::ctl
