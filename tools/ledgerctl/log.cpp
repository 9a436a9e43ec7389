// Verbs over a data directory: init, append, show, tail, head, verify, prove.
#include <chrono>
#include <iostream>

#include "cli.h"
#include "crypto/merkle.h"
#include "export_format.h"
#include "projections/programme.h"
#include "projections/verify.h"
#include "remote.h"

namespace pl::ctl {
namespace {

using ledger::Value;

void AddDataFlag(po::options_description& flags, std::string* dir) {
  flags.add_options()("data,d", po::value(dir)->required(), "the ledger's data directory");
}

Value HashArray(const std::vector<crypto::Hash>& hashes) {
  Value::Array out;
  for (const auto& h : hashes) out.emplace_back(ToHex(h));
  return Value(std::move(out));
}

int Init(const std::vector<std::string>& args) {
  po::options_description flags("flags");
  std::string dir;
  AddDataFlag(flags, &dir);
  po::variables_map vm;
  int exit;
  if (!ParseFlags(args, "--data DIR", flags, nullptr, &vm, &exit)) return exit;
  auto store = OpenStore(dir, false, true);
  if (!store.ok()) return Fail(store.status());
  PrintJson(Value(Value::Object{{"data", dir},
                                {"log_key_id", (*store)->log_key().key_id()},
                                {"size", static_cast<std::int64_t>((*store)->size())}}),
            false);
  return kOk;
}

int AppendVerb(const std::vector<std::string>& args) {
  po::options_description flags("flags");
  std::string dir, input = "-";
  std::size_t batch = 1000;
  AddDataFlag(flags, &dir);
  flags.add_options()("create", "create the data directory if it has no log")(
      "batch,b", po::value(&batch)->default_value(1000),
      "decisions per write transaction (group commit); each batch is all or nothing")(
      "input,i", po::value(&input), "signed decisions in JSON, - for stdin");
  po::positional_options_description positional;
  positional.add("input", 1);
  po::variables_map vm;
  int exit;
  if (!ParseFlags(args, "--data DIR [--create] [--batch N] [INPUT]", flags, &positional, &vm,
                  &exit)) {
    return exit;
  }
  if (batch == 0) return Usage("append", "--batch must be at least 1");
  auto text = ReadInput(input);
  if (!text.ok()) return Fail(text.status());
  const auto docs = SplitDocuments(*text);
  if (docs.empty()) return Fail(Status::Invalid("input.empty", "no decision in the input"));
  auto refuse = [](std::size_t line, const Status& s) {
    return Fail(Status::Invalid(s.rule(), "line " + std::to_string(line) + ": " + s.message()));
  };
  std::vector<ledger::SignedDecision> decisions;
  for (const auto& [line, doc] : docs) {
    auto d = ledger::ParseSignedDecision(doc);
    if (!d.ok()) return refuse(line, d.status());
    decisions.push_back(std::move(*d));
  }
  projections::ProgrammeOptions options;
  options.store.create_if_missing = vm.count("create") > 0;
  auto programme = projections::Programme::Open(dir, options);
  if (!programme.ok()) return Fail(programme.status());
  Progress progress("appending", decisions.size());
  for (std::size_t from = 0; from < decisions.size(); from += batch) {
    const std::size_t n = std::min(batch, decisions.size() - from);
    auto result = (*programme)->Submit(std::span(decisions).subspan(from, n), true);
    if (!result.ok()) return Fail(result.status());
    // The decision that broke a rule is reported, not the others it took down.
    for (std::size_t i = 0; i < n; ++i) {
      const Status& s = result->decisions[i].status;
      if (!s.ok() && s.rule() != "batch.refused") return refuse(docs[from + i].first, s);
    }
    for (std::size_t i = 0; i < n; ++i) {
      const auto& a = result->decisions[i];
      PrintJson(Value(Value::Object{{"authority", a.authority},
                                    {"decision_id", decisions[from + i].decision.id},
                                    {"duplicate", a.duplicate},
                                    {"leaf_hash", ToHex(a.leaf_hash)},
                                    {"sequence", static_cast<std::int64_t>(a.sequence)}}),
                false);
    }
    progress.Update(from + n);
  }
  return kOk;
}

int Show(const std::vector<std::string>& args) {
  po::options_description flags("flags");
  std::string dir, id;
  std::uint64_t seq = 0;
  AddDataFlag(flags, &dir);
  flags.add_options()("seq,s", po::value(&seq), "sequence number")("id", po::value(&id),
                                                                   "decision id");
  po::positional_options_description positional;
  positional.add("seq", 1);
  po::variables_map vm;
  int exit;
  if (!ParseFlags(args, "--data DIR (SEQ | --id DECISION_ID)", flags, &positional, &vm, &exit)) {
    return exit;
  }
  if (vm.count("seq") == vm.count("id")) return Usage("show", "give either SEQ or --id");
  auto store = OpenStore(dir, true);
  if (!store.ok()) return Fail(store.status());
  if (!id.empty()) {
    auto found = (*store)->Find(id);
    if (!found.ok()) return Fail(found.status());
    seq = *found;
  }
  auto e = (*store)->Read(seq);
  if (!e.ok()) return Fail(e.status());
  PrintJson(ledger::ToValue(*e), true);
  return kOk;
}

int Tail(const std::vector<std::string>& args) {
  po::options_description flags("flags");
  std::string dir;
  std::uint64_t count = 10, from = 0;
  AddDataFlag(flags, &dir);
  flags.add_options()("lines,n", po::value(&count)->default_value(10), "how many events")(
      "from", po::value(&from), "start at this sequence instead of the last N");
  po::variables_map vm;
  int exit;
  if (!ParseFlags(args, "--data DIR [-n N] [--from SEQ]", flags, nullptr, &vm, &exit)) {
    return exit;
  }
  auto store = OpenStore(dir, true);
  if (!store.ok()) return Fail(store.status());
  const std::uint64_t size = (*store)->size();
  if (!vm.count("from")) from = size > count ? size - count : 0;
  Status s = (*store)->Scan(from, from + count, [](const ledger::Envelope& e) {
    PrintJson(ledger::ToValue(e), false);
    return true;
  });
  return s.ok() ? kOk : Fail(s);
}

int Head(const std::vector<std::string>& args) {
  po::options_description flags("flags");
  std::string dir;
  AddDataFlag(flags, &dir);
  po::variables_map vm;
  int exit;
  if (!ParseFlags(args, "--data DIR", flags, nullptr, &vm, &exit)) return exit;
  auto store = OpenStore(dir, true);
  if (!store.ok()) return Fail(store.status());
  PrintJson(ledger::ToValue((*store)->head()), true);
  return kOk;
}

// verify --bundle FILE: an export bundle checked with nothing but itself
// (export_format.h); prints what it checked.
int VerifyBundleFile(const std::string& path, const std::string& trusted_log_key) {
  auto text = ReadInput(path);
  if (!text.ok()) return Fail(text.status());
  auto bundle = ledger::ParseJson(*text, BundleLimits(text->size()));
  if (!bundle.ok()) return Fail(bundle.status());
  auto report = VerifyBundle(*bundle);
  if (!report.ok()) return Fail(report.status());
  if (Status s = CheckTrustedLogKey(trusted_log_key, report->log_key_id); !s.ok()) return Fail(s);
  Value::Object out{{"events", static_cast<std::int64_t>(report->events)},
                    {"key_events", static_cast<std::int64_t>(report->key_events)},
                    {"keys", static_cast<std::int64_t>(report->keys)},
                    {"log_key_id", report->log_key_id},
                    {"root", ToHex(report->head.root)},
                    {"signatures", static_cast<std::int64_t>(report->signatures)},
                    {"size", static_cast<std::int64_t>(report->head.size)},
                    {"verified", true}};
  if (report->consistent_from) {
    out.emplace_back("consistent_from", static_cast<std::int64_t>(*report->consistent_from));
  }
  PrintJson(Value(std::move(out)), false);
  return kOk;
}

int VerifyVerb(const std::vector<std::string>& args) {
  po::options_description flags("flags");
  std::string dir, bundle, trusted_log_key;
  unsigned threads = 0;
  flags.add_options()("data,d", po::value(&dir), "the ledger's data directory")(
      "bundle", po::value(&bundle), "check an export bundle offline instead (no data directory)")(
      "log-key-id", po::value(&trusted_log_key),
      "with --bundle: the log key id you trust (hex); a bundle signed by another is refused");
  flags.add_options()("threads", po::value(&threads)->default_value(0),
                      "signature-checking threads (0: one per core)")(
      "no-signatures", "trust the signatures; check everything else");
  po::variables_map vm;
  int exit;
  if (!ParseFlags(args,
                  "(--data DIR [--threads N] [--no-signatures] | --bundle FILE [--log-key-id HEX])",
                  flags, nullptr, &vm, &exit)) {
    return exit;
  }
  if (vm.count("data") == vm.count("bundle")) {
    return Usage("verify", "give either --data or --bundle");
  }
  if (vm.count("bundle")) return VerifyBundleFile(bundle, trusted_log_key);
  auto store = OpenStore(dir, true);
  if (!store.ok()) return Fail(store.status());
  Progress progress("verifying", (*store)->size());
  projections::VerifyOptions options;
  options.threads = threads;
  options.signatures = vm.count("no-signatures") == 0;
  options.progress = [&progress](std::uint64_t done, std::uint64_t) { progress.Update(done); };
  const auto start = std::chrono::steady_clock::now();
  auto report = projections::VerifyLog(**store, options);
  if (!report.ok()) return Fail(report.status());
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  PrintJson(Value(Value::Object{{"events", static_cast<std::int64_t>(report->events)},
                                {"events_per_second",
                                 static_cast<std::int64_t>(static_cast<double>(report->events) /
                                                           std::max(seconds, 1e-9))},
                                {"milliseconds", static_cast<std::int64_t>(seconds * 1000)},
                                {"root", ToHex(report->head.root)},
                                {"signatures", static_cast<std::int64_t>(report->signatures)},
                                {"verified", true}}),
            false);
  return kOk;
}

int Prove(const std::vector<std::string>& args) {
  po::options_description flags("flags");
  std::string dir, id;
  std::uint64_t seq = 0, size = 0, old_size = 0;
  RemoteFlags remote;
  flags.add_options()("data,d", po::value(&dir), "the ledger's data directory");
  AddRemoteFlags(flags, &remote, /*trust=*/true, /*optional_url=*/true);
  flags.add_options()("seq,s", po::value(&seq), "inclusion proof of this event")(
      "id", po::value(&id), "inclusion proof of this decision id")(
      "old", po::value(&old_size), "consistency proof from this tree size")(
      "size", po::value(&size), "tree size to prove against (default: the current head)");
  po::variables_map vm;
  int exit;
  if (!ParseFlags(args,
                  "(--data DIR | --url URL [--log-key FILE] [--state DIR]) (--seq N | --id ID | "
                  "--old M) [--size N]",
                  flags, nullptr, &vm, &exit)) {
    return exit;
  }
  if (vm.count("seq") + vm.count("id") + vm.count("old") != 1) {
    return Usage("prove", "give exactly one of --seq, --id, --old");
  }
  if (vm.count("data") == vm.count("url")) return Usage("prove", "give either --data or --url");
  if (vm.count("url")) {
    ProveRequest request;
    if (vm.count("seq")) request.sequence = seq;
    if (vm.count("id")) request.decision_id = id;
    if (vm.count("old")) request.old_size = old_size;
    if (vm.count("size")) request.size = size;
    return RemoteProve(remote, request);
  }
  auto store = OpenStore(dir, true);
  if (!store.ok()) return Fail(store.status());
  const ledger::TreeHead head = (*store)->head();
  if (!vm.count("size")) size = head.size;
  auto root = (*store)->Root(size);
  if (!root.ok()) return Fail(root.status());
  Value::Object out{{"size", static_cast<std::int64_t>(size)}, {"root", ToHex(*root)}};
  if (auto signed_head = (*store)->HeadAt(size); signed_head.ok()) {
    out.emplace_back("tree_head", ledger::ToValue(*signed_head));
  }
  if (vm.count("old")) {
    auto proof = (*store)->ConsistencyProof(old_size, size);
    if (!proof.ok()) return Fail(proof.status());
    auto old_root = (*store)->Root(old_size);
    if (!old_root.ok()) return Fail(old_root.status());
    if (Status s = crypto::VerifyConsistency(old_size, size, *old_root, *root, *proof); !s.ok()) {
      return Fail(s);
    }
    out.emplace_back("old_size", static_cast<std::int64_t>(old_size));
    out.emplace_back("old_root", ToHex(*old_root));
    out.emplace_back("consistency", HashArray(*proof));
  } else {
    if (!id.empty()) {
      auto found = (*store)->Find(id);
      if (!found.ok()) return Fail(found.status());
      seq = *found;
    }
    auto e = (*store)->Read(seq);
    if (!e.ok()) return Fail(e.status());
    auto proof = (*store)->InclusionProof(seq, size);
    if (!proof.ok()) return Fail(proof.status());
    if (Status s = crypto::VerifyInclusion(e->leaf_hash, seq, size, *proof, *root); !s.ok()) {
      return Fail(s);
    }
    out.emplace_back("sequence", static_cast<std::int64_t>(seq));
    out.emplace_back("decision_id", e->decision.decision.id);
    out.emplace_back("leaf_hash", ToHex(e->leaf_hash));
    out.emplace_back("inclusion", HashArray(*proof));
  }
  PrintJson(Value(std::move(out)), true);
  return kOk;
}

const bool registered = [] {
  Verbs()["init"] = {"Create an empty log (and its signing key) in a data directory.", Init};
  Verbs()["append"] = {
      "Append signed decisions to a data directory offline, through the decision rules.",
      AppendVerb};
  Verbs()["show"] = {"Print one event as JSON.", Show};
  Verbs()["tail"] = {"Print the last events (or a range) as JSON Lines.", Tail};
  Verbs()["head"] = {"Print the latest signed tree head.", Head};
  Verbs()["verify"] = {
      "Re-check every event (hash, signatures, rules) and the Merkle root against the signed "
      "tree head, on every core; names the first bad event.",
      VerifyVerb};
  Verbs()["prove"] = {
      "Print an inclusion or consistency proof, checked before it is printed (from a data "
      "directory, or from a running ledgerd with --url).",
      Prove};
  return true;
}();

}  // namespace
}  // namespace pl::ctl
