#include "keystream.hpp"

#include <algorithm>
#include <cstring>

namespace hwlock::transform::detail {

Status keystream(std::span<const std::byte, crypto::kKeySize> key,
                 std::span<const std::byte, crypto::kIvSize> nonce, std::uint64_t offset,
                 std::span<std::byte> out) {
  std::fill(out.begin(), out.end(), std::byte{0});
  return crypto::aes256_ctr_xor(key, nonce, offset, out, out);
}

KeyedRng::KeyedRng(std::span<const std::byte, crypto::kKeySize> key,
                   std::span<const std::byte, crypto::kIvSize> nonce) {
  std::copy(key.begin(), key.end(), key_.begin());
  std::copy(nonce.begin(), nonce.end(), nonce_.begin());
}

KeyedRng::~KeyedRng() {
  crypto::secure_wipe(std::as_writable_bytes(std::span(key_)));
  crypto::secure_wipe(block_);
}

Result<std::uint64_t> KeyedRng::next() {
  if (used_ == block_.size()) {
    constexpr std::size_t kBytes = 4096;  // keystream per refill
    block_.assign(kBytes, std::byte{0});
    HWLOCK_TRY(keystream(key_, nonce_, offset_, block_));
    offset_ += kBytes;
    used_ = 0;
  }
  std::uint64_t v = 0;  // little-endian, whatever the host
  for (unsigned b = 0; b < 8; ++b) {
    v |= std::uint64_t{std::to_integer<std::uint8_t>(block_[used_ + b])} << (8 * b);
    block_[used_ + b] = std::byte{0};
  }
  used_ += 8;
  return v;
}

Result<std::uint64_t> KeyedRng::below(std::uint64_t bound) {
  // Lemire's nearly-divisionless method would do; plain rejection keeps it obviously uniform.
  const std::uint64_t limit = bound == 0 ? 0 : (0 - bound) % bound;  // 2^64 mod bound
  for (;;) {
    HWLOCK_ASSIGN(const std::uint64_t v, next());
    if (v >= limit) return v % bound;
  }
}

Result<std::vector<std::uint32_t>> keyed_permutation(KeyedRng& rng, std::uint64_t n) {
  if (n > UINT32_MAX)
    return fail(Errc::scheme_unsupported,
                "axis of " + std::to_string(n) + " entries: too long to permute");
  std::vector<std::uint32_t> p(static_cast<std::size_t>(n));
  for (std::uint32_t i = 0; i < p.size(); ++i) p[i] = i;
  for (std::size_t i = p.size(); i > 1; --i) {
    HWLOCK_ASSIGN(const std::uint64_t j, rng.below(i));
    std::swap(p[i - 1], p[static_cast<std::size_t>(j)]);
  }
  return p;
}

}  // namespace hwlock::transform::detail
