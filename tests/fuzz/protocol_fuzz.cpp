// The WebSocket message handler: arbitrary request text, parsed as a
// ledgerd session parses a text frame (ParseJson with the session's depth
// limit and the default 1 MiB message limit), then handled by the Protocol
// over a real Programme (a temporary LMDB data directory with a small
// history, opened once per process) with the real Writer and Hub, as
// ledgerd runs them. Every request gets exactly one well-formed response.
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <memory>
#include <string>
#include <string_view>

#include "api/server.h"
#include "hub.h"
#include "programme_fixture.h"
#include "projections/programme.h"
#include "protocol.h"
#include "writer.h"

using namespace pl;
using ledger::Value;

namespace {

// The session's nesting limit (websocket_session.cpp, docs/api.md).
constexpr unsigned kMaxDepth = 16;
// 2013-01-01T00:00:00Z, and a day.
constexpr ledger::Timestamp kStart = 1356998400000, kDay = 24 * 3600 * 1000;

struct Ledger {
  std::filesystem::path dir;
  test::Officers officers;
  std::unique_ptr<projections::Programme> programme;
  std::unique_ptr<api::Hub> hub;
  std::unique_ptr<api::Writer> writer;
  std::unique_ptr<api::Protocol> protocol;

  Ledger() {
    dir =
        std::filesystem::temp_directory_path() / ("pl-fuzz-protocol-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    projections::ProgrammeOptions options;
    options.store.create_if_missing = true;
    options.store.sync = false;
    auto p = projections::Programme::Open(dir.string(), options);
    if (!p.ok()) std::abort();
    programme = std::move(*p);
    hub = std::make_unique<api::Hub>(*programme);
    writer = std::make_unique<api::Writer>(*programme, *hub, 1000);
    protocol = std::make_unique<api::Protocol>(*programme, *writer);
    History();
  }

  // Genesis, P-1 and P-2 proposed, P-1 approved and funded (C-1).
  void History() {
    int day = 0;
    auto make = [&](const std::string& id, const std::string& type, const std::string& body,
                    Value::Object payload, std::initializer_list<const char*> signers) {
      ledger::SignedDecision d;
      d.decision = {id, type, body, kStart + kDay * day++, Value(std::move(payload))};
      for (const char* o : signers) ledger::Sign(&d, officers[o]);
      return d;
    };
    const ledger::SignedDecision history[] = {
        make("jc-genesis", "governance.genesis", "joint-committee", test::GenesisPayload(officers),
             {"jc-cn", "jc-asean"}),
        make("sec-p1", "project.proposed", "secretariat", test::Proposal("P-1"), {"sec-head"}),
        make("sec-p2", "project.proposed", "secretariat", test::Proposal("P-2", 200000000, "VN"),
             {"sec-head"}),
        make("jc-a1", "project.approved", "joint-committee",
             {{"budget", test::MoneyValue(90000000)}, {"project_id", "P-1"}},
             {"jc-cn", "jc-asean"}),
        make("sec-c1", "funding.committed", "secretariat",
             {{"amount", 50000000},
              {"commitment_id", "C-1"},
              {"currency", "CNY"},
              {"party", "CN"},
              {"project_id", "P-1"},
              {"source", "cn_government"},
              {"year", 2013}},
             {"sec-head"})};
    auto result = programme->Submit(history, true);
    if (!result.ok()) std::abort();
    for (const auto& d : result->decisions) {
      if (!d.status.ok()) std::abort();
    }
  }
};

// Never destroyed: closing a Programme writes a checkpoint, which hashes, and
// at exit the main thread's hashing context (a thread_local) is gone before
// any static is destroyed. At exit the writer stops and the data directory is
// removed; the process ends with the environment still open.
Ledger& TheLedger() {
  static Ledger* const ledger = [] {
    auto* l = new Ledger;
    std::atexit([] {
      TheLedger().writer->Stop();
      std::filesystem::remove_all(TheLedger().dir);
    });
    return l;
  }();
  return *ledger;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Ledger& l = TheLedger();
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto request = ledger::ParseJson(text, {kMaxDepth, api::ServerOptions{}.max_message_bytes});
  if (!request.ok()) return 0;  // the session answers request.json itself
  std::promise<Value> answer;
  auto future = answer.get_future();
  int calls = 0;
  l.protocol->Handle(*request, [&](Value response) {
    if (calls++ == 0) answer.set_value(std::move(response));
  });
  // Reads answer at once; a submit answers from the writer thread.
  if (future.wait_for(std::chrono::seconds(60)) != std::future_status::ready) std::abort();
  const Value response = future.get();
  const Value* ok = response.find("ok");
  if (!ok || ok->kind() != Value::Kind::kBool || !response.find("id")) std::abort();
  if (ok->as_bool() ? !response.find("result") : !response.find("error")) std::abort();
  // The response is sent as canonical JSON, which must parse back.
  ledger::JsonLimits unlimited{64, std::size_t{1} << 30};
  if (!ledger::ParseJson(ledger::CanonicalJson(response), unlimited).ok()) std::abort();
  return 0;
}
