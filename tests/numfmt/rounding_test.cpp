// Rounding modes: toward zero, seeded stochastic rounding, and overflow under each mode.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <vector>

#include "hwlock/numfmt.hpp"

namespace {

using namespace hwlock::numfmt;

constexpr float kInf = std::numeric_limits<float>::infinity();

Encoded enc(const ElementType& t, float x, Rounding m, bool sat = false, std::uint32_t r = 0) {
  return encode_element_ref(t, x, 0, m, sat, r);
}

TEST(Rounding, TowardZeroTruncatesTheMagnitude) {
  EXPECT_EQ(enc(kFp16, 0x1.006p0f, Rounding::toward_zero).code, 0x3C01u);
  EXPECT_EQ(enc(kFp16, -0x1.006p0f, Rounding::toward_zero).code, 0xBC01u);
  EXPECT_EQ(enc(kFp16, 0x1.ffcp-15f, Rounding::toward_zero).code, 0x03FFu);
  EXPECT_EQ(enc(kFp16, 0x1.fffffep-25f, Rounding::toward_zero).flags, kInexact | kUnderflow);
  EXPECT_EQ(enc(kBf16, 0x1.01fffep0f, Rounding::toward_zero).code, 0x3F80u);
  EXPECT_EQ(enc(kFp4E2M1, 5.9f, Rounding::toward_zero).code, 0x6u);
  EXPECT_EQ(enc(kInt8, -2.9f, Rounding::toward_zero).code, 0xFEu);
}

TEST(Rounding, TowardZeroOverflowFollowsIeee) {
  // IEEE 754: finite overflow under round-toward-zero gives max finite, inf stays inf.
  EXPECT_EQ(enc(kFp16, 1e6f, Rounding::toward_zero).code, 0x7BFFu);
  EXPECT_EQ(enc(kFp16, -1e6f, Rounding::toward_zero).code, 0xFBFFu);
  EXPECT_EQ(enc(kFp16, kInf, Rounding::toward_zero).code, 0x7C00u);
  EXPECT_EQ(enc(kFp8E4M3, 1e6f, Rounding::toward_zero).code, 0x7Eu);
  EXPECT_EQ(enc(kFp8E4M3, kInf, Rounding::toward_zero).code, 0x7Fu);  // no inf: NaN
  EXPECT_EQ(enc(kFp8E4M3, kInf, Rounding::toward_zero, true).code, 0x7Eu);
  EXPECT_EQ(enc(kFp8E5M2, 1e6f, Rounding::toward_zero).code, 0x7Bu);
}

TEST(Rounding, StochasticThresholdIsExact) {
  // 1 + 2^-12 is a quarter of an fp16 ulp above 1: it rounds up iff random < 2^30.
  const float x = 0x1.001p0f;
  EXPECT_EQ(enc(kFp16, x, Rounding::stochastic, false, (1u << 30) - 1).code, 0x3C01u);
  EXPECT_EQ(enc(kFp16, x, Rounding::stochastic, false, 1u << 30).code, 0x3C00u);
  EXPECT_EQ(enc(kFp16, -x, Rounding::stochastic, false, 0).code, 0xBC01u);
  // Exact values never move, whatever the random bits.
  EXPECT_EQ(enc(kFp16, 1.0f, Rounding::stochastic, false, 0).code, 0x3C00u);
  // Below the smallest subnormal the probability is still proportional.
  EXPECT_EQ(enc(kFp16, 0x1p-26f, Rounding::stochastic, false, (1u << 30) - 1).code, 0x0001u);
  EXPECT_EQ(enc(kFp16, 0x1p-26f, Rounding::stochastic, false, 1u << 30).code, 0x0000u);
  // Far below: rounds to zero (probability under 2^-32).
  EXPECT_EQ(enc(kFp16, 0x1p-60f, Rounding::stochastic, false, 0).code, 0x0000u);
  // Overflow by stochastic rounding behaves like rne overflow.
  EXPECT_EQ(enc(kFp16, 65519.0f, Rounding::stochastic, false, 0).code, 0x7C00u);
  EXPECT_EQ(enc(kFp16, 65519.0f, Rounding::stochastic, true, 0).code, 0x7BFFu);
}

TEST(Rounding, StochasticIsUnbiasedAndSeeded) {
  const std::size_t n = 100000;
  const std::vector<float> in(n, 0x1.001p0f);  // quarter ulp above 1
  std::vector<float> a(n), b(n), c(n);
  const FormatSpec s1 = parse_format("fp16:sr=11").value(), s2 = parse_format("fp16:sr=12").value();
  ASSERT_TRUE(fake_quantize_ref(s1, in, a, {1, n}).ok());
  ASSERT_TRUE(fake_quantize_ref(s1, in, b, {1, n}).ok());
  ASSERT_TRUE(fake_quantize_ref(s2, in, c, {1, n}).ok());
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  std::size_t up = 0;
  for (float v : a) {
    ASSERT_TRUE(v == 1.0f || v == 0x1.004p0f);
    up += v != 1.0f;
  }
  EXPECT_NEAR(static_cast<double>(up) / n, 0.25, 0.005);
  const double mean = std::accumulate(a.begin(), a.end(), 0.0) / n;
  EXPECT_NEAR(mean, 0x1.001p0, 2e-5);
}

TEST(Rounding, StochasticDependsOnlyOnSeedIndexAndValue) {
  // Element 1 keeps its result when element 0 changes.
  const FormatSpec s = parse_format("fp8-e4m3:sr=99").value();
  std::vector<float> x{1.3f, 1.3f, 1.3f}, y{-7.0f, 1.3f, 1.3f}, ox(3), oy(3);
  for (std::uint64_t trial = 0; trial < 50; ++trial) {
    x[1] = y[1] = 1.0f + 0.01f * static_cast<float>(trial);
    ASSERT_TRUE(fake_quantize_ref(s, x, ox, {1, 3}).ok());
    ASSERT_TRUE(fake_quantize_ref(s, y, oy, {1, 3}).ok());
    EXPECT_EQ(ox[1], oy[1]);
    EXPECT_EQ(ox[1], decode_element_ref(
                         kFp8E4M3, encode_element_ref(kFp8E4M3, x[1], 0, Rounding::stochastic, true,
                                                      stochastic_bits(99, 1))
                                       .code));
  }
}

TEST(Rounding, IntStochasticAndTowardZero) {
  std::vector<float> in(20001, 0.25f);
  in[0] = 127.0f;  // scale 1
  std::vector<float> out(in.size());
  ASSERT_TRUE(fake_quantize_ref(parse_format("int8:sr=3").value(), in, out, {1, in.size()}).ok());
  const auto ups = static_cast<double>(std::count(out.begin() + 1, out.end(), 1.0f));
  EXPECT_NEAR(ups / 20000, 0.25, 0.015);
  in[1] = -3.75f;
  ASSERT_TRUE(fake_quantize_ref(parse_format("int8:rtz").value(), in, out, {1, in.size()}).ok());
  EXPECT_EQ(out[1], -3.0f);
  EXPECT_EQ(out[2], 0.0f);
}

}  // namespace
