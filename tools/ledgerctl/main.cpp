// ledgerctl: the offline tool for a Partnership Ledger data directory.
#include <iostream>

#include "cli.h"

int main(int argc, char** argv) {
  using pl::ctl::Verbs;
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    std::cout << "usage: ledgerctl VERB [flags]   (ledgerctl VERB --help for each)\n\nverbs:\n";
    for (const auto& [name, verb] : Verbs()) {
      std::cout << "  " << name << std::string(10 - std::min<std::size_t>(9, name.size()), ' ')
                << verb.summary << "\n";
    }
    std::cout << "\nexit codes: 0 ok, 1 refused or does not verify, 2 usage, 3 environment\n";
    return args.empty() ? pl::ctl::kUsage : pl::ctl::kOk;
  }
  auto it = Verbs().find(args[0]);
  if (it == Verbs().end()) {
    std::cerr << "ledgerctl: unknown verb \"" << args[0] << "\" (see ledgerctl --help)\n";
    return pl::ctl::kUsage;
  }
  try {
    return it->second.run(args);
  } catch (const std::exception& e) {
    std::cerr << "ledgerctl: internal error: " << e.what() << "\n";
    return pl::ctl::kEnvironment;
  }
}
