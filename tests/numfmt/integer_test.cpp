// int8/int4 with per-tensor and per-channel fp32 scales (symmetric and affine), and fixed point.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>
#include <vector>

#include "hwlock/numfmt.hpp"

namespace {

using namespace hwlock;
using namespace hwlock::numfmt;

constexpr float kInf = std::numeric_limits<float>::infinity();

FormatSpec spec(const char* text) {
  return parse_format(text).value();
}

std::vector<float> fq(const FormatSpec& s, const std::vector<float>& in, TensorShape shape,
                      QuantStats* stats = nullptr) {
  std::vector<float> out(in.size());
  const Status st = fake_quantize_ref(s, in, out, shape, stats);
  EXPECT_TRUE(st.ok()) << st.error().message;
  return out;
}

TEST(Int8, SymmetricPerTensorKnownAnswers) {
  // absmax 127 gives scale exactly 1, so every expected value is plain integer rounding.
  const std::vector<float> in{127.0f, -127.0f, 0.5f, 1.5f, 2.5f, -2.5f, 3.49f, -0.4f, 0.0f};
  const TensorShape shape{1, in.size()};
  auto q = quantize_ref(default_spec(Format::int8), in, shape);
  ASSERT_TRUE(q.ok());
  ASSERT_EQ(q->scales.size(), 1u);
  EXPECT_EQ(q->scales[0], 1.0f);
  EXPECT_TRUE(q->zero_points.empty());
  const std::vector<std::uint32_t> codes{0x7F, 0x81, 0x00, 0x02, 0x02, 0xFE, 0x03, 0x00, 0x00};
  EXPECT_EQ(q->codes, codes);
  EXPECT_EQ(fq(default_spec(Format::int8), in, shape),
            (std::vector<float>{127, -127, 0, 2, 2, -2, 3, 0, 0}));
}

TEST(Int8, NonFiniteInputs) {
  // inf and NaN do not take part in the scale; inf saturates, NaN becomes 0 (flagged invalid).
  const std::vector<float> in{63.5f, kInf, -kInf, std::nanf(""), -1.0f};
  QuantStats stats;
  auto out = fq(default_spec(Format::int8), in, {1, in.size()}, &stats);
  EXPECT_EQ(out, (std::vector<float>{63.5f, 63.5f, -63.5f, 0.0f, -1.0f}));  // scale 0.5
  EXPECT_EQ(stats.saturated, 2u);
  EXPECT_EQ(stats.invalid, 1u);
}

TEST(Int8, AllZeroTensorUsesScaleOne) {
  const std::vector<float> in(5, 0.0f);
  auto q = quantize_ref(default_spec(Format::int8), in, {1, 5});
  EXPECT_EQ(q->scales[0], 1.0f);
  EXPECT_EQ(fq(default_spec(Format::int8), in, {1, 5}), in);
}

TEST(Int8, PerChannelDiffersFromPerTensor) {
  // Row 0 has absmax 127 (scale 1); row 1 has absmax 127/64 (scale 1/64).
  const std::vector<float> in{127.0f,    1.0f,      -3.0f, 0.25f,      0.0f,
                              1.984375f, 0.015625f, -0.5f, 0.0234375f, 0.0078125f};
  const TensorShape shape{2, 5};
  auto pc = quantize_ref(spec("int8:per-channel"), in, shape);
  ASSERT_TRUE(pc.ok());
  EXPECT_EQ(pc->scales, (std::vector<float>{1.0f, 0.015625f}));
  EXPECT_EQ(fq(spec("int8:per-channel"), in, shape),
            (std::vector<float>{127, 1, -3, 0, 0, 1.984375f, 0.015625f, -0.5f,
                                0.03125f /* 1.5 -> 2 */, 0.0f /* 0.5 -> 0 */}));
  EXPECT_EQ(fq(default_spec(Format::int8), in, shape),
            (std::vector<float>{127, 1, -3, 0, 0, 2, 0, 0, 0, 0}));
}

TEST(Int4, SymmetricKnownAnswers) {
  const std::vector<float> in{7.0f, -7.0f, 3.5f, 2.5f, -0.5f, kInf};
  auto q = quantize_ref(default_spec(Format::int4), in, {1, in.size()});
  EXPECT_EQ(q->codes, (std::vector<std::uint32_t>{0x7, 0x9, 0x4, 0x2, 0x0, 0x7}));
  EXPECT_EQ(fq(default_spec(Format::int4), in, {1, in.size()}),
            (std::vector<float>{7, -7, 4, 2, 0, 7}));
  // Per channel with 3 rows of 2.
  const std::vector<float> rows{7, 1, 0.7f, 0.35f, -70, 35};
  auto pc = fq(spec("int4:per-channel"), rows, {3, 2});
  EXPECT_EQ(pc[0], 7.0f);
  EXPECT_EQ(pc[1], 1.0f);
  EXPECT_EQ(pc[4], -70.0f);
  EXPECT_EQ(pc[5], 40.0f);  // 35 / 10 = 3.5 -> 4
}

TEST(Int8, AffineKnownAnswers) {
  // lo = -64, hi = 191: scale = 255 / 255 = 1, zero point 64.
  const std::vector<float> in{-64.0f, 191.0f, 0.5f, -0.5f, 1.5f, 100.25f};
  auto q = quantize_ref(spec("int8:affine"), in, {1, in.size()});
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->scales[0], 1.0f);
  EXPECT_EQ(q->zero_points, (std::vector<std::int32_t>{64}));
  EXPECT_EQ(q->codes, (std::vector<std::uint32_t>{0, 255, 64, 64, 66, 164}));
  EXPECT_EQ(fq(spec("int8:affine"), in, {1, in.size()}),
            (std::vector<float>{-64, 191, 0, 0, 2, 100}));
  // Positive-only data: the range still includes 0 (zero point 0).
  auto pos = quantize_ref(spec("int4:affine"), std::vector<float>{1.0f, 15.0f}, {1, 2});
  EXPECT_EQ(pos->zero_points[0], 0);
  EXPECT_EQ(pos->scales[0], 1.0f);
  // The fp32 recipe: scale = (hi - lo) / 255, zp = rne(-lo / scale).
  const std::vector<float> odd{-1.0f, 3.0f, 0.7f};
  auto q2 = quantize_ref(spec("int8:affine"), odd, {1, 3});
  const float scale = 4.0f / 255.0f;
  EXPECT_EQ(q2->scales[0], scale);
  EXPECT_EQ(q2->zero_points[0], static_cast<std::int32_t>(std::nearbyint(1.0f / scale)));
  EXPECT_EQ(q2->codes[0], 0u);
  EXPECT_EQ(q2->codes[1], 255u);
}

TEST(Int8, AffinePerChannelAndSaturation) {
  const std::vector<float> in{-1, 0, 254, -kInf, 0, 255};
  auto q = quantize_ref(spec("int8:per-channel:affine"), in, {2, 3});
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->zero_points, (std::vector<std::int32_t>{1, 0}));
  EXPECT_EQ(q->codes, (std::vector<std::uint32_t>{0, 1, 255, 0, 0, 255}));
}

TEST(Fixed, QmnKnownAnswers) {
  const ElementType q34 = fixed_element(3, 4);  // 8 bits, step 1/16, range [-8, 7.9375]
  struct C {
    float in;
    std::uint32_t code;
    std::uint8_t flags;
  };
  const C cases[] = {
      {0.0f, 0x00, 0},
      {1.0f, 0x10, 0},
      {-1.0f, 0xF0, 0},
      {7.9375f, 0x7F, 0},
      {-8.0f, 0x80, 0},
      {8.0f, 0x7F, kInexact | kSaturated},
      {-9.0f, 0x80, kInexact | kSaturated},
      {kInf, 0x7F, kInexact | kSaturated},
      {0.03125f, 0x00, kInexact | kUnderflow},
      {0.09375f, 0x02, kInexact},
      {-0.09375f, 0xFE, kInexact},
      {std::nanf(""), 0x00, kInvalid},
      {7.96875f, 0x7F, kInexact | kSaturated},  // rounds to 8: out of range
  };
  for (const C& c : cases) {
    const Encoded e = encode_element_ref(q34, c.in);
    EXPECT_EQ(e.code, c.code) << c.in;
    EXPECT_EQ(e.flags, c.flags) << c.in;
  }
  EXPECT_EQ(decode_element_ref(q34, 0x80), -8.0f);
  EXPECT_EQ(decode_element_ref(q34, 0x7F), 7.9375f);
  EXPECT_EQ(encode_element_ref(fixed_element(0, 15), 0.5f).code, 0x4000u);
  EXPECT_EQ(encode_element_ref(fixed_element(0, 15), -1.0f).code, 0x8000u);
  const ElementType q15_16 = fixed_element(15, 16);  // 32 bits
  EXPECT_EQ(encode_element_ref(q15_16, 1.0f).code, 0x10000u);
  EXPECT_EQ(encode_element_ref(q15_16, -1.0f).code, 0xFFFF0000u);
  EXPECT_EQ(encode_element_ref(q15_16, 1e9f).code, 0x7FFFFFFFu);
  EXPECT_EQ(decode_element_ref(q15_16, 0x80000000u), -32768.0f);
  EXPECT_EQ(decode_element_ref(q15_16, 0x7FFFFFFFu), 32768.0f);  // 32767.99998 rounds in fp32

  auto out = fq(spec("fixed:q3.4"), {1.03125f, -100.0f, 0.5f}, {1, 3});
  EXPECT_EQ(out, (std::vector<float>{1.0f, -8.0f, 0.5f}));
}

TEST(Tensor, ShapeAndSizeErrors) {
  std::vector<float> in(6), out(6), small(5);
  EXPECT_EQ(fake_quantize_ref(default_spec(Format::int8), in, out, {2, 4}).error().code,
            Errc::internal);
  EXPECT_EQ(fake_quantize_ref(default_spec(Format::int8), in, small, {2, 3}).error().code,
            Errc::internal);
  FormatSpec bad = default_spec(Format::fp16);
  bad.seed = 1;
  EXPECT_EQ(fake_quantize_ref(bad, in, out, {2, 3}).error().code, Errc::usage);
  EXPECT_FALSE(fake_quantize_ref(default_spec(Format::fp16), in, out,
                                 {std::numeric_limits<std::size_t>::max(), 2})
                   .ok());
  auto q = quantize_ref(default_spec(Format::int8), in, {2, 3});
  q->scales.clear();
  EXPECT_EQ(dequantize_ref(*q, out).error().code, Errc::internal);
  // Empty tensors are fine.
  EXPECT_TRUE(fake_quantize_ref(default_spec(Format::mxfp4), {}, {}, {0, 0}).ok());
  EXPECT_TRUE(fake_quantize_ref(spec("int8:per-channel"), {}, {}, {3, 0}).ok());
}

TEST(Tensor, InPlaceIsAllowed) {
  std::vector<float> v{127.0f, 0.5f, 1.5f, -3.25f};
  const auto want = fq(default_spec(Format::int8), v, {1, 4});
  ASSERT_TRUE(fake_quantize_ref(default_spec(Format::int8), v, v, {1, 4}).ok());
  EXPECT_EQ(v, want);
}

}  // namespace
