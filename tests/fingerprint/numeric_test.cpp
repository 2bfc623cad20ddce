// The numeric (finite-precision) source: bit-exact in process and across processes, independent of
// the caller's floating-point environment (which it restores), fixed layout, ISA masking.
// Never compares with a fingerprint recorded elsewhere: every expectation is measured here.
#include <gtest/gtest.h>

#include <cstdio>
#include <set>
#include <string>

#include "fingerprint/numeric_probes.hpp"
#include "hwlock/fingerprint.hpp"
#include "test_util.hpp"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace {

using namespace hwlock::fingerprint;

Measurement measure_numeric(const CpuFeatures& f = host_cpu_features()) {
  auto m = make_numeric_source(f)->measure();
  EXPECT_TRUE(m.ok());
  return std::move(m).value();
}

std::uint64_t field_value(const Measurement& m, const std::string& name) {
  const Field* f = m.field(name);
  EXPECT_NE(f, nullptr) << name;
  return f == nullptr ? 0 : m.bits.get_bits(f->offset, static_cast<unsigned>(f->width));
}

TEST(Numeric, LayoutIsFixedAndContiguous) {
  const Measurement m = measure_numeric();
  EXPECT_EQ(m.kind, "numeric");
  std::size_t next = 0;
  std::set<std::string> names;
  for (const auto& f : m.fields) {
    EXPECT_EQ(f.offset, next) << f.name;
    EXPECT_EQ(f.width, 33u) << f.name;  // presence bit + 32-bit digest
    EXPECT_TRUE(names.insert(f.name).second) << "duplicate " << f.name;
    next += f.width;
    // Absent probes carry no payload.
    if (!m.bits.get(f.offset)) {
      EXPECT_EQ(m.bits.get_bits(f.offset + 1, 32), 0u) << f.name;
    }
  }
  EXPECT_EQ(next, m.bits.size());
  EXPECT_GE(m.fields.size(), 25u);
  EXPECT_TRUE(m.raw.empty());
  // The same field names exist on every architecture (absent ISAs read as zeros).
  for (const char* name : {"x86.sse.rcpps", "x86.avx512.vrcp14ps", "x86.x87.transcendental",
                           "arm.neon.frecpe", "ldbl.arith", "kernel.sum_f32", "libm.tanhf"})
    EXPECT_NE(m.field(name), nullptr) << name;
  EXPECT_EQ(field_value(m, "ldbl.arith") & 1, 1u);
  EXPECT_FALSE(m.platform.empty());
  ASSERT_NE(m.platform_fields.size(), 0u);
  EXPECT_EQ(m.platform_fields.back().offset + m.platform_fields.back().width, m.platform.size());
}

TEST(Numeric, BitIdenticalAcross20Repetitions) {
  const Measurement first = measure_numeric();
  for (int i = 0; i < 20; ++i) {
    const Measurement again = measure_numeric();
    ASSERT_EQ(again.bits, first.bits) << "repetition " << i;
    ASSERT_EQ(again.platform, first.platform);
  }
}

TEST(Numeric, BitIdenticalAcrossChildProcesses) {
  const std::string mine = measure_numeric().bits.to_hex();
  for (int child = 0; child < 2; ++child) {
    const auto r = hwlock::test::run(std::string("'") + HWLOCK_FP_PROBE_PATH + "' numeric");
    ASSERT_EQ(r.exit_code, 0) << r.out;
    EXPECT_EQ(r.out, mine + "\n") << "child " << child;
  }
}

#if defined(__x86_64__)
TEST(Numeric, IgnoresAndRestoresCallerFpEnvironment) {
  const Measurement reference = measure_numeric();
  // FTZ | DAZ | round down, some sticky flags; x87 at 53-bit precision, round up.
  const unsigned mxcsr = 0x1f80 | 0x8000 | 0x0040 | 0x2000 | 0x0021;
  const std::uint16_t x87 = 0x0a7f;
  const unsigned saved_mxcsr = _mm_getcsr();
  std::uint16_t saved_x87;
  asm volatile("fnstcw %0" : "=m"(saved_x87));
  _mm_setcsr(mxcsr);
  asm volatile("fldcw %0" : : "m"(x87));
  const Measurement m = measure_numeric();
  const unsigned after_mxcsr = _mm_getcsr();
  std::uint16_t after_x87;
  asm volatile("fnstcw %0" : "=m"(after_x87));
  _mm_setcsr(saved_mxcsr);
  asm volatile("fldcw %0" : : "m"(saved_x87));
  EXPECT_EQ(after_mxcsr, mxcsr);
  EXPECT_EQ(after_x87, x87);
  EXPECT_EQ(m.bits, reference.bits);
}

TEST(Numeric, ReductionKernelsMatchTheirScalarTwin) {
  using namespace hwlock::fingerprint::detail;
  const float* a = challenges().sum.data;
  const float* b = challenges().dot_b.data;
  for (std::size_t n : kReduceLengths) {
    EXPECT_EQ(sum_f32_sse(a, n), sum_f32_scalar4(a, n)) << n;
    EXPECT_EQ(dot_f32_sse(a, b, n), dot_f32_scalar4(a, b, n)) << n;
  }
}
#endif

#if defined(__aarch64__)
TEST(Numeric, IgnoresAndRestoresCallerFpcr) {
  const Measurement reference = measure_numeric();
  std::uint64_t saved, after;
  asm volatile("mrs %0, fpcr" : "=r"(saved));
  const std::uint64_t mine = (1u << 24) | (2u << 22);  // FZ, round toward minus infinity
  asm volatile("msr fpcr, %0" : : "r"(mine));
  const Measurement m = measure_numeric();
  asm volatile("mrs %0, fpcr" : "=r"(after));
  asm volatile("msr fpcr, %0" : : "r"(saved));
  EXPECT_EQ(after, mine);
  EXPECT_EQ(m.bits, reference.bits);
}

TEST(Numeric, ReductionKernelsMatchTheirScalarTwin) {
  using namespace hwlock::fingerprint::detail;
  const float* a = challenges().sum.data;
  for (std::size_t n : kReduceLengths) EXPECT_EQ(sum_f32_neon(a, n), sum_f32_scalar4(a, n)) << n;
}
#endif

// A CPU without some instruction sets measures those fields as absent, and the kernel path (and so
// the reduction bits) follows the widest remaining ISA. Runs on whatever the host has.
TEST(Numeric, MaskedFeaturesReadAsAbsent) {
  const CpuFeatures host = host_cpu_features();
  const Measurement full = measure_numeric(host);
  const Measurement none = measure_numeric(CpuFeatures{});
  for (const char* name : {"x86.sse41.dpps", "x86.avx.vrcpps", "x86.fma.vfmadd",
                           "x86.avx512.vrcp14ps", "x86.avx512bf16.vdpbf16ps", "arm.neon.frecpe"})
    EXPECT_EQ(field_value(none, name), 0u) << name;
  // Probes that need no optional ISA are unchanged.
  for (const char* name : {"x86.sse.rcpps", "x86.x87.transcendental", "ldbl.arith", "libm.expf"})
    EXPECT_EQ(field_value(none, name), field_value(full, name)) << name;
  if (host.x86_avx512f) {
    CpuFeatures no512 = host;
    no512.x86_avx512f = false;
    no512.x86_avx512bf16 = false;
    const Measurement m = measure_numeric(no512);
    EXPECT_EQ(field_value(m, "x86.avx512.vrsqrt14ps"), 0u);
    EXPECT_NE(field_value(m, "kernel.sum_f32"), field_value(full, "kernel.sum_f32"));
    EXPECT_EQ(field_value(m, "x86.avx.vrcpps"), field_value(full, "x86.avx.vrcpps"));
  }
  // Asking for more than the host has never runs a missing ISA.
  CpuFeatures all;
  all.x86_sse41 = all.x86_avx = all.x86_avx2 = all.x86_fma = all.x86_avx512f = true;
  all.x86_avx512bf16 = all.arm_neon = true;
  EXPECT_EQ(measure_numeric(all).bits, full.bits);
}

}  // namespace
