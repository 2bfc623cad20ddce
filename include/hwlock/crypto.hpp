// hwlock/crypto.hpp — the primitives hwlock uses, and nothing else.
//
// Only src/crypto/ calls OpenSSL. Every primitive is named for what it is (hkdf_sha256, aes256_ctr)
// and its identifier string is what the container records, so a file says which primitive made it.
//
// Secrets live in `SecretKey` / `SecretBuffer`: move-only, wiped with OPENSSL_cleanse on
// destruction and on move-from. Functions that produce secret material write into caller-owned
// spans so the caller controls the lifetime; wipe them with `secure_wipe` (or hold them in a
// SecretBuffer).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "hwlock/error.hpp"

namespace hwlock::crypto {

inline constexpr std::size_t kKeySize = 32;     // AES-256 / HMAC-SHA256 / master key size
inline constexpr std::size_t kIvSize = 16;      // AES-CTR initial counter block
inline constexpr std::size_t kBlockSize = 16;   // AES block
inline constexpr std::size_t kSha256Size = 32;  // SHA-256 / HMAC-SHA256 output
inline constexpr std::size_t kSaltSize = 32;    // HKDF salt hwlock generates per file
// Longest HKDF info OpenSSL 3.0 accepts (HKDF_MAXINFO in its provider); hkdf_sha256 refuses more.
inline constexpr std::size_t kMaxHkdfInfoSize = 32 * 1024;

// Primitive identifiers written into containers. Never change their meaning; add new ids instead.
inline constexpr std::string_view kKdfId = "hkdf-sha256-v1";
inline constexpr std::string_view kCipherId = "aes-256-ctr";
inline constexpr std::string_view kMacId = "hmac-sha256";

using ByteSpan = std::span<const std::byte>;
using MutableByteSpan = std::span<std::byte>;

// Overwrites memory with zeros in a way the compiler cannot elide (OPENSSL_cleanse).
void secure_wipe(void* data, std::size_t size) noexcept;
inline void secure_wipe(MutableByteSpan s) noexcept {
  secure_wipe(s.data(), s.size());
}

// Constant-time equality; false when sizes differ (the size itself is not secret).
bool constant_time_equal(ByteSpan a, ByteSpan b) noexcept;

// Fills `out` from the OS CSPRNG (OpenSSL RAND_bytes). Fails only if the RNG fails.
Status random_bytes(MutableByteSpan out);

// A 256-bit secret key. Move-only; wiped on destruction.
class SecretKey {
 public:
  SecretKey() noexcept = default;  // all-zero key; valid() is false until assigned
  explicit SecretKey(std::span<const std::byte, kKeySize> bytes) noexcept;
  ~SecretKey();
  SecretKey(const SecretKey&) = delete;
  SecretKey& operator=(const SecretKey&) = delete;
  SecretKey(SecretKey&& other) noexcept;
  SecretKey& operator=(SecretKey&& other) noexcept;

  // A fresh random key.
  static Result<SecretKey> generate();

  std::span<const std::byte, kKeySize> bytes() const noexcept {
    return std::span<const std::byte, kKeySize>(bytes_);
  }
  std::span<std::byte, kKeySize> mutable_bytes() noexcept {
    return std::span<std::byte, kKeySize>(bytes_);
  }
  bool valid() const noexcept { return valid_; }

 private:
  std::array<std::byte, kKeySize> bytes_{};
  bool valid_ = false;
};

// A heap buffer for secret material of any length; move-only; wiped on destruction.
class SecretBuffer {
 public:
  SecretBuffer() = default;
  explicit SecretBuffer(std::size_t size);
  ~SecretBuffer();
  SecretBuffer(const SecretBuffer&) = delete;
  SecretBuffer& operator=(const SecretBuffer&) = delete;
  SecretBuffer(SecretBuffer&& other) noexcept;
  SecretBuffer& operator=(SecretBuffer&& other) noexcept;

  std::byte* data() noexcept { return data_.data(); }
  const std::byte* data() const noexcept { return data_.data(); }
  std::size_t size() const noexcept { return data_.size(); }
  MutableByteSpan span() noexcept { return data_; }
  ByteSpan span() const noexcept { return data_; }

 private:
  std::vector<std::byte> data_;
};

// SHA-256 of `data`.
Status sha256(ByteSpan data, std::span<std::byte, kSha256Size> out);

// HMAC-SHA256 (RFC 2104, test vectors RFC 4231). `out` receives the full 32-byte tag.
Status hmac_sha256(ByteSpan key, ByteSpan message, std::span<std::byte, kSha256Size> out);

// Incremental HMAC-SHA256 for long inputs. Move-only.
class HmacSha256 {
 public:
  static Result<HmacSha256> create(ByteSpan key);
  ~HmacSha256();
  HmacSha256(HmacSha256&& other) noexcept;
  HmacSha256& operator=(HmacSha256&& other) noexcept;
  HmacSha256(const HmacSha256&) = delete;
  HmacSha256& operator=(const HmacSha256&) = delete;
  Status update(ByteSpan data);
  Status finish(std::span<std::byte, kSha256Size> out);

 private:
  HmacSha256() = default;
  void* ctx_ = nullptr;  // EVP_MAC_CTX*
};

// HKDF-SHA256 (RFC 5869) extract-then-expand. `out` may be 1..8160 bytes. An empty salt means a
// string of HashLen zeros, as in the RFC. `info` may be at most kMaxHkdfInfoSize bytes.
Status hkdf_sha256(ByteSpan ikm, ByteSpan salt, ByteSpan info, MutableByteSpan out);

// AES-256 in CTR mode (NIST SP 800-38A), OpenSSL EVP (AES-NI where the CPU has it).
//
// The counter block is the 16-byte `iv` treated as a 128-bit big-endian integer incremented once
// per block (OpenSSL's convention). `byte_offset` is the position within the keystream where `in`
// starts, so any slice of a long message can be processed independently (and in parallel): the
// result equals the corresponding slice of processing the whole message from offset 0.
// `in` and `out` must have the same size; they may alias exactly (in-place) but not partially.
Status aes256_ctr_xor(std::span<const std::byte, kKeySize> key,
                      std::span<const std::byte, kIvSize> iv, std::uint64_t byte_offset,
                      ByteSpan in, MutableByteSpan out);

// Same result as aes256_ctr_xor, splitting the work over `threads` threads (0 = one per hardware
// thread). Small inputs (< 1 MiB per thread) are processed on the calling thread.
Status aes256_ctr_xor_parallel(std::span<const std::byte, kKeySize> key,
                               std::span<const std::byte, kIvSize> iv, std::uint64_t byte_offset,
                               ByteSpan in, MutableByteSpan out, unsigned threads);

// X25519 (RFC 7748) Diffie-Hellman, for envelope keys: a device derives its private key from its
// fingerprint; its public key goes in the public device record, so a model can be locked for the
// device anywhere without any device secret.
inline constexpr std::size_t kX25519Size = 32;
// The public key of `private_key` (clamped as RFC 7748 specifies).
Status x25519_public(std::span<const std::byte, kX25519Size> private_key,
                     std::span<std::byte, kX25519Size> public_key);
// The shared secret of `private_key` and `peer_public`. Fails on an all-zero result (a
// small-order peer key), as RFC 7748 section 6.1 recommends.
Status x25519_shared(std::span<const std::byte, kX25519Size> private_key,
                     std::span<const std::byte, kX25519Size> peer_public,
                     std::span<std::byte, kX25519Size> shared);

// Hex helpers (lowercase). from_hex fails on odd length or a non-hex digit.
std::string to_hex(ByteSpan data);
Result<std::vector<std::byte>> from_hex(std::string_view hex);

}  // namespace hwlock::crypto
