#include "checkpoint.h"

#include "ledger/serialization.h"

#include <zstd.h>
#include <algorithm>
#include <atomic>
#include <cereal/archives/portable_binary.hpp>
#include <cereal/types/array.hpp>
#include <cereal/types/map.hpp>
#include <cereal/types/optional.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/vector.hpp>
#include <cstring>
#include <functional>
#include <sstream>
#include <streambuf>
#include <thread>

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
// A SharedById as cereal writes a std::map: equal entries, equal bytes.
template <class A, typename T>
void save(A& a, const SharedById<T>& map) {
  a(cereal::make_size_tag(static_cast<cereal::size_type>(map.size())));
  for (const auto& [id, entity] : map) a(cereal::make_map_item(id, entity));
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

namespace {

// What a section holds: the scalars and the governance, or a run of the
// entities of one big collection, in id order.
enum class Part : std::uint8_t {
  kGovernance = 0,
  kProjects = 1,
  kCommitments = 2,
  kPartnerships = 3
};

// Entities per section: small enough that the sections of a large state
// spread evenly over the cores, large enough that each costs little more
// than its entities.
constexpr std::size_t kEntitiesPerSection = 8192;

constexpr std::size_t kHeader = kMagic.size() + 4 + 32 + 4;  // magic, format, root, sections
constexpr std::size_t kTableEntry = 1 + 8 + 8 + 32;  // part, stored and cereal lengths, SHA-256
// zstd's fastest level: a checkpoint's small, repetitive fields shrink about
// six times, and it decompresses at gigabytes a second.
constexpr int kCompressionLevel = 1;

void PutBigEndian(std::uint64_t v, int bytes, std::string* out) {
  for (int shift = 8 * (bytes - 1); shift >= 0; shift -= 8) {
    out->push_back(static_cast<char>((v >> shift) & 0xff));
  }
}

std::uint64_t GetBigEndian(const std::uint8_t* p, int bytes) {
  std::uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | p[i];
  return v;
}

// Runs job(0) ... job(n - 1), each once, on every core.
void OnEveryCore(std::size_t n, const std::function<void(std::size_t)>& job) {
  std::atomic<std::size_t> next{0};
  auto work = [&] {
    for (std::size_t i; (i = next.fetch_add(1)) < n;) job(i);
  };
  std::vector<std::thread> threads;
  const std::size_t cores = std::max(1u, std::thread::hardware_concurrency());
  for (std::size_t t = 1; t < std::min(cores, n); ++t) threads.emplace_back(work);
  work();
  for (std::thread& t : threads) t.join();
}

// What `write` writes into a cereal archive, as bytes.
template <typename Write>
std::string Written(const Write& write) {
  std::ostringstream out(std::ios::binary);
  {
    cereal::PortableBinaryOutputArchive ar(out);
    write(ar);
  }
  return std::move(out).str();
}

// One section to store: what it holds, and its cereal bytes.
struct Section {
  Part part;
  std::string raw;
};

template <typename Map>
void AddSections(Part part, const Map& entities, std::vector<Section>* sections) {
  std::size_t left = entities.size();  // (std::distance on a map would walk it)
  for (auto it = entities.begin(); left > 0;) {
    const std::size_t n = std::min(kEntitiesPerSection, left);
    sections->push_back({part, Written([&](cereal::PortableBinaryOutputArchive& ar) {
                           ar(cereal::make_size_tag(static_cast<cereal::size_type>(n)));
                           for (std::size_t i = 0; i < n; ++i, ++it) {  // as cereal writes a map
                             ar(cereal::make_map_item(it->first, it->second));
                           }
                         })});
    left -= n;
  }
}

struct SectionView {
  Part part;
  ByteView stored;
  std::size_t cereal_length;
  const std::uint8_t* digest;
};

// The sections of checked bytes (CheckCheckpoint has vouched for the table).
std::vector<SectionView> Sections(ByteView bytes) {
  const std::size_t count = GetBigEndian(bytes.data() + kHeader - 4, 4);
  std::vector<SectionView> sections;
  std::size_t at = kHeader + count * kTableEntry + 32;
  for (std::size_t i = 0; i < count; ++i) {
    const std::uint8_t* entry = bytes.data() + kHeader + i * kTableEntry;
    const std::size_t length = GetBigEndian(entry + 1, 8);
    sections.push_back({static_cast<Part>(entry[0]), bytes.subspan(at, length),
                        static_cast<std::size_t>(GetBigEndian(entry + 9, 8)), entry + 17});
    at += length;
  }
  return sections;
}

// Decodes one section (its digest checked, then decompressed) into
// *state's governance or into *entities.
template <typename T>
Status DecodeSection(const SectionView& section, T* target) {
  const crypto::Hash digest = crypto::Sha256(section.stored);
  if (!std::equal(digest.begin(), digest.end(), section.digest)) {
    return Status::Corruption("checkpoint.digest", "a section does not match its SHA-256");
  }
  std::string cereal(section.cereal_length, '\0');
  const std::size_t got =
      ZSTD_decompress(cereal.data(), cereal.size(), section.stored.data(), section.stored.size());
  if (ZSTD_isError(got) || got != cereal.size()) {
    return Status::Corruption(
        "checkpoint.decode",
        ZSTD_isError(got) ? std::string("a section does not decompress: ") + ZSTD_getErrorName(got)
                          : "a section decompresses to another length");
  }
  try {
    StateArchive ar(AsBytes(cereal));
    if constexpr (std::is_same_v<T, ProgrammeState>) {
      ar(target->size, target->last_recorded_at, target->last_issued_at, target->programme,
         target->members, target->bodies, target->officers, target->keys, target->policies,
         target->meetings, target->resolutions);
    } else {
      ar(*target);
    }
    if (!ar.at_end()) return Status::Corruption("checkpoint.decode", "extra bytes in a section");
  } catch (const std::exception& e) {
    return Status::Corruption("checkpoint.decode", e.what());
  }
  return Status::Ok();
}

// Moves each run's entities, in order, to the end of *all (no copies, no
// allocations: the map nodes themselves move).
template <typename T>
void Join(std::vector<ById<T>>& runs, ById<T>* all) {
  for (ById<T>& run : runs) {
    while (!run.empty()) all->insert(all->end(), run.extract(run.begin()));
  }
}
template <typename T>
void Join(std::vector<ById<T>>& runs, SharedById<T>* all) {
  for (ById<T>& run : runs) {
    while (!run.empty()) all->Append(run.extract(run.begin()));
  }
}

}  // namespace

std::string EncodeCheckpoint(const ProgrammeState& state, const crypto::Hash& root) {
  // Sections are written on this thread, then compressed on every core:
  // cereal's output archives share one registry of class versions, and
  // writing from several threads at once would race on it.
  std::vector<Section> sections;
  sections.push_back({Part::kGovernance, Written([&state](cereal::PortableBinaryOutputArchive& ar) {
                        ar(state.size, state.last_recorded_at, state.last_issued_at,
                           state.programme, state.members, state.bodies, state.officers, state.keys,
                           state.policies, state.meetings, state.resolutions);
                      })});
  AddSections(Part::kProjects, state.projects, &sections);
  AddSections(Part::kCommitments, state.commitments, &sections);
  AddSections(Part::kPartnerships, state.partnerships, &sections);
  std::vector<std::string> stored(sections.size());
  OnEveryCore(sections.size(), [&](std::size_t i) {
    const std::string& raw = sections[i].raw;
    stored[i].resize(ZSTD_compressBound(raw.size()));
    const std::size_t n = ZSTD_compress(stored[i].data(), stored[i].size(), raw.data(), raw.size(),
                                        kCompressionLevel);
    stored[i].resize(ZSTD_isError(n) ? 0 : n);  // an empty section then fails to load
  });

  std::string out(kMagic);
  PutBigEndian(kStateFormat, 4, &out);
  out.append(reinterpret_cast<const char*>(root.data()), root.size());
  PutBigEndian(sections.size(), 4, &out);
  for (std::size_t i = 0; i < sections.size(); ++i) {
    out.push_back(static_cast<char>(sections[i].part));
    PutBigEndian(stored[i].size(), 8, &out);
    PutBigEndian(sections[i].raw.size(), 8, &out);
    const crypto::Hash digest = crypto::Sha256(AsBytes(stored[i]));
    out.append(reinterpret_cast<const char*>(digest.data()), digest.size());
  }
  const crypto::Hash digest = crypto::Sha256(AsBytes(out));
  out.append(reinterpret_cast<const char*>(digest.data()), digest.size());
  for (const std::string& section : stored) out += section;
  return out;
}

Status CheckCheckpoint(ByteView bytes, crypto::Hash* root) {
  if (bytes.size() < kHeader + 32 ||
      std::string_view(reinterpret_cast<const char*>(bytes.data()), kMagic.size()) != kMagic) {
    return Status::Corruption("checkpoint.format", "not a state checkpoint");
  }
  const auto format = static_cast<std::uint32_t>(GetBigEndian(bytes.data() + kMagic.size(), 4));
  if (format != kStateFormat) {
    return Status::Corruption("checkpoint.version", "checkpoint format " + std::to_string(format) +
                                                        ", this build writes " +
                                                        std::to_string(kStateFormat));
  }
  const std::size_t count = GetBigEndian(bytes.data() + kHeader - 4, 4);
  if (count == 0 || count > (bytes.size() - kHeader - 32) / kTableEntry) {
    return Status::Corruption("checkpoint.format", "a section table that does not fit");
  }
  const std::size_t table_end = kHeader + count * kTableEntry;
  const crypto::Hash digest = crypto::Sha256(bytes.first(table_end));
  if (!std::equal(digest.begin(), digest.end(), bytes.begin() + table_end)) {
    return Status::Corruption("checkpoint.digest", "the section table does not match its SHA-256");
  }
  std::uint64_t total = table_end + 32;
  for (std::size_t i = 0; i < count; ++i) {
    const std::uint8_t* entry = bytes.data() + kHeader + i * kTableEntry;
    if (entry[0] > static_cast<std::uint8_t>(Part::kPartnerships) ||
        (entry[0] == static_cast<std::uint8_t>(Part::kGovernance)) != (i == 0)) {
      return Status::Corruption("checkpoint.format",
                                "section " + std::to_string(i) + " holds an unknown part");
    }
    total += GetBigEndian(entry + 1, 8);
  }
  if (total != bytes.size()) {
    return Status::Corruption("checkpoint.format", "the sections do not add up to the checkpoint");
  }
  std::copy(bytes.begin() + kMagic.size() + 4, bytes.begin() + kMagic.size() + 4 + 32,
            root->begin());
  return Status::Ok();
}

Result<ProgrammeState> DecodeCheckedCheckpoint(ByteView bytes) {
  const std::vector<SectionView> sections = Sections(bytes);
  ProgrammeState state;
  std::vector<ById<Project>> projects;
  std::vector<ById<Commitment>> commitments;
  std::vector<ById<Partnership>> partnerships;
  auto count = [&](Part part) {
    return std::count_if(sections.begin(), sections.end(),
                         [part](const SectionView& s) { return s.part == part; });
  };
  projects.reserve(count(Part::kProjects));  // the jobs below point into these
  commitments.reserve(count(Part::kCommitments));
  partnerships.reserve(count(Part::kPartnerships));
  // Each section decodes into a target of its own, on whichever core is free.
  std::vector<std::function<Status()>> jobs;
  for (const SectionView& section : sections) {
    auto job = [&section](auto* target) {
      return [&section, target] { return DecodeSection(section, target); };
    };
    switch (section.part) {
      case Part::kGovernance:
        jobs.push_back(job(&state));
        break;
      case Part::kProjects:
        jobs.push_back(job(&projects.emplace_back()));
        break;
      case Part::kCommitments:
        jobs.push_back(job(&commitments.emplace_back()));
        break;
      case Part::kPartnerships:
        jobs.push_back(job(&partnerships.emplace_back()));
        break;
    }
  }
  std::vector<Status> results(jobs.size());
  OnEveryCore(jobs.size(), [&](std::size_t i) { results[i] = jobs[i](); });
  for (const Status& s : results) {
    if (!s.ok()) return s;
  }
  Join(projects, &state.projects);
  Join(commitments, &state.commitments);
  Join(partnerships, &state.partnerships);
  return state;
}

Result<ProgrammeState> DecodeCheckpoint(ByteView bytes, crypto::Hash* root) {
  if (Status s = CheckCheckpoint(bytes, root); !s.ok()) return s;
  return DecodeCheckedCheckpoint(bytes);
}

}  // namespace pl::projections
