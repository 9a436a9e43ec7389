// export: the log as CloudEvents JSON Lines, as a self-checking bundle, or
// the programme's projects as IATI activities (export_format.h,
// docs/ledgerctl.md).
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>

#include "cli.h"
#include "export_format.h"
#include "iati.h"
#include "projections/programme.h"

namespace pl::ctl {
namespace {

using ledger::Value;

struct Selection {
  std::uint64_t from = 0;
  std::uint64_t to = 0;  // inclusive
  std::optional<std::string> subject;
  bool partial = false;  // not the whole log: every event carries its proof
};

// The sequences of the selection, ascending.
Result<std::vector<std::uint64_t>> SelectedSequences(const ledger::Store& store,
                                                     const Selection& sel) {
  std::vector<std::uint64_t> out;
  if (!sel.subject) {
    for (std::uint64_t s = sel.from; s <= sel.to; ++s) out.push_back(s);
    return out;
  }
  ledger::AuditQuery q;
  q.subject = sel.subject;
  q.before = sel.to + 1;
  q.limit = 1000;
  for (;;) {
    auto page = store.Audit(q);
    if (!page.ok()) return page.status();
    bool done = !page->next_before;
    for (const auto& entry : page->events) {
      if (entry.event.sequence < sel.from) {
        done = true;
        break;
      }
      out.push_back(entry.event.sequence);
    }
    if (done) break;
    q.before = page->next_before;
  }
  std::reverse(out.begin(), out.end());
  return out;
}

// Where the output goes: standard output, or FILE (removed again if the
// export fails, so a failed export leaves no file that looks complete).
class Output {
 public:
  explicit Output(const std::string& path) : path_(path) {
    if (path_ != "-") file_.open(path_, std::ios::binary | std::ios::trunc);
  }
  ~Output() {
    if (path_ != "-" && !committed_) {
      file_.close();
      std::error_code ec;
      std::filesystem::remove(path_, ec);
    }
  }
  bool ok() const { return path_ == "-" || file_.good(); }
  std::ostream& stream() { return path_ == "-" ? std::cout : file_; }
  Status Commit() {
    stream().flush();
    if (path_ != "-") file_.close();
    if (!stream().good() || (path_ != "-" && file_.fail())) {
      return Status::IoError("export.write", "cannot write \"" + path_ + "\"");
    }
    committed_ = true;
    return Status::Ok();
  }

 private:
  std::string path_;
  std::ofstream file_;
  bool committed_ = false;
};

Status WriteLines(const ledger::Store& store, const ledger::TreeHead& head, const Selection& sel,
                  std::ostream& out) {
  const std::string source = LogSource(store.log_key());
  auto write = [&](const ledger::Envelope& e) -> Status {
    std::vector<crypto::Hash> proof;
    if (sel.partial) {
      auto p = store.InclusionProof(e.sequence, head.size);
      if (!p.ok()) return p.status();
      proof = std::move(*p);
    }
    out << ledger::CanonicalJson(ToCloudEvent(e, source, sel.partial ? &proof : nullptr)) << "\n";
    return Status::Ok();
  };
  if (!sel.subject) {
    Status failed;
    Status s = store.Scan(sel.from, sel.to + 1, [&](const ledger::Envelope& e) {
      failed = write(e);
      return failed.ok();
    });
    if (!s.ok()) return s;
    if (!failed.ok()) return failed;
  } else {
    auto seqs = SelectedSequences(store, sel);
    if (!seqs.ok()) return seqs.status();
    for (std::uint64_t seq : *seqs) {
      auto e = store.Read(seq);
      if (!e.ok()) return e.status();
      if (Status s = write(*e); !s.ok()) return s;
    }
  }
  out << ledger::CanonicalJson(ToCloudEvent(head, store.log_key(), source)) << "\n";
  return Status::Ok();
}

Value KeyEntry(const projections::ProgrammeState& state, const projections::Key& k) {
  const projections::Officer& officer = state.officers.at(k.officer_id);
  auto seq_or_null = [](const std::optional<std::uint64_t>& s) {
    return s ? Value(static_cast<std::int64_t>(*s)) : Value();
  };
  return Value(Value::Object{
      {"key_id", k.key_id},
      {"public_key", ToBase64(k.public_key)},
      {"officer_id", k.officer_id},
      {"body_id", officer.body_id},
      {"role", officer.role},
      {"registered_seq", static_cast<std::int64_t>(k.registered_seq)},
      {"registered_at", ledger::FormatTimestamp(k.registered_at)},
      {"ended_seq", seq_or_null(k.ended_seq)},
      {"ended_at", k.ended_seq ? Value(ledger::FormatTimestamp(k.ended_at)) : Value()},
      {"officer_appointed_seq", static_cast<std::int64_t>(officer.appointed_seq)},
      {"officer_removed_seq", seq_or_null(officer.removed_seq)}});
}

// The bundle: the selection, the events that registered and ended every key
// that signed any event in it and that appointed and removed the key's
// officer (and, in turn, the keys that signed those), the
// keys, every inclusion proof against the head, and the optional consistency
// proof from the head of size old_size.
Status WriteBundle(const projections::Programme& programme, const ledger::TreeHead& head,
                   const Selection& sel, std::optional<std::uint64_t> old_size, std::ostream& out) {
  const ledger::Store& store = programme.store();
  auto state = programme.AsOf(head.size);
  if (!state.ok()) return state.status();
  auto seqs = SelectedSequences(store, sel);
  if (!seqs.ok()) return seqs.status();
  const std::set<std::uint64_t> chosen(seqs->begin(), seqs->end());

  std::map<std::uint64_t, ledger::Envelope> events;
  std::set<std::string> keys;
  std::vector<std::uint64_t> to_read(seqs->begin(), seqs->end());
  while (!to_read.empty()) {
    const std::uint64_t seq = to_read.back();
    to_read.pop_back();
    if (events.count(seq)) continue;
    auto e = store.Read(seq);
    if (!e.ok()) return e.status();
    for (const auto& sig : e->decision.signatures) {
      const std::string id = ToHex(sig.key_id);
      if (!keys.insert(id).second) continue;
      auto k = state->keys.find(id);
      if (k == state->keys.end()) {
        return Status::Corruption(
            "export.key", "key " + id + " of event " + std::to_string(seq) + " is not registered");
      }
      to_read.push_back(k->second.registered_seq);
      if (k->second.ended_seq && *k->second.ended_seq < head.size) {
        to_read.push_back(*k->second.ended_seq);
      }
      const projections::Officer& officer = state->officers.at(k->second.officer_id);
      to_read.push_back(officer.appointed_seq);
      if (officer.removed_seq && *officer.removed_seq < head.size) {
        to_read.push_back(*officer.removed_seq);
      }
    }
    events.emplace(seq, std::move(*e));
  }

  const std::string source = LogSource(store.log_key());
  Value::Array chosen_events, key_events, key_list;
  for (const auto& [seq, e] : events) {
    auto proof = store.InclusionProof(seq, head.size);
    if (!proof.ok()) return proof.status();
    (chosen.count(seq) ? chosen_events : key_events).push_back(ToCloudEvent(e, source, &*proof));
  }
  for (const std::string& id : keys) key_list.push_back(KeyEntry(*state, state->keys.at(id)));
  Value::Object bundle{
      {"format", std::string(kBundleFormat)},
      {"source", source},
      {"log_key", Value(Value::Object{{"key_id", store.log_key().key_id()},
                                      {"public_key", ToBase64(store.log_key().raw())}})},
      {"tree_head", ledger::ToValue(head)},
      {"events", Value(std::move(chosen_events))},
      {"key_events", Value(std::move(key_events))},
      {"keys", Value(std::move(key_list))}};
  if (old_size) {
    auto old_root = store.Root(*old_size);
    if (!old_root.ok()) return old_root.status();
    auto proof = store.ConsistencyProof(*old_size, head.size);
    if (!proof.ok()) return proof.status();
    Value::Array hashes;
    for (const auto& h : *proof) hashes.emplace_back(ToHex(h));
    Value::Object c{{"old_size", static_cast<std::int64_t>(*old_size)},
                    {"old_root", ToHex(*old_root)},
                    {"proof", Value(std::move(hashes))}};
    // The log signed a head of that size only if a commit ended there.
    if (auto old_head = store.HeadAt(*old_size); old_head.ok()) {
      c.emplace_back("old_tree_head", ledger::ToValue(*old_head));
    }
    bundle.emplace_back("consistency", Value(std::move(c)));
  }
  out << ledger::PrettyJson(Value(std::move(bundle))) << "\n";
  return Status::Ok();
}

int Export(const std::vector<std::string>& args) {
  po::options_description flags("flags");
  std::string dir, out_path = "-", format = "jsonl", subject;
  std::uint64_t from = 0, to = 0, old_size = 0;
  flags.add_options()("data,d", po::value(&dir)->required(), "the ledger's data directory")(
      "from", po::value(&from), "first sequence to export (default 0)")(
      "to", po::value(&to), "last sequence to export, inclusive (default: the last event)")(
      "subject", po::value(&subject), "only the events filed under this subject id")(
      "out,o", po::value(&out_path)->default_value("-"), "output file, - for stdout")(
      "format", po::value(&format)->default_value("jsonl"),
      "jsonl (CloudEvents JSON Lines) or iati (IATI 2.03 activities of the programme's projects)")(
      "bundle", "write one self-checking JSON bundle instead (ledgerctl verify --bundle)")(
      "old", po::value(&old_size), "with --bundle: add a consistency proof from this tree size");
  po::variables_map vm;
  int exit;
  if (!ParseFlags(args,
                  "--data DIR [--from SEQ] [--to SEQ] [--subject ID] [--format jsonl|iati] "
                  "[--bundle [--old SIZE]] [--out FILE|-]",
                  flags, nullptr, &vm, &exit)) {
    return exit;
  }
  if (format != "jsonl" && format != "iati") return Usage("export", "--format is jsonl or iati");
  const bool bundle = vm.count("bundle") > 0;
  if (bundle && format != "jsonl") return Usage("export", "--bundle writes its own format");
  if (vm.count("old") && !bundle) return Usage("export", "--old needs --bundle");

  // JSON Lines need only the log; a bundle (the keys' validity) and IATI (the
  // projects) need the programme state too, which owns the log's store then
  // (LMDB allows one open environment per process).
  std::unique_ptr<projections::Programme> programme;
  std::unique_ptr<ledger::Store> log;
  if (bundle || format == "iati") {
    projections::ProgrammeOptions options;
    options.store.read_only = true;
    auto opened = projections::Programme::Open(dir, options);
    if (!opened.ok()) return Fail(opened.status());
    programme = std::move(*opened);
  } else {
    auto opened = OpenStore(dir, true);
    if (!opened.ok()) return Fail(opened.status());
    log = std::move(*opened);
  }
  const ledger::Store& store = programme ? programme->store() : *log;
  const ledger::TreeHead head = store.head();

  Output out(out_path);
  if (!out.ok()) return Fail(Status::IoError("export.write", "cannot write \"" + out_path + "\""));

  if (format == "iati") {
    auto state = programme->AsOf(head.size);
    if (!state.ok()) return Fail(state.status());
    IatiOptions iati;
    iati.log = &store;
    iati.size = head.size;
    if (Status s = WriteIati(*state, iati, out.stream()); !s.ok()) return Fail(s);
    if (Status s = out.Commit(); !s.ok()) return Fail(s);
    return kOk;
  }

  if (head.size == 0) return Fail(Status::Invalid("export.empty", "the log has no events"));
  Selection sel;
  sel.from = from;
  sel.to = vm.count("to") ? to : head.size - 1;
  if (sel.from > sel.to || sel.to >= head.size) {
    return Fail(
        Status::Invalid("export.range", "the log has events 0 to " + std::to_string(head.size - 1) +
                                            "; --from " + std::to_string(sel.from) + " --to " +
                                            std::to_string(sel.to) + " is not a range of them"));
  }
  if (vm.count("subject")) sel.subject = subject;
  sel.partial = sel.from > 0 || sel.to + 1 < head.size || sel.subject.has_value();
  if (vm.count("old") && (old_size == 0 || old_size > head.size)) {
    return Fail(Status::Invalid("export.old_head", "--old must be between 1 and the log's size " +
                                                       std::to_string(head.size)));
  }

  Status s =
      bundle ? WriteBundle(*programme, head, sel,
                           vm.count("old") ? std::optional(old_size) : std::nullopt, out.stream())
             : WriteLines(store, head, sel, out.stream());
  if (!s.ok()) return Fail(s);
  if (Status c = out.Commit(); !c.ok()) return Fail(c);
  return kOk;
}

const bool registered = [] {
  Verbs()["export"] = {
      "Write the log (or a range, or a subject's events) as CloudEvents JSON Lines ending with "
      "the signed tree head, or as one offline-verifiable bundle, or the projects as IATI.",
      Export};
  return true;
}();

}  // namespace
}  // namespace pl::ctl
