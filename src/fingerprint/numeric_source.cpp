// The "numeric" (finite-precision) source: runs the fixed probe table in a standard floating-point
// environment and packs one field per probe: a presence bit, then a 32-bit digest of the probe's
// exact output bits (zero when the probe's instruction set is absent). The table is the single
// source of truth for the layout; it is the same on every architecture, so absent ISAs are part of
// the fingerprint and measurements from any two machines compare bit by bit.
#include "fingerprint/numeric_probes.hpp"
#include "fingerprint/sources.hpp"

namespace hwlock::fingerprint {
namespace {

using detail::ProbeSink;
using RunFn = void (*)(const CpuFeatures&, ProbeSink&);
using NeedFn = bool (*)(const CpuFeatures&);

struct Probe {
  const char* name;
  NeedFn needs;  // the features the probe's instructions require
  RunFn run;     // nullptr where the probe does not exist for this architecture
};

// Challenge-set version: bump when any probe or input changes (old enrollments stop matching).
constexpr std::uint64_t kChallengeSet = 1;
constexpr unsigned kDigestBits = 32;

#define HWLOCK_PROBE(fn) [](const CpuFeatures&, ProbeSink& o) { detail::fn(o); }
#if defined(__x86_64__)
#define HWLOCK_X86_PROBE(fn) HWLOCK_PROBE(fn)
#else
#define HWLOCK_X86_PROBE(fn) nullptr
#endif
#if defined(__aarch64__)
#define HWLOCK_ARM_PROBE(fn) HWLOCK_PROBE(fn)
#else
#define HWLOCK_ARM_PROBE(fn) nullptr
#endif

constexpr NeedFn kAlways = [](const CpuFeatures&) { return true; };

const Probe kProbes[] = {
    {"x86.sse.rcpps", kAlways, HWLOCK_X86_PROBE(probe_x86_sse_rcpps)},
    {"x86.sse.rsqrtps", kAlways, HWLOCK_X86_PROBE(probe_x86_sse_rsqrtps)},
    {"x86.sse.denormal_ftz_daz", kAlways, HWLOCK_X86_PROBE(probe_x86_sse_denormal)},
    {"x86.sse41.dpps", [](const CpuFeatures& f) { return f.x86_sse41; },
     HWLOCK_X86_PROBE(probe_x86_sse41_dpps)},
    {"x86.avx.vrcpps", [](const CpuFeatures& f) { return f.x86_avx; },
     HWLOCK_X86_PROBE(probe_x86_avx_vrcpps)},
    {"x86.avx.vrsqrtps", [](const CpuFeatures& f) { return f.x86_avx; },
     HWLOCK_X86_PROBE(probe_x86_avx_vrsqrtps)},
    {"x86.fma.vfmadd", [](const CpuFeatures& f) { return f.x86_avx2 && f.x86_fma; },
     HWLOCK_X86_PROBE(probe_x86_fma_vfmadd)},
    {"x86.avx512.vrcp14ps", [](const CpuFeatures& f) { return f.x86_avx512f && f.x86_fma; },
     HWLOCK_X86_PROBE(probe_x86_avx512_vrcp14ps)},
    {"x86.avx512.vrsqrt14ps", [](const CpuFeatures& f) { return f.x86_avx512f && f.x86_fma; },
     HWLOCK_X86_PROBE(probe_x86_avx512_vrsqrt14ps)},
    {"x86.avx512bf16.vdpbf16ps", [](const CpuFeatures& f) { return f.x86_avx512bf16; },
     HWLOCK_X86_PROBE(probe_x86_avx512bf16_vdpbf16ps)},
    {"x86.x87.transcendental", kAlways, HWLOCK_X86_PROBE(probe_x87_transcendental)},
    {"arm.neon.frecpe", [](const CpuFeatures& f) { return f.arm_neon; },
     HWLOCK_ARM_PROBE(probe_arm_neon_frecpe)},
    {"arm.neon.frsqrte", [](const CpuFeatures& f) { return f.arm_neon; },
     HWLOCK_ARM_PROBE(probe_arm_neon_frsqrte)},
    {"arm.fpcr.denormal_fz", kAlways, HWLOCK_ARM_PROBE(probe_arm_fpcr_denormal)},
    {"ldbl.arith", kAlways, HWLOCK_PROBE(probe_ldbl_arith)},
    {"kernel.sum_f32", kAlways,
     [](const CpuFeatures& f, ProbeSink& o) { detail::probe_kernel_sum(f, o); }},
    {"kernel.dot_f32", kAlways,
     [](const CpuFeatures& f, ProbeSink& o) { detail::probe_kernel_dot(f, o); }},
    {"libm.expf", kAlways, HWLOCK_PROBE(probe_libm_expf)},
    {"libm.logf", kAlways, HWLOCK_PROBE(probe_libm_logf)},
    {"libm.sinf_cosf", kAlways, HWLOCK_PROBE(probe_libm_sinf)},
    {"libm.tanhf", kAlways, HWLOCK_PROBE(probe_libm_tanhf)},
    {"libm.erff_erfcf", kAlways, HWLOCK_PROBE(probe_libm_erff)},
    {"libm.powf", kAlways, HWLOCK_PROBE(probe_libm_powf)},
    {"libm.exp", kAlways, HWLOCK_PROBE(probe_libm_exp)},
    {"libm.log", kAlways, HWLOCK_PROBE(probe_libm_log)},
    {"libm.sin", kAlways, HWLOCK_PROBE(probe_libm_sin)},
    {"libm.tan_atan", kAlways, HWLOCK_PROBE(probe_libm_tan)},
    {"libm.pow", kAlways, HWLOCK_PROBE(probe_libm_pow)},
    {"libm.erf_tanh", kAlways, HWLOCK_PROBE(probe_libm_erf)},
};

CpuFeatures intersect(const CpuFeatures& a, const CpuFeatures& b) noexcept {
  CpuFeatures f;
  f.x86_sse41 = a.x86_sse41 && b.x86_sse41;
  f.x86_avx = a.x86_avx && b.x86_avx;
  f.x86_avx2 = a.x86_avx2 && b.x86_avx2;
  f.x86_fma = a.x86_fma && b.x86_fma;
  f.x86_f16c = a.x86_f16c && b.x86_f16c;
  f.x86_avx512f = a.x86_avx512f && b.x86_avx512f;
  f.x86_avx512bw = a.x86_avx512bw && b.x86_avx512bw;
  f.x86_avx512dq = a.x86_avx512dq && b.x86_avx512dq;
  f.x86_avx512vl = a.x86_avx512vl && b.x86_avx512vl;
  f.x86_avx512bf16 = a.x86_avx512bf16 && b.x86_avx512bf16;
  f.arm_neon = a.arm_neon && b.arm_neon;
  return f;
}

class NumericSource final : public FingerprintSource {
 public:
  explicit NumericSource(const CpuFeatures& features) : features_(features) {}
  std::string_view kind() const override { return "numeric"; }
  nlohmann::json params() const override { return {{"challenge_set", kChallengeSet}}; }

  Result<Measurement> measure() override {
    Measurement m;
    m.kind = "numeric";
    {
      const detail::FpEnvGuard env;  // probes see the default environment whatever the caller set
      for (const Probe& p : kProbes) {
        const bool present = p.run != nullptr && p.needs(features_);
        ProbeSink sink;
        if (present) p.run(features_, sink);
        m.fields.push_back(Field{p.name, m.bits.size(), 1 + kDigestBits});
        m.bits.push_back(present);
        m.bits.append_bits(present ? sink.digest() : 0u, kDigestBits);
      }
    }
    detail::read_platform(m.platform, m.platform_fields);
    return m;
  }

 private:
  CpuFeatures features_;
};

}  // namespace

std::unique_ptr<FingerprintSource> make_numeric_source(const CpuFeatures& features) {
  return std::make_unique<NumericSource>(intersect(features, host_cpu_features()));
}

namespace detail {
Result<SourcePtr> make_numeric_from_params(const nlohmann::json& params) {
  HWLOCK_TRY(check_params("numeric", params, {"challenge_set"}));
  HWLOCK_TRY(
      param_u64("numeric", params, "challenge_set", kChallengeSet, kChallengeSet, kChallengeSet));
  return make_numeric_source(host_cpu_features());
}
}  // namespace detail

}  // namespace hwlock::fingerprint
