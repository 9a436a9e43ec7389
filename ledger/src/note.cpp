#include "ledger/note.h"

#include <algorithm>

namespace pl::ledger {

namespace {

// U+2014 EM DASH and a space: how every signature line begins.
constexpr std::string_view kSignaturePrefix = "\xE2\x80\x94 ";
constexpr std::string_view kCosignatureHeader = "cosignature/v1\ntime ";

Status Format(const std::string& message) { return Status::Invalid("note.format", message); }

// UTF-8 without overlongs or surrogates, and no control character but "\n".
bool IsNoteText(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if ((c < 0x20 && c != '\n') || c == 0x7F) return false;
      ++i;
      continue;
    }
    std::size_t n;
    std::uint32_t cp;
    if ((c & 0xE0) == 0xC0) {
      n = 2, cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 3, cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 4, cp = c & 0x07;
    } else {
      return false;
    }
    if (i + n > s.size()) return false;
    for (std::size_t k = 1; k < n; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    const std::uint32_t min = n == 2 ? 0x80 : n == 3 ? 0x800 : 0x10000;
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += n;
  }
  return true;
}

bool ParseDecimal(std::string_view s, std::uint64_t* out) {
  if (s.empty() || s.size() > 20 || (s.size() > 1 && s[0] == '0')) return false;
  std::uint64_t n = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    const std::uint64_t d = static_cast<std::uint64_t>(c - '0');
    if (n > (UINT64_MAX - d) / 10) return false;
    n = n * 10 + d;
  }
  *out = n;
  return true;
}

std::string KeyHashHex(const KeyHash& h) { return ToHex(h); }

}  // namespace

KeyHash NoteKeyHash(std::string_view name, std::uint8_t type, const crypto::PublicKey& key) {
  std::string input(name);
  input.push_back('\n');
  input.push_back(static_cast<char>(type));
  input.append(reinterpret_cast<const char*>(key.raw().data()), key.raw().size());
  const crypto::Hash h = crypto::Sha256(AsBytes(input));
  return {h[0], h[1], h[2], h[3]};
}

Status CheckNoteName(std::string_view name) {
  if (name.empty() || name.size() > 255) {
    return Status::Invalid("note.name", "a key name has 1 to 255 bytes");
  }
  if (!IsNoteText(name) || name.find_first_of(" \n+") != std::string_view::npos) {
    return Status::Invalid("note.name", "the key name \"" + std::string(name) +
                                            "\" has a space, a control character or a '+', or "
                                            "is not UTF-8");
  }
  return Status::Ok();
}

Result<NoteVerifier> MakeVerifier(std::string name, std::uint8_t type,
                                  const crypto::PublicKey& key) {
  if (Status s = CheckNoteName(name); !s.ok()) return s;
  if (type != kNoteEd25519 && type != kCosignatureV1) {
    return Status::Invalid("note.vkey", "signature type " + std::to_string(type) +
                                            " is neither 1 (Ed25519) nor 4 (cosignature/v1)");
  }
  const KeyHash hash = NoteKeyHash(name, type, key);
  return NoteVerifier{std::move(name), type, key, hash};
}

std::string FormatVerifierKey(const NoteVerifier& v) {
  Bytes encoded{v.type};
  encoded.insert(encoded.end(), v.key.raw().begin(), v.key.raw().end());
  return v.name + "+" + KeyHashHex(v.key_hash) + "+" + ToBase64(encoded);
}

Result<NoteVerifier> ParseVerifierKey(std::string_view vkey) {
  auto bad = [&](const std::string& why) {
    return Status::Invalid("note.vkey",
                           "\"" + std::string(vkey) + "\" is not a verifier key (" + why + ")");
  };
  const std::size_t first = vkey.find('+');
  const std::size_t second = first == std::string_view::npos ? first : vkey.find('+', first + 1);
  if (second == std::string_view::npos) return bad("name+hash+key");
  const std::string_view name = vkey.substr(0, first);
  const auto hash = FromHex(vkey.substr(first + 1, second - first - 1));
  const auto key = FromBase64(vkey.substr(second + 1));
  if (!hash || hash->size() != 4) return bad("the key hash is not 8 hex digits");
  if (!key || key->size() != 33) return bad("the key is not base64 of a type byte and 32 bytes");
  auto public_key = crypto::PublicKey::FromRaw(ByteView(*key).subspan(1));
  if (!public_key.ok()) return bad(public_key.status().message());
  auto verifier = MakeVerifier(std::string(name), (*key)[0], *public_key);
  if (!verifier.ok()) return bad(verifier.status().message());
  if (!std::equal(hash->begin(), hash->end(), verifier->key_hash.begin())) {
    return bad("the key hash does not match the name and key");
  }
  return verifier;
}

std::string NoteSignature::Line() const {
  Bytes value(key_hash.begin(), key_hash.end());
  value.insert(value.end(), signature.begin(), signature.end());
  return std::string(kSignaturePrefix) + name + " " + ToBase64(value) + "\n";
}

Result<NoteSignature> ParseSignatureLine(std::string_view line) {
  if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
  if (line.substr(0, kSignaturePrefix.size()) != kSignaturePrefix) {
    return Format("a signature line begins with an em dash (U+2014) and a space");
  }
  line.remove_prefix(kSignaturePrefix.size());
  const std::size_t space = line.rfind(' ');
  if (space == std::string_view::npos) return Format("a signature line is \"— name signature\"");
  NoteSignature out;
  out.name = std::string(line.substr(0, space));
  if (Status s = CheckNoteName(out.name); !s.ok()) return Format(s.message());
  const auto value = FromBase64(line.substr(space + 1));
  if (!value || value->size() < 5) {
    return Format("the signature of \"" + out.name + "\" is not base64 of a key hash and bytes");
  }
  std::copy_n(value->begin(), 4, out.key_hash.begin());
  out.signature.assign(value->begin() + 4, value->end());
  return out;
}

std::string FormatNote(const Note& note) {
  std::string out = note.text + "\n";
  for (const NoteSignature& s : note.signatures) out += s.Line();
  return out;
}

Result<Note> ParseNote(std::string_view text) {
  if (!IsNoteText(text)) return Format("a note is UTF-8 text with no control character but \\n");
  const std::size_t split = text.rfind("\n\n");
  if (split == std::string_view::npos) return Format("a note has a blank line before signatures");
  Note note;
  note.text = std::string(text.substr(0, split + 1));
  std::string_view rest = text.substr(split + 2);
  if (rest.empty() || rest.back() != '\n') return Format("a note ends with a signature line");
  while (!rest.empty()) {
    const std::size_t end = rest.find('\n');
    auto signature = ParseSignatureLine(rest.substr(0, end));
    if (!signature.ok()) return signature.status();
    note.signatures.push_back(std::move(*signature));
    if (note.signatures.size() > kMaxNoteSignatures) {
      return Format("a note has at most " + std::to_string(kMaxNoteSignatures) + " signatures");
    }
    rest.remove_prefix(end + 1);
  }
  return note;
}

NoteSignature SignNote(std::string_view text, std::string_view name,
                       const crypto::PrivateKey& key) {
  const crypto::Signature sig = key.Sign(AsBytes(text));
  return {std::string(name), NoteKeyHash(name, kNoteEd25519, key.public_key()),
          Bytes(sig.begin(), sig.end())};
}

Status VerifyNoteSignature(std::string_view text, const NoteSignature& signature,
                           const NoteVerifier& verifier) {
  crypto::Signature sig{};
  const bool ours = verifier.type == kNoteEd25519 && signature.name == verifier.name &&
                    signature.key_hash == verifier.key_hash &&
                    signature.signature.size() == sig.size();
  if (ours) std::copy(signature.signature.begin(), signature.signature.end(), sig.begin());
  if (!ours || !verifier.key.Verify(AsBytes(text), sig)) {
    return Status::Invalid("note.signature",
                           "the note is not signed by " + FormatVerifierKey(verifier));
  }
  return Status::Ok();
}

std::string CosignedMessage(std::string_view text, std::uint64_t time) {
  return std::string(kCosignatureHeader) + std::to_string(time) + "\n" + std::string(text);
}

NoteSignature Cosign(std::string_view text, std::string_view name, const crypto::PrivateKey& key,
                     std::uint64_t time) {
  NoteSignature out{std::string(name), NoteKeyHash(name, kCosignatureV1, key.public_key()), {}};
  for (int shift = 56; shift >= 0; shift -= 8) {
    out.signature.push_back(static_cast<std::uint8_t>(time >> shift));
  }
  const crypto::Signature sig = key.Sign(AsBytes(CosignedMessage(text, time)));
  out.signature.insert(out.signature.end(), sig.begin(), sig.end());
  return out;
}

Result<std::uint64_t> VerifyCosignature(std::string_view text, const NoteSignature& signature,
                                        const NoteVerifier& verifier) {
  auto refuse = [&](const std::string& why) {
    return Status::Invalid("cosignature.invalid",
                           "not a valid cosignature by " + verifier.name + ": " + why);
  };
  if (verifier.type != kCosignatureV1) return refuse("the key is not a cosignature/v1 key");
  if (signature.name != verifier.name || signature.key_hash != verifier.key_hash) {
    return refuse("another name or key hash");
  }
  if (signature.signature.size() != 8 + 64) return refuse("not a time and a signature");
  std::uint64_t time = 0;
  for (int i = 0; i < 8; ++i) time = (time << 8) | signature.signature[i];
  crypto::Signature sig{};
  std::copy(signature.signature.begin() + 8, signature.signature.end(), sig.begin());
  if (!verifier.key.Verify(AsBytes(CosignedMessage(text, time)), sig)) {
    return refuse("the signature does not verify over this checkpoint at time " +
                  std::to_string(time));
  }
  return time;
}

std::string CheckpointBody(const Checkpoint& c) {
  std::string out = c.origin + "\n" + std::to_string(c.size) + "\n" + ToBase64(c.root) + "\n";
  for (const std::string& line : c.extensions) out += line + "\n";
  return out;
}

Result<Checkpoint> ParseCheckpointBody(std::string_view text) {
  auto bad = [](const std::string& why) {
    return Status::Invalid("checkpoint.format", "not a checkpoint: " + why);
  };
  if (text.empty() || text.back() != '\n') return bad("its last line does not end with \\n");
  std::vector<std::string_view> lines;
  for (std::size_t start = 0; start < text.size();) {
    const std::size_t end = text.find('\n', start);
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  if (lines.size() < 3) return bad("it has fewer than three lines");
  if (std::any_of(lines.begin(), lines.end(), [](auto l) { return l.empty(); })) {
    return bad("it has an empty line");
  }
  Checkpoint c;
  c.origin = std::string(lines[0]);
  if (!ParseDecimal(lines[1], &c.size)) return bad("the size is not a decimal number");
  const auto root = FromBase64(lines[2]);
  if (!root || root->size() != c.root.size()) return bad("the root is not base64 of 32 bytes");
  std::copy(root->begin(), root->end(), c.root.begin());
  for (std::size_t i = 3; i < lines.size(); ++i) c.extensions.emplace_back(lines[i]);
  return c;
}

Status CheckOrigin(std::string_view origin) {
  if (Status s = CheckNoteName(origin); !s.ok()) {
    return Status::Invalid("checkpoint.origin", "an origin is a key name: " + s.message());
  }
  if (origin.substr(0, kReservedOriginPrefix.size()) == kReservedOriginPrefix) {
    return Status::Invalid(
        "checkpoint.origin",
        "origins beginning \"" + std::string(kReservedOriginPrefix) + "\" are reserved");
  }
  return Status::Ok();
}

std::string DefaultOrigin(const crypto::PublicKey& log_key) {
  return "partnership-ledger.local/" + log_key.key_id().substr(0, 16);
}

Note SignCheckpoint(std::string_view origin, const TreeHead& head,
                    const crypto::PrivateKey& log_key) {
  Note note;
  note.text = CheckpointBody({std::string(origin), head.size, head.root, {}});
  note.signatures.push_back(SignNote(note.text, origin, log_key));
  return note;
}

Result<OpenedCheckpoint> OpenCheckpoint(std::string_view text, const NoteVerifier& log) {
  auto note = ParseNote(text);
  if (!note.ok()) return note.status();
  const bool signed_by_log = std::any_of(
      note->signatures.begin(), note->signatures.end(),
      [&](const NoteSignature& s) { return VerifyNoteSignature(note->text, s, log).ok(); });
  if (!signed_by_log) {
    return Status::Invalid("note.signature",
                           "the checkpoint is not signed by the log key " + FormatVerifierKey(log));
  }
  auto checkpoint = ParseCheckpointBody(note->text);
  if (!checkpoint.ok()) return checkpoint.status();
  if (checkpoint->origin != log.name) {
    return Status::Invalid("checkpoint.origin", "the checkpoint's origin \"" + checkpoint->origin +
                                                    "\" is not the log's \"" + log.name + "\"");
  }
  return OpenedCheckpoint{std::move(*note), std::move(*checkpoint)};
}

std::vector<Cosigner> ValidCosigners(const Note& note, const std::vector<NoteVerifier>& witnesses) {
  std::vector<Cosigner> out;
  for (const NoteSignature& s : note.signatures) {
    if (std::any_of(out.begin(), out.end(), [&](const Cosigner& c) { return c.name == s.name; })) {
      continue;
    }
    for (const NoteVerifier& w : witnesses) {
      if (auto time = VerifyCosignature(note.text, s, w); time.ok()) {
        out.push_back({s.name, *time});
        break;
      }
    }
  }
  return out;
}

}  // namespace pl::ledger
