// The numeric challenge set: fixed inputs built from constant seeds with integer arithmetic only
// (bit patterns, never libm), so every platform feeds the probes the same bits.
#include <cfloat>
#include <cstring>
#include <vector>

#include "fingerprint/prng.hpp"
#include "fingerprint/probe_isa.hpp"

namespace hwlock::fingerprint::detail {
namespace {

float from_bits(std::uint32_t u) noexcept {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

// Inputs where estimate instructions and emulators disagree most: signed zeros, denormals (flushed
// by rcpps), the normal range edges, infinities, a quiet NaN with payload, powers of two.
constexpr std::uint32_t kSpecialBits[] = {
    0x00000000, 0x80000000, 0x00000001, 0x007fffff, 0x00400000, 0x00800000, 0x00800001,
    0x7f7fffff, 0x7f000000, 0x7e800000, 0x7e7fffff, 0x7f800000, 0xff800000, 0x7fc12345,
    0x3f800000, 0xbf800000, 0x3fffffff, 0x40000000, 0x407fffff, 0x01000000, 0x5f000000};

void pad16(std::vector<float>& v) {
  while (v.size() % 16 != 0) v.push_back(1.0f);
}

// `count` values in [1, 2^exponents) whose top `top_bits` mantissa bits sweep every pattern; the
// low mantissa bits are random, so both ends of each estimate-table interval get exercised.
void add_sweep(std::vector<float>& v, unsigned top_bits, unsigned exponents, Xoshiro256& rng) {
  const unsigned low_bits = 23 - top_bits;
  for (std::uint32_t e = 0; e < exponents; ++e)
    for (std::uint32_t k = 0; k < (1u << top_bits); ++k) {
      const auto low = static_cast<std::uint32_t>(rng.next() >> (64 - low_bits));
      v.push_back(from_bits(((127 + e) << 23) | (k << low_bits) | low));
    }
}

// Random finite floats with sign, exponent in [127 - span, 127 + span] and a random mantissa.
void add_random(std::vector<float>& v, std::size_t n, unsigned span, bool negative_ok,
                Xoshiro256& rng) {
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint64_t r = rng.next();
    const auto sign = negative_ok ? static_cast<std::uint32_t>(r >> 63) << 31 : 0u;
    const auto e = static_cast<std::uint32_t>(127 - span + (r >> 32) % (2 * span + 1));
    v.push_back(from_bits(sign | (e << 23) | static_cast<std::uint32_t>(r & 0x7fffff)));
  }
}

struct Storage {
  std::vector<float> recip, rsqrt, recip14, sum, dot_b, libm_f32;
  std::vector<double> libm_f64;
};

Storage build() {
  Storage c;
  Xoshiro256 rng(0x68776c6f636b3031ULL);  // "hwlock01"
  add_sweep(c.recip, 12, 1, rng);
  for (auto b : kSpecialBits) c.recip.push_back(from_bits(b));
  add_random(c.recip, 256, 126, true, rng);
  pad16(c.recip);

  add_sweep(c.rsqrt, 12, 2, rng);
  for (auto b : kSpecialBits) c.rsqrt.push_back(from_bits(b));
  add_random(c.rsqrt, 256, 126, false, rng);
  pad16(c.rsqrt);

  add_sweep(c.recip14, 14, 2, rng);
  for (auto b : kSpecialBits) c.recip14.push_back(from_bits(b));
  pad16(c.recip14);

  add_random(c.sum, kReduceLengths[0], 12, true, rng);
  add_random(c.dot_b, kReduceLengths[0], 6, true, rng);
  pad16(c.sum);
  pad16(c.dot_b);

  // Uniform in [0, 1) exactly representable: probes map these into each function's domain.
  for (int i = 0; i < 2048; ++i) {
    const std::uint64_t r = rng.next();
    c.libm_f32.push_back(static_cast<float>(r >> 40) * 0x1.0p-24f);
    c.libm_f64.push_back(static_cast<double>(r >> 11) * 0x1.0p-53);
  }
  return c;
}

}  // namespace

const Challenges& challenges() noexcept {
  static const Storage s = build();
  static const Challenges c = {
      {s.recip.data(), s.recip.size()},      {s.rsqrt.data(), s.rsqrt.size()},
      {s.recip14.data(), s.recip14.size()},  {s.sum.data(), s.sum.size()},
      {s.dot_b.data(), s.dot_b.size()},      {s.libm_f32.data(), s.libm_f32.size()},
      {s.libm_f64.data(), s.libm_f64.size()}};
  return c;
}

void ProbeSink::put_bytes(const void* p, std::size_t n) noexcept {
  const auto* b = static_cast<const unsigned char*>(p);
  for (std::size_t i = 0; i < n; ++i) {
    h_ ^= b[i];
    h_ *= 0x100000001b3ULL;
  }
}
void ProbeSink::put(float v) noexcept {
  put_bytes(&v, sizeof v);
}
void ProbeSink::put(double v) noexcept {
  put_bytes(&v, sizeof v);
}
void ProbeSink::put(std::uint32_t v) noexcept {
  put_bytes(&v, sizeof v);
}
void ProbeSink::put(std::uint64_t v) noexcept {
  put_bytes(&v, sizeof v);
}

std::uint32_t ProbeSink::digest() const noexcept {
  const std::uint64_t m = mix64(h_);
  return static_cast<std::uint32_t>(m ^ (m >> 32));
}

void ProbeSink::put_ldbl(long double v) noexcept {
#if LDBL_MANT_DIG == 64
  put_bytes(&v, 10);
#else
  put_bytes(&v, sizeof v);
#endif
}

}  // namespace hwlock::fingerprint::detail
