#include "checkpoint.h"

#include "ledger/serialization.h"

#include <algorithm>
#include <cereal/archives/portable_binary.hpp>
#include <cereal/types/array.hpp>
#include <cereal/types/map.hpp>
#include <cereal/types/optional.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/vector.hpp>
#include <cstring>
#include <sstream>
#include <streambuf>

namespace pl::projections {

// cereal, field by field. Each type carries a version (all 1 today); the
// whole state's format is kStateFormat above.
template <class A>
void serialize(A& a, Text& t, std::uint32_t) {
  a(t.en, t.zh);
}
template <class A>
void serialize(A& a, Money& m, std::uint32_t) {
  a(m.amount, m.currency);
}
template <class A>
void serialize(A& a, Member& m, std::uint32_t) {
  a(m.country, m.name, m.admitted_seq, m.admitted_at);
}
template <class A>
void serialize(A& a, Body& b, std::uint32_t) {
  a(b.id, b.kind, b.name, b.parent_id, b.country, b.dissolved, b.constituted_seq);
}
template <class A>
void serialize(A& a, Officer& o, std::uint32_t) {
  a(o.id, o.body_id, o.role, o.name, o.country, o.active, o.appointed_seq, o.removed_seq);
}
template <class A>
void serialize(A& a, Key& k, std::uint32_t) {
  a(k.key_id, k.public_key, k.officer_id, k.status, k.registered_seq, k.registered_at, k.ended_seq,
    k.ended_at, k.replaced_by);
}
template <class A>
void serialize(A& a, Policy& p, std::uint32_t) {
  a(p.id, p.body_id, p.types, p.min_signatures, p.required_roles, p.ceiling, p.in_force,
    p.adopted_seq);
}
template <class A>
void serialize(A& a, Meeting& m, std::uint32_t) {
  a(m.id, m.body_id, m.held_on, m.location, m.title, m.seq);
}
template <class A>
void serialize(A& a, Resolution& r, std::uint32_t) {
  a(r.id, r.meeting_id, r.body_id, r.title, r.adopts, r.seq);
}
template <class A>
void serialize(A& a, Partner& p, std::uint32_t) {
  a(p.institution, p.country);
}
template <class A>
void serialize(A& a, Milestone& m, std::uint32_t) {
  a(m.name, m.summary, m.reached_on, m.seq);
}
template <class A>
void serialize(A& a, Evaluation& e, std::uint32_t) {
  a(e.rating, e.summary, e.seq);
}
template <class A>
void serialize(A& a, Project& p, std::uint32_t) {
  a(p.id, p.title, p.priority_area, p.mode, p.lead_institution, p.partners, p.proposed_budget,
    p.approved_budget, p.start_date, p.end_date, p.status, p.milestones, p.evaluation, p.year,
    p.proposed_seq, p.last_seq, p.last_issued_at);
}
template <class A>
void serialize(A& a, Tranche& t, std::uint32_t) {
  a(t.id, t.amount, t.disbursed_on, t.seq);
}
template <class A>
void serialize(A& a, Commitment& m, std::uint32_t) {
  a(m.id, m.project_id, m.source, m.party, m.party_name, m.currency, m.committed, m.disbursed,
    m.returned, m.spent, m.year, m.closed, m.tranches, m.committed_seq, m.last_seq,
    m.last_issued_at);
}
template <class A>
void serialize(A& a, Partnership& p, std::uint32_t) {
  a(p.id, p.kind, p.name, p.countries, p.institutions, p.established_on, p.until, p.status,
    p.established_seq, p.last_seq, p.last_issued_at);
}
template <class A>
void serialize(A& a, ProgrammeState& s, std::uint32_t) {
  a(s.size, s.last_recorded_at, s.last_issued_at, s.programme, s.members, s.bodies, s.officers,
    s.keys, s.policies, s.meetings, s.resolutions, s.projects, s.commitments, s.partnerships);
}

namespace {

constexpr std::string_view kMagic = "plstate";

// cereal's portable binary input read straight from memory: the same bytes
// as PortableBinaryInputArchive reads (a byte 1 first for little-endian
// data), without its std::istream. A checkpoint is tens of megabytes of
// small fields, and the stream's per-field calls were most of loading one.
class StateArchive : public cereal::InputArchive<StateArchive, cereal::AllowEmptyClassElision> {
 public:
  explicit StateArchive(ByteView bytes)
      : InputArchive(this), at_(bytes.data()), end_(bytes.data() + bytes.size()) {
    std::uint8_t little_endian = 0;
    Load<1>(&little_endian, 1);
    swap_ = little_endian != 1;
  }

  template <std::size_t ElementSize>
  void Load(void* out, std::size_t size) {
    if (size > static_cast<std::size_t>(end_ - at_)) {
      throw std::runtime_error("the state ends " + std::to_string(size) + " bytes early");
    }
    std::memcpy(out, at_, size);
    at_ += size;
    if constexpr (ElementSize > 1) {
      if (swap_) {
        auto* bytes = static_cast<std::uint8_t*>(out);
        for (std::size_t i = 0; i < size; i += ElementSize) {
          std::reverse(bytes + i, bytes + i + ElementSize);
        }
      }
    }
  }

  // A stored length: every element takes at least one byte of what is left.
  void Claim(std::uint64_t count) const {
    if (count > static_cast<std::uint64_t>(end_ - at_)) {
      throw std::runtime_error("a length of " + std::to_string(count) +
                               " exceeds the bytes left in the state");
    }
  }

  bool at_end() const { return at_ == end_; }

 private:
  const std::uint8_t* at_;
  const std::uint8_t* end_;
  bool swap_ = false;
};

template <class T>
std::enable_if_t<std::is_arithmetic_v<T>> CEREAL_LOAD_FUNCTION_NAME(StateArchive& ar, T& t) {
  ar.Load<sizeof(T)>(std::addressof(t), sizeof(t));
}
template <class T>
void CEREAL_LOAD_FUNCTION_NAME(StateArchive& ar, cereal::BinaryData<T>& data) {
  ar.Load<sizeof(std::remove_pointer_t<T>)>(data.data, static_cast<std::size_t>(data.size));
}
template <class T>
void CEREAL_SERIALIZE_FUNCTION_NAME(StateArchive& ar, cereal::NameValuePair<T>& t) {
  ar(t.value);
}
template <class T>
void CEREAL_SERIALIZE_FUNCTION_NAME(StateArchive& ar, cereal::SizeTag<T>& t) {
  ar(t.size);
  ar.Claim(t.size);
}

}  // namespace
}  // namespace pl::projections

// The output archive whose bytes StateArchive reads (cereal's traits ask).
template <>
struct cereal::traits::detail::get_output_from_input<pl::projections::StateArchive> {
  using type = cereal::PortableBinaryOutputArchive;
};

namespace pl::projections {

std::string StateBytes(const ProgrammeState& state) {
  std::ostringstream out(std::ios::binary);
  {
    cereal::PortableBinaryOutputArchive ar(out);
    ar(state);
  }
  return std::move(out).str();
}

std::string EncodeCheckpoint(const ProgrammeState& state, const crypto::Hash& root) {
  std::string out(kMagic);
  for (int shift = 24; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((kStateFormat >> shift) & 0xff));
  }
  out.append(reinterpret_cast<const char*>(root.data()), root.size());
  out += StateBytes(state);
  const crypto::Hash digest = crypto::Sha256(AsBytes(out));
  out.append(reinterpret_cast<const char*>(digest.data()), digest.size());
  return out;
}

namespace {
constexpr std::size_t kHeader = kMagic.size() + 4 + 32;
}  // namespace

Status CheckCheckpoint(ByteView bytes, crypto::Hash* root) {
  if (bytes.size() < kHeader + 32 ||
      std::string_view(reinterpret_cast<const char*>(bytes.data()), kMagic.size()) != kMagic) {
    return Status::Corruption("checkpoint.format", "not a state checkpoint");
  }
  const ByteView body = bytes.first(bytes.size() - 32);
  const crypto::Hash digest = crypto::Sha256(body);
  if (!std::equal(digest.begin(), digest.end(), bytes.end() - 32)) {
    return Status::Corruption("checkpoint.digest", "checkpoint bytes do not match their SHA-256");
  }
  std::uint32_t format = 0;
  for (std::size_t i = 0; i < 4; ++i) format = (format << 8) | bytes[kMagic.size() + i];
  if (format != kStateFormat) {
    return Status::Corruption("checkpoint.version", "checkpoint format " + std::to_string(format) +
                                                        ", this build writes " +
                                                        std::to_string(kStateFormat));
  }
  std::copy(bytes.begin() + kMagic.size() + 4, bytes.begin() + kHeader, root->begin());
  return Status::Ok();
}

Result<ProgrammeState> DecodeCheckedCheckpoint(ByteView bytes) {
  ProgrammeState state;
  try {
    StateArchive ar(bytes.subspan(kHeader, bytes.size() - kHeader - 32));
    ar(state);
    if (!ar.at_end()) return Status::Corruption("checkpoint.decode", "extra bytes after the state");
  } catch (const std::exception& e) {
    return Status::Corruption("checkpoint.decode", e.what());
  }
  return state;
}

Result<ProgrammeState> DecodeCheckpoint(ByteView bytes, crypto::Hash* root) {
  if (Status s = CheckCheckpoint(bytes, root); !s.ok()) return s;
  return DecodeCheckedCheckpoint(bytes);
}

}  // namespace pl::projections
