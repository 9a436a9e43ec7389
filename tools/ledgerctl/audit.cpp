// The audit verb: events by subject, body, signer, type and issued_at time,
// newest first, a page at a time, from the store's indexes.
#include <algorithm>
#include <iostream>
#include <tuple>

#include "cli.h"
#include "remote.h"

namespace pl::ctl {
namespace {

using ledger::Value;

constexpr char kUsage[] =
    "(--data DIR | --url URL [--proofs]) [--subject ID] [--body BODY] [--signer KEY_ID] "
    "[--type TYPE | --type FAMILY.*] [--from TIME] [--to TIME] [--before SEQ] [--limit N] "
    "[--format table|json]";

// Aligned columns for people: seq, issued_at, type, body, signers (the first
// 8 hex digits of each key id), authority ("-" when none).
void PrintTable(const ledger::AuditPage& page) {
  std::vector<std::vector<std::string>> rows = {
      {"seq", "issued_at", "type", "body", "signers", "authority"}};
  for (const auto& entry : page.events) {
    const ledger::Decision& d = entry.event.decision.decision;
    std::string signers;
    for (const auto& s : entry.event.decision.signatures) {
      if (!signers.empty()) signers += ",";
      signers += ToHex(s.key_id).substr(0, 8);
    }
    rows.push_back({std::to_string(entry.event.sequence), ledger::FormatTimestamp(d.issued_at),
                    d.type, d.body, signers.empty() ? "-" : signers,
                    entry.authority.empty() ? "-" : entry.authority});
  }
  std::vector<std::size_t> widths(rows[0].size(), 0);
  for (const auto& row : rows) {
    for (std::size_t c = 0; c < row.size(); ++c) widths[c] = std::max(widths[c], row[c].size());
  }
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t c = 0; c < row.size(); ++c) {
      line += row[c];
      if (c + 1 < row.size()) line += std::string(widths[c] - row[c].size() + 2, ' ');
    }
    std::cout << line << "\n";
  }
}

int Audit(const std::vector<std::string>& args) {
  po::options_description flags("flags");
  std::string dir, subject, body, signer, type, from, to, format = "table";
  std::uint64_t before = 0;
  std::size_t limit = 20;
  RemoteFlags remote;
  flags.add_options()("data,d", po::value(&dir), "the ledger's data directory")(
      "subject", po::value(&subject), "events filed under this subject id")(
      "body", po::value(&body), "events decided by this body")(
      "signer", po::value(&signer), "events signed by this key id (64 hex digits)")(
      "type", po::value(&type), "events of this type, or of a family: project.*")(
      "from", po::value(&from), "issued at or after this time (2012-03-01T09:00:00Z)")(
      "to", po::value(&to), "issued before this time")(
      "before", po::value(&before),
      "events before this sequence (the previous page's next_before)")(
      "limit,n", po::value(&limit)->default_value(20), "events per page, at most 1000")(
      "format", po::value(&format)->default_value("table"),
      "table (aligned columns) or json (JSON Lines, then {\"next_before\": n|null})");
  AddRemoteFlags(flags, &remote, /*trust=*/true, /*optional_url=*/true);
  flags.add_options()("proofs",
                      "with --url: fetch each event's inclusion proof and check it against the "
                      "server's signed tree head");
  po::variables_map vm;
  int exit;
  if (!ParseFlags(args, kUsage, flags, nullptr, &vm, &exit)) return exit;
  if (format != "table" && format != "json") {
    return Usage("audit", "--format is table or json, not \"" + format + "\"");
  }
  if (limit == 0 || limit > 1000) return Usage("audit", "--limit is 1 to 1000");
  if (vm.count("data") == vm.count("url")) return Usage("audit", "give either --data or --url");
  if (vm.count("proofs") && !vm.count("url")) return Usage("audit", "--proofs is for --url");

  ledger::AuditQuery query;
  query.limit = limit;
  if (vm.count("subject")) query.subject = subject;
  if (vm.count("body")) query.body = body;
  if (vm.count("type")) query.type = type;
  if (vm.count("before")) query.before = before;
  if (vm.count("signer")) {
    auto raw = FromHex(signer);
    if (!raw || raw->size() != crypto::Hash().size()) {
      return Usage("audit", "--signer is a key id of 64 hex digits");
    }
    query.signer.emplace();
    std::copy(raw->begin(), raw->end(), query.signer->begin());
  }
  for (auto [flag, text, out] :
       {std::tuple{"from", &from, &query.issued_from}, std::tuple{"to", &to, &query.issued_to}}) {
    if (!vm.count(flag)) continue;
    auto t = ledger::ParseTimestamp(*text);
    if (!t.ok()) return Usage("audit", std::string("--") + flag + ": " + t.status().message());
    *out = *t;
  }

  Result<RemoteAuditPage> fetched = RemoteAuditPage{};
  if (vm.count("url")) {
    fetched = RemoteAudit(remote, query, vm.count("proofs") > 0);
  } else {
    auto store = OpenStore(dir, true);
    if (!store.ok()) return Fail(store.status());
    auto local = (*store)->Audit(query);
    if (!local.ok()) return Fail(local.status());
    fetched->page = std::move(*local);
  }
  if (!fetched.ok()) return Fail(fetched.status());
  const ledger::AuditPage* page = &fetched->page;
  if (format == "json") {
    // With --proofs, each line also carries its (checked) proof and the last
    // line the tree head they were checked against.
    for (std::size_t i = 0; i < page->events.size(); ++i) {
      const auto& entry = page->events[i];
      Value::Object line{{"event", ledger::ToValue(entry.event)}, {"authority", entry.authority}};
      if (i < fetched->proofs.size()) {
        Value::Array proof;
        for (const auto& h : fetched->proofs[i]) proof.emplace_back(ToHex(h));
        line.emplace_back("proof", Value(std::move(proof)));
      }
      PrintJson(Value(std::move(line)), false);
    }
    Value::Object last{{"next_before", page->next_before
                                           ? Value(static_cast<std::int64_t>(*page->next_before))
                                           : Value(nullptr)}};
    if (fetched->head) last.emplace_back("tree_head", ledger::ToValue(*fetched->head));
    PrintJson(Value(std::move(last)), false);
  } else {
    PrintTable(*page);
    if (fetched->head) {
      std::cerr << "inclusion proofs of " << page->events.size()
                << " events checked against the signed tree head of size " << fetched->head->size
                << "\n";
    }
    if (page->next_before) {
      std::cerr << "more: ledgerctl audit ... --before " << *page->next_before << "\n";
    }
  }
  return kOk;
}

const bool registered = [] {
  Verbs()["audit"] = {
      "List events by subject, body, signer, type (or family) and issued_at time, newest "
      "first, a page at a time.",
      Audit};
  return true;
}();

}  // namespace
}  // namespace pl::ctl
