// The numeric (finite-precision) probes that need no ISA flags, the kernel-path dispatch, the
// floating-point environment guard and the platform identity reader (private to src/fingerprint).
#pragma once

#include <vector>

#include "fingerprint/probe_isa.hpp"
#include "hwlock/fingerprint.hpp"

namespace hwlock::fingerprint::detail {

// Portable 4-lane references (the SSE/NEON summation tree, no fusion).
float sum_f32_scalar4(const float* x, std::size_t n) noexcept;
float dot_f32_scalar4(const float* a, const float* b, std::size_t n) noexcept;
// Kernel path: the widest reduction `f` allows (16/8/4 lanes; fused when FMA exists).
void probe_kernel_sum(const CpuFeatures& f, ProbeSink& out);
void probe_kernel_dot(const CpuFeatures& f, ProbeSink& out);

void probe_ldbl_arith(ProbeSink& out);
void probe_libm_expf(ProbeSink& out);
void probe_libm_logf(ProbeSink& out);
void probe_libm_sinf(ProbeSink& out);
void probe_libm_tanhf(ProbeSink& out);
void probe_libm_erff(ProbeSink& out);
void probe_libm_powf(ProbeSink& out);
void probe_libm_exp(ProbeSink& out);
void probe_libm_log(ProbeSink& out);
void probe_libm_sin(ProbeSink& out);
void probe_libm_tan(ProbeSink& out);
void probe_libm_pow(ProbeSink& out);
void probe_libm_erf(ProbeSink& out);

// Sets the default floating-point environment (round to nearest, no FTZ/DAZ/FZ, x87 64-bit
// precision) for the probes and restores the caller's on destruction.
class FpEnvGuard {
 public:
  FpEnvGuard() noexcept;
  ~FpEnvGuard();
  FpEnvGuard(const FpEnvGuard&) = delete;
  FpEnvGuard& operator=(const FpEnvGuard&) = delete;

 private:
  std::uint64_t saved_[2] = {0, 0};
};

// CPUID / HWCAP identity bits (the numeric source's `platform` component).
void read_platform(BitVector& bits, std::vector<Field>& fields);

}  // namespace hwlock::fingerprint::detail
