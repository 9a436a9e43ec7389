#include "ledger/serialization.h"

#include <istream>
#include <sstream>
#include <streambuf>

namespace pl::ledger {

namespace {

// Reads straight from a byte range without copying it.
class ViewBuf : public std::streambuf {
 public:
  explicit ViewBuf(ByteView bytes) {
    char* p = const_cast<char*>(reinterpret_cast<const char*>(bytes.data()));
    setg(p, p, p + bytes.size());
  }
  bool at_end() const { return gptr() == egptr(); }
};

}  // namespace

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
  ViewBuf buf(bytes);
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
