// ledgerctl backup and restore (docs/operations.md, "Backup and restore"),
// end to end with real processes: a ledgerd serving a demo log while a client
// submits decisions continuously and `ledgerctl backup` runs several times;
// every copy verifies, holds one commit of the live log, and restores into a
// directory a new ledgerd serves and appends to under the same log key. A
// tampered copy, and a target that is not empty, are refused and leave
// nothing behind.
#define BOOST_TEST_MODULE backup
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <boost/test/unit_test.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

#include "api/client.h"
#include "ledger/store.h"
#include "process.h"
#include "test_util.h"

using namespace pl;
namespace fs = std::filesystem;
using ledger::Value;

namespace {

const std::string kLedgerctl = LEDGERCTL_PATH;
const std::string kLedgerd = LEDGERD_PATH;

// ledgerd over a data directory on a fixed loopback port; SIGTERM at scope
// end (it must drain and exit 0), and it dies with the test.
class Ledgerd {
 public:
  Ledgerd(const std::string& data, int port) {
    int out[2];
    BOOST_REQUIRE(::pipe(out) == 0);
    pid_ = ::fork();
    BOOST_REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      ::dup2(out[1], STDOUT_FILENO);
      const int log = ::open((data + ".ledgerd.log").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (log >= 0) ::dup2(log, STDERR_FILENO);
      ::close(out[0]);
      const std::string listen = "127.0.0.1:" + std::to_string(port);
      ::execl(kLedgerd.c_str(), "ledgerd", "--data", data.c_str(), "--listen", listen.c_str(),
              static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::close(out[1]);
    FILE* in = ::fdopen(out[0], "r");
    char line[512] = {};
    const bool got = std::fgets(line, sizeof line, in) != nullptr;
    std::fclose(in);
    BOOST_REQUIRE_MESSAGE(got, "ledgerd printed no listening line");
    url_ = "ws://127.0.0.1:" + std::to_string(port) + "/ws";
  }
  ~Ledgerd() {
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    BOOST_TEST((WIFEXITED(status) && WEXITSTATUS(status) == 0));
  }
  const std::string& url() const { return url_; }

 private:
  pid_t pid_ = -1;
  std::string url_;
};

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

Value Json(const std::string& text) {
  auto v = ledger::ParseJson(text);
  BOOST_REQUIRE_MESSAGE(v.ok(), "not JSON: " << text);
  return *v;
}

std::unique_ptr<ledger::Store> OpenReadOnly(const std::string& dir) {
  ledger::StoreOptions options;
  options.read_only = true;
  auto store = ledger::Store::Open(dir, options);
  BOOST_REQUIRE_MESSAGE(store.ok(), store.status().ToString());
  return std::move(*store);
}

// The Secretary-General's key (docs/demo.md: keys/officers.json).
crypto::PrivateKey SecretaryGeneral(const std::string& keys) {
  const Value officers = Json(Slurp(keys + "/officers.json"));
  for (const Value& o : officers.as_array()) {
    if (o.find("role")->as_string() == "secretary_general") {
      auto key = crypto::PrivateKey::Load(keys + "/" + o.find("officer_id")->as_string() + ".key");
      BOOST_REQUIRE(key.ok());
      return *key;
    }
  }
  BOOST_FAIL("no Secretary-General in officers.json");
  throw;
}

// A submit request for a new project proposal, issued now by the Secretariat.
Value Proposal(const std::string& tag, int i, const crypto::PrivateKey& key) {
  ledger::SignedDecision d;
  d.decision.id = "backup-" + tag + "-" + std::to_string(i);
  d.decision.type = "project.proposed";
  d.decision.body = "secretariat";
  d.decision.issued_at = ledger::Now();
  d.decision.payload = Value(Value::Object{
      {"budget", Value(Value::Object{{"amount", std::int64_t{50000000}}, {"currency", "CNY"}})},
      {"end_date", "2029-12-31"},
      {"lead_institution", Value(Value::Object{{"en", "Guangxi University"}})},
      {"mode", "M4"},
      {"partners", Value(Value::Array{Value(Value::Object{
                       {"country", "TH"},
                       {"institution", Value(Value::Object{{"en", "Kasetsart University"}})}})})},
      {"priority_area", "B1"},
      {"project_id", "P-BK-" + tag + "-" + std::to_string(i)},
      {"start_date", "2027-01-01"},
      {"title", Value(Value::Object{{"en", "Backup drill " + std::to_string(i)}})}});
  ledger::Sign(&d, key);
  return Value(Value::Object{{"decision", ledger::ToValue(d)}, {"op", "submit"}});
}

Status Submit(api::Client& client, const Value& request) {
  auto response = client.Request(request);
  if (!response.ok()) return response.status();
  auto result = api::ResultOf(*response);
  return result.ok() ? Status::Ok() : result.status();
}

// The one demo log every case starts from, with its officers' keys.
struct Demo {
  test::TempDir dir;
  std::string data = dir.str("live"), keys = dir.str("keys");
  Demo() {
    auto r = test::Run(kLedgerctl + " demo --events 1500 --data " + data + " --keys-out " + keys);
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  }
};

Demo& TheDemo() {
  static Demo demo;
  return demo;
}

// Nothing named after target is left beside it (no TARGET.partial-*).
bool NoPartial(const std::string& target) {
  const std::string prefix = fs::path(target).filename().string() + ".partial-";
  for (const auto& entry : fs::directory_iterator(fs::path(target).parent_path())) {
    if (entry.path().filename().string().starts_with(prefix)) return false;
  }
  return true;
}

}  // namespace

BOOST_AUTO_TEST_CASE(backups_under_write_load_verify_and_restore) {
  Demo& demo = TheDemo();
  test::TempDir work;
  std::string last_backup;
  std::uint64_t last_size = 0;
  std::string last_root;
  {
    Ledgerd live(demo.data, 8640);
    const crypto::PrivateKey sg = SecretaryGeneral(demo.keys);

    // A client submitting decisions one after another until told to stop.
    std::atomic<bool> stop{false};
    std::atomic<int> submitted{0};
    Status writer_error;
    std::thread writer;
    // Stops and joins the writer however this scope ends (a failed REQUIRE too).
    struct Joiner {
      std::atomic<bool>& stop;
      std::thread& thread;
      ~Joiner() {
        stop = true;
        if (thread.joinable()) thread.join();
      }
    } joiner{stop, writer};
    writer = std::thread([&] {
      auto client = api::Client::Connect(live.url());
      if (!client.ok()) {
        writer_error = client.status();
        return;
      }
      for (int i = 0; !stop; ++i) {
        if (Status s = Submit(**client, Proposal("load", i, sg)); !s.ok()) {
          writer_error = s;
          return;
        }
        ++submitted;
      }
    });
    while (submitted < 20 && writer_error.ok())
      std::this_thread::sleep_for(std::chrono::milliseconds(10));

    std::uint64_t first_before = 0, last_after = 0;
    for (int round = 0; round < 4; ++round) {
      const std::string backup = work.str("backup-" + std::to_string(round));
      const std::uint64_t before = OpenReadOnly(demo.data)->size();
      auto r = test::Run(kLedgerctl + " backup --data " + demo.data + " " + backup);
      const std::uint64_t after = OpenReadOnly(demo.data)->size();
      BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
      if (round == 0) first_before = before;
      last_after = after;

      // The copy verifies in full, and is the live log as one commit left it.
      auto verified = test::Run(kLedgerctl + " verify --data " + backup);
      BOOST_REQUIRE_MESSAGE(verified.exit_code == 0, verified.err);
      const Value report = Json(verified.out);
      const auto size = static_cast<std::uint64_t>(report.find("events")->as_int());
      const std::string root = report.find("root")->as_string();
      BOOST_TEST_MESSAGE("backup " << round << ": live " << before << " -> " << after
                                   << ", copy holds " << size);
      BOOST_TEST(before <= size);
      BOOST_TEST(size <= after);
      auto signed_head = OpenReadOnly(demo.data)->HeadAt(size);
      BOOST_REQUIRE_MESSAGE(signed_head.ok(), signed_head.status().ToString());
      BOOST_TEST(ToHex(signed_head->root) == root);
      BOOST_TEST(Json(r.out).find("size")->as_int() == static_cast<std::int64_t>(size));

      // The log key goes with it, readable by its owner only.
      BOOST_TEST(Slurp(backup + "/log-key.pem") == Slurp(demo.data + "/log-key.pem"));
      struct stat st {};
      BOOST_REQUIRE(::stat((backup + "/log-key.pem").c_str(), &st) == 0);
      BOOST_TEST((st.st_mode & 0777) == 0600u);
      BOOST_REQUIRE(::stat(backup.c_str(), &st) == 0);
      BOOST_TEST((st.st_mode & 0777) == 0700u);
      BOOST_TEST(NoPartial(backup));
      last_backup = backup;
      last_size = size;
      last_root = root;
    }
    stop = true;
    writer.join();
    BOOST_TEST(writer_error.ok(), writer_error.ToString());
    // The writer really was appending while the copies were made.
    BOOST_TEST(last_after > first_before);
    BOOST_TEST_MESSAGE("decisions submitted during the backups: " << submitted);
  }

  // Restored into a new directory, served, and appended to under the same key.
  const std::string restored = work.str("restored");
  auto r = test::Run(kLedgerctl + " restore " + last_backup + " --data " + restored);
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  const Value out = Json(r.out);
  BOOST_TEST(out.find("verified")->as_bool());
  BOOST_TEST(out.find("size")->as_int() == static_cast<std::int64_t>(last_size));
  BOOST_TEST(NoPartial(restored));
  {
    Ledgerd served(restored, 8641);
    auto client = api::Client::Connect(served.url());
    BOOST_REQUIRE(client.ok());
    auto head = (*client)->Request(Value(Value::Object{{"op", "tree_head"}}));
    BOOST_REQUIRE(head.ok());
    auto result = api::ResultOf(*head);
    BOOST_REQUIRE(result.ok());
    const Value* tree_head = result->find("tree_head");
    BOOST_TEST(tree_head->find("size")->as_int() == static_cast<std::int64_t>(last_size));
    BOOST_TEST(tree_head->find("root")->as_string() == last_root);
    Status s = Submit(**client, Proposal("restored", 0, SecretaryGeneral(demo.keys)));
    BOOST_TEST(s.ok(), s.ToString());
  }
  auto restored_store = OpenReadOnly(restored);
  BOOST_TEST(restored_store->size() == last_size + 1);
  BOOST_TEST(restored_store->log_key().key_id() == OpenReadOnly(demo.data)->log_key().key_id());
  auto verified = test::Run(kLedgerctl + " verify --data " + restored);
  BOOST_TEST(verified.exit_code == 0, verified.err);
}

BOOST_AUTO_TEST_CASE(a_tampered_backup_is_refused_and_leaves_nothing) {
  Demo& demo = TheDemo();
  test::TempDir work;
  const std::string backup = work.str("backup"), tampered = work.str("tampered");
  auto r = test::Run(kLedgerctl + " backup --data " + demo.data + " " + backup);
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  fs::create_directories(tampered);
  for (const char* file : {"data.mdb", "log-key.pem"}) {
    fs::copy_file(fs::path(backup) / file, fs::path(tampered) / file);
  }

  // One byte of one event's signature (in every copy of its page LMDB
  // wrote: a compacted copy may keep stale bytes in a page's free gap).
  std::string bytes = Slurp(tampered + "/data.mdb");
  const auto event = OpenReadOnly(backup)->Read(700);
  BOOST_REQUIRE(event.ok());
  const auto& signature = event->decision.signatures.front().signature;
  const std::string needle(reinterpret_cast<const char*>(signature.data()), signature.size());
  int flipped = 0;
  for (auto at = bytes.find(needle); at != std::string::npos; at = bytes.find(needle, at + 1)) {
    bytes[at + 10] = static_cast<char>(bytes[at + 10] ^ 0x01);
    ++flipped;
  }
  BOOST_REQUIRE(flipped >= 1);
  std::ofstream(tampered + "/data.mdb", std::ios::binary | std::ios::trunc) << bytes;

  const std::string target = work.str("restored");
  r = test::Run(kLedgerctl + " restore " + tampered + " --data " + target);
  BOOST_TEST(r.exit_code == 1);
  BOOST_TEST(r.err.find("ledgerctl: restore.verify: ") == 0, r.err);
  BOOST_TEST(r.err.find("event 700") != std::string::npos, r.err);
  BOOST_TEST(!fs::exists(target));
  BOOST_TEST(NoPartial(target));

  // The untouched copy restores into the same place.
  r = test::Run(kLedgerctl + " restore " + backup + " --data " + target);
  BOOST_TEST(r.exit_code == 0, r.err);
}

BOOST_AUTO_TEST_CASE(refusals_name_their_rule) {
  Demo& demo = TheDemo();
  test::TempDir work;
  const std::string backup = work.str("backup");
  BOOST_REQUIRE(test::Run(kLedgerctl + " backup --data " + demo.data + " " + backup).exit_code ==
                0);

  // A target that holds something is never touched.
  const std::string occupied = work.str("occupied");
  fs::create_directories(occupied);
  std::ofstream(occupied + "/keep.txt") << "keep";
  auto r = test::Run(kLedgerctl + " restore " + backup + " --data " + occupied);
  BOOST_TEST(r.exit_code == 1);
  BOOST_TEST(r.err.find("ledgerctl: restore.exists: ") == 0, r.err);
  r = test::Run(kLedgerctl + " backup --data " + demo.data + " " + occupied);
  BOOST_TEST(r.exit_code == 1);
  BOOST_TEST(r.err.find("ledgerctl: backup.exists: ") == 0, r.err);
  BOOST_TEST(fs::directory_iterator(occupied)->path().filename() == "keep.txt");
  BOOST_TEST(std::distance(fs::directory_iterator(occupied), fs::directory_iterator()) == 1);

  // An empty target directory is fine.
  const std::string empty = work.str("empty");
  fs::create_directories(empty);
  r = test::Run(kLedgerctl + " restore " + backup + " --data " + empty);
  BOOST_TEST(r.exit_code == 0, r.err);
  const std::string empty_dest = work.str("empty-dest");
  fs::create_directories(empty_dest);
  r = test::Run(kLedgerctl + " backup --data " + demo.data + " " + empty_dest);
  BOOST_TEST(r.exit_code == 0, r.err);
  BOOST_TEST(fs::exists(empty_dest + "/data.mdb"));
  BOOST_TEST(NoPartial(empty_dest));

  // A backup without its log key cannot restore a log that appends.
  const std::string keyless = work.str("keyless");
  fs::create_directories(keyless);
  fs::copy_file(backup + "/data.mdb", keyless + "/data.mdb");
  r = test::Run(kLedgerctl + " restore " + keyless + " --data " + work.str("x"));
  BOOST_TEST(r.exit_code == 1);
  BOOST_TEST(r.err.find("ledgerctl: restore.incomplete: ") == 0, r.err);
  BOOST_TEST(!fs::exists(work.str("x")));

  // Another log's key.
  const std::string other = work.str("other");
  BOOST_REQUIRE(test::Run(kLedgerctl + " init --data " + other).exit_code == 0);
  fs::copy_file(other + "/log-key.pem", keyless + "/log-key.pem");
  r = test::Run(kLedgerctl + " restore " + keyless + " --data " + work.str("x"));
  BOOST_TEST(r.exit_code == 1);
  BOOST_TEST(r.err.find("ledgerctl: restore.log_key: ") == 0, r.err);
  BOOST_TEST(!fs::exists(work.str("x")));
  BOOST_TEST(NoPartial(work.str("x")));

  // No log to back up.
  r = test::Run(kLedgerctl + " backup --data " + work.str("nothing") + " " + work.str("b2"));
  BOOST_TEST(r.exit_code == 3);
  BOOST_TEST(r.err.find("ledgerctl: store.missing: ") == 0, r.err);
  BOOST_TEST(!fs::exists(work.str("b2")));
}
