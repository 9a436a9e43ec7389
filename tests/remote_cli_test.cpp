// ledgerctl against a real ledgerd, end to end: submit, query, audit --url,
// prove --url (with the log key given, or trusted on first use) and
// subscribe, through the real executables over a real data directory.
#define BOOST_TEST_MODULE remote_cli
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <sstream>

#include "ledger/decision.h"
#include "ledger/envelope.h"
#include "process.h"
#include "programme_fixture.h"

using namespace pl;
using namespace pl::test;
using ledger::Value;

namespace {

const std::string kCtl = LEDGERCTL_PATH;
const std::string kLedgerd = LEDGERD_PATH;

void Write(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

// A ledgerd on a free port over a fresh data directory; stopped with SIGTERM
// (and expected to drain and exit 0) at scope end.
class Ledgerd {
 public:
  explicit Ledgerd(const std::string& data) {
    int out[2];
    BOOST_REQUIRE(::pipe(out) == 0);
    pid_ = ::fork();
    BOOST_REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      ::dup2(out[1], STDOUT_FILENO);
      const int log = ::open((data + ".log").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (log >= 0) ::dup2(log, STDERR_FILENO);
      ::close(out[0]);
      ::execl(kLedgerd.c_str(), "ledgerd", "--data", data.c_str(), "--create", "--listen",
              "127.0.0.1:0", static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::close(out[1]);
    // "ledgerd listening on http://127.0.0.1:PORT (ws://127.0.0.1:PORT/ws)"
    FILE* in = ::fdopen(out[0], "r");
    char line[512] = {};
    const bool got = std::fgets(line, sizeof line, in) != nullptr;
    std::fclose(in);
    BOOST_REQUIRE_MESSAGE(got, "ledgerd printed no listening line");
    const std::string text = line;
    const auto open = text.find("(ws://"), close = text.find(')', open);
    BOOST_REQUIRE(open != std::string::npos && close != std::string::npos);
    url_ = text.substr(open + 1, close - open - 1);
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

// The test programme's decisions, signed with the fixture's officers' keys,
// as JSON Lines files; a running ledgerd; and ledgerctl pointed at it.
struct Remote {
  TempDir dir;
  Officers officers;
  std::string data = dir.str("data");
  Ledgerd ledgerd{data};
  std::string url = " --url " + ledgerd.url();

  ledger::SignedDecision Make(const std::string& id, const std::string& type,
                              const std::string& body, Value::Object payload,
                              const std::vector<std::string>& signers, const std::string& day) {
    ledger::SignedDecision d;
    d.decision.id = id;
    d.decision.type = type;
    d.decision.body = body;
    d.decision.issued_at = *ledger::ParseTimestamp(day + "T09:00:00Z");
    d.decision.payload = Value(std::move(payload));
    for (const auto& o : signers) ledger::Sign(&d, officers[o]);
    return d;
  }
  std::string File(const std::string& name, const std::vector<ledger::SignedDecision>& ds) {
    std::string text;
    for (const auto& d : ds) text += ledger::CanonicalJson(ledger::ToValue(d)) + "\n";
    Write(dir.str(name), text);
    return dir.str(name);
  }
  Outcome Ctl(const std::string& args) { return Run(kCtl + " " + args); }

  // Genesis (0), P-1 and P-2 proposed (1, 2), P-1 approved (3).
  void History() {
    const auto genesis = File(
        "genesis.jsonl", {Make("jc-genesis", "governance.genesis", "joint-committee",
                               GenesisPayload(officers), {"jc-cn", "jc-asean"}, "2012-03-01")});
    Outcome o = Ctl("submit" + url + " " + genesis);
    BOOST_REQUIRE_MESSAGE(o.exit_code == 0, o.err);
    const auto proposals =
        File("proposals.jsonl", {Make("sec-p1", "project.proposed", "secretariat", Proposal("P-1"),
                                      {"sec-head"}, "2012-04-01"),
                                 Make("sec-p2", "project.proposed", "secretariat",
                                      Proposal("P-2", 200000000, "VN"), {"sec-head"}, "2012-04-02"),
                                 Make("jc-a1", "project.approved", "joint-committee",
                                      {{"budget", MoneyValue(90000000)}, {"project_id", "P-1"}},
                                      {"jc-cn", "jc-asean"}, "2012-05-01")});
    o = Ctl("submit" + url + " " + proposals);
    BOOST_REQUIRE_MESSAGE(o.exit_code == 0, o.err);
  }
};

std::vector<Value> Lines(const std::string& out) {
  std::vector<Value> lines;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    auto v = ledger::ParseJson(line, {64, 1 << 24});
    BOOST_REQUIRE_MESSAGE(v.ok(), line);
    lines.push_back(*v);
  }
  return lines;
}

Value Json(const std::string& out) {
  auto v = ledger::ParseJson(out, {64, 1 << 24});
  BOOST_REQUIRE_MESSAGE(v.ok(), out);
  return *v;
}

}  // namespace

BOOST_AUTO_TEST_CASE(submit_prints_results_and_refusals) {
  Remote r;
  const auto genesis = r.File(
      "genesis.jsonl", {r.Make("jc-genesis", "governance.genesis", "joint-committee",
                               GenesisPayload(r.officers), {"jc-cn", "jc-asean"}, "2012-03-01")});
  Outcome o = r.Ctl("submit" + r.url + " " + genesis);
  BOOST_REQUIRE_MESSAGE(o.exit_code == 0, o.err);
  auto results = Lines(o.out);
  BOOST_REQUIRE(results.size() == 1u);
  BOOST_TEST(results[0].find("sequence")->as_int() == 0);
  BOOST_TEST(results[0].find("duplicate")->as_bool() == false);

  // Again from stdin: the original result, marked duplicate.
  o = r.Ctl("submit" + r.url + " - < " + genesis);
  BOOST_REQUIRE_MESSAGE(o.exit_code == 0, o.err);
  BOOST_TEST(Lines(o.out)[0].find("duplicate")->as_bool());

  // One co-chair alone: refused by the policy, with the rule on stderr.
  const auto quorum = r.File(
      "quorum.jsonl",
      {r.Make("sec-p1", "project.proposed", "secretariat", Proposal("P-1"), {"sec-head"},
              "2012-04-01"),
       r.Make("jc-a1", "project.approved", "joint-committee",
              {{"budget", MoneyValue(90000000)}, {"project_id", "P-1"}}, {"jc-cn"}, "2012-05-01")});
  o = r.Ctl("submit" + r.url + " " + quorum);
  BOOST_TEST(o.exit_code == 1);
  BOOST_TEST(o.err.find("ledgerctl: authority.quorum: line 2: ") == 0u, o.err);
  BOOST_TEST(Lines(o.out).size() == 1u);  // the first was appended

  // A batch is all or nothing: each decision's outcome, then the refusal.
  const auto batch =
      r.File("batch.jsonl", {r.Make("sec-p2", "project.proposed", "secretariat", Proposal("P-2"),
                                    {"sec-head"}, "2012-04-02"),
                             r.Make("sec-p1-again", "project.proposed", "secretariat",
                                    Proposal("P-1"), {"sec-head"}, "2012-04-03")});
  o = r.Ctl("submit" + r.url + " --batch " + batch);
  BOOST_TEST(o.exit_code == 1);
  BOOST_TEST(o.err.find("ledgerctl: state.exists: decisions[1] (sec-p1-again)") == 0u, o.err);
  auto outcomes = Lines(o.out);
  BOOST_REQUIRE(outcomes.size() == 2u);
  BOOST_TEST(outcomes[0].find("rule")->as_string() == "batch.refused");
  o = r.Ctl("query" + r.url + " summary");
  BOOST_TEST(Json(o.out).find("size")->as_int() == 2);

  // A decision that does not parse never leaves the client.
  Write(r.dir.str("junk.jsonl"), "{\"decision_id\": 7}\n");
  o = r.Ctl("submit" + r.url + " " + r.dir.str("junk.jsonl"));
  BOOST_TEST(o.exit_code == 1);
  BOOST_TEST(o.err.find("line 1") != std::string::npos, o.err);

  // No server there: an environment failure.
  o = r.Ctl("submit --url ws://127.0.0.1:1/ws " + genesis);
  BOOST_TEST(o.exit_code == 3);
  BOOST_TEST(o.err.find("client.connect") != std::string::npos, o.err);
}

BOOST_AUTO_TEST_CASE(query_now_and_as_of) {
  Remote r;
  r.History();
  Outcome o = r.Ctl("query" + r.url + " get project P-1");
  BOOST_REQUIRE_MESSAGE(o.exit_code == 0, o.err);
  BOOST_TEST(Json(o.out).find("entity")->find("status")->as_string() == "approved");
  // --as-of SEQ includes that event (as replay --until does): P-1 then proposed.
  o = r.Ctl("query" + r.url + " get project P-1 --as-of 2");
  BOOST_TEST(Json(o.out).find("entity")->find("status")->as_string() == "proposed");
  BOOST_TEST(Json(o.out).find("size")->as_int() == 3);
  o = r.Ctl("query" + r.url + " list projects --filter country=VN");
  BOOST_TEST(Json(o.out).find("total")->as_int() == 1);
  o = r.Ctl("query" + r.url + " list officers --limit 2 --all");
  BOOST_TEST(Lines(o.out).size() == 5u);
  o = r.Ctl("query" + r.url + " funding --group-by source");
  BOOST_REQUIRE_MESSAGE(o.exit_code == 0, o.err);
  BOOST_TEST(Json(o.out).find("rows")->as_array().empty());
  o = r.Ctl("query" + r.url + " summary --as-of 2012-04-01 --pretty");
  BOOST_REQUIRE_MESSAGE(o.exit_code == 0, o.err);
  BOOST_TEST(o.out.find("\n  \"") != std::string::npos);
  o = r.Ctl("query" + r.url + " get project P-9");
  BOOST_TEST(o.exit_code == 1);
  BOOST_TEST(o.err == "ledgerctl: state.unknown: there is no project P-9\n");
  o = r.Ctl("query" + r.url + " list projects --filter colour=blue");
  BOOST_TEST(o.exit_code == 1);
  BOOST_TEST(o.err.find("request.param") != std::string::npos, o.err);
  o = r.Ctl("query" + r.url + " fetch");
  BOOST_TEST(o.exit_code == 2);
}

BOOST_AUTO_TEST_CASE(audit_and_prove_check_what_the_server_sends) {
  Remote r;
  r.History();
  const std::string key = " --log-key " + r.data + "/log-key.pem";
  Outcome o = r.Ctl("audit" + r.url + " --subject P-1");
  BOOST_REQUIRE_MESSAGE(o.exit_code == 0, o.err);
  BOOST_TEST(o.out.find("project.approved") != std::string::npos);
  o = r.Ctl("audit" + r.url + key + " --proofs --format json --limit 2");
  BOOST_REQUIRE_MESSAGE(o.exit_code == 0, o.err);
  auto lines = Lines(o.out);
  BOOST_REQUIRE(lines.size() == 3u);
  BOOST_TEST(lines[0].find("proof") != nullptr);
  BOOST_TEST(lines[2].find("next_before")->as_int() == 2);
  BOOST_TEST(lines[2].find("tree_head")->find("size")->as_int() == 4);
  o = r.Ctl("audit --subject P-1");
  BOOST_TEST(o.exit_code == 2);

  // prove --url with the log key given.
  o = r.Ctl("prove" + r.url + key + " --seq 1");
  BOOST_REQUIRE_MESSAGE(o.exit_code == 0, o.err);
  BOOST_TEST(Json(o.out).find("decision_id")->as_string() == "sec-p1");
  BOOST_TEST(Json(o.out).find("tree_head")->find("size")->as_int() == 4);
  o = r.Ctl("prove" + r.url + key + " --id jc-a1 --size 4");
  BOOST_REQUIRE_MESSAGE(o.exit_code == 0, o.err);
  o = r.Ctl("prove" + r.url + key + " --old 2");
  BOOST_REQUIRE_MESSAGE(o.exit_code == 0, o.err);
  BOOST_TEST(Json(o.out).find("old_size")->as_int() == 2);

  // Trust on first use: the key is kept under --state, then used.
  const std::string state = " --state " + r.dir.str("state");
  o = r.Ctl("prove" + r.url + state + " --seq 0");
  BOOST_REQUIRE_MESSAGE(o.exit_code == 0, o.err);
  BOOST_TEST(o.err.find("trusting log key") != std::string::npos, o.err);
  o = r.Ctl("prove" + r.url + state + " --seq 3");
  BOOST_REQUIRE_MESSAGE(o.exit_code == 0, o.err);
  BOOST_TEST(o.err.empty(), o.err);
  std::filesystem::path kept;
  for (const auto& entry : std::filesystem::directory_iterator(r.dir.str("state"))) {
    kept = entry.path();
  }
  BOOST_TEST(std::filesystem::exists(kept / "log-key.pem"));
  BOOST_TEST(std::filesystem::exists(kept / "tree-head.json"));

  // The log grows: the new head must extend the one seen before.
  const auto more = r.File("more.jsonl", {r.Make("sec-p3", "project.proposed", "secretariat",
                                                 Proposal("P-3"), {"sec-head"}, "2012-06-01")});
  BOOST_REQUIRE(r.Ctl("submit" + r.url + " " + more).exit_code == 0);
  o = r.Ctl("prove" + r.url + state + " --seq 4");
  BOOST_REQUIRE_MESSAGE(o.exit_code == 0, o.err);

  // A remembered head the server's log does not extend (another root at the
  // same size, as after a rewrite): refused.
  auto seen = ledger::TreeHeadFromValue(Json(Run("cat " + (kept / "tree-head.json").string()).out));
  BOOST_REQUIRE(seen.ok());
  BOOST_TEST(seen->size == 5u);
  seen->root[0] ^= 1;
  Write((kept / "tree-head.json").string(), ledger::CanonicalJson(ledger::ToValue(*seen)));
  o = r.Ctl("prove" + r.url + state + " --seq 1");
  BOOST_TEST(o.exit_code == 1);
  BOOST_TEST(o.err.find("ledgerctl: proof.consistency: ") == 0u, o.err);

  // A trusted key that is not the server's: its tree heads do not verify.
  const std::string other = r.dir.str("other.pub");
  BOOST_REQUIRE(r.officers["sec-head"].public_key().Save(other).ok());
  o = r.Ctl("prove" + r.url + " --log-key " + other + " --seq 1");
  BOOST_TEST(o.exit_code == 1);
  BOOST_TEST(o.err.find("ledgerctl: proof.tree_head: ") == 0u, o.err);
  o = r.Ctl("audit" + r.url + " --log-key " + other + " --proofs");
  BOOST_TEST(o.exit_code == 1);
  BOOST_TEST(o.err.find("ledgerctl: proof.tree_head: ") == 0u, o.err);

  // Server-side refusals keep their rules.
  o = r.Ctl("prove" + r.url + key + " --seq 99");
  BOOST_TEST(o.exit_code == 1);
  BOOST_TEST(o.err.find("event.unknown") != std::string::npos, o.err);
  o = r.Ctl("prove" + r.url + key + " --old 3 --size 2");
  BOOST_TEST(o.exit_code == 1);
  BOOST_TEST(o.err.find("log.range") != std::string::npos, o.err);
  // Offline prove (a reader beside the running ledgerd) agrees with the server.
  o = r.Ctl("prove --data " + r.data + " --seq 1");
  BOOST_REQUIRE_MESSAGE(o.exit_code == 0, o.err);
  Outcome remote = r.Ctl("prove" + r.url + key + " --seq 1");
  BOOST_TEST(o.out == remote.out);
}

BOOST_AUTO_TEST_CASE(subscribe_catches_up_then_follows) {
  Remote r;
  r.History();
  // Catch-up from event 1: three events, in order.
  Outcome o = r.Ctl("subscribe" + r.url + " --from 1 --count 3");
  BOOST_REQUIRE_MESSAGE(o.exit_code == 0, o.err);
  auto events = Lines(o.out);
  BOOST_REQUIRE(events.size() == 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    BOOST_TEST(events[i].find("op")->as_string() == "event");
    BOOST_TEST(events[i].find("sequence")->as_int() == static_cast<std::int64_t>(i + 1));
  }
  BOOST_TEST(events[2].find("authority")->as_string() == "jc");

  // Live: from the current size, the next event appended is pushed. Filters
  // narrow it to project P-4.
  auto live = std::async(std::launch::async, [&] {
    return r.Ctl("subscribe" + r.url + " --from 4 --filter subject=P-4 --count 1 --timeout 20");
  });
  const auto more = r.File("more.jsonl", {r.Make("sec-p3", "project.proposed", "secretariat",
                                                 Proposal("P-3"), {"sec-head"}, "2012-06-01"),
                                          r.Make("sec-p4", "project.proposed", "secretariat",
                                                 Proposal("P-4"), {"sec-head"}, "2012-06-02")});
  BOOST_REQUIRE(r.Ctl("submit" + r.url + " " + more).exit_code == 0);
  BOOST_REQUIRE(live.wait_for(std::chrono::seconds(30)) == std::future_status::ready);
  o = live.get();
  BOOST_REQUIRE_MESSAGE(o.exit_code == 0, o.err);
  events = Lines(o.out);
  BOOST_REQUIRE(events.size() == 1u);
  BOOST_TEST(events[0].find("sequence")->as_int() == 5);
  BOOST_TEST(events[0].find("event")->find("decision")->find("decision_id")->as_string() ==
             "sec-p4");

  // Entity updates: the current projects first.
  o = r.Ctl("subscribe" + r.url + " --topic projects --count 4");
  BOOST_REQUIRE_MESSAGE(o.exit_code == 0, o.err);
  events = Lines(o.out);
  BOOST_REQUIRE(events.size() == 4u);
  BOOST_TEST(events[0].find("op")->as_string() == "update");
  BOOST_TEST(events[0].find("kind")->as_string() == "project");
  o = r.Ctl("subscribe" + r.url + " --topic weather --count 1");
  BOOST_TEST(o.exit_code == 1);
  BOOST_TEST(o.err.find("subscribe.topic") != std::string::npos, o.err);
}
