// replay and diff: the programme as it stood at any point, and what changed
// between two points.
#include <iomanip>
#include <iostream>

#include "cli.h"
#include "projections/programme.h"
#include "projections/views.h"

namespace pl::ctl {
namespace {

using ledger::Value;

// A point in the log: a sequence number (the state including that event), a
// date YYYY-MM-DD (everything recorded by the end of that day, UTC) or an
// RFC 3339 time. Returns the number of events in the state.
Result<std::uint64_t> ResolvePoint(const projections::Programme& programme,
                                   const std::string& point) {
  const bool digits = !point.empty() && point.find_first_not_of("0123456789") == std::string::npos;
  if (digits) {
    const std::uint64_t seq = std::stoull(point);
    const std::uint64_t size = programme.store().size();
    if (seq >= size) {
      return Status::Invalid("as_of.range", "the log has events 0 to " +
                                                std::to_string(size == 0 ? 0 : size - 1) +
                                                "; there is no event " + point);
    }
    return seq + 1;
  }
  auto t = ledger::ParseTimestamp(point.size() == 10 ? point + "T23:59:59.999Z" : point);
  if (!t.ok()) {
    return Status::Invalid("as_of.point", "\"" + point +
                                              "\" is neither a sequence number, a date YYYY-MM-DD "
                                              "nor an RFC 3339 time");
  }
  return programme.store().SizeAt(*t);
}

Result<std::unique_ptr<projections::Programme>> OpenForReading(const std::string& dir,
                                                               Progress* progress) {
  projections::ProgrammeOptions options;
  options.store.read_only = true;
  options.progress = [progress](std::uint64_t done, std::uint64_t total) {
    progress->Reset(total);
    progress->Update(done);
  };
  return projections::Programme::Open(dir, options);
}

void PrintCounts(const std::string& title, const Value* counts) {
  if (!counts || !counts->is_object()) return;
  std::cout << title << ":";
  for (const auto& [name, n] : counts->as_object()) {
    if (n.kind() == Value::Kind::kInt) std::cout << "  " << name << " " << n.as_int();
  }
  std::cout << "\n";
}

// The summary as a short report for people.
void PrintSummary(const Value& summary) {
  auto get = [&](std::initializer_list<const char*> path) {
    const Value* v = &summary;
    for (const char* p : path) {
      if (!v || !(v = v->find(p))) return static_cast<const Value*>(nullptr);
    }
    return v;
  };
  if (const Value* size = get({"size"})) std::cout << "events:        " << size->as_int() << "\n";
  if (const Value* at = get({"as_of"}); at && at->kind() == Value::Kind::kString) {
    std::cout << "as of:         " << at->as_string() << "\n";
  }
  if (const Value* v = get({"members"}); v && v->kind() == Value::Kind::kInt) {
    std::cout << "members:       " << v->as_int() << "\n";
  }
  for (const char* what : {"bodies", "officers", "policies", "projects", "partnerships"}) {
    if (const Value* v = get({what, "total"}); v && v->kind() == Value::Kind::kInt) {
      std::cout << std::left << std::setw(15) << (std::string(what) + ":") << v->as_int() << "\n";
    }
  }
  PrintCounts("keys", get({"keys", "by_status"}));
  PrintCounts("bodies by kind", get({"bodies", "by_kind"}));
  PrintCounts("projects by status", get({"projects", "by_status"}));
  PrintCounts("projects by area", get({"projects", "by_priority_area"}));
  PrintCounts("projects by mode", get({"projects", "by_mode"}));
  PrintCounts("partnerships by kind", get({"partnerships", "by_kind"}));
  PrintCounts("partnerships by status", get({"partnerships", "by_status"}));
  if (const Value* funding = get({"funding", "by_currency"}); funding && funding->is_object()) {
    std::cout << "funding (minor units):\n";
    for (const auto& [currency, totals] : funding->as_object()) {
      std::cout << "  " << currency;
      if (totals.is_object()) {
        for (const auto& [name, n] : totals.as_object()) {
          if (n.kind() == Value::Kind::kInt) std::cout << "  " << name << " " << n.as_int();
        }
      }
      std::cout << "\n";
    }
  }
}

int Replay(const std::vector<std::string>& args) {
  po::options_description flags("flags");
  std::string dir, until, format = "table";
  flags.add_options()("data,d", po::value(&dir)->required(), "the ledger's data directory")(
      "until,u", po::value(&until),
      "SEQ (including that event), DATE (YYYY-MM-DD, end of day) or RFC 3339 time; default: now")(
      "format,f", po::value(&format)->default_value("table"),
      "table, json (the summary) or state (every entity)");
  po::variables_map vm;
  int exit;
  if (!ParseFlags(args, "--data DIR [--until SEQ|DATE] [--format table|json|state]", flags, nullptr,
                  &vm, &exit)) {
    return exit;
  }
  if (format != "table" && format != "json" && format != "state") {
    return Usage("replay", "--format is table, json or state");
  }
  Progress progress("replaying", 0);
  auto programme = OpenForReading(dir, &progress);
  if (!programme.ok()) return Fail(programme.status());
  std::uint64_t size = (*programme)->store().size();
  if (!until.empty()) {
    auto resolved = ResolvePoint(**programme, until);
    if (!resolved.ok()) return Fail(resolved.status());
    size = *resolved;
  }
  auto state = (*programme)->AsOf(size);
  if (!state.ok()) return Fail(state.status());
  if (format == "state") {
    Value::Object out;
    auto add = [&](const char* name, const auto& map) {
      Value::Array items;
      for (const auto& [id, entity] : map) items.push_back(projections::ToValue(entity));
      out.emplace_back(name, Value(std::move(items)));
    };
    add("members", state->members);
    add("bodies", state->bodies);
    add("officers", state->officers);
    add("keys", state->keys);
    add("policies", state->policies);
    add("meetings", state->meetings);
    add("resolutions", state->resolutions);
    add("projects", state->projects);
    add("commitments", state->commitments);
    add("partnerships", state->partnerships);
    out.emplace_back("size", static_cast<std::int64_t>(state->size));
    PrintJson(Value(std::move(out)), false);
  } else if (format == "json") {
    PrintJson(projections::Summary(*state), true);
  } else {
    PrintSummary(projections::Summary(*state));
  }
  return kOk;
}

int DiffVerb(const std::vector<std::string>& args) {
  po::options_description flags("flags");
  std::string dir, from, to, format = "table";
  flags.add_options()("data,d", po::value(&dir)->required(), "the ledger's data directory")(
      "from", po::value(&from)->required(), "SEQ, DATE or time: the earlier point")(
      "to", po::value(&to)->required(), "SEQ, DATE or time: the later point")(
      "format,f", po::value(&format)->default_value("table"),
      "table (counts) or json (every change)");
  po::positional_options_description positional;
  positional.add("from", 1).add("to", 1);
  po::variables_map vm;
  int exit;
  if (!ParseFlags(args, "--data DIR FROM TO [--format table|json]", flags, &positional, &vm,
                  &exit)) {
    return exit;
  }
  if (format != "table" && format != "json") return Usage("diff", "--format is table or json");
  Progress progress("replaying", 0);
  auto programme = OpenForReading(dir, &progress);
  if (!programme.ok()) return Fail(programme.status());
  auto a = ResolvePoint(**programme, from);
  if (!a.ok()) return Fail(a.status());
  auto b = ResolvePoint(**programme, to);
  if (!b.ok()) return Fail(b.status());
  auto before = (*programme)->AsOf(*a);
  if (!before.ok()) return Fail(before.status());
  auto after = (*programme)->AsOf(*b);
  if (!after.ok()) return Fail(after.status());
  const Value diff = projections::Diff(*before, *after);
  if (format == "json") {
    PrintJson(diff, false);
    return kOk;
  }
  std::cout << "from " << *a << " events to " << *b << " events\n";
  std::cout << std::left << std::setw(14) << "collection" << std::right << std::setw(9) << "added"
            << std::setw(9) << "removed" << std::setw(9) << "changed"
            << "\n";
  if (const Value* counts = diff.find("counts"); counts && counts->is_object()) {
    for (const auto& [name, collection] : counts->as_object()) {
      auto n = [&c = collection](const char* k) {
        const Value* v = c.find(k);
        return v && v->kind() == Value::Kind::kInt ? v->as_int() : 0;
      };
      std::cout << std::left << std::setw(14) << name << std::right << std::setw(9) << n("added")
                << std::setw(9) << n("removed") << std::setw(9) << n("changed") << "\n";
    }
  }
  return kOk;
}

const bool registered = [] {
  Verbs()["replay"] = {
      "The programme as it stood at a sequence number or date (summary or every entity).", Replay};
  Verbs()["diff"] = {"What changed in the programme between two sequence numbers or dates.",
                     DiffVerb};
  return true;
}();

}  // namespace
}  // namespace pl::ctl
