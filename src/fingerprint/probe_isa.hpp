// What the numeric probes share: the output sink, the challenge set and the ISA-specific entry
// points (private to src/fingerprint).
//
// WARNING: the ISA-specific files (compiled with -msse4.1, -mavx, -mavx2 -mfma, -mavx512f, ...)
// include only this header. Any inline or template function they instantiate could be emitted there
// with those instructions and then chosen by the linker for every caller (COMDAT folding), crashing
// CPUs without the ISA. So this header offers plain data and out-of-line functions only, and those
// files use nothing but intrinsics, locals and their own internal-linkage helpers. Keep it that
// way.
#pragma once

#include <cstddef>
#include <cstdint>

namespace hwlock::fingerprint::detail {

// Folds output bits into a 32-bit digest (FNV-1a over the bytes, splitmix64 finaliser).
class ProbeSink {
 public:
  void put_bytes(const void* p, std::size_t n) noexcept;
  void put(float v) noexcept;
  void put(double v) noexcept;
  void put(std::uint32_t v) noexcept;
  void put(std::uint64_t v) noexcept;
  // Only the value bytes of a long double (x87: 10 of 16; the padding is garbage).
  void put_ldbl(long double v) noexcept;
  std::uint32_t digest() const noexcept;

 private:
  std::uint64_t h_ = 0xcbf29ce484222325ULL;
};

struct F32Array {
  const float* data;
  std::size_t size;
};
struct F64Array {
  const double* data;
  std::size_t size;
};

// The fixed challenge set, generated once from constant seeds (integer arithmetic only, so it is
// the same on every platform). Float arrays hold a multiple of 16 elements.
struct Challenges {
  F32Array recip;     // reciprocal estimates: [1,2) mantissa sweep, specials, random
  F32Array rsqrt;     // reciprocal square root: [1,4) sweep, specials, random
  F32Array recip14;   // 14-bit estimates: finer [1,4) sweep
  F32Array sum;       // reduction inputs: mixed signs and magnitudes (≥ kReduceLengths[0])
  F32Array dot_b;     // second dot-product operand
  F32Array libm_f32;  // uniform [0, 1) arguments, mapped by each libm probe into its domain
  F64Array libm_f64;
};
const Challenges& challenges() noexcept;

// Lengths the kernel reductions are evaluated at (odd tails on purpose).
inline constexpr std::size_t kReduceLengths[] = {4099, 1021, 515, 131, 67, 33, 17, 7};

#if defined(__x86_64__)
void probe_x86_sse_rcpps(ProbeSink& out);
void probe_x86_sse_rsqrtps(ProbeSink& out);
void probe_x86_sse_denormal(ProbeSink& out);
void probe_x86_sse41_dpps(ProbeSink& out);
void probe_x86_avx_vrcpps(ProbeSink& out);
void probe_x86_avx_vrsqrtps(ProbeSink& out);
void probe_x86_fma_vfmadd(ProbeSink& out);
void probe_x86_avx512_vrcp14ps(ProbeSink& out);
void probe_x86_avx512_vrsqrt14ps(ProbeSink& out);
void probe_x86_avx512bf16_vdpbf16ps(ProbeSink& out);
void probe_x87_transcendental(ProbeSink& out);
// Reductions in the style of a vectorised kernel: `lanes` accumulators, a fixed horizontal tree,
// then the scalar tail.
float sum_f32_sse(const float* x, std::size_t n) noexcept;
float dot_f32_sse(const float* a, const float* b, std::size_t n) noexcept;
float sum_f32_avx(const float* x, std::size_t n) noexcept;
float dot_f32_avx(const float* a, const float* b, std::size_t n) noexcept;
float dot_f32_avx2_fma(const float* a, const float* b, std::size_t n) noexcept;
float sum_f32_avx512(const float* x, std::size_t n) noexcept;
float dot_f32_avx512(const float* a, const float* b, std::size_t n) noexcept;
#endif
#if defined(__aarch64__)
void probe_arm_neon_frecpe(ProbeSink& out);
void probe_arm_neon_frsqrte(ProbeSink& out);
void probe_arm_fpcr_denormal(ProbeSink& out);
float sum_f32_neon(const float* x, std::size_t n) noexcept;
float dot_f32_neon(const float* a, const float* b, std::size_t n) noexcept;
#endif

}  // namespace hwlock::fingerprint::detail
