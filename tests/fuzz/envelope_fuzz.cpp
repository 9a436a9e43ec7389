// The stored-form decoder (cereal portable binary, ledger/serialization.h):
// any bytes either fail to decode with "store.decode" or decode to a record
// that encodes and decodes back to itself. The first byte picks the record
// type: even an Envelope, odd a TreeHead.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "ledger/serialization.h"

using namespace pl;

namespace {

template <typename T>
void RoundTrip(ByteView bytes) {
  auto decoded = ledger::Decode<T>(bytes);
  if (!decoded.ok()) {
    if (decoded.status().rule() != "store.decode") std::abort();
    return;
  }
  const std::string encoded = ledger::Encode(*decoded);
  auto again = ledger::Decode<T>(AsBytes(encoded));
  if (!again.ok() || !(*again == *decoded)) std::abort();
  if (ledger::Encode(*again) != encoded) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const ByteView bytes(data + 1, size - 1);
  if (data[0] % 2 == 0) {
    RoundTrip<ledger::Envelope>(bytes);
  } else {
    RoundTrip<ledger::TreeHead>(bytes);
  }
  return 0;
}
