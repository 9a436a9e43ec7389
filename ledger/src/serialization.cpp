#include "ledger/serialization.h"

#include <algorithm>
#include <cstring>
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

namespace {

// Reads the stored form of an Envelope straight from its bytes (the LMDB
// page), without cereal's std::istream and per-type version bookkeeping:
// replay decodes every event of the log, and this is its hot path. It reads
// exactly what the cereal templates above write (portable binary: a byte 1
// for little-endian data, any other byte for byte-swapped data as cereal
// reads it; each class version once, before the first object of its class;
// lengths as u64; std::variant as an i32 index and the alternative; byte
// arrays as their bytes alone) and refuses what cereal's loader refuses,
// with the same bounds. tests/ledger_test.cpp decodes real and damaged
// records both ways and compares.
class EnvelopeReader {
 public:
  explicit EnvelopeReader(ByteView bytes) : at_(bytes.data()), end_(bytes.data() + bytes.size()) {}

  void Read(Envelope* e) {
    swap_ = Number<std::uint8_t>() != 1;
    Version("Envelope");
    e->sequence = Number<std::uint64_t>();
    e->recorded_at = Number<std::int64_t>();
    Version("SignedDecision");
    Version("Decision");
    Decision& d = e->decision.decision;
    String(&d.id);
    String(&d.type);
    String(&d.body);
    d.issued_at = Number<std::int64_t>();
    Version("Value");
    ReadValue(&d.payload, 1);
    auto& signatures = e->decision.signatures;
    // Each signature takes 96 bytes.
    const std::uint64_t count = Length(96);
    signatures.clear();
    if (count > 0) {
      Version("DecisionSignature");
      signatures.resize(count);
      for (DecisionSignature& s : signatures) {
        Bytes(s.key_id.data(), s.key_id.size());
        Bytes(s.signature.data(), s.signature.size());
      }
    }
    Bytes(e->leaf_hash.data(), e->leaf_hash.size());
  }

  bool at_end() const { return at_ == end_; }

 private:
  std::size_t Left() const { return static_cast<std::size_t>(end_ - at_); }

  // The refusals, out of line so that the reads around them stay small.
  [[noreturn]] [[gnu::noinline, gnu::cold]] void Missing(std::uint64_t wanted) const {
    throw std::runtime_error("Failed to read " + std::to_string(wanted) +
                             " bytes: " + std::to_string(Left()) + " left in the record");
  }
  [[noreturn]] [[gnu::noinline, gnu::cold]] static void TooLong(std::uint64_t n) {
    throw std::runtime_error("a length of " + std::to_string(n) +
                             " exceeds the bytes left in the record");
  }
  [[noreturn]] [[gnu::noinline, gnu::cold]] static void UnknownVersion(const char* type) {
    throw std::runtime_error(std::string(type) + ": unknown version");
  }

  void Bytes(std::uint8_t* out, std::size_t n) {
    if (n > Left()) Missing(n);
    std::memcpy(out, at_, n);
    at_ += n;
  }

  template <typename T>
  T Number() {
    if (sizeof(T) > Left()) Missing(sizeof(T));
    T value;
    std::memcpy(&value, at_, sizeof(T));
    at_ += sizeof(T);
    if constexpr (sizeof(T) > 1) {
      if (swap_) {
        auto* b = reinterpret_cast<std::uint8_t*>(&value);
        std::reverse(b, b + sizeof(T));
      }
    }
    return value;
  }

  void Version(const char* type) {
    if (Number<std::uint32_t>() != 1) UnknownVersion(type);
  }

  // A length, bounded like decode_bounds::ClaimElements: each of its elements
  // takes at least `element_bytes` of what is left.
  std::uint64_t Length(std::size_t element_bytes) {
    const std::uint64_t n = Number<std::uint64_t>();
    if (n > Left() || n * element_bytes > Left()) TooLong(n);  // n <= Left(): no overflow
    return n;
  }

  // Into *out's own storage, grown only when it is too small: the strings
  // of one event are overwritten by the next's (std::string::assign costs
  // several times as much for the few bytes of a name or an id).
  void String(std::string* out) {
    const std::uint64_t n = Length(1);
    const std::size_t had = out->size();
    const char* bytes = reinterpret_cast<const char*>(at_);
    if (n <= had) {
      std::memcpy(out->data(), bytes, n);
      out->resize(n);
    } else {
      std::memcpy(out->data(), bytes, had);
      out->append(bytes + had, n - had);
    }
    at_ += n;
  }

  // The alternative T of the variant, keeping what it holds when it already
  // holds a T: its storage is reused, its content is overwritten.
  template <typename T>
  static T& Reuse(Value::Variant& variant) {
    if (T* held = std::get_if<T>(&variant)) return *held;
    return variant.emplace<T>();
  }

  void ReadValue(Value* v, unsigned depth) {
    if (depth > decode_bounds::kMaxValueDepth) {
      throw std::runtime_error("values nested deeper than " +
                               std::to_string(decode_bounds::kMaxValueDepth));
    }
    Value::Variant& variant = v->variant();
    switch (Number<std::int32_t>()) {
      case 0:
        Reuse<std::monostate>(variant);
        return;
      case 1: {
        const std::uint8_t byte = Number<std::uint8_t>();
        if (byte > 1) throw std::runtime_error("a stored bool holds " + std::to_string(byte));
        Reuse<bool>(variant) = byte == 1;
        return;
      }
      case 2:
        Reuse<std::int64_t>(variant) = Number<std::int64_t>();
        return;
      case 3:
        String(&Reuse<std::string>(variant));
        return;
      case 4: {
        // Each element takes at least its 4-byte variant index.
        const std::uint64_t n = Length(4);
        auto& array = Reuse<Value::Array>(variant);
        array.resize(n);
        for (Value& item : array) ReadValue(&item, depth + 1);
        return;
      }
      case 5: {
        // Each member takes at least its key's length and its value's index.
        const std::uint64_t n = Length(12);
        auto& object = Reuse<Value::Object>(variant);
        object.resize(n);
        for (auto& [key, item] : object) {
          String(&key);
          ReadValue(&item, depth + 1);
        }
        return;
      }
      default:
        throw std::runtime_error("Invalid 'index' selector when deserializing std::variant");
    }
  }

  const std::uint8_t* at_;
  const std::uint8_t* end_;
  bool swap_ = false;
};

}  // namespace

Status DecodeEnvelopeInto(ByteView bytes, Envelope* envelope) {
  EnvelopeReader reader(bytes);
  try {
    reader.Read(envelope);
  } catch (const std::exception& ex) {
    return Status::Corruption("store.decode", ex.what());
  }
  if (!reader.at_end()) return Status::Corruption("store.decode", "extra bytes after the record");
  return Status::Ok();
}

namespace {

Result<Envelope> DecodeEnvelope(ByteView bytes) {
  Envelope e;
  if (Status s = DecodeEnvelopeInto(bytes, &e); !s.ok()) return s;
  return e;
}

template <typename T>
Result<T> DecodeThroughCereal(ByteView bytes) {
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

}  // namespace

template <typename T>
Result<T> Decode(ByteView bytes) {
  if constexpr (std::is_same_v<T, Envelope>) {
    return DecodeEnvelope(bytes);
  } else {
    return DecodeThroughCereal<T>(bytes);
  }
}

Result<Envelope> DecodeEnvelopeThroughCereal(ByteView bytes) {
  return DecodeThroughCereal<Envelope>(bytes);
}

template std::string Encode<Envelope>(const Envelope&);
template std::string Encode<TreeHead>(const TreeHead&);
template Result<Envelope> Decode<Envelope>(ByteView);
template Result<TreeHead> Decode<TreeHead>(ByteView);

}  // namespace pl::ledger
