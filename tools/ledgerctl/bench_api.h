// bench --suite api: ledgerd under load (submit throughput, query latency,
// subscription fan-out), measured against a running server.
#pragma once

#include <string>
#include <vector>

#include "crypto/ed25519.h"
#include "ledger/value.h"

namespace pl::ctl {

// Whether args (bench's, args[0] the verb) ask for --suite api.
bool IsApiSuite(const std::vector<std::string>& args);
// What the api suite measured (bench --suite full reports it).
struct ApiFigures {
  double verify_rate = 0;  // Ed25519 verifications/s on 1 core, this run
  double submit_rate = 0;  // decisions/s, durable on acknowledgement
  double query_p50_ms = 0, query_p99_ms = 0;
  std::size_t queries = 0;
  double delivery_p50_ms = 0, delivery_p99_ms = 0;
  double fanout_rate = 0;  // events/s reached in the fan-out phase
  std::size_t subscribers = 0, dropped = 0, missing = 0;
};

// The api suite; parses its own flags from args; fills *figures when given.
int BenchApi(const std::vector<std::string>& args, ApiFigures* figures = nullptr);

// The Secretary-General's current key, from KEYDIR/officers.json (written by
// ledgerctl demo --keys-out). Error "bench.keys".
Result<crypto::PrivateKey> SecretaryGeneralKey(const std::string& dir);
// A submit request for a signed project.proposed of a new project
// ("P-B<tag>-<i>"), issued now by the Secretariat.
ledger::Value Proposal(const std::string& tag, std::size_t i, const crypto::PrivateKey& key);

// Ed25519 verifications per second on one core, measured for `seconds`:
// the baseline every bench suite reports its ratios against (bench.cpp).
double SingleCoreVerifyRate(double seconds);
// CPU seconds (user + system) this process's threads have used so far:
// beside wall-clock time, a figure that other work on a shared machine
// changes much less (bench.cpp).
double ProcessCpuSeconds();

}  // namespace pl::ctl
