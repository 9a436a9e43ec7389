// bench --suite full: every figure of docs/performance.md in one command.
#include "bench_full.h"

#include "bench_storage.h"
#include "cli.h"

namespace pl::ctl {

bool IsSuite(const std::vector<std::string>& args, const std::string& name) {
  for (std::size_t i = 1; i < args.size(); ++i) {
    if (args[i] == "--suite=" + name) return true;
    if (args[i] == "--suite" && i + 1 < args.size() && args[i + 1] == name) return true;
  }
  return false;
}

}  // namespace pl::ctl
