// Checkpoints: the serialized form of a ProgrammeState, stored in the
// Store's checkpoints database.
//
//   "plstate" || u32 kStateFormat (big-endian) || root of the log at the
//   state's size (32 bytes) || cereal portable binary of the state ||
//   SHA-256 of everything before it (32 bytes)
//
// kStateFormat changes whenever the state's shape or the rules change, so a
// checkpoint written by other code is ignored and rebuilt from the log.
#pragma once

#include <string>

#include "crypto/hash.h"
#include "projections/state.h"

namespace pl::projections {

inline constexpr std::uint32_t kStateFormat = 1;

std::string EncodeCheckpoint(const ProgrammeState& state, const crypto::Hash& root);
// Corruption ("checkpoint.*") when the bytes are damaged, of another format,
// or do not decode; *root receives the log root the state was taken at.
Result<ProgrammeState> DecodeCheckpoint(ByteView bytes, crypto::Hash* root);
// Its two halves: the checks alone (format, digest, version; *root set), and
// the state of bytes that passed them. Decode only checked bytes: a damaged
// length could otherwise ask for far more memory than the bytes hold.
Status CheckCheckpoint(ByteView bytes, crypto::Hash* root);
Result<ProgrammeState> DecodeCheckedCheckpoint(ByteView bytes);

// The state's canonical bytes (the cereal part alone): equal states, equal bytes.
std::string StateBytes(const ProgrammeState& state);

}  // namespace pl::projections
