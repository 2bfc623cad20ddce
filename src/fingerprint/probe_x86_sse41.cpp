// SSE4.1 probe (compiled with -msse4.1, run only when the CPU has it): dpps, the dot-product
// instruction whose intermediate rounding order is the implementation's choice.
#if defined(__x86_64__)
#include <immintrin.h>

#include "fingerprint/probe_isa.hpp"

namespace hwlock::fingerprint::detail {

void probe_x86_sse41_dpps(ProbeSink& out) {
  const float* a = challenges().sum.data;
  const float* b = challenges().dot_b.data;
  for (std::size_t i = 0; i < 2048; i += 4) {
    const __m128 va = _mm_loadu_ps(a + i);
    const __m128 vb = _mm_loadu_ps(b + i);
    alignas(16) float r[12];
    _mm_store_ps(r, _mm_dp_ps(va, vb, 0xff));      // all four products, broadcast
    _mm_store_ps(r + 4, _mm_dp_ps(va, vb, 0x75));  // lanes 0..2, into lanes 0 and 2
    _mm_store_ps(r + 8, _mm_dp_ps(va, va, 0xdf));  // lanes 0, 2, 3
    out.put_bytes(r, sizeof r);
  }
  // Double-precision form on widened operands.
  for (std::size_t i = 0; i < 1024; i += 2) {
    const __m128d va = _mm_mul_pd(_mm_cvtps_pd(_mm_loadu_ps(a + i)), _mm_set_pd(0x1p40, 1.0));
    const __m128d vb = _mm_mul_pd(_mm_cvtps_pd(_mm_loadu_ps(b + i)), _mm_set_pd(1.0, 0x1p-40));
    alignas(16) double r[2];
    _mm_store_pd(r, _mm_dp_pd(va, vb, 0x33));
    out.put_bytes(r, sizeof r);
  }
}

}  // namespace hwlock::fingerprint::detail
#endif  // __x86_64__
