// bench --suite storage: durable appends of the same signed decisions into
// the log's LMDB store, a private PostgreSQL server and SQLite, side by side
// (docs/performance.md, "Side by side with PostgreSQL and SQLite").
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "crypto/ed25519.h"
#include "ledger/decision.h"

namespace pl::ctl {

// A decision whose signed JSON form is about `bytes` long (bench.cpp; the
// append suite's decisions, and the rows of the storage suite).
ledger::SignedDecision MakeDecision(std::size_t i, std::size_t bytes,
                                    const crypto::PrivateKey& key);

// Durable rows/s of one system at one step (a batch size, or concurrent
// writers); 0 when the system was not run.
struct StorageStep {
  std::string name;                             // "batch 1", ..., "50 writers"
  std::size_t batch = 0;                        // rows per transaction (1 for the writers step)
  std::size_t writers = 1;                      // concurrent connections (threads)
  std::size_t rows = 0;                         // rows appended by each system
  double lmdb = 0, postgresql = 0, sqlite = 0;  // rows/s
};

struct StorageFigures {
  std::size_t row_bytes = 0;  // canonical signed bytes of one decision
  std::string postgresql_version, sqlite_version;
  std::vector<StorageStep> steps;
};

struct StorageOptions {
  std::string dir;           // where the three databases go (a temporary directory when empty)
  std::size_t rows = 20000;  // rows per step (batch 1 appends a tenth)
  std::size_t writers = 50;  // concurrent writers in the last step
  int postgresql_port = 0;   // loopback port of the private server (0: a free one)
  std::string postgresql_bin = "/usr/lib/postgresql/15/bin";
};

// Runs the storage suite; prints its table on stdout. Errors: "bench.postgresql"
// (the private server could not be set up, or a statement failed),
// "bench.sqlite", and the store's own.
Result<StorageFigures> RunStorage(const StorageOptions& options);

// The figures as a table on stdout, and as JSON text (an object with
// row_bytes, the versions and one entry per step).
void PrintStorage(const StorageFigures& figures);
std::string StorageJson(const StorageFigures& figures);
// Writes text and a newline to path (error "bench.json").
Status WriteJson(const std::string& path, const std::string& text);

// Runs argv[0] (a path) with argv in the background, its stdout and stderr
// appended to log_path, as the user (uid, gid) when given; its pid, which
// the caller waits for.
Result<int> Spawn(const std::vector<std::string>& argv, const std::string& log_path,
                  std::optional<std::pair<unsigned, unsigned>> user = std::nullopt);

// bench --suite storage; parses its own flags from args (args[0] the verb).
int BenchStorage(const std::vector<std::string>& args);

}  // namespace pl::ctl
