// bench --suite api: ledgerd under load (submit throughput, query latency,
// subscription fan-out), measured against a running server.
#pragma once

#include <string>
#include <vector>

namespace pl::ctl {

// Whether args (bench's, args[0] the verb) ask for --suite api.
bool IsApiSuite(const std::vector<std::string>& args);
// The api suite; parses its own flags from args.
int BenchApi(const std::vector<std::string>& args);

// Ed25519 verifications per second on one core, measured for `seconds`:
// the baseline every bench suite reports its ratios against (bench.cpp).
double SingleCoreVerifyRate(double seconds);

}  // namespace pl::ctl
