// Access control for the audit trail (docs/api.md "Access control"): when a
// deployment configures bearer tokens (ServerOptions::audit_tokens), the
// operations that reveal signed events need one of them; public state
// queries stay open. Thread-safe after construction (read-only).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/hash.h"
#include "crypto/status.h"
#include "ledger/value.h"

namespace pl::api {

class AuditAccess {
 public:
  explicit AuditAccess(const std::vector<std::string>& tokens);

  // Whether any token is configured (otherwise everything is open).
  bool required() const { return !digests_.empty(); }

  // Whether an op (with its request members) reveals signed events: audit,
  // event, inclusion (its answer carries the event), and subscribe to the
  // "events" topic. Tree heads and consistency proofs hold hashes only.
  static bool Protects(std::string_view op, const ledger::Value& request);

  // Check() for an HTTP request's Authorization header (nullopt when there is
  // none): "Bearer TOKEN" (scheme case-insensitive); any other form is a
  // wrong credential (auth.invalid), not a missing one.
  Status CheckHeader(std::optional<std::string_view> authorization) const;

  // Ok when no token is required or `token` is one of them; otherwise
  // "auth.required" (no token given) or "auth.invalid". The comparison takes
  // the same time whichever token, or how much of one, matches.
  Status Check(std::optional<std::string_view> token) const;

 private:
  std::vector<crypto::Hash> digests_;  // SHA-256 of each token; the tokens are not kept
};

}  // namespace pl::api
