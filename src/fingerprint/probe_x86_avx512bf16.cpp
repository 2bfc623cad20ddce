// AVX512-BF16 probe (compiled with -mavx512bf16 -mavx512f, run only when the CPU has it):
// vcvtne2ps2bf16 and vdpbf16ps. The dot-product instruction's internal accumulation (order,
// intermediate rounding, denormal flushing) is the vendor's choice, so Intel and AMD parts differ.
#if defined(__x86_64__)
// GCC 12 (bug 105593): _mm512_undefined_*() self-initialise and trip -Wuninitialized when inlined.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include "fingerprint/probe_isa.hpp"

namespace hwlock::fingerprint::detail {

void probe_x86_avx512bf16_vdpbf16ps(ProbeSink& out) {
  const float* a = challenges().sum.data;
  const float* b = challenges().dot_b.data;
  const F32Array r = challenges().recip;  // includes denormals, infinities and a NaN
  alignas(64) float res[32];
  __m512 acc = _mm512_setzero_ps();
  for (std::size_t i = 0; i + 32 <= 4096 && i + 32 <= r.size; i += 32) {
    const __m512bh va = _mm512_cvtne2ps_pbh(_mm512_loadu_ps(a + i), _mm512_loadu_ps(a + i + 16));
    const __m512bh vb = _mm512_cvtne2ps_pbh(_mm512_loadu_ps(b + i), _mm512_loadu_ps(b + i + 16));
    const __m512bh vr =
        _mm512_cvtne2ps_pbh(_mm512_loadu_ps(r.data + i), _mm512_loadu_ps(r.data + i + 16));
    // Non-accumulating products (fresh accumulator) and a running accumulation.
    _mm512_store_ps(res, _mm512_dpbf16_ps(_mm512_set1_ps(1.0f), va, vb));
    _mm512_store_ps(res + 16, _mm512_dpbf16_ps(_mm512_set1_ps(0x1p-130f), vr, vb));
    out.put_bytes(res, sizeof res);
    acc = _mm512_dpbf16_ps(acc, va, vb);
  }
  _mm512_store_ps(res, acc);
  out.put_bytes(res, 16 * sizeof(float));
}

}  // namespace hwlock::fingerprint::detail
#endif  // __x86_64__
