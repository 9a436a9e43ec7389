#include "ledger/serialization.h"

#include <istream>
#include <sstream>

namespace pl::ledger {

template <typename T>
std::string Encode(const T& value) {
  std::ostringstream out(std::ios::binary);
  {
    cereal::PortableBinaryOutputArchive ar(out);
    ar(value);
  }
  return std::move(out).str();
}

template <typename T>
Result<T> Decode(ByteView bytes) {
  ByteViewStreambuf buf(bytes);
  std::istream in(&buf);
  T value;
  try {
    cereal::PortableBinaryInputArchive ar(in);
    ar(value);
  } catch (const std::exception& e) {
    return Status::Corruption("store.decode", e.what());
  }
  if (!buf.at_end()) return Status::Corruption("store.decode", "extra bytes after the record");
  return value;
}

template std::string Encode<Envelope>(const Envelope&);
template std::string Encode<TreeHead>(const TreeHead&);
template Result<Envelope> Decode<Envelope>(ByteView);
template Result<TreeHead> Decode<TreeHead>(ByteView);

}  // namespace pl::ledger
