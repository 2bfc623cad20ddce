#include <openssl/evp.h>

#include <memory>

#include "hwlock/crypto.hpp"
#include "openssl_util.hpp"

namespace hwlock::crypto {
namespace {

struct PkeyFree {
  void operator()(EVP_PKEY* p) const noexcept { EVP_PKEY_free(p); }
};
struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* p) const noexcept { EVP_PKEY_CTX_free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree>;

PkeyPtr private_pkey(std::span<const std::byte, kX25519Size> key) {
  return PkeyPtr(EVP_PKEY_new_raw_private_key(
      EVP_PKEY_X25519, nullptr, reinterpret_cast<const unsigned char*>(key.data()), key.size()));
}

}  // namespace

Status x25519_public(std::span<const std::byte, kX25519Size> private_key,
                     std::span<std::byte, kX25519Size> public_key) {
  PkeyPtr pkey = private_pkey(private_key);
  if (!pkey) return detail::openssl_error("x25519_public: load private key");
  std::size_t len = public_key.size();
  if (EVP_PKEY_get_raw_public_key(pkey.get(), reinterpret_cast<unsigned char*>(public_key.data()),
                                  &len) != 1 ||
      len != kX25519Size)
    return detail::openssl_error("x25519_public: derive public key");
  return {};
}

Status x25519_shared(std::span<const std::byte, kX25519Size> private_key,
                     std::span<const std::byte, kX25519Size> peer_public,
                     std::span<std::byte, kX25519Size> shared) {
  PkeyPtr mine = private_pkey(private_key);
  PkeyPtr peer(EVP_PKEY_new_raw_public_key(
      EVP_PKEY_X25519, nullptr, reinterpret_cast<const unsigned char*>(peer_public.data()),
      peer_public.size()));
  if (!mine || !peer) return detail::openssl_error("x25519_shared: load keys");
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new(mine.get(), nullptr));
  std::size_t len = shared.size();
  // OpenSSL rejects an all-zero shared secret (small-order peer) in derive itself.
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1 ||
      EVP_PKEY_derive_set_peer(ctx.get(), peer.get()) != 1 ||
      EVP_PKEY_derive(ctx.get(), reinterpret_cast<unsigned char*>(shared.data()), &len) != 1 ||
      len != kX25519Size)
    return detail::openssl_error("x25519_shared: derive");
  return {};
}

}  // namespace hwlock::crypto
