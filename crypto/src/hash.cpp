#include "crypto/hash.h"

#include <openssl/evp.h>

#include <cstdio>
#include <cstdlib>
#include <memory>

namespace pl::crypto {
namespace {

// SHA-256 cannot fail short of memory exhaustion or a broken OpenSSL
// install, neither of which a caller could handle, so failures abort.
[[noreturn]] void Die(const char* what) {
  std::fprintf(stderr, "pl::crypto: OpenSSL SHA-256 failure in %s\n", what);
  std::abort();
}

// Fetched once: an explicit fetch spares OpenSSL a provider lookup on every
// init. Deliberately never freed, so it outlives every thread_local context.
const EVP_MD* Sha256Md() {
  static const EVP_MD* const md = [] {
    EVP_MD* fetched = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    if (fetched == nullptr) Die("EVP_MD_fetch");
    return fetched;
  }();
  return md;
}

struct CtxDeleter {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
using CtxPtr = std::unique_ptr<EVP_MD_CTX, CtxDeleter>;

CtxPtr NewCtx() {
  CtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx) Die("EVP_MD_CTX_new");
  return ctx;
}

void InitCtx(EVP_MD_CTX* ctx) {
  if (EVP_DigestInit_ex(ctx, Sha256Md(), nullptr) != 1) Die("EVP_DigestInit_ex");
}

void UpdateCtx(EVP_MD_CTX* ctx, ByteView data) {
  if (data.empty()) return;
  if (EVP_DigestUpdate(ctx, data.data(), data.size()) != 1) Die("EVP_DigestUpdate");
}

Hash FinalCtx(EVP_MD_CTX* ctx) {
  Hash out;
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx, out.data(), &len) != 1 || len != out.size()) {
    Die("EVP_DigestFinal_ex");
  }
  return out;
}

}  // namespace

Hash Sha256(ByteView data) {
  // One context per thread, re-initialised per call: no allocation on the
  // hot path and no sharing between threads.
  thread_local CtxPtr ctx = NewCtx();
  InitCtx(ctx.get());
  UpdateCtx(ctx.get(), data);
  return FinalCtx(ctx.get());
}

struct Sha256Hasher::Impl {
  CtxPtr ctx = NewCtx();
};

Sha256Hasher::Sha256Hasher() : impl_(new Impl) { InitCtx(impl_->ctx.get()); }

Sha256Hasher::~Sha256Hasher() { delete impl_; }

void Sha256Hasher::Update(ByteView data) { UpdateCtx(impl_->ctx.get(), data); }

Hash Sha256Hasher::Finish() {
  Hash out = FinalCtx(impl_->ctx.get());
  InitCtx(impl_->ctx.get());
  return out;
}

}  // namespace pl::crypto
