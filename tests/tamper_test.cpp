// Tampering with the stored file. Random bytes of the events' stored records
// in data.mdb are flipped (the live records, located through LMDB itself, so
// no trial is wasted on free pages), one trial at a time on a copy: every
// change must be refused when the log is opened, or reported by verification
// naming the tampered event's sequence. None may pass. A handful of trials go
// through the real `ledgerctl verify`. A damaged projection checkpoint is
// ignored at start (with a log line) and the state rebuilt from the log.
// PL_TAMPER_TRIALS sets the number of in-process trials (default 1000),
// PL_TAMPER_SEED the seed.
#define BOOST_TEST_MODULE tamper
#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <lmdb.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <random>
#include <set>

#include "../projections/src/checkpoint.h"
#include "api/client.h"
#include "ledger/store.h"
#include "ledgerd_process.h"
#include "process.h"
#include "programme_fixture.h"
#include "projections/programme.h"
#include "projections/verify.h"
#include "projections/views.h"
#include "test_util.h"

namespace {

namespace fs = std::filesystem;
using pl::ledger::Value;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr std::uint16_t kPort = 8662;
constexpr int kEvents = 40;

std::uint64_t EnvNumber(const char* name, std::uint64_t fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::strtoull(v, nullptr, 10) : fallback;
}

pl::ledger::SignedDecision Signed(pl::test::Officers& officers, const std::string& id,
                                  const std::string& type, const std::string& body,
                                  Value::Object payload, const std::vector<std::string>& signers) {
  pl::ledger::SignedDecision d;
  d.decision.id = id;
  d.decision.type = type;
  d.decision.body = body;
  static std::int64_t minutes = 0;  // each decision a minute after the one before
  d.decision.issued_at = 1356998400000 + 60000 * ++minutes;
  d.decision.payload = Value(std::move(payload));
  for (const auto& o : signers) pl::ledger::Sign(&d, officers[o]);
  return d;
}

// A log of kEvents events (genesis, proposals, approvals by both co-chairs),
// with a checkpoint every 10 events.
void MakeLedger(const std::string& data) {
  pl::test::Officers officers;
  pl::projections::ProgrammeOptions o;
  o.store.create_if_missing = true;
  o.checkpoint_every = 10;
  auto p = pl::projections::Programme::Open(data, o);
  BOOST_REQUIRE_MESSAGE(p.ok(), p.status().ToString());
  std::vector<pl::ledger::SignedDecision> batch{
      Signed(officers, "genesis", "governance.genesis", "joint-committee",
             pl::test::GenesisPayload(officers), {"jc-cn", "jc-asean"})};
  for (int i = 1; batch.size() < kEvents + 1; ++i) {
    const std::string project = "P-" + std::to_string(i);
    batch.push_back(Signed(officers, "sec-" + std::to_string(i), "project.proposed", "secretariat",
                           pl::test::Proposal(project), {"sec-head"}));
    if (i % 3 == 0) {
      batch.push_back(Signed(
          officers, "jc-" + std::to_string(i), "project.approved", "joint-committee",
          Value::Object{{"budget", pl::test::MoneyValue(100000000)}, {"project_id", project}},
          {"jc-cn", "jc-asean"}));
    }
  }
  batch.resize(kEvents);
  for (const auto& d : batch) {  // one commit each, so checkpoints fall on tens
    auto r = (*p)->Submit(std::span(&d, 1));
    BOOST_REQUIRE(r.ok());
    BOOST_REQUIRE_MESSAGE(r->decisions[0].status.ok(), r->decisions[0].status.ToString());
  }
}

// A stored record: where its bytes are in data.mdb.
struct Record {
  std::uint64_t key = 0;  // sequence, or checkpoint size
  std::uint64_t offset = 0;
  std::uint64_t size = 0;
};

// The live records of a named database, located through LMDB's own map of the
// file (a value's pointer minus the map's address is its offset in data.mdb).
std::vector<Record> Locate(const std::string& data, const char* db) {
  MDB_env* env = nullptr;
  BOOST_REQUIRE(mdb_env_create(&env) == 0);
  mdb_env_set_maxdbs(env, 16);
  BOOST_REQUIRE(mdb_env_open(env, data.c_str(), MDB_RDONLY, 0644) == 0);
  // Where LMDB mapped data.mdb (mdb_env_info's address is only set for MDB_FIXEDMAP).
  const std::string file = fs::canonical(fs::path(data) / "data.mdb").string();
  const std::uint8_t* base = nullptr;
  {
    std::ifstream maps("/proc/self/maps");
    for (std::string line; std::getline(maps, line);) {
      if (line.size() > file.size() && line.ends_with(" " + file)) {
        base = reinterpret_cast<const std::uint8_t*>(std::stoull(line, nullptr, 16));
        break;
      }
    }
  }
  BOOST_REQUIRE_MESSAGE(base, "data.mdb is not mapped");
  MDB_txn* txn = nullptr;
  BOOST_REQUIRE(mdb_txn_begin(env, nullptr, MDB_RDONLY, &txn) == 0);
  MDB_dbi dbi;
  BOOST_REQUIRE(mdb_dbi_open(txn, db, 0, &dbi) == 0);
  MDB_cursor* cursor = nullptr;
  BOOST_REQUIRE(mdb_cursor_open(txn, dbi, &cursor) == 0);
  std::vector<Record> out;
  MDB_val k, v;
  for (int rc = mdb_cursor_get(cursor, &k, &v, MDB_FIRST); rc == 0;
       rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT)) {
    std::uint64_t key = 0;
    for (std::size_t i = 0; i < k.mv_size; ++i) {
      key = (key << 8) | static_cast<const std::uint8_t*>(k.mv_data)[i];
    }
    out.push_back(
        Record{key, static_cast<std::uint64_t>(static_cast<const std::uint8_t*>(v.mv_data) - base),
               v.mv_size});
  }
  mdb_cursor_close(cursor);
  mdb_txn_abort(txn);
  mdb_env_close(env);
  return out;
}

// XORs the byte at offset of file with mask (twice restores it).
void Flip(const std::string& file, std::uint64_t offset, std::uint8_t mask) {
  const int fd = ::open(file.c_str(), O_RDWR);
  BOOST_REQUIRE(fd >= 0);
  std::uint8_t b = 0;
  BOOST_REQUIRE(::pread(fd, &b, 1, static_cast<off_t>(offset)) == 1);
  b ^= mask;
  BOOST_REQUIRE(::pwrite(fd, &b, 1, static_cast<off_t>(offset)) == 1);
  ::close(fd);
}

// One byte of one record, picked uniformly over all the records' bytes.
struct Target {
  const Record* record;
  std::uint64_t offset;
};
Target Pick(const std::vector<Record>& records, std::uint64_t total, std::mt19937_64& random) {
  std::uint64_t at = random() % total;
  for (const Record& r : records) {
    if (at < r.size) return {&r, r.offset + at};
    at -= r.size;
  }
  return {&records.back(), records.back().offset};
}

std::string Copy(const std::string& from, const std::string& to) {
  fs::create_directories(to);
  for (const char* f : {"data.mdb", "log-key.pem"}) {
    fs::copy_file(fs::path(from) / f, fs::path(to) / f, fs::copy_options::overwrite_existing);
  }
  return to;
}

}  // namespace

BOOST_AUTO_TEST_CASE(every_flipped_event_byte_is_caught) {
  const std::uint64_t trials = EnvNumber("PL_TAMPER_TRIALS", 1000);
  const std::uint64_t seed = EnvNumber(
      "PL_TAMPER_SEED", static_cast<std::uint64_t>(Clock::now().time_since_epoch().count()));
  std::cout << "tamper: " << trials << " trials, seed " << seed << std::endl;
  std::mt19937_64 random(seed);
  pl::test::TempDir dir;
  MakeLedger(dir.str("clean"));
  const std::string data = Copy(dir.str("clean"), dir.str("trial"));
  const std::string file = data + "/data.mdb";

  const std::vector<Record> events = Locate(data, "events");
  BOOST_TEST_REQUIRE(events.size() == static_cast<std::size_t>(kEvents));
  std::uint64_t total = 0;
  for (const Record& r : events) total += r.size;
  std::cout << "tamper: " << events.size() << " events, " << total << " bytes of records in a "
            << fs::file_size(file) << "-byte data.mdb" << std::endl;

  std::map<std::string, std::uint64_t> refused_at_open, caught;  // by rule
  std::uint64_t undetected = 0, wrong_sequence = 0;
  const auto started = Clock::now();
  for (std::uint64_t t = 0; t < trials; ++t) {
    const Target target = Pick(events, total, random);
    const auto mask = static_cast<std::uint8_t>(1 + random() % 255);
    Flip(file, target.offset, mask);
    {
      pl::ledger::StoreOptions ro;
      ro.read_only = true;
      auto store = pl::ledger::Store::Open(data, ro);
      if (!store.ok()) {
        ++refused_at_open[store.status().rule()];
      } else {
        pl::projections::VerifyOptions vo;
        vo.threads = 1;
        auto verified = pl::projections::VerifyLog(**store, vo);
        const std::string named = "event " + std::to_string(target.record->key) + ":";
        if (verified.ok()) {
          ++undetected;
          BOOST_ERROR("undetected: byte " << target.offset << " of event " << target.record->key
                                          << " ^ " << int(mask));
        } else if (verified.status().message().find(named) != 0) {
          ++wrong_sequence;
          BOOST_ERROR("event " << target.record->key
                               << " tampered, but verify says: " << verified.status().ToString());
        } else {
          ++caught[verified.status().rule()];
        }
      }
    }
    Flip(file, target.offset, mask);
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
  std::uint64_t refused_total = 0, caught_total = 0;
  std::cout << "tamper: refused at open:";
  for (const auto& [rule, n] : refused_at_open) std::cout << " " << rule << " " << n;
  for (const auto& [rule, n] : refused_at_open) refused_total += n;
  std::cout << "\ntamper: caught by verify, naming the event:";
  for (const auto& [rule, n] : caught) std::cout << " " << rule << " " << n;
  for (const auto& [rule, n] : caught) caught_total += n;
  std::cout << "\ntamper: " << trials << " trials: " << refused_total << " refused at open, "
            << caught_total << " caught naming the event, " << wrong_sequence << " naming another, "
            << undetected << " undetected; " << seconds << " s" << std::endl;
  BOOST_TEST(undetected == 0u);
  BOOST_TEST(wrong_sequence == 0u);
  BOOST_TEST(refused_total + caught_total == trials);

  // The restored copy is the clean log again.
  pl::ledger::StoreOptions ro;
  ro.read_only = true;
  auto store = pl::ledger::Store::Open(data, ro);
  BOOST_REQUIRE(store.ok());
  BOOST_TEST(pl::projections::VerifyLog(**store).ok());
}

// Whole pages this time: page and node headers and keys as well as the
// records, so LMDB's own structures are hit too. Each trial runs in a child
// process, so that a crash would be counted, not end the test.
BOOST_AUTO_TEST_CASE(every_flipped_byte_of_the_event_pages_is_caught) {
  const std::uint64_t trials = EnvNumber("PL_TAMPER_TRIALS", 1000);
  const std::uint64_t seed = EnvNumber(
      "PL_TAMPER_SEED", static_cast<std::uint64_t>(Clock::now().time_since_epoch().count()));
  std::mt19937_64 random(seed);
  pl::test::TempDir dir;
  MakeLedger(dir.str("clean"));
  const std::string data = Copy(dir.str("clean"), dir.str("trial"));
  const std::string file = data + "/data.mdb";
  const std::uint64_t page = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
  std::set<std::uint64_t> page_numbers;
  for (const Record& r : Locate(data, "events")) {
    for (std::uint64_t at = r.offset; at < r.offset + r.size; at += page) {
      page_numbers.insert(at / page);
    }
    page_numbers.insert((r.offset + r.size - 1) / page);
  }
  const std::vector<std::uint64_t> pages(page_numbers.begin(), page_numbers.end());
  std::cout << "tamper (pages): " << trials << " trials over " << pages.size()
            << " pages holding events, seed " << seed << std::endl;

  // The events as LMDB returns them: a flip that leaves these unchanged hit a
  // byte LMDB does not read (free space in a page, padding), not the log.
  using Events = std::vector<std::pair<std::uint64_t, std::string>>;
  auto dump = [](const pl::ledger::Store& store) {
    Events out;
    pl::Status s = store.ScanRaw(0, UINT64_MAX, [&](std::uint64_t seq, pl::ByteView bytes) {
      out.emplace_back(seq, std::string(bytes.begin(), bytes.end()));
      return true;
    });
    if (!s.ok()) out.emplace_back(UINT64_MAX, s.ToString());
    return out;
  };
  Events pristine;
  {
    pl::ledger::StoreOptions ro;
    ro.read_only = true;
    auto store = pl::ledger::Store::Open(data, ro);
    BOOST_REQUIRE(store.ok());
    pristine = dump(**store);
  }

  // The child's verdict, as its exit code.
  enum Verdict {
    kUndetected = 0,
    kRefusedAtOpen = 1,
    kLmdbReadError = 2,
    kNamedEvent = 3,
    kOther = 4,
    kNoChange = 5
  };
  std::map<int, std::uint64_t> outcomes;  // verdict, or 100 + signal
  for (std::uint64_t t = 0; t < trials; ++t) {
    const std::uint64_t offset = pages[random() % pages.size()] * page + random() % page;
    const auto mask = static_cast<std::uint8_t>(1 + random() % 255);
    Flip(file, offset, mask);
    const pid_t child = ::fork();
    BOOST_REQUIRE(child >= 0);
    if (child == 0) {
      // The test framework's handlers would carry on testing in the child.
      for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT}) ::signal(sig, SIG_DFL);
      pl::ledger::StoreOptions ro;
      ro.read_only = true;
      auto store = pl::ledger::Store::Open(data, ro);
      if (!store.ok()) ::_exit(kRefusedAtOpen);
      pl::projections::VerifyOptions vo;
      vo.threads = 1;
      auto verified = pl::projections::VerifyLog(**store, vo);
      if (verified.ok()) ::_exit(dump(**store) == pristine ? kNoChange : kUndetected);
      const std::string& m = verified.status().message();
      if (m.starts_with("event ") && m.find(':') != std::string::npos) ::_exit(kNamedEvent);
      if (verified.status().rule() == "store.io") ::_exit(kLmdbReadError);
      ::_exit(kOther);
    }
    int status = 0;
    ::waitpid(child, &status, 0);
    const int verdict = WIFEXITED(status) ? WEXITSTATUS(status) : 100 + WTERMSIG(status);
    ++outcomes[verdict];
    if (verdict == kUndetected) {
      BOOST_ERROR("undetected: byte " << offset << " (page " << offset / page << ") ^ "
                                      << int(mask));
    }
    Flip(file, offset, mask);
  }
  std::cout << "tamper (pages): refused at open " << outcomes[kRefusedAtOpen]
            << ", LMDB read error " << outcomes[kLmdbReadError] << ", caught naming an event "
            << outcomes[kNamedEvent] << ", caught otherwise " << outcomes[kOther]
            << ", no change to the stored events (a byte LMDB does not read) "
            << outcomes[kNoChange] << ", undetected " << outcomes[kUndetected];
  for (const auto& [verdict, n] : outcomes) {
    if (verdict >= 100) std::cout << ", crashed with signal " << verdict - 100 << ": " << n;
  }
  std::cout << std::endl;
  BOOST_TEST(outcomes[kUndetected] == 0u);
}

BOOST_AUTO_TEST_CASE(ledgerctl_verify_names_the_tampered_event) {
  std::mt19937_64 random(EnvNumber("PL_TAMPER_SEED", 11));
  pl::test::TempDir dir;
  MakeLedger(dir.str("clean"));
  const std::string data = Copy(dir.str("clean"), dir.str("trial"));
  const std::vector<Record> events = Locate(data, "events");
  std::uint64_t total = 0;
  for (const Record& r : events) total += r.size;
  const std::string verify = std::string(LEDGERCTL_PATH) + " verify --data " + data;
  BOOST_TEST_REQUIRE(pl::test::Run(verify).exit_code == 0);
  for (int t = 0; t < 8; ++t) {
    const Target target = Pick(events, total, random);
    const auto mask = static_cast<std::uint8_t>(1 + random() % 255);
    Flip(data + "/data.mdb", target.offset, mask);
    const auto out = pl::test::Run(verify);
    BOOST_TEST_MESSAGE("event " << target.record->key << ": exit " << out.exit_code << ": "
                                << out.err);
    BOOST_TEST(out.exit_code == 1);
    BOOST_TEST(
        out.err.find("event " + std::to_string(target.record->key) + ":") != std::string::npos,
        out.err);
    Flip(data + "/data.mdb", target.offset, mask);
  }
  BOOST_TEST(pl::test::Run(verify).exit_code == 0);
}

BOOST_AUTO_TEST_CASE(a_damaged_checkpoint_is_ignored_and_the_state_rebuilt) {
  std::mt19937_64 random(EnvNumber("PL_TAMPER_SEED", 13));
  pl::test::TempDir dir;
  MakeLedger(dir.str("clean"));
  const std::string data = Copy(dir.str("clean"), dir.str("trial"));
  const std::vector<Record> checkpoints = Locate(data, "checkpoints");
  BOOST_TEST_REQUIRE(checkpoints.size() >= 2u);
  const Record& newest = checkpoints.back();

  std::string scratch;
  Value expected;
  {
    pl::ledger::StoreOptions ro;
    ro.read_only = true;
    auto store = pl::ledger::Store::Open(data, ro);
    BOOST_REQUIRE(store.ok());
    auto verified = pl::projections::VerifyLog(**store);
    BOOST_REQUIRE(verified.ok());
    scratch = pl::projections::StateBytes(verified->state);
    expected = pl::projections::Summary(verified->state);
  }
  // In process, many bytes: each damaged checkpoint is logged and ignored,
  // the one before it loaded, and the state comes out as a rebuild from the
  // log gives it.
  int ignored = 0;
  for (int t = 0; t < 100; ++t) {
    const std::uint64_t offset = newest.offset + random() % newest.size;
    const auto mask = static_cast<std::uint8_t>(1 + random() % 255);
    Flip(data + "/data.mdb", offset, mask);
    std::vector<std::string> lines;
    pl::projections::ProgrammeOptions po;
    po.store.read_only = true;
    po.log = [&](const std::string& line) { lines.push_back(line); };
    auto p = pl::projections::Programme::Open(data, po);
    BOOST_REQUIRE_MESSAGE(p.ok(), p.status().ToString());
    std::string state;
    (*p)->WithState(
        [&](const pl::projections::ProgrammeState& s) { state = pl::projections::StateBytes(s); });
    BOOST_TEST((state == scratch));
    const std::string want = "checkpoint at " + std::to_string(newest.key) + " ignored";
    const bool logged = !lines.empty() && lines.front().find(want) == 0;
    BOOST_TEST(logged, "byte " << offset - newest.offset << " of the checkpoint");
    ignored += logged;
    p->reset();
    Flip(data + "/data.mdb", offset, mask);
  }
  std::cout << "tamper: 100 damaged checkpoints, " << ignored
            << " logged and ignored, state equal to a rebuild each time" << std::endl;

  // The real ledgerd: the log line at start, and the rebuilt state served.
  Flip(data + "/data.mdb", newest.offset + newest.size / 2, 0x20);
  pl::test::LedgerdProcess ledgerd(LEDGERD_PATH, data, kPort, {}, dir.str("ledgerd.log"));
  BOOST_REQUIRE_MESSAGE(ledgerd.listening(), ledgerd.Log());
  const std::string log = ledgerd.Log();
  BOOST_TEST(
      log.find("checkpoint at " + std::to_string(newest.key) + " ignored") != std::string::npos,
      log);
  // The checkpoint before it is loaded instead, and the events after it replayed.
  const Record& older = checkpoints[checkpoints.size() - 2];
  BOOST_TEST(
      log.find("replayed " + std::to_string(kEvents - older.key) +
               " events after the checkpoint at " + std::to_string(older.key)) != std::string::npos,
      log);
  auto client = pl::api::Client::Connect(ledgerd.url());
  BOOST_REQUIRE(client.ok());
  auto response = (*client)->Request(Value(Value::Object{{"op", "summary"}}));
  BOOST_REQUIRE(response.ok());
  auto summary = pl::api::ResultOf(*response);
  BOOST_REQUIRE(summary.ok());
  BOOST_TEST((*summary == expected));
  (*client)->Close();
  ledgerd.Kill();
}
