// keygen and sign.
#include <filesystem>
#include <iostream>

#include "cli.h"

namespace pl::ctl {
namespace {

int Keygen(const std::vector<std::string>& args) {
  po::options_description flags("flags");
  std::string out;
  flags.add_options()("out,o", po::value(&out)->required(),
                      "path prefix: writes PREFIX.key (PKCS#8, mode 0600) and PREFIX.pub");
  po::variables_map vm;
  int exit;
  if (!ParseFlags(args, "--out PREFIX", flags, nullptr, &vm, &exit)) return exit;
  if (const auto parent = std::filesystem::path(out).parent_path(); !parent.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
  }
  const auto key = crypto::PrivateKey::Generate();
  if (Status s = key.Save(out + ".key"); !s.ok()) return Fail(s);
  if (Status s = key.public_key().Save(out + ".pub"); !s.ok()) return Fail(s);
  PrintJson(
      ledger::Value(ledger::Value::Object{{"key_id", key.public_key().key_id()},
                                          {"private_key", out + ".key"},
                                          {"public_key", out + ".pub"},
                                          {"public_key_base64", ToBase64(key.public_key().raw())}}),
      false);
  return kOk;
}

int SignVerb(const std::vector<std::string>& args) {
  po::options_description flags("flags");
  std::vector<std::string> key_paths;
  std::string input = "-";
  flags.add_options()("key,k", po::value(&key_paths)->required(),
                      "private key file; repeat to add several signatures")(
      "input,i", po::value(&input), "decisions in JSON (one or more documents), - for stdin");
  po::positional_options_description positional;
  positional.add("input", 1);
  po::variables_map vm;
  int exit;
  if (!ParseFlags(args, "--key FILE [--key FILE...] [INPUT]", flags, &positional, &vm, &exit)) {
    return exit;
  }
  std::vector<crypto::PrivateKey> keys;
  for (const auto& path : key_paths) {
    auto key = crypto::PrivateKey::Load(path);
    if (!key.ok()) return Fail(key.status());
    keys.push_back(*key);
  }
  auto text = ReadInput(input);
  if (!text.ok()) return Fail(text.status());
  const auto docs = SplitDocuments(*text);
  if (docs.empty()) return Fail(Status::Invalid("input.empty", "no decision in the input"));
  std::vector<ledger::SignedDecision> signed_decisions;
  for (const auto& [line, doc] : docs) {
    auto d = ledger::ParseSignedDecision(doc);
    if (!d.ok()) {
      return Fail(Status::Invalid(d.status().rule(),
                                  "line " + std::to_string(line) + ": " + d.status().message()));
    }
    for (const auto& key : keys) ledger::Sign(&*d, key);
    signed_decisions.push_back(std::move(*d));
  }
  for (const auto& d : signed_decisions) PrintJson(ledger::ToValue(d), false);
  return kOk;
}

const bool registered = [] {
  Verbs()["keygen"] = {"Generate an Ed25519 key pair as PEM files.", Keygen};
  Verbs()["sign"] = {"Sign decisions: reads decisions in JSON, prints them signed, one per line.",
                     SignVerb};
  return true;
}();

}  // namespace
}  // namespace pl::ctl
