// cereal serialization of the ledger's types, and the stored form of an
// envelope (cereal portable binary). Every type carries a cereal class
// version; a loader refuses any version but the one it writes (a stored
// record is read back only as it was written, so a changed version byte is
// corruption, caught as such).
//
// Include only where stored bytes are read or written (the store,
// projection checkpoints): cereal stays out of the other headers.
#pragma once

#include <cereal/archives/portable_binary.hpp>
#include <cereal/cereal.hpp>
#include <cereal/types/array.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/utility.hpp>
#include <cereal/types/variant.hpp>
#include <cereal/types/vector.hpp>
#include <stdexcept>
#include <streambuf>
#include <string>

#include "ledger/envelope.h"

namespace pl::ledger {

// Stored bytes may be corrupt, so decoding them is bounded: a corrupt length
// or nesting fails as "store.decode" instead of allocating what the length
// claims or recursing without end.
namespace decode_bounds {
// Values nest at most this deep in stored bytes (decisions are parsed with
// far smaller JSON depth limits).
inline constexpr unsigned kMaxValueDepth = 64;
// Called with every length read while Decode runs on this thread: each
// element of a string or container takes at least one input byte, so the
// lengths read from n bytes add up to at most n. Throws beyond that.
void ClaimElements(std::uint64_t count);
// Held while a Value is loaded; throws beyond kMaxValueDepth.
class ValueDepth {
 public:
  ValueDepth();
  ~ValueDepth();
  ValueDepth(const ValueDepth&) = delete;
  ValueDepth& operator=(const ValueDepth&) = delete;
};
}  // namespace decode_bounds

template <class Archive>
void serialize(Archive& ar, Value& v, std::uint32_t const version) {
  if (version != 1) throw std::runtime_error("Value: unknown version");
  if constexpr (Archive::is_loading::value) {
    decode_bounds::ValueDepth depth;
    ar(v.variant());
  } else {
    ar(v.variant());
  }
}

template <class Archive>
void serialize(Archive& ar, Decision& d, std::uint32_t const version) {
  if (version != 1) throw std::runtime_error("Decision: unknown version");
  ar(d.id, d.type, d.body, d.issued_at, d.payload);
}

template <class Archive>
void serialize(Archive& ar, DecisionSignature& s, std::uint32_t const version) {
  if (version != 1) throw std::runtime_error("DecisionSignature: unknown version");
  ar(s.key_id, s.signature);
}

template <class Archive>
void serialize(Archive& ar, SignedDecision& d, std::uint32_t const version) {
  if (version != 1) throw std::runtime_error("SignedDecision: unknown version");
  ar(d.decision, d.signatures);
}

template <class Archive>
void serialize(Archive& ar, Envelope& e, std::uint32_t const version) {
  if (version != 1) throw std::runtime_error("Envelope: unknown version");
  ar(e.sequence, e.recorded_at, e.decision, e.leaf_hash);
}

template <class Archive>
void serialize(Archive& ar, TreeHead& h, std::uint32_t const version) {
  if (version != 1) throw std::runtime_error("TreeHead: unknown version");
  ar(h.size, h.root, h.timestamp, h.key_id, h.signature);
}

// A read-only std::streambuf over bytes it does not own, so cereal can decode
// straight from an LMDB page without a copy. The bytes must outlive it.
class ByteViewStreambuf : public std::streambuf {
 public:
  explicit ByteViewStreambuf(ByteView bytes) {
    char* p = const_cast<char*>(reinterpret_cast<const char*>(bytes.data()));
    setg(p, p, p + bytes.size());
  }
  bool at_end() const { return gptr() == egptr(); }
};

// Encodes with cereal's portable binary archive.
template <typename T>
std::string Encode(const T& value);
// Decodes bytes written by Encode; Corruption ("store.decode") if they are
// malformed, of an unknown version, or followed by extra bytes.
//
// Decode<Envelope> reads the bytes directly, without cereal's stream (it is
// replay's hot path); DecodeEnvelopeThroughCereal is the same through
// cereal's own loader, the reference it is tested against: both accept the
// same bytes and decode them to the same envelope.
template <typename T>
Result<T> Decode(ByteView bytes);
Result<Envelope> DecodeEnvelopeThroughCereal(ByteView bytes);
// Decode<Envelope> into *envelope, reusing the storage of what it held (its
// strings, payload and signatures), which saves most allocations when many
// events are decoded in turn. On an error *envelope holds a part of the
// record and is to be overwritten, not used.
Status DecodeEnvelopeInto(ByteView bytes, Envelope* envelope);

}  // namespace pl::ledger

namespace cereal {
// Every length cereal reads (strings, vectors) passes the decode bound before
// anything is allocated for it. More specialized than the portable binary
// archive's own SizeTag serializer, which the output archive still uses.
inline void serialize(PortableBinaryInputArchive& ar, SizeTag<size_type&>& tag) {
  ar(tag.size);
  pl::ledger::decode_bounds::ClaimElements(tag.size);
}
// A stored bool is the byte 0 or 1; any other byte is corruption (read into
// a bool it would be undefined, and a changed byte could pass unnoticed).
inline void CEREAL_LOAD_FUNCTION_NAME(PortableBinaryInputArchive& ar, bool& value) {
  std::uint8_t byte = 0;
  ar(byte);
  if (byte > 1) throw std::runtime_error("a stored bool holds " + std::to_string(byte));
  value = byte == 1;
}
}  // namespace cereal

CEREAL_CLASS_VERSION(pl::ledger::Value, 1)
CEREAL_CLASS_VERSION(pl::ledger::Decision, 1)
CEREAL_CLASS_VERSION(pl::ledger::DecisionSignature, 1)
CEREAL_CLASS_VERSION(pl::ledger::SignedDecision, 1)
CEREAL_CLASS_VERSION(pl::ledger::Envelope, 1)
CEREAL_CLASS_VERSION(pl::ledger::TreeHead, 1)
