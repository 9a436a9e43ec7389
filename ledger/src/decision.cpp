#include "ledger/decision.h"

#include <algorithm>

namespace pl::ledger {

namespace {

bool Matches(std::string_view s, std::size_t max, bool (*allowed)(char)) {
  return !s.empty() && s.size() <= max && std::all_of(s.begin(), s.end(), allowed);
}
bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool IdChar(char c) {
  return IsLowerAlnum(c) || (c >= 'A' && c <= 'Z') || c == '.' || c == '_' || c == ':' || c == '-';
}
bool TypeChar(char c) { return IsLowerAlnum(c) || c == '_' || c == '.'; }
bool BodyChar(char c) { return IsLowerAlnum(c) || c == '-'; }

Result<std::string> StringField(const Value& object, std::string_view name) {
  const Value* v = object.find(name);
  if (!v) return Status::Invalid("decision.field", "missing field \"" + std::string(name) + "\"");
  if (v->kind() != Value::Kind::kString) {
    return Status::Invalid("decision.field",
                           "field \"" + std::string(name) + "\" must be a string");
  }
  return v->as_string();
}

Result<DecisionSignature> SignatureFromValue(const Value& v) {
  if (!v.is_object()) {
    return Status::Invalid("signature.malformed",
                           "each signature is an object {key_id, signature}");
  }
  for (const auto& [name, unused] : v.as_object()) {
    if (name != "key_id" && name != "signature") {
      return Status::Invalid("signature.malformed", "unknown signature field \"" + name + "\"");
    }
  }
  const Value* key_id = v.find("key_id");
  const Value* sig = v.find("signature");
  if (!key_id || !sig || key_id->kind() != Value::Kind::kString ||
      sig->kind() != Value::Kind::kString) {
    return Status::Invalid("signature.malformed",
                           "a signature needs string fields key_id (hex) and signature (base64)");
  }
  auto id = FromHex(key_id->as_string());
  if (!id || id->size() != 32) {
    return Status::Invalid("signature.malformed",
                           "key_id \"" + key_id->as_string() + "\" is not 64 hex digits");
  }
  auto bytes = FromBase64(sig->as_string());
  if (!bytes || bytes->size() != 64) {
    return Status::Invalid("signature.malformed", "signature by key " + key_id->as_string() +
                                                      " is not 64 bytes of base64");
  }
  DecisionSignature out;
  std::copy(id->begin(), id->end(), out.key_id.begin());
  std::copy(bytes->begin(), bytes->end(), out.signature.begin());
  return out;
}

}  // namespace

Status CheckShape(const Decision& d) {
  if (!Matches(d.id, 128, IdChar)) {
    return Status::Invalid("decision.id",
                           "decision_id \"" + d.id + "\" must match [A-Za-z0-9._:-]{1,128}");
  }
  if (!Matches(d.type, 64, TypeChar)) {
    return Status::Invalid("decision.type", "type \"" + d.type + "\" must match [a-z0-9_.]{1,64}");
  }
  if (!Matches(d.body, 64, BodyChar)) {
    return Status::Invalid("decision.body", "body \"" + d.body + "\" must match [a-z0-9-]{1,64}");
  }
  if (!d.payload.is_object()) {
    return Status::Invalid("decision.payload", "payload must be a JSON object");
  }
  return Status::Ok();
}

Value ToValue(const Decision& d) {
  return Value(Value::Object{{"body", d.body},
                             {"decision_id", d.id},
                             {"issued_at", FormatTimestamp(d.issued_at)},
                             {"payload", d.payload},
                             {"type", d.type}});
}

Value ToValue(const SignedDecision& d) {
  Value::Array sigs;
  sigs.reserve(d.signatures.size());
  for (const auto& s : d.signatures) {
    sigs.emplace_back(
        Value::Object{{"key_id", ToHex(s.key_id)}, {"signature", ToBase64(s.signature)}});
  }
  Value v = ToValue(d.decision);
  Value::Object members = v.as_object();
  members.emplace_back("signatures", std::move(sigs));
  return Value(std::move(members));
}

void AppendCanonicalJson(const Decision& d, std::string* out) {
  // Members in key order, as JCS sorts them.
  out->append("{\"body\":");
  AppendJsonString(d.body, out);
  out->append(",\"decision_id\":");
  AppendJsonString(d.id, out);
  out->append(",\"issued_at\":\"");
  out->append(FormatTimestamp(d.issued_at));
  out->append("\",\"payload\":");
  AppendCanonicalJson(d.payload, out);
  out->append(",\"type\":");
  AppendJsonString(d.type, out);
  out->push_back('}');
}

void AppendCanonicalJson(const std::vector<DecisionSignature>& signatures, std::string* out) {
  out->push_back('[');
  for (std::size_t i = 0; i < signatures.size(); ++i) {
    if (i) out->push_back(',');
    out->append("{\"key_id\":\"");
    out->append(ToHex(signatures[i].key_id));
    out->append("\",\"signature\":\"");
    out->append(ToBase64(signatures[i].signature));
    out->append("\"}");
  }
  out->push_back(']');
}

std::string SigningBytes(const Decision& d) {
  std::string out(kDecisionDomain);
  out.reserve(512);
  AppendCanonicalJson(d, &out);
  return out;
}

Result<SignedDecision> SignedDecisionFromValue(const Value& v, const DecisionLimits& limits) {
  if (!v.is_object()) return Status::Invalid("decision.shape", "a decision is a JSON object");
  for (const auto& [name, unused] : v.as_object()) {
    if (name != "body" && name != "decision_id" && name != "issued_at" && name != "payload" &&
        name != "type" && name != "signatures") {
      return Status::Invalid("decision.field", "unknown field \"" + name + "\"");
    }
  }
  SignedDecision out;
  Decision& d = out.decision;
  auto id = StringField(v, "decision_id");
  if (!id.ok()) return id.status();
  d.id = std::move(*id);
  auto type = StringField(v, "type");
  if (!type.ok()) return type.status();
  d.type = std::move(*type);
  auto body = StringField(v, "body");
  if (!body.ok()) return body.status();
  d.body = std::move(*body);
  auto issued = StringField(v, "issued_at");
  if (!issued.ok()) return issued.status();
  auto t = ParseTimestamp(*issued);
  if (!t.ok()) return t.status();
  d.issued_at = *t;
  const Value* payload = v.find("payload");
  if (!payload) return Status::Invalid("decision.field", "missing field \"payload\"");
  d.payload = *payload;
  if (Status s = CheckShape(d); !s.ok()) return s;

  if (const Value* sigs = v.find("signatures")) {
    if (sigs->kind() != Value::Kind::kArray) {
      return Status::Invalid("signature.malformed", "signatures must be an array");
    }
    if (sigs->as_array().size() > limits.max_signatures) {
      return Status::Invalid("signature.too_many",
                             "more than " + std::to_string(limits.max_signatures) + " signatures");
    }
    for (const Value& item : sigs->as_array()) {
      auto sig = SignatureFromValue(item);
      if (!sig.ok()) return sig.status();
      out.signatures.push_back(*sig);
    }
    std::sort(out.signatures.begin(), out.signatures.end(),
              [](const auto& a, const auto& b) { return a.key_id < b.key_id; });
    for (std::size_t i = 1; i < out.signatures.size(); ++i) {
      if (out.signatures[i - 1].key_id == out.signatures[i].key_id) {
        return Status::Invalid("signature.duplicate_key",
                               "key " + ToHex(out.signatures[i].key_id) + " signs twice");
      }
    }
  }
  return out;
}

Result<SignedDecision> ParseSignedDecision(std::string_view json, const DecisionLimits& limits) {
  auto v = ParseJson(json, limits.json);
  if (!v.ok()) return v.status();
  return SignedDecisionFromValue(*v, limits);
}

void Sign(SignedDecision* d, const crypto::PrivateKey& key) {
  const std::string bytes = SigningBytes(d->decision);
  DecisionSignature sig;
  const auto& raw_id = FromHex(key.public_key().key_id());
  std::copy(raw_id->begin(), raw_id->end(), sig.key_id.begin());
  sig.signature = key.Sign(AsBytes(bytes));
  auto it = std::lower_bound(d->signatures.begin(), d->signatures.end(), sig,
                             [](const auto& a, const auto& b) { return a.key_id < b.key_id; });
  if (it != d->signatures.end() && it->key_id == sig.key_id) {
    *it = sig;
  } else {
    d->signatures.insert(it, sig);
  }
}

Status VerifySignatures(const SignedDecision& d, const KeyLookup& keys) {
  if (d.signatures.empty()) {
    return Status::Invalid("signature.missing", "decision " + d.decision.id + " is not signed");
  }
  const std::string bytes = SigningBytes(d.decision);
  for (std::size_t i = 0; i < d.signatures.size(); ++i) {
    const DecisionSignature& s = d.signatures[i];
    if (i > 0 && !(d.signatures[i - 1].key_id < s.key_id)) {
      return Status::Invalid("signature.duplicate_key",
                             "signatures must be sorted by key id with one per key");
    }
    const crypto::PublicKey* key = keys(s.key_id);
    if (!key) {
      return Status::Invalid(
          "signature.unknown_key",
          "decision " + d.decision.id + " is signed by unknown key " + ToHex(s.key_id));
    }
    if (!key->Verify(AsBytes(bytes), s.signature)) {
      return Status::Invalid("signature.invalid", "the signature of key " + ToHex(s.key_id) +
                                                      " on decision " + d.decision.id +
                                                      " does not verify");
    }
  }
  return Status::Ok();
}

}  // namespace pl::ledger
