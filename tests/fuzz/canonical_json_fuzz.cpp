// The canonical encoder and decoder: any text the parser accepts has a
// canonical form that parses back to the same Value, and is its own
// canonical form (ParseJson -> CanonicalJson -> ParseJson -> CanonicalJson).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "ledger/value.h"

using namespace pl;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto value = ledger::ParseJson(text);
  if (!value.ok()) {
    if (value.status().rule().empty()) std::abort();
    return 0;
  }
  const std::string canonical = ledger::CanonicalJson(*value);
  // Parsed again with room for exactly its size: the property is about the
  // encoding, not the size limit.
  ledger::JsonLimits limits;
  limits.max_bytes = canonical.size() + 1;
  auto again = ledger::ParseJson(canonical, limits);
  if (!again.ok()) std::abort();
  if (!(*again == *value)) std::abort();
  if (ledger::CanonicalJson(*again) != canonical) std::abort();
  return 0;
}
