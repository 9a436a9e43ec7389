// Verbs for checkpoints and witnesses (docs/witnesses.md):
//
//   witness     keeps the last checkpoint it trusted in a state file; checks
//               the log's newest checkpoint (the log's signature, and a
//               consistency proof from the trusted one), then cosigns it and
//               hands the cosignature to ledgerd. It never cosigns a
//               checkpoint that does not extend the one it trusts, and then
//               leaves its state as it was.
//   checkpoint  fetches a checkpoint and checks the log's signature and the
//               cosignatures of the witnesses given, demanding K of them.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "api/client.h"
#include "cli.h"
#include "crypto/merkle.h"
#include "ledger/note.h"
#include "remote.h"

namespace pl::ctl {
namespace {

using ledger::Value;

Value Count(std::uint64_t n) { return Value(static_cast<std::int64_t>(n)); }

Result<std::unique_ptr<api::Client>> Connect(const RemoteFlags& remote) {
  api::ClientOptions options;
  options.ca_file = remote.ca_file;
  options.timeout = std::chrono::seconds(remote.timeout_seconds);
  return api::Client::Connect(remote.url, options);
}

Result<Value> Call(api::Client& client, Value::Object request) {
  auto response = client.Request(Value(std::move(request)));
  if (!response.ok()) return response.status();
  return api::ResultOf(*response);
}

Status Malformed(const std::string& what) {
  return Status::Invalid("checkpoint.response", "the server's answer is malformed: " + what);
}

// The log's verifier from --log-key: a vkey (type 0x01), or a PEM file of the
// log's public (or private) key, whose name is then the checkpoint's origin.
Result<ledger::NoteVerifier> LogVerifier(const std::string& log_key, const std::string& origin) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(log_key, ec)) {
    auto vkey = ledger::ParseVerifierKey(log_key);
    if (!vkey.ok()) return vkey.status();
    if (vkey->type != ledger::kNoteEd25519) {
      return Status::Invalid("note.vkey", "--log-key wants the log's Ed25519 (type 1) key");
    }
    return vkey;
  }
  auto key = crypto::PublicKey::Load(log_key);
  if (!key.ok()) {
    auto private_key = crypto::PrivateKey::Load(log_key);
    if (!private_key.ok()) return key.status();
    key = private_key->public_key();
  }
  return ledger::MakeVerifier(origin, ledger::kNoteEd25519, *key);
}

// A checkpoint note opened with --log-key (its origin read first, for a PEM key).
Result<ledger::OpenedCheckpoint> OpenWithLogKey(const std::string& note,
                                                const std::string& log_key) {
  auto parsed = ledger::ParseNote(note);
  if (!parsed.ok()) return parsed.status();
  auto body = ledger::ParseCheckpointBody(parsed->text);
  if (!body.ok()) return body.status();
  auto log = LogVerifier(log_key, body->origin);
  if (!log.ok()) return log.status();
  return ledger::OpenCheckpoint(note, *log);
}

Result<std::string> NoteOf(const Value& result) {
  const Value* note = result.find("note");
  if (!note || note->kind() != Value::Kind::kString) return Malformed("no note");
  return note->as_string();
}

std::string Describe(const ledger::Checkpoint& c) {
  return "size " + std::to_string(c.size) + " root " + ToHex(c.root);
}

// Writes the file whole or not at all (a rename over the old one).
Status WriteWhole(const std::string& path, const std::string& text) {
  const std::string temporary = path + ".new";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    if (!out) return Status::IoError("witness.state", "cannot write " + temporary);
  }
  std::error_code ec;
  std::filesystem::rename(temporary, path, ec);
  if (ec) return Status::IoError("witness.state", "cannot replace " + path + ": " + ec.message());
  return Status::Ok();
}

Result<crypto::PrivateKey> WitnessKey(const std::string& path, const std::string& name) {
  if (Status s = ledger::CheckNoteName(name); !s.ok()) return s;
  return crypto::PrivateKey::Load(path);
}

// Checks that `offered` extends `trusted` (the log's consistency proof, or
// equal roots at equal sizes). Rules "witness.rollback", "witness.inconsistent".
Status CheckExtends(api::Client& client, const ledger::Checkpoint& trusted,
                    const ledger::Checkpoint& offered) {
  const std::string both = "the trusted checkpoint has " + Describe(trusted) +
                           ", the log now offers " + Describe(offered);
  if (offered.size < trusted.size) {
    return Status::Invalid("witness.rollback", "the log went back: " + both);
  }
  if (offered.size == trusted.size) {
    if (offered.root == trusted.root) return Status::Ok();
    return Status::Invalid("witness.inconsistent", "split view: " + both);
  }
  if (trusted.size == 0) return Status::Ok();
  auto proof = Call(
      client, {{"op", "consistency"}, {"from", Count(trusted.size)}, {"to", Count(offered.size)}});
  if (!proof.ok()) {
    return Status::Invalid("witness.inconsistent", "split view: " + both +
                                                       "; the log gave no consistency proof (" +
                                                       proof.status().ToString() + ")");
  }
  std::vector<crypto::Hash> hashes;
  const Value* list = proof->find("proof");
  if (!list || list->kind() != Value::Kind::kArray) return Malformed("no consistency proof");
  for (const Value& item : list->as_array()) {
    auto raw = item.kind() == Value::Kind::kString ? FromHex(item.as_string()) : std::nullopt;
    if (!raw || raw->size() != 32) return Malformed("a proof hash is not 32 bytes in hex");
    crypto::Hash h;
    std::copy(raw->begin(), raw->end(), h.begin());
    hashes.push_back(h);
  }
  if (!crypto::VerifyConsistency(trusted.size, offered.size, trusted.root, offered.root, hashes)
           .ok()) {
    return Status::Invalid("witness.inconsistent",
                           "split view: " + both + "; the consistency proof does not link them");
  }
  return Status::Ok();
}

int Witness(const std::vector<std::string>& args) {
  po::options_description flags("flags");
  RemoteFlags remote;
  std::string key_path, name, state, log_key;
  AddRemoteFlags(flags, &remote, false, false);
  flags.add_options()("key", po::value(&key_path)->required(), "the witness's private key (PEM)")(
      "name", po::value(&name)->required(), "the witness's name, e.g. witness.example.org/w1")(
      "state", po::value(&state), "file keeping the last checkpoint this witness trusted")(
      "log-key", po::value(&log_key),
      "the log's key: its vkey (from the checkpoint op's log_vkey) or its public key PEM")(
      "print-vkey", "print this witness's verifier key (for ledgerd --witness-key) and exit");
  po::variables_map vm;
  int exit;
  if (!ParseFlags(args,
                  "--key PEM --name NAME (--print-vkey | --url URL --state FILE --log-key KEY)",
                  flags, nullptr, &vm, &exit)) {
    return exit;
  }
  auto key = WitnessKey(key_path, name);
  if (!key.ok()) return Fail(key.status());
  auto self = ledger::MakeVerifier(name, ledger::kCosignatureV1, key->public_key());
  if (!self.ok()) return Fail(self.status());
  if (vm.count("print-vkey")) {
    std::cout << ledger::FormatVerifierKey(*self) << "\n";
    return kOk;
  }
  if (state.empty() || log_key.empty()) return Usage("witness", "--state and --log-key are needed");

  // What this witness trusts so far: the state file's checkpoint, checked again.
  std::optional<ledger::OpenedCheckpoint> trusted;
  std::error_code ec;
  if (std::filesystem::exists(state, ec)) {
    auto text = ReadInput(state);
    if (!text.ok()) return Fail(text.status());
    auto opened = OpenWithLogKey(*text, log_key);
    if (!opened.ok()) {
      return Fail(Status::Invalid("witness.state", state +
                                                       " does not hold a checkpoint signed by "
                                                       "the log key: " +
                                                       opened.status().ToString()));
    }
    trusted = std::move(*opened);
  }

  auto client = Connect(remote);
  if (!client.ok()) return Fail(client.status());
  auto result = Call(**client, {{"op", "checkpoint"}});
  if (!result.ok()) return Fail(result.status());
  auto note = NoteOf(*result);
  if (!note.ok()) return Fail(note.status());
  auto offered = OpenWithLogKey(*note, log_key);
  if (!offered.ok()) return Fail(offered.status());
  if (trusted && offered->checkpoint.origin != trusted->checkpoint.origin) {
    return Fail(Status::Invalid(
        "checkpoint.origin", "the log's origin \"" + offered->checkpoint.origin +
                                 "\" is not the trusted \"" + trusted->checkpoint.origin + "\""));
  }
  if (trusted) {
    if (Status s = CheckExtends(**client, trusted->checkpoint, offered->checkpoint); !s.ok()) {
      return Fail(s);
    }
  }

  const auto now =
      static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count());
  const ledger::NoteSignature cosignature = ledger::Cosign(offered->note.text, name, *key, now);
  auto added = Call(**client, {{"op", "add_cosignature"},
                               {"size", Count(offered->checkpoint.size)},
                               {"cosignature", cosignature.Line()}});
  if (!added.ok()) return Fail(added.status());

  // Keep the checkpoint with the log's signature only.
  ledger::Note kept{offered->note.text, {}};
  for (const auto& s : offered->note.signatures) {
    if (s.name == offered->checkpoint.origin && s.signature.size() == 64)
      kept.signatures.push_back(s);
  }
  if (Status s = WriteWhole(state, ledger::FormatNote(kept)); !s.ok()) return Fail(s);
  Value::Object out{{"cosigned", true},
                    {"origin", offered->checkpoint.origin},
                    {"root", ToHex(offered->checkpoint.root)},
                    {"size", Count(offered->checkpoint.size)},
                    {"time", Count(now)},
                    {"witness", name}};
  out.emplace_back("previous_size", trusted ? Count(trusted->checkpoint.size) : Value(nullptr));
  PrintJson(Value(std::move(out)), false);
  return kOk;
}

int CheckpointVerb(const std::vector<std::string>& args) {
  po::options_description flags("flags");
  RemoteFlags remote;
  std::string log_key;
  std::vector<std::string> witness_keys;
  std::size_t min_cosignatures = 0;
  std::uint64_t size = 0;
  AddRemoteFlags(flags, &remote, false, false);
  flags.add_options()("log-key", po::value(&log_key)->required(),
                      "the log's key: its vkey or its public key PEM")(
      "witness", po::value(&witness_keys)->composing(),
      "a witness's verifier key (repeatable); only these witnesses' cosignatures count")(
      "min-cosignatures,k", po::value(&min_cosignatures)->default_value(0),
      "fail unless this many distinct witnesses cosigned; asks for the newest checkpoint that "
      "has them")("size", po::value(&size), "the checkpoint at this tree size")(
      "note", "print the note itself instead of JSON");
  po::variables_map vm;
  int exit;
  if (!ParseFlags(args,
                  "--url URL --log-key KEY [--witness VKEY]... [--min-cosignatures K] [--size N]",
                  flags, nullptr, &vm, &exit)) {
    return exit;
  }
  std::vector<ledger::NoteVerifier> witnesses;
  for (const std::string& vkey : witness_keys) {
    auto w = ledger::ParseVerifierKey(vkey);
    if (!w.ok()) return Fail(w.status());
    if (w->type != ledger::kCosignatureV1) {
      return Usage("checkpoint", "--witness wants a cosignature/v1 (type 4) key: " + vkey);
    }
    witnesses.push_back(std::move(*w));
  }
  if (min_cosignatures > witnesses.size()) {
    return Usage("checkpoint", "--min-cosignatures " + std::to_string(min_cosignatures) +
                                   " needs at least that many --witness keys");
  }
  Value::Object request{{"op", "checkpoint"}};
  if (vm.count("size")) {
    request.emplace_back("size", Count(size));
  } else if (min_cosignatures > 0) {
    request.emplace_back("cosigned", Count(min_cosignatures));
  }
  auto client = Connect(remote);
  if (!client.ok()) return Fail(client.status());
  auto result = Call(**client, std::move(request));
  if (!result.ok()) return Fail(result.status());
  auto note = NoteOf(*result);
  if (!note.ok()) return Fail(note.status());
  auto opened = OpenWithLogKey(*note, log_key);
  if (!opened.ok()) return Fail(opened.status());
  const auto cosigners = ledger::ValidCosigners(opened->note, witnesses);
  if (cosigners.size() < min_cosignatures) {
    std::string names;
    for (const auto& c : cosigners) names += (names.empty() ? "" : ", ") + c.name;
    return Fail(Status::Invalid("checkpoint.cosignatures",
                                "the checkpoint at " + Describe(opened->checkpoint) +
                                    " has valid cosignatures by " +
                                    std::to_string(cosigners.size()) + " of the witnesses given (" +
                                    (names.empty() ? "none" : names) + "), fewer than the " +
                                    std::to_string(min_cosignatures) + " demanded"));
  }
  if (vm.count("note")) {
    std::cout << *note;
    return kOk;
  }
  Value::Array cosigned;
  for (const auto& c : cosigners) {
    cosigned.emplace_back(Value::Object{{"time", Count(c.time)}, {"witness", c.name}});
  }
  PrintJson(Value(Value::Object{{"cosigned_by", Value(std::move(cosigned))},
                                {"origin", opened->checkpoint.origin},
                                {"root", ToHex(opened->checkpoint.root)},
                                {"size", Count(opened->checkpoint.size)}}),
            false);
  return kOk;
}

const bool registered = [] {
  Verbs()["witness"] = {
      "Cosign a running ledgerd's newest checkpoint as a witness, if it extends the last one "
      "trusted; or print a witness's verifier key.",
      Witness};
  Verbs()["checkpoint"] = {
      "Fetch a running ledgerd's checkpoint; check the log's signature and demand K witness "
      "cosignatures.",
      CheckpointVerb};
  return true;
}();

}  // namespace
}  // namespace pl::ctl
