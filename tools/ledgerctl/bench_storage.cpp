// bench --suite storage: the same signed decisions appended durably into the
// log's own store (LMDB), a private PostgreSQL server and SQLite, in batches
// of 1, 10, 100 and 1000 (each batch durable before the next) and from
// concurrent writers appending one at a time. Storage only: no signature is
// checked on any side (bench's default suite measures verified appends).
//
// What each system writes per decision (docs/performance.md):
//   LMDB store   the envelope (sequence, recorded_at, the signed decision,
//                leaf hash), the decision-id index, the body/signer/type/
//                family/issued-at index entries and the Merkle nodes; and per
//                commit a tree head signed with the log key.
//   PostgreSQL   one row of events (sequence bigint primary key, decision_id
//                text unique, body bytea = the canonical signed bytes,
//                recorded_at bigint), synchronous_commit=on, fsync=on.
//   SQLite       the same row (sequence INTEGER PRIMARY KEY), WAL,
//                synchronous=FULL.
#include "bench_storage.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <iomanip>
#include <iostream>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>

#include <boost/json.hpp>

#include "bench_full.h"
#include "cli.h"
#include "ledger/store.h"
#include "ledger/time.h"

namespace pl::ctl {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

Status PgError(const std::string& what, const std::string& detail) {
  std::string message = what + ": " + detail;
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  return Status::IoError("bench.postgresql", message);
}

Status SqliteError(const std::string& what, sqlite3* db) {
  return Status::IoError("bench.sqlite", what + ": " + (db ? sqlite3_errmsg(db) : "no connection"));
}

// The rows every system appends: the same signed decisions, their canonical
// signed bytes and ids computed once, on the client side.
struct Rows {
  std::vector<ledger::SignedDecision> decisions;
  std::vector<std::string> bodies;  // canonical JSON of each signed decision
};

// A loopback TCP port nobody listens on now.
Result<int> FreePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return Status::IoError("bench.postgresql", "no socket for a free port");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  int port = -1;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  if (port <= 0) return Status::IoError("bench.postgresql", "no free loopback port");
  return port;
}

std::string LogTail(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  std::string s = text.str();
  return s.size() > 600 ? s.substr(s.size() - 600) : s;
}

// A private PostgreSQL server from Debian's binaries: initdb into dir, then
// postgres on 127.0.0.1:port with fsync and synchronous_commit on (the
// defaults, set explicitly). PostgreSQL refuses to run as root, so as root it
// runs as the unprivileged user "nobody", which then owns dir. Stopped (fast
// shutdown) when destroyed.
class PostgresServer {
 public:
  static Result<std::unique_ptr<PostgresServer>> Start(const std::string& bin, const fs::path& dir,
                                                       int port, std::size_t connections) {
    std::unique_ptr<PostgresServer> server(new PostgresServer);
    server->dir_ = dir;
    server->port_ = port;
    for (const char* tool : {"initdb", "postgres"}) {
      if (::access((fs::path(bin) / tool).c_str(), X_OK) != 0) {
        return Status::IoError("bench.postgresql",
                               (fs::path(bin) / tool).string() +
                                   " is missing: install Debian's postgresql (tools/setup.sh)");
      }
    }
    std::optional<std::pair<unsigned, unsigned>> user;
    if (::geteuid() == 0) {
      const passwd* nobody = ::getpwnam("nobody");
      if (!nobody) return Status::IoError("bench.postgresql", "running as root and no user nobody");
      user = std::make_pair(nobody->pw_uid, nobody->pw_gid);
    }
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec || (user && ::chown(dir.c_str(), user->first, user->second) != 0)) {
      return Status::IoError("bench.postgresql", "cannot prepare " + dir.string());
    }
    const std::string log = (dir / "postgresql.log").string();
    const std::string data = (dir / "data").string();
    auto initdb = Spawn({(fs::path(bin) / "initdb").string(), "-D", data, "-U", "bench",
                         "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync"},
                        log, user);
    if (!initdb.ok()) return initdb.status();
    int status = 0;
    ::waitpid(*initdb, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      return Status::IoError("bench.postgresql", "initdb failed: " + LogTail(log));
    }
    auto postgres =
        Spawn({(fs::path(bin) / "postgres").string(), "-D", data, "-p", std::to_string(port), "-c",
               "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=" + dir.string(), "-c",
               "fsync=on", "-c", "synchronous_commit=on", "-c",
               "max_connections=" + std::to_string(connections + 10)},
              log, user);
    if (!postgres.ok()) return postgres.status();
    server->pid_ = *postgres;
    const std::string ping = server->ConnInfo();
    const auto deadline = Clock::now() + std::chrono::seconds(60);
    while (PQping(ping.c_str()) != PQPING_OK) {
      if (::waitpid(server->pid_, &status, WNOHANG) == server->pid_) {
        server->pid_ = -1;
        return Status::IoError("bench.postgresql", "postgres exited: " + LogTail(log));
      }
      if (Clock::now() > deadline) {
        return Status::IoError("bench.postgresql", "postgres not ready in 60 s: " + LogTail(log));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return server;
  }

  ~PostgresServer() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGINT);  // fast shutdown
    int status = 0;
    for (int i = 0; i < 600; ++i) {
      if (::waitpid(pid_, &status, WNOHANG) == pid_) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, &status, 0);
  }

  std::string ConnInfo() const {
    return "host=127.0.0.1 port=" + std::to_string(port_) +
           " dbname=postgres user=bench options='-c client_min_messages=warning'";
  }

 private:
  PostgresServer() = default;
  fs::path dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

using PgConnection = std::unique_ptr<PGconn, decltype(&PQfinish)>;

// Runs one statement that returns no rows.
Status PgExec(PGconn* c, const std::string& sql) {
  PGresult* r = PQexec(c, sql.c_str());
  const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
  Status s = ok ? Status::Ok() : PgError(sql.substr(0, 40), PQerrorMessage(c));
  PQclear(r);
  return s;
}

constexpr const char* kPgInsert =
    "INSERT INTO events (sequence, decision_id, body, recorded_at) VALUES ($1, $2, $3, $4)";

// A connection; with `prepare`, the insert prepared as "append" (the events
// table must exist).
Result<PgConnection> PgConnect(const std::string& conninfo, bool prepare = true) {
  PgConnection c(PQconnectdb(conninfo.c_str()), &PQfinish);
  if (PQstatus(c.get()) != CONNECTION_OK) return PgError("connect", PQerrorMessage(c.get()));
  if (!prepare) return c;
  PGresult* r = PQprepare(c.get(), "append", kPgInsert, 0, nullptr);
  const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
  PQclear(r);
  if (!ok) return PgError("prepare", PQerrorMessage(c.get()));
  return c;
}

// The parameters of row i: client-side values, the body in binary.
struct PgRow {
  std::string sequence, recorded_at;
  const char* values[4];
  int lengths[4];
  int formats[4] = {0, 0, 1, 0};
  PgRow(const Rows& rows, std::size_t i, ledger::Timestamp now)
      : sequence(std::to_string(i)), recorded_at(std::to_string(now)) {
    values[0] = sequence.c_str();
    values[1] = rows.decisions[i].decision.id.c_str();
    values[2] = rows.bodies[i].data();
    values[3] = recorded_at.c_str();
    lengths[0] = lengths[1] = lengths[3] = 0;
    lengths[2] = static_cast<int>(rows.bodies[i].size());
  }
};

// Rows [from, to) as one transaction, sent as one pipeline (BEGIN, the
// inserts, COMMIT, then a sync): one round trip per batch, the best a client
// can do with prepared single-row inserts. Durable when it returns.
Status PgAppendBatch(PGconn* c, const Rows& rows, std::size_t from, std::size_t to) {
  if (PQenterPipelineMode(c) != 1) return PgError("pipeline", PQerrorMessage(c));
  const ledger::Timestamp now = ledger::Now();
  bool ok = PQsendQueryParams(c, "BEGIN", 0, nullptr, nullptr, nullptr, nullptr, 0) == 1;
  for (std::size_t i = from; ok && i < to; ++i) {
    const PgRow row(rows, i, now);
    ok = PQsendQueryPrepared(c, "append", 4, row.values, row.lengths, row.formats, 0) == 1;
  }
  ok = ok && PQsendQueryParams(c, "COMMIT", 0, nullptr, nullptr, nullptr, nullptr, 0) == 1;
  ok = PQpipelineSync(c) == 1 && ok;
  // A failed send leaves the connection unusable: the bench stops there.
  if (!ok) return PgError("send", PQerrorMessage(c));
  Status status;
  // Each statement's result is followed by a null; the sync ends the batch.
  for (;;) {
    PGresult* r = PQgetResult(c);
    if (!r) {
      if (PQstatus(c) == CONNECTION_BAD) return PgError("append", PQerrorMessage(c));
      continue;
    }
    const ExecStatusType type = PQresultStatus(r);
    if (type == PGRES_PIPELINE_SYNC) {
      PQclear(r);
      break;
    }
    if (type != PGRES_COMMAND_OK && status.ok()) {
      status = PgError("append", PQresultErrorMessage(r));
    }
    PQclear(r);
  }
  if (PQexitPipelineMode(c) != 1 && status.ok()) status = PgError("pipeline", PQerrorMessage(c));
  return status;
}

Status PgResetTable(PGconn* c) {
  return PgExec(c,
                "DROP TABLE IF EXISTS events; CREATE TABLE events (sequence bigint PRIMARY KEY, "
                "decision_id text NOT NULL UNIQUE, body bytea NOT NULL, recorded_at bigint NOT "
                "NULL)");
}

// Runs `one(i)` for every i < count from `writers` threads, each doing one
// at a time; stops at the first error.
Status FromWriters(std::size_t writers, std::size_t count,
                   const std::function<Status(std::size_t writer, std::size_t i)>& one) {
  std::atomic<std::size_t> next{0};
  std::mutex mutex;
  Status first;
  std::vector<std::thread> threads;
  for (std::size_t w = 0; w < writers; ++w) {
    threads.emplace_back([&, w] {
      for (std::size_t i; (i = next++) < count;) {
        if (Status s = one(w, i); !s.ok()) {
          std::lock_guard lock(mutex);
          if (first.ok()) first = s;
          next = count;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  return first;
}

// rows/s of PostgreSQL at one step, on a fresh events table.
Result<double> RunPostgres(const std::string& conninfo, const Rows& rows, const StorageStep& step) {
  {
    auto fresh = PgConnect(conninfo, false);
    if (!fresh.ok()) return fresh.status();
    if (Status s = PgResetTable(fresh->get()); !s.ok()) return s;
  }
  auto admin = PgConnect(conninfo);
  if (!admin.ok()) return admin.status();
  if (step.writers == 1) {
    const auto t = Clock::now();
    for (std::size_t from = 0; from < step.rows; from += step.batch) {
      Status s = PgAppendBatch(admin->get(), rows, from, std::min(step.rows, from + step.batch));
      if (!s.ok()) return s;
    }
    return static_cast<double>(step.rows) / Seconds(t);
  }
  // One connection per writer; each row its own transaction (autocommit).
  std::vector<PgConnection> connections;
  for (std::size_t w = 0; w < step.writers; ++w) {
    auto c = PgConnect(conninfo);
    if (!c.ok()) return c.status();
    connections.push_back(std::move(*c));
  }
  const auto t = Clock::now();
  Status s = FromWriters(step.writers, step.rows, [&](std::size_t w, std::size_t i) {
    const PgRow row(rows, i, ledger::Now());
    PGconn* c = connections[w].get();
    PGresult* r = PQexecPrepared(c, "append", 4, row.values, row.lengths, row.formats, 0);
    const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    return ok ? Status::Ok() : PgError("append", PQerrorMessage(c));
  });
  if (!s.ok()) return s;
  return static_cast<double>(step.rows) / Seconds(t);
}

// An SQLite connection in WAL mode with synchronous=FULL and the insert
// prepared; closed when destroyed.
class SqliteConnection {
 public:
  static Result<std::unique_ptr<SqliteConnection>> Open(const std::string& path, bool create) {
    std::unique_ptr<SqliteConnection> c(new SqliteConnection);
    if (sqlite3_open_v2(path.c_str(), &c->db_,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        nullptr) != SQLITE_OK) {
      return SqliteError("open " + path, c->db_);
    }
    sqlite3_busy_timeout(c->db_, 60000);
    std::string setup = "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;";
    if (create) {
      setup +=
          "CREATE TABLE events (sequence INTEGER PRIMARY KEY, decision_id TEXT NOT NULL UNIQUE, "
          "body BLOB NOT NULL, recorded_at INTEGER NOT NULL);";
    }
    if (Status s = c->Exec(setup); !s.ok()) return s;
    if (sqlite3_prepare_v2(c->db_, kPgInsert, -1, &c->insert_, nullptr) != SQLITE_OK) {
      return SqliteError("prepare", c->db_);
    }
    return c;
  }
  ~SqliteConnection() {
    sqlite3_finalize(insert_);
    sqlite3_close(db_);
  }

  Status Exec(const std::string& sql) {
    char* error = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
      const std::string message = error ? error : "failed";
      sqlite3_free(error);
      return Status::IoError("bench.sqlite", sql.substr(0, 40) + ": " + message);
    }
    return Status::Ok();
  }

  // Inserts row i (in the caller's transaction, or as its own).
  Status Insert(const Rows& rows, std::size_t i, ledger::Timestamp now) {
    sqlite3_bind_int64(insert_, 1, static_cast<sqlite3_int64>(i));
    const std::string& id = rows.decisions[i].decision.id;
    sqlite3_bind_text(insert_, 2, id.data(), static_cast<int>(id.size()), SQLITE_STATIC);
    sqlite3_bind_blob(insert_, 3, rows.bodies[i].data(), static_cast<int>(rows.bodies[i].size()),
                      SQLITE_STATIC);
    sqlite3_bind_int64(insert_, 4, now);
    const int rc = sqlite3_step(insert_);
    sqlite3_reset(insert_);
    return rc == SQLITE_DONE ? Status::Ok() : SqliteError("insert", db_);
  }

 private:
  SqliteConnection() = default;
  sqlite3* db_ = nullptr;
  sqlite3_stmt* insert_ = nullptr;
};

// rows/s of SQLite at one step, in a new database file.
Result<double> RunSqlite(const fs::path& path, const Rows& rows, const StorageStep& step) {
  auto first = SqliteConnection::Open(path.string(), true);
  if (!first.ok()) return first.status();
  if (step.writers == 1) {
    SqliteConnection& c = **first;
    const auto t = Clock::now();
    for (std::size_t from = 0; from < step.rows; from += step.batch) {
      if (Status s = c.Exec("BEGIN IMMEDIATE"); !s.ok()) return s;
      const ledger::Timestamp now = ledger::Now();
      for (std::size_t i = from; i < std::min(step.rows, from + step.batch); ++i) {
        if (Status s = c.Insert(rows, i, now); !s.ok()) return s;
      }
      if (Status s = c.Exec("COMMIT"); !s.ok()) return s;
    }
    return static_cast<double>(step.rows) / Seconds(t);
  }
  // One connection per writer; each row its own transaction (autocommit),
  // waiting on the busy timeout for the database's one write lock.
  std::vector<std::unique_ptr<SqliteConnection>> connections;
  for (std::size_t w = 0; w < step.writers; ++w) {
    auto c = SqliteConnection::Open(path.string(), false);
    if (!c.ok()) return c.status();
    connections.push_back(std::move(*c));
  }
  const auto t = Clock::now();
  Status s = FromWriters(step.writers, step.rows, [&](std::size_t w, std::size_t i) {
    return connections[w]->Insert(rows, i, ledger::Now());
  });
  if (!s.ok()) return s;
  return static_cast<double>(step.rows) / Seconds(t);
}

// Concurrent writers into one Store: the Store takes one writer at a time,
// so, as in ledgerd, one thread commits whatever the writers have queued
// meanwhile as one durable group commit and answers each writer after it.
class GroupCommitter {
 public:
  explicit GroupCommitter(ledger::Store& store) : store_(store), thread_([this] { Run(); }) {}
  ~GroupCommitter() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_one();
    thread_.join();
  }

  // Appends one decision; returns once it is durable.
  Status Append(const ledger::SignedDecision& decision) {
    std::promise<Status> done;
    auto result = done.get_future();
    {
      std::lock_guard lock(mutex_);
      queue_.emplace_back(decision, std::move(done));
    }
    wake_.notify_one();
    return result.get();
  }

 private:
  void Run() {
    std::vector<ledger::SignedDecision> batch;
    std::vector<std::promise<Status>> waiting;
    for (;;) {
      {
        std::unique_lock lock(mutex_);
        wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) return;
        for (auto& [decision, done] : queue_) {
          batch.push_back(std::move(decision));
          waiting.push_back(std::move(done));
        }
        queue_.clear();
      }
      auto appended = store_.Append(batch);
      for (auto& done : waiting) done.set_value(appended.ok() ? Status::Ok() : appended.status());
      batch.clear();
      waiting.clear();
    }
  }

  ledger::Store& store_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::pair<ledger::SignedDecision, std::promise<Status>>> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

// rows/s of the log's Store at one step, in a new data directory.
Result<double> RunLmdb(const fs::path& dir, const Rows& rows, const StorageStep& step) {
  ledger::StoreOptions options;
  options.create_if_missing = true;
  options.sync = true;
  auto store = ledger::Store::Open(dir.string(), options);
  if (!store.ok()) return store.status();
  const std::span<const ledger::SignedDecision> all(rows.decisions);
  if (step.writers == 1) {
    const auto t = Clock::now();
    for (std::size_t from = 0; from < step.rows; from += step.batch) {
      auto r = (*store)->Append(all.subspan(from, std::min(step.batch, step.rows - from)));
      if (!r.ok()) return r.status();
    }
    return static_cast<double>(step.rows) / Seconds(t);
  }
  GroupCommitter committer(**store);
  const auto t = Clock::now();
  Status s = FromWriters(step.writers, step.rows, [&](std::size_t, std::size_t i) {
    return committer.Append(rows.decisions[i]);
  });
  if (!s.ok()) return s;
  return static_cast<double>(step.rows) / Seconds(t);
}

std::string Ratio(double a, double b) {
  if (b <= 0) return "-";
  std::ostringstream out;
  out << std::fixed << std::setprecision(2) << a / b << "x";
  return out.str();
}

// Targets apply at batch 100 and above and to the concurrent writers.
bool Targeted(const StorageStep& step) { return step.batch >= 100 || step.writers > 1; }
bool TargetMet(const StorageStep& step) {
  return step.lmdb >= 5 * step.postgresql && step.lmdb >= 2 * step.sqlite;
}

}  // namespace

// Only async-signal-safe calls between fork and exec.
Result<int> Spawn(const std::vector<std::string>& argv, const std::string& log_path,
                  std::optional<std::pair<unsigned, unsigned>> user) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const int log = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log < 0) return Status::IoError("bench.spawn", "cannot write " + log_path);
  if (user) (void)::fchown(log, user->first, user->second);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(log, 1);
    ::dup2(log, 2);
    const int null = ::open("/dev/null", O_RDONLY);
    if (null >= 0) ::dup2(null, 0);
    if (user && (::setgroups(0, nullptr) != 0 || ::setgid(user->second) != 0 ||
                 ::setuid(user->first) != 0)) {
      ::_exit(126);
    }
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  ::close(log);
  if (pid < 0) return Status::IoError("bench.spawn", "cannot fork");
  return pid;
}

Result<StorageFigures> RunStorage(const StorageOptions& options) {
  if (options.rows < 10 || options.writers == 0) {
    return Status::Invalid("bench.rows", "--rows must be at least 10 and --writers at least 1");
  }
  std::error_code ec;
  const bool temporary = options.dir.empty();
  fs::path root =
      temporary ? fs::temp_directory_path() / ("ledger-bench-storage-" + std::to_string(::getpid()))
                : fs::path(options.dir);
  fs::create_directories(root, ec);
  if (ec) return Status::IoError("bench.dir", "cannot create " + root.string());
  // PostgreSQL's unprivileged user must reach its directory inside.
  fs::permissions(root,
                  fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                      fs::perms::others_read | fs::perms::others_exec,
                  ec);
  struct Cleanup {
    fs::path root;
    bool remove;
    ~Cleanup() {
      std::error_code ignored;
      if (remove) fs::remove_all(root, ignored);
    }
  } cleanup{root, temporary};

  StorageFigures figures;
  figures.sqlite_version = sqlite3_libversion();
  const std::size_t batch_one_rows = std::max<std::size_t>(options.rows / 10, 10);
  for (std::size_t batch : {1, 10, 100, 1000}) {
    StorageStep step;
    step.name = "batch " + std::to_string(batch);
    step.batch = batch;
    step.rows = batch == 1 ? batch_one_rows : std::max(options.rows, batch);
    figures.steps.push_back(step);
  }
  StorageStep writers;
  writers.name = std::to_string(options.writers) + " writers";
  writers.batch = 1;
  writers.writers = options.writers;
  writers.rows = options.rows;
  figures.steps.push_back(writers);

  std::size_t most = 0;
  for (const auto& step : figures.steps) most = std::max(most, step.rows);
  Rows rows;
  const auto key = crypto::PrivateKey::Generate();
  rows.decisions.reserve(most);
  rows.bodies.reserve(most);
  for (std::size_t i = 0; i < most; ++i) {
    rows.decisions.push_back(MakeDecision(i, 400, key));
    rows.bodies.push_back(ledger::CanonicalJson(ledger::ToValue(rows.decisions.back())));
  }
  figures.row_bytes = rows.bodies[0].size();

  int port = options.postgresql_port;
  if (port == 0) {
    auto free = FreePort();
    if (!free.ok()) return free.status();
    port = *free;
  }
  fs::remove_all(root / "postgresql", ec);
  auto server =
      PostgresServer::Start(options.postgresql_bin, root / "postgresql", port, options.writers);
  if (!server.ok()) return server.status();
  const std::string conninfo = (*server)->ConnInfo();
  {
    auto c = PgConnect(conninfo, false);
    if (!c.ok()) return c.status();
    figures.postgresql_version = std::to_string(PQserverVersion(c->get()) / 10000) + "." +
                                 std::to_string(PQserverVersion(c->get()) % 10000);
  }

  for (auto& step : figures.steps) {
    const std::string tag = step.writers > 1 ? "writers" : "batch-" + std::to_string(step.batch);
    fs::remove_all(root / ("lmdb-" + tag), ec);
    auto lmdb = RunLmdb(root / ("lmdb-" + tag), rows, step);
    if (!lmdb.ok()) return lmdb.status();
    step.lmdb = *lmdb;
    fs::remove_all(root / ("lmdb-" + tag), ec);
    auto pg = RunPostgres(conninfo, rows, step);
    if (!pg.ok()) return pg.status();
    step.postgresql = *pg;
    const fs::path sqlite = root / ("sqlite-" + tag + ".db");
    for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(sqlite.string() + suffix, ec);
    auto lite = RunSqlite(sqlite, rows, step);
    if (!lite.ok()) return lite.status();
    step.sqlite = *lite;
    for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(sqlite.string() + suffix, ec);
  }
  return figures;
}

// The table and JSON of the storage figures (bench --suite storage, and the
// first part of --suite full).
void PrintStorage(const StorageFigures& f) {
  std::cout << "durable appends, storage only: the same signed decisions (" << f.row_bytes
            << " canonical bytes each) into\n  the log's LMDB store, PostgreSQL "
            << f.postgresql_version << " and SQLite " << f.sqlite_version
            << ", each batch durable before the next (rows/s)\n\n";
  std::cout << "  step          rows     LMDB store   PostgreSQL       SQLite   LMDB/PG  "
               "LMDB/SQLite   target (>= 5x PG, >= 2x SQLite)\n";
  std::cout << std::fixed << std::setprecision(0);
  for (const auto& s : f.steps) {
    std::cout << "  " << std::left << std::setw(12) << s.name << std::right << std::setw(6)
              << s.rows << "   " << std::setw(10) << s.lmdb << "   " << std::setw(10)
              << s.postgresql << "   " << std::setw(10) << s.sqlite << "   " << std::setw(7)
              << Ratio(s.lmdb, s.postgresql) << "   " << std::setw(11) << Ratio(s.lmdb, s.sqlite)
              << "   " << (Targeted(s) ? (TargetMet(s) ? "met" : "NOT met") : "-") << "\n";
  }
}

std::string StorageJson(const StorageFigures& f) {
  boost::json::array steps;
  for (const auto& s : f.steps) {
    steps.push_back(boost::json::object{
        {"step", s.name},
        {"batch", s.batch},
        {"writers", s.writers},
        {"rows", s.rows},
        {"lmdb_rows_per_s", s.lmdb},
        {"postgresql_rows_per_s", s.postgresql},
        {"sqlite_rows_per_s", s.sqlite},
        {"lmdb_over_postgresql", s.postgresql > 0 ? s.lmdb / s.postgresql : 0.0},
        {"lmdb_over_sqlite", s.sqlite > 0 ? s.lmdb / s.sqlite : 0.0},
        {"targeted", Targeted(s)},
        {"target_met", TargetMet(s)}});
  }
  return boost::json::serialize(boost::json::object{{"row_bytes", f.row_bytes},
                                                    {"postgresql_version", f.postgresql_version},
                                                    {"sqlite_version", f.sqlite_version},
                                                    {"steps", std::move(steps)}});
}

Status WriteJson(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text << "\n";
  if (!out) return Status::IoError("bench.json", "cannot write " + path);
  return Status::Ok();
}

int BenchStorage(const std::vector<std::string>& args) {
  po::options_description flags("flags");
  StorageOptions options;
  std::string json;
  flags.add_options()("suite", po::value<std::string>(), "storage")(
      "dir", po::value(&options.dir),
      "where the three databases go, all on one disk (default: a temporary directory, removed "
      "after)")("rows", po::value(&options.rows)->default_value(20000),
                "rows per step (batch 1 appends a tenth)")(
      "writers", po::value(&options.writers)->default_value(50),
      "concurrent writers in the last step")(
      "pg-port", po::value(&options.postgresql_port)->default_value(0),
      "loopback port of the private PostgreSQL server (0: a free one)")(
      "pg-bin", po::value(&options.postgresql_bin)->default_value(options.postgresql_bin),
      "where Debian's initdb and postgres are")("json", po::value(&json),
                                                "also write the figures to this file");
  po::variables_map vm;
  int exit;
  if (!ParseFlags(args,
                  "--suite storage [--dir DIR] [--rows N] [--writers N] [--pg-port P] "
                  "[--pg-bin DIR] [--json FILE]",
                  flags, nullptr, &vm, &exit)) {
    return exit;
  }
  auto figures = RunStorage(options);
  if (!figures.ok()) return Fail(figures.status());
  PrintStorage(*figures);
  if (!json.empty()) {
    if (Status s = WriteJson(json, StorageJson(*figures)); !s.ok()) return Fail(s);
  }
  return kOk;
}

}  // namespace pl::ctl
