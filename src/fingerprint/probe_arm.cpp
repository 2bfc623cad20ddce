// aarch64 probes: FRECPE/FRSQRTE estimates (vrecpeq/vrsqrteq), their Newton steps
// (FRECPS/FRSQRTS, fused), denormal handling under FPCR.FZ, which FPCR bits the core implements
// (FEAT_AFP's AH/FIZ/NEP read back as zero without it), and the 4-lane NEON FMA reductions.
#if defined(__aarch64__)
#include <arm_neon.h>

#include <cmath>

#include "fingerprint/numeric_probes.hpp"

namespace hwlock::fingerprint::detail {
namespace {

std::uint64_t get_fpcr() noexcept {
  std::uint64_t v;
  asm volatile("mrs %0, fpcr" : "=r"(v));
  return v;
}
void set_fpcr(std::uint64_t v) noexcept {
  asm volatile("msr fpcr, %0" : : "r"(v));
}

constexpr std::uint64_t kFz = 1u << 24, kDn = 1u << 25, kFz16 = 1u << 19;
constexpr std::uint64_t kAh = 1u << 1, kFiz = 1u << 0, kNep = 1u << 2;

template <class Op>
void estimate4(F32Array in, ProbeSink& out, Op op) {
  float r[4];
  for (std::size_t i = 0; i + 4 <= in.size; i += 4) {
    vst1q_f32(r, op(vld1q_f32(in.data + i)));
    out.put_bytes(r, sizeof r);
  }
}

}  // namespace

void probe_arm_neon_frecpe(ProbeSink& out) {
  const F32Array in = challenges().recip;
  estimate4(in, out, [](float32x4_t v) { return vrecpeq_f32(v); });
  estimate4(in, out, [](float32x4_t v) {
    return vmulq_f32(vrecpsq_f32(v, vrecpeq_f32(v)), vrecpeq_f32(v));
  });
  double r[2];
  for (std::size_t i = 0; i + 2 <= in.size && i < 1024; i += 2) {
    vst1q_f64(r, vrecpeq_f64(vcvt_f64_f32(vld1_f32(in.data + i))));
    out.put(r[0]);
    out.put(r[1]);
  }
}

void probe_arm_neon_frsqrte(ProbeSink& out) {
  const F32Array in = challenges().rsqrt;
  estimate4(in, out, [](float32x4_t v) { return vrsqrteq_f32(v); });
  estimate4(in, out, [](float32x4_t v) {
    const float32x4_t e = vrsqrteq_f32(v);
    return vmulq_f32(vrsqrtsq_f32(vmulq_f32(v, e), e), e);
  });
}

void probe_arm_fpcr_denormal(ProbeSink& out) {
  static const float kF[] = {0x1p-149f, 0x1.fffffcp-127f, 0x1p-126f, 0x1.8p-126f, 0x1p-100f, 3.0f,
                             0.75f};
  static const double kD[] = {
      0x1p-1074, 0x0.fffffffffffffp-1022, 0x1p-1022, 0x1.8p-1022, 0x1p-600, 3.0, 0.75};
  const std::uint64_t saved = get_fpcr();
  // Which control bits stick: a core-level feature fingerprint.
  set_fpcr(kFz | kDn | kFz16 | kAh | kFiz | kNep);
  out.put(get_fpcr() & (kFz | kDn | kFz16 | kAh | kFiz | kNep));
  for (std::uint64_t mode : {std::uint64_t{0}, kFz, kFz | kDn}) {
    set_fpcr(mode);
    for (std::size_t i = 0; i < 5; ++i) {
      volatile float a = kF[i], b = kF[i + 1], s = kF[5], h = kF[6];
      volatile float r1 = a * h, r2 = a * s, r3 = a + b, r4 = b - a, r5 = a / s, r6 = a * b;
      for (float r : {float{r1}, float{r2}, float{r3}, float{r4}, float{r5}, float{r6}}) out.put(r);
      float e[4];
      vst1q_f32(e, vrecpeq_f32(vdupq_n_f32(a)));
      out.put(e[0]);
      volatile double da = kD[i], db = kD[i + 1], ds = kD[5], dh = kD[6];
      volatile double q1 = da * dh, q2 = da * ds, q3 = da + db, q4 = db - da, q5 = da / ds;
      for (double r : {double{q1}, double{q2}, double{q3}, double{q4}, double{q5}}) out.put(r);
    }
  }
  set_fpcr(saved);
}

float sum_f32_neon(const float* x, std::size_t n) noexcept {
  float32x4_t acc = vdupq_n_f32(0.0f);
  std::size_t i = 0;
  for (; i + 4 <= n; i += 4) acc = vaddq_f32(acc, vld1q_f32(x + i));
  // (l0 + l2) + (l1 + l3), the same tree as the SSE kernel.
  const float32x2_t t = vadd_f32(vget_low_f32(acc), vget_high_f32(acc));
  float s = vget_lane_f32(t, 0) + vget_lane_f32(t, 1);
  for (; i < n; ++i) s += x[i];
  return s;
}

float dot_f32_neon(const float* a, const float* b, std::size_t n) noexcept {
  float32x4_t acc = vdupq_n_f32(0.0f);
  std::size_t i = 0;
  for (; i + 4 <= n; i += 4) acc = vfmaq_f32(acc, vld1q_f32(a + i), vld1q_f32(b + i));
  const float32x2_t t = vadd_f32(vget_low_f32(acc), vget_high_f32(acc));
  float s = vget_lane_f32(t, 0) + vget_lane_f32(t, 1);
  for (; i < n; ++i) s = std::fma(a[i], b[i], s);
  return s;
}

}  // namespace hwlock::fingerprint::detail
#endif  // __aarch64__
