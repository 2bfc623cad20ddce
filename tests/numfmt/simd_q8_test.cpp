// The AVX2 fast paths for int8 (per-tensor symmetric), MXINT8 and FP8 E4M3 against
// fake_quantize_ref, bit for bit (NaN sign and payload included): rapidcheck properties over
// shapes and value mixes, plus explicit ties, specials and tail lengths.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <bit>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "hwlock/numfmt.hpp"

#if defined(__x86_64__) || defined(__i386__)
namespace {

using namespace hwlock::numfmt;

const bool kSeeded = [] { return setenv("RC_PARAMS", "seed=20240611", 0) == 0; }();

constexpr Format kFast[] = {Format::int8, Format::mxint8, Format::fp8_e4m3};

float from_bits(std::uint32_t b) {
  return std::bit_cast<float>(b);
}
std::uint32_t bits(float x) {
  return std::bit_cast<std::uint32_t>(x);
}

// Index of the first element whose bit pattern differs, if any.
std::optional<std::size_t> first_mismatch(const std::vector<float>& a,
                                          const std::vector<float>& b) {
  if (a.size() != b.size()) return 0;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (bits(a[i]) != bits(b[i])) return i;
  return std::nullopt;
}

// Empty when the fast path (forced on) and the reference agree; else a description.
std::string compare(Format f, const std::vector<float>& in, TensorShape shape) {
  const FormatSpec s = default_spec(f);
  std::vector<float> fast(in.size(), 1.0f), ref(in.size(), 2.0f);
  if (!fake_quantize(s, in, fast, shape, nullptr, Isa::avx2_f16c).ok()) return "fast path failed";
  if (!fake_quantize_ref(s, in, ref, shape).ok()) return "reference failed";
  const auto bad = first_mismatch(fast, ref);
  if (!bad) return {};
  char buf[160];
  std::snprintf(buf, sizeof buf, "%s %zux%zu: element %zu input %08x fast %08x ref %08x",
                std::string(format_base_name(f)).c_str(), shape.rows, shape.cols, *bad,
                bits(in[*bad]), bits(fast[*bad]), bits(ref[*bad]));
  return buf;
}

void expect_fast_equals_ref(const std::vector<float>& in, TensorShape shape) {
  for (Format f : kFast) {
    EXPECT_EQ(compare(f, in, shape), "");
    // In place (out aliases in) gives the same.
    const FormatSpec s = default_spec(f);
    std::vector<float> ref(in.size()), inplace = in;
    ASSERT_TRUE(fake_quantize_ref(s, in, ref, shape).ok());
    ASSERT_TRUE(fake_quantize(s, inplace, inplace, shape, nullptr, Isa::avx2_f16c).ok());
    EXPECT_EQ(first_mismatch(inplace, ref), std::nullopt) << format_base_name(f) << " in place";
  }
}

bool have_avx2() {
  return detected_isa() >= Isa::avx2_f16c;
}

// Special values every test mixes in.
const std::vector<float> kSpecials = {0.0f,
                                      -0.0f,
                                      from_bits(1),
                                      from_bits(0x80000001u),
                                      FLT_MIN,
                                      -FLT_MIN,
                                      from_bits(0x007FFFFFu),
                                      FLT_MAX,
                                      -FLT_MAX,
                                      INFINITY,
                                      -INFINITY,
                                      from_bits(0x7FC00000u),
                                      from_bits(0xFFC00000u),
                                      from_bits(0x7F800001u),
                                      from_bits(0xFFBFFFFFu),
                                      448.0f,
                                      -464.0f,
                                      480.0f,
                                      0.5f,
                                      -1.5f,
                                      0.015625f,
                                      0.0009765625f,
                                      -0.001953125f};

// One tensor with a per-tensor magnitude centre so values share a few binades (else one huge
// element makes everything else round to zero), sometimes with specials and exact ties.
rc::Gen<std::vector<float>> gen_tensor(std::size_t n) {
  return rc::gen::exec([n] {
    const int centre = *rc::gen::oneOf(rc::gen::inRange(-170, 125), rc::gen::inRange(-12, 10));
    const int spread = *rc::gen::inRange(0, 30);
    const int kind = *rc::gen::inRange(0, 5);
    std::vector<float> v(n);
    for (auto& x : v) {
      const int pick = *rc::gen::inRange(0, 20);
      if (kind == 0 && pick == 0) {
        x = *rc::gen::elementOf(kSpecials);
      } else if (kind == 1) {
        x = from_bits(*rc::gen::arbitrary<std::uint32_t>());
      } else if (kind == 3 && pick < 10) {  // fp8 e4m3 midpoints: ties of that grid
        const auto c = *rc::gen::inRange<std::uint32_t>(0, 126);
        const double mid = (static_cast<double>(decode_element_ref(kFp8E4M3, c)) +
                            decode_element_ref(kFp8E4M3, c + 1)) /
                           2;
        x = static_cast<float>(pick % 2 ? -mid : mid);
      } else if (kind == 2 && pick < 10) {  // ties: (k + 1/2) * 2^e at various e
        const int k = *rc::gen::inRange(-300, 300);
        x = std::ldexp(static_cast<float>(2 * k + 1), centre + *rc::gen::inRange(-8, 2));
      } else {
        const int m = *rc::gen::inRange(-(1 << 24) + 1, 1 << 24);
        const int e = centre - *rc::gen::inRange(0, spread + 1);
        x = std::ldexp(static_cast<float>(m), e - 23);
      }
    }
    return v;
  });
}

TEST(SimdQ8, MismatchDetectorSeesOneUlpAndNaNPayloads) {
  const std::vector<float> a = {1.0f, from_bits(0x7FC00000u), -0.0f};
  EXPECT_EQ(first_mismatch(a, a), std::nullopt);
  auto b = a;
  b[0] = std::nextafter(1.0f, 2.0f);
  EXPECT_EQ(first_mismatch(a, b), 0u);
  b = a;
  b[1] = from_bits(0x7FC00001u);
  EXPECT_EQ(first_mismatch(a, b), 1u);
  b = a;
  b[2] = 0.0f;
  EXPECT_EQ(first_mismatch(a, b), 2u);
}

RC_GTEST_PROP(SimdQ8, FastPathMatchesReferenceOnRandomTensors, ()) {
  if (!have_avx2()) RC_DISCARD("CPU lacks AVX2 + F16C");
  const auto rows = *rc::gen::inRange<std::size_t>(1, 5);
  const auto cols = *rc::gen::oneOf(rc::gen::inRange<std::size_t>(1, 80),
                                    rc::gen::element<std::size_t>(31, 32, 33, 64, 65, 95, 257));
  const auto in = *gen_tensor(rows * cols);
  for (Format f : kFast) RC_ASSERT(compare(f, in, {rows, cols}) == "");
}

TEST(SimdQ8, LargeRandomBitPatternsAndScaledTensors) {
  if (!have_avx2()) GTEST_SKIP() << "CPU lacks AVX2 + F16C";
  std::mt19937 rng(42);
  std::vector<float> raw(1024 * 1000);
  for (auto& x : raw) x = from_bits(static_cast<std::uint32_t>(rng()));
  expect_fast_equals_ref(raw, {1024, 1000});
  // Gaussian weights at several magnitudes, subnormal included.
  std::normal_distribution<float> normal;
  for (int e : {-140, -130, -20, 0, 8, 100}) {
    std::vector<float> w(256 * 784);
    for (auto& x : w) x = std::ldexp(normal(rng), e);
    expect_fast_equals_ref(w, {256, 784});
  }
}

TEST(SimdQ8, Int8TiesAbsmaxAndScaleFallbacks) {
  if (!have_avx2()) GTEST_SKIP() << "CPU lacks AVX2 + F16C";
  // Power-of-two scale: (k + 1/2) * scale are exact ties of x / scale.
  for (int e : {-149 + 8, -130, -3, 0, 20, 120}) {
    const float scale = std::ldexp(1.0f, e);
    std::vector<float> v = {127.0f * scale, -127.0f * scale, 0.0f, -0.0f};
    for (int k = -130; k <= 130; ++k) v.push_back(static_cast<float>(2 * k + 1) / 2 * scale);
    for (int k = -130; k <= 130; ++k) v.push_back(static_cast<float>(k) / 4 * scale);
    for (std::size_t n : {v.size(), std::size_t{1}, std::size_t{7}, std::size_t{9}}) {
      const std::vector<float> part(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(n));
      EXPECT_EQ(compare(Format::int8, part, {1, n}), "") << e;
    }
  }
  // Inexact scale (absmax 1): near-ties after the fp32 division.
  std::vector<float> v = {1.0f, -1.0f};
  const float s = 1.0f / 127.0f;
  for (int k = -260; k <= 260; ++k)
    for (float d : {-1.0f, 0.0f, 1.0f}) {
      const float x = static_cast<float>(k) / 2 * s;
      v.push_back(d == 0 ? x : std::nextafter(x, d * INFINITY));
    }
  EXPECT_EQ(compare(Format::int8, v, {1, v.size()}), "");
  // Non-finite values do not count towards absmax; NaN quantises to 0, inf saturates.
  for (const std::vector<float>& t : std::vector<std::vector<float>>{
           {INFINITY, 2.0f, -1.0f, NAN, -INFINITY, 0.7f, -0.0f, 1e-3f, -1e-3f},
           {FLT_MAX, -FLT_MAX, 1e38f, -3.0f},
           {NAN, NAN, INFINITY},
           {0.0f, -0.0f, 0.0f},
           {-0.0f},
           {from_bits(1), from_bits(0x80000005u), from_bits(3)},  // scale underflows: 1
           {FLT_MIN, -FLT_MIN / 3, FLT_MIN / 254, from_bits(1)},  // subnormal scale
           {-5.0f}}) {
    EXPECT_EQ(compare(Format::int8, t, {1, t.size()}), "");
  }
}

TEST(SimdQ8, MxInt8TiesTailsAndNaNBlocks) {
  if (!have_avx2()) GTEST_SKIP() << "CPU lacks AVX2 + F16C";
  // Block exponents from clamped (-127) to the top, ties at the element quantum 2^(X-6).
  for (int x : {-140, -133, -127, -126, -124, -123, -122, -121, -120, -100, -1, 0, 5, 100, 127}) {
    std::vector<float> v;
    for (int k = -64; k < 64; ++k)
      v.push_back(std::ldexp(static_cast<float>(2 * k + 1), std::max(x, -127) - 7));
    // Each full block's maximum, which also rounds to 128 and saturates.
    for (std::size_t i = 5; i < v.size(); i += 32) v[i] = std::ldexp(1.9999999f, x);
    for (std::size_t cols : {std::size_t{1}, std::size_t{5}, std::size_t{32}, std::size_t{33},
                             std::size_t{64}, std::size_t{100}, std::size_t{128}}) {
      const std::size_t rows = v.size() / cols;
      const std::vector<float> part(v.begin(),
                                    v.begin() + static_cast<std::ptrdiff_t>(rows * cols));
      EXPECT_EQ(compare(Format::mxint8, part, {rows, cols}), "") << x << " cols " << cols;
    }
  }
  // One NaN or inf poisons its block only, tail blocks included.
  std::vector<float> v(3 * 70);
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(i) * 0.37f - 30.0f;
  v[3] = NAN;
  v[70 + 65] = -INFINITY;
  v[140 + 40] = from_bits(0xFFC01234u);
  v[140 + 41] = FLT_MAX;
  EXPECT_EQ(compare(Format::mxint8, v, {3, 70}), "");
  // All-zero blocks, signed zeros, negatives that round to zero.
  std::vector<float> z(64, -0.0f);
  z[40] = 1.0f;
  z[41] = -1.0f / 256;
  z[42] = -1.0f / 64;
  EXPECT_EQ(compare(Format::mxint8, z, {1, 64}), "");
  EXPECT_EQ(compare(Format::mxint8, z, {2, 32}), "");
}

TEST(SimdQ8, Fp8E4M3EveryCodeMidpointsAndTails) {
  if (!have_avx2()) GTEST_SKIP() << "CPU lacks AVX2 + F16C";
  std::vector<float> v = kSpecials;
  for (std::uint32_t c = 0; c < 256; ++c) {
    const float a = decode_element_ref(kFp8E4M3, c);
    v.push_back(a);
    const float b = decode_element_ref(kFp8E4M3, c + 1);
    if (!std::isfinite(a) || !std::isfinite(b) || std::signbit(a) != std::signbit(b)) continue;
    const auto mid = static_cast<float>((static_cast<double>(a) + b) / 2);
    v.insert(v.end(), {mid, std::nextafter(mid, -INFINITY), std::nextafter(mid, INFINITY)});
  }
  for (std::uint32_t b = 0x7F7F0000u; b < 0x7F800000u; b += 0x1111u) v.push_back(from_bits(b));
  for (std::uint32_t b = 0; b < 0x00800000u; b += 0x7777u) v.push_back(-from_bits(b));
  for (std::uint32_t b : {0x7F800001u, 0x7FFFFFFFu, 0xFFFFFFFFu, 0xFF812345u})
    v.push_back(from_bits(b));
  expect_fast_equals_ref(v, {1, v.size()});
  // Every tail length, and in place.
  for (std::size_t n = 0; n <= 40; ++n) {
    const std::vector<float> part(v.begin() + 100,
                                  v.begin() + 100 + static_cast<std::ptrdiff_t>(n));
    expect_fast_equals_ref(part, {1, n});
  }
}

TEST(SimdQ8, EmptyAndZeroColumnTensors) {
  if (!have_avx2()) GTEST_SKIP() << "CPU lacks AVX2 + F16C";
  expect_fast_equals_ref({}, {0, 0});
  expect_fast_equals_ref({}, {5, 0});
  expect_fast_equals_ref({}, {0, 7});
}

TEST(SimdQ8, ScalarIsaAndStatsRunTheReference) {
  std::mt19937 rng(7);
  std::vector<float> in(999);
  for (auto& x : in) x = std::ldexp(static_cast<float>(static_cast<int>(rng() % 2001) - 1000), -7);
  in[10] = NAN;
  for (Format f : kFast) {
    const FormatSpec s = default_spec(f);
    std::vector<float> a(in.size()), b(in.size());
    ASSERT_TRUE(fake_quantize(s, in, a, {27, 37}, nullptr, Isa::scalar).ok());
    ASSERT_TRUE(fake_quantize_ref(s, in, b, {27, 37}).ok());
    EXPECT_EQ(first_mismatch(a, b), std::nullopt) << format_base_name(f);
    QuantStats stats;
    ASSERT_TRUE(fake_quantize(s, in, a, {27, 37}, &stats).ok());
    EXPECT_EQ(first_mismatch(a, b), std::nullopt) << format_base_name(f);
    EXPECT_GT(stats.inexact + stats.invalid, 0u) << format_base_name(f);
    // Shape mismatches are still reported.
    EXPECT_FALSE(fake_quantize(s, in, a, {2, in.size()}).ok()) << format_base_name(f);
  }
  // Non-default specs of the same formats take the reference too.
  for (const char* text : {"int8:per-channel", "int8:affine", "int8:rtz", "fp8-e4m3:nosat",
                           "fp8-e4m3:sr=3", "mxint8:rtz"}) {
    const FormatSpec s = parse_format(text).value();
    std::vector<float> a(in.size()), b(in.size());
    ASSERT_TRUE(fake_quantize(s, in, a, {27, 37}).ok());
    ASSERT_TRUE(fake_quantize_ref(s, in, b, {27, 37}).ok());
    EXPECT_EQ(first_mismatch(a, b), std::nullopt) << text;
  }
}

}  // namespace
#endif  // x86
