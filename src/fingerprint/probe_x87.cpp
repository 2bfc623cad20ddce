// Long double probes. On x86-64 long double is the x87 80-bit format: arithmetic rounds to a 64-bit
// significand (valgrind computes it in 53 bits), and the x87 transcendental instructions (fsin,
// fptan, fpatan, fyl2x, f2xm1) have vendor-specific, emulator-specific last bits. On aarch64 long
// double is IEEE binary128 (113-bit significand, in software).
#include <cfloat>
#include <cmath>

#include "fingerprint/numeric_probes.hpp"

namespace hwlock::fingerprint::detail {
namespace {

// Arguments in [lo, hi) from the challenge uniforms (exact: long double has room for the product).
long double arg(std::size_t i, long double lo, long double hi) {
  const F64Array u = challenges().libm_f64;
  return lo + (hi - lo) * static_cast<long double>(u.data[i % u.size]);
}

#if defined(__x86_64__)
long double x87_fsin(long double x) {
  asm("fsin" : "+t"(x));
  return x;
}
long double x87_fcos(long double x) {
  asm("fcos" : "+t"(x));
  return x;
}
long double x87_fptan(long double x) {
  long double one, tan;
  asm("fptan" : "=t"(one), "=u"(tan) : "0"(x));
  (void)one;  // fptan pushes 1.0 above the result
  return tan;
}
long double x87_fpatan(long double y, long double x) {  // atan(y / x)
  long double r;
  asm("fpatan" : "=t"(r) : "0"(x), "u"(y) : "st(1)");
  return r;
}
long double x87_fyl2x(long double x, long double y) {  // y * log2(x)
  long double r;
  asm("fyl2x" : "=t"(r) : "0"(x), "u"(y) : "st(1)");
  return r;
}
long double x87_f2xm1(long double x) {  // 2^x - 1, |x| <= 1
  asm("f2xm1" : "+t"(x));
  return x;
}
#endif

}  // namespace

#if defined(__x86_64__)
void probe_x87_transcendental(ProbeSink& out) {
  constexpr long double kPi = 3.14159265358979323846264338327950288L;
  for (std::size_t i = 0; i < 256; ++i) {
    const long double x = arg(i, -8.0L, 8.0L);
    out.put_ldbl(x87_fsin(x));
    out.put_ldbl(x87_fcos(x));
    out.put_ldbl(x87_fptan(x));
    out.put_ldbl(x87_fpatan(x, arg(i + 7, -2.0L, 2.0L)));
    out.put_ldbl(x87_fyl2x(arg(i, 0.5L, 4.0L), 1.0L));
    out.put_ldbl(x87_f2xm1(arg(i, -1.0L, 1.0L)));
  }
  // Near multiples of pi and huge arguments: where the internal 66/68-bit pi shows.
  for (long double k = 1; k < 1e18L; k *= 7.0L) {
    const long double near = k * kPi;
    out.put_ldbl(x87_fsin(near));
    out.put_ldbl(x87_fcos(near + kPi / 2));
    out.put_ldbl(x87_fptan(near + 0.25L));
  }
}
#endif

void probe_ldbl_arith(ProbeSink& out) {
  out.put(static_cast<std::uint32_t>(LDBL_MANT_DIG));
  for (std::size_t i = 0; i < 512; ++i) {
    volatile long double a = arg(i, 1.0L, 1024.0L);
    volatile long double b = arg(i + 1, -3.0L, 3.0L);
    volatile long double tiny = 1e-30L;
    out.put_ldbl(a / 3.0L);
    out.put_ldbl(a * b + 1.0L);
    out.put_ldbl((a + tiny) - a);  // zero unless the significand is wide enough
    out.put_ldbl(std::sqrt(a));
    out.put_ldbl(b / a);
  }
  long double s = 0;
  for (std::size_t i = 0; i < 2048; ++i) s += arg(i, -1.0L, 1.0L) / static_cast<long double>(i + 1);
  out.put_ldbl(s);
  for (std::size_t i = 0; i < 64; ++i) {
    volatile long double x = arg(i, -10.0L, 10.0L);
    out.put_ldbl(std::exp(x));
    out.put_ldbl(std::sin(x));
    out.put_ldbl(std::log(std::fabs(x) + 1e-3L));
  }
}

}  // namespace hwlock::fingerprint::detail
