// The export formats of a log (docs/ledgerctl.md, docs/verification.md):
//
//   JSON Lines  one CloudEvents 1.0 JSON event per recorded decision, then a
//               last line of type kTreeHeadEventType holding the signed tree
//               head that covers them and the log's public key.
//   bundle      one JSON document (kBundleFormat) with the chosen events, the
//               events that registered and ended their signers' keys and
//               appointed and removed those keys' officers, the keys with
//               their validity, inclusion proofs of every event
//               against the tree head, the head and the log's public key, and
//               optionally a consistency proof from an earlier head; checked
//               fully offline by VerifyBundle.
//
// Reading either format re-creates the signing bytes and the leaf hash from
// the event's fields and refuses an event whose exported bytes or hash differ,
// so nothing downstream ever trusts the exported copies.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/ed25519.h"
#include "crypto/merkle.h"
#include "ledger/envelope.h"
#include "ledger/value.h"

namespace pl::ctl {

// Every exported event type is this prefix followed by the decision type:
// "project.approved" -> "org.cast-partnership.project.approved".
inline constexpr std::string_view kEventTypePrefix = "org.cast-partnership.";
inline constexpr std::string_view kTreeHeadEventType = "org.cast-partnership.log.tree_head";
inline constexpr std::string_view kBundleFormat = "partnership-ledger/bundle/v1";

// "urn:partnership-ledger:" + the log key id: the CloudEvents source of a log.
std::string LogSource(const crypto::PublicKey& log_key);

// The event as a CloudEvent; with `inclusion`, its audit path against the
// exported tree head as the "plinclusion" attribute.
ledger::Value ToCloudEvent(const ledger::Envelope& event, const std::string& source,
                           const std::vector<crypto::Hash>* inclusion = nullptr);
// The tree head line: the head and the log's raw public key as its data.
ledger::Value ToCloudEvent(const ledger::TreeHead& head, const crypto::PublicKey& log_key,
                           const std::string& source);

struct ExportedEvent {
  // leaf_hash is the one re-computed from the fields; it equals the exported one.
  ledger::Envelope envelope;
  std::optional<std::vector<crypto::Hash>> inclusion;
};

// Reads an exported event. Rules: "export.shape" (a missing or malformed
// attribute), "export.signed_bytes" (the signing bytes re-created from data
// and the decision attributes differ from the exported ones),
// "export.leaf_hash" (the re-computed leaf hash differs from the exported one).
Result<ExportedEvent> FromCloudEvent(const ledger::Value& event);

struct ExportedHead {
  ledger::TreeHead head;
  crypto::PublicKey log_key;
};

// Reads a tree head line and checks its signature under the log key it
// carries ("export.shape", "tree_head.signature"). Whether that log key is the
// one the reader trusts is the reader's decision (compare its key id).
Result<ExportedHead> FromTreeHeadEvent(const ledger::Value& event);

// When the reader named the log key it trusts (its hex key id, obtained out
// of band), refuses ("export.log_key") an export signed by any other key.
Status CheckTrustedLogKey(const std::string& trusted_key_id, const std::string& signed_by);

// Whether a JSON Lines line is the tree head line.
bool IsTreeHeadEvent(const ledger::Value& event);

// JSON limits for reading exports: a line holds a payload (64 KiB, 16 deep)
// plus the attributes; a bundle holds many.
ledger::JsonLimits ExportLineLimits();
ledger::JsonLimits BundleLimits(std::size_t bytes);

struct BundleReport {
  std::uint64_t events = 0;      // the chosen events
  std::uint64_t key_events = 0;  // the events that registered or ended keys
  std::uint64_t keys = 0;
  std::uint64_t signatures = 0;
  ledger::TreeHead head;
  std::string log_key_id;
  std::optional<std::uint64_t> consistent_from;  // the old size, when a proof was given
};

// Checks a bundle with nothing else: the head's signature under the bundle's
// log key; the consistency proof, if any; every key id against its key; every
// event's signing bytes, leaf hash and inclusion proof; every signature, by a
// key of the bundle that was valid at that event (registered before it, not
// ended before it, of an officer of the deciding body not removed before it);
// and that the events which registered and ended each key, and appointed and
// removed its officer, are in the bundle and say so. Rules:
// "bundle.shape", "bundle.inclusion", "bundle.unknown_key", "bundle.key_id",
// "bundle.key_validity", "bundle.key_body", "bundle.key_evidence",
// "bundle.consistency", "signature.invalid", "tree_head.signature", and those
// of FromCloudEvent, each naming the event's sequence.
Result<BundleReport> VerifyBundle(const ledger::Value& bundle);

}  // namespace pl::ctl
