// Envelope: a decision as recorded in the log, and the tree heads that commit
// to the log.
//
// The Merkle leaf of an envelope is LeafHash(EntryBytes(envelope)) with
//
//   EntryBytes = "partnership-ledger/entry/v1\n" || JCS({"decision": {...},
//       "recorded_at": ..., "sequence": n, "signatures": [...]})
//
// and a tree head signs
//
//   "partnership-ledger/tree-head/v1\n" || size "\n" || base64(root) "\n"
//       || timestamp "\n"
//
// with the log's own Ed25519 key. docs/encoding.md has both, with vectors.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "crypto/ed25519.h"
#include "crypto/hash.h"
#include "ledger/decision.h"

namespace pl::ledger {

inline constexpr std::string_view kEntryDomain = "partnership-ledger/entry/v1\n";
inline constexpr std::string_view kTreeHeadDomain = "partnership-ledger/tree-head/v1\n";

struct Envelope {
  // Position in the log, from 0; also the Merkle leaf index.
  std::uint64_t sequence = 0;
  // When the log recorded it (the ledger's clock, not the signer's).
  Timestamp recorded_at = 0;
  SignedDecision decision;
  crypto::Hash leaf_hash{};

  bool operator==(const Envelope&) const = default;
};

std::string EntryBytes(const Envelope& envelope);
// The envelope as JSON: the entry fields plus "leaf_hash" (hex).
Value ToValue(const Envelope& envelope);

struct TreeHead {
  std::uint64_t size = 0;
  crypto::Hash root{};
  Timestamp timestamp = 0;
  crypto::Hash key_id{};  // the log key's id
  crypto::Signature signature{};

  bool operator==(const TreeHead&) const = default;
};

std::string SigningBytes(const TreeHead& head);
void Sign(TreeHead* head, const crypto::PrivateKey& log_key);
// Rule "tree_head.signature" when the signature or key id does not match.
Status Verify(const TreeHead& head, const crypto::PublicKey& log_key);
// {"size", "root" (hex), "timestamp", "key_id" (hex), "signature" (base64)}.
Value ToValue(const TreeHead& head);
Result<TreeHead> TreeHeadFromValue(const Value& value);

}  // namespace pl::ledger
