#include "ledger/serialization.h"

#include <istream>
#include <sstream>

namespace pl::ledger {

namespace decode_bounds {
namespace {
struct Bounds {
  bool decoding = false;        // inside Decode on this thread
  std::uint64_t unclaimed = 0;  // input bytes no length has claimed yet
  unsigned depth = 0;
};
thread_local Bounds bounds;

// Bounds the lengths by the input's size for the duration of one Decode.
class Scope {
 public:
  explicit Scope(std::size_t bytes) : saved_(bounds) { bounds = {true, bytes, 0}; }
  ~Scope() { bounds = saved_; }
  Scope(const Scope&) = delete;
  Scope& operator=(const Scope&) = delete;

 private:
  Bounds saved_;
};
}  // namespace

void ClaimElements(std::uint64_t count) {
  if (!bounds.decoding) return;
  if (count > bounds.unclaimed) {
    throw std::runtime_error("a length of " + std::to_string(count) +
                             " exceeds the bytes left in the record");
  }
  bounds.unclaimed -= count;
}

ValueDepth::ValueDepth() {
  if (bounds.depth >= kMaxValueDepth) {
    throw std::runtime_error("values nested deeper than " + std::to_string(kMaxValueDepth));
  }
  ++bounds.depth;
}
ValueDepth::~ValueDepth() { --bounds.depth; }
}  // namespace decode_bounds

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
  decode_bounds::Scope scope(bytes.size());
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
