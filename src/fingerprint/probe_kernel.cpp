// Kernel-path reductions: the float sum and dot product a vectorised library computes with the
// widest instruction set the CPU offers. Summation order follows the SIMD width (16, 8 or 4 lanes)
// and the dot product fuses when FMA exists, so the bits name the path a real kernel would take.
#include "fingerprint/numeric_probes.hpp"

namespace hwlock::fingerprint::detail {

// The portable 4-lane reference (same order as the SSE and NEON kernels, no fusion).
float sum_f32_scalar4(const float* x, std::size_t n) noexcept {
  float acc[4] = {0, 0, 0, 0};
  std::size_t i = 0;
  for (; i + 4 <= n; i += 4)
    for (int l = 0; l < 4; ++l) acc[l] += x[i + l];
  float s = (acc[0] + acc[2]) + (acc[1] + acc[3]);
  for (; i < n; ++i) s += x[i];
  return s;
}

float dot_f32_scalar4(const float* a, const float* b, std::size_t n) noexcept {
  float acc[4] = {0, 0, 0, 0};
  std::size_t i = 0;
  for (; i + 4 <= n; i += 4)
    for (int l = 0; l < 4; ++l) acc[l] += a[i + l] * b[i + l];
  float s = (acc[0] + acc[2]) + (acc[1] + acc[3]);
  for (; i < n; ++i) s += a[i] * b[i];
  return s;
}

namespace {

using SumFn = float (*)(const float*, std::size_t) noexcept;
using DotFn = float (*)(const float*, const float*, std::size_t) noexcept;

SumFn pick_sum(const CpuFeatures& f) noexcept {
#if defined(__x86_64__)
  if (f.x86_avx512f && f.x86_fma) return sum_f32_avx512;
  if (f.x86_avx) return sum_f32_avx;
  return sum_f32_sse;
#elif defined(__aarch64__)
  return f.arm_neon ? sum_f32_neon : sum_f32_scalar4;
#else
  (void)f;
  return sum_f32_scalar4;
#endif
}

DotFn pick_dot(const CpuFeatures& f) noexcept {
#if defined(__x86_64__)
  if (f.x86_avx512f && f.x86_fma) return dot_f32_avx512;
  if (f.x86_avx2 && f.x86_fma) return dot_f32_avx2_fma;
  if (f.x86_avx) return dot_f32_avx;
  return dot_f32_sse;
#elif defined(__aarch64__)
  return f.arm_neon ? dot_f32_neon : dot_f32_scalar4;
#else
  (void)f;
  return dot_f32_scalar4;
#endif
}

}  // namespace

void probe_kernel_sum(const CpuFeatures& f, ProbeSink& out) {
  const float* x = challenges().sum.data;
  const SumFn sum = pick_sum(f);
  for (std::size_t n : kReduceLengths) {
    out.put(sum(x, n));
    out.put(sum(x + 3, n - 3));  // misaligned start, different tail
  }
}

void probe_kernel_dot(const CpuFeatures& f, ProbeSink& out) {
  const float* a = challenges().sum.data;
  const float* b = challenges().dot_b.data;
  const DotFn dot = pick_dot(f);
  for (std::size_t n : kReduceLengths) {
    out.put(dot(a, b, n));
    out.put(dot(b + 1, a + 2, n - 2));
  }
}

}  // namespace hwlock::fingerprint::detail
