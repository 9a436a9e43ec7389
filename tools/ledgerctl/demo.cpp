// demo: a new data directory holding the demo history (docs/demo.md),
// submitted through the rules like any other decisions.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <iostream>

#include "cli.h"
#include "demo_history.h"
#include "projections/programme.h"

namespace pl::ctl {
namespace {

using ledger::Value;

// Every current officer's keys as OFFICER_ID.key (mode 0600) and .pub, and
// officers.json listing who holds which role and key.
Status WriteKeys(const std::string& dir, const std::vector<DemoOfficer>& officers) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Status::IoError("keys.write", "cannot create \"" + dir + "\": " + ec.message());
  Value::Array list;
  for (const DemoOfficer& o : officers) {
    const std::string prefix = (fs::path(dir) / o.officer_id).string();
    if (Status s = o.key.Save(prefix + ".key"); !s.ok()) return s;
    if (Status s = o.key.public_key().Save(prefix + ".pub"); !s.ok()) return s;
    list.emplace_back(Value::Object{{"officer_id", o.officer_id},
                                    {"body_id", o.body_id},
                                    {"role", o.role},
                                    {"key_id", o.key.public_key().key_id()}});
  }
  const std::string path = (fs::path(dir) / "officers.json").string();
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << ledger::PrettyJson(Value(std::move(list))) << "\n";
  if (!out) return Status::IoError("keys.write", "cannot write \"" + path + "\"");
  return Status::Ok();
}

int Demo(const std::vector<std::string>& args) {
  po::options_description flags("flags");
  std::string dir, keys_out;
  std::uint64_t events = 5000, seed = 2012;
  std::size_t batch_size = 1000;
  flags.add_options()("data,d", po::value(&dir)->required(),
                      "the data directory to create (must not hold a log)")(
      "events,n", po::value(&events)->default_value(5000), "decisions in the history")(
      "seed", po::value(&seed)->default_value(2012), "the history follows from this seed")(
      "keys-out", po::value(&keys_out),
      "write the officers' current keys here (OFFICER_ID.key/.pub, officers.json)")(
      "batch,b", po::value(&batch_size)->default_value(1000),
      "decisions generated ahead at a time (each day's decisions are one commit)");
  po::variables_map vm;
  int exit;
  if (!ParseFlags(args, "--data DIR [--events N] [--seed S] [--keys-out DIR] [--batch N]", flags,
                  nullptr, &vm, &exit)) {
    return exit;
  }
  if (events == 0) return Usage("demo", "--events must be at least 1");
  if (batch_size == 0) return Usage("demo", "--batch must be at least 1");
  std::error_code ec;
  if (std::filesystem::exists(std::filesystem::path(dir) / "data.mdb", ec)) {
    return Fail(Status::Conflict("demo.exists", "\"" + dir + "\" already holds a log"));
  }

  const auto start = std::chrono::steady_clock::now();
  projections::ProgrammeOptions options;
  options.store.create_if_missing = true;
  // A crash during the import loses at most its tail; rerun it on a fresh
  // directory. Durability matters for the live decisions that follow.
  options.store.sync = false;
  auto programme = projections::Programme::Open(dir, options);
  if (!programme.ok()) return Fail(programme.status());

  DemoHistory history(DemoOptions{seed, events});
  Progress progress("demo", history.size());
  std::vector<ledger::SignedDecision> batch, next;
  history.Next(&batch, batch_size);
  ledger::TreeHead head = (*programme)->store().head();
  std::uint64_t submitted = 0;
  while (!batch.empty()) {
    // The next batch is generated (and signed) on another core while this
    // one is checked and written; only that task touches the history.
    auto generating = std::async(std::launch::async, [&history, &next, batch_size] {
      next.clear();
      history.Next(&next, batch_size);
    });
    // A historical import: each day's decisions are one commit, recorded when
    // the day's last one was issued, so the log as of any date is the
    // programme as it stood then.
    constexpr ledger::Timestamp kDay = 86400000;
    for (std::size_t from = 0, to = 0; from < batch.size(); from = to) {
      const ledger::Timestamp day = batch[from].decision.issued_at / kDay;
      while (to < batch.size() && batch[to].decision.issued_at / kDay == day) ++to;
      const auto chunk = std::span(batch).subspan(from, to - from);
      auto result =
          (*programme)->Submit(chunk, /*all_or_nothing=*/true, chunk.back().decision.issued_at);
      if (!result.ok()) {
        generating.get();
        return Fail(result.status());
      }
      for (std::size_t i = 0; i < chunk.size(); ++i) {
        const Status& s = result->decisions[i].status;
        if (s.ok() || s.rule() == "batch.refused") continue;
        generating.get();
        // The generator and the rules disagree: a bug in one of them.
        std::cerr << "ledgerctl: demo decision " << chunk[i].decision.id << " ("
                  << chunk[i].decision.type << ") refused: " << s.ToString() << "\n";
        return kRefused;
      }
      head = result->head;
    }
    generating.get();
    submitted += batch.size();
    progress.Update(submitted);
    std::swap(batch, next);
  }
  if (!keys_out.empty()) {
    if (Status s = WriteKeys(keys_out, history.Officers()); !s.ok()) return Fail(s);
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  PrintJson(Value(Value::Object{{"events", static_cast<std::int64_t>(submitted)},
                                {"size", static_cast<std::int64_t>(head.size)},
                                {"root", ToHex(head.root)},
                                {"seconds", static_cast<std::int64_t>(seconds + 0.5)},
                                {"milliseconds", static_cast<std::int64_t>(seconds * 1000)}}),
            false);
  return kOk;
}

const bool registered = [] {
  Verbs()["demo"] = {
      "Create a data directory holding a realistic, deterministic demo history of the "
      "programme (2012-2026), optionally with the officers' keys for signing live decisions.",
      Demo};
  return true;
}();

}  // namespace
}  // namespace pl::ctl
