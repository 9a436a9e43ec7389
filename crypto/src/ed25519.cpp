#include "crypto/ed25519.h"

#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <system_error>

#include "crypto/hash.h"

namespace pl::crypto {
namespace {

constexpr std::size_t kKeySize = 32;
// Far above any Ed25519 PEM (about 120 bytes); stops a wrong path from
// pulling a huge file into memory.
constexpr std::size_t kMaxKeyFileSize = 64 * 1024;

struct PkeyDeleter {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyDeleter>;

struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxDeleter>;

struct BioDeleter {
  void operator()(BIO* p) const { BIO_free(p); }
};
using BioPtr = std::unique_ptr<BIO, BioDeleter>;

// Failures that only memory exhaustion or a broken OpenSSL can cause.
[[noreturn]] void Die(const char* what) {
  std::fprintf(stderr, "pl::crypto: OpenSSL Ed25519 failure in %s\n", what);
  std::abort();
}

// The first queued OpenSSL error as text, and an empty queue afterwards, so
// a failure never leaks into an unrelated later call on this thread.
std::string TakeOpenSslError() {
  const unsigned long code = ERR_peek_error();
  std::string text;
  if (code != 0) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof(buf));
    text = buf;
  }
  ERR_clear_error();
  return text.empty() ? std::string("unknown OpenSSL error") : text;
}

// Refuses to prompt on the terminal for an encrypted PEM.
int NoPassword(char* /*buf*/, int /*size*/, int /*rwflag*/, void* /*u*/) { return -1; }

// OpenSSL may read through the pointer of an empty span; never hand it null.
const unsigned char* DataOrEmpty(ByteView bytes) {
  static const unsigned char kEmpty = 0;
  return bytes.empty() ? &kEmpty : bytes.data();
}

std::string ErrnoText(int err) { return std::error_code(err, std::generic_category()).message(); }

BioPtr ReadBio(std::string_view pem) {
  if (pem.size() > static_cast<std::size_t>(INT_MAX)) return nullptr;
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) Die("BIO_new_mem_buf");
  return bio;
}

std::string BioContents(BIO* bio) {
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  if (len < 0 || (len > 0 && data == nullptr)) Die("BIO_get_mem_data");
  return std::string(data, static_cast<std::size_t>(len));
}

Status CheckEd25519(const EVP_PKEY* pkey, const char* what) {
  if (EVP_PKEY_is_a(pkey, "ED25519") == 1) return Status::Ok();
  const char* type = EVP_PKEY_get0_type_name(pkey);
  return Status::Invalid(
      "key.not_ed25519",
      std::string(what) + " is a " + (type ? type : "non-Ed25519") + " key, not Ed25519");
}

// Reads a key file whole. With `private_key`, first refuses a file that
// group or others may access: the check is on the opened descriptor, so the
// file inspected is the file read.
Result<std::string> ReadKeyFile(const std::string& path, bool private_key) {
  // O_NONBLOCK: a FIFO at `path` must not hang the open; it then fails S_ISREG.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    const int err = errno;
    if (err == ENOENT) {
      return Status::NotFound("key.file_not_found", "key file '" + path + "' does not exist");
    }
    return Status::IoError("key.file_unreadable",
                           "cannot open key file '" + path + "': " + ErrnoText(err));
  }
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};

  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    return Status::IoError("key.file_unreadable",
                           "cannot stat key file '" + path + "': " + ErrnoText(errno));
  }
  if (!S_ISREG(st.st_mode)) {
    return Status::IoError("key.file_unreadable", "key file '" + path + "' is not a regular file");
  }
  if (private_key && (st.st_mode & 077) != 0) {
    char mode[16];
    std::snprintf(mode, sizeof(mode), "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return Status::Invalid("key.file_mode", "private key file '" + path + "' has mode " + mode +
                                                ", which lets group or others access it; run "
                                                "chmod 600 '" +
                                                path + "'");
  }
  if (static_cast<std::uint64_t>(st.st_size) > kMaxKeyFileSize) {
    return Status::Invalid("key.pem_invalid", "key file '" + path + "' is " +
                                                  std::to_string(st.st_size) +
                                                  " bytes, too large for a PEM key");
  }

  std::string data;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      OPENSSL_cleanse(data.data(), data.size());
      return Status::IoError("key.file_unreadable",
                             "cannot read key file '" + path + "': " + ErrnoText(err));
    }
    if (n == 0) break;
    data.append(buf, static_cast<std::size_t>(n));
    if (data.size() > kMaxKeyFileSize) {
      OPENSSL_cleanse(data.data(), data.size());
      OPENSSL_cleanse(buf, sizeof(buf));
      return Status::Invalid("key.pem_invalid",
                             "key file '" + path + "' is too large for a PEM key");
    }
  }
  OPENSSL_cleanse(buf, sizeof(buf));
  return data;
}

// Creates `path` and writes `data`; never replaces an existing file. With
// `exact_mode` the file gets exactly `mode`, otherwise `mode` less the umask.
// A partly written file is removed: it was ours, created above.
Status WriteNewFile(const std::string& path, std::string_view data, mode_t mode, bool exact_mode) {
  const int fd = ::open(path.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, mode);
  if (fd < 0) {
    const int err = errno;
    if (err == EEXIST) {
      return Status::Conflict("key.file_exists",
                              "refusing to overwrite existing file '" + path + "'");
    }
    return Status::IoError("key.file_unwritable",
                           "cannot create key file '" + path + "': " + ErrnoText(err));
  }
  auto fail = [&](const char* op, int err) {
    ::close(fd);
    ::unlink(path.c_str());
    return Status::IoError("key.file_unwritable", std::string("cannot ") + op + " key file '" +
                                                      path + "': " + ErrnoText(err));
  };
  if (exact_mode && ::fchmod(fd, mode) != 0) return fail("chmod", errno);
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail("write", errno);
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) return fail("sync", errno);
  if (::close(fd) != 0) {
    const int err = errno;
    ::unlink(path.c_str());
    return Status::IoError("key.file_unwritable",
                           "cannot close key file '" + path + "': " + ErrnoText(err));
  }
  return Status::Ok();
}

}  // namespace

struct PublicKey::Impl {
  PkeyPtr pkey;
};

struct PrivateKey::Impl {
  PkeyPtr pkey;
};

// ---------------------------------------------------------------- PublicKey

Result<PublicKey> PublicKey::FromRaw(ByteView raw32) {
  if (raw32.size() != kKeySize) {
    return Status::Invalid("key.public_invalid", "an Ed25519 public key is 32 bytes, got " +
                                                     std::to_string(raw32.size()));
  }
  PkeyPtr pkey(
      EVP_PKEY_new_raw_public_key_ex(nullptr, "ED25519", nullptr, raw32.data(), raw32.size()));
  if (!pkey) {
    return Status::Invalid("key.public_invalid",
                           "OpenSSL rejected the public key: " + TakeOpenSslError());
  }
  PublicKey key;
  std::copy(raw32.begin(), raw32.end(), key.raw_.begin());
  key.key_id_ = ToHex(Sha256(key.raw_));
  key.impl_ = std::make_shared<Impl>(Impl{std::move(pkey)});
  return key;
}

Result<PublicKey> PublicKey::FromPem(std::string_view pem) {
  BioPtr bio = ReadBio(pem);
  if (!bio) return Status::Invalid("key.pem_invalid", "PEM text too large");
  PkeyPtr pkey(PEM_read_bio_PUBKEY(bio.get(), nullptr, NoPassword, nullptr));
  if (!pkey) {
    return Status::Invalid("key.pem_invalid", "not a PEM \"PUBLIC KEY\" (SubjectPublicKeyInfo): " +
                                                  TakeOpenSslError());
  }
  // Decoders tried and rejected on the way may have queued errors.
  ERR_clear_error();
  if (Status s = CheckEd25519(pkey.get(), "the PEM public key"); !s.ok()) return s;
  RawPublicKey raw;
  std::size_t len = raw.size();
  if (EVP_PKEY_get_raw_public_key(pkey.get(), raw.data(), &len) != 1 || len != raw.size()) {
    return Status::Invalid("key.pem_invalid",
                           "cannot extract the raw public key: " + TakeOpenSslError());
  }
  return FromRaw(raw);
}

Result<PublicKey> PublicKey::Load(const std::string& path) {
  Result<std::string> pem = ReadKeyFile(path, /*private_key=*/false);
  if (!pem.ok()) return pem.status();
  Result<PublicKey> key = FromPem(*pem);
  if (!key.ok()) {
    return Status::Invalid(key.status().rule(),
                           "key file '" + path + "': " + key.status().message());
  }
  return key;
}

std::string PublicKey::ToPem() const {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio) Die("BIO_new");
  if (PEM_write_bio_PUBKEY(bio.get(), impl_->pkey.get()) != 1) Die("PEM_write_bio_PUBKEY");
  return BioContents(bio.get());
}

Status PublicKey::Save(const std::string& path) const {
  return WriteNewFile(path, ToPem(), 0644, /*exact_mode=*/false);
}

bool PublicKey::Verify(ByteView message, const Signature& signature) const {
  if (!impl_) return false;
  // A context per call: EVP_MD_CTX is not shareable, the EVP_PKEY is.
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx) Die("EVP_MD_CTX_new");
  bool ok = EVP_DigestVerifyInit_ex(ctx.get(), nullptr, nullptr, nullptr, nullptr,
                                    impl_->pkey.get(), nullptr) == 1 &&
            EVP_DigestVerify(ctx.get(), signature.data(), signature.size(), DataOrEmpty(message),
                             message.size()) == 1;
  if (!ok) ERR_clear_error();
  return ok;
}

// --------------------------------------------------------------- PrivateKey

PrivateKey PrivateKey::Generate() {
  std::array<std::uint8_t, kKeySize> seed;
  if (RAND_priv_bytes(seed.data(), static_cast<int>(seed.size())) != 1) Die("RAND_priv_bytes");
  Result<PrivateKey> key = FromSeed(seed);
  OPENSSL_cleanse(seed.data(), seed.size());
  if (!key.ok()) Die("EVP_PKEY_new_raw_private_key_ex");
  return std::move(key).value();
}

Result<PrivateKey> PrivateKey::FromSeed(ByteView seed32) {
  if (seed32.size() != kKeySize) {
    return Status::Invalid("key.private_invalid",
                           "an Ed25519 seed is 32 bytes, got " + std::to_string(seed32.size()));
  }
  PkeyPtr pkey(
      EVP_PKEY_new_raw_private_key_ex(nullptr, "ED25519", nullptr, seed32.data(), seed32.size()));
  if (!pkey) {
    return Status::Invalid("key.private_invalid",
                           "OpenSSL rejected the seed: " + TakeOpenSslError());
  }
  RawPublicKey raw;
  std::size_t len = raw.size();
  if (EVP_PKEY_get_raw_public_key(pkey.get(), raw.data(), &len) != 1 || len != raw.size()) {
    Die("EVP_PKEY_get_raw_public_key");
  }
  Result<PublicKey> pub = PublicKey::FromRaw(raw);
  if (!pub.ok()) return pub.status();
  PrivateKey key;
  key.public_ = std::move(pub).value();
  key.impl_ = std::make_shared<Impl>(Impl{std::move(pkey)});
  return key;
}

Result<PrivateKey> PrivateKey::FromPem(std::string_view pem) {
  BioPtr bio = ReadBio(pem);
  if (!bio) return Status::Invalid("key.pem_invalid", "PEM text too large");
  PkeyPtr pkey(PEM_read_bio_PrivateKey(bio.get(), nullptr, NoPassword, nullptr));
  if (!pkey) {
    const std::string error = TakeOpenSslError();
    if (pem.find("ENCRYPTED") != std::string_view::npos) {
      return Status::Invalid("key.pem_invalid",
                             "the PEM private key is encrypted; only unencrypted PKCS#8 keys "
                             "are supported");
    }
    return Status::Invalid("key.pem_invalid", "not a PEM \"PRIVATE KEY\" (PKCS#8): " + error);
  }
  // Decoders tried and rejected on the way may have queued errors.
  ERR_clear_error();
  if (Status s = CheckEd25519(pkey.get(), "the PEM private key"); !s.ok()) return s;
  std::array<std::uint8_t, kKeySize> seed;
  std::size_t len = seed.size();
  if (EVP_PKEY_get_raw_private_key(pkey.get(), seed.data(), &len) != 1 || len != seed.size()) {
    return Status::Invalid("key.pem_invalid",
                           "cannot extract the raw private key: " + TakeOpenSslError());
  }
  Result<PrivateKey> key = FromSeed(seed);
  OPENSSL_cleanse(seed.data(), seed.size());
  return key;
}

Result<PrivateKey> PrivateKey::Load(const std::string& path) {
  Result<std::string> pem = ReadKeyFile(path, /*private_key=*/true);
  if (!pem.ok()) return pem.status();
  Result<PrivateKey> key = FromPem(*pem);
  OPENSSL_cleanse(pem->data(), pem->size());
  if (!key.ok()) {
    return Status::Invalid(key.status().rule(),
                           "key file '" + path + "': " + key.status().message());
  }
  return key;
}

std::string PrivateKey::ToPem() const {
  // Secure-heap BIO where available, so the PEM's transient copy is wiped.
  BioPtr bio(BIO_new(BIO_s_secmem()));
  if (!bio) Die("BIO_new");
  if (PEM_write_bio_PrivateKey(bio.get(), impl_->pkey.get(), nullptr, nullptr, 0, nullptr,
                               nullptr) != 1) {
    Die("PEM_write_bio_PrivateKey");
  }
  return BioContents(bio.get());
}

Status PrivateKey::Save(const std::string& path) const {
  std::string pem = ToPem();
  Status s = WriteNewFile(path, pem, 0600, /*exact_mode=*/true);
  OPENSSL_cleanse(pem.data(), pem.size());
  return s;
}

Signature PrivateKey::Sign(ByteView message) const {
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx) Die("EVP_MD_CTX_new");
  if (EVP_DigestSignInit_ex(ctx.get(), nullptr, nullptr, nullptr, nullptr, impl_->pkey.get(),
                            nullptr) != 1) {
    Die("EVP_DigestSignInit_ex");
  }
  Signature sig;
  std::size_t len = sig.size();
  if (EVP_DigestSign(ctx.get(), sig.data(), &len, DataOrEmpty(message), message.size()) != 1 ||
      len != sig.size()) {
    Die("EVP_DigestSign");
  }
  return sig;
}

}  // namespace pl::crypto
