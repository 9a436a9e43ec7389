// Protocol: the JSON operations of docs/api.md (everything but subscribe and
// unsubscribe, which belong to a session), independent of the transport.
// The WebSocket sessions and the REST mirrors both call it.
#pragma once

#include <functional>

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
  // from the writer thread for submit.
  void Handle(const ledger::Value& request, const Done& done);

  // A read op called with parameters from a REST query string (no submit).
  ledger::Value HandleRead(const std::string& op, const ledger::Value& params);

  static ledger::Value Ok(const ledger::Value* id, ledger::Value result);
  static ledger::Value Error(const ledger::Value* id, const Status& status);

 private:
  projections::Programme& programme_;
  Writer& writer_;
};

}  // namespace pl::api
