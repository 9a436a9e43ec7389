// Verbs that talk to a running ledgerd: submit, query, subscribe; and the
// server-side halves of audit --url and prove --url. Whatever the server
// sends that can be checked is checked here before it is printed: leaf
// hashes are recomputed from the events, tree heads' signatures are checked
// with the trusted log key, inclusion and consistency proofs are verified.
#include "remote.h"

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "crypto/bytes.h"
#include "ledger/envelope.h"

namespace pl::ctl {
namespace {

using ledger::Value;

Value Count(std::uint64_t n) { return Value(static_cast<std::int64_t>(n)); }

Value HashArray(const std::vector<crypto::Hash>& hashes) {
  Value::Array out;
  for (const auto& h : hashes) out.emplace_back(ToHex(h));
  return Value(std::move(out));
}

// The token of --token-file: its first line that is not blank or a # comment,
// TOKEN or NAME:TOKEN (ledgerd's --audit-token-file form). Error "client.token".
Result<std::string> ReadToken(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::Invalid("client.token", "cannot read --token-file " + path);
  std::string line;
  while (std::getline(in, line)) {
    const auto first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos || line[first] == '#') continue;
    line = line.substr(line.find(':') + 1);  // npos + 1 == 0: no name
    const auto start = line.find_first_not_of(" \t\r");
    if (start == std::string::npos) break;
    return line.substr(start, line.find_last_not_of(" \t\r") - start + 1);
  }
  return Status::Invalid("client.token", path + " holds no token");
}

Result<std::unique_ptr<api::Client>> Connect(const RemoteFlags& remote) {
  api::ClientOptions options;
  options.ca_file = remote.ca_file;
  options.timeout = std::chrono::seconds(remote.timeout_seconds);
  options.bearer_token = remote.token;
  if (!remote.token_file.empty()) {
    auto token = ReadToken(remote.token_file);
    if (!token.ok()) return token.status();
    options.bearer_token = std::move(*token);
  }
  return api::Client::Connect(remote.url, options);
}

// Sends one request; the result, or the server's error as a Status.
Result<Value> Call(api::Client& client, Value::Object request) {
  auto response = client.Request(Value(std::move(request)));
  if (!response.ok()) return response.status();
  return api::ResultOf(*response);
}

// ---------------------------------------------------------------------------
// Reading what the server sent

Status Malformed(const std::string& what) {
  return Status::Invalid("proof.response", "the server's answer is malformed: " + what);
}

const Value* Member(const Value& v, const char* name, Value::Kind kind) {
  const Value* m = v.find(name);
  return m && m->kind() == kind ? m : nullptr;
}

Result<std::uint64_t> UintOf(const Value& v, const char* name) {
  const Value* m = Member(v, name, Value::Kind::kInt);
  if (!m || m->as_int() < 0) return Malformed(std::string("no ") + name);
  return static_cast<std::uint64_t>(m->as_int());
}

Result<crypto::Hash> HashOf(const Value* v, const std::string& what) {
  crypto::Hash h{};
  if (!v || v->kind() != Value::Kind::kString) return Malformed("no " + what);
  auto raw = FromHex(v->as_string());
  if (!raw || raw->size() != h.size()) return Malformed(what + " is not a SHA-256 in hex");
  std::copy(raw->begin(), raw->end(), h.begin());
  return h;
}

Result<std::vector<crypto::Hash>> HashesOf(const Value* v, const std::string& what) {
  if (!v || v->kind() != Value::Kind::kArray) return Malformed("no " + what);
  std::vector<crypto::Hash> out;
  for (const Value& item : v->as_array()) {
    auto h = HashOf(&item, what);
    if (!h.ok()) return h.status();
    out.push_back(*h);
  }
  return out;
}

// An event as the server sends it (ledger::ToValue(Envelope)), with its leaf
// hash recomputed from its content: the hash the server claims must be the
// hash of what it sent ("proof.leaf").
Result<ledger::Envelope> EnvelopeOf(const Value* v) {
  if (!v || !v->is_object()) return Malformed("no event");
  const Value* decision = Member(*v, "decision", Value::Kind::kObject);
  const Value* signatures = Member(*v, "signatures", Value::Kind::kArray);
  const Value* recorded_at = Member(*v, "recorded_at", Value::Kind::kString);
  if (!decision || !signatures || !recorded_at) return Malformed("an event lacks its fields");
  Value::Object signed_decision = decision->as_object();
  signed_decision.emplace_back("signatures", *signatures);
  auto d = ledger::SignedDecisionFromValue(Value(std::move(signed_decision)));
  if (!d.ok()) return Malformed("an event's decision: " + d.status().ToString());
  auto t = ledger::ParseTimestamp(recorded_at->as_string());
  if (!t.ok()) return Malformed("an event's recorded_at: " + t.status().ToString());
  auto sequence = UintOf(*v, "sequence");
  if (!sequence.ok()) return sequence.status();
  auto leaf = HashOf(v->find("leaf_hash"), "leaf_hash");
  if (!leaf.ok()) return leaf.status();
  ledger::Envelope e{*sequence, *t, std::move(*d), *leaf};
  if (crypto::LeafHash(AsBytes(ledger::EntryBytes(e))) != e.leaf_hash) {
    return Status::Invalid("proof.leaf", "event " + std::to_string(e.sequence) +
                                             " does not hash to the leaf hash the server gave");
  }
  return e;
}

Result<ledger::TreeHead> TreeHeadOf(const Value* v) {
  if (!v) return Malformed("no tree_head");
  auto head = ledger::TreeHeadFromValue(*v);
  if (!head.ok()) return Malformed(head.status().ToString());
  return head;
}

// ---------------------------------------------------------------------------
// Trust: the log key, and the newest tree head seen

std::string StateName(const std::string& url) {
  std::string_view rest = url;
  if (auto scheme = rest.find("://"); scheme != std::string_view::npos) {
    rest.remove_prefix(scheme + 3);
  }
  rest = rest.substr(0, rest.find('/'));
  std::string name;
  for (char c : rest) name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return name;
}

class Trust {
 public:
  // The log key from --log-key, from the state directory, or (first use)
  // from the server, which is then written to the state directory.
  static Result<Trust> Load(const RemoteFlags& remote, api::Client& client) {
    Trust trust;
    std::string state = remote.state;
    if (state.empty() && remote.log_key.empty()) {
      // Trust on first use needs somewhere to keep what it trusts.
      if (const char* home = std::getenv("HOME")) state = std::string(home) + "/.ledgerctl";
    }
    if (!state.empty()) trust.dir_ = std::filesystem::path(state) / StateName(remote.url);
    if (!remote.log_key.empty()) {
      auto key = crypto::PublicKey::Load(remote.log_key);
      if (!key.ok()) {
        // The data directory's own log-key.pem (private) will do as well.
        auto private_key = crypto::PrivateKey::Load(remote.log_key);
        if (!private_key.ok()) return key.status();
        key = private_key->public_key();
      }
      trust.key_ = std::move(*key);
      trust.key_source_ = remote.log_key;
      return trust;
    }
    if (trust.dir_.empty()) {
      return Status::Invalid("proof.trust",
                             "give --log-key FILE or --state DIR to check tree heads");
    }
    const std::string key_file = (trust.dir_ / "log-key.pem").string();
    if (std::filesystem::exists(key_file)) {
      auto key = crypto::PublicKey::Load(key_file);
      if (!key.ok()) return key.status();
      trust.key_ = std::move(*key);
      trust.key_source_ = key_file;
      return trust;
    }
    auto answer = Call(client, {{"op", "tree_head"}});
    if (!answer.ok()) return answer.status();
    const Value* log_key = answer->find("log_key");
    const Value* raw_text =
        log_key ? Member(*log_key, "public_key", Value::Kind::kString) : nullptr;
    auto raw = raw_text ? FromBase64(raw_text->as_string()) : std::nullopt;
    if (!raw) return Malformed("no log_key in the tree_head answer");
    auto key = crypto::PublicKey::FromRaw(*raw);
    if (!key.ok()) return key.status();
    std::error_code ec;
    std::filesystem::create_directories(trust.dir_, ec);
    if (ec) return Status::IoError("state.io", "cannot create " + trust.dir_.string());
    if (Status s = key->Save(key_file); !s.ok()) return s;
    std::cerr << "ledgerctl: trusting log key " << key->key_id() << " of " << remote.url
              << " on first use (kept in " << key_file << ")\n";
    trust.key_ = std::move(*key);
    trust.key_source_ = key_file;
    return trust;
  }

  // The head's signature, with the trusted key ("proof.tree_head").
  Status Check(const ledger::TreeHead& head) const {
    if (Status s = ledger::Verify(head, *key_); !s.ok()) {
      return Status::Invalid(
          "proof.tree_head",
          s.message() + (key_source_.empty() ? "" : " (trusted key from " + key_source_ + ")"));
    }
    return Status::Ok();
  }

  // With a state directory: the head must be consistent with the newest
  // one seen before ("proof.consistency"), and the newer of the two is kept.
  // REQUIRES: Check(head) passed.
  Status Remember(api::Client& client, const ledger::TreeHead& head) const {
    if (dir_.empty()) return Status::Ok();
    const std::filesystem::path file = dir_ / "tree-head.json";
    std::optional<ledger::TreeHead> seen;
    if (std::filesystem::exists(file)) {
      auto text = ReadInput(file.string());
      if (!text.ok()) return text.status();
      auto value = ledger::ParseJson(*text);
      if (!value.ok())
        return Status::Invalid("state.corrupt", file.string() + ": " + value.status().ToString());
      auto stored = ledger::TreeHeadFromValue(*value);
      if (!stored.ok())
        return Status::Invalid("state.corrupt", file.string() + ": " + stored.status().ToString());
      seen = *stored;
    }
    if (seen) {
      const ledger::TreeHead& older = seen->size <= head.size ? *seen : head;
      const ledger::TreeHead& newer = seen->size <= head.size ? head : *seen;
      const std::string fork = "the log's tree head of size " + std::to_string(head.size) +
                               " is not consistent with the one of size " +
                               std::to_string(seen->size) + " seen before (" + file.string() + ")";
      if (older.size == newer.size) {
        if (older.root != newer.root) return Status::Invalid("proof.consistency", fork);
      } else if (older.size > 0) {
        auto answer =
            Call(client,
                 {{"op", "consistency"}, {"from", Count(older.size)}, {"to", Count(newer.size)}});
        if (!answer.ok()) {
          return Status::Invalid("proof.consistency", fork + ": " + answer.status().ToString());
        }
        auto proof = HashesOf(answer->find("proof"), "proof");
        if (!proof.ok()) return proof.status();
        if (!crypto::VerifyConsistency(older.size, newer.size, older.root, newer.root, *proof)
                 .ok()) {
          return Status::Invalid("proof.consistency", fork);
        }
      }
      if (seen->size >= head.size) return Status::Ok();
    }
    std::error_code ec;
    std::filesystem::create_directories(dir_, ec);
    if (ec) return Status::IoError("state.io", "cannot create " + dir_.string());
    const std::string temporary = file.string() + ".new";
    {
      std::ofstream out(temporary, std::ios::trunc);
      out << ledger::CanonicalJson(ledger::ToValue(head)) << "\n";
      if (!out) return Status::IoError("state.io", "cannot write " + temporary);
    }
    std::filesystem::rename(temporary, file, ec);
    if (ec) return Status::IoError("state.io", "cannot write " + file.string());
    return Status::Ok();
  }

 private:
  std::optional<crypto::PublicKey> key_;
  std::string key_source_;
  std::filesystem::path dir_;
};

// ---------------------------------------------------------------------------
// Points and filters given on the command line

// --as-of as replay's --until spells it: SEQ includes that event, a date is
// the end of that UTC day, anything else an RFC 3339 time.
Value PointOf(const std::string& text) {
  if (!text.empty() && text.size() <= 15 &&
      text.find_first_not_of("0123456789") == std::string::npos) {
    return Value(
        Value::Object{{"sequence", Value(static_cast<std::int64_t>(std::stoll(text) + 1))}});
  }
  if (text.size() == 10) return Value(Value::Object{{"date", text}});
  return Value(Value::Object{{"time", text}});
}

// NAME=VALUE pairs; a value of digits only is an integer (years).
Result<Value> FilterOf(const std::vector<std::string>& pairs) {
  Value::Object out;
  for (const std::string& pair : pairs) {
    const std::size_t eq = pair.find('=');
    if (eq == std::string::npos || eq == 0) {
      return Status::Invalid("usage", "--filter takes NAME=VALUE, not \"" + pair + "\"");
    }
    const std::string name = pair.substr(0, eq), value = pair.substr(eq + 1);
    for (const auto& [existing, v] : out) {
      if (existing == name) return Status::Invalid("usage", "--filter " + name + " given twice");
    }
    const bool number = !value.empty() && value.size() <= 15 &&
                        value.find_first_not_of("0123456789") == std::string::npos;
    if (number && name == "year") {
      out.emplace_back(name, Value(static_cast<std::int64_t>(std::stoll(value))));
    } else {
      out.emplace_back(name, value);
    }
  }
  return Value(std::move(out));
}

// ---------------------------------------------------------------------------
// submit

int Submit(const std::vector<std::string>& args) {
  po::options_description flags("flags");
  RemoteFlags remote;
  std::string input = "-";
  AddRemoteFlags(flags, &remote, false, false);
  flags.add_options()("batch", "submit every decision in one request, all or nothing")(
      "input,i", po::value(&input), "signed decisions (JSON or JSON Lines), - for stdin");
  po::positional_options_description positional;
  positional.add("input", 1);
  po::variables_map vm;
  int exit;
  if (!ParseFlags(args, "[--url URL] [--batch] [INPUT]", flags, &positional, &vm, &exit)) {
    return exit;
  }
  auto text = ReadInput(input);
  if (!text.ok()) return Fail(text.status());
  const auto docs = SplitDocuments(*text);
  if (docs.empty()) return Fail(Status::Invalid("input.empty", "no decision in the input"));
  std::vector<Value> decisions;
  for (const auto& [line, doc] : docs) {
    // Refused here with its line rather than by the server with its index.
    auto d = ledger::ParseSignedDecision(doc);
    if (!d.ok()) {
      return Fail(Status::Invalid(d.status().rule(),
                                  "line " + std::to_string(line) + ": " + d.status().message()));
    }
    decisions.push_back(*ledger::ParseJson(doc));
  }
  auto client = Connect(remote);
  if (!client.ok()) return Fail(client.status());

  auto print_results = [](const Value& result) {
    if (const Value* each = Member(result, "decisions", Value::Kind::kArray)) {
      for (const Value& d : each->as_array()) PrintJson(d, false);
    }
  };
  if (vm.count("batch")) {
    auto response = (*client)->Request(
        Value(Value::Object{{"decisions", Value(Value::Array(decisions))}, {"op", "submit"}}));
    if (!response.ok()) return Fail(response.status());
    auto result = api::ResultOf(*response);
    if (!result.ok()) {
      // Each decision's own outcome, then the refusal.
      const Value* error = response->find("error");
      if (const Value* each = error ? Member(*error, "decisions", Value::Kind::kArray) : nullptr) {
        for (const Value& d : each->as_array()) PrintJson(d, false);
      }
      return Fail(result.status());
    }
    print_results(*result);
    return kOk;
  }
  for (std::size_t i = 0; i < decisions.size(); ++i) {
    auto result = Call(**client, {{"decision", decisions[i]}, {"op", "submit"}});
    if (!result.ok()) {
      const Status& s = result.status();
      if (s.code() == Status::Code::kIoError) return Fail(s);
      return Fail(
          Status::Invalid(s.rule(), "line " + std::to_string(docs[i].first) + ": " + s.message()));
    }
    print_results(*result);
  }
  return kOk;
}

// ---------------------------------------------------------------------------
// query

int Query(const std::vector<std::string>& args) {
  po::options_description flags("flags");
  RemoteFlags remote;
  std::vector<std::string> what, filters;
  std::string as_of, after;
  std::string group_by;
  std::int64_t limit = 0;
  AddRemoteFlags(flags, &remote, false, false);
  flags.add_options()("what", po::value(&what)->multitoken(),
                      "get KIND KEY | list KIND | funding | summary")(
      "as-of", po::value(&as_of),
      "SEQ (including that event), DATE (end of that UTC day) or RFC 3339 time")(
      "filter", po::value(&filters),
      "list: NAME=VALUE (repeatable): status, country, year, text, ...")(
      "after", po::value(&after),
      "list: the id after which the page starts (the previous page's next)")(
      "limit", po::value(&limit), "list: items per page, at most 500")(
      "all", "list: every page, one item per line")(
      "group-by", po::value(&group_by), "funding: dimensions, comma-separated (source,year,...)")(
      "pretty", "indented JSON");
  po::positional_options_description positional;
  positional.add("what", -1);
  po::variables_map vm;
  int exit;
  if (!ParseFlags(
          args,
          "[--url URL] (get KIND KEY | list KIND [--filter N=V]... [--after ID] [--limit N] "
          "[--all] | funding [--group-by DIMS] | summary) [--as-of SEQ|DATE|TIME]",
          flags, &positional, &vm, &exit)) {
    return exit;
  }
  if (what.empty()) return Usage("query", "say what: get, list, funding or summary");
  const std::string op = what[0];
  const std::size_t want = op == "get" ? 3 : op == "list" ? 2 : 1;
  if (op != "get" && op != "list" && op != "funding" && op != "summary") {
    return Usage("query", "\"" + op + "\" is not get, list, funding or summary");
  }
  if (what.size() != want) {
    return Usage("query", op == "get"    ? "get takes KIND KEY"
                          : op == "list" ? "list takes KIND"
                                         : op + " takes no argument");
  }
  if ((vm.count("filter") || vm.count("after") || vm.count("limit") || vm.count("all")) &&
      op != "list") {
    return Usage("query", "--filter, --after, --limit and --all are for list");
  }
  if (vm.count("group-by") && op != "funding") return Usage("query", "--group-by is for funding");

  Value::Object request{{"op", op}};
  if (op == "get") {
    request.emplace_back("kind", what[1]);
    request.emplace_back("key", what[2]);
  }
  if (op == "list") {
    request.emplace_back("kind", what[1]);
    if (!filters.empty()) {
      auto filter = FilterOf(filters);
      if (!filter.ok()) return Usage("query", filter.status().message());
      request.emplace_back("filter", *filter);
    }
    if (vm.count("limit")) request.emplace_back("limit", Value(limit));
  }
  if (op == "funding" && vm.count("group-by")) {
    Value::Array dims;
    std::stringstream in(group_by);
    for (std::string dim; std::getline(in, dim, ',');) {
      if (!dim.empty()) dims.emplace_back(dim);
    }
    request.emplace_back("group_by", Value(std::move(dims)));
  }
  if (vm.count("as-of")) request.emplace_back("as_of", PointOf(as_of));

  auto client = Connect(remote);
  if (!client.ok()) return Fail(client.status());
  const bool pretty = vm.count("pretty") > 0;
  if (op == "list" && vm.count("all")) {
    std::optional<std::string> cursor;
    if (vm.count("after")) cursor = after;
    for (;;) {
      Value::Object page = request;
      if (cursor) page.emplace_back("after", *cursor);
      auto result = Call(**client, std::move(page));
      if (!result.ok()) return Fail(result.status());
      if (const Value* items = Member(*result, "items", Value::Kind::kArray)) {
        for (const Value& item : items->as_array()) PrintJson(item, pretty);
      }
      const Value* next = Member(*result, "next", Value::Kind::kString);
      if (!next) return kOk;
      cursor = next->as_string();
    }
  }
  if (vm.count("after")) request.emplace_back("after", after);
  auto result = Call(**client, std::move(request));
  if (!result.ok()) return Fail(result.status());
  PrintJson(*result, pretty);
  return kOk;
}

// ---------------------------------------------------------------------------
// subscribe

volatile std::sig_atomic_t interrupted = 0;
extern "C" void OnInterrupt(int) { interrupted = 1; }

int Subscribe(const std::vector<std::string>& args) {
  po::options_description flags("flags");
  RemoteFlags remote;
  std::string topic = "events";
  std::vector<std::string> filters;
  std::uint64_t from = 0, count = 0;
  AddRemoteFlags(flags, &remote, false, false);
  flags.add_options()("topic", po::value(&topic)->default_value("events"),
                      "events, projects, commitments, partnerships or summary")(
      "from", po::value(&from), "events: start with this sequence (catch-up), then live")(
      "filter", po::value(&filters),
      "events: subject=ID, body=BODY or type=TYPE|FAMILY.* (repeatable)")(
      "count,n", po::value(&count), "stop after this many messages (default: until Ctrl-C)");
  po::variables_map vm;
  int exit;
  if (!ParseFlags(args, "[--url URL] [--topic TOPIC] [--from SEQ] [--filter N=V]... [--count N]",
                  flags, nullptr, &vm, &exit)) {
    return exit;
  }
  Value::Object request{{"op", "subscribe"}, {"topic", topic}};
  if (vm.count("from")) request.emplace_back("from", Count(from));
  if (!filters.empty()) {
    auto filter = FilterOf(filters);
    if (!filter.ok()) return Usage("subscribe", filter.status().message());
    request.emplace_back("filter", *filter);
  }
  std::signal(SIGINT, OnInterrupt);
  std::signal(SIGTERM, OnInterrupt);
  auto client = Connect(remote);
  if (!client.ok()) return Fail(client.status());
  auto started = Call(**client, std::move(request));
  if (!started.ok()) return Fail(started.status());
  std::cerr << "ledgerctl: subscribed: " << ledger::CanonicalJson(*started) << "\n";
  std::uint64_t received = 0;
  while (!interrupted && (!vm.count("count") || received < count)) {
    auto message = (*client)->Next(std::chrono::milliseconds(200));
    if (!message.ok()) return Fail(message.status());
    if (!*message) continue;
    if (const Value* op = Member(**message, "op", Value::Kind::kString);
        op && op->as_string() == "event") {
      auto event = EnvelopeOf((*message)->find("event"));
      if (!event.ok()) return Fail(event.status());
    }
    std::cout << ledger::CanonicalJson(**message) << "\n" << std::flush;
    ++received;
  }
  (*client)->Close();
  return kOk;
}

const bool registered = [] {
  Verbs()["submit"] = {
      "Submit signed decisions to a running ledgerd, one request each or --batch (all or "
      "nothing); prints each result.",
      Submit};
  Verbs()["query"] = {
      "Ask a running ledgerd for an entity, a list, funding totals or the summary, now or as of a "
      "point.",
      Query};
  Verbs()["subscribe"] = {
      "Print what a running ledgerd pushes (events or entity updates) as JSON Lines, from a "
      "sequence on if asked.",
      Subscribe};
  return true;
}();

}  // namespace

void AddRemoteFlags(po::options_description& flags, RemoteFlags* remote, bool trust,
                    bool optional_url) {
  if (optional_url) {
    flags.add_options()("url", po::value(&remote->url),
                        "ask a running ledgerd instead (e.g. ws://127.0.0.1:8480/ws)");
  } else {
    flags.add_options()("url", po::value(&remote->url)->default_value(kDefaultUrl),
                        "the ledgerd WebSocket (ws:// or wss://)");
  }
  flags.add_options()("ca-file", po::value(&remote->ca_file),
                      "wss: check the server's certificate against this CA (PEM); unchecked "
                      "without it")("timeout",
                                    po::value(&remote->timeout_seconds)->default_value(30),
                                    "seconds to wait for the server");
  flags.add_options()("token-file", po::value(&remote->token_file)->value_name("FILE"),
                      "a bearer token for a ledgerd that guards its audit trail (the file's "
                      "first line: TOKEN or NAME:TOKEN)")(
      "token", po::value(&remote->token)->value_name("TOKEN"),
      "the bearer token itself (visible to other users in the process list: prefer "
      "--token-file)");
  if (trust) {
    flags.add_options()("log-key", po::value(&remote->log_key),
                        "the log's public key (PEM; or the data directory's log-key.pem) to check "
                        "tree heads with")(
        "state", po::value(&remote->state),
        "directory keeping the log key trusted on first use and the newest tree head seen "
        "(default without --log-key: ~/.ledgerctl)");
  }
}

Result<RemoteAuditPage> RemoteAudit(const RemoteFlags& remote, const ledger::AuditQuery& query,
                                    bool proofs) {
  Value::Object request{{"op", "audit"}, {"limit", Count(query.limit)}};
  if (query.subject) request.emplace_back("subject", *query.subject);
  if (query.body) request.emplace_back("body", *query.body);
  if (query.type) request.emplace_back("type", *query.type);
  if (query.signer) request.emplace_back("signer", ToHex(*query.signer));
  if (query.issued_from) request.emplace_back("from", ledger::FormatTimestamp(*query.issued_from));
  if (query.issued_to) request.emplace_back("to", ledger::FormatTimestamp(*query.issued_to));
  if (query.before) request.emplace_back("before", Count(*query.before));
  if (proofs) request.emplace_back("proofs", true);
  auto client = Connect(remote);
  if (!client.ok()) return client.status();
  std::optional<Trust> trust;
  if (proofs) {
    auto loaded = Trust::Load(remote, **client);
    if (!loaded.ok()) return loaded.status();
    trust = std::move(*loaded);
  }
  auto result = Call(**client, std::move(request));
  if (!result.ok()) return result.status();

  RemoteAuditPage out;
  if (const Value* next = Member(*result, "next_before", Value::Kind::kInt)) {
    out.page.next_before = static_cast<std::uint64_t>(next->as_int());
  }
  if (proofs) {
    auto head = TreeHeadOf(result->find("tree_head"));
    if (!head.ok()) return head.status();
    if (Status s = trust->Check(*head); !s.ok()) return s;
    out.head = *head;
  }
  const Value* events = Member(*result, "events", Value::Kind::kArray);
  if (!events) return Malformed("no events");
  for (const Value& entry : events->as_array()) {
    auto event = EnvelopeOf(entry.find("event"));
    if (!event.ok()) return event.status();
    const Value* authority = Member(entry, "authority", Value::Kind::kString);
    if (proofs) {
      auto proof = HashesOf(entry.find("proof"), "proof");
      if (!proof.ok()) return proof.status();
      if (event->sequence >= out.head->size ||
          !crypto::VerifyInclusion(event->leaf_hash, event->sequence, out.head->size, *proof,
                                   out.head->root)
               .ok()) {
        return Status::Invalid("proof.inclusion", "event " + std::to_string(event->sequence) +
                                                      " is not proven to be in the tree of size " +
                                                      std::to_string(out.head->size));
      }
      out.proofs.push_back(std::move(*proof));
    }
    out.page.events.push_back({std::move(*event), authority ? authority->as_string() : ""});
  }
  if (proofs) {
    if (Status s = trust->Remember(**client, *out.head); !s.ok()) return s;
  }
  return out;
}

int RemoteProve(const RemoteFlags& remote, const ProveRequest& request) {
  auto client = Connect(remote);
  if (!client.ok()) return Fail(client.status());
  auto trust = Trust::Load(remote, **client);
  if (!trust.ok()) return Fail(trust.status());

  if (request.old_size) {
    Value::Object ask{{"op", "consistency"}, {"from", Count(*request.old_size)}};
    if (request.size) ask.emplace_back("to", Count(*request.size));
    auto answer = Call(**client, std::move(ask));
    if (!answer.ok()) return Fail(answer.status());
    auto head = TreeHeadOf(answer->find("tree_head"));
    if (!head.ok()) return Fail(head.status());
    if (Status s = trust->Check(*head); !s.ok()) return Fail(s);
    auto from_root = HashOf(answer->find("from_root"), "from_root");
    auto to_root = HashOf(answer->find("to_root"), "to_root");
    auto proof = HashesOf(answer->find("proof"), "proof");
    auto to = UintOf(*answer, "to");
    for (const Status* s :
         {&from_root.status(), &to_root.status(), &proof.status(), &to.status()}) {
      if (!s->ok()) return Fail(*s);
    }
    if (*to != head->size || *to_root != head->root) {
      return Fail(
          Status::Invalid("proof.root", "the proof's new root is not the signed tree head's"));
    }
    if (const Value* old_head = answer->find("from_tree_head")) {
      auto signed_old = TreeHeadOf(old_head);
      if (!signed_old.ok()) return Fail(signed_old.status());
      if (Status s = trust->Check(*signed_old); !s.ok()) return Fail(s);
      if (signed_old->size != *request.old_size || signed_old->root != *from_root) {
        return Fail(
            Status::Invalid("proof.root", "the proof's old root is not the signed tree head's"));
      }
    }
    if (!crypto::VerifyConsistency(*request.old_size, head->size, *from_root, head->root, *proof)
             .ok()) {
      return Fail(Status::Invalid("proof.consistency",
                                  "the tree of size " + std::to_string(*request.old_size) +
                                      " is not proven to be a prefix of the tree of size " +
                                      std::to_string(head->size)));
    }
    if (Status s = trust->Remember(**client, *head); !s.ok()) return Fail(s);
    PrintJson(Value(Value::Object{{"consistency", HashArray(*proof)},
                                  {"old_root", ToHex(*from_root)},
                                  {"old_size", Count(*request.old_size)},
                                  {"root", ToHex(head->root)},
                                  {"size", Count(head->size)},
                                  {"tree_head", ledger::ToValue(*head)}}),
              true);
    return kOk;
  }

  Value::Object ask{{"op", "inclusion"}};
  if (request.sequence) ask.emplace_back("sequence", Count(*request.sequence));
  if (request.decision_id) ask.emplace_back("decision_id", *request.decision_id);
  if (request.size) ask.emplace_back("size", Count(*request.size));
  auto answer = Call(**client, std::move(ask));
  if (!answer.ok()) return Fail(answer.status());
  auto event = EnvelopeOf(answer->find("event"));
  if (!event.ok()) return Fail(event.status());
  auto leaf = HashOf(answer->find("leaf_hash"), "leaf_hash");
  auto root = HashOf(answer->find("root"), "root");
  auto proof = HashesOf(answer->find("proof"), "proof");
  auto size = UintOf(*answer, "size");
  for (const Status* s : {&leaf.status(), &root.status(), &proof.status(), &size.status()}) {
    if (!s->ok()) return Fail(*s);
  }
  if (*leaf != event->leaf_hash || (request.sequence && event->sequence != *request.sequence) ||
      (request.decision_id && event->decision.decision.id != *request.decision_id)) {
    return Fail(
        Status::Invalid("proof.leaf", "the server proved another event than the one asked for"));
  }
  // The root the proof ends in must be signed: by a head at that size, or
  // by the current head with the tree of that size proven to be its prefix.
  ledger::TreeHead head;
  if (const Value* signed_at = answer->find("tree_head")) {
    auto h = TreeHeadOf(signed_at);
    if (!h.ok()) return Fail(h.status());
    head = *h;
    if (Status s = trust->Check(head); !s.ok()) return Fail(s);
    if (head.size != *size || head.root != *root) {
      return Fail(Status::Invalid("proof.root", "the proof's root is not the signed tree head's"));
    }
  } else {
    auto link = Call(**client, {{"op", "consistency"}, {"from", Count(*size)}});
    if (!link.ok()) return Fail(link.status());
    auto h = TreeHeadOf(link->find("tree_head"));
    if (!h.ok()) return Fail(h.status());
    head = *h;
    if (Status s = trust->Check(head); !s.ok()) return Fail(s);
    auto link_proof = HashesOf(link->find("proof"), "proof");
    if (!link_proof.ok()) return Fail(link_proof.status());
    if (!crypto::VerifyConsistency(*size, head.size, *root, head.root, *link_proof).ok()) {
      return Fail(Status::Invalid("proof.consistency",
                                  "the root of size " + std::to_string(*size) +
                                      " is not proven to be a prefix of the signed tree head"));
    }
  }
  if (!crypto::VerifyInclusion(event->leaf_hash, event->sequence, *size, *proof, *root).ok()) {
    return Fail(Status::Invalid("proof.inclusion", "event " + std::to_string(event->sequence) +
                                                       " is not proven to be in the tree of size " +
                                                       std::to_string(*size)));
  }
  if (Status s = trust->Remember(**client, head); !s.ok()) return Fail(s);
  Value::Object out{{"decision_id", event->decision.decision.id}, {"inclusion", HashArray(*proof)},
                    {"leaf_hash", ToHex(event->leaf_hash)},       {"root", ToHex(*root)},
                    {"sequence", Count(event->sequence)},         {"size", Count(*size)}};
  if (head.size == *size) out.emplace_back("tree_head", ledger::ToValue(head));
  PrintJson(Value(std::move(out)), true);
  return kOk;
}

}  // namespace pl::ctl
