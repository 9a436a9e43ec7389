// Checkpoints: the serialized form of a ProgrammeState, stored in the
// Store's checkpoints database, its chunks in the Store's sections.
//
//   "plstate" || u32 kStateFormat || root of the log at the state's size
//   (32 bytes) || u32 n || n x (u8 part || u64 stored length || u64 cereal
//   length || SHA-256 of the stored section) || SHA-256 of everything before
//   it (32 bytes) || the first section, stored
//
// (integers big-endian). Each section is a cereal portable binary archive
// of its own, compressed with zstd. The first (part 0) holds the scalars,
// the governance and the partnerships, and is stored in the checkpoint
// itself. Each of the others holds one chunk of the projects (part 1) or of
// the commitments (part 2), in id order, written as cereal writes a map
// (SharedById: where chunks end depends on the ids alone), and is stored in
// the Store's sections under its SHA-256, once however many checkpoints
// name it. A checkpoint thus stores only the chunks that changed since the
// one before, and a state loaded from it shares the chunks it has in common
// with a state in memory (KnownChunks) instead of decoding them again.
//
// kStateFormat changes whenever the state's shape, the rules or this layout
// change, so a checkpoint written by other code is ignored and rebuilt from
// the log.
#pragma once

#include <cstring>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "crypto/hash.h"
#include "ledger/store.h"
#include "projections/state.h"

namespace pl::projections {

inline constexpr std::uint32_t kStateFormat = 4;

// Chunks whose sections the store holds, with their digests: those of the
// state last checkpointed (written or loaded). Holding a chunk keeps it as
// it was (SharedById), so a chunk known here is never encoded again, and a
// checkpoint that names its digest shares it rather than decode it.
struct KnownChunks {
  struct DigestHash {
    std::size_t operator()(const crypto::Hash& d) const {
      std::size_t h;
      std::memcpy(&h, d.data(), sizeof h);  // already uniform
      return h;
    }
  };
  // A stored section: its digest and its lengths, as the table gives them.
  struct Stored {
    crypto::Hash digest;
    std::uint64_t stored_length = 0;
    std::uint64_t cereal_length = 0;
  };
  template <typename T>
  struct Of {
    std::unordered_map<const void*, Stored> sections;  // by Chunk::identity
    std::unordered_map<crypto::Hash, typename SharedById<T>::Chunk, DigestHash> chunks;
  };
  Of<Project> projects;
  Of<Commitment> commitments;
};

// A checkpoint to store: its bytes, and the sections they name that `known`
// did not hold (the store keeps one copy of each).
struct EncodedCheckpoint {
  std::string bytes;
  std::vector<std::pair<crypto::Hash, std::string>> sections;
};

// Encodes state's chunks not in `known` (when given); *now_known, when
// given, receives the state's chunks with their digests.
EncodedCheckpoint EncodeCheckpoint(const ProgrammeState& state, const crypto::Hash& root,
                                   const KnownChunks* known = nullptr,
                                   KnownChunks* now_known = nullptr);
// Corruption ("checkpoint.*") when the bytes are damaged, of another format,
// name a section the store lacks ("checkpoint.section"), or do not decode;
// *root receives the log root the state was taken at.
Result<ProgrammeState> DecodeCheckpoint(ByteView bytes, const ledger::Store::SectionOf& section,
                                        crypto::Hash* root);
// Its two halves: the checks alone (format, version, the section table and
// its digest; *root set), and the state of bytes that passed them, each
// section's digest checked before it is decoded; chunks in `known` are
// shared, not decoded, and *now_known, when given, receives the state's
// chunks. Decode only checked bytes: a damaged length could otherwise ask
// for far more memory than the bytes hold. Call it on the thread that may
// call `section` (it decodes on every core).
Status CheckCheckpoint(ByteView bytes, crypto::Hash* root);
// The format number the bytes carry; 0 when they are no state checkpoint.
std::uint32_t CheckpointFormat(ByteView bytes);
Result<ProgrammeState> DecodeCheckedCheckpoint(ByteView bytes,
                                               const ledger::Store::SectionOf& section,
                                               const KnownChunks* known = nullptr,
                                               KnownChunks* now_known = nullptr);

// The state's canonical bytes, one cereal archive of the whole state: equal
// states, equal bytes (how tests and whole-log verification compare states).
std::string StateBytes(const ProgrammeState& state);

}  // namespace pl::projections
