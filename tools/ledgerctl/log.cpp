// Verbs over a data directory: init, append, show, tail, head, verify, prove.
#include <chrono>
#include <iostream>

#include "cli.h"
#include "crypto/merkle.h"
#include "ledger/serialization.h"

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
  std::string dir, keys_dir, input = "-";
  std::size_t batch = 1000;
  AddDataFlag(flags, &dir);
  flags.add_options()("keys,k", po::value(&keys_dir)->required(),
                      "directory of trusted public keys (*.pub)")(
      "create", "create the data directory if it has no log")(
      "batch,b", po::value(&batch)->default_value(1000),
      "decisions per write transaction (group commit)")(
      "input,i", po::value(&input), "signed decisions in JSON, - for stdin");
  po::positional_options_description positional;
  positional.add("input", 1);
  po::variables_map vm;
  int exit;
  if (!ParseFlags(args, "--data DIR --keys DIR [--create] [INPUT]", flags, &positional, &vm,
                  &exit)) {
    return exit;
  }
  if (batch == 0) return Usage("append", "--batch must be at least 1");
  auto keys = KeyRing::Load(keys_dir);
  if (!keys.ok()) return Fail(keys.status());
  auto text = ReadInput(input);
  if (!text.ok()) return Fail(text.status());
  const auto docs = SplitDocuments(*text);
  if (docs.empty()) return Fail(Status::Invalid("input.empty", "no decision in the input"));

  // Every decision is checked before any is appended: a bad input appends nothing.
  auto refuse = [](std::size_t line, const Status& s) {
    return Fail(Status::Invalid(s.rule(), "line " + std::to_string(line) + ": " + s.message()));
  };
  std::vector<ledger::SignedDecision> decisions;
  const auto lookup = keys->lookup();
  for (const auto& [line, doc] : docs) {
    auto d = ledger::ParseSignedDecision(doc);
    if (!d.ok()) return refuse(line, d.status());
    if (Status s = ledger::VerifySignatures(*d, lookup); !s.ok()) return refuse(line, s);
    decisions.push_back(std::move(*d));
  }
  auto store = OpenStore(dir, false, vm.count("create") > 0);
  if (!store.ok()) return Fail(store.status());
  for (std::size_t i = 0; i < decisions.size(); ++i) {
    auto seq = (*store)->Find(decisions[i].decision.id);
    if (!seq.ok()) continue;
    auto recorded = (*store)->Read(*seq);
    if (!recorded.ok()) return Fail(recorded.status());
    if (ledger::SigningBytes(recorded->decision.decision) !=
        ledger::SigningBytes(decisions[i].decision)) {
      return refuse(docs[i].first,
                    Status::Conflict("decision.id_reused",
                                     "decision id \"" + decisions[i].decision.id +
                                         "\" is already recorded (sequence " +
                                         std::to_string(*seq) + ") with different content"));
    }
  }
  Progress progress("appending", decisions.size());
  for (std::size_t from = 0; from < decisions.size(); from += batch) {
    const std::size_t n = std::min(batch, decisions.size() - from);
    auto result = (*store)->Append(std::span(decisions).subspan(from, n));
    if (!result.ok()) return Fail(result.status());
    for (std::size_t i = 0; i < n; ++i) {
      const auto& a = result->decisions[i];
      PrintJson(Value(Value::Object{{"decision_id", decisions[from + i].decision.id},
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
  flags.add_options()("seq,s", po::value(&seq), "sequence number")(
      "id", po::value(&id), "decision id");
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

int VerifyVerb(const std::vector<std::string>& args) {
  po::options_description flags("flags");
  std::string dir, keys_dir;
  AddDataFlag(flags, &dir);
  flags.add_options()("keys,k", po::value(&keys_dir)->required(),
                      "directory of trusted public keys (*.pub)");
  po::variables_map vm;
  int exit;
  if (!ParseFlags(args, "--data DIR --keys DIR", flags, nullptr, &vm, &exit)) return exit;
  auto keys = KeyRing::Load(keys_dir);
  if (!keys.ok()) return Fail(keys.status());
  auto store = OpenStore(dir, true);
  if (!store.ok()) return Fail(store.status());
  const auto start = std::chrono::steady_clock::now();
  const ledger::TreeHead head = (*store)->head();
  if (Status s = ledger::Verify(head, (*store)->log_key()); !s.ok()) return Fail(s);

  const auto lookup = keys->lookup();
  crypto::CompactRange range;
  std::vector<crypto::CompactRange::Node> unused;
  Status problem;
  Progress progress("verifying", head.size);
  auto bad = [&](std::uint64_t seq, const std::string& rule, const std::string& what) {
    problem = Status::Corruption(rule, "event " + std::to_string(seq) + ": " + what);
    return false;
  };
  Status scan = (*store)->ScanRaw(0, head.size, [&](std::uint64_t seq, ByteView bytes) {
    if (seq != range.size()) return bad(range.size(), "verify.gap", "missing from the log");
    auto e = ledger::Decode<ledger::Envelope>(bytes);
    if (!e.ok()) return bad(seq, "verify.decode", "does not decode: " + e.status().message());
    if (e->sequence != seq) {
      return bad(seq, "verify.sequence", "carries sequence " + std::to_string(e->sequence));
    }
    const std::string& id = e->decision.decision.id;
    const crypto::Hash leaf = crypto::LeafHash(AsBytes(ledger::EntryBytes(*e)));
    if (leaf != e->leaf_hash) {
      return bad(seq, "verify.leaf_hash", "(decision " + id + ") stored leaf hash " +
                                              ToHex(e->leaf_hash) + " but its content hashes to " +
                                              ToHex(leaf));
    }
    if (Status s = ledger::VerifySignatures(e->decision, lookup); !s.ok()) {
      return bad(seq, "verify." + s.rule(), "(decision " + id + ") " + s.message());
    }
    range.Append(leaf, &unused);
    progress.Update(range.size());
    return true;
  });
  if (!problem.ok()) return Fail(problem);
  if (!scan.ok()) return Fail(scan);
  if (range.size() != head.size) {
    return Fail(Status::Corruption("verify.gap", "event " + std::to_string(range.size()) +
                                                     ": missing; the tree head covers " +
                                                     std::to_string(head.size)));
  }
  if (range.Root() != head.root) {
    return Fail(Status::Corruption("verify.root", "the events hash to root " +
                                                      ToHex(range.Root()) +
                                                      " but the signed tree head says " +
                                                      ToHex(head.root)));
  }
  auto stored_root = (*store)->Root(head.size);
  if (!stored_root.ok()) return Fail(stored_root.status());
  if (*stored_root != head.root) {
    return Fail(Status::Corruption("verify.nodes", "the stored Merkle nodes give root " +
                                                       ToHex(*stored_root) +
                                                       " but the signed tree head says " +
                                                       ToHex(head.root)));
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  PrintJson(Value(Value::Object{{"events", static_cast<std::int64_t>(head.size)},
                                {"root", ToHex(head.root)},
                                {"milliseconds", static_cast<std::int64_t>(seconds * 1000)},
                                {"verified", true}}),
            false);
  return kOk;
}

int Prove(const std::vector<std::string>& args) {
  po::options_description flags("flags");
  std::string dir, id;
  std::uint64_t seq = 0, size = 0, old_size = 0;
  AddDataFlag(flags, &dir);
  flags.add_options()("seq,s", po::value(&seq), "inclusion proof of this event")(
      "id", po::value(&id), "inclusion proof of this decision id")(
      "old", po::value(&old_size), "consistency proof from this tree size")(
      "size", po::value(&size), "tree size to prove against (default: the current head)");
  po::variables_map vm;
  int exit;
  if (!ParseFlags(args, "--data DIR (--seq N | --id ID | --old M) [--size N]", flags, nullptr,
                  &vm, &exit)) {
    return exit;
  }
  if (vm.count("seq") + vm.count("id") + vm.count("old") != 1) {
    return Usage("prove", "give exactly one of --seq, --id, --old");
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
      "Append signed decisions to a data directory offline, after checking every signature.",
      AppendVerb};
  Verbs()["show"] = {"Print one event as JSON.", Show};
  Verbs()["tail"] = {"Print the last events (or a range) as JSON Lines.", Tail};
  Verbs()["head"] = {"Print the latest signed tree head.", Head};
  Verbs()["verify"] = {
      "Re-check every event's signatures and hash, and the Merkle root against the signed "
      "tree head; names the first bad event.",
      VerifyVerb};
  Verbs()["prove"] = {"Print an inclusion or consistency proof, checked before it is printed.",
                      Prove};
  return true;
}();

}  // namespace
}  // namespace pl::ctl
