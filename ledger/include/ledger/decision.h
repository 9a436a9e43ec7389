// Decision: what a governing body decided, and the signatures that authorise it.
//
// The bytes a signer signs are the *signing bytes* of the decision:
//
//   "partnership-ledger/decision/v1\n" || JCS({"body": ..., "decision_id": ...,
//       "issued_at": ..., "payload": {...}, "type": ...})
//
// (JCS = RFC 8785 canonical JSON, see value.h). docs/encoding.md specifies
// them with test vectors; they must never change for an existing version.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/ed25519.h"
#include "crypto/hash.h"
#include "ledger/time.h"
#include "ledger/value.h"

namespace pl::ledger {

inline constexpr std::string_view kDecisionDomain = "partnership-ledger/decision/v1\n";

struct Decision {
  // Chosen by the client, unique in the log: the idempotency key.
  // [A-Za-z0-9._:-]{1,128}.
  std::string id;
  // The event type from the catalogue, e.g. "project.approved": [a-z0-9_.]{1,64}.
  std::string type;
  // The deciding body, e.g. "joint-committee": [a-z0-9-]{1,64}.
  std::string body;
  Timestamp issued_at = 0;
  // Always an object.
  Value payload = Value(Value::Object{});

  bool operator==(const Decision&) const = default;
};

struct DecisionSignature {
  crypto::Hash key_id{};  // SHA-256 of the signer's raw public key
  crypto::Signature signature{};
  bool operator==(const DecisionSignature&) const = default;
};

struct SignedDecision {
  Decision decision;
  // Sorted by key id, at most one per key.
  std::vector<DecisionSignature> signatures;
  bool operator==(const SignedDecision&) const = default;
};

// Limits on a decision received from outside.
struct DecisionLimits {
  JsonLimits json;
  std::size_t max_signatures = 16;
};

// Checks the fields' shapes (rules "decision.id", "decision.type",
// "decision.body", "decision.payload").
Status CheckShape(const Decision& decision);

std::string SigningBytes(const Decision& decision);
// The canonical JSON of ToValue(decision) (and of the signatures array),
// written straight to *out: the hot path of signing, hashing and verifying.
void AppendCanonicalJson(const Decision& decision, std::string* out);
void AppendCanonicalJson(const std::vector<DecisionSignature>& signatures, std::string* out);

// The decision as a JSON object: {"body","decision_id","issued_at","payload","type"}.
Value ToValue(const Decision& decision);
// Adds "signatures": [{"key_id": hex, "signature": base64}, ...].
Value ToValue(const SignedDecision& decision);

// Reads a decision from its JSON object; a "signatures" member, if present,
// is read into signatures (which may be empty). Refuses unknown members.
Result<SignedDecision> SignedDecisionFromValue(const Value& value,
                                               const DecisionLimits& limits = {});
Result<SignedDecision> ParseSignedDecision(std::string_view json,
                                           const DecisionLimits& limits = {});

// Adds (or replaces) the signature of `key`, keeping the signatures sorted.
void Sign(SignedDecision* decision, const crypto::PrivateKey& key);

// Resolves a key id to the public key allowed to sign; nullptr if unknown.
using KeyLookup = std::function<const crypto::PublicKey*(const crypto::Hash& key_id)>;

// Every signature verifies over the signing bytes with a known key; there is
// at least one. Rules: "signature.missing", "signature.unknown_key",
// "signature.invalid", "signature.duplicate_key".
Status VerifySignatures(const SignedDecision& decision, const KeyLookup& keys);

}  // namespace pl::ledger
