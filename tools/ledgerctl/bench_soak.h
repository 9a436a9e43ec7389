// bench --suite soak: N minutes of mixed load against a running ledgerd
// (submits, queries, 1,000 subscribers, slow readers, reconnecting clients),
// watching its memory and descriptors (docs/reliability.md "Soak").
#pragma once

#include <string>
#include <vector>

namespace pl::ctl {

// Whether args (bench's, args[0] the verb) ask for --suite soak.
bool IsSoakSuite(const std::vector<std::string>& args);
// The soak suite; parses its own flags from args. Exit 0 only when there
// were no errors, ledgerd's own resident memory (anonymous pages; the mapped
// log is reported apart) grew under 10% after the warm-up, and no
// descriptor was left open.
int BenchSoak(const std::vector<std::string>& args);

}  // namespace pl::ctl
