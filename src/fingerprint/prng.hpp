// Deterministic pseudo-random numbers for challenges and simulated devices (private).
// splitmix64 for seeding and stateless hashing of (seed, index) pairs; xoshiro256** for streams.
#pragma once

#include <cmath>
#include <cstdint>

namespace hwlock::fingerprint::detail {

// The splitmix64 finaliser: a bijective 64-bit mixer.
constexpr std::uint64_t mix64(std::uint64_t z) noexcept {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// A stateless hash of up to three words (distinct seeds give independent streams).
constexpr std::uint64_t hash_words(std::uint64_t a, std::uint64_t b, std::uint64_t c = 0) noexcept {
  return mix64(mix64(mix64(a + 0x9e3779b97f4a7c15ULL) ^ b) + 0x632be59bd9b4e019ULL * (c + 1));
}

// Uniform in (0, 1): never 0, so log() is finite.
inline double unit_open(std::uint64_t r) noexcept {
  return (static_cast<double>(r >> 11) + 0.5) * 0x1.0p-53;
}

// A standard normal deviate from two independent 64-bit words (Box–Muller, cosine branch).
inline double gaussian(std::uint64_t r1, std::uint64_t r2) noexcept {
  constexpr double kTwoPi = 6.283185307179586476925286766559;
  return std::sqrt(-2.0 * std::log(unit_open(r1))) * std::cos(kTwoPi * unit_open(r2));
}

class Xoshiro256 {
 public:
  explicit Xoshiro256(std::uint64_t seed) noexcept {
    for (auto& w : s_) {
      seed += 0x9e3779b97f4a7c15ULL;
      w = mix64(seed);
    }
  }
  std::uint64_t next() noexcept {
    const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }
  double normal() noexcept {
    const std::uint64_t a = next();
    return gaussian(a, next());
  }

 private:
  static constexpr std::uint64_t rotl(std::uint64_t x, int k) noexcept {
    return (x << k) | (x >> (64 - k));
  }
  std::uint64_t s_[4];
};

}  // namespace hwlock::fingerprint::detail
