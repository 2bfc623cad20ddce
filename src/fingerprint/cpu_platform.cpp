// Hardware identification read once, as plain data: instruction-set features (which probes may
// run), the CPUID/HWCAP identity bits, and the floating-point environment guard the probes run in.
#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>
#elif defined(__aarch64__)
#include <sys/auxv.h>
#endif
#include <cstring>

#include "fingerprint/numeric_probes.hpp"

namespace hwlock::fingerprint {

const CpuFeatures& host_cpu_features() noexcept {
  static const CpuFeatures features = [] {
    CpuFeatures f;
#if defined(__x86_64__)
    // __builtin_cpu_supports also checks that the OS saves the AVX/AVX-512 state (XCR0).
    __builtin_cpu_init();
    f.x86_sse41 = __builtin_cpu_supports("sse4.1") != 0;
    f.x86_avx = __builtin_cpu_supports("avx") != 0;
    f.x86_avx2 = __builtin_cpu_supports("avx2") != 0;
    f.x86_fma = __builtin_cpu_supports("fma") != 0;
    f.x86_avx512f = __builtin_cpu_supports("avx512f") != 0;
    f.x86_avx512bw = f.x86_avx512f && __builtin_cpu_supports("avx512bw") != 0;
    f.x86_avx512dq = f.x86_avx512f && __builtin_cpu_supports("avx512dq") != 0;
    f.x86_avx512vl = f.x86_avx512f && __builtin_cpu_supports("avx512vl") != 0;
    f.x86_avx512bf16 = f.x86_avx512f && __builtin_cpu_supports("avx512bf16") != 0;
    // F16C is CPUID.1:ECX bit 29 (clang's __builtin_cpu_supports does not know "f16c"); its
    // instructions use the AVX state, so it counts only where AVX does.
    unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
    f.x86_f16c =
        f.x86_avx && __get_cpuid(1, &eax, &ebx, &ecx, &edx) != 0 && (ecx & (1u << 29)) != 0;
#elif defined(__aarch64__)
    f.arm_neon = true;  // Advanced SIMD is mandatory in AArch64
#endif
    return f;
  }();
  return features;
}

bool aten_capability_available(std::string_view capability, const CpuFeatures& f) noexcept {
  if (capability == "default") return true;
  if (capability == "avx2") return f.x86_avx2 && f.x86_fma;
  if (capability == "avx512")
    return f.x86_avx512f && f.x86_avx512bw && f.x86_avx512dq && f.x86_avx512vl && f.x86_fma;
  return false;
}

namespace detail {

#if defined(__x86_64__)
FpEnvGuard::FpEnvGuard() noexcept {
  saved_[0] = _mm_getcsr();
  std::uint16_t cw;
  asm volatile("fnstcw %0" : "=m"(cw));
  saved_[1] = cw;
  _mm_setcsr(0x1f80);  // round to nearest, all exceptions masked, no FTZ/DAZ, flags clear
  const std::uint16_t standard = 0x037f;  // 64-bit significand, round to nearest, all masked
  asm volatile("fldcw %0" : : "m"(standard));
}
FpEnvGuard::~FpEnvGuard() {
  const auto cw = static_cast<std::uint16_t>(saved_[1]);
  asm volatile("fldcw %0" : : "m"(cw));
  _mm_setcsr(static_cast<unsigned>(saved_[0]));
}
#elif defined(__aarch64__)
FpEnvGuard::FpEnvGuard() noexcept {
  asm volatile("mrs %0, fpcr" : "=r"(saved_[0]));
  asm volatile("msr fpcr, %0" : : "r"(std::uint64_t{0}));  // round to nearest, no FZ/DN/AH
}
FpEnvGuard::~FpEnvGuard() {
  asm volatile("msr fpcr, %0" : : "r"(saved_[0]));
}
#else
FpEnvGuard::FpEnvGuard() noexcept = default;
FpEnvGuard::~FpEnvGuard() = default;
#endif

namespace {

struct Identity {
  std::uint64_t arch = 0;  // 1 x86-64, 2 aarch64
  std::uint64_t vendor = 0, family = 0, model = 0, stepping = 0, hypervisor = 0, features = 0;
};

Identity identify() noexcept {
  Identity id;
#if defined(__x86_64__)
  id.arch = 1;
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (__get_cpuid(0, &a, &b, &c, &d) != 0) {
    std::uint8_t vendor[12];
    std::memcpy(vendor, &b, 4);
    std::memcpy(vendor + 4, &d, 4);
    std::memcpy(vendor + 8, &c, 4);
    id.vendor = hash64(vendor) & 0xffffffffu;
    const unsigned max_leaf = a;
    __get_cpuid(1, &a, &b, &c, &d);
    const unsigned base_family = (a >> 8) & 0xf;
    id.family = base_family == 0xf ? base_family + ((a >> 20) & 0xff) : base_family;
    id.model = (a >> 4) & 0xf;
    if (base_family == 0x6 || base_family == 0xf) id.model |= ((a >> 16) & 0xf) << 4;
    id.stepping = a & 0xf;
    id.hypervisor = (c >> 31) & 1u;
    id.features = c;
    if (max_leaf >= 7) {
      __cpuid_count(7, 0, a, b, c, d);
      id.features |= std::uint64_t{b} << 32;
    }
  }
#elif defined(__aarch64__)
  id.arch = 2;
  const unsigned long hwcap = getauxval(AT_HWCAP);
  id.features = (hwcap & 0xffffffffu) | (std::uint64_t{getauxval(AT_HWCAP2) & 0xffffffffu} << 32);
  if ((hwcap & HWCAP_CPUID) != 0) {  // the kernel (or qemu) emulates EL0 reads of MIDR_EL1
    std::uint64_t midr;
    asm volatile("mrs %0, midr_el1" : "=r"(midr));
    id.vendor = (midr >> 24) & 0xff;     // implementer
    id.family = (midr >> 16) & 0xf;      // architecture
    id.model = (midr >> 4) & 0xfff;      // part number (low 8 bits kept by the field)
    id.stepping = ((midr >> 20) & 0xf);  // variant
  }
#endif
  return id;
}

}  // namespace

void read_platform(BitVector& bits, std::vector<Field>& fields) {
  const Identity id = identify();
  const std::pair<const char*, std::pair<std::uint64_t, unsigned>> layout[] = {
      {"cpu.arch", {id.arch, 4}},         {"cpu.vendor", {id.vendor, 32}},
      {"cpu.family", {id.family, 8}},     {"cpu.model", {id.model, 8}},
      {"cpu.stepping", {id.stepping, 4}}, {"cpu.hypervisor", {id.hypervisor, 1}},
      {"cpu.features", {id.features, 64}}};
  for (const auto& [name, value] : layout) {
    fields.push_back(Field{name, bits.size(), value.second});
    bits.append_bits(value.first, value.second);
  }
}

}  // namespace detail
}  // namespace hwlock::fingerprint
