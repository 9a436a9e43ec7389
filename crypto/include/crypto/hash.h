// SHA-256 (FIPS 180-4) through OpenSSL.
#pragma once

#include <array>
#include <cstdint>

#include "crypto/bytes.h"

namespace pl::crypto {

using Hash = std::array<std::uint8_t, 32>;

Hash Sha256(ByteView data);

// Incremental hashing. Not thread-safe; one instance per thread.
class Sha256Hasher {
 public:
  Sha256Hasher();
  ~Sha256Hasher();
  Sha256Hasher(const Sha256Hasher&) = delete;
  Sha256Hasher& operator=(const Sha256Hasher&) = delete;

  void Update(ByteView data);
  // Returns the digest and resets the hasher for reuse.
  Hash Finish();

 private:
  struct Impl;
  Impl* impl_;
};

}  // namespace pl::crypto
