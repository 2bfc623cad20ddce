// sha_hmac.cpp — SHA-256 (EVP_Digest) and HMAC-SHA256 (EVP_MAC "HMAC"), one-shot and incremental.
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <utility>

#include "hwlock/crypto.hpp"
#include "openssl_util.hpp"

namespace hwlock::crypto {
namespace {

using detail::MacCtxPtr;
using detail::MacPtr;
using detail::openssl_error;

EVP_MAC_CTX* as_ctx(void* p) noexcept {
  return static_cast<EVP_MAC_CTX*>(p);
}

// A keyed HMAC-SHA256 context, ready for updates.
Result<MacCtxPtr> new_hmac_ctx(ByteSpan key, const char* operation) {
  const std::string op(operation);
  MacPtr mac(EVP_MAC_fetch(nullptr, "HMAC", nullptr));
  if (!mac) return openssl_error(op + ": EVP_MAC_fetch(HMAC)");
  MacCtxPtr ctx(EVP_MAC_CTX_new(mac.get()));  // the context holds its own reference to `mac`
  if (!ctx) return openssl_error(op + ": EVP_MAC_CTX_new");
  char digest[] = "SHA256";
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_end(),
  };
  // An empty key is legal HMAC (it is zero-padded to the block size); OpenSSL 3.0 needs a non-null
  // pointer to treat it as "set" rather than "absent".
  if (EVP_MAC_init(ctx.get(), detail::ossl_ptr(key.data()), key.size(), params) != 1)
    return openssl_error(op + ": EVP_MAC_init");
  return ctx;
}

Status mac_update(EVP_MAC_CTX* ctx, ByteSpan data, const char* operation) {
  if (data.empty()) return {};
  if (EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1)
    return openssl_error(std::string(operation) + ": EVP_MAC_update");
  return {};
}

Status mac_final(EVP_MAC_CTX* ctx, std::span<std::byte, kSha256Size> out, const char* operation) {
  std::size_t len = 0;
  if (EVP_MAC_final(ctx, reinterpret_cast<unsigned char*>(out.data()), &len, out.size()) != 1)
    return openssl_error(std::string(operation) + ": EVP_MAC_final");
  if (len != kSha256Size)
    return fail(Errc::crypto, std::string(operation) + ": unexpected HMAC length");
  return {};
}

}  // namespace

Status sha256(ByteSpan data, std::span<std::byte, kSha256Size> out) {
  unsigned int len = 0;
  if (EVP_Digest(detail::ossl_ptr(data.data()), data.size(),
                 reinterpret_cast<unsigned char*>(out.data()), &len, EVP_sha256(), nullptr) != 1)
    return openssl_error("sha256: EVP_Digest");
  if (len != kSha256Size) return fail(Errc::crypto, "sha256: unexpected digest length");
  return {};
}

Status hmac_sha256(ByteSpan key, ByteSpan message, std::span<std::byte, kSha256Size> out) {
  HWLOCK_ASSIGN(MacCtxPtr ctx, new_hmac_ctx(key, "hmac_sha256"));
  HWLOCK_TRY(mac_update(ctx.get(), message, "hmac_sha256"));
  return mac_final(ctx.get(), out, "hmac_sha256");
}

// ---- HmacSha256 --------------------------------------------------------------------------------

Result<HmacSha256> HmacSha256::create(ByteSpan key) {
  HWLOCK_ASSIGN(MacCtxPtr ctx, new_hmac_ctx(key, "HmacSha256::create"));
  HmacSha256 h;
  h.ctx_ = ctx.release();
  return h;
}

HmacSha256::~HmacSha256() {
  EVP_MAC_CTX_free(as_ctx(ctx_));
}  // also cleanses the keyed state

HmacSha256::HmacSha256(HmacSha256&& other) noexcept : ctx_(std::exchange(other.ctx_, nullptr)) {}

HmacSha256& HmacSha256::operator=(HmacSha256&& other) noexcept {
  if (this != &other) {
    EVP_MAC_CTX_free(as_ctx(ctx_));
    ctx_ = std::exchange(other.ctx_, nullptr);
  }
  return *this;
}

Status HmacSha256::update(ByteSpan data) {
  if (ctx_ == nullptr) return fail(Errc::internal, "HmacSha256::update: object was moved from");
  return mac_update(as_ctx(ctx_), data, "HmacSha256::update");
}

Status HmacSha256::finish(std::span<std::byte, kSha256Size> out) {
  if (ctx_ == nullptr) return fail(Errc::internal, "HmacSha256::finish: object was moved from");
  return mac_final(as_ctx(ctx_), out, "HmacSha256::finish");
}

}  // namespace hwlock::crypto
