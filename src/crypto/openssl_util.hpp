// openssl_util.hpp — private helpers shared by src/crypto/*.cpp: RAII owners for OpenSSL objects
// and the conversion of OpenSSL's thread-local error queue into a hwlock::Error.
#pragma once

#include <openssl/evp.h>
#include <openssl/kdf.h>

#include <cstddef>
#include <memory>
#include <string_view>

#include "hwlock/error.hpp"

namespace hwlock::crypto::detail {

struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* p) const noexcept { EVP_CIPHER_CTX_free(p); }
};
struct MacFree {
  void operator()(EVP_MAC* p) const noexcept { EVP_MAC_free(p); }
};
struct MacCtxFree {
  void operator()(EVP_MAC_CTX* p) const noexcept { EVP_MAC_CTX_free(p); }
};
struct KdfFree {
  void operator()(EVP_KDF* p) const noexcept { EVP_KDF_free(p); }
};
struct KdfCtxFree {
  void operator()(EVP_KDF_CTX* p) const noexcept { EVP_KDF_CTX_free(p); }
};

using CipherCtxPtr = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree>;
using MacPtr = std::unique_ptr<EVP_MAC, MacFree>;
using MacCtxPtr = std::unique_ptr<EVP_MAC_CTX, MacCtxFree>;
using KdfPtr = std::unique_ptr<EVP_KDF, KdfFree>;
using KdfCtxPtr = std::unique_ptr<EVP_KDF_CTX, KdfCtxFree>;

// Builds Errc::crypto "<operation>: <OpenSSL reason>" and clears the calling thread's error queue,
// so a stale entry never leaks into the message of a later, unrelated failure.
Error openssl_error(std::string_view operation);

// OpenSSL length parameters are `int` in the EVP cipher API; longer inputs are fed in chunks of
// this size (a multiple of the AES block so chunking never splits a block).
inline constexpr std::size_t kMaxEvpChunk = std::size_t{1} << 30;

// OpenSSL treats a null pointer with length 0 as "parameter absent" in some places (HMAC key,
// HKDF key); pointing at this byte instead keeps "present but empty" distinct.
inline constexpr unsigned char kEmptyInput[1] = {0};

inline const unsigned char* ossl_ptr(const std::byte* p) noexcept {
  return p != nullptr ? reinterpret_cast<const unsigned char*>(p) : kEmptyInput;
}

}  // namespace hwlock::crypto::detail
