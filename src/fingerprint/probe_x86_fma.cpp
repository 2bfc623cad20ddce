// FMA probes (compiled with -mavx2 -mfma, run only when the CPU has both): fused vs separate
// multiply-add on operands where a single rounding differs from two, and the 8-lane FMA dot product
// an AVX2 kernel computes. Fused results are IEEE-exact, so what this field adds is the kernel
// path.
#if defined(__x86_64__)
#include <immintrin.h>

#include "fingerprint/probe_isa.hpp"

namespace hwlock::fingerprint::detail {

float dot_f32_avx2_fma(const float* a, const float* b, std::size_t n) noexcept {
  __m256 acc = _mm256_setzero_ps();
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8)
    acc = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc);
  __m128 t = _mm_add_ps(_mm256_castps256_ps128(acc), _mm256_extractf128_ps(acc, 1));
  t = _mm_add_ps(t, _mm_movehl_ps(t, t));
  t = _mm_add_ss(t, _mm_shuffle_ps(t, t, 1));
  float s = _mm_cvtss_f32(t);
  for (; i < n; ++i)
    s = _mm_cvtss_f32(_mm_fmadd_ss(_mm_set_ss(a[i]), _mm_set_ss(b[i]), _mm_set_ss(s)));
  return s;
}

void probe_x86_fma_vfmadd(ProbeSink& out) {
  const float* a = challenges().sum.data;
  const float* b = challenges().dot_b.data;
  // a*b - round(a*b): the exact rounding error, zero only without fusion.
  for (std::size_t i = 0; i < 1024; i += 8) {
    const __m256 va = _mm256_loadu_ps(a + i);
    const __m256 vb = _mm256_loadu_ps(b + i);
    const __m256 p = _mm256_mul_ps(va, vb);
    alignas(32) float r[24];
    _mm256_store_ps(r, _mm256_fmsub_ps(va, vb, p));
    _mm256_store_ps(r + 8, _mm256_add_ps(p, _mm256_set1_ps(1.0f)));
    _mm256_store_ps(r + 16, _mm256_fmadd_ps(va, vb, _mm256_set1_ps(1.0f)));
    out.put_bytes(r, sizeof r);
  }
  // Double: (1 + 2^-52)^2 minus its rounding (the classic FMA detector), and fnmadd.
  const __m128d x = _mm_set_sd(1.0 + 0x1p-52);
  const __m128d sq = _mm_mul_sd(x, x);
  alignas(16) double d[4];
  _mm_store_pd(d, _mm_fmsub_sd(x, x, sq));
  _mm_store_pd(d + 2, _mm_fnmadd_sd(x, x, _mm_set_sd(1.0)));
  out.put_bytes(d, sizeof d);
  for (std::size_t k = 0; k < sizeof kReduceLengths / sizeof kReduceLengths[0]; ++k) {
    const float s = dot_f32_avx2_fma(a, b, kReduceLengths[k]);
    out.put_bytes(&s, sizeof s);
  }
}

}  // namespace hwlock::fingerprint::detail
#endif  // __x86_64__
