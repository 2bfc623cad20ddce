// Internal to the transform module: keyed pseudo-random streams every scheme draws from.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "hwlock/transform.hpp"

namespace hwlock::transform::detail {

// The AES-256-CTR keystream of (key, nonce) from byte `offset` on: `out` is filled with it.
Status keystream(std::span<const std::byte, crypto::kKeySize> key,
                 std::span<const std::byte, crypto::kIvSize> nonce, std::uint64_t offset,
                 std::span<std::byte> out);

// Uniform integers drawn from a keystream, 64 bits at a time (for permutations and slots).
class KeyedRng {
 public:
  KeyedRng(std::span<const std::byte, crypto::kKeySize> key,
           std::span<const std::byte, crypto::kIvSize> nonce);
  ~KeyedRng();
  KeyedRng(const KeyedRng&) = delete;
  KeyedRng& operator=(const KeyedRng&) = delete;
  // The next 64 keystream bits, little-endian. Errors only from the crypto library.
  Result<std::uint64_t> next();
  // Uniform in [0, bound), bound >= 1 (rejection sampling: no modulo bias).
  Result<std::uint64_t> below(std::uint64_t bound);

 private:
  std::array<std::byte, crypto::kKeySize> key_{};
  std::array<std::byte, crypto::kIvSize> nonce_{};
  std::vector<std::byte> block_;
  std::size_t used_ = 0;
  std::uint64_t offset_ = 0;
};

// A uniformly random permutation of [0, n) (Fisher–Yates over `rng`): element i of the result is
// the source index of position i.
Result<std::vector<std::uint32_t>> keyed_permutation(KeyedRng& rng, std::uint64_t n);

}  // namespace hwlock::transform::detail
