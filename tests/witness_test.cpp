// Checkpoints and witness cosignatures (docs/witnesses.md), end to end: the
// formats pinned by vectors and re-derived by an independent Python
// implementation (tests/verify_note.py); real ledgerd processes on loopback
// ports 8620-8639 over real data directories; ledgerctl witness and
// ledgerctl checkpoint as real processes; a forked log (a copied data
// directory that then grows apart) that a witness must refuse.
#define BOOST_TEST_MODULE witness
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "api/client.h"
#include "ledger/decision.h"
#include "ledger/note.h"
#include "process.h"
#include "programme_fixture.h"

using namespace pl;
using namespace pl::test;
using ledger::Value;

namespace {

const std::string kCtl = LEDGERCTL_PATH;
const std::string kLedgerd = LEDGERD_PATH;
// Debian's python3 with python3-cryptography (tools/setup.sh).
const std::string kVerifyNote = std::string("/usr/bin/python3 ") + VERIFY_NOTE_PATH;

// The log's vkey, the witness's vkey, and the checkpoint note with both signatures.
const std::string kPinnedVector =
    R"(partnership-ledger.example/vectors+0b1c5473+ASZj39YJh1mKgn48tWr9HUcwcEFzACQmRPe1bE9cxCjL
witness.example/w1+859a1498+BGk3wlLjV+yCttJla04NQ0M/G3Vx/zywAnNR/xYbGK5E
partnership-ledger.example/vectors
12345
CddinZQKRp/3ab3bZVCqvB6wv7VZc3L1VN7DQwnwXA4=

— partnership-ledger.example/vectors CxxUc+Lw8bFXKsM5i8QADS067iWyZLzybEX/rIErnYIr7DcLWShzO+QpOpIxfxbaXyHAqRwZZe0h6s5mEsjDxhu+ewU=
— witness.example/w1 hZoUmAAAAABlU/EApx7Cy6/m9Jn3zv7HRjEL2eqo9HaArrvxe45N45NBAsGrrXRElWpqartauzpboZbLdTUPzfyowmwe/un7PUWUBA==
)";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Hex32(std::string_view seed_text) { return ToHex(crypto::Sha256(AsBytes(seed_text))); }

crypto::PrivateKey KeyFromSeed(std::string_view seed_text) {
  return *crypto::PrivateKey::FromSeed(crypto::Sha256(AsBytes(seed_text)));
}

// A ledgerd on a fixed port of this suite's range over `data`; SIGTERM and a
// clean exit at scope end. It dies with the test, even on a timeout.
class Ledgerd {
 public:
  Ledgerd(const std::string& data, int port, std::vector<std::string> extra = {}) : port_(port) {
    int out[2];
    BOOST_REQUIRE(::pipe2(out, O_CLOEXEC) == 0);
    std::vector<std::string> args{kLedgerd,   "--data",   data,
                                  "--create", "--listen", "127.0.0.1:" + std::to_string(port)};
    args.insert(args.end(), extra.begin(), extra.end());
    pid_ = ::fork();
    BOOST_REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() == 1) ::_exit(127);
      const int log = ::open((data + ".log").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      ::dup2(out[1], STDOUT_FILENO);
      if (log >= 0) ::dup2(log, STDERR_FILENO);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(kLedgerd.c_str(), argv.data());
      ::_exit(127);
    }
    ::close(out[1]);
    FILE* in = ::fdopen(out[0], "r");
    char line[512] = {};
    const bool got = std::fgets(line, sizeof line, in) != nullptr;
    std::fclose(in);
    BOOST_REQUIRE_MESSAGE(got, "ledgerd printed no listening line; see " + data + ".log");
  }
  ~Ledgerd() { Stop(); }
  void Stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    BOOST_TEST((WIFEXITED(status) && WEXITSTATUS(status) == 0));
    pid_ = -1;
  }
  std::string ws() const { return "ws://127.0.0.1:" + std::to_string(port_) + "/ws"; }
  std::string http(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }

 private:
  int port_;
  pid_t pid_ = -1;
};

// Witness keys (PEM files) and their vkeys, from ledgerctl witness --print-vkey.
struct Witnesses {
  TempDir& dir;
  std::map<std::string, std::string> vkeys;  // name -> vkey

  std::string Key(std::string name) {
    for (char& c : name) c = c == '/' ? '_' : c;
    return dir.str(name + ".pem");
  }
  std::string Add(const std::string& name) {
    BOOST_REQUIRE(KeyFromSeed("witness " + name).Save(Key(name)).ok());
    Outcome o = Run(kCtl + " witness --print-vkey --key " + Key(name) + " --name " + name);
    BOOST_REQUIRE_MESSAGE(o.exit_code == 0, o.err);
    std::string vkey = o.out.substr(0, o.out.find('\n'));
    vkeys[name] = vkey;
    return vkey;
  }
  std::vector<std::string> Flags() const {
    std::vector<std::string> flags;
    for (const auto& [name, vkey] : vkeys) {
      flags.push_back("--witness-key");
      flags.push_back(vkey);
    }
    return flags;
  }
};

// Decisions of the test programme, submitted through a WebSocket client.
struct Programme {
  Officers officers;

  ledger::SignedDecision Genesis() {
    ledger::SignedDecision d;
    d.decision = {"jc-genesis", "governance.genesis", "joint-committee",
                  *ledger::ParseTimestamp("2012-03-01T09:00:00Z"), Value(GenesisPayload(officers))};
    ledger::Sign(&d, officers["jc-cn"]);
    ledger::Sign(&d, officers["jc-asean"]);
    return d;
  }
  ledger::SignedDecision Proposed(const std::string& project) {
    ledger::SignedDecision d;
    d.decision = {"sec-" + project, "project.proposed", "secretariat",
                  *ledger::ParseTimestamp("2012-04-01T09:00:00Z"), Value(Proposal(project))};
    ledger::Sign(&d, officers["sec-head"]);
    return d;
  }
  void Submit(const Ledgerd& server, const ledger::SignedDecision& d) {
    auto client = api::Client::Connect(server.ws());
    BOOST_REQUIRE_MESSAGE(client.ok(), client.status().ToString());
    auto r = (*client)->Request(
        Value(Value::Object{{"op", "submit"}, {"decision", ledger::ToValue(d)}}));
    BOOST_REQUIRE(r.ok());
    auto result = api::ResultOf(*r);
    BOOST_REQUIRE_MESSAGE(result.ok(), result.status().ToString());
  }
};

Result<Value> Call(const Ledgerd& server, Value::Object request) {
  auto client = api::Client::Connect(server.ws());
  if (!client.ok()) return client.status();
  auto r = (*client)->Request(Value(std::move(request)));
  if (!r.ok()) return r.status();
  return api::ResultOf(*r);
}

Value Json(const std::string& text) {
  auto v = ledger::ParseJson(text);
  BOOST_REQUIRE_MESSAGE(v.ok(), text);
  return *v;
}

std::int64_t Int(const Value& v, const char* name) {
  const Value* m = v.find(name);
  BOOST_REQUIRE(m);
  return m->as_int();
}

std::string LogVkey(const Ledgerd& server) {
  auto r = Call(server, {{"op", "checkpoint"}});
  BOOST_REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  return r->find("log_vkey")->as_string();
}

std::string WitnessCommand(const Ledgerd& server, Witnesses& w, const std::string& name,
                           const std::string& state, const std::string& log_key) {
  return kCtl + " witness --url " + server.ws() + " --key " + w.Key(name) + " --name " + name +
         " --state " + state + " --log-key " + log_key;
}

}  // namespace

// The formats, pinned: keys from fixed seeds, a fixed root and time. The
// Python implementation derives the same bytes from the specifications.
BOOST_AUTO_TEST_CASE(formats_match_pinned_vectors_and_an_independent_implementation) {
  const auto log_key = KeyFromSeed("vector log");
  const auto witness_key = KeyFromSeed("vector witness");
  const std::string origin = "partnership-ledger.example/vectors";
  const std::string witness = "witness.example/w1";
  const crypto::Hash root = crypto::Sha256(AsBytes("vector root"));
  const std::uint64_t time = 1700000000;
  ledger::TreeHead head;
  head.size = 12345;
  head.root = root;

  ledger::Note note = ledger::SignCheckpoint(origin, head, log_key);
  note.signatures.push_back(ledger::Cosign(note.text, witness, witness_key, time));
  const std::string log_vkey = ledger::FormatVerifierKey(
      *ledger::MakeVerifier(origin, ledger::kNoteEd25519, log_key.public_key()));
  const std::string witness_vkey = ledger::FormatVerifierKey(
      *ledger::MakeVerifier(witness, ledger::kCosignatureV1, witness_key.public_key()));
  const std::string ours = log_vkey + "\n" + witness_vkey + "\n" + ledger::FormatNote(note);

  // Computed once (docs/witnesses.md shows the same note).
  const std::string pinned = kPinnedVector;
  BOOST_TEST(ours == pinned);

  Outcome python =
      Run(kVerifyNote + " vectors " + Hex32("vector log") + " " + Hex32("vector witness") + " " +
          origin + " " + witness + " 12345 " + ToHex(root) + " " + std::to_string(time));
  BOOST_REQUIRE_MESSAGE(python.exit_code == 0, python.err);
  BOOST_TEST(python.out == ours);

  // And it reads back: the log's signature, the witness's cosignature and time.
  auto opened =
      ledger::OpenCheckpoint(ledger::FormatNote(note), *ledger::ParseVerifierKey(log_vkey));
  BOOST_REQUIRE_MESSAGE(opened.ok(), opened.status().ToString());
  BOOST_TEST(opened->checkpoint.size == 12345u);
  BOOST_TEST(opened->checkpoint.root == root);
  auto cosigners = ledger::ValidCosigners(opened->note, {*ledger::ParseVerifierKey(witness_vkey)});
  BOOST_REQUIRE(cosigners.size() == 1u);
  BOOST_TEST(cosigners[0].time == time);
  // One changed byte of the body, and neither signature holds.
  std::string forged = ledger::FormatNote(note);
  forged[forged.find("12345")] = '2';
  BOOST_TEST(ledger::OpenCheckpoint(forged, *ledger::ParseVerifierKey(log_vkey)).status().rule() ==
             "note.signature");
}

BOOST_AUTO_TEST_CASE(malformed_notes_and_keys_are_refused_with_their_rule) {
  BOOST_TEST(ledger::ParseVerifierKey("w+00000000+AQ==").status().rule() == "note.vkey");
  const auto key = KeyFromSeed("k");
  auto v = ledger::MakeVerifier("w", ledger::kCosignatureV1, key.public_key());
  std::string vkey = ledger::FormatVerifierKey(*v);
  vkey[0] = 'x';  // another name under the same key hash
  BOOST_TEST(ledger::ParseVerifierKey(vkey).status().rule() == "note.vkey");
  BOOST_TEST(ledger::MakeVerifier("a b", 4, key.public_key()).status().rule() == "note.name");
  BOOST_TEST(ledger::ParseNote("o\n1\nAA==\n").status().rule() == "note.format");
  BOOST_TEST(ledger::ParseNote("o\n1\n\n- x AAAA\n").status().rule() == "note.format");
  BOOST_TEST(
      ledger::ParseCheckpointBody("o\n01\n" + ToBase64(crypto::Hash{}) + "\n").status().rule() ==
      "checkpoint.format");
  BOOST_TEST(ledger::CheckOrigin("partnership-ledger/tree-head/v1").rule() == "checkpoint.origin");
}

// A witness cosigns a growing log round after round; ledgerd serves the
// cosignatures (WebSocket op and GET /checkpoint, checked by Python); a
// client demanding k cosignatures passes or fails as it should.
BOOST_AUTO_TEST_CASE(witnesses_cosign_a_growing_log_and_clients_demand_k) {
  TempDir dir;
  Witnesses w{dir, {}};
  w.Add("w1.example/a");
  w.Add("w2.example/b");
  w.Add("w3.example/c");
  Programme p;
  Ledgerd server(dir.str("data"), 8620, w.Flags());
  p.Submit(server, p.Genesis());
  const std::string log_vkey = LogVkey(server);

  for (int round = 1; round <= 3; ++round) {
    p.Submit(server, p.Proposed("P-" + std::to_string(round)));
    for (const std::string name : {"w1.example/a", "w2.example/b"}) {
      Outcome o =
          Run(WitnessCommand(server, w, name, dir.str(name.substr(0, 2) + ".state"), log_vkey));
      BOOST_REQUIRE_MESSAGE(o.exit_code == 0, o.err);
      const Value out = Json(o.out);
      BOOST_TEST(Int(out, "size") == round + 1);
      if (round > 1) BOOST_TEST(Int(out, "previous_size") == round);
    }
    // The state file holds the trusted checkpoint, signed by the log.
    auto kept =
        ledger::OpenCheckpoint(ReadFile(dir.str("w1.state")), *ledger::ParseVerifierKey(log_vkey));
    BOOST_REQUIRE_MESSAGE(kept.ok(), kept.status().ToString());
    BOOST_TEST(kept->checkpoint.size == static_cast<std::uint64_t>(round + 1));

    // Python, from GET /checkpoint: the log's signature and both cosignatures.
    Outcome py = Run(kVerifyNote + " check " + server.http("/checkpoint") + " '" + log_vkey +
                     "' '" + w.vkeys["w1.example/a"] + "' '" + w.vkeys["w2.example/b"] + "' '" +
                     w.vkeys["w3.example/c"] + "'");
    BOOST_REQUIRE_MESSAGE(py.exit_code == 0, py.err);
    const Value checked = Json(py.out);
    BOOST_TEST(Int(checked, "size") == round + 1);
    BOOST_TEST(checked.find("cosigners")->as_array().size() == 2u);
  }
  auto served = Call(server, {{"op", "checkpoint"}});
  BOOST_REQUIRE(served.ok());
  BOOST_TEST(served->find("cosignatures")->as_array().size() == 2u);
  BOOST_TEST(served->find("cosignatures")->as_array()[0].find("witness")->as_string() ==
             "w1.example/a");

  const std::string all = " --witness '" + w.vkeys["w1.example/a"] + "' --witness '" +
                          w.vkeys["w2.example/b"] + "' --witness '" + w.vkeys["w3.example/c"] + "'";
  const std::string ctl =
      kCtl + " checkpoint --url " + server.ws() + " --log-key '" + log_vkey + "'";
  Outcome o = Run(ctl + all + " --min-cosignatures 2");
  BOOST_REQUIRE_MESSAGE(o.exit_code == 0, o.err);
  BOOST_TEST(Int(Json(o.out), "size") == 4);
  BOOST_TEST(Json(o.out).find("cosigned_by")->as_array().size() == 2u);

  // Three demanded, two witnesses cosigned: refused.
  o = Run(ctl + all + " --min-cosignatures 3");
  BOOST_TEST(o.exit_code == 1);
  BOOST_TEST(o.err.find("checkpoint.not_cosigned") != std::string::npos, o.err);
  // Two demanded, but of w1 and w3 only: w2's cosignature does not count.
  o = Run(ctl + " --witness '" + w.vkeys["w1.example/a"] + "' --witness '" +
          w.vkeys["w3.example/c"] + "' --min-cosignatures 2");
  BOOST_TEST(o.exit_code == 1);
  BOOST_TEST(o.err.find("checkpoint.cosignatures") != std::string::npos, o.err);
  BOOST_TEST(o.err.find("(w1.example/a)") != std::string::npos, o.err);
  // Another log key: the checkpoint's signature does not verify.
  const auto stranger = ledger::FormatVerifierKey(*ledger::MakeVerifier(
      ledger::ParseVerifierKey(log_vkey)->name, 1, KeyFromSeed("stranger").public_key()));
  o = Run(kCtl + " checkpoint --url " + server.ws() + " --log-key '" + stranger + "'");
  BOOST_TEST(o.exit_code == 1);
  BOOST_TEST(o.err.find("note.signature") != std::string::npos, o.err);

  // The log grows past the cosigned checkpoint: the newest has no
  // cosignatures yet, and demanding 2 still finds the cosigned one.
  p.Submit(server, p.Proposed("P-9"));
  o = Run(ctl + all);
  BOOST_REQUIRE_MESSAGE(o.exit_code == 0, o.err);
  BOOST_TEST(Int(Json(o.out), "size") == 5);
  BOOST_TEST(Json(o.out).find("cosigned_by")->as_array().empty());
  o = Run(ctl + all + " -k 2");
  BOOST_REQUIRE_MESSAGE(o.exit_code == 0, o.err);
  BOOST_TEST(Int(Json(o.out), "size") == 4);
  // The state survives a restart: the cosignatures are in the data directory.
  server.Stop();
  Ledgerd again(dir.str("data"), 8621, w.Flags());
  o = Run(kCtl + " checkpoint --url " + again.ws() + " --log-key '" + log_vkey + "'" + all +
          " -k 2 --size 4");
  BOOST_REQUIRE_MESSAGE(o.exit_code == 0, o.err);
  BOOST_TEST(Json(o.out).find("cosigned_by")->as_array().size() == 2u);
}

// Every refusal of add_cosignature, each leaving nothing stored.
BOOST_AUTO_TEST_CASE(ledgerd_refuses_bad_cosignatures) {
  TempDir dir;
  Witnesses w{dir, {}};
  w.Add("w1.example/a");
  Programme p;
  Ledgerd server(dir.str("data"), 8622, w.Flags());
  p.Submit(server, p.Genesis());
  p.Submit(server, p.Proposed("P-1"));
  auto served = Call(server, {{"op", "checkpoint"}});
  BOOST_REQUIRE(served.ok());
  const std::string origin = served->find("origin")->as_string();
  auto head1 = Call(server, {{"op", "checkpoint"}, {"size", 1}});
  BOOST_REQUIRE(head1.ok());
  const std::string body2 = ledger::ParseNote(served->find("note")->as_string())->text;
  const std::string body1 = ledger::ParseNote(head1->find("note")->as_string())->text;
  const auto w1 = KeyFromSeed("witness w1.example/a");

  auto add = [&](std::int64_t size, const std::string& line) {
    return Call(server, {{"op", "add_cosignature"}, {"size", size}, {"cosignature", line}});
  };
  // A witness ledgerd was not told of.
  auto r = add(2, ledger::Cosign(body2, "w9.example/z", KeyFromSeed("w9"), 1700000000).Line());
  BOOST_TEST(r.status().rule() == "cosignature.unknown_witness");
  // A known name with another key.
  r = add(2, ledger::Cosign(body2, "w1.example/a", KeyFromSeed("w9"), 1700000000).Line());
  BOOST_TEST(r.status().rule() == "cosignature.unknown_witness");
  // A signature that does not verify (one bit flipped).
  auto forged = ledger::Cosign(body2, "w1.example/a", w1, 1700000000);
  forged.signature.back() ^= 1;
  r = add(2, forged.Line());
  BOOST_TEST(r.status().rule() == "cosignature.invalid");
  // A size the log never had.
  r = add(9, ledger::Cosign(body2, "w1.example/a", w1, 1700000000).Line());
  BOOST_TEST(r.status().rule() == "cosignature.size");
  // A valid cosignature of size 1 offered for size 2.
  r = add(2, ledger::Cosign(body1, "w1.example/a", w1, 1700000000).Line());
  BOOST_TEST(r.status().rule() == "cosignature.invalid");
  // A note signature (type 1) instead of a cosignature.
  r = add(2, ledger::SignNote(body2, "w1.example/a", w1).Line());
  BOOST_TEST(r.status().rule() == "cosignature.unknown_witness");
  // Not a signature line.
  r = add(2, "w1.example/a AAAA");
  BOOST_TEST(r.status().rule() == "note.format");
  served = Call(server, {{"op", "checkpoint"}});
  BOOST_TEST(served->find("cosignatures")->as_array().empty());

  // The good one, over HTTP: POST /cosignature?size=2.
  const std::string line = ledger::Cosign(body2, "w1.example/a", w1, 1700000001).Line();
  std::ofstream(dir.str("line")) << line;
  Outcome o =
      Run("/usr/bin/python3 -c \"import sys, urllib.request; "
          "print(urllib.request.urlopen(urllib.request.Request(sys.argv[1], "
          "data=open(sys.argv[2], 'rb').read(), method='POST')).read().decode())\" " +
          server.http("/cosignature?size=2") + " " + dir.str("line"));
  BOOST_REQUIRE_MESSAGE(o.exit_code == 0, o.err);
  BOOST_TEST(Int(*Json(o.out).find("result"), "time") == 1700000001);
  served = Call(server, {{"op", "checkpoint"}});
  BOOST_TEST(served->find("cosignatures")->as_array().size() == 1u);
  BOOST_TEST(served->find("note")->as_string().find(line) != std::string::npos);

  // A bad --witness-key, or a reserved origin, stops ledgerd at the start.
  o = Run(kLedgerd + " --data " + dir.str("other") + " --create --listen 127.0.0.1:8623" +
          " --witness-key not-a-vkey");
  BOOST_TEST(o.exit_code == 2);
  BOOST_TEST(o.err.find("note.vkey") != std::string::npos, o.err);
  o = Run(kLedgerd + " --data " + dir.str("other") + " --create --listen 127.0.0.1:8623" +
          " --origin partnership-ledger/tree-head/v1");
  BOOST_TEST(o.exit_code == 1);
  BOOST_TEST(o.err.find("checkpoint.origin") != std::string::npos, o.err);
}

// A split view: the data directory is copied, and the copy and the original
// each take a different decision, so the same log key signs two histories.
// A witness that trusted the original refuses the fork and keeps its state.
BOOST_AUTO_TEST_CASE(a_witness_refuses_a_forked_log) {
  TempDir dir;
  Witnesses w{dir, {}};
  w.Add("w1.example/a");
  Programme p;
  const std::string original = dir.str("data"), fork = dir.str("fork"), old = dir.str("old");
  const std::string state = dir.str("w1.state");
  std::string log_vkey;
  {
    Ledgerd server(original, 8624, w.Flags());
    p.Submit(server, p.Genesis());
    p.Submit(server, p.Proposed("P-1"));
    log_vkey = LogVkey(server);
  }
  BOOST_REQUIRE(
      Run("cp -a " + original + " " + fork + " && cp -a " + original + " " + old).exit_code == 0);
  Ledgerd a(original, 8625, w.Flags());
  Ledgerd b(fork, 8626, w.Flags());
  p.Submit(a, p.Proposed("P-2"));
  p.Submit(b, p.Proposed("Q-2"));  // the fork: size 3 as well, another root
  p.Submit(b, p.Proposed("Q-3"));  // and it grows on: size 4

  Outcome o = Run(WitnessCommand(a, w, "w1.example/a", state, log_vkey));
  BOOST_REQUIRE_MESSAGE(o.exit_code == 0, o.err);
  const std::string trusted = ReadFile(state);
  const std::string trusted_root = Json(o.out).find("root")->as_string();

  // The fork, bigger: the consistency proof from 3 does not link the roots.
  o = Run(WitnessCommand(b, w, "w1.example/a", state, log_vkey));
  BOOST_TEST(o.exit_code == 1);
  BOOST_TEST_MESSAGE("the witness on the fork: " + o.err);
  BOOST_TEST(o.err.find("witness.inconsistent") != std::string::npos, o.err);
  BOOST_TEST(o.err.find("size 3 root " + trusted_root) != std::string::npos, o.err);
  BOOST_TEST(o.err.find("size 4 root ") != std::string::npos, o.err);
  BOOST_TEST(ReadFile(state) == trusted);
  BOOST_TEST(!std::filesystem::exists(state + ".new"));
  // Nothing was cosigned on the fork.
  auto forked = Call(b, {{"op", "checkpoint"}});
  BOOST_REQUIRE(forked.ok());
  BOOST_TEST(forked->find("cosignatures")->as_array().empty());

  // The same size, another root.
  const std::string state_b = dir.str("w1b.state");
  {
    Ledgerd c(old, 8627, w.Flags());
    p.Submit(c, p.Proposed("R-2"));
    o = Run(WitnessCommand(c, w, "w1.example/a", state, log_vkey));
    BOOST_TEST(o.exit_code == 1);
    BOOST_TEST(o.err.find("witness.inconsistent: split view") != std::string::npos, o.err);
    BOOST_TEST(ReadFile(state) == trusted);
  }
  // Behind what it trusts: a rollback.
  p.Submit(a, p.Proposed("P-3"));
  p.Submit(a, p.Proposed("P-4"));
  o = Run(WitnessCommand(a, w, "w1.example/a", state, log_vkey));
  BOOST_REQUIRE_MESSAGE(o.exit_code == 0, o.err);
  BOOST_TEST(Int(Json(o.out), "size") == 5);
  o = Run(WitnessCommand(b, w, "w1.example/a", state, log_vkey));
  BOOST_TEST(o.exit_code == 1);
  BOOST_TEST(o.err.find("witness.rollback") != std::string::npos, o.err);
  // The original goes on being cosigned.
  p.Submit(a, p.Proposed("P-5"));
  o = Run(WitnessCommand(a, w, "w1.example/a", state, log_vkey));
  BOOST_REQUIRE_MESSAGE(o.exit_code == 0, o.err);
  BOOST_TEST(Int(Json(o.out), "size") == 6);

  // A state file that is not the log's checkpoint, or another log key: refused.
  o = Run(WitnessCommand(
      a, w, "w1.example/a", state,
      ledger::FormatVerifierKey(*ledger::MakeVerifier(ledger::ParseVerifierKey(log_vkey)->name, 1,
                                                      KeyFromSeed("stranger").public_key()))));
  BOOST_TEST(o.exit_code == 1);
  BOOST_TEST(o.err.find("witness.state") != std::string::npos, o.err);
  o = Run(kCtl + " witness --url " + a.ws() + " --key " + w.Key("w1.example/a") +
          " --name w1.example/a --state " + dir.str("fresh.state") + " --log-key " + original +
          "/log-key.pem");
  BOOST_REQUIRE_MESSAGE(o.exit_code == 0, o.err);  // the log's key as a PEM file
}
