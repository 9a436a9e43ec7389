// import: a new data directory rebuilt from a full JSON Lines export, every
// event re-checked on the way in (docs/ledgerctl.md). The export's tree head
// is checked, not copied: the new log signs its own heads with its own key.
#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <iostream>

#include "cli.h"
#include "export_format.h"
#include "projections/programme.h"

namespace pl::ctl {
namespace {

namespace fs = std::filesystem;
using ledger::Value;

// The same refusal, naming the line of the export it was found on.
Status AtLine(std::size_t line, const Status& s) {
  std::string message = "line " + std::to_string(line) + ": " + s.message();
  return s.code() == Status::Code::kIoError ? Status::IoError(s.rule(), std::move(message))
                                            : Status::Invalid(s.rule(), std::move(message));
}

struct Line {
  std::size_t number = 0;
  ExportedEvent event;
};

// Parses and checks the file alone: every event's bytes and leaf hash, the
// sequences 0, 1, 2, ... without gap or reordering, one source, and a last
// line holding a tree head that the log key it names signed, of exactly as
// many events as the file holds.
Status ReadExport(const std::string& text, std::vector<Line>* lines,
                  std::optional<ExportedHead>* head) {
  std::size_t number = 0, start = 0;
  std::optional<std::pair<std::size_t, Value>> last;
  std::string source;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    ++number;
    const std::string_view raw(text.data() + start, end - start);
    start = end + 1;
    if (raw.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    auto v = ledger::ParseJson(raw, ExportLineLimits());
    if (!v.ok()) return AtLine(number, v.status());
    if (last) {
      // The line before this one was not the last: it must be an event.
      if (IsTreeHeadEvent(last->second)) {
        return AtLine(last->first, Status::Invalid("import.shape",
                                                   "a tree head line before the end of the file"));
      }
      auto e = FromCloudEvent(last->second);
      if (!e.ok()) return AtLine(last->first, e.status());
      const std::uint64_t expected = lines->size();
      if (e->envelope.sequence != expected) {
        return AtLine(last->first,
                      Status::Invalid("import.sequence",
                                      "event " + std::to_string(e->envelope.sequence) +
                                          " where event " + std::to_string(expected) +
                                          " was expected: the export has a gap or is out of "
                                          "order"));
      }
      const Value* src = last->second.find("source");
      const std::string this_source =
          src && src->kind() == Value::Kind::kString ? src->as_string() : "";
      if (lines->empty()) source = this_source;
      if (this_source != source) {
        return AtLine(last->first, Status::Invalid("import.source", "event from \"" + this_source +
                                                                        "\" in an export of \"" +
                                                                        source + "\""));
      }
      lines->push_back(Line{last->first, std::move(*e)});
    }
    last.emplace(number, std::move(*v));
  }
  if (!last || !IsTreeHeadEvent(last->second)) {
    return Status::Invalid("import.no_head",
                           "the export does not end with a tree head line (type " +
                               std::string(kTreeHeadEventType) + ")");
  }
  auto h = FromTreeHeadEvent(last->second);
  if (!h.ok()) return AtLine(last->first, h.status());
  head->emplace(std::move(*h));
  const ExportedHead& exported = **head;
  if (!lines->empty() && source != LogSource(exported.log_key)) {
    return Status::Invalid("import.source", "the events are from \"" + source +
                                                "\" but the tree head is signed by log key " +
                                                exported.log_key.key_id());
  }
  if (lines->size() != exported.head.size) {
    return Status::Invalid("import.partial",
                           "the export holds " + std::to_string(lines->size()) +
                               " events but its tree head covers " +
                               std::to_string(exported.head.size) +
                               "; only a full export (no --from, --to or --subject) imports");
  }
  return Status::Ok();
}

// Submits the events through the rules, each run of events recorded at the
// same time as one commit stamped with that time, and checks that each lands
// at its exported sequence with its exported leaf hash, and that the new
// log's root is the exported head's.
Status Rebuild(const std::string& dir, const std::vector<Line>& lines, const ExportedHead& head,
               std::string* new_log_key_id) {
  projections::ProgrammeOptions options;
  options.store.create_if_missing = true;
  // The directory only becomes the destination once complete and fsynced.
  options.store.sync = false;
  auto programme = projections::Programme::Open(dir, options);
  if (!programme.ok()) return programme.status();
  Progress progress("importing", lines.size());
  std::vector<ledger::SignedDecision> batch;
  for (std::size_t from = 0; from < lines.size();) {
    std::size_t to = from;
    batch.clear();
    while (to < lines.size() && batch.size() < 1000 &&
           lines[to].event.envelope.recorded_at == lines[from].event.envelope.recorded_at) {
      batch.push_back(lines[to].event.envelope.decision);
      ++to;
    }
    auto result = (*programme)->Submit(batch, true, lines[from].event.envelope.recorded_at);
    if (!result.ok()) return result.status();
    for (std::size_t i = 0; i < batch.size(); ++i) {
      const Line& line = lines[from + i];
      const ledger::Envelope& e = line.event.envelope;
      const std::string what =
          "event " + std::to_string(e.sequence) + " (decision " + e.decision.decision.id + ")";
      const projections::Submitted& got = result->decisions[i];
      if (!got.status.ok() && got.status.rule() != "batch.refused") {
        return AtLine(line.number,
                      Status::Invalid(got.status.rule(), what + ": " + got.status.message()));
      }
    }
    for (std::size_t i = 0; i < batch.size(); ++i) {
      const Line& line = lines[from + i];
      const ledger::Envelope& e = line.event.envelope;
      const projections::Submitted& got = result->decisions[i];
      if (got.duplicate || got.sequence != e.sequence || got.leaf_hash != e.leaf_hash) {
        return AtLine(line.number,
                      Status::Invalid("import.sequence",
                                      "decision " + e.decision.decision.id +
                                          " was recorded as event " + std::to_string(got.sequence) +
                                          (got.duplicate ? " (a repeated id)" : "") +
                                          ", not as exported event " + std::to_string(e.sequence)));
      }
    }
    from = to;
    progress.Update(from);
  }
  const ledger::TreeHead rebuilt = (*programme)->store().head();
  if (rebuilt.size != head.head.size || rebuilt.root != head.head.root) {
    return Status::Invalid("import.root", "the rebuilt log of " + std::to_string(rebuilt.size) +
                                              " events has root " + ToHex(rebuilt.root) +
                                              ", not the exported tree head's " +
                                              ToHex(head.head.root));
  }
  *new_log_key_id = (*programme)->store().log_key().key_id();
  if (Status s = (*programme)->Checkpoint(); !s.ok()) return s;
  programme->reset();
  // The commits above were not flushed one by one; flush the whole file once.
  const std::string mdb = (fs::path(dir) / "data.mdb").string();
  const int fd = ::open(mdb.c_str(), O_RDONLY);
  const bool synced = fd >= 0 && ::fsync(fd) == 0;
  if (fd >= 0) ::close(fd);
  if (!synced) return Status::IoError("import.io", "cannot flush \"" + mdb + "\"");
  return Status::Ok();
}

int Import(const std::vector<std::string>& args) {
  po::options_description flags("flags");
  std::string dir, input, trusted_log_key;
  flags.add_options()("data,d", po::value(&dir)->required(),
                      "the data directory to create (absent or empty)")(
      "input,i", po::value(&input)->required(), "a full JSON Lines export, - for stdin")(
      "log-key-id", po::value(&trusted_log_key),
      "the original log's key id you trust (hex); an export signed by another is refused");
  po::positional_options_description positional;
  positional.add("input", 1);
  po::variables_map vm;
  int exit;
  if (!ParseFlags(args, "--data NEWDIR [--log-key-id HEX] FILE", flags, &positional, &vm, &exit))
    return exit;

  const fs::path target = fs::absolute(dir).lexically_normal();
  std::error_code ec;
  if (fs::exists(target, ec) && !(fs::is_directory(target, ec) && fs::is_empty(target, ec))) {
    return Fail(
        Status::Conflict("import.exists", "\"" + dir + "\" exists and is not an empty directory"));
  }
  auto text = ReadInput(input);
  if (!text.ok()) return Fail(text.status());
  std::vector<Line> lines;
  std::optional<ExportedHead> exported;
  if (Status s = ReadExport(*text, &lines, &exported); !s.ok()) return Fail(s);
  const ExportedHead& head = *exported;
  if (Status s = CheckTrustedLogKey(trusted_log_key, head.log_key.key_id()); !s.ok()) {
    return Fail(s);
  }

  // Built beside the destination and renamed into place when complete, so a
  // refusal or a crash never leaves a half-imported log at NEWDIR.
  const fs::path staging = target.parent_path() / ("." + target.filename().string() +
                                                   ".importing-" + std::to_string(::getpid()));
  fs::remove_all(staging, ec);
  std::string new_key_id;
  Status s = Rebuild(staging.string(), lines, head, &new_key_id);
  if (s.ok()) {
    if (fs::exists(target, ec)) fs::remove(target, ec);
    fs::rename(staging, target, ec);
    if (ec) {
      s = Status::IoError("import.io",
                          "cannot move the imported log to \"" + dir + "\": " + ec.message());
    }
  }
  if (!s.ok()) {
    fs::remove_all(staging, ec);
    return Fail(s);
  }
  PrintJson(Value(Value::Object{{"data", dir},
                                {"events", static_cast<std::int64_t>(lines.size())},
                                {"exported_log_key_id", head.log_key.key_id()},
                                {"log_key_id", new_key_id},
                                {"root", ToHex(head.head.root)},
                                {"verified", true}}),
            false);
  return kOk;
}

const bool registered = [] {
  Verbs()["import"] = {
      "Rebuild a new data directory from a full export, re-checking every byte, signature, "
      "rule and the exported tree head; nothing is left behind on refusal.",
      Import};
  return true;
}();

}  // namespace
}  // namespace pl::ctl
