// hkdf.cpp — HKDF-SHA256 (RFC 5869) through EVP_KDF "HKDF" in extract-and-expand mode.
#include <openssl/core_names.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include <array>
#include <string>

#include "hwlock/crypto.hpp"
#include "openssl_util.hpp"

namespace hwlock::crypto {

namespace {
// RFC 5869 §2.3: L <= 255 * HashLen.
constexpr std::size_t kMaxHkdfOutput = 255 * kSha256Size;
}  // namespace

Status hkdf_sha256(ByteSpan ikm, ByteSpan salt, ByteSpan info, MutableByteSpan out) {
  if (out.empty() || out.size() > kMaxHkdfOutput)
    return fail(Errc::internal, "hkdf_sha256: output length " + std::to_string(out.size()) +
                                    " outside 1.." + std::to_string(kMaxHkdfOutput));
  // OpenSSL would fail with a bare "derive failed"; say why instead.
  if (info.size() > kMaxHkdfInfoSize)
    return fail(Errc::internal, "hkdf_sha256: info of " + std::to_string(info.size()) +
                                    " bytes exceeds the limit of " +
                                    std::to_string(kMaxHkdfInfoSize));

  detail::KdfPtr kdf(EVP_KDF_fetch(nullptr, "HKDF", nullptr));
  if (!kdf) return detail::openssl_error("hkdf_sha256: EVP_KDF_fetch(HKDF)");
  detail::KdfCtxPtr ctx(EVP_KDF_CTX_new(kdf.get()));
  if (!ctx) return detail::openssl_error("hkdf_sha256: EVP_KDF_CTX_new");

  // RFC 5869: "if not provided, [salt] is set to a string of HashLen zeros". OpenSSL ignores a
  // zero-length salt parameter, so pass the zeros explicitly instead of relying on its default.
  static constexpr std::array<unsigned char, kSha256Size> kZeroSalt{};
  const void* salt_ptr = salt.empty() ? static_cast<const void*>(kZeroSalt.data())
                                      : static_cast<const void*>(salt.data());
  const std::size_t salt_len = salt.empty() ? kZeroSalt.size() : salt.size();

  // OSSL_PARAM takes non-const pointers but only reads through them for set_params.
  char digest[] = "SHA256";
  OSSL_PARAM params[5];
  std::size_t n = 0;
  params[n++] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0);
  params[n++] = OSSL_PARAM_construct_octet_string(
      OSSL_KDF_PARAM_KEY, const_cast<unsigned char*>(detail::ossl_ptr(ikm.data())), ikm.size());
  params[n++] =
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, const_cast<void*>(salt_ptr), salt_len);
  if (!info.empty())
    params[n++] = OSSL_PARAM_construct_octet_string(
        OSSL_KDF_PARAM_INFO, const_cast<std::byte*>(info.data()), info.size());
  params[n] = OSSL_PARAM_construct_end();

  if (EVP_KDF_derive(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), out.size(), params) !=
      1) {
    secure_wipe(out);  // never hand back a half-written key
    return detail::openssl_error("hkdf_sha256: EVP_KDF_derive");
  }
  return {};
}

}  // namespace hwlock::crypto
