// Deterministic randomness for the fuzzy-extractor tests: bits, i.i.d. bit-error channels, error
// patterns of a given weight. Fixed seeds only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <numeric>
#include <span>
#include <vector>

namespace hwlock::fuzzy::test {

// xoshiro256** seeded by splitmix64.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) {
    for (auto& s : s_) {
      seed += 0x9e3779b97f4a7c15ULL;
      std::uint64_t z = seed;
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
      s = z ^ (z >> 31);
    }
  }
  std::uint64_t next() {
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
  // Uniform in [0, bound).
  std::size_t below(std::size_t bound) { return static_cast<std::size_t>(next() % bound); }
  // True with probability p (p in [0, 1]), resolution 2^-53.
  bool bernoulli(double p) { return static_cast<double>(next() >> 11) * 0x1.0p-53 < p; }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::uint64_t s_[4];
};

// Unpacked random bits.
inline std::vector<std::uint8_t> random_bits(Rng& rng, std::size_t n) {
  std::vector<std::uint8_t> v(n);
  for (auto& b : v) b = static_cast<std::uint8_t>(rng.next() >> 63);
  return v;
}

// Packed (LSB first) random bits.
inline std::vector<std::uint8_t> random_packed(Rng& rng, std::size_t nbits) {
  std::vector<std::uint8_t> v((nbits + 7) / 8);
  for (auto& b : v) b = static_cast<std::uint8_t>(rng.next() >> 56);
  if (nbits % 8) v.back() = static_cast<std::uint8_t>(v.back() & ((1u << (nbits % 8)) - 1));
  return v;
}

// Flips each of the first nbits packed bits with probability p; returns the number flipped.
inline std::size_t flip_packed(Rng& rng, std::vector<std::uint8_t>& packed, std::size_t nbits,
                               double p) {
  std::size_t flips = 0;
  for (std::size_t i = 0; i < nbits; ++i) {
    if (!rng.bernoulli(p)) continue;
    packed[i / 8] = static_cast<std::uint8_t>(packed[i / 8] ^ (1u << (i % 8)));
    ++flips;
  }
  return flips;
}

// `weight` distinct positions in [0, n) (partial Fisher–Yates).
inline std::vector<std::size_t> random_positions(Rng& rng, std::size_t n, std::size_t weight) {
  std::vector<std::size_t> idx(n);
  std::iota(idx.begin(), idx.end(), std::size_t{0});
  for (std::size_t i = 0; i < weight; ++i) std::swap(idx[i], idx[i + rng.below(n - i)]);
  idx.resize(weight);
  return idx;
}

}  // namespace hwlock::fuzzy::test
