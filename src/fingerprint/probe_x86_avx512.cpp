// AVX-512F probes (compiled with -mavx512f -mfma, run only when the CPU and OS support both):
// 14-bit vrcp14ps/vrsqrt14ps estimates and 16-lane FMA reductions, as an AVX-512 kernel computes
// them. qemu and valgrind have no AVX-512: there these fields read "absent".
#if defined(__x86_64__)
// GCC 12 (bug 105593): _mm512_undefined_*() self-initialise and trip -Wuninitialized when inlined.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include "fingerprint/probe_isa.hpp"

namespace hwlock::fingerprint::detail {
namespace {

template <class Op>
void estimate16(F32Array in, ProbeSink& out, Op op) {
  alignas(64) float r[16];
  for (std::size_t i = 0; i + 16 <= in.size; i += 16) {
    _mm512_store_ps(r, op(_mm512_loadu_ps(in.data + i)));
    out.put_bytes(r, sizeof r);
  }
}

// High 256 bits onto the low, then the 8-lane tree of the AVX kernels.
float hsum16(__m512 acc) noexcept {
  const __m256 lo = _mm512_castps512_ps256(acc);
  const __m256 hi = _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(acc), 1));
  const __m256 s8 = _mm256_add_ps(lo, hi);
  __m128 t = _mm_add_ps(_mm256_castps256_ps128(s8), _mm256_extractf128_ps(s8, 1));
  t = _mm_add_ps(t, _mm_movehl_ps(t, t));
  t = _mm_add_ss(t, _mm_shuffle_ps(t, t, 1));
  return _mm_cvtss_f32(t);
}

}  // namespace

void probe_x86_avx512_vrcp14ps(ProbeSink& out) {
  estimate16(challenges().recip14, out, [](__m512 v) { return _mm512_rcp14_ps(v); });
  estimate16(challenges().recip, out, [](__m512 v) { return _mm512_rcp14_ps(v); });
  // The double form on widened inputs.
  const F32Array in = challenges().recip;
  alignas(64) double r[8];
  for (std::size_t i = 0; i + 8 <= in.size && i < 1024; i += 8) {
    _mm512_store_pd(r, _mm512_rcp14_pd(_mm512_cvtps_pd(_mm256_loadu_ps(in.data + i))));
    out.put_bytes(r, sizeof r);
  }
}

void probe_x86_avx512_vrsqrt14ps(ProbeSink& out) {
  estimate16(challenges().recip14, out, [](__m512 v) { return _mm512_rsqrt14_ps(v); });
  estimate16(challenges().rsqrt, out, [](__m512 v) { return _mm512_rsqrt14_ps(v); });
}

float sum_f32_avx512(const float* x, std::size_t n) noexcept {
  __m512 acc = _mm512_setzero_ps();
  std::size_t i = 0;
  for (; i + 16 <= n; i += 16) acc = _mm512_add_ps(acc, _mm512_loadu_ps(x + i));
  float s = hsum16(acc);
  for (; i < n; ++i) s += x[i];
  return s;
}

float dot_f32_avx512(const float* a, const float* b, std::size_t n) noexcept {
  __m512 acc = _mm512_setzero_ps();
  std::size_t i = 0;
  for (; i + 16 <= n; i += 16)
    acc = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), acc);
  float s = hsum16(acc);
  for (; i < n; ++i)
    s = _mm_cvtss_f32(_mm_fmadd_ss(_mm_set_ss(a[i]), _mm_set_ss(b[i]), _mm_set_ss(s)));
  return s;
}

}  // namespace hwlock::fingerprint::detail
#endif  // __x86_64__
