// The JSON decision decoder: any text either is refused with a Status or
// decodes to a decision that re-reads to itself from its own JSON form.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "ledger/decision.h"

using namespace pl;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto value = ledger::ParseJson(text);
  if (!value.ok()) return 0;
  auto decision = ledger::SignedDecisionFromValue(*value);
  if (!decision.ok()) {
    if (decision.status().rule().empty()) std::abort();  // every refusal names its rule
    return 0;
  }
  // An accepted decision has a well-formed shape, signing bytes, and a JSON
  // form that decodes to the same decision.
  if (!ledger::CheckShape(decision->decision).ok()) std::abort();
  (void)ledger::SigningBytes(decision->decision);
  auto again = ledger::SignedDecisionFromValue(ledger::ToValue(*decision));
  if (!again.ok() || !(*again == *decision)) std::abort();
  return 0;
}
