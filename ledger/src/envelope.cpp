#include "ledger/envelope.h"

#include <algorithm>

namespace pl::ledger {

namespace {

Value SignaturesValue(const SignedDecision& d) {
  const Value v = ToValue(d);
  return *v.find("signatures");
}

template <std::size_t N>
bool ReadFixed(const Value* v, bool hex, std::array<std::uint8_t, N>* out) {
  if (!v || v->kind() != Value::Kind::kString) return false;
  auto bytes = hex ? FromHex(v->as_string()) : FromBase64(v->as_string());
  if (!bytes || bytes->size() != N) return false;
  std::copy(bytes->begin(), bytes->end(), out->begin());
  return true;
}

}  // namespace

std::string EntryBytes(const Envelope& e) {
  // Members in key order, as JCS sorts them.
  std::string out(kEntryDomain);
  out.reserve(1024);
  out.append("{\"decision\":");
  AppendCanonicalJson(e.decision.decision, &out);
  out.append(",\"recorded_at\":\"");
  out.append(FormatTimestamp(e.recorded_at));
  out.append("\",\"sequence\":");
  out.append(std::to_string(e.sequence));
  out.append(",\"signatures\":");
  AppendCanonicalJson(e.decision.signatures, &out);
  out.push_back('}');
  return out;
}

Value ToValue(const Envelope& e) {
  return Value(Value::Object{{"decision", ToValue(e.decision.decision)},
                             {"leaf_hash", ToHex(e.leaf_hash)},
                             {"recorded_at", FormatTimestamp(e.recorded_at)},
                             {"sequence", static_cast<std::int64_t>(e.sequence)},
                             {"signatures", SignaturesValue(e.decision)}});
}

std::string SigningBytes(const TreeHead& h) {
  std::string out(kTreeHeadDomain);
  out +=
      std::to_string(h.size) + "\n" + ToBase64(h.root) + "\n" + FormatTimestamp(h.timestamp) + "\n";
  return out;
}

void Sign(TreeHead* h, const crypto::PrivateKey& log_key) {
  const auto id = FromHex(log_key.public_key().key_id());
  std::copy(id->begin(), id->end(), h->key_id.begin());
  h->signature = log_key.Sign(AsBytes(SigningBytes(*h)));
}

Status Verify(const TreeHead& h, const crypto::PublicKey& log_key) {
  if (ToHex(h.key_id) != log_key.key_id()) {
    return Status::Invalid("tree_head.signature", "tree head of size " + std::to_string(h.size) +
                                                      " is signed by key " + ToHex(h.key_id) +
                                                      ", not the log key " + log_key.key_id());
  }
  if (!log_key.Verify(AsBytes(SigningBytes(h)), h.signature)) {
    return Status::Invalid("tree_head.signature", "the signature on the tree head of size " +
                                                      std::to_string(h.size) + " does not verify");
  }
  return Status::Ok();
}

Value ToValue(const TreeHead& h) {
  return Value(Value::Object{{"key_id", ToHex(h.key_id)},
                             {"root", ToHex(h.root)},
                             {"signature", ToBase64(h.signature)},
                             {"size", static_cast<std::int64_t>(h.size)},
                             {"timestamp", FormatTimestamp(h.timestamp)}});
}

Result<TreeHead> TreeHeadFromValue(const Value& v) {
  TreeHead h;
  const Value* size = v.find("size");
  const Value* ts = v.find("timestamp");
  if (!size || size->kind() != Value::Kind::kInt || size->as_int() < 0 || !ts ||
      ts->kind() != Value::Kind::kString || !ReadFixed(v.find("root"), true, &h.root) ||
      !ReadFixed(v.find("key_id"), true, &h.key_id) ||
      !ReadFixed(v.find("signature"), false, &h.signature)) {
    return Status::Invalid("tree_head.shape",
                           "a tree head is {size, root (hex), timestamp, key_id (hex), "
                           "signature (base64)}");
  }
  h.size = static_cast<std::uint64_t>(size->as_int());
  auto t = ParseTimestamp(ts->as_string());
  if (!t.ok()) return t.status();
  h.timestamp = *t;
  return h;
}

}  // namespace pl::ledger
