// bench --suite full: every figure of docs/performance.md in one command.
//
// It sets up what it needs itself: a demo log (made with the demo verb, or
// the one in --data), a private PostgreSQL server (bench_storage.cpp) and a
// real ledgerd on a free loopback port, and stops them after. The figures
// come from the other suites' own code (BenchProgramme, BenchApi,
// RunStorage); this file adds only what no other suite measures: the 2-core
// verify rate, in-process query latency, the footprint on disk and in
// memory, and ledgerd's start-up to serving.
#include "bench_full.h"

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <iomanip>
#include <iostream>
#include <optional>
#include <random>
#include <sstream>
#include <thread>

#include <boost/json.hpp>

#include "bench_api.h"
#include "bench_storage.h"
#include "cli.h"
#include "projections/programme.h"

namespace pl::ctl {

bool IsSuite(const std::vector<std::string>& args, const std::string& name) {
  for (std::size_t i = 1; i < args.size(); ++i) {
    if (args[i] == "--suite=" + name) return true;
    if (args[i] == "--suite" && i + 1 < args.size() && args[i + 1] == name) return true;
  }
  return false;
}

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

double Percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const auto i = static_cast<std::size_t>(p * static_cast<double>(sorted.size() - 1) + 0.5);
  return sorted[std::min(i, sorted.size() - 1)];
}

// Ed25519 verifications per second on every core at once (the limit a
// verifying writer can reach on this machine).
double AllCoresVerifyRate(unsigned cores, double seconds) {
  std::vector<std::future<double>> parts;
  for (unsigned i = 0; i < cores; ++i) {
    parts.push_back(
        std::async(std::launch::async, [seconds] { return SingleCoreVerifyRate(seconds); }));
  }
  double total = 0;
  for (auto& p : parts) total += p.get();
  return total;
}

// A field of /proc/PID/status in KiB ("VmRSS", "RssAnon"); 0 when absent.
double StatusKib(int pid, const std::string& field) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(field + ":", 0) == 0)
      return std::strtod(line.c_str() + field.size() + 1, nullptr);
  }
  return 0;
}

// The ledgerd next to this ledgerctl: installed side by side, or in a build
// tree (build/tools/ledgerctl, build/api/ledgerd).
std::string FindLedgerd() {
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec).parent_path();
  for (const fs::path& p : {self / "ledgerd", self / ".." / "api" / "ledgerd"}) {
    if (::access(p.c_str(), X_OK) == 0) return fs::weakly_canonical(p, ec).string();
  }
  return {};
}

// A real ledgerd on the log, on a free loopback port; stopped (SIGTERM, then
// waited for) when destroyed.
class Ledgerd {
 public:
  static Result<std::unique_ptr<Ledgerd>> Start(const std::string& binary, const fs::path& data,
                                                const fs::path& log) {
    std::unique_ptr<Ledgerd> d(new Ledgerd);
    std::error_code ec;
    fs::remove(log, ec);
    const auto started = Clock::now();
    auto pid = Spawn({binary, "--data", data.string(), "--listen", "127.0.0.1:0"}, log.string());
    if (!pid.ok()) return pid.status();
    d->pid_ = *pid;
    const auto deadline = started + std::chrono::minutes(10);
    for (;;) {
      std::ifstream in(log);
      std::string line;
      while (std::getline(in, line)) {
        constexpr std::string_view kListening = "ledgerd listening on http://127.0.0.1:";
        if (line.rfind(kListening, 0) == 0) {
          d->port_ = std::atoi(line.c_str() + kListening.size());
          d->startup_ms_ = Ms(Clock::now() - started);
          return d;
        }
      }
      int status = 0;
      if (::waitpid(d->pid_, &status, WNOHANG) == d->pid_) {
        d->pid_ = -1;
        return Status::IoError("bench.ledgerd",
                               "ledgerd exited before serving; see " + log.string());
      }
      if (Clock::now() > deadline) {
        return Status::IoError("bench.ledgerd", "ledgerd not serving after 10 minutes");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  ~Ledgerd() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
  int pid() const { return pid_; }
  std::string url() const { return "ws://127.0.0.1:" + std::to_string(port_) + "/ws"; }
  double startup_ms() const { return startup_ms_; }

 private:
  Ledgerd() = default;
  int pid_ = -1;
  int port_ = 0;
  double startup_ms_ = 0;
};

// Samples a process's anonymous resident memory until stopped; the peak.
class PeakSampler {
 public:
  explicit PeakSampler(int pid)
      : thread_([this, pid] {
          while (!stop_) {
            const double kib = StatusKib(pid, "RssAnon");
            if (kib > peak_) peak_ = kib;
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
          }
        }) {}
  double Stop() {
    stop_ = true;
    thread_.join();
    return peak_;
  }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<double> peak_{0};
  std::thread thread_;
};

struct QueryFigures {
  double state_p50_ms = 0, state_p99_ms = 0;
  double audit_p50_ms = 0, audit_p99_ms = 0;
  std::size_t lookups = 0, audits = 0;
};

// In-process latency over the log: project lookups in the live state
// (WithState) and audit queries by subject (the project's newest 50 events),
// for projects picked at random.
Result<QueryFigures> InProcessQueries(const projections::Programme& programme, std::size_t lookups,
                                      std::size_t audits) {
  std::vector<std::string> ids;
  programme.WithState([&](const projections::ProgrammeState& state) {
    for (const auto& entry : state.projects) ids.push_back(entry.first);
  });
  if (ids.empty()) return Status::Invalid("bench.log", "the log holds no project to look up");
  std::mt19937_64 random(2012);
  QueryFigures f;
  std::vector<double> ms;
  std::size_t found = 0;
  for (std::size_t i = 0; i < lookups; ++i) {
    const std::string& id = ids[random() % ids.size()];
    const auto t = Clock::now();
    programme.WithState([&](const projections::ProgrammeState& state) {
      found += state.projects.find(id) != state.projects.end();
    });
    ms.push_back(Ms(Clock::now() - t));
  }
  if (found != lookups) return Status::Invalid("bench.log", "a listed project was not found");
  std::sort(ms.begin(), ms.end());
  f.state_p50_ms = Percentile(ms, 0.5);
  f.state_p99_ms = Percentile(ms, 0.99);
  f.lookups = lookups;
  ms.clear();
  for (std::size_t i = 0; i < audits; ++i) {
    ledger::AuditQuery query;
    query.subject = ids[random() % ids.size()];
    const auto t = Clock::now();
    auto page = programme.store().Audit(query);
    ms.push_back(Ms(Clock::now() - t));
    if (!page.ok()) return page.status();
    if (page->events.empty()) return Status::Invalid("bench.log", "a project without events");
  }
  std::sort(ms.begin(), ms.end());
  f.audit_p50_ms = Percentile(ms, 0.5);
  f.audit_p99_ms = Percentile(ms, 0.99);
  f.audits = audits;
  return f;
}

struct Footprint {
  std::uint64_t events = 0;
  std::uint64_t disk_bytes = 0;        // blocks the data directory's files use
  std::uint64_t checkpoint_bytes = 0;  // the projection checkpoints stored in data.mdb
  std::uint64_t canonical_bytes = 0;   // sum of each event's canonical entry bytes
};

// The data directory on disk against the events' canonical size
// (EntryBytes: the decision, its signatures, sequence and recorded_at).
Result<Footprint> MeasureFootprint(const fs::path& dir, const ledger::Store& store) {
  Footprint f;
  f.events = store.size();
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    struct stat st {};
    if (entry.is_regular_file() && ::stat(entry.path().c_str(), &st) == 0) {
      f.disk_bytes += static_cast<std::uint64_t>(st.st_blocks) * 512;
    }
  }
  auto checkpoint_bytes = store.CheckpointBytes();
  if (!checkpoint_bytes.ok()) return checkpoint_bytes.status();
  f.checkpoint_bytes = *checkpoint_bytes;
  Status scan = store.Scan(0, f.events, [&](const ledger::Envelope& e) {
    f.canonical_bytes += ledger::EntryBytes(e).size();
    return true;
  });
  if (!scan.ok()) return scan;
  return f;
}

// One row of the table, and one key of the JSON's "figures".
struct Row {
  std::string key;
  std::string figure;
  double value = 0;
  std::string shown;   // the value as printed, with its unit
  std::string target;  // empty: no target
  std::optional<bool> met;
};

std::string Fixed(double v, int digits) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(digits) << v;
  return out.str();
}

// The figures as one table on stdout.
void PrintTable(const std::vector<Row>& rows) {
  std::size_t figure = 6, value = 5, target = 6;
  for (const Row& r : rows) {
    figure = std::max(figure, r.figure.size());
    value = std::max(value, r.shown.size());
    target = std::max(target, r.target.size());
  }
  auto line = [&](const std::string& a, const std::string& b, const std::string& c,
                  const std::string& d) {
    std::cout << std::left << std::setw(static_cast<int>(figure)) << a << "  "
              << std::setw(static_cast<int>(value)) << b << "  "
              << std::setw(static_cast<int>(target)) << c << "  " << d << "\n";
  };
  line("figure", "value", "target", "met");
  for (const Row& r : rows) {
    line(r.figure, r.shown, r.target, r.met ? (*r.met ? "met" : "NOT met") : "");
  }
  std::cout << std::right;
}

std::string Machine() {
  std::ifstream in("/proc/sys/kernel/osrelease");
  std::string kernel;
  std::getline(in, kernel);
  const double memory_gib = static_cast<double>(::sysconf(_SC_PHYS_PAGES)) *
                            static_cast<double>(::sysconf(_SC_PAGESIZE)) / (1u << 30);
  return std::to_string(std::thread::hardware_concurrency()) + " cores, " + Fixed(memory_gib, 1) +
         " GiB, Linux " + kernel;
}

}  // namespace

int BenchFull(const std::vector<std::string>& args) {
  po::options_description flags("flags");
  std::string data, keys, json, ledgerd, work;
  bool quick = false;
  std::uint64_t events = 0;
  std::size_t subscribers = 0, rows = 0;
  double seconds = 0, query_seconds = 0;
  int pg_port = 0;
  flags.add_options()("suite", po::value<std::string>(), "full")(
      "quick", po::bool_switch(&quick), "small sizes (CI): checks that every figure is produced")(
      "json", po::value(&json), "also write the figures to this file")(
      "data", po::value(&data),
      "the demo log: used if it holds one (ledgerd appends the bench's decisions to it), else "
      "made there (default: a temporary directory, removed after)")(
      "keys", po::value(&keys), "the log's officers' keys (default: DATA.keys; made with the log)")(
      "events", po::value(&events), "events of a demo log made by the suite (1000000; quick 2000)")(
      "ledgerd", po::value(&ledgerd), "the ledgerd binary (default: the one next to ledgerctl)")(
      "dir", po::value(&work),
      "where the storage suite's databases go (default: a temporary directory)")(
      "rows", po::value(&rows), "rows per step of the storage suite (20000; quick 200)")(
      "subscribers", po::value(&subscribers), "fan-out subscribers (10000; quick 20)")(
      "seconds", po::value(&seconds), "duration of the fan-out phase (10; quick 1)")(
      "query-seconds", po::value(&query_seconds),
      "duration of the paced query phase at 1,000 requests/s (2; quick 1)")(
      "pg-port", po::value(&pg_port)->default_value(0),
      "loopback port of the private PostgreSQL server (0: a free one)");
  po::variables_map vm;
  int exit;
  if (!ParseFlags(args,
                  "--suite full [--quick] [--json FILE] [--data DIR] [--keys DIR] [--events N] "
                  "[--ledgerd PATH] [--dir DIR] [--rows N] [--subscribers N] [--seconds S] "
                  "[--query-seconds S] [--pg-port P]",
                  flags, nullptr, &vm, &exit)) {
    return exit;
  }
  if (!vm.count("events")) events = quick ? 2000 : 1000000;
  if (!vm.count("rows")) rows = quick ? 200 : 20000;
  if (!vm.count("subscribers")) subscribers = quick ? 20 : 10000;
  if (!vm.count("seconds")) seconds = quick ? 1 : 10;
  if (!vm.count("query-seconds")) query_seconds = quick ? 1 : 2;
  if (events == 0 || subscribers == 0 || seconds <= 0 || query_seconds <= 0) {
    return Usage("bench",
                 "--events, --subscribers, --seconds and --query-seconds must be positive");
  }
  if (ledgerd.empty()) ledgerd = FindLedgerd();
  if (ledgerd.empty() || ::access(ledgerd.c_str(), X_OK) != 0) {
    return Fail(
        Status::IoError("bench.ledgerd", "no ledgerd next to ledgerctl" +
                                             (ledgerd.empty() ? std::string() : " at " + ledgerd) +
                                             ": pass --ledgerd PATH"));
  }

  std::error_code ec;
  const fs::path scratch =
      fs::temp_directory_path() / ("ledger-bench-full-" + std::to_string(::getpid()));
  struct Cleanup {
    fs::path dir;
    ~Cleanup() {
      std::error_code ignored;
      fs::remove_all(dir, ignored);
    }
  } cleanup{scratch};
  fs::create_directories(scratch, ec);
  const fs::path log_dir = data.empty() ? scratch / "log" : fs::path(data);
  const fs::path keys_dir = keys.empty() ? fs::path(log_dir.string() + ".keys") : fs::path(keys);
  // A log of one's own needs the keys of its officers (to sign the submits).
  const bool has_log = fs::exists(log_dir / "data.mdb", ec);
  if (has_log && !fs::exists(keys_dir / "officers.json", ec)) {
    return Fail(Status::Invalid("bench.keys", keys_dir.string() +
                                                  " holds no officers.json: pass --keys DIR "
                                                  "(written by ledgerctl demo --keys-out)"));
  }
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  std::vector<Row> table;
  std::cout << "bench --suite full" << (quick ? " --quick" : "") << " on " << Machine() << "\n\n";

  // The verify limits every ratio is against, measured in this run.
  const double verify_1 = SingleCoreVerifyRate(1.0);
  const double verify_all = AllCoresVerifyRate(cores, 1.0);
  table.push_back({"verify_1core_per_s", "Ed25519 verify, 1 core", verify_1,
                   Fixed(verify_1, 0) + " /s", "", std::nullopt});
  table.push_back({"verify_all_cores_per_s",
                   "Ed25519 verify, " + std::to_string(cores) + " cores at once", verify_all,
                   Fixed(verify_all, 0) + " /s", "", std::nullopt});

  // 1. Durable appends, storage only, side by side.
  StorageOptions storage;
  storage.dir = work.empty() ? (scratch / "storage").string() : work;
  storage.rows = rows;
  storage.postgresql_port = pg_port;
  auto stored = RunStorage(storage);
  if (!stored.ok()) return Fail(stored.status());
  PrintStorage(*stored);
  std::cout << std::endl;
  for (const StorageStep& s : stored->steps) {
    const std::string key =
        s.writers > 1 ? "append_writers" : "append_batch_" + std::to_string(s.batch);
    const bool targeted = s.batch >= 100 || s.writers > 1;
    table.push_back({key + "_lmdb_per_s", "append " + s.name + ": LMDB store", s.lmdb,
                     Fixed(s.lmdb, 0) + " rows/s", "", std::nullopt});
    table.push_back({key + "_lmdb_over_postgresql", "append " + s.name + ": LMDB / PostgreSQL",
                     s.lmdb / s.postgresql,
                     Fixed(s.lmdb / s.postgresql, 2) + "x (PG " + Fixed(s.postgresql, 0) + "/s)",
                     targeted ? ">= 5x" : "",
                     targeted ? std::optional<bool>(s.lmdb >= 5 * s.postgresql) : std::nullopt});
    table.push_back({key + "_lmdb_over_sqlite", "append " + s.name + ": LMDB / SQLite",
                     s.lmdb / s.sqlite,
                     Fixed(s.lmdb / s.sqlite, 2) + "x (SQLite " + Fixed(s.sqlite, 0) + "/s)",
                     targeted ? ">= 2x" : "",
                     targeted ? std::optional<bool>(s.lmdb >= 2 * s.sqlite) : std::nullopt});
  }

  // The demo log, made by the demo verb unless --data holds one.
  if (!has_log) {
    std::cout << "making a demo log of " << events << " events in " << log_dir.string() << "\n";
    const int made = Verbs()["demo"].run({"demo", "--data", log_dir.string(), "--events",
                                          std::to_string(events), "--keys-out", keys_dir.string()});
    if (made != kOk) return made;
    std::cout << "\n";
  }

  // 3. Rebuild, re-verification, start-up from a fresh checkpoint (the
  // programme suite; it leaves that checkpoint in the log).
  ProgrammeFigures programme;
  if (int rc = BenchProgramme(log_dir.string(), 1.0, &programme); rc != kOk) return rc;
  std::cout << std::endl;

  // 4 (in process) and 6 (on disk): on the log as the demo left it.
  QueryFigures queries;
  Footprint footprint;
  {
    auto opened = projections::Programme::Open(log_dir.string(), {});
    if (!opened.ok()) return Fail(opened.status());
    auto q = InProcessQueries(**opened, quick ? 1000 : 100000, quick ? 200 : 10000);
    if (!q.ok()) return Fail(q.status());
    queries = *q;
    auto f = MeasureFootprint(log_dir, (*opened)->store());
    if (!f.ok()) return Fail(f.status());
    footprint = *f;
  }

  // 7 and 6 (memory): ledgerd from launch to serving, with the checkpoint.
  auto server = Ledgerd::Start(ledgerd, log_dir, scratch / "ledgerd.out");
  if (!server.ok()) return Fail(server.status());
  const double ledgerd_startup_ms = (*server)->startup_ms();
  const double ledgerd_rss_mib = StatusKib((*server)->pid(), "VmRSS") / 1024;
  const double ledgerd_anon_mib = StatusKib((*server)->pid(), "RssAnon") / 1024;

  // 2 and 4 (WebSocket): the api suite's submit and query phases (its
  // fan-out phase here with one subscriber).
  const std::string secs = Fixed(seconds, 3);
  ApiFigures load;
  if (int rc = BenchApi(
          {"bench", "--suite", "api", "--url", (*server)->url(), "--keys", keys_dir.string(),
           "--clients", "50", "--decisions", quick ? "200" : "5000", "--query-seconds",
           Fixed(query_seconds, 3), "--subscribers", "1", "--seconds", "1"},
          &load);
      rc != kOk) {
    return rc;
  }
  std::cout << std::endl;
  // 5. Fan-out to --subscribers at 500 events/s; ledgerd's anonymous memory
  // before and at its peak gives the memory per subscriber.
  ApiFigures fanout;
  double kib_per_subscriber = 0;
  const double anon_before_kib = StatusKib((*server)->pid(), "RssAnon");
  {
    PeakSampler peak((*server)->pid());
    const int rc = BenchApi(
        {"bench", "--suite", "api", "--url", (*server)->url(), "--keys", keys_dir.string(),
         "--clients", "1", "--decisions", "1", "--subscribers", std::to_string(subscribers),
         "--rate", "500", "--seconds", secs, "--query-seconds", "0.1"},
        &fanout);
    const double anon_peak_kib = peak.Stop();
    if (rc != kOk) return rc;
    kib_per_subscriber = (anon_peak_kib - std::min(anon_peak_kib, anon_before_kib)) /
                         static_cast<double>(subscribers);
  }
  server->reset();  // stops ledgerd
  std::cout << "\n";

  const double ingest_ratio = load.submit_rate / verify_all;
  table.push_back({"ingest_decisions_per_s",
                   "verified ingest through ledgerd (50 WebSocket clients)", load.submit_rate,
                   Fixed(load.submit_rate, 0) + " decisions/s", "", std::nullopt});
  table.push_back({"ingest_ratio", "ingest / all-core verify", ingest_ratio, Fixed(ingest_ratio, 2),
                   ">= 0.7", ingest_ratio >= 0.7});
  table.push_back({"rebuild_events_per_s", "rebuild of every projection", programme.rebuild_rate,
                   Fixed(programme.rebuild_rate, 0) + " events/s (" +
                       std::to_string(programme.events) + " events)",
                   ">= 1,000,000 events/s", programme.rebuild_rate >= 1e6});
  table.push_back({"reverify_events_per_s", "full re-verification", programme.reverify_rate,
                   Fixed(programme.reverify_rate, 0) + " events/s", "", std::nullopt});
  table.push_back({"reverify_ratio", "re-verification signatures / all-core verify",
                   programme.reverify_ratio, Fixed(programme.reverify_ratio, 2), ">= 0.8",
                   programme.reverify_ratio >= 0.8});
  table.push_back({"state_lookup_p50_ms", "state lookup in process, p50", queries.state_p50_ms,
                   Fixed(queries.state_p50_ms, 4) + " ms", "", std::nullopt});
  table.push_back({"state_lookup_p99_ms", "state lookup in process, p99", queries.state_p99_ms,
                   Fixed(queries.state_p99_ms, 4) + " ms", "", std::nullopt});
  table.push_back({"audit_subject_p50_ms", "audit by subject in process, p50", queries.audit_p50_ms,
                   Fixed(queries.audit_p50_ms, 3) + " ms", "", std::nullopt});
  table.push_back({"audit_subject_p99_ms", "audit by subject in process, p99", queries.audit_p99_ms,
                   Fixed(queries.audit_p99_ms, 3) + " ms", "", std::nullopt});
  table.push_back({"query_ws_p50_ms", "query over WebSocket at 1,000/s, p50", load.query_p50_ms,
                   Fixed(load.query_p50_ms, 2) + " ms", "", std::nullopt});
  table.push_back({"query_ws_p99_ms", "query over WebSocket at 1,000/s, p99", load.query_p99_ms,
                   Fixed(load.query_p99_ms, 2) + " ms", "< 5 ms", load.query_p99_ms < 5});
  table.push_back({"fanout_events_per_s", "fan-out: events submitted", fanout.fanout_rate,
                   Fixed(fanout.fanout_rate, 0) + " events/s", "500 events/s",
                   fanout.fanout_rate >= 475});
  table.push_back(
      {"fanout_p50_ms", "fan-out delivery from commit, p50", fanout.delivery_p50_ms,
       Fixed(fanout.delivery_p50_ms, 1) + " ms (" + std::to_string(subscribers) + " subscribers)",
       "", std::nullopt});
  table.push_back({"fanout_p99_ms", "fan-out delivery from commit, p99", fanout.delivery_p99_ms,
                   Fixed(fanout.delivery_p99_ms, 1) + " ms", "< 250 ms",
                   fanout.delivery_p99_ms < 250});
  table.push_back({"subscribers_dropped", "subscribers dropped",
                   static_cast<double>(fanout.dropped),
                   std::to_string(fanout.dropped) + " of " + std::to_string(subscribers) + ", " +
                       std::to_string(fanout.missing) + " deliveries missing",
                   "0", fanout.dropped == 0 && fanout.missing == 0});
  table.push_back({"memory_per_subscriber_kib", "ledgerd memory per subscriber (anonymous)",
                   kib_per_subscriber, Fixed(kib_per_subscriber, 1) + " KiB", "", std::nullopt});
  const double n = static_cast<double>(std::max<std::uint64_t>(footprint.events, 1));
  const double disk_per_event = static_cast<double>(footprint.disk_bytes) / n;
  const double bare_per_event =
      static_cast<double>(footprint.disk_bytes -
                          std::min(footprint.disk_bytes, footprint.checkpoint_bytes)) /
      n;
  const double canonical_per_event = static_cast<double>(footprint.canonical_bytes) / n;
  table.push_back(
      {"canonical_bytes_per_event", "canonical event size", canonical_per_event,
       Fixed(canonical_per_event, 0) + " bytes (" + std::to_string(footprint.events) + " events)",
       "", std::nullopt});
  table.push_back({"disk_bytes_per_event", "on disk per event (data directory)", disk_per_event,
                   Fixed(disk_per_event, 0) + " bytes, " +
                       Fixed(disk_per_event / canonical_per_event, 2) + "x canonical",
                   "<= 2x", disk_per_event <= 2 * canonical_per_event});
  table.push_back({"disk_bytes_per_event_without_checkpoints",
                   "on disk per event, less the checkpoints", bare_per_event,
                   Fixed(bare_per_event, 0) + " bytes, " +
                       Fixed(bare_per_event / canonical_per_event, 2) + "x canonical (" +
                       Fixed(static_cast<double>(footprint.checkpoint_bytes) / (1 << 20), 0) +
                       " MiB of checkpoints)",
                   "<= 2x", bare_per_event <= 2 * canonical_per_event});
  table.push_back({"ledgerd_resident_mib", "ledgerd resident memory after start-up",
                   ledgerd_rss_mib,
                   Fixed(ledgerd_rss_mib, 0) + " MiB (" + Fixed(ledgerd_anon_mib, 0) +
                       " MiB anonymous, the rest the mapped log)",
                   "", std::nullopt});
  table.push_back({"projections_heap_mib", "projections' heap after a rebuild",
                   programme.projections_mib, Fixed(programme.projections_mib, 0) + " MiB",
                   "< 1 GiB", programme.projections_mib < 1024});
  table.push_back({"startup_programme_ms", "start-up with a checkpoint (in process)",
                   programme.startup_ms, Fixed(programme.startup_ms, 0) + " ms", "< 1 s",
                   programme.startup_ms < 1000});
  table.push_back({"as_of_median_ms", "as-of query at 20 points, median", programme.as_of_median_ms,
                   Fixed(programme.as_of_median_ms, 0) + " ms", "", std::nullopt});
  table.push_back({"as_of_max_ms", "as-of query at 20 points, slowest", programme.as_of_max_ms,
                   Fixed(programme.as_of_max_ms, 0) + " ms", "< 100 ms",
                   programme.as_of_max_ms < 100});
  table.push_back({"startup_ledgerd_ms", "ledgerd start-up to serving, with a checkpoint",
                   ledgerd_startup_ms, Fixed(ledgerd_startup_ms, 0) + " ms", "", std::nullopt});

  std::cout << "bench --suite full: all figures\n\n";
  PrintTable(table);
  if (!json.empty()) {
    boost::json::object figures, targets;
    for (const Row& r : table) {
      figures[r.key] = r.value;
      if (r.met) targets[r.key] = boost::json::object{{"target", r.target}, {"met", *r.met}};
    }
    const boost::json::object out{{"suite", "full"},
                                  {"quick", quick},
                                  {"machine", Machine()},
                                  {"figures", std::move(figures)},
                                  {"targets", std::move(targets)},
                                  {"storage", boost::json::parse(StorageJson(*stored))}};
    if (Status s = WriteJson(json, boost::json::serialize(out)); !s.ok()) return Fail(s);
  }
  return kOk;
}

}  // namespace pl::ctl
