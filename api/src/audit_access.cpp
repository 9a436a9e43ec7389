#include "audit_access.h"

#include <openssl/crypto.h>

#include "crypto/bytes.h"

namespace pl::api {

AuditAccess::AuditAccess(const std::vector<std::string>& tokens) {
  for (const auto& token : tokens) digests_.push_back(crypto::Sha256(AsBytes(token)));
}

bool AuditAccess::Protects(std::string_view op, const ledger::Value& request) {
  if (op == "audit" || op == "event" || op == "inclusion") return true;
  if (op != "subscribe") return false;
  const ledger::Value* topic = request.find("topic");
  return topic && topic->kind() == ledger::Value::Kind::kString && topic->as_string() == "events";
}

namespace {

// The token of an Authorization value "Bearer TOKEN"; nullopt for other forms.
std::optional<std::string_view> BearerToken(std::string_view authorization) {
  constexpr std::string_view kScheme = "bearer ";
  if (authorization.size() <= kScheme.size()) return std::nullopt;
  for (std::size_t i = 0; i < kScheme.size(); ++i) {  // the scheme is case-insensitive (RFC 9110)
    const char c = authorization[i];
    if ((c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c) != kScheme[i]) return std::nullopt;
  }
  std::string_view token = authorization.substr(kScheme.size());
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  if (token.empty()) return std::nullopt;
  return token;
}

}  // namespace

Status AuditAccess::CheckHeader(std::optional<std::string_view> authorization) const {
  if (!authorization) return Check(std::nullopt);
  return Check(BearerToken(*authorization).value_or(std::string_view()));
}

Status AuditAccess::Check(std::optional<std::string_view> token) const {
  if (!required()) return Status::Ok();
  if (!token) {
    return Status::Invalid("auth.required",
                           "the audit trail needs a bearer token (Authorization: Bearer TOKEN on "
                           "the request or the WebSocket upgrade, or the auth op)");
  }
  // Digests have one length whatever the token's, and every configured one
  // is compared in full: the time taken says nothing about near misses.
  const crypto::Hash presented = crypto::Sha256(AsBytes(*token));
  bool match = false;
  for (const auto& digest : digests_) {
    match |= CRYPTO_memcmp(presented.data(), digest.data(), digest.size()) == 0;
  }
  if (!match) return Status::Invalid("auth.invalid", "the bearer token is not valid here");
  return Status::Ok();
}

}  // namespace pl::api
