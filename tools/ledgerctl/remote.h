// ledgerctl against a running ledgerd (docs/api.md): the connection flags,
// the log key a client trusts, and the server-side forms of audit and prove
// that audit.cpp and log.cpp switch to when given --url.
//
// Trust: tree heads are checked with the log's public key, taken from
// --log-key FILE, or else trusted on first use and kept under --state DIR
// (docs/ledgerctl.md). With --state, the newest tree head seen is kept too,
// and every later head must be consistent with it (a server that rewrote or
// forked its log is caught).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "api/client.h"
#include "cli.h"
#include "crypto/merkle.h"

namespace pl::ctl {

inline constexpr char kDefaultUrl[] = "ws://127.0.0.1:8480/ws";

struct RemoteFlags {
  std::string url = kDefaultUrl;
  std::string ca_file;
  unsigned timeout_seconds = 30;
  // A bearer token for a ledgerd that guards its audit trail (--token, or the
  // first token line of --token-file; docs/api.md "Access control").
  std::string token;
  std::string token_file;
  // Trust (for verbs that check proofs).
  std::string log_key;
  std::string state;
};

// --url, --ca-file, --timeout, --token, --token-file; with trust, also --log-key and --state. The
// url flag has no default here when `optional_url` (the verb works offline
// without it).
void AddRemoteFlags(po::options_description& flags, RemoteFlags* remote, bool trust,
                    bool optional_url);

// Audit through the server. With proofs, every event's inclusion proof is
// checked against the server's tree head (whose signature is checked with
// the trusted log key) before anything is returned; a proof that fails gives
// a "proof.*" rule.
struct RemoteAuditPage {
  ledger::AuditPage page;
  // With proofs: one proof per event, and the tree head they were checked against.
  std::vector<std::vector<crypto::Hash>> proofs;
  std::optional<ledger::TreeHead> head;
};
Result<RemoteAuditPage> RemoteAudit(const RemoteFlags& remote, const ledger::AuditQuery& query,
                                    bool proofs);

// An inclusion proof (of sequence or decision_id) or a consistency proof
// (from old_size) fetched from the server, verified, then printed as the
// offline prove prints it.
struct ProveRequest {
  std::optional<std::uint64_t> sequence;
  std::optional<std::string> decision_id;
  std::optional<std::uint64_t> old_size;
  std::optional<std::uint64_t> size;
};
int RemoteProve(const RemoteFlags& remote, const ProveRequest& request);

}  // namespace pl::ctl
