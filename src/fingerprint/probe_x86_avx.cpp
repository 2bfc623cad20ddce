// AVX probes (compiled with -mavx, run only when the CPU and OS support AVX): the 256-bit
// vrcpps/vrsqrtps estimates (on some CPUs the ymm path differs from the xmm one) and 8-lane
// reductions without FMA, as a pre-AVX2 kernel would compute them.
#if defined(__x86_64__)
#include <immintrin.h>

#include "fingerprint/probe_isa.hpp"

namespace hwlock::fingerprint::detail {
namespace {

template <class Op>
void estimate8(F32Array in, ProbeSink& out, Op op) {
  alignas(32) float r[8];
  for (std::size_t i = 0; i + 8 <= in.size; i += 8) {
    _mm256_store_ps(r, op(_mm256_loadu_ps(in.data + i)));
    out.put_bytes(r, sizeof r);
  }
}

// (l0+l4) + (l2+l6) + ((l1+l5) + (l3+l7)): extract the high half, then the SSE tree.
float hsum8(__m256 acc) noexcept {
  __m128 t = _mm_add_ps(_mm256_castps256_ps128(acc), _mm256_extractf128_ps(acc, 1));
  t = _mm_add_ps(t, _mm_movehl_ps(t, t));
  t = _mm_add_ss(t, _mm_shuffle_ps(t, t, 1));
  return _mm_cvtss_f32(t);
}

}  // namespace

void probe_x86_avx_vrcpps(ProbeSink& out) {
  estimate8(challenges().recip, out, [](__m256 v) { return _mm256_rcp_ps(v); });
}

void probe_x86_avx_vrsqrtps(ProbeSink& out) {
  estimate8(challenges().rsqrt, out, [](__m256 v) { return _mm256_rsqrt_ps(v); });
}

float sum_f32_avx(const float* x, std::size_t n) noexcept {
  __m256 acc = _mm256_setzero_ps();
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) acc = _mm256_add_ps(acc, _mm256_loadu_ps(x + i));
  float s = hsum8(acc);
  for (; i < n; ++i) s += x[i];
  return s;
}

float dot_f32_avx(const float* a, const float* b, std::size_t n) noexcept {
  __m256 acc = _mm256_setzero_ps();
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8)
    acc = _mm256_add_ps(acc, _mm256_mul_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i)));
  float s = hsum8(acc);
  for (; i < n; ++i) s += a[i] * b[i];
  return s;
}

}  // namespace hwlock::fingerprint::detail
#endif  // __x86_64__
