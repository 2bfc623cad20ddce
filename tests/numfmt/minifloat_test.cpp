// Hand-computed known answers at every boundary of every float element format.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>

#include "hwlock/numfmt.hpp"

namespace {

using namespace hwlock::numfmt;

constexpr float kInf = std::numeric_limits<float>::infinity();

struct Case {
  float in;
  std::uint32_t code;
  std::uint8_t flags;
};

void check(const char* what, const ElementType& t, bool saturate,
           std::initializer_list<Case> cases) {
  for (const Case& c : cases) {
    const Encoded e = encode_element_ref(t, c.in, 0, Rounding::nearest_even, saturate, 0);
    EXPECT_EQ(e.code, c.code) << what << " sat=" << saturate << " in=" << std::hexfloat << c.in;
    EXPECT_EQ(e.flags, c.flags) << what << " in=" << std::hexfloat << c.in;
    if (!std::isnan(c.in) && !is_nan_code(t, c.code) && c.flags == 0) {
      const float back = decode_element_ref(t, c.code);
      EXPECT_EQ(std::bit_cast<std::uint32_t>(back), std::bit_cast<std::uint32_t>(c.in))
          << what << " exact value must decode to itself: " << std::hexfloat << c.in;
    }
  }
}

constexpr std::uint8_t X = kInexact, U = kInexact | kUnderflow, S = kInexact | kSaturated,
                       O = kInexact | kOverflow;

TEST(Minifloat, Fp16) {
  check("fp16", kFp16, false,
        {
            {0.0f, 0x0000, 0},
            {-0.0f, 0x8000, 0},
            {0x1p-24f, 0x0001, 0},         // smallest subnormal
            {0x1p-25f, 0x0000, U},         // half of it: tie to even (0)
            {0x1.000002p-25f, 0x0001, X},  // just above half
            {0x1.8p-24f, 0x0002, X},       // 1.5 ulp: tie to even (2)
            {0x1p-26f, 0x0000, U},
            {0x1.ff8p-15f, 0x03FF, 0},  // largest subnormal
            {0x1.ffcp-15f, 0x0400, X},  // halfway to min normal: to even (up)
            {0x1p-14f, 0x0400, 0},      // smallest normal
            {1.0f, 0x3C00, 0},
            {-2.5f, 0xC100, 0},
            {0x1.002p0f, 0x3C00, X},     // 1 + half ulp: down to even
            {0x1.006p0f, 0x3C02, X},     // 1 + 3 half ulps: up to even
            {0x1.002002p0f, 0x3C01, X},  // just above half
            {65504.0f, 0x7BFF, 0},       // max finite
            {65519.0f, 0x7BFF, X},
            {65520.0f, 0x7C00, O},  // halfway to 2^16: to even is +inf
            {-65520.0f, 0xFC00, O},
            {kInf, 0x7C00, 0},
            {-kInf, 0xFC00, 0},
            {std::bit_cast<float>(0x7FC00000u), 0x7E00, 0},
            {std::bit_cast<float>(0xFFC00000u), 0xFE00, 0},
            {std::bit_cast<float>(0x7F800001u), 0x7E00, 0},  // signalling NaN is quieted
            {std::bit_cast<float>(0x7FA00000u), 0x7F00, 0},  // top payload bits kept
        });
  check("fp16", kFp16, true,
        {
            {65520.0f, 0x7BFF, S},
            {-1e9f, 0xFBFF, S},
            {kInf, 0x7BFF, S},
            {-kInf, 0xFBFF, S},
            {65504.0f, 0x7BFF, 0},
        });
}

TEST(Minifloat, Bf16) {
  check("bf16", kBf16, false,
        {
            {0x1p-133f, 0x0001, 0},
            {0x1p-134f, 0x0000, U},
            {0x1.8p-133f, 0x0002, X},
            {0x1.fcp-127f, 0x007F, 0},  // largest subnormal
            {0x1p-126f, 0x0080, 0},
            {0x1.01p0f, 0x3F80, X},
            {0x1.03p0f, 0x3F82, X},
            {-1.0f, 0xBF80, 0},
            {0x1.fep127f, 0x7F7F, 0},  // max finite
            {0x1.fefffep127f, 0x7F7F, X},
            {0x1.ffp127f, 0x7F80, O},  // halfway to 2^128: +inf
            {std::numeric_limits<float>::max(), 0x7F80, O},
            {kInf, 0x7F80, 0},
            {std::bit_cast<float>(0x7FC00000u), 0x7FC0, 0},
            {std::bit_cast<float>(0xFF800001u), 0xFFC0, 0},
        });
  check("bf16", kBf16, true, {{std::numeric_limits<float>::max(), 0x7F7F, S}, {-kInf, 0xFF7F, S}});
}

TEST(Minifloat, Fp8E4M3) {
  for (bool sat : {true, false}) {
    check("e4m3", kFp8E4M3, sat,
          {
              {0x1p-9f, 0x01, 0},
              {0x1p-10f, 0x00, U},
              {0x1.8p-9f, 0x02, X},
              {-0x1p-11f, 0x80, U},
              {0x1.cp-7f, 0x07, 0},  // largest subnormal 7 * 2^-9
              {0x1p-6f, 0x08, 0},    // smallest normal
              {1.0f, 0x38, 0},
              {1.0625f, 0x38, X},
              {1.1875f, 0x3A, X},
              {256.0f, 0x78, 0},
              {416.0f, 0x7D, 0},
              {448.0f, 0x7E, 0},
              {-448.0f, 0xFE, 0},
              {464.0f, 0x7E, X},  // halfway to the NaN slot: to even (448)
              {std::bit_cast<float>(0x7FC00000u), 0x7F, 0},
              {std::bit_cast<float>(0xFFC00000u), 0xFF, 0},
          });
  }
  check(
      "e4m3", kFp8E4M3, true,
      {{465.0f, 0x7E, S}, {480.0f, 0x7E, S}, {kInf, 0x7E, S}, {-kInf, 0xFE, S}, {-1e6f, 0xFE, S}});
  check("e4m3", kFp8E4M3, false,
        {{465.0f, 0x7F, O}, {-480.0f, 0xFF, O}, {kInf, 0x7F, O}, {-kInf, 0xFF, O}});
  EXPECT_TRUE(is_nan_code(kFp8E4M3, 0x7F));
  EXPECT_FALSE(is_nan_code(kFp8E4M3, 0x7E));
  EXPECT_FALSE(is_nan_code(kFp8E4M3, 0x78));  // no infinity: S.1111.000 is 256
  EXPECT_EQ(decode_element_ref(kFp8E4M3, 0x78), 256.0f);
}

TEST(Minifloat, Fp8E5M2) {
  for (bool sat : {true, false}) {
    check("e5m2", kFp8E5M2, sat,
          {
              {0x1p-16f, 0x01, 0},
              {0x1p-17f, 0x00, U},
              {0x1.8p-16f, 0x02, X},
              {0x1.8p-15f, 0x03, 0},  // largest subnormal 3 * 2^-16
              {0x1p-14f, 0x04, 0},
              {1.0f, 0x3C, 0},
              {-1.25f, 0xBD, 0},
              {57344.0f, 0x7B, 0},
              {61439.0f, 0x7B, X},
              {std::bit_cast<float>(0x7FC00000u), 0x7E, 0},
          });
  }
  check("e5m2", kFp8E5M2, true, {{61440.0f, 0x7B, S}, {kInf, 0x7B, S}, {-kInf, 0xFB, S}});
  check("e5m2", kFp8E5M2, false, {{61440.0f, 0x7C, O}, {kInf, 0x7C, 0}, {-kInf, 0xFC, 0}});
}

TEST(Minifloat, Fp8E3M4) {
  for (bool sat : {true, false}) {
    check("e3m4", kFp8E3M4, sat,
          {
              {0x1p-6f, 0x01, 0},
              {0x1p-7f, 0x00, U},
              {0x1.ep-3f, 0x0F, 0},
              {0.25f, 0x10, 0},
              {1.0f, 0x30, 0},
              {15.5f, 0x6F, 0},
              {15.7f, 0x6F, X},
              {-15.5f, 0xEF, 0},
              {std::bit_cast<float>(0x7FC00000u), 0x78, 0},
          });
  }
  check("e3m4", kFp8E3M4, true, {{15.75f, 0x6F, S}, {kInf, 0x6F, S}});
  check("e3m4", kFp8E3M4, false, {{15.75f, 0x70, O}, {kInf, 0x70, 0}, {-kInf, 0xF0, 0}});
  EXPECT_EQ(decode_element_ref(kFp8E3M4, 0x6F), 15.5f);
}

TEST(Minifloat, MxElementsFp6Fp4) {
  // No inf and no NaN: every code is finite, overflow always saturates, NaN is invalid.
  for (bool sat : {true, false}) {
    check("e2m3", kFp6E2M3, sat,
          {
              {0.125f, 0x01, 0},
              {0.0625f, 0x00, U},
              {0.875f, 0x07, 0},
              {1.0f, 0x08, 0},
              {7.5f, 0x1F, 0},
              {-7.5f, 0x3F, 0},
              {7.75f, 0x1F, S},
              {8.0f, 0x1F, S},
              {kInf, 0x1F, S},
              {std::nanf(""), 0x00, kInvalid},
          });
    check("e3m2", kFp6E3M2, sat,
          {
              {0.0625f, 0x01, 0},
              {0.1875f, 0x03, 0},
              {0.25f, 0x04, 0},
              {28.0f, 0x1F, 0},
              {30.0f, 0x1F, S},
              {-kInf, 0x3F, S},
          });
    check("e2m1", kFp4E2M1, sat,
          {
              {0.5f, 0x1, 0},
              {1.0f, 0x2, 0},
              {1.5f, 0x3, 0},
              {2.0f, 0x4, 0},
              {3.0f, 0x5, 0},
              {4.0f, 0x6, 0},
              {6.0f, 0x7, 0},
              {-6.0f, 0xF, 0},
              {-0.0f, 0x8, 0},
              {0.25f, 0x0, U},
              {0.75f, 0x2, X},
              {1.25f, 0x2, X},
              {2.5f, 0x4, X},
              {5.0f, 0x6, X},
              {5.5f, 0x7, X},
              {7.0f, 0x7, S},
              {-100.0f, 0xF, S},
          });
  }
}

TEST(Minifloat, Fp32IsTheIdentity) {
  for (std::uint32_t bits : {0x00000000u, 0x80000000u, 0x00000001u, 0x807FFFFFu, 0x7F7FFFFFu,
                             0x7F800000u, 0xFF800000u, 0x7F800001u, 0xFFBFFFFFu, 0x3F800001u}) {
    const float x = std::bit_cast<float>(bits);
    for (Rounding m : {Rounding::nearest_even, Rounding::toward_zero, Rounding::stochastic}) {
      const Encoded e = encode_element_ref(kFp32, x, 0, m, false, 0xFFFFFFFFu);
      EXPECT_EQ(e.code, bits);
      EXPECT_EQ(e.flags, 0);
    }
    EXPECT_EQ(std::bit_cast<std::uint32_t>(decode_element_ref(kFp32, bits)), bits);
  }
}

TEST(Minifloat, DecodeNanKeepsSignAndPayload) {
  EXPECT_EQ(std::bit_cast<std::uint32_t>(decode_element_ref(kFp16, 0xFE01)), 0xFFC02000u);
  EXPECT_EQ(std::bit_cast<std::uint32_t>(decode_element_ref(kBf16, 0x7F81)), 0x7FC10000u);
  EXPECT_EQ(std::bit_cast<std::uint32_t>(decode_element_ref(kFp8E4M3, 0xFF)), 0xFFC00000u);
  EXPECT_TRUE(std::isinf(decode_element_ref(kFp8E5M2, 0xFC)));
  EXPECT_LT(decode_element_ref(kFp8E5M2, 0xFC), 0.0f);
}

TEST(Minifloat, ScaleExponentShiftsWithoutDoubleRounding) {
  // encode sees x * 2^-scale_exp exactly, whatever the shift: the sticky 2^-21 still rounds up.
  const float x = 0x1.002008p0f;  // 1 + 2^-11 + 2^-21
  EXPECT_EQ(encode_element_ref(kFp16, x, 0).code, 0x3C01u);
  EXPECT_EQ(encode_element_ref(kFp16, std::ldexp(x, 100), 100).code, 0x3C01u);
  EXPECT_EQ(encode_element_ref(kFp16, std::ldexp(x, -100), -100).code, 0x3C01u);
  EXPECT_EQ(decode_element_ref(kFp16, 0x3C00, -140), 0x1p-140f);
  EXPECT_EQ(decode_element_ref(kFp16, 0x3C01, -130), 0x1.004p-130f);  // fp32 subnormal, exact
  EXPECT_EQ(decode_element_ref(kFp16, 0x3C01, -147), 0x1p-147f);      // rounds once (to even)
  EXPECT_EQ(decode_element_ref(kFp16, 0x7BFF, 113), kInf);            // 65504 * 2^113 > FLT_MAX
}

}  // namespace
