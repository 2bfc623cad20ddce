// OCP MX formats and block minifloat: shared-exponent known answers and block structure.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>
#include <vector>

#include "hwlock/numfmt.hpp"

namespace {

using namespace hwlock;
using namespace hwlock::numfmt;

FormatSpec spec(const char* text) {
  return parse_format(text).value();
}

// One block of 32: `head` first, padded with zeros.
std::vector<float> block(std::initializer_list<float> head, std::size_t n = 32) {
  std::vector<float> v(head);
  v.resize(n, 0.0f);
  return v;
}

struct Quantised {
  QuantizedTensor q;
  std::vector<float> out;
  QuantStats stats;
};

Quantised run(const FormatSpec& s, const std::vector<float>& in, TensorShape shape) {
  Quantised r;
  auto q = quantize_ref(s, in, shape, &r.stats);
  EXPECT_TRUE(q.ok()) << q.error().message;
  r.q = std::move(q).value();
  r.out.resize(in.size());
  EXPECT_TRUE(dequantize_ref(r.q, r.out).ok());
  std::vector<float> direct(in.size());
  EXPECT_TRUE(fake_quantize_ref(s, in, direct, shape).ok());
  for (std::size_t i = 0; i < in.size(); ++i)
    EXPECT_EQ(std::bit_cast<std::uint32_t>(direct[i]), std::bit_cast<std::uint32_t>(r.out[i]));
  return r;
}

TEST(Mx, Fp4ScaleAndTies) {
  // amax 1.0: X = 0 - emax(2) = -2, so elements are x * 4.
  const auto in = block({1.0f, 0.375f, 0.3f, 0.3125f, 0.4375f, -0.125f, 0.0625f, -1.0f});
  const Quantised r = run(default_spec(Format::mxfp4), in, {1, 32});
  EXPECT_EQ(r.q.scale_codes, (std::vector<std::uint8_t>{125}));
  const std::vector<std::uint32_t> head(r.q.codes.begin(), r.q.codes.begin() + 8);
  EXPECT_EQ(head, (std::vector<std::uint32_t>{0x6, 0x3, 0x2, 0x2, 0x4, 0x9, 0x0, 0xE}));
  const std::vector<float> out(r.out.begin(), r.out.begin() + 8);
  EXPECT_EQ(out, (std::vector<float>{1.0f, 0.375f, 0.25f, 0.25f, 0.5f, -0.125f, 0.0f, -1.0f}));
}

TEST(Mx, Fp4ElementsSaturateInsideTheBinade) {
  // amax 6.5: X = floor(log2 6.5) - 2 = 0; 6.5 rounds to 6, -7.9 rounds past 6 and saturates.
  const Quantised r = run(default_spec(Format::mxfp4), block({6.5f, 5.0f, -7.9f}), {1, 32});
  EXPECT_EQ(r.q.scale_codes[0], 127);
  EXPECT_EQ(r.out[0], 6.0f);
  EXPECT_EQ(r.out[1], 4.0f);  // tie between 4 and 6: even code
  EXPECT_EQ(r.out[2], -6.0f);
  EXPECT_EQ(r.stats.saturated, 1u);
}

TEST(Mx, ScaleUsesExactFloorLog2) {
  // Just below 2: a float log2 rounds to 1.0 and would pick X one too high.
  const float below2 = std::nextafter(2.0f, 0.0f);
  const Quantised r = run(default_spec(Format::mxfp4), block({below2}), {1, 32});
  EXPECT_EQ(r.q.scale_codes[0], 127 - 2);
  EXPECT_EQ(r.out[0], 1.5f);  // 7.99999952 clamps to 6, times 2^-2
}

TEST(Mx, Fp8AndFp6ScaleCodes) {
  struct C {
    Format f;
    float amax;
    std::uint8_t scale;
    std::uint32_t code;
    float out;
  };
  const C cases[] = {
      {Format::mxfp8_e4m3, 448.0f, 127, 0x7E, 448.0f},
      {Format::mxfp8_e4m3, 500.0f, 127, 0x7E, 448.0f},      // floor(log2 500) = 8 = emax
      {Format::mxfp8_e4m3, 1.0f, 127 - 8, 0x78, 1.0f},      // 1 * 2^8 = 256
      {Format::mxfp8_e5m2, 1.0f, 127 - 15, 0x78, 1.0f},     // 1 * 2^15
      {Format::mxfp8_e5m2, 65504.0f, 127, 0x7B, 57344.0f},  // clamps to max, never inf
      {Format::mxfp6_e2m3, 1.0f, 125, 0x18, 1.0f},          // 1 * 4 = 2^2: e2m3 0b11000
      {Format::mxfp6_e3m2, 1.0f, 123, 0x1C, 1.0f},          // 1 * 16: e3m2 0b11100
      {Format::mxint8, 1.0f, 127, 0x40, 1.0f},              // q = 64
      {Format::mxint8, 1.99f, 127, 0x7F, 1.984375f},        // q = 127.36 -> 127
      {Format::mxint8, 3.0f, 128, 0x60, 3.0f},              // X = 1: 1.5 -> q = 96
      {Format::mxint8, -3.0f, 128, 0xA0, -3.0f},
  };
  for (const C& c : cases) {
    const Quantised r = run(default_spec(c.f), block({c.amax}), {1, 32});
    EXPECT_EQ(r.q.scale_codes[0], c.scale) << format_base_name(c.f) << " " << c.amax;
    EXPECT_EQ(r.q.codes[0], c.code) << format_base_name(c.f) << " " << c.amax;
    EXPECT_EQ(r.out[0], c.out) << format_base_name(c.f) << " " << c.amax;
  }
  // A small element beside a large one loses its bits: mxint8, X = 1, 0.01 / 2 * 64 = 0.32 -> 0.
  const Quantised r = run(default_spec(Format::mxint8), block({3.0f, 0.01f}), {1, 32});
  EXPECT_EQ(r.out[1], 0.0f);
  EXPECT_EQ(r.stats.underflow, 1u);
}

TEST(Mx, ZeroTinyAndNonFiniteBlocks) {
  // All zero: X clamps to -127 (scale code 0).
  const Quantised zero = run(default_spec(Format::mxfp8_e4m3), block({}), {1, 32});
  EXPECT_EQ(zero.q.scale_codes[0], 0);
  for (float v : zero.out) EXPECT_EQ(v, 0.0f);
  // amax 2^-135: X = -143 clamps to -127; 2^-140 becomes 2^-13, below e4m3's 2^-9 -> 0.
  const Quantised tiny =
      run(default_spec(Format::mxfp8_e4m3), block({0x1p-140f, 0x1p-135f}), {1, 32});
  EXPECT_EQ(tiny.q.scale_codes[0], 0);
  EXPECT_EQ(tiny.out[0], 0.0f);
  EXPECT_EQ(tiny.out[1], 0x1p-135f);  // 2^-8 element: representable
  // NaN or inf anywhere makes the whole block NaN; the next block is untouched.
  for (float bad : {std::nanf(""), std::numeric_limits<float>::infinity()}) {
    std::vector<float> in = block({1.0f, bad}, 64);
    in[32] = 0.5f;
    const Quantised r = run(default_spec(Format::mxfp8_e4m3), in, {1, 64});
    EXPECT_EQ(r.q.scale_codes, (std::vector<std::uint8_t>{0xFF, 126 - 8}));
    for (int i = 0; i < 32; ++i) EXPECT_TRUE(std::isnan(r.out[static_cast<std::size_t>(i)]));
    EXPECT_EQ(r.out[32], 0.5f);
    EXPECT_EQ(r.stats.invalid, 32u);
  }
}

TEST(Mx, BlocksRunAlongRowsWithShortTails) {
  // 2 rows x 40: blocks [0,32) and [32,40) per row, each with its own scale.
  std::vector<float> in(80, 0.0f);
  in[0] = 1.0f;    // row 0 block 0
  in[35] = 8.0f;   // row 0 tail
  in[40] = 0.25f;  // row 1 block 0
  in[79] = 0.5f;   // row 1 tail
  const Quantised r = run(default_spec(Format::mxfp4), in, {2, 40});
  EXPECT_EQ(r.q.scale_codes, (std::vector<std::uint8_t>{125, 128, 123, 124}));
  EXPECT_EQ(r.out[0], 1.0f);
  EXPECT_EQ(r.out[35], 8.0f);
  EXPECT_EQ(r.out[40], 0.25f);
  EXPECT_EQ(r.out[79], 0.5f);
}

TEST(Bfp, DefaultIsSignMagnitudeBlockFloatingPoint) {
  // e0m7, block 16, 8-bit shared exponent: amax 1 -> X = 0, element n/64 with |n| <= 127.
  const Quantised r =
      run(default_spec(Format::bfp), block({1.0f, 0.5f, -0.5f, 0.0078125f, 1.99f}, 16), {1, 16});
  EXPECT_EQ(r.q.scale_codes[0], 127);
  const std::vector<std::uint32_t> head(r.q.codes.begin(), r.q.codes.begin() + 5);
  EXPECT_EQ(head, (std::vector<std::uint32_t>{0x40, 0x20, 0xA0, 0x00, 0x7F}));
  EXPECT_EQ(r.out[3], 0.0f);  // 0.5 of a step: tie to even (0)
  EXPECT_EQ(r.out[4], 1.984375f);
}

TEST(Bfp, ConfigurableElementBlockAndScaleBits) {
  // e2m3 elements (emax 2), blocks of 4, 4-bit shared exponent (bias 7, range [-7, 7]).
  const FormatSpec s = spec("bfp:e2m3:b4:s4");
  std::vector<float> in{1.0f, 0.3f, 0, 0, 0x1p10f, 0, 0, 0, 0x1p-20f, 0, 0, 0};
  const Quantised r = run(s, in, {1, 12});
  EXPECT_EQ(r.q.scale_codes, (std::vector<std::uint8_t>{7 - 2, 15, 0}));  // X=-2; NaN; clamp
  EXPECT_EQ(r.out[0], 1.0f);
  EXPECT_EQ(r.out[1], 0.3125f);  // 1.2 -> 1.25 in e2m3, times 2^-2
  EXPECT_TRUE(std::isnan(r.out[4]));
  EXPECT_EQ(r.out[8], 0.0f);  // 2^-20 / 2^-7 = 2^-13: below e2m3
  EXPECT_EQ(group_count(s, {1, 12}), 3u);
}

TEST(Mx, StochasticRoundingIsSeededAndLocal) {
  std::vector<float> in(64);
  for (std::size_t i = 0; i < in.size(); ++i) in[i] = 0.3f + 0.01f * static_cast<float>(i);
  const FormatSpec a = spec("mxfp4:sr=1"), b = spec("mxfp4:sr=2");
  const Quantised r1 = run(a, in, {1, 64}), r2 = run(a, in, {1, 64}), r3 = run(b, in, {1, 64});
  EXPECT_EQ(r1.q.codes, r2.q.codes);
  EXPECT_NE(r1.q.codes, r3.q.codes);
  // Element i's rounding depends only on (seed, i): quantising the second block alone as a
  // separate tensor changes the indices, so compare within one tensor instead.
  std::vector<float> twice(in.begin(), in.begin() + 32);
  twice.insert(twice.end(), in.begin(), in.begin() + 32);
  const Quantised r4 = run(a, twice, {1, 64});
  EXPECT_TRUE(std::equal(r4.q.codes.begin(), r4.q.codes.begin() + 32, r1.q.codes.begin()));
}

}  // namespace
