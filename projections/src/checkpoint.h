// Checkpoints: the serialized form of a ProgrammeState, stored in the
// Store's checkpoints database.
//
//   "plstate" || u32 kStateFormat || root of the log at the state's size
//   (32 bytes) || u32 n || n x (u8 part || u64 stored length || u64 cereal
//   length || SHA-256 of the stored section) || SHA-256 of everything before
//   it (32 bytes) || n stored sections
//
// (integers big-endian). Each section is a cereal portable binary archive
// of its own, compressed with zstd: the first holds the scalars and the
// governance (part 0), each of the others up to 8,192 projects (1),
// commitments (2) or partnerships (3) in id order, written as cereal writes
// a map. Sections are written, checked and decoded independently, so
// writing or loading a checkpoint spreads over every core.
//
// kStateFormat changes whenever the state's shape, the rules or this layout
// change, so a checkpoint written by other code is ignored and rebuilt from
// the log.
#pragma once

#include <string>

#include "crypto/hash.h"
#include "projections/state.h"

namespace pl::projections {

inline constexpr std::uint32_t kStateFormat = 3;

std::string EncodeCheckpoint(const ProgrammeState& state, const crypto::Hash& root);
// Corruption ("checkpoint.*") when the bytes are damaged, of another format,
// or do not decode; *root receives the log root the state was taken at.
Result<ProgrammeState> DecodeCheckpoint(ByteView bytes, crypto::Hash* root);
// Its two halves: the checks alone (format, version, the section table and
// its digest; *root set), and the state of bytes that passed them, each
// section's digest checked before it is decoded. Decode only checked bytes:
// a damaged length could otherwise ask for far more memory than the bytes
// hold.
Status CheckCheckpoint(ByteView bytes, crypto::Hash* root);
Result<ProgrammeState> DecodeCheckedCheckpoint(ByteView bytes);

// The state's canonical bytes, one cereal archive of the whole state: equal
// states, equal bytes (how tests and whole-log verification compare states).
std::string StateBytes(const ProgrammeState& state);

}  // namespace pl::projections
