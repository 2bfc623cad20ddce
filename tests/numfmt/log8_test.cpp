// log8: sign + 7-bit log2 code with 3 fraction bits, |v| = 2^((L - 64) / 8), 0x80 = NaN.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>

#include "hwlock/numfmt.hpp"

namespace {

using namespace hwlock::numfmt;

TEST(Log8, DecodeKnownAnswers) {
  EXPECT_EQ(decode_element_ref(kLog8, 0x00), 0.0f);
  EXPECT_FALSE(std::signbit(decode_element_ref(kLog8, 0x00)));
  EXPECT_TRUE(std::isnan(decode_element_ref(kLog8, 0x80)));
  EXPECT_EQ(decode_element_ref(kLog8, 0x40), 1.0f);
  EXPECT_EQ(decode_element_ref(kLog8, 0xC0), -1.0f);
  EXPECT_EQ(decode_element_ref(kLog8, 0x48), 2.0f);
  EXPECT_EQ(decode_element_ref(kLog8, 0x38), 0.5f);
  EXPECT_EQ(decode_element_ref(kLog8, 0x41), 0x1.172b84p0f);   // 2^(1/8)
  EXPECT_EQ(decode_element_ref(kLog8, 0x44), 0x1.6a09e6p0f);   // sqrt(2)
  EXPECT_EQ(decode_element_ref(kLog8, 0x7F), 0x1.d5818ep7f);   // max 2^(63/8) = 234.76
  EXPECT_EQ(decode_element_ref(kLog8, 0x01), 0x1.172b84p-8f);  // min 2^(-63/8)
}

TEST(Log8, EveryMagnitudeIsTheCorrectlyRoundedPower) {
  for (int l = 1; l < 128; ++l) {
    const float want = static_cast<float>(std::exp2((l - 64) / 8.0));
    EXPECT_EQ(decode_element_ref(kLog8, static_cast<std::uint32_t>(l)), want) << l;
  }
}

TEST(Log8, EncodeKnownAnswers) {
  struct C {
    float in;
    std::uint32_t code;
    std::uint8_t flags;
  };
  const float min = 0x1.172b84p-8f, max = 0x1.d5818ep7f;
  const C cases[] = {
      {1.0f, 0x40, 0},
      {-2.0f, 0xC8, 0},
      {0.0f, 0x00, 0},
      {-0.0f, 0x00, 0},
      {max, 0x7F, 0},
      {-max, 0xFF, 0},
      {1000.0f, 0x7F, kInexact | kSaturated},
      {-1e30f, 0xFF, kInexact | kSaturated},
      {std::numeric_limits<float>::infinity(), 0x7F, kInexact | kSaturated},
      {std::nanf(""), 0x80, 0},
      {min / 2, 0x00, kInexact | kUnderflow},  // tie between 0 and min: even (0)
      {std::nextafter(min / 2, 1.0f), 0x01, kInexact},
      {-1e-30f, 0x00, kInexact | kUnderflow},
      {1.04f, 0x40, kInexact},
      {1.05f, 0x41, kInexact},  // midpoint is 1.0453
  };
  for (const C& c : cases) {
    const Encoded e = encode_element_ref(kLog8, c.in);
    EXPECT_EQ(e.code, c.code) << std::hexfloat << c.in;
    EXPECT_EQ(e.flags, c.flags) << std::hexfloat << c.in;
  }
  // Ties go to the even code, in the linear domain.
  for (std::uint32_t l = 1; l < 127; ++l) {
    const double lo = decode_element_ref(kLog8, l), hi = decode_element_ref(kLog8, l + 1);
    const double mid = (lo + hi) / 2;
    if (static_cast<double>(static_cast<float>(mid)) != mid) continue;
    const auto m = static_cast<float>(mid);
    EXPECT_EQ(encode_element_ref(kLog8, m).code, (l & 1) ? l + 1 : l) << l;
    EXPECT_EQ(encode_element_ref(kLog8, std::nextafter(m, 0.0f)).code, l);
    EXPECT_EQ(encode_element_ref(kLog8, std::nextafter(m, 1e9f)).code, l + 1);
  }
}

TEST(Log8, RoundingModes) {
  EXPECT_EQ(encode_element_ref(kLog8, 1.07f, 0, Rounding::toward_zero).code, 0x40u);
  EXPECT_EQ(encode_element_ref(kLog8, -1.07f, 0, Rounding::toward_zero).code, 0xC0u);
  EXPECT_EQ(encode_element_ref(kLog8, 0.004f, 0, Rounding::toward_zero).code, 0x00u);
  // Stochastic: 1.0 + a quarter of the gap rounds up about a quarter of the time.
  const double gap = 0x1.172b84p0 - 1.0;
  const auto x = static_cast<float>(1.0 + gap / 4);
  int up = 0;
  for (std::uint64_t i = 0; i < 20000; ++i)
    up += encode_element_ref(kLog8, x, 0, Rounding::stochastic, true, stochastic_bits(5, i)).code ==
          0x41;
  EXPECT_NEAR(up / 20000.0, 0.25, 0.015);
}

TEST(Log8, FakeQuantizeTensor) {
  const std::vector<float> in{3.0f, -0.001f, 500.0f, std::nanf("")};
  std::vector<float> out(in.size());
  ASSERT_TRUE(fake_quantize_ref(default_spec(Format::log8), in, out, {1, 4}).ok());
  EXPECT_EQ(out[0], decode_element_ref(kLog8, encode_element_ref(kLog8, 3.0f).code));
  EXPECT_EQ(out[0], 0x1.8ace54p1f);  // 2^(1 + 5/8) = 3.08: nearest to 3 (2^(1+4/8) = 2.83)
  EXPECT_EQ(out[1], 0.0f);
  EXPECT_EQ(out[2], 0x1.d5818ep7f);
  EXPECT_TRUE(std::isnan(out[3]));
}

}  // namespace
