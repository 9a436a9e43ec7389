// bench --suite full: every figure of docs/performance.md in one command
// (storage side by side, ingest, rebuild, re-verification, queries, fan-out,
// footprint, start-up), with ledgerd and PostgreSQL started and stopped by
// the suite itself.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace pl::ctl {

// Whether args (bench's, args[0] the verb) ask for --suite NAME.
bool IsSuite(const std::vector<std::string>& args, const std::string& name);

// What the programme suite measured over a log (bench.cpp).
struct ProgrammeFigures {
  double verify_rate = 0;  // Ed25519 verifications/s on 1 core, this run
  std::uint64_t events = 0;
  double rebuild_rate = 0;     // events/s, trusting the signed tree head
  double projections_mib = 0;  // heap the rebuilt projections hold
  double resident_mib = 0;     // the process's resident set after the rebuild
  double reverify_rate = 0;    // events/s, full re-verification on every core
  double reverify_signature_rate = 0;
  double reverify_ratio = 0;  // signatures/s over cores x the 1-core verify rate
  double startup_ms = 0;      // Programme::Open with a fresh checkpoint
  double as_of_median_ms = 0, as_of_max_ms = 0;
};

// The programme suite over the log in dir; prints its figures and fills
// *figures when given. Writes a checkpoint into the log.
int BenchProgramme(const std::string& dir, double seconds, ProgrammeFigures* figures);

// bench --suite full; parses its own flags from args.
int BenchFull(const std::vector<std::string>& args);

}  // namespace pl::ctl
