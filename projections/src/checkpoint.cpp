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

// What a section holds: the scalars, the governance and the partnerships,
// or one chunk of the projects or of the commitments.
enum class Part : std::uint8_t { kGovernance = 0, kProjects = 1, kCommitments = 2 };

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

// One table entry: what the section holds, its lengths and its digest; for
// a section to write, its cereal bytes and then its stored bytes.
struct Section {
  Part part;
  std::string raw;
  std::string stored;
  KnownChunks::Stored entry;
};

// The sections of a collection's chunks: those `known` holds by digest
// alone, the others with their cereal bytes (compressed later).
template <typename T>
void AddChunks(Part part, const SharedById<T>& map, const KnownChunks::Of<T>* known,
               std::vector<Section>* sections) {
  for (const auto& chunk : map.chunks()) {
    Section s;
    s.part = part;
    if (known) {
      if (auto it = known->sections.find(chunk.identity()); it != known->sections.end()) {
        s.entry = it->second;
        sections->push_back(std::move(s));
        continue;
      }
    }
    s.raw = Written([&](cereal::PortableBinaryOutputArchive& ar) {
      ar(cereal::make_size_tag(static_cast<cereal::size_type>(chunk.entries().size())));
      for (const auto& [id, entity] : chunk.entries()) ar(cereal::make_map_item(id, entity));
    });
    sections->push_back(std::move(s));
  }
}

// Records the chunks of `map`, whose sections are sections[first...] in
// order, in *known.
template <typename T, typename Sections>
void Learn(const SharedById<T>& map, const Sections& sections, std::size_t first,
           KnownChunks::Of<T>* known) {
  for (std::size_t i = 0; i < map.chunks().size(); ++i) {
    const auto& chunk = map.chunks()[i];
    known->sections.emplace(chunk.identity(), sections[first + i].entry);
    known->chunks.emplace(sections[first + i].entry.digest, chunk);
  }
}

struct SectionView {
  Part part;
  KnownChunks::Stored entry;
  ByteView stored;  // once found
};

// The table of checked bytes (CheckCheckpoint has vouched for it), the first
// section's bytes set.
std::vector<SectionView> Table(ByteView bytes) {
  const std::size_t count = GetBigEndian(bytes.data() + kHeader - 4, 4);
  std::vector<SectionView> sections;
  sections.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    const std::uint8_t* entry = bytes.data() + kHeader + i * kTableEntry;
    SectionView& s = sections.emplace_back();
    s.part = static_cast<Part>(entry[0]);
    s.entry.stored_length = GetBigEndian(entry + 1, 8);
    s.entry.cereal_length = GetBigEndian(entry + 9, 8);
    std::copy(entry + 17, entry + 17 + 32, s.entry.digest.begin());
  }
  sections[0].stored = bytes.subspan(kHeader + count * kTableEntry + 32);
  return sections;
}

// Decodes one section (its length and digest checked, then decompressed)
// into *state's governance or into *entities.
template <typename T>
Status DecodeSection(const SectionView& section, T* target) {
  if (section.stored.size() != section.entry.stored_length ||
      crypto::Sha256(section.stored) != section.entry.digest) {
    return Status::Corruption("checkpoint.digest", "a section does not match its SHA-256");
  }
  std::string cereal(section.entry.cereal_length, '\0');
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
         target->meetings, target->resolutions, target->partnerships);
    } else {
      ar(*target);
    }
    if (!ar.at_end()) return Status::Corruption("checkpoint.decode", "extra bytes in a section");
  } catch (const std::exception& e) {
    return Status::Corruption("checkpoint.decode", e.what());
  }
  return Status::Ok();
}

// A collection's chunks as a checkpoint names them: shared when known,
// else decoded from the sections found.
template <typename T>
struct ChunksOf {
  std::vector<std::optional<typename SharedById<T>::Chunk>> known;  // by table order
  std::vector<typename SharedById<T>::Entries> decoded;             // for those not known
};

template <typename T>
Status Assemble(ChunksOf<T>& chunks, SharedById<T>* map) {
  std::size_t next = 0;
  for (auto& chunk : chunks.known) {
    bool appended =
        chunk ? map->AppendChunk(std::move(*chunk))
              : map->AppendChunk(typename SharedById<T>::Chunk(std::move(chunks.decoded[next++])));
    if (!appended) {
      return Status::Corruption("checkpoint.decode", "its chunks are out of order");
    }
  }
  return Status::Ok();
}

}  // namespace

EncodedCheckpoint EncodeCheckpoint(const ProgrammeState& state, const crypto::Hash& root,
                                   const KnownChunks* known, KnownChunks* now_known) {
  // Sections are written on this thread, then compressed on every core:
  // cereal's output archives share one registry of class versions, and
  // writing from several threads at once would race on it.
  std::vector<Section> sections(1);
  sections[0].part = Part::kGovernance;
  sections[0].raw = Written([&state](cereal::PortableBinaryOutputArchive& ar) {
    ar(state.size, state.last_recorded_at, state.last_issued_at, state.programme, state.members,
       state.bodies, state.officers, state.keys, state.policies, state.meetings, state.resolutions,
       state.partnerships);
  });
  AddChunks(Part::kProjects, state.projects, known ? &known->projects : nullptr, &sections);
  const std::size_t commitments = sections.size();
  AddChunks(Part::kCommitments, state.commitments, known ? &known->commitments : nullptr,
            &sections);
  OnEveryCore(sections.size(), [&](std::size_t i) {
    Section& s = sections[i];
    if (s.raw.empty()) return;  // known
    s.stored.resize(ZSTD_compressBound(s.raw.size()));
    const std::size_t n = ZSTD_compress(s.stored.data(), s.stored.size(), s.raw.data(),
                                        s.raw.size(), kCompressionLevel);
    s.stored.resize(ZSTD_isError(n) ? 0 : n);  // an empty section then fails to load
    s.entry = {crypto::Sha256(AsBytes(s.stored)), s.stored.size(), s.raw.size()};
  });
  EncodedCheckpoint out;
  out.bytes.assign(kMagic);
  PutBigEndian(kStateFormat, 4, &out.bytes);
  out.bytes.append(reinterpret_cast<const char*>(root.data()), root.size());
  PutBigEndian(sections.size(), 4, &out.bytes);
  for (const Section& s : sections) {
    out.bytes.push_back(static_cast<char>(s.part));
    PutBigEndian(s.entry.stored_length, 8, &out.bytes);
    PutBigEndian(s.entry.cereal_length, 8, &out.bytes);
    out.bytes.append(reinterpret_cast<const char*>(s.entry.digest.data()), s.entry.digest.size());
  }
  const crypto::Hash digest = crypto::Sha256(AsBytes(out.bytes));
  out.bytes.append(reinterpret_cast<const char*>(digest.data()), digest.size());
  out.bytes += sections[0].stored;
  for (std::size_t i = 1; i < sections.size(); ++i) {
    if (!sections[i].stored.empty()) {
      out.sections.emplace_back(sections[i].entry.digest, std::move(sections[i].stored));
    }
  }
  if (now_known) {
    *now_known = {};
    Learn(state.projects, sections, 1, &now_known->projects);
    Learn(state.commitments, sections, commitments, &now_known->commitments);
  }
  return out;
}

std::uint32_t CheckpointFormat(ByteView bytes) {
  if (bytes.size() < kHeader + 32 ||
      std::string_view(reinterpret_cast<const char*>(bytes.data()), kMagic.size()) != kMagic) {
    return 0;
  }
  return static_cast<std::uint32_t>(GetBigEndian(bytes.data() + kMagic.size(), 4));
}

Status CheckCheckpoint(ByteView bytes, crypto::Hash* root) {
  const std::uint32_t format = CheckpointFormat(bytes);
  if (format == 0) return Status::Corruption("checkpoint.format", "not a state checkpoint");
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
  // The governance first, then the projects' chunks, then the commitments'.
  for (std::size_t i = 0; i < count; ++i) {
    const std::uint8_t* entry = bytes.data() + kHeader + i * kTableEntry;
    if (entry[0] > static_cast<std::uint8_t>(Part::kCommitments) ||
        (entry[0] == static_cast<std::uint8_t>(Part::kGovernance)) != (i == 0) ||
        (i > 0 && entry[0] < entry[-static_cast<std::ptrdiff_t>(kTableEntry)])) {
      return Status::Corruption(
          "checkpoint.format",
          "section " + std::to_string(i) + " holds an unknown part or is out of order");
    }
  }
  if (GetBigEndian(bytes.data() + kHeader + 1, 8) != bytes.size() - table_end - 32) {
    return Status::Corruption("checkpoint.format", "its first section does not fill the rest");
  }
  std::copy(bytes.begin() + kMagic.size() + 4, bytes.begin() + kMagic.size() + 4 + 32,
            root->begin());
  return Status::Ok();
}

Result<ProgrammeState> DecodeCheckedCheckpoint(ByteView bytes,
                                               const ledger::Store::SectionOf& section,
                                               const KnownChunks* known, KnownChunks* now_known) {
  std::vector<SectionView> table = Table(bytes);
  ProgrammeState state;
  ChunksOf<Project> projects;
  ChunksOf<Commitment> commitments;
  // The chunks known are shared; the sections of the others are found here
  // (the store's reads stay on this thread) and decoded on every core.
  std::vector<std::function<Status()>> jobs;
  jobs.push_back([&] { return DecodeSection(table[0], &state); });
  Status missing;
  auto take = [&](auto* chunks, const auto* known_chunks, SectionView& s) {
    if (known_chunks) {
      if (auto it = known_chunks->chunks.find(s.entry.digest); it != known_chunks->chunks.end()) {
        chunks->known.emplace_back(it->second);
        return;
      }
    }
    chunks->known.emplace_back();
    std::optional<ByteView> stored = section(s.entry.digest);
    if (!stored) {
      missing = Status::Corruption("checkpoint.section", "it names a section the store lacks");
      return;
    }
    s.stored = *stored;
    auto* target = &chunks->decoded.emplace_back();
    jobs.push_back([&s, target] { return DecodeSection(s, target); });
  };
  // (Reserved: the jobs hold pointers to the decoded chunks.)
  projects.decoded.reserve(table.size());
  commitments.decoded.reserve(table.size());
  for (std::size_t i = 1; i < table.size() && missing.ok(); ++i) {
    if (table[i].part == Part::kProjects) {
      take(&projects, known ? &known->projects : nullptr, table[i]);
    } else {
      take(&commitments, known ? &known->commitments : nullptr, table[i]);
    }
  }
  if (!missing.ok()) return missing;
  std::vector<Status> results(jobs.size());
  OnEveryCore(jobs.size(), [&](std::size_t i) { results[i] = jobs[i](); });
  for (const Status& s : results) {
    if (!s.ok()) return s;
  }
  if (Status s = Assemble(projects, &state.projects); !s.ok()) return s;
  if (Status s = Assemble(commitments, &state.commitments); !s.ok()) return s;
  if (now_known) {
    *now_known = {};
    Learn(state.projects, table, 1, &now_known->projects);
    Learn(state.commitments, table, 1 + state.projects.chunks().size(), &now_known->commitments);
  }
  return state;
}

Result<ProgrammeState> DecodeCheckpoint(ByteView bytes, const ledger::Store::SectionOf& section,
                                        crypto::Hash* root) {
  if (Status s = CheckCheckpoint(bytes, root); !s.ok()) return s;
  return DecodeCheckedCheckpoint(bytes, section);
}

}  // namespace pl::projections
