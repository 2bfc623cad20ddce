// SSE probes (baseline x86-64, no extra -m flags): rcpps/rsqrtps estimates, denormal handling under
// every FTZ/DAZ combination, and the 4-lane reductions. qemu computes rcpps/rsqrtps exactly;
// valgrind ignores FTZ/DAZ: both change these bits.
#if defined(__x86_64__)
#include <immintrin.h>

#include <initializer_list>

#include "fingerprint/probe_isa.hpp"

namespace hwlock::fingerprint::detail {
namespace {

template <class Op>
void estimate4(F32Array in, ProbeSink& out, Op op) {
  alignas(16) float r[4];
  for (std::size_t i = 0; i + 4 <= in.size; i += 4) {
    _mm_store_ps(r, op(_mm_loadu_ps(in.data + i)));
    out.put_bytes(r, sizeof r);
  }
  // Scalar forms too (rcpss/rsqrtss share the table on every CPU we know, but need not).
  for (std::size_t i = 0; i < 64 && i < in.size; ++i) {
    _mm_store_ss(r, op(_mm_set_ss(in.data[i])));
    out.put(r[0]);
  }
}

constexpr unsigned kMxcsrDefault = 0x1f80;
constexpr unsigned kFtz = 0x8000;
constexpr unsigned kDaz = 0x0040;

}  // namespace

void probe_x86_sse_rcpps(ProbeSink& out) {
  estimate4(challenges().recip, out, [](__m128 v) { return _mm_rcp_ps(v); });
}

void probe_x86_sse_rsqrtps(ProbeSink& out) {
  estimate4(challenges().rsqrt, out, [](__m128 v) { return _mm_rsqrt_ps(v); });
}

// Operations whose result or operands are denormal, under the four FTZ/DAZ settings; the sticky
// exception flags (DE, UE, PE, ...) are recorded as well. Inputs and results pass through volatile
// memory so the compiler cannot move the arithmetic across the MXCSR writes.
void probe_x86_sse_denormal(ProbeSink& out) {
  static const float kF[] = {0x1p-149f, 0x1.fffffcp-127f, 0x1p-126f, 0x1.8p-126f, 0x1p-100f, 3.0f,
                             0.75f};
  static const double kD[] = {
      0x1p-1074, 0x0.fffffffffffffp-1022, 0x1p-1022, 0x1.8p-1022, 0x1p-600, 3.0, 0.75};
  const unsigned saved = _mm_getcsr();
  for (unsigned mode :
       {kMxcsrDefault, kMxcsrDefault | kFtz, kMxcsrDefault | kDaz, kMxcsrDefault | kFtz | kDaz}) {
    _mm_setcsr(mode);
    for (std::size_t i = 0; i < 5; ++i) {
      volatile float a = kF[i], b = kF[i + 1], s = kF[5], h = kF[6];
      volatile float r1 = a * h, r2 = a * s, r3 = a + b, r4 = b - a, r5 = a / s, r6 = a * b;
      volatile float r7 = _mm_cvtss_f32(_mm_sqrt_ss(_mm_set_ss(a)));
      volatile double w = static_cast<double>(a);
      for (float r : {float{r1}, float{r2}, float{r3}, float{r4}, float{r5}, float{r6}, float{r7}})
        out.put(r);
      out.put(double{w});
      volatile double da = kD[i], db = kD[i + 1], ds = kD[5], dh = kD[6];
      volatile double q1 = da * dh, q2 = da * ds, q3 = da + db, q4 = db - da, q5 = da / ds;
      volatile float narrowed = static_cast<float>(double{db});
      for (double r : {double{q1}, double{q2}, double{q3}, double{q4}, double{q5}}) out.put(r);
      out.put(float{narrowed});
    }
    out.put(static_cast<std::uint32_t>(_mm_getcsr() & 0x3f));  // sticky flags this mode raised
    _mm_setcsr(mode);                                          // clears the flags
  }
  _mm_setcsr(saved);
}

float sum_f32_sse(const float* x, std::size_t n) noexcept {
  __m128 acc = _mm_setzero_ps();
  std::size_t i = 0;
  for (; i + 4 <= n; i += 4) acc = _mm_add_ps(acc, _mm_loadu_ps(x + i));
  // Horizontal: (l0 + l2) + (l1 + l3), the usual movehl/shuffle tree.
  __m128 t = _mm_add_ps(acc, _mm_movehl_ps(acc, acc));
  t = _mm_add_ss(t, _mm_shuffle_ps(t, t, 1));
  float s = _mm_cvtss_f32(t);
  for (; i < n; ++i) s += x[i];
  return s;
}

float dot_f32_sse(const float* a, const float* b, std::size_t n) noexcept {
  __m128 acc = _mm_setzero_ps();
  std::size_t i = 0;
  for (; i + 4 <= n; i += 4)
    acc = _mm_add_ps(acc, _mm_mul_ps(_mm_loadu_ps(a + i), _mm_loadu_ps(b + i)));
  __m128 t = _mm_add_ps(acc, _mm_movehl_ps(acc, acc));
  t = _mm_add_ss(t, _mm_shuffle_ps(t, t, 1));
  float s = _mm_cvtss_f32(t);
  for (; i < n; ++i) s += a[i] * b[i];
  return s;
}

}  // namespace hwlock::fingerprint::detail
#endif  // __x86_64__
