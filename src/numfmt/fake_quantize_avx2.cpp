// AVX2 + F16C fake quantisation fp32 -> {bf16, fp16} -> fp32, 8 lanes at a time. Compiled with
// -mavx2 -mf16c -mfma and only called after detected_isa() says so.
//
// This file deliberately includes no project or library header: an inline function instantiated
// here would be compiled with AVX2 and the linker could keep that copy for the whole program,
// breaking CPUs without AVX2. The declarations match numfmt_internal.hpp (a mismatch fails to
// link).
#include <immintrin.h>

#include <cstddef>

namespace hwlock::numfmt::detail {

std::size_t fake_quantize_bf16_avx2(const float* in, float* out, std::size_t n) noexcept;
std::size_t fake_quantize_fp16_f16c(const float* in, float* out, std::size_t n) noexcept;

std::size_t fake_quantize_bf16_avx2(const float* in, float* out, std::size_t n) noexcept {
  const __m256i one = _mm256_set1_epi32(1);
  const __m256i round_bias = _mm256_set1_epi32(0x7FFF);
  const __m256i high_half = _mm256_set1_epi32(static_cast<int>(0xFFFF0000u));
  const __m256i quiet = _mm256_set1_epi32(0x00400000);
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 x = _mm256_loadu_ps(in + i);
    const __m256i b = _mm256_castps_si256(x);
    // Round to nearest even on the top 16 bits: add 0x7FFF plus the lowest kept bit. A carry out
    // of the mantissa steps the exponent, and out of the largest binade it gives exactly +-inf.
    const __m256i lsb = _mm256_and_si256(_mm256_srli_epi32(b, 16), one);
    const __m256i rounded =
        _mm256_and_si256(_mm256_add_epi32(b, _mm256_add_epi32(round_bias, lsb)), high_half);
    // NaN: keep sign and top payload, set the quiet bit (never round: it could carry to inf).
    const __m256i nan = _mm256_and_si256(_mm256_or_si256(b, quiet), high_half);
    const __m256 is_nan = _mm256_cmp_ps(x, x, _CMP_UNORD_Q);
    _mm256_storeu_ps(
        out + i, _mm256_blendv_ps(_mm256_castsi256_ps(rounded), _mm256_castsi256_ps(nan), is_nan));
  }
  return i;
}

std::size_t fake_quantize_fp16_f16c(const float* in, float* out, std::size_t n) noexcept {
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m128i h = _mm256_cvtps_ph(_mm256_loadu_ps(in + i), _MM_FROUND_TO_NEAREST_INT);
    _mm256_storeu_ps(out + i, _mm256_cvtph_ps(h));
  }
  return i;
}

}  // namespace hwlock::numfmt::detail
