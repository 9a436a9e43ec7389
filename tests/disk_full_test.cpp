// Full disk: ledgerd's data directory on a small tmpfs, filled up while
// decisions are submitted. Decisions that no longer fit are refused with
// "store.full" (not a crash, not an internal error); nothing acknowledged is
// lost; get, summary and tree_head keep answering; once space is freed the
// refused decisions are accepted as new (neither the log nor the in-memory
// state kept any part of them) and the log verifies.
//
// Needs to mount a tmpfs (root, or CAP_SYS_ADMIN): without that it says why
// and exits 77, which CTest reports as skipped.
#define BOOST_TEST_MODULE disk_full
#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <map>

#include "api/client.h"
#include "ledger/store.h"
#include "ledgerd_process.h"
#include "programme_fixture.h"
#include "projections/programme.h"
#include "projections/verify.h"
#include "test_util.h"

namespace {

namespace fs = std::filesystem;
using pl::ledger::Value;
using namespace std::chrono_literals;

constexpr std::uint16_t kPort = 8661;
constexpr char kDiskSize[] = "size=16m";
constexpr std::uint64_t kLeftFree = 4096;

pl::ledger::SignedDecision Signed(pl::test::Officers& officers, const std::string& id,
                                  const std::string& type, const std::string& body,
                                  Value::Object payload, const std::vector<std::string>& signers) {
  pl::ledger::SignedDecision d;
  d.decision.id = id;
  d.decision.type = type;
  d.decision.body = body;
  d.decision.issued_at = 1356998400000;
  d.decision.payload = Value(std::move(payload));
  for (const auto& o : signers) pl::ledger::Sign(&d, officers[o]);
  return d;
}

pl::ledger::SignedDecision Proposal(pl::test::Officers& officers, int n) {
  const std::string id = "d-" + std::to_string(n);
  return Signed(officers, id, "project.proposed", "secretariat", pl::test::Proposal("P-" + id),
                {"sec-head"});
}

// Fills the file system holding `path` with zeros until it is full; returns the bytes written.
std::uint64_t FillDisk(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  BOOST_REQUIRE(fd >= 0);
  static const char zeros[4096] = {};
  std::uint64_t written = 0;
  for (;;) {
    const ssize_t n = ::write(fd, zeros, sizeof zeros);
    if (n <= 0) break;
    written += static_cast<std::uint64_t>(n);
  }
  ::close(fd);
  return written;
}

std::uint64_t FreeBytes(const std::string& path) {
  struct statvfs s;
  return ::statvfs(path.c_str(), &s) == 0 ? std::uint64_t{s.f_bavail} * s.f_frsize : 0;
}

// A mounted tmpfs, unmounted at scope end.
struct SmallDisk {
  std::string path;
  bool mounted = false;
  std::string why;
  explicit SmallDisk(std::string at) : path(std::move(at)) {
    fs::create_directories(path);
    mounted = ::mount("tmpfs", path.c_str(), "tmpfs", 0, kDiskSize) == 0;
    if (!mounted) why = std::strerror(errno);
  }
  ~SmallDisk() {
    if (mounted) ::umount2(path.c_str(), MNT_DETACH);
  }
};

}  // namespace

BOOST_AUTO_TEST_CASE(a_full_disk_refuses_decisions_and_loses_nothing) {
  pl::test::TempDir dir;
  std::optional<SmallDisk> disk(std::in_place, dir.str("disk"));
  if (!disk->mounted) {
    std::cout << "skipped: cannot mount a tmpfs for the data directory (" << disk->why
              << "; needs root or CAP_SYS_ADMIN)" << std::endl;
    disk.reset();
    fs::remove_all(dir.path());  // exit() skips the destructors
    std::exit(77);
  }
  const std::string data = disk->path + "/data", filler = disk->path + "/filler";
  pl::test::Officers officers;
  {
    pl::projections::ProgrammeOptions o;
    o.store.create_if_missing = true;
    auto p = pl::projections::Programme::Open(data, o);
    BOOST_REQUIRE_MESSAGE(p.ok(), p.status().ToString());
    auto genesis = Signed(officers, "genesis", "governance.genesis", "joint-committee",
                          pl::test::GenesisPayload(officers), {"jc-cn", "jc-asean"});
    auto r = (*p)->Submit(std::span(&genesis, 1));
    BOOST_REQUIRE(r.ok() && r->decisions[0].status.ok());
  }

  auto server = std::make_unique<pl::test::LedgerdProcess>(
      LEDGERD_PATH, data, kPort, std::vector<std::string>{"--checkpoint-every", "100"},
      dir.str("ledgerd.log"));
  BOOST_REQUIRE_MESSAGE(server->listening(), server->Log());
  auto client = pl::api::Client::Connect(server->url());
  BOOST_REQUIRE_MESSAGE(client.ok(), client.status().ToString());
  auto request = [&](Value::Object r) {
    auto response = (*client)->Request(Value(std::move(r)));
    BOOST_REQUIRE_MESSAGE(response.ok(), response.status().ToString() + server->Log());
    return pl::api::ResultOf(*response);
  };
  auto submit = [&](const pl::ledger::SignedDecision& d) {
    return request({{"decision", pl::ledger::ToValue(d)}, {"op", "submit"}});
  };

  std::map<std::string, std::pair<std::int64_t, std::string>> acked;  // id -> (seq, leaf)
  auto record = [&](const std::string& id, const Value& result) {
    const Value& answer = result.find("decisions")->as_array().at(0);
    acked[id] = {answer.find("sequence")->as_int(), answer.find("leaf_hash")->as_string()};
  };
  int n = 0;
  for (; n < 20; ++n) {
    auto r = submit(Proposal(officers, n));
    BOOST_REQUIRE_MESSAGE(r.ok(), r.status().ToString());
    record("d-" + std::to_string(n), *r);
  }

  // Full but for a few pages: a commit then fails part-way through writing
  // its pages (a short write), later ones at the first byte.
  const std::uint64_t filled = FillDisk(filler);
  fs::resize_file(filler, filled - kLeftFree);
  std::cout << "filler: " << filled << " bytes; free now: " << FreeBytes(disk->path) << std::endl;

  // Submit until several decisions are refused: the first few may still fit
  // in pages LMDB has freed before.
  std::vector<pl::ledger::SignedDecision> refused;
  int accepted_when_full = 0;
  for (; refused.size() < 10 && n < 3000; ++n) {
    auto d = Proposal(officers, n);
    auto r = submit(d);
    if (r.ok()) {
      record(d.decision.id, *r);
      ++accepted_when_full;
      continue;
    }
    BOOST_TEST_REQUIRE(r.status().rule() == "store.full", r.status().ToString());
    BOOST_TEST(r.status().message().find("disk is full") != std::string::npos);
    refused.push_back(d);
  }
  std::cout << "after the disk filled: " << accepted_when_full << " accepted, " << refused.size()
            << " refused with store.full (" << refused.front().decision.id << "...)" << std::endl;
  BOOST_TEST_REQUIRE(refused.size() == 10u);

  // Reads keep working and see exactly the acknowledged decisions.
  auto head = request({{"op", "tree_head"}});
  BOOST_REQUIRE_MESSAGE(head.ok(), head.status().ToString());
  BOOST_TEST(head->find("tree_head")->find("size")->as_int() ==
             static_cast<std::int64_t>(acked.size() + 1));
  auto summary = request({{"op", "summary"}});
  BOOST_REQUIRE_MESSAGE(summary.ok(), summary.status().ToString());
  BOOST_TEST(summary->find("projects")->find("total")->as_int() ==
             static_cast<std::int64_t>(acked.size()));
  auto got = request({{"op", "get"}, {"kind", "project"}, {"key", "P-d-0"}});
  BOOST_TEST(got.ok(), got.status().ToString());
  auto missing =
      request({{"op", "get"}, {"kind", "project"}, {"key", "P-" + refused[0].decision.id}});
  BOOST_TEST(missing.status().rule() == "state.unknown");

  // Space again: the refused decisions go in as new ones, then more.
  fs::remove(filler);
  for (const auto& d : refused) {
    auto r = submit(d);
    BOOST_REQUIRE_MESSAGE(r.ok(), d.decision.id + ": " + r.status().ToString());
    BOOST_TEST(!r->find("decisions")->as_array().at(0).find("duplicate")->as_bool());
    record(d.decision.id, *r);
  }
  for (int i = 0; i < 20; ++i, ++n) {
    auto d = Proposal(officers, n);
    auto r = submit(d);
    BOOST_REQUIRE_MESSAGE(r.ok(), r.status().ToString());
    record(d.decision.id, *r);
  }

  (*client)->Close();
  server->Kill();
  pl::ledger::StoreOptions ro;
  ro.read_only = true;
  auto store = pl::ledger::Store::Open(data, ro);
  BOOST_REQUIRE_MESSAGE(store.ok(), store.status().ToString());
  BOOST_TEST((*store)->size() == acked.size() + 1);
  for (const auto& [id, ack] : acked) {
    auto seq = (*store)->Find(id);
    BOOST_REQUIRE_MESSAGE(seq.ok(), id + " acknowledged, then lost");
    BOOST_TEST(static_cast<std::int64_t>(*seq) == ack.first);
    BOOST_TEST(pl::ToHex((*store)->Read(*seq)->leaf_hash) == ack.second);
  }
  auto verified = pl::projections::VerifyLog(**store);
  BOOST_TEST(verified.ok(), verified.status().ToString());
  std::cout << "log after the disk was freed: " << (*store)->size()
            << " events, all acknowledged, verifies" << std::endl;
}
