// Protocol: the JSON operations of docs/api.md (everything but subscribe and
// unsubscribe, which belong to a session), independent of the transport.
// The WebSocket sessions and the REST mirrors both call it.
#pragma once

#include <functional>

#include "ledger/note.h"
#include "ledger/value.h"
#include "projections/programme.h"

namespace pl::api {

class Writer;

class Protocol {
 public:
  Protocol(projections::Programme& programme, Writer& writer);

  using Done = std::function<void(ledger::Value response)>;

  // Handles one parsed request object. Calls done exactly once with the
  // complete response ({"id", "ok", "result"|"error"}): at once for reads,
  // from the writer thread for submit. Takes the request, so that a submit's
  // decisions move out of it rather than being copied.
  void Handle(ledger::Value request, const Done& done);

  // A read op called with parameters from a REST query string (no submit).
  ledger::Value HandleRead(const std::string& op, const ledger::Value& params);

  // Checkpoints under `origin` (empty: ledger::DefaultOrigin of the log key),
  // cosignatures from these witnesses (docs/witnesses.md). Call before
  // serving. Errors: "checkpoint.origin", "server.witness" (not a
  // cosignature/v1 key).
  Status Witness(std::string origin, std::vector<ledger::NoteVerifier> witnesses);
  // add_cosignature ({"size", "cosignature"}), for the HTTP route.
  ledger::Value AddCosignature(const ledger::Value& params);

  static ledger::Value Ok(const ledger::Value* id, ledger::Value result);
  static ledger::Value Error(const ledger::Value* id, const Status& status);

 private:
  projections::Programme& programme_;
  Writer& writer_;
  std::string origin_;
  std::vector<ledger::NoteVerifier> witnesses_;
};

}  // namespace pl::api
