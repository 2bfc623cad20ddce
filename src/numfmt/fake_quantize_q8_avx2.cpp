// AVX2 fake quantisation for the default specs of int8 (per-tensor symmetric), MXINT8 and OCP FP8
// E4M3, bit-identical to fake_quantize_ref. Compiled with -mavx2 -mf16c -mfma -ffp-contract=off
// and only called after detected_isa() says so. Every rounding uses an explicit _MM_FROUND_* mode
// or integer arithmetic, so the result does not depend on MXCSR's rounding mode (FTZ/DAZ must be
// off, as the scalar reference also assumes).
//
// This file deliberately includes no project or library header: an inline function instantiated
// here would be compiled with AVX2 and the linker could keep that copy for the whole program,
// breaking CPUs without AVX2. The declarations match numfmt_internal.hpp (a mismatch fails to
// link).
#include <immintrin.h>

#include <cstddef>
#include <cstdint>

namespace hwlock::numfmt::detail {

void fake_quantize_int8_avx2(const float* in, float* out, std::size_t n) noexcept;
void fake_quantize_mxint8_avx2(const float* in, float* out, std::size_t rows,
                               std::size_t cols) noexcept;
void fake_quantize_fp8_e4m3_avx2(const float* in, float* out, std::size_t n) noexcept;

namespace {

constexpr int kRne = _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC;

// Lanes [0, count) set, count in 0..8.
__m256i lane_mask(std::size_t count) noexcept {
  const __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(count)), idx);
}

__m256i abs_bits(__m256 x) noexcept {
  return _mm256_and_si256(_mm256_castps_si256(x), _mm256_set1_epi32(0x7FFFFFFF));
}

float hmax_ps(__m256 v) noexcept {
  __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  m = _mm_max_ps(m, _mm_movehl_ps(m, m));
  m = _mm_max_ss(m, _mm_shuffle_ps(m, m, 1));
  return _mm_cvtss_f32(m);
}

// ---- int8, per-tensor symmetric: scale = absmax / 127 over finite inputs ----------------------

__m256 finite_abs(__m256 x) noexcept {
  const __m256 a = _mm256_castsi256_ps(abs_bits(x));
  // |x| <= FLT_MAX is false for inf and NaN (ordered compare).
  return _mm256_and_ps(a, _mm256_cmp_ps(a, _mm256_set1_ps(3.40282347e38f), _CMP_LE_OQ));
}

__m256 int8_level(__m256 x, __m256 scale) noexcept {
  const __m256 v = _mm256_div_ps(x, scale);
  __m256 r = _mm256_round_ps(v, kRne);
  r = _mm256_min_ps(_mm256_max_ps(r, _mm256_set1_ps(-127.0f)), _mm256_set1_ps(127.0f));
  // -0 + +0 = +0: code 0 decodes to +0 whatever the sign of x.
  r = _mm256_add_ps(r, _mm256_setzero_ps());
  // NaN inputs have code 0 (the clamp above turned them into -127).
  return _mm256_andnot_ps(_mm256_cmp_ps(x, x, _CMP_UNORD_Q), r);
}

// ---- MXINT8: block of up to 32, E8M0 scale X = floor(log2(amax)), elements q * 2^(X-6) ----------

// One block in x[0..3] (lanes past the block's end zero) to its dequantised values in y[0..3].
__attribute__((always_inline)) inline void mxint8_block(const __m256 (&x)[4],
                                                        __m256 (&y)[4]) noexcept {
  // Non-negative fp32 bit patterns order like the values; inf and NaN sort above every finite.
  // The block maximum ends up in every lane, so the scale is worked out without leaving vectors.
  __m256i m = _mm256_max_epi32(_mm256_max_epi32(abs_bits(x[0]), abs_bits(x[1])),
                               _mm256_max_epi32(abs_bits(x[2]), abs_bits(x[3])));
  m = _mm256_max_epi32(m, _mm256_permute2x128_si256(m, m, 1));
  m = _mm256_max_epi32(m, _mm256_shuffle_epi32(m, 0x4E));
  m = _mm256_max_epi32(m, _mm256_shuffle_epi32(m, 0xB1));
  // Any inf or NaN: the whole block is NaN.
  const __m256 nan_block =
      _mm256_castsi256_ps(_mm256_cmpgt_epi32(m, _mm256_set1_epi32(0x7F7FFFFF)));

  // top = floor(log2(amax)); amax = 0 counts as 2^-126. A subnormal amax (< 2^23 as an integer)
  // converts to fp32 exactly, whose exponent then gives floor(log2(bits)).
  const __m256i bias = _mm256_set1_epi32(127);
  const __m256i field = _mm256_srli_epi32(m, 23);
  const __m256i sub_top = _mm256_sub_epi32(
      _mm256_srli_epi32(_mm256_castps_si256(_mm256_cvtepi32_ps(m)), 23), _mm256_set1_epi32(276));
  __m256i top = _mm256_blendv_epi8(sub_top, _mm256_sub_epi32(field, bias),
                                   _mm256_cmpgt_epi32(field, _mm256_setzero_si256()));
  top = _mm256_blendv_epi8(top, _mm256_set1_epi32(-126),
                           _mm256_cmpeq_epi32(m, _mm256_setzero_si256()));
  // X = top - emax_elem (0), clamped up to -bias; it cannot exceed +127.
  const __m256i xe = _mm256_max_epi32(top, _mm256_set1_epi32(-127));

  // Scale up by 2^(6 - X), in two exact steps when that is above 2^127. A product that falls below
  // 2^-126 (and may round) is far below 0.5 and rounds to 0 either way.
  const __m256i up = _mm256_sub_epi32(_mm256_set1_epi32(6), xe);
  const __m256i split = _mm256_cmpgt_epi32(up, bias);
  const __m256i up1 = _mm256_blendv_epi8(up, _mm256_set1_epi32(64), split);
  const __m256i up2 = _mm256_and_si256(_mm256_sub_epi32(up, _mm256_set1_epi32(64)), split);
  const auto pow2_normal = [&](__m256i e) {  // 2^e, e in -126..127
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(e, bias), 23));
  };
  const __m256 f1 = pow2_normal(up1), f2 = pow2_normal(up2);
  // Back down by 2^(X - 6) >= 2^-133, a subnormal below 2^-126: q * 2^(X-6) is exact.
  const __m256i de = _mm256_sub_epi32(xe, _mm256_set1_epi32(6));
  const __m256 down = _mm256_blendv_ps(
      _mm256_castsi256_ps(
          _mm256_sllv_epi32(_mm256_set1_epi32(1), _mm256_add_epi32(de, _mm256_set1_epi32(149)))),
      pow2_normal(de), _mm256_castsi256_ps(_mm256_cmpgt_epi32(de, _mm256_set1_epi32(-127))));
  const __m256 nan = _mm256_castsi256_ps(_mm256_set1_epi32(0x7FC00000));

  for (std::size_t k = 0; k < 4; ++k) {
    const __m256 s = _mm256_mul_ps(_mm256_mul_ps(x[k], f1), f2);
    __m256 r = _mm256_round_ps(s, kRne);
    r = _mm256_min_ps(_mm256_max_ps(r, _mm256_set1_ps(-127.0f)), _mm256_set1_ps(127.0f));
    r = _mm256_add_ps(r, _mm256_setzero_ps());  // code 0 decodes to +0
    y[k] = _mm256_blendv_ps(_mm256_mul_ps(r, down), nan, nan_block);
  }
}

void mxint8_tail(const float* in, float* out, std::size_t len) noexcept {  // len < 32
  __m256i mask[4];
  __m256 x[4], y[4];
  for (std::size_t k = 0; k < 4; ++k) {  // no pointer past the end is formed
    const std::size_t cnt = len <= 8 * k ? 0 : (len - 8 * k >= 8 ? 8 : len - 8 * k);
    mask[k] = lane_mask(cnt);
    x[k] = cnt ? _mm256_maskload_ps(in + 8 * k, mask[k]) : _mm256_setzero_ps();
  }
  mxint8_block(x, y);
  for (std::size_t k = 0; 8 * k < len; ++k) _mm256_maskstore_ps(out + 8 * k, mask[k], y[k]);
}

// ---- FP8 E4M3 (OCP, saturating): 3 mantissa bits, min normal 2^-6, max 448, NaN keeps the sign --

__m256 fp8_e4m3(__m256 x) noexcept {
  const __m256i a = abs_bits(x);
  const __m256 af = _mm256_castsi256_ps(a);
  // Normal binades: round to nearest even at fp32 mantissa bit 20; a carry steps the exponent and
  // out of the largest fp32 binade gives +inf (clamped below).
  const __m256i lsb = _mm256_and_si256(_mm256_srli_epi32(a, 20), _mm256_set1_epi32(1));
  const __m256i normal =
      _mm256_and_si256(_mm256_add_epi32(a, _mm256_add_epi32(_mm256_set1_epi32(0x7FFFF), lsb)),
                       _mm256_set1_epi32(static_cast<int>(0xFFF00000u)));
  // Below 2^-6 the quantum is 2^-9: both scalings are exact.
  const __m256 sub = _mm256_mul_ps(_mm256_round_ps(_mm256_mul_ps(af, _mm256_set1_ps(512.0f)), kRne),
                                   _mm256_set1_ps(1.0f / 512.0f));
  const __m256 small = _mm256_cmp_ps(af, _mm256_set1_ps(0.015625f), _CMP_LT_OQ);
  __m256 mag = _mm256_blendv_ps(_mm256_castsi256_ps(normal), sub, small);
  mag = _mm256_min_ps(mag, _mm256_set1_ps(448.0f));  // saturate, inf included
  const __m256 sign = _mm256_and_ps(x, _mm256_set1_ps(-0.0f));
  const __m256 nan = _mm256_or_ps(sign, _mm256_castsi256_ps(_mm256_set1_epi32(0x7FC00000)));
  return _mm256_blendv_ps(_mm256_or_ps(mag, sign), nan, _mm256_cmp_ps(x, x, _CMP_UNORD_Q));
}

}  // namespace

void fake_quantize_int8_avx2(const float* in, float* out, std::size_t n) noexcept {
  __m256 m0 = _mm256_setzero_ps(), m1 = m0, m2 = m0, m3 = m0;
  std::size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    m0 = _mm256_max_ps(m0, finite_abs(_mm256_loadu_ps(in + i)));
    m1 = _mm256_max_ps(m1, finite_abs(_mm256_loadu_ps(in + i + 8)));
    m2 = _mm256_max_ps(m2, finite_abs(_mm256_loadu_ps(in + i + 16)));
    m3 = _mm256_max_ps(m3, finite_abs(_mm256_loadu_ps(in + i + 24)));
  }
  for (; i < n; i += 8) {
    const std::size_t cnt = n - i >= 8 ? 8 : n - i;
    m0 = _mm256_max_ps(m0, finite_abs(_mm256_maskload_ps(in + i, lane_mask(cnt))));
  }
  const float amax = hmax_ps(_mm256_max_ps(_mm256_max_ps(m0, m1), _mm256_max_ps(m2, m3)));
  float scale = amax / 127.0f;
  if (!(scale > 0.0f)) scale = 1.0f;  // all zero, or the scale underflowed

  const __m256 s = _mm256_set1_ps(scale);
  for (i = 0; i + 8 <= n; i += 8)
    _mm256_storeu_ps(out + i, _mm256_mul_ps(int8_level(_mm256_loadu_ps(in + i), s), s));
  if (i < n) {
    const __m256i mask = lane_mask(n - i);
    _mm256_maskstore_ps(out + i, mask,
                        _mm256_mul_ps(int8_level(_mm256_maskload_ps(in + i, mask), s), s));
  }
}

void fake_quantize_mxint8_avx2(const float* in, float* out, std::size_t rows,
                               std::size_t cols) noexcept {
  for (std::size_t r = 0; r < rows; ++r) {
    const float* row_in = in + r * cols;
    float* row_out = out + r * cols;
    std::size_t b = 0;
    for (; b + 32 <= cols; b += 32) {
      const __m256 x[4] = {_mm256_loadu_ps(row_in + b), _mm256_loadu_ps(row_in + b + 8),
                           _mm256_loadu_ps(row_in + b + 16), _mm256_loadu_ps(row_in + b + 24)};
      __m256 y[4];
      mxint8_block(x, y);
      for (std::size_t k = 0; k < 4; ++k) _mm256_storeu_ps(row_out + b + 8 * k, y[k]);
    }
    if (b < cols) mxint8_tail(row_in + b, row_out + b, cols - b);
  }
}

void fake_quantize_fp8_e4m3_avx2(const float* in, float* out, std::size_t n) noexcept {
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(out + i, fp8_e4m3(_mm256_loadu_ps(in + i)));
  if (i < n) {
    const __m256i mask = lane_mask(n - i);
    _mm256_maskstore_ps(out + i, mask, fp8_e4m3(_mm256_maskload_ps(in + i, mask)));
  }
}

}  // namespace hwlock::numfmt::detail
