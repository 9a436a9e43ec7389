// Ed25519 (RFC 8032) keys, signatures and key ids, through OpenSSL 3 EVP.
//
// Key files are standard PEM: PKCS#8 "PRIVATE KEY" for private keys (written
// with mode 0600) and SubjectPublicKeyInfo "PUBLIC KEY" for public keys, so
// `openssl pkey` and `openssl pkeyutl -verify -rawin` read them directly.
//
// A key id is the lower-case hex SHA-256 of the raw 32-byte public key.
//
// PublicKey and PrivateKey are immutable after construction and safe to use
// from several threads at once.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>

#include "crypto/bytes.h"
#include "crypto/status.h"

namespace pl::crypto {

using Signature = std::array<std::uint8_t, 64>;
using RawPublicKey = std::array<std::uint8_t, 32>;

class PublicKey {
 public:
  static Result<PublicKey> FromRaw(ByteView raw32);
  static Result<PublicKey> FromPem(std::string_view pem);
  static Result<PublicKey> Load(const std::string& path);

  const RawPublicKey& raw() const { return raw_; }
  // Lower-case hex SHA-256 of raw(); 64 characters.
  const std::string& key_id() const { return key_id_; }
  std::string ToPem() const;
  Status Save(const std::string& path) const;

  bool Verify(ByteView message, const Signature& signature) const;

 private:
  friend class PrivateKey;  // builds its public half; needs PublicKey()
  struct Impl;
  PublicKey() = default;
  RawPublicKey raw_{};
  std::string key_id_;
  std::shared_ptr<Impl> impl_;  // the OpenSSL key, shared by copies
};

class PrivateKey {
 public:
  static PrivateKey Generate();
  // The 32-byte seed of RFC 8032 §5.1.5.
  static Result<PrivateKey> FromSeed(ByteView seed32);
  static Result<PrivateKey> FromPem(std::string_view pem);
  // Refuses a key file that group or others may read ("key.file_mode").
  static Result<PrivateKey> Load(const std::string& path);

  const PublicKey& public_key() const { return public_; }
  std::string ToPem() const;
  // Writes the PKCS#8 PEM with mode 0600; refuses to overwrite a file.
  Status Save(const std::string& path) const;

  Signature Sign(ByteView message) const;

 private:
  struct Impl;
  PrivateKey() = default;
  PublicKey public_;
  std::shared_ptr<Impl> impl_;
};

}  // namespace pl::crypto
