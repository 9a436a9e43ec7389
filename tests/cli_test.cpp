// ledgerctl end to end: the real executable on a real data directory.
#define BOOST_TEST_MODULE cli
#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "ledger/value.h"
#include "process.h"

using pl::test::Outcome;
using pl::test::Run;

namespace {

const std::string kCtl = LEDGERCTL_PATH;

void Write(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}
std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A project proposal by the Secretariat; `title` is its English title.
std::string DecisionJson(const std::string& id, const std::string& title = "routine") {
  return R"({"decision_id":")" + id +
         R"(","type":"project.proposed","body":"secretariat","issued_at":"2013-05-02T08:00:00Z","payload":{"project_id":"P-)" +
         id + R"(","title":{"en":")" + title +
         R"("},"priority_area":"B1","mode":"M4","lead_institution":{"en":"Guangxi Academy of Agricultural Sciences"},"partners":[{"institution":{"en":"Kasetsart University"},"country":"TH"}],"budget":{"amount":1000000,"currency":"CNY"},"start_date":"2013-06-01","end_date":"2015-05-31"}})";
}

// A data directory whose genesis registers three officers' keys, then
// proposals d-1 ... d-11 by the Secretariat (d-7's title carries a marker).
struct Ledger {
  pl::test::TempDir dir;
  std::string data = dir.str("data"), keys = dir.str("keys"), other = dir.str("other");

  // keygen's JSON line for a new key.
  pl::ledger::Value Keygen(const std::string& prefix) {
    Outcome o = Run(kCtl + " keygen --out " + prefix);
    BOOST_REQUIRE_MESSAGE(o.exit_code == 0, o.err);
    return *pl::ledger::ParseJson(o.out);
  }

  Ledger() {
    using pl::ledger::Value;
    std::filesystem::create_directories(other);
    Value::Array officers, key_entries;
    for (auto [id, body, role] : {std::tuple{"jc-cn", "joint-committee", "co_chair_cn"},
                                  {"jc-asean", "joint-committee", "co_chair_asean"},
                                  {"officer", "secretariat", "secretary_general"}}) {
      const Value key = Keygen(keys + "/" + id);
      officers.emplace_back(Value::Object{{"body_id", body},
                                          {"country", "CN"},
                                          {"name", Value(Value::Object{{"en", id}})},
                                          {"officer_id", id},
                                          {"role", role}});
      key_entries.emplace_back(Value::Object{{"key_id", *key.find("key_id")},
                                             {"officer_id", id},
                                             {"public_key", *key.find("public_key_base64")}});
    }
    Keygen(other + "/stranger");
    auto body = [](const char* id, const char* kind) {
      return Value(Value::Object{
          {"body_id", id}, {"kind", kind}, {"name", Value(Value::Object{{"en", id}})}});
    };
    auto member = [](const char* c) {
      return Value(Value::Object{{"country", c}, {"name", Value(Value::Object{{"en", c}})}});
    };
    auto policy = [](const char* id, const char* body_id, const char* type, int min,
                     Value::Array roles) {
      return Value(Value::Object{{"body_id", body_id},
                                 {"ceiling", Value()},
                                 {"min_signatures", min},
                                 {"policy_id", id},
                                 {"required_roles", Value(std::move(roles))},
                                 {"types", Value(Value::Array{Value(type)})}});
    };
    const Value genesis(Value::Object{
        {"body", "joint-committee"},
        {"decision_id", "d-0"},
        {"issued_at", "2012-03-01T09:00:00Z"},
        {"payload",
         Value(Value::Object{
             {"bodies", Value(Value::Array{body("joint-committee", "joint_committee"),
                                           body("secretariat", "secretariat")})},
             {"keys", Value(key_entries)},
             {"members", Value(Value::Array{member("CN"), member("TH")})},
             {"officers", Value(officers)},
             {"policies",
              Value(Value::Array{policy("jc", "joint-committee", "governance.*", 2,
                                        {Value("co_chair_cn"), Value("co_chair_asean")}),
                                 policy("sec", "secretariat", "project.*", 1, {})})},
             {"programme",
              Value(Value::Object{
                  {"en", "China-ASEAN Science and Technology Partnership Programme"}})}})},
        {"type", "governance.genesis"}});
    Write(dir.str("genesis.json"), pl::ledger::CanonicalJson(genesis));
    Outcome g = Run(kCtl + " sign --key " + keys + "/jc-cn.key --key " + keys + "/jc-asean.key " +
                    dir.str("genesis.json"));
    BOOST_REQUIRE_MESSAGE(g.exit_code == 0, g.err);
    std::string decisions;
    for (int i = 1; i < 12; ++i) {
      decisions +=
          DecisionJson("d-" + std::to_string(i), i == 7 ? "flip-target-marker" : "x") + "\n";
    }
    Write(dir.str("decisions.json"), decisions);
    Outcome signed_ =
        Run(kCtl + " sign --key " + keys + "/officer.key " + dir.str("decisions.json"));
    BOOST_REQUIRE_MESSAGE(signed_.exit_code == 0, signed_.err);
    Write(dir.str("signed.jsonl"), g.out + signed_.out);
    Outcome appended =
        Run(kCtl + " append --create --data " + data + " " + dir.str("signed.jsonl"));
    BOOST_REQUIRE_MESSAGE(appended.exit_code == 0, appended.err);
  }

  std::string Head() { return Run(kCtl + " head --data " + data).out; }
  Outcome Append(const std::string& text) {
    Write(dir.str("input.json"), text);
    return Run(kCtl + " append --data " + data + " " + dir.str("input.json"));
  }
  Outcome Verify() { return Run(kCtl + " verify --data " + data); }
  // The signed form of one decision by the given key file.
  std::string Signed(const std::string& json, const std::string& key_file) {
    Write(dir.str("one.json"), json);
    return Run(kCtl + " sign --key " + key_file + " " + dir.str("one.json")).out;
  }
};

}  // namespace

BOOST_AUTO_TEST_CASE(keygen_writes_a_private_key_only_its_owner_can_read) {
  Ledger l;
  namespace fs = std::filesystem;
  BOOST_TEST(((fs::status(l.keys + "/officer.key").permissions() & fs::perms::all) ==
              (fs::perms::owner_read | fs::perms::owner_write)));
  BOOST_TEST(ReadFile(l.keys + "/officer.pub").find("BEGIN PUBLIC KEY") != std::string::npos);
  BOOST_TEST(Run(kCtl + " keygen --out " + l.keys + "/officer").exit_code == 1);  // no overwrite
}

BOOST_AUTO_TEST_CASE(append_verify_prove_end_to_end) {
  Ledger l;
  Outcome v = l.Verify();
  BOOST_TEST(v.exit_code == 0, v.err);
  BOOST_TEST(v.out.find("\"verified\":true") != std::string::npos);
  BOOST_TEST(l.Head().find("\"size\": 12") != std::string::npos);

  Outcome proof = Run(kCtl + " prove --data " + l.data + " --id d-5");
  BOOST_TEST(proof.exit_code == 0, proof.err);
  BOOST_TEST(proof.out.find("\"sequence\": 5") != std::string::npos);
  Outcome consistency = Run(kCtl + " prove --data " + l.data + " --old 3");
  BOOST_TEST(consistency.exit_code == 0, consistency.err);
  BOOST_TEST(Run(kCtl + " prove --data " + l.data + " --seq 12").exit_code == 1);

  Outcome show = Run(kCtl + " show --data " + l.data + " 3");
  BOOST_TEST(show.out.find("\"decision_id\": \"d-3\"") != std::string::npos);
  Outcome tail = Run(kCtl + " tail --data " + l.data + " -n 2");
  BOOST_TEST(tail.out.find("\"sequence\":10") != std::string::npos);
  BOOST_TEST(tail.out.find("\"sequence\":11") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(reappending_is_idempotent) {
  Ledger l;
  const std::string head = l.Head();
  Outcome again = l.Append(ReadFile(l.dir.str("signed.jsonl")));
  BOOST_TEST(again.exit_code == 0, again.err);
  BOOST_TEST(again.out.find("\"duplicate\":false") == std::string::npos);
  BOOST_TEST(l.Head() == head);
}

BOOST_AUTO_TEST_CASE(bad_input_is_refused_and_the_log_is_unchanged) {
  Ledger l;
  const std::string head = l.Head();
  const std::string good = l.Signed(DecisionJson("new-1"), l.keys + "/officer.key");
  const std::string stranger = l.Signed(DecisionJson("new-2"), l.other + "/stranger.key");
  // Same decision, signature made by the stranger but claiming the officer's key id.
  std::string wrong_key = stranger;
  {
    const std::string officer_id = good.substr(good.find("\"key_id\":\"") + 10, 64);
    const std::string stranger_id = stranger.substr(stranger.find("\"key_id\":\"") + 10, 64);
    wrong_key.replace(wrong_key.find(stranger_id), 64, officer_id);
  }
  std::string truncated = good;
  truncated.erase(truncated.find("\"signature\":\"") + 13, 4);
  std::string tampered = good;
  tampered.replace(tampered.find("routine"), 7, "ROUTINE");
  const std::string reused = l.Signed(DecisionJson("d-3", "different"), l.keys + "/officer.key");

  struct Case {
    std::string name, input, rule;
  };
  for (const Case& c : std::vector<Case>{
           {"unknown key", stranger, "signature.unknown_key"},
           {"wrong key", wrong_key, "signature.invalid"},
           {"truncated signature", truncated, "signature.malformed"},
           {"altered payload", tampered, "signature.invalid"},
           {"unsigned", DecisionJson("new-3"), "signature.missing"},
           {"malformed JSON", "{\"decision_id\": \"x\",", "json.syntax"},
           {"empty file", "", "input.empty"},
           {"reused id", reused, "decision.id_reused"},
           // A good decision first: all or nothing, it is not appended either.
           {"good then bad", good + stranger, "signature.unknown_key"},
       }) {
    BOOST_TEST_CONTEXT(c.name) {
      Outcome o = l.Append(c.input);
      BOOST_TEST(o.exit_code == 1);
      BOOST_TEST(o.err.find(c.rule) != std::string::npos, o.err);
      BOOST_TEST(l.Head() == head);
    }
  }
  BOOST_TEST(l.Verify().exit_code == 0);
}

BOOST_AUTO_TEST_CASE(verify_names_the_event_with_a_flipped_byte) {
  Ledger l;
  const std::string path = l.data + "/data.mdb";
  std::string bytes = ReadFile(path);
  const auto at = bytes.find("flip-target-marker");
  BOOST_REQUIRE(at != std::string::npos);
  bytes[at + 5] ^= 0x01;
  Write(path, bytes);
  Outcome v = l.Verify();
  BOOST_TEST(v.exit_code == 1);
  BOOST_TEST(v.err.find("event 7") != std::string::npos, v.err);
  BOOST_TEST(v.err.find("verify.leaf_hash") != std::string::npos, v.err);
}

BOOST_AUTO_TEST_CASE(audit_pages_through_events_as_json_and_table) {
  Ledger l;
  const std::string signed_ = ReadFile(l.dir.str("signed.jsonl"));
  const std::string proposals = signed_.substr(signed_.find('\n') + 1);  // after the genesis
  const std::string officer = proposals.substr(proposals.find("\"key_id\":\"") + 10, 64);
  const std::string audit = kCtl + " audit --data " + l.data + " ";
  auto lines = [](const std::string& out) {
    std::vector<std::string> v;
    std::istringstream in(out);
    for (std::string line; std::getline(in, line);) v.push_back(line);
    return v;
  };

  // JSON Lines, newest first, then the cursor; following it reaches every event once.
  std::vector<std::string> sequences;
  std::string before;
  for (int page = 0; page < 5; ++page) {
    Outcome o = Run(audit + "--format json --limit 5" + before);
    BOOST_REQUIRE_MESSAGE(o.exit_code == 0, o.err);
    const auto out = lines(o.out);
    BOOST_REQUIRE(!out.empty());
    for (std::size_t i = 0; i + 1 < out.size(); ++i) {
      const bool genesis = out[i].find("\"sequence\":0,") != std::string::npos;
      BOOST_TEST(out[i].find(genesis ? "{\"authority\":\"\",\"event\":{\"decision\":"
                                     : "{\"authority\":\"sec\",\"event\":{\"decision\":") == 0u,
                 out[i]);
      const auto at = out[i].find("\"sequence\":");
      sequences.push_back(out[i].substr(at + 11, out[i].find(',', at) - at - 11));
    }
    if (out.back() == "{\"next_before\":null}") break;
    BOOST_REQUIRE(out.back().starts_with("{\"next_before\":"));
    before = " --before " + out.back().substr(15, out.back().size() - 16);
  }
  BOOST_TEST(sequences == (std::vector<std::string>{"11", "10", "9", "8", "7", "6", "5", "4", "3",
                                                    "2", "1", "0"}));

  // Filters: each kind the offline append indexes, alone and combined.
  auto count = [&](const std::string& flags) {
    Outcome o = Run(audit + "--format json " + flags);
    BOOST_TEST(o.exit_code == 0, o.err);
    return lines(o.out).size() - 1;
  };
  BOOST_TEST(count("") == 12u);
  BOOST_TEST(count("--body secretariat") == 11u);
  BOOST_TEST(count("--body joint-committee") == 1u);
  BOOST_TEST(count("--signer " + officer) == 11u);
  BOOST_TEST(count("--signer " + std::string(64, '0')) == 0u);
  BOOST_TEST(count("--type 'project.*'") == 11u);
  BOOST_TEST(count("--type project.proposed --body secretariat") == 11u);
  BOOST_TEST(count("--type project.approved") == 0u);
  BOOST_TEST(count("--type 'governance.*'") == 1u);
  BOOST_TEST(count("--from 2013-05-02T08:00:00Z --to 2013-05-02T08:00:01Z") == 11u);
  BOOST_TEST(count("--to 2013-05-02T08:00:00Z") == 1u);
  BOOST_TEST(count("--subject P-d-3") == 1u);
  BOOST_TEST(count("--subject P-d-3 --type project.approved") == 0u);

  // The table: a header and one aligned row per event, newest first.
  Outcome table = Run(audit + "--type 'project.*' --limit 3");
  BOOST_REQUIRE_MESSAGE(table.exit_code == 0, table.err);
  const auto rows = lines(table.out);
  BOOST_REQUIRE(rows.size() == 4u);
  BOOST_TEST(rows[0].starts_with("seq  issued_at "));
  BOOST_TEST(rows[0].find("type") == rows[1].find("project.proposed"));
  BOOST_TEST(rows[0].find("signers") == rows[1].find(officer.substr(0, 8) + "  sec"));
  BOOST_TEST(rows[1].starts_with("11   2013-05-02T08:00:00Z  project.proposed  secretariat  "));
  BOOST_TEST(rows[3].starts_with("9 "));
  BOOST_TEST(table.err.find("--before 9") != std::string::npos, table.err);

  // Usage errors, and a refused query.
  BOOST_TEST(Run(audit + "--signer xyz").exit_code == 2);
  BOOST_TEST(Run(audit + "--from yesterday").exit_code == 2);
  BOOST_TEST(Run(audit + "--format xml").exit_code == 2);
  BOOST_TEST(Run(audit + "--limit 0").exit_code == 2);
  Outcome bad_family = Run(audit + "--type '.*'");
  BOOST_TEST(bad_family.exit_code == 1);
  BOOST_TEST(bad_family.err.find("audit.type") != std::string::npos, bad_family.err);
  BOOST_TEST(Run(kCtl + " audit --data " + l.dir.str("absent")).exit_code == 3);
}

BOOST_AUTO_TEST_CASE(usage_errors_and_help) {
  BOOST_TEST(Run(kCtl).exit_code == 2);
  BOOST_TEST(Run(kCtl + " frobnicate").exit_code == 2);
  for (const char* verb : {"keygen", "sign", "append", "show", "tail", "head", "verify", "prove",
                           "init", "bench", "audit"}) {
    BOOST_TEST_CONTEXT(verb) {
      Outcome help = Run(kCtl + " " + verb + " --help");
      BOOST_TEST(help.exit_code == 0);
      BOOST_TEST(help.out.find("usage: ledgerctl") != std::string::npos);
    }
  }
  BOOST_TEST(Run(kCtl + " verify --data /nonexistent").exit_code == 3);
  BOOST_TEST(Run(kCtl + " append --data x --batch 0").exit_code == 2);
}
