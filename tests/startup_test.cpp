// Start-up refusals: ledgerd on a data directory it must not serve exits
// non-zero within seconds, with a log line naming the rule and the problem.
#define BOOST_TEST_MODULE startup
#include <boost/test/unit_test.hpp>

#include <lmdb.h>
#include <sys/mount.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>

#include "ledger/store.h"
#include "ledgerd_process.h"
#include "process.h"
#include "programme_fixture.h"
#include "projections/programme.h"
#include "test_util.h"

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr std::uint16_t kPort = 8663, kSecondPort = 8664;

// A data directory holding the test programme's genesis.
void MakeLedger(const std::string& data) {
  pl::test::Officers officers;
  pl::projections::ProgrammeOptions o;
  o.store.create_if_missing = true;
  auto p = pl::projections::Programme::Open(data, o);
  BOOST_REQUIRE_MESSAGE(p.ok(), p.status().ToString());
  pl::ledger::SignedDecision genesis;
  genesis.decision.id = "genesis";
  genesis.decision.type = "governance.genesis";
  genesis.decision.body = "joint-committee";
  genesis.decision.issued_at = 1356998400000;
  genesis.decision.payload = pl::ledger::Value(pl::test::GenesisPayload(officers));
  pl::ledger::Sign(&genesis, officers["jc-cn"]);
  pl::ledger::Sign(&genesis, officers["jc-asean"]);
  auto r = (*p)->Submit(std::span(&genesis, 1));
  BOOST_REQUIRE(r.ok() && r->decisions[0].status.ok());
}

// Runs ledgerd on `data` (stopped after 10 s if it serves) and requires that
// it refuses: exits 1 within seconds, its log naming `rule` and `problem`.
void ExpectRefusal(const std::string& data, const std::string& rule, const std::string& problem,
                   const std::string& flags = "") {
  const auto started = Clock::now();
  const auto out = pl::test::Run("timeout 10 " + std::string(LEDGERD_PATH) + " --data " + data +
                                 " --listen 127.0.0.1:" + std::to_string(kPort) + " " + flags);
  const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
  BOOST_TEST_MESSAGE("refused in " << seconds << " s, exit " << out.exit_code << ": " << out.err);
  BOOST_TEST(out.exit_code == 1, "ledgerd did not refuse " << data << ": " << out.out << out.err);
  BOOST_TEST(seconds < 5.0);
  BOOST_TEST(out.err.find(rule) != std::string::npos, "no " << rule << " in: " << out.err);
  BOOST_TEST(out.err.find(problem) != std::string::npos,
             "no \"" << problem << "\" in: " << out.err);
}

// Writes key -> value into the named database `db` (nullptr: the main
// database) of the LMDB environment in dir, creating it if needed.
void PutRaw(const std::string& dir, const char* db, const std::string& key,
            const std::string& value) {
  MDB_env* env = nullptr;
  BOOST_REQUIRE(mdb_env_create(&env) == 0);
  mdb_env_set_maxdbs(env, 16);
  BOOST_REQUIRE(mdb_env_open(env, dir.c_str(), 0, 0644) == 0);
  MDB_txn* txn = nullptr;
  BOOST_REQUIRE(mdb_txn_begin(env, nullptr, 0, &txn) == 0);
  MDB_dbi dbi;
  BOOST_REQUIRE(mdb_dbi_open(txn, db, MDB_CREATE, &dbi) == 0);
  MDB_val k{key.size(), const_cast<char*>(key.data())};
  MDB_val v{value.size(), const_cast<char*>(value.data())};
  BOOST_REQUIRE(mdb_put(txn, dbi, &k, &v, 0) == 0);
  BOOST_REQUIRE(mdb_txn_commit(txn) == 0);
  mdb_env_close(env);
}

}  // namespace

BOOST_AUTO_TEST_CASE(missing_directory) {
  pl::test::TempDir dir;
  ExpectRefusal(dir.str("nowhere"), "store.missing", "no ledger in");
}

BOOST_AUTO_TEST_CASE(another_format_version) {
  pl::test::TempDir dir;
  const std::string data = dir.str("data");
  MakeLedger(data);
  PutRaw(data, "meta", "format", "partnership-ledger/9");
  ExpectRefusal(data, "store.format", "partnership-ledger/9");
}

BOOST_AUTO_TEST_CASE(an_lmdb_environment_that_is_not_a_ledger) {
  pl::test::TempDir dir;
  const std::string data = dir.str("data");
  fs::create_directories(data);
  PutRaw(data, nullptr, "customer/42", "someone else's data");
  const auto before = fs::file_size(fs::path(data) / "data.mdb");
  ExpectRefusal(data, "store.format", "not a Partnership Ledger log");
  // Refused without writing: no log key, no format record, the same file.
  BOOST_TEST(!fs::exists(fs::path(data) / "log-key.pem"));
  BOOST_TEST(fs::file_size(fs::path(data) / "data.mdb") == before);
  // With --create too: --create makes a new ledger, never adopts another's data.
  ExpectRefusal(data, "store.format", "not a Partnership Ledger log", "--create");
  BOOST_TEST(!fs::exists(fs::path(data) / "log-key.pem"));
}

BOOST_AUTO_TEST_CASE(a_data_file_that_is_not_lmdb) {
  pl::test::TempDir dir;
  const std::string data = dir.str("data");
  fs::create_directories(data);
  std::mt19937 random(7);
  std::ofstream out(fs::path(data) / "data.mdb", std::ios::binary);
  for (int i = 0; i < 64 * 1024; ++i) out.put(static_cast<char>(random()));
  out.close();
  ExpectRefusal(data, "store.format", "not an LMDB file");
}

BOOST_AUTO_TEST_CASE(a_second_ledgerd_on_the_same_directory) {
  pl::test::TempDir dir;
  const std::string data = dir.str("data");
  MakeLedger(data);
  pl::test::LedgerdProcess first(LEDGERD_PATH, data, kSecondPort, {}, dir.str("first.log"));
  BOOST_REQUIRE_MESSAGE(first.listening(), first.Log());
  ExpectRefusal(data, "store.locked", "another process is writing");
  first.Kill();
}

BOOST_AUTO_TEST_CASE(a_read_only_directory) {
  pl::test::TempDir dir;
  const std::string data = dir.str("data"), view = dir.str("read-only");
  MakeLedger(data);
  if (::geteuid() != 0) {
    // Permissions bind anyone but root.
    fs::permissions(data, fs::perms::owner_write | fs::perms::group_write | fs::perms::others_write,
                    fs::perm_options::remove);
    ExpectRefusal(data, "store.not_writable", "Permission denied");
    fs::permissions(data, fs::perms::owner_write, fs::perm_options::add);
    return;
  }
  // Root writes through permissions: a read-only bind mount of the directory.
  fs::create_directories(view);
  if (::mount(data.c_str(), view.c_str(), nullptr, MS_BIND, nullptr) != 0) {
    BOOST_TEST_MESSAGE("skipped: cannot bind-mount (" << strerror(errno) << ")");
    return;
  }
  if (::mount(nullptr, view.c_str(), nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY, nullptr) != 0) {
    BOOST_TEST_MESSAGE("skipped: cannot remount read-only (" << strerror(errno) << ")");
    ::umount(view.c_str());
    return;
  }
  ExpectRefusal(view, "store.not_writable", "Read-only file system");
  BOOST_TEST(::umount(view.c_str()) == 0);
}
