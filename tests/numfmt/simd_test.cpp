// The AVX2/F16C fast path against the reference, and the reference against this CPU's own
// conversion instructions (F16C for fp16; AVX512-BF16 for bf16 where present).
#include <gtest/gtest.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

#include <bit>
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "hwlock/numfmt.hpp"

#if defined(__x86_64__) || defined(__i386__)
namespace {

using namespace hwlock::numfmt;

// Specials, every fp16/bf16 value, the midpoints between neighbours and the floats either side.
std::vector<float> boundary_inputs() {
  std::vector<float> v;
  for (std::uint32_t bits :
       {0x00000000u, 0x80000000u, 0x00000001u, 0x80000001u, 0x007FFFFFu, 0x00800000u, 0x7F7FFFFFu,
        0xFF7FFFFFu, 0x7F800000u, 0xFF800000u, 0x7F800001u, 0x7FBFFFFFu, 0x7FC00000u, 0xFFC00000u,
        0x7FFFFFFFu, 0xFFFFFFFFu, 0x7F7F8000u, 0x7F7F7FFFu, 0x477FF000u, 0x477FEFFFu})
    v.push_back(std::bit_cast<float>(bits));
  for (const ElementType& t : {kFp16, kBf16}) {
    for (std::uint32_t c = 0; c < 0x10000; ++c) {
      const float a = decode_element_ref(t, c);
      v.push_back(a);
      const float b = decode_element_ref(t, c + 1);
      if (!std::isfinite(a) || !std::isfinite(b) || std::signbit(a) != std::signbit(b)) continue;
      const auto mid = static_cast<float>((static_cast<double>(a) + b) / 2);
      v.insert(v.end(), {mid, std::nextafter(mid, -INFINITY), std::nextafter(mid, INFINITY)});
    }
  }
  return v;
}

std::vector<float> random_inputs(std::size_t n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<float> v(n);
  for (auto& x : v) x = std::bit_cast<float>(static_cast<std::uint32_t>(rng()));
  return v;
}

void expect_bitwise_equal(const std::vector<float>& a, const std::vector<float>& b,
                          const std::vector<float>& in) {
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i)
    ASSERT_EQ(std::bit_cast<std::uint32_t>(a[i]), std::bit_cast<std::uint32_t>(b[i]))
        << "input " << std::hex << std::bit_cast<std::uint32_t>(in[i]) << " at " << std::dec << i;
}

TEST(Simd, FastPathMatchesReferenceBitForBit) {
  if (detected_isa() < Isa::avx2_f16c) GTEST_SKIP() << "CPU lacks AVX2 + F16C";
  std::vector<float> in = boundary_inputs();
  const auto rnd = random_inputs(2'000'000, 1234);
  in.insert(in.end(), rnd.begin(), rnd.end());
  for (Format f : {Format::bf16, Format::fp16}) {
    SCOPED_TRACE(format_base_name(f));
    const FormatSpec s = default_spec(f);
    std::vector<float> fast(in.size()), ref(in.size());
    ASSERT_TRUE(fake_quantize(s, in, fast, {1, in.size()}, nullptr, Isa::avx2_f16c).ok());
    ASSERT_TRUE(fake_quantize_ref(s, in, ref, {1, in.size()}).ok());
    expect_bitwise_equal(fast, ref, in);
    // Every tail length, and in place.
    for (std::size_t n = 0; n <= 19; ++n) {
      std::vector<float> part(in.begin() + 3, in.begin() + 3 + static_cast<std::ptrdiff_t>(n));
      std::vector<float> want(n);
      ASSERT_TRUE(fake_quantize_ref(s, part, want, {1, n}).ok());
      ASSERT_TRUE(fake_quantize(s, part, part, {1, n}).ok());
      expect_bitwise_equal(part, want, want);
    }
  }
}

TEST(Simd, NonDefaultSpecsAndStatsFallBackToTheReference) {
  const auto in = random_inputs(1000, 77);
  for (const char* text : {"fp16:sat", "bf16:rtz", "bf16:sr=4", "fp8-e4m3:nosat", "mxfp4"}) {
    const FormatSpec s = parse_format(text).value();
    std::vector<float> a(in.size()), b(in.size());
    ASSERT_TRUE(fake_quantize(s, in, a, {1, in.size()}).ok());
    ASSERT_TRUE(fake_quantize_ref(s, in, b, {1, in.size()}).ok());
    expect_bitwise_equal(a, b, in);
  }
  QuantStats stats;
  std::vector<float> out(in.size());
  ASSERT_TRUE(fake_quantize(default_spec(Format::fp16), in, out, {1, in.size()}, &stats).ok());
  EXPECT_GT(stats.inexact, 0u);
  EXPECT_FALSE(fake_quantize(default_spec(Format::fp16), in, out, {2, in.size()}).ok());
}

__attribute__((target("f16c"))) std::uint16_t cpu_fp32_to_fp16(float x) {
  return static_cast<std::uint16_t>(
      _mm_extract_epi16(_mm_cvtps_ph(_mm_set_ss(x), _MM_FROUND_TO_NEAREST_INT), 0));
}
__attribute__((target("f16c"))) float cpu_fp16_to_fp32(std::uint16_t h) {
  return _mm_cvtss_f32(_mm_cvtph_ps(_mm_cvtsi32_si128(h)));
}

TEST(CpuAgreement, Fp16MatchesF16C) {
  if (!__builtin_cpu_supports("f16c")) GTEST_SKIP() << "CPU lacks F16C";
  for (std::uint32_t c = 0; c < 0x10000; ++c)
    ASSERT_EQ(std::bit_cast<std::uint32_t>(decode_element_ref(kFp16, c)),
              std::bit_cast<std::uint32_t>(cpu_fp16_to_fp32(static_cast<std::uint16_t>(c))))
        << std::hex << c;
  std::vector<float> in = boundary_inputs();
  const auto rnd = random_inputs(3'000'000, 99);
  in.insert(in.end(), rnd.begin(), rnd.end());
  for (float x : in)
    ASSERT_EQ(encode_element_ref(kFp16, x).code, cpu_fp32_to_fp16(x))
        << std::hex << std::bit_cast<std::uint32_t>(x);
}

__attribute__((target("avx512f,avx512bf16,avx512vl"))) void cpu_fp32_to_bf16(const float* in,
                                                                             std::uint16_t* out) {
  const __m256bh h = _mm512_cvtneps_pbh(_mm512_loadu_ps(in));
  std::memcpy(out, &h, sizeof h);
}

TEST(CpuAgreement, Bf16MatchesAvx512Bf16) {
  if (!__builtin_cpu_supports("avx512bf16"))
    GTEST_SKIP() << "CPU lacks AVX512_BF16 (vcvtneps2bf16); bf16 is covered by the exhaustive and "
                    "brute-force tests";
  std::vector<float> in = boundary_inputs();
  const auto rnd = random_inputs(3'000'000, 4321);
  in.insert(in.end(), rnd.begin(), rnd.end());
  // VCVTNEPS2BF16 treats fp32 subnormal inputs as zero (DAZ), which the IEEE reference does not.
  std::erase_if(in, [](float x) { return std::fpclassify(x) == FP_SUBNORMAL; });
  in.resize(in.size() / 16 * 16);
  std::vector<std::uint16_t> hw(in.size());
  for (std::size_t i = 0; i < in.size(); i += 16) cpu_fp32_to_bf16(&in[i], &hw[i]);
  for (std::size_t i = 0; i < in.size(); ++i)
    ASSERT_EQ(encode_element_ref(kBf16, in[i]).code, hw[i])
        << std::hex << std::bit_cast<std::uint32_t>(in[i]);
}

}  // namespace
#endif  // x86
