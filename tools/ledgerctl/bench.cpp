// bench: signature and durable-append throughput on this machine.
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <iomanip>
#include <iostream>
#include <thread>

#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>

#include "bench_api.h"
#include "bench_full.h"
#include "bench_soak.h"
#include "bench_storage.h"
#include "cli.h"
#include "projections/programme.h"
#include "projections/rules.h"
#include "projections/verify.h"

namespace pl::ctl {
namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

}  // namespace

// One place measures the 1-core rate every suite's ratios are against.
double SingleCoreVerifyRate(double seconds) {
  const auto key = crypto::PrivateKey::Generate();
  const std::string message(400, 'm');
  const crypto::Signature sig = key.Sign(AsBytes(message));
  std::size_t n = 0;
  const auto t = Clock::now();
  for (; Seconds(t) < seconds; ++n) key.public_key().Verify(AsBytes(message), sig);
  return static_cast<double>(n) / Seconds(t);
}

double ProcessCpuSeconds() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// A decision whose signed JSON form is about `bytes` long.
ledger::SignedDecision MakeDecision(std::size_t i, std::size_t bytes,
                                    const crypto::PrivateKey& key) {
  ledger::SignedDecision d;
  d.decision.id = "bench-" + std::to_string(i);
  d.decision.type = "project.milestone_reported";
  d.decision.body = "secretariat";
  d.decision.issued_at = 1330592400000 + static_cast<ledger::Timestamp>(i) * 1000;
  const std::size_t fixed = 357;  // the signed JSON around the summary
  d.decision.payload = ledger::Value(
      ledger::Value::Object{{"project_id", "P-" + std::to_string(i % 997)},
                            {"summary", std::string(bytes > fixed ? bytes - fixed : 1, 'x')}});
  ledger::Sign(&d, key);
  return d;
}

namespace {

// Verifies every decision's signatures, split across `threads` threads.
bool VerifyAll(std::span<const ledger::SignedDecision> batch, const ledger::KeyLookup& keys,
               unsigned threads) {
  std::vector<std::future<bool>> parts;
  const std::size_t per = (batch.size() + threads - 1) / threads;
  for (std::size_t from = 0; from < batch.size(); from += per) {
    auto part = batch.subspan(from, std::min(per, batch.size() - from));
    parts.push_back(std::async(std::launch::async, [part, &keys] {
      for (const auto& d : part) {
        if (!ledger::VerifySignatures(d, keys).ok()) return false;
      }
      return true;
    }));
  }
  bool ok = true;
  for (auto& p : parts) ok = p.get() && ok;
  return ok;
}

// Resident memory of this process, in bytes (LMDB pages it has mapped count).
std::uint64_t ResidentBytes() {
  std::ifstream statm("/proc/self/statm");
  std::uint64_t pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
}

// Heap bytes in use: what the projections themselves hold.
std::uint64_t HeapBytes() { return mallinfo2().uordblks; }

}  // namespace

// The programme suite over an existing log (e.g. a 1,000,000-event demo):
// rebuild, re-verification, start-up from a checkpoint, as-of queries.
int BenchProgramme(const std::string& dir, double seconds, ProgrammeFigures* figures) {
  ProgrammeFigures unused;
  ProgrammeFigures& f = figures ? *figures : unused;
  std::cout << std::fixed << std::setprecision(0);
  const double verify_rate = SingleCoreVerifyRate(seconds);
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  std::cout << "ed25519 verify (1 core):          " << verify_rate << " /s\n";
  f.verify_rate = verify_rate;

  std::uint64_t events = 0;
  {
    auto store = OpenStore(dir, true);
    if (!store.ok()) return Fail(store.status());
    events = (*store)->size();
    f.events = events;
    std::cout << "log:                              " << events << " events\n";
    // 1. Rebuild of every projection, trusting the signed tree head, as a
    // start-up without a checkpoint runs it (decoding on a second thread,
    // applying on this one).
    const std::uint64_t heap_before = HeapBytes();
    projections::ProgrammeState state;
    projections::ApplyOptions apply;
    apply.verify_signatures = false;
    apply.find_decision = [&](std::string_view id) -> std::optional<projections::Seq> {
      auto seq = (*store)->Find(id);
      return seq.ok() ? std::optional<projections::Seq>(*seq) : std::nullopt;
    };
    auto t = Clock::now();
    const double cpu_before = ProcessCpuSeconds();
    if (Status s = projections::ReplayLog(**store, &state, events, apply); !s.ok()) return Fail(s);
    const double rebuild = Seconds(t);
    const double rebuild_cpu = ProcessCpuSeconds() - cpu_before;
    const std::uint64_t rss_after = ResidentBytes();
    const std::uint64_t heap_after = HeapBytes();
    f.rebuild_rate = static_cast<double>(events) / rebuild;
    f.projections_mib =
        static_cast<double>(heap_after - std::min(heap_after, heap_before)) / (1 << 20);
    f.resident_mib = static_cast<double>(rss_after) / (1 << 20);
    std::cout << "rebuild (trusting the tree head): " << static_cast<double>(events) / rebuild
              << " events/s (" << std::setprecision(2) << rebuild << " s; " << rebuild_cpu
              << " s of CPU on two threads: " << std::setprecision(0)
              << static_cast<double>(events) / std::max(rebuild_cpu, 1e-9)
              << " events per CPU second)\n";
    std::cout << "projections memory (heap):        "
              << static_cast<double>(heap_after - std::min(heap_after, heap_before)) / (1 << 20)
              << " MiB (process resident " << static_cast<double>(rss_after) / (1 << 20)
              << " MiB, counting the mapped log)\n";
    // 2. Full re-verification on every core.
    t = Clock::now();
    projections::VerifyOptions options;
    auto report = projections::VerifyLog(**store, options);
    if (!report.ok()) return Fail(report.status());
    const double verify = Seconds(t);
    const double sig_rate = static_cast<double>(report->signatures) / verify;
    f.reverify_rate = static_cast<double>(events) / verify;
    f.reverify_signature_rate = sig_rate;
    f.reverify_ratio = sig_rate / (cores * verify_rate);
    std::cout << "full re-verification:             " << static_cast<double>(events) / verify
              << " events/s, " << sig_rate << " signatures/s on " << cores << " cores; ratio to "
              << cores << " x 1-core verify: " << std::setprecision(2)
              << sig_rate / (cores * verify_rate) << std::setprecision(0) << "\n";
  }
  // 3. Start-up with a fresh checkpoint.
  {
    auto programme = projections::Programme::Open(dir, {});
    if (!programme.ok()) return Fail(programme.status());
    if (Status s = (*programme)->Checkpoint(); !s.ok()) return Fail(s);
  }
  auto t = Clock::now();
  auto programme = projections::Programme::Open(dir, {});
  if (!programme.ok()) return Fail(programme.status());
  f.startup_ms = Seconds(t) * 1000;
  std::cout << "start-up from a fresh checkpoint: " << Seconds(t) * 1000 << " ms\n";
  // 4. As-of queries at points spread over the log.
  std::vector<double> ms;
  for (std::uint64_t i = 1; i <= 20; ++i) {
    const std::uint64_t at = events * i / 21 + i;
    t = Clock::now();
    auto state = (*programme)->AsOf(std::min(at, events));
    if (!state.ok()) return Fail(state.status());
    ms.push_back(Seconds(t) * 1000);
  }
  std::sort(ms.begin(), ms.end());
  f.as_of_median_ms = ms[ms.size() / 2];
  f.as_of_max_ms = ms.back();
  std::cout << "as-of query (20 points):          median " << ms[ms.size() / 2] << " ms, max "
            << ms.back() << " ms\n";
  return kOk;
}

namespace {

int Bench(const std::vector<std::string>& args) {
  if (IsApiSuite(args)) return BenchApi(args);              // its own flags (bench_api.cpp)
  if (IsSoakSuite(args)) return BenchSoak(args);            // its own flags (bench_soak.cpp)
  if (IsSuite(args, "storage")) return BenchStorage(args);  // bench_storage.cpp
  if (IsSuite(args, "full")) return BenchFull(args);        // bench_full.cpp
  po::options_description flags("flags");
  std::string dir;
  double seconds = 1.0;
  std::size_t events = 20000;
  flags.add_options()("dir", po::value(&dir),
                      "where to create the benchmark logs (default: a temporary directory)")(
      "seconds", po::value(&seconds)->default_value(1.0), "time spent on each signature rate")(
      "events", po::value(&events)->default_value(20000),
      "decisions appended at batch sizes 100 and 1000 (batch 1 uses a tenth)")(
      "suite", po::value<std::string>()->default_value("append"),
      "append (signatures and durable appends) or programme (rebuild, re-verification, "
      "start-up and as-of over the log in --data)")("data", po::value<std::string>(),
                                                    "the log for --suite programme");
  po::variables_map vm;
  int exit;
  if (!ParseFlags(args,
                  "[--suite append|programme] [--data DIR] [--dir DIR] [--seconds S] [--events N]",
                  flags, nullptr, &vm, &exit)) {
    return exit;
  }
  if (vm["suite"].as<std::string>() == "programme") {
    if (!vm.count("data")) return Usage("bench", "--suite programme needs --data DIR");
    return BenchProgramme(vm["data"].as<std::string>(), seconds, nullptr);
  }
  if (vm["suite"].as<std::string>() != "append")
    return Usage("bench", "--suite is append or programme");
  namespace fs = std::filesystem;
  const fs::path root =
      dir.empty() ? fs::temp_directory_path() / ("ledger-bench-" + std::to_string(::getpid()))
                  : fs::path(dir);
  fs::create_directories(root);
  const auto key = crypto::PrivateKey::Generate();
  const crypto::PublicKey& pub = key.public_key();
  const ledger::KeyLookup keys = [&pub](const crypto::Hash&) { return &pub; };

  // Single-core signature rates.
  const std::string message(400, 'm');
  std::size_t n = 0;
  crypto::Signature sig{};
  auto t = Clock::now();
  for (; Seconds(t) < seconds; ++n) sig = key.Sign(AsBytes(message));
  const double sign_rate = static_cast<double>(n) / Seconds(t);
  if (!pub.Verify(AsBytes(message), sig)) return Fail(Status::Invalid("bench", "verify failed"));
  const double verify_rate = SingleCoreVerifyRate(seconds);

  std::vector<ledger::SignedDecision> decisions;
  decisions.reserve(events);
  for (std::size_t i = 0; i < events; ++i) decisions.push_back(MakeDecision(i, 400, key));
  const std::size_t decision_bytes = ledger::CanonicalJson(ledger::ToValue(decisions[0])).size();

  std::cout << std::fixed << std::setprecision(0);
  std::cout << "machine: " << std::thread::hardware_concurrency() << " hardware threads\n";
  std::cout << "ed25519 sign (1 core):     " << sign_rate << " /s\n";
  std::cout << "ed25519 verify (1 core):   " << verify_rate << " /s\n";
  std::cout << "signed decision size:      " << decision_bytes << " bytes (JSON)\n\n";
  std::cout << "durable appends (fsync on every commit), signatures verified first:\n";
  std::cout << "  batch   decisions   appends/s   ratio to 1-core verify\n";

  const unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  for (std::size_t batch : {std::size_t{1}, std::size_t{100}, std::size_t{1000}}) {
    const std::size_t count = batch == 1 ? std::max<std::size_t>(events / 10, 1) : events;
    const fs::path data = root / ("batch-" + std::to_string(batch));
    fs::remove_all(data);
    ledger::StoreOptions options;
    options.create_if_missing = true;
    options.sync = true;
    auto store = ledger::Store::Open(data.string(), options);
    if (!store.ok()) return Fail(store.status());
    // Two stages: batch k+1 is verified (on every core) while batch k commits.
    std::future<Status> committing;
    t = Clock::now();
    for (std::size_t from = 0; from < count; from += batch) {
      auto part = std::span<const ledger::SignedDecision>(decisions).subspan(
          from, std::min(batch, count - from));
      if (!VerifyAll(part, keys, threads)) {
        return Fail(Status::Invalid("bench", "a signature failed"));
      }
      if (committing.valid()) {
        if (Status s = committing.get(); !s.ok()) return Fail(s);
      }
      committing = std::async(std::launch::async, [&store, part] {
        auto r = (*store)->Append(part);
        return r.ok() ? Status::Ok() : r.status();
      });
    }
    if (Status s = committing.get(); !s.ok()) return Fail(s);
    const double rate = static_cast<double>(count) / Seconds(t);
    std::cout << "  " << std::setw(5) << batch << "   " << std::setw(9) << count << "   "
              << std::setw(9) << rate << "   " << std::setprecision(2) << std::setw(6)
              << rate / verify_rate << std::setprecision(0) << "\n";
  }
  if (dir.empty()) fs::remove_all(root);
  return kOk;
}

const bool registered = [] {
  Verbs()["bench"] = {"Measure Ed25519 rates and verified durable appends on this machine.", Bench};
  return true;
}();

}  // namespace
}  // namespace pl::ctl
