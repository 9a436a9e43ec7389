// Signed notes, checkpoints and witness cosignatures, in the formats of the
// C2SP specifications signed-note, tlog-checkpoint and tlog-cosignature
// (docs/witnesses.md has the bytes, with a worked example):
//
//   note       = text || "\n" || signature lines
//   text       = lines, each ending "\n" (a checkpoint's body:
//                origin "\n" || size "\n" || base64(root) "\n" || extension lines)
//   signature  = "\u2014 " || name || " " || base64(key hash || signature bytes) || "\n"
//   key hash   = SHA-256(name || "\n" || type || raw public key)[0:4]
//
// type 0x01 (Ed25519 note signature): signature bytes = Ed25519(text), 64 bytes.
// type 0x04 (cosignature/v1): signature bytes = time (u64 big-endian, Unix
// seconds) || Ed25519("cosignature/v1\ntime " || time || "\n" || text).
//
// The log signs its checkpoints with its own key under the name of its
// origin; witnesses cosign them with their own keys. A verifier key ("vkey")
// is written "<name>+<hex key hash>+<base64(type || raw public key)>".
//
// Everything here is pure and thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/ed25519.h"
#include "crypto/hash.h"
#include "ledger/envelope.h"

namespace pl::ledger {

inline constexpr std::uint8_t kNoteEd25519 = 0x01;
inline constexpr std::uint8_t kCosignatureV1 = 0x04;
// Origins that begin with this are refused: a checkpoint body under such an
// origin could spell the bytes of a tree head signature (envelope.h).
inline constexpr std::string_view kReservedOriginPrefix = "partnership-ledger/";
// Notes with more signatures than this are refused (as signed-note advises).
inline constexpr std::size_t kMaxNoteSignatures = 100;

using KeyHash = std::array<std::uint8_t, 4>;

// A key that verifies one kind of note signature under one name.
struct NoteVerifier {
  std::string name;
  std::uint8_t type;  // kNoteEd25519 or kCosignatureV1
  crypto::PublicKey key;
  KeyHash key_hash;
};

KeyHash NoteKeyHash(std::string_view name, std::uint8_t type, const crypto::PublicKey& key);
// Rule "note.name": a name is 1..255 bytes, with no whitespace, no control
// character and no '+'.
Status CheckNoteName(std::string_view name);
// Errors: "note.name"; "note.vkey" for a type other than 0x01 and 0x04.
Result<NoteVerifier> MakeVerifier(std::string name, std::uint8_t type,
                                  const crypto::PublicKey& key);
// "<name>+<8 hex digits>+<base64(type || key)>".
std::string FormatVerifierKey(const NoteVerifier& verifier);
// Rule "note.vkey" when the text is not a vkey of an Ed25519 key of type 0x01
// or 0x04, or its key hash does not match its name and key.
Result<NoteVerifier> ParseVerifierKey(std::string_view vkey);

// One signature line of a note.
struct NoteSignature {
  std::string name;
  KeyHash key_hash{};
  Bytes signature;  // what follows the key hash: 64 bytes, or 72 for a cosignature

  // "— <name> <base64(key_hash || signature)>\n".
  std::string Line() const;
  bool operator==(const NoteSignature&) const = default;
};
// One line, with or without its final "\n". Rule "note.format".
Result<NoteSignature> ParseSignatureLine(std::string_view line);

struct Note {
  std::string text;  // every line ends "\n"
  std::vector<NoteSignature> signatures;
};
std::string FormatNote(const Note& note);
// Splits a note at its last blank line. Rule "note.format" when the text is
// empty, has a control character other than "\n" or is not UTF-8, when a
// signature line is malformed, or with no or too many signatures.
Result<Note> ParseNote(std::string_view note);

// An Ed25519 note signature (type 0x01) over text.
NoteSignature SignNote(std::string_view text, std::string_view name, const crypto::PrivateKey& key);
// Rule "note.signature" unless signature is the verifier's (same name and key
// hash) and valid over text.
Status VerifyNoteSignature(std::string_view text, const NoteSignature& signature,
                           const NoteVerifier& verifier);

// What a cosignature/v1 signs.
std::string CosignedMessage(std::string_view text, std::uint64_t time);
NoteSignature Cosign(std::string_view text, std::string_view name, const crypto::PrivateKey& key,
                     std::uint64_t time);
// The cosignature's time when it is the verifier's (a kCosignatureV1 key of
// the same name and key hash) and valid over text; else rule "cosignature.invalid".
Result<std::uint64_t> VerifyCosignature(std::string_view text, const NoteSignature& signature,
                                        const NoteVerifier& verifier);

// A checkpoint: the body of the note a log signs for one tree size.
struct Checkpoint {
  std::string origin;
  std::uint64_t size = 0;
  crypto::Hash root{};
  std::vector<std::string> extensions;  // extra lines, without their "\n"

  bool operator==(const Checkpoint&) const = default;
};
std::string CheckpointBody(const Checkpoint& checkpoint);
// Rule "checkpoint.format": fewer than three lines, a size that is not a
// canonical decimal, a root that is not base64 of 32 bytes, an empty line.
Result<Checkpoint> ParseCheckpointBody(std::string_view text);
// Rule "checkpoint.origin": not a note name, or reserved (kReservedOriginPrefix).
Status CheckOrigin(std::string_view origin);
// "partnership-ledger.local/" || the first 16 hex digits of the log key's id.
std::string DefaultOrigin(const crypto::PublicKey& log_key);
// The checkpoint of a tree head, signed by the log key under the origin's
// name: a note with that one signature.
Note SignCheckpoint(std::string_view origin, const TreeHead& head,
                    const crypto::PrivateKey& log_key);

// A checkpoint note opened with the log's verifier: the note parsed, its
// signature by the log checked, its body parsed, and its origin equal to the
// verifier's name. Errors: "note.format", "note.signature" (no valid
// signature by the log), "checkpoint.format", "checkpoint.origin".
struct OpenedCheckpoint {
  Note note;
  Checkpoint checkpoint;
};
Result<OpenedCheckpoint> OpenCheckpoint(std::string_view note, const NoteVerifier& log);

// The witnesses among `witnesses` with a valid cosignature on the note's
// text, each name once (the first valid signature by a name counts), with
// the time it gave. Signatures by anyone else are ignored.
struct Cosigner {
  std::string name;
  std::uint64_t time;
};
std::vector<Cosigner> ValidCosigners(const Note& note, const std::vector<NoteVerifier>& witnesses);

}  // namespace pl::ledger
