// hwlock/cpu.hpp — the host CPU's instruction-set features, probed once, as plain data.
//
// The only place the library asks the CPU what it supports (cpuid / HWCAP, through
// __builtin_cpu_supports, which also checks that the OS saves the AVX/AVX-512 state). The numeric
// fingerprint, the numfmt fast paths and the sparse kernels all dispatch on host_cpu_features();
// tests that force an ISA path (or libtorch's ATEN_CPU_CAPABILITY) check it first and skip, with
// the reason, where the CPU lacks it. Implemented in src/fingerprint/cpu_platform.cpp.
#pragma once

#include <string_view>

namespace hwlock::fingerprint {

// Tests may pass a reduced copy to make_numeric_source() to see what a smaller CPU would measure.
struct CpuFeatures {
  bool x86_sse41 = false;
  bool x86_avx = false;
  bool x86_avx2 = false;
  bool x86_fma = false;
  bool x86_f16c = false;
  bool x86_avx512f = false;
  bool x86_avx512bw = false;
  bool x86_avx512dq = false;
  bool x86_avx512vl = false;
  bool x86_avx512bf16 = false;
  bool arm_neon = false;
  friend bool operator==(const CpuFeatures&, const CpuFeatures&) = default;
};

// The host's features (computed on first call; thread-safe).
const CpuFeatures& host_cpu_features() noexcept;

// Whether libtorch can run with ATEN_CPU_CAPABILITY=`capability` on a CPU with `f`: "default"
// always; "avx2" needs AVX2 + FMA; "avx512" needs AVX-512 F, BW, DQ and VL (what ATen's own CPU
// check asks for). Forcing a capability the CPU lacks kills the process with SIGILL, so callers
// check this first. Unknown names: false.
bool aten_capability_available(std::string_view capability,
                               const CpuFeatures& f = host_cpu_features()) noexcept;

}  // namespace hwlock::fingerprint
