// Shared plumbing of ledgerctl's verbs: exit codes, input, keys, progress.
#pragma once

#include <boost/program_options.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "crypto/ed25519.h"
#include "ledger/decision.h"
#include "ledger/store.h"

namespace pl::ctl {

namespace po = boost::program_options;

// Exit codes (docs/ledgerctl.md).
enum Exit : int {
  kOk = 0,
  kRefused = 1,      // input refused, or the log does not verify
  kUsage = 2,        // wrong flags or arguments
  kEnvironment = 3,  // I/O, a missing or locked data directory
};

// Prints "ledgerctl: <rule>: <message>" on stderr; returns the exit code.
int Fail(const Status& status);
int Usage(const std::string& verb, const std::string& message);

// A verb: parses its own flags from args (args[0] is the verb's name).
struct Verb {
  std::string summary;
  std::function<int(const std::vector<std::string>& args)> run;
};
std::map<std::string, Verb>& Verbs();

// Parses flags; on --help prints usage and sets *exit to 0; on a bad flag
// prints the error and sets *exit to kUsage. Returns false in both cases.
bool ParseFlags(const std::vector<std::string>& args, const std::string& usage,
                po::options_description& flags, po::positional_options_description* positional,
                po::variables_map* vm, int* exit);

// Reads a file, or standard input for "-".
Result<std::string> ReadInput(const std::string& path);
// Splits text holding one or more JSON documents (pretty or JSON Lines) into
// the documents, with the line each starts on.
std::vector<std::pair<std::size_t, std::string>> SplitDocuments(const std::string& text);

Result<std::unique_ptr<ledger::Store>> OpenStore(const std::string& dir, bool read_only,
                                                 bool create = false);

// A progress line on stderr, shown only when stderr is a terminal.
class Progress {
 public:
  Progress(std::string what, std::uint64_t total);
  ~Progress();
  void Update(std::uint64_t done);
  // For work whose size is learnt late (replays).
  void Reset(std::uint64_t total);

 private:
  std::string what_;
  std::uint64_t total_;
  bool shown_;
  std::uint64_t last_percent_ = 101;
};

void PrintJson(const ledger::Value& value, bool pretty);

}  // namespace pl::ctl
