// Exhaustive checks over every code of every element type of at most 16 bits:
// encode(decode(code)) == code, decode is strictly monotonic, and encoding agrees with a
// brute-force search for the nearest / truncated / stochastically chosen representable value.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "hwlock/numfmt.hpp"

namespace {

using namespace hwlock::numfmt;

struct Named {
  std::string name;
  ElementType t;
};

// Every distinct element of the table with <= 16 bits, plus parametrised bfp and fixed variants.
std::vector<Named> small_elements() {
  std::vector<Named> out;
  auto add = [&](std::string name, const ElementType& t) {
    for (const auto& n : out)
      if (n.t == t) return;
    out.push_back({std::move(name), t});
  };
  for (const auto& f : kFormats)
    if (f.element.bits <= 16) add(std::string(f.name), f.element);
  add("fp6-e2m3", kFp6E2M3);
  for (auto [e, m] : {std::pair{0u, 3u}, {1u, 2u}, {2u, 3u}, {3u, 0u}, {4u, 3u}, {5u, 10u}})
    add("bfp e" + std::to_string(e) + "m" + std::to_string(m), minifloat_element(e, m));
  for (auto [m, n] : {std::pair{3u, 4u}, {0u, 15u}, {1u, 6u}, {0u, 1u}, {15u, 0u}})
    add("fixed q" + std::to_string(m) + "." + std::to_string(n), fixed_element(m, n));
  return out;
}

std::uint32_t sign_bit(const ElementType& t) {
  return 1u << (t.bits - 1);
}

// The negative code of the same magnitude (floats and log: sign-magnitude; twos_int: negate).
std::uint32_t negate(const ElementType& t, std::uint32_t code) {
  if (t.kind == ElementKind::twos_int) return (~code + 1) & ((1u << t.bits) - 1);
  return code | sign_bit(t);
}

bool never_produced(const ElementType& t, std::uint32_t code) {
  return t.kind == ElementKind::twos_int && t.symmetric && code == sign_bit(t);
}

TEST(Exhaustive, EncodeOfDecodeIsIdentityForEveryCode) {
  for (const auto& [name, t] : small_elements()) {
    SCOPED_TRACE(name);
    for (std::uint32_t code = 0; code < (1u << t.bits); ++code) {
      const float v = decode_element_ref(t, code);
      if (is_nan_code(t, code)) {
        ASSERT_TRUE(std::isnan(v)) << code;
        if (t.kind != ElementKind::log) {
          EXPECT_EQ(std::signbit(v), (code & sign_bit(t)) != 0) << code;
        }
        const bool quiet = t.kind != ElementKind::ieee_float || ((code >> (t.man_bits - 1)) & 1);
        if (quiet) {
          EXPECT_EQ(encode_element_ref(t, v).code, code) << code;
        }
        continue;
      }
      if (never_produced(t, code)) continue;
      for (Rounding m : {Rounding::nearest_even, Rounding::toward_zero, Rounding::stochastic}) {
        for (bool sat : {false, true}) {
          if (sat && std::isinf(v)) continue;  // saturation maps inf to max finite
          const Encoded e = encode_element_ref(t, v, 0, m, sat, 0xFFFFFFFFu);
          ASSERT_EQ(e.code, code) << "value " << std::hexfloat << v;
          ASSERT_EQ(e.flags, 0) << code;
        }
      }
    }
  }
}

TEST(Exhaustive, DecodeIsStrictlyMonotonicAndSymmetric) {
  for (const auto& [name, t] : small_elements()) {
    SCOPED_TRACE(name);
    float prev = -1.0f;
    for (std::uint32_t code = 0; code <= max_finite_code(t); ++code) {
      const float v = decode_element_ref(t, code);
      ASSERT_GT(v, prev) << code;
      prev = v;
      if (t.kind == ElementKind::log && code == 0) continue;  // 0x80 is NaN, not -0
      const float neg = decode_element_ref(t, negate(t, code));
      ASSERT_EQ(neg, -v) << code;
    }
  }
}

// Brute force over a sorted table of every finite value.
struct Table {
  std::vector<std::pair<float, std::uint32_t>> v;  // (value, code), ascending; -0 dropped
  explicit Table(const ElementType& t) {
    for (std::uint32_t code = 0; code < (1u << t.bits); ++code) {
      if (is_nan_code(t, code) || never_produced(t, code)) continue;
      const float x = decode_element_ref(t, code);
      if (std::isinf(x) || (x == 0.0f && std::signbit(x))) continue;
      v.emplace_back(x, code);
    }
    std::sort(v.begin(), v.end());
  }
  // Saturating encode by search: what encode_element_ref must return for finite x.
  float expect(float x, Rounding mode, std::uint32_t random) const {
    if (x <= v.front().first) return v.front().first;
    if (x >= v.back().first) return v.back().first;
    const auto hi = std::lower_bound(v.begin(), v.end(), std::pair{x, 0u});
    if (hi->first == x) return x;
    const auto lo = hi - 1;
    const double dlo = static_cast<double>(x) - lo->first, dhi = hi->first - static_cast<double>(x);
    const bool pos = x > 0;  // lo/hi straddle no zero: zero is in the table
    const auto& toward0 = pos ? *lo : *hi;
    const auto& away = pos ? *hi : *lo;
    switch (mode) {
      case Rounding::nearest_even:
        if (dlo != dhi) return dlo < dhi ? lo->first : hi->first;
        return (lo->second & 1) == 0 ? lo->first : hi->first;
      case Rounding::toward_zero:
        return toward0.first;
      case Rounding::stochastic: {
        const double frac = (pos ? dlo : dhi) / (hi->first - static_cast<double>(lo->first));
        const auto limit = static_cast<std::uint64_t>(std::floor(std::ldexp(frac, 32)));
        return random < limit ? away.first : toward0.first;
      }
    }
    return 0;
  }
};

TEST(Exhaustive, EncodeMatchesBruteForceSearch) {
  std::mt19937 rng(20240611);
  for (const auto& [name, t] : small_elements()) {
    SCOPED_TRACE(name);
    const Table table(t);
    const float top = table.v.back().first;
    std::uniform_int_distribution<std::size_t> pick(0, table.v.size() - 2);
    std::uniform_real_distribution<float> unit(0.0f, 1.0f);
    std::vector<float> inputs;
    for (int i = 0; i < 3000; ++i) {
      const std::size_t k = pick(rng);
      const float a = table.v[k].first, b = table.v[k + 1].first;
      const double mid = (static_cast<double>(a) + b) / 2;
      inputs.push_back(a + (b - a) * unit(rng));
      if (static_cast<double>(static_cast<float>(mid)) == mid) {
        const float m = static_cast<float>(mid);
        inputs.insert(inputs.end(), {m, std::nextafter(m, -INFINITY), std::nextafter(m, INFINITY)});
      }
      float any;
      do any = std::bit_cast<float>(static_cast<std::uint32_t>(rng()));
      while (!std::isfinite(any));
      inputs.push_back(any);
      inputs.push_back(std::ldexp(unit(rng), std::ilogb(top) + 2) * (rng() & 1 ? 1.0f : -1.0f));
    }
    for (float x : inputs) {
      for (Rounding m : {Rounding::nearest_even, Rounding::toward_zero, Rounding::stochastic}) {
        const std::uint32_t random = static_cast<std::uint32_t>(rng());
        const Encoded e = encode_element_ref(t, x, 0, m, true, random);
        const float got = decode_element_ref(t, e.code);
        const float want = table.expect(x, m, random);
        ASSERT_EQ(got, want) << "x=" << std::hexfloat << x << " mode=" << static_cast<int>(m);
        if (got == 0.0f && t.kind != ElementKind::twos_int && t.kind != ElementKind::log) {
          ASSERT_EQ(std::signbit(got), std::signbit(x)) << std::hexfloat << x;
        }
        ASSERT_EQ((e.flags & kInexact) != 0, got != x);
      }
    }
  }
}

}  // namespace
