// libm probes: results of the C library's elementary functions on awkward arguments (near overflow,
// near 1 for log/pow, large for sin/tan, the transition regions of tanh/erf) plus a random sweep of
// each domain. glibc picks FMA variants of several functions at run time (ifunc), and aarch64
// builds differ in the last bit of some results; emulators that hide FMA change the choice.
#include <cmath>
#include <limits>

#include "fingerprint/numeric_probes.hpp"

namespace hwlock::fingerprint::detail {
namespace {

// The compiler must not fold calls at compile time (it would use MPFR, i.e. correct rounding):
// every argument is read through a volatile.
template <class T, class Arr, class Fn>
void sweep(ProbeSink& out, Arr uniforms, T lo, T hi, std::initializer_list<T> awkward, Fn fn) {
  for (T x : awkward) {
    volatile T v = x;
    out.put(fn(T{v}));
  }
  for (std::size_t i = 0; i < uniforms.size; ++i) {
    volatile T v = lo + (hi - lo) * uniforms.data[i];
    out.put(fn(T{v}));
  }
}

F32Array uf() {
  return challenges().libm_f32;
}
F64Array ud() {
  return challenges().libm_f64;
}

}  // namespace

void probe_libm_expf(ProbeSink& out) {
  sweep<float>(out, uf(), -103.0f, 89.0f,
               {88.72283f, 88.7228394f, -87.33654f, -103.27893f, 0x1p-25f, -0x1p-25f, 0.6931472f},
               [](float x) { return std::exp(x); });
}

void probe_libm_logf(ProbeSink& out) {
  sweep<float>(out, uf(), 0.5f, 2.0f,
               {1.0f + 0x1p-23f, 1.0f - 0x1p-24f, 0x1p-149f, 0x1p-126f, 3.4028235e38f, 2.7182817f},
               [](float x) { return std::log(x); });
}

void probe_libm_sinf(ProbeSink& out) {
  sweep<float>(
      out, uf(), -1e5f, 1e5f,
      {3.14159274f, 6.28318548f, 1e20f, 1.5707964f, 0x1.921fb6p+100f, 103993.0f, -1.57079637e+8f},
      [](float x) { return std::sin(x); });
  sweep<float>(out, uf(), -4.0f, 4.0f, {}, [](float x) { return std::cos(x); });
}

void probe_libm_tanhf(ProbeSink& out) {
  sweep<float>(out, uf(), -10.0f, 10.0f, {0x1p-12f, 0.55f, 0.625f, 9.01f, 22.0f, -0.00012f},
               [](float x) { return std::tanh(x); });
}

void probe_libm_erff(ProbeSink& out) {
  sweep<float>(out, uf(), -4.0f, 4.0f, {0.84375f, 1.25f, 2.857143f, 3.9f, 6.0f, 0x1p-28f},
               [](float x) { return std::erf(x); });
  sweep<float>(out, uf(), 0.0f, 10.0f, {}, [](float x) { return std::erfc(x); });
}

void probe_libm_powf(ProbeSink& out) {
  const float* u = uf().data;
  for (std::size_t i = 0; i + 1 < uf().size; i += 2) {
    volatile float x = 0.9f + 0.2f * u[i];
    volatile float y = -300.0f + 600.0f * u[i + 1];
    out.put(std::pow(float{x}, float{y}));
  }
  for (auto [x, y] : {std::pair{1.0000001f, 1e7f}, std::pair{0.99999994f, -8.6e8f},
                      std::pair{2.0f, -149.5f}, std::pair{-8.0f, 1.0f / 3.0f}}) {
    volatile float vx = x, vy = y;
    out.put(std::pow(float{vx}, float{vy}));
  }
}

void probe_libm_exp(ProbeSink& out) {
  sweep<double>(out, ud(), -745.0, 709.0, {709.782712893384, -708.39641853226408, 0x1p-54, 1e-300},
                [](double x) { return std::exp(x); });
}

void probe_libm_log(ProbeSink& out) {
  sweep<double>(out, ud(), 0.25, 4.0, {1.0 + 0x1p-52, 1.0 - 0x1p-53, 0x1p-1074, 2.718281828459045},
                [](double x) { return std::log(x); });
}

void probe_libm_sin(ProbeSink& out) {
  sweep<double>(out, ud(), -1e6, 1e6, {3.141592653589793, 1e22, 0x1.921fb54442d18p+1000, 1e300},
                [](double x) { return std::sin(x); });
}

void probe_libm_tan(ProbeSink& out) {
  sweep<double>(out, ud(), -1.5, 1.5, {1.5707963267948966, 1e10, 0.7853981633974483},
                [](double x) { return std::tan(x); });
  sweep<double>(out, ud(), -100.0, 100.0, {}, [](double x) { return std::atan(x); });
}

void probe_libm_pow(ProbeSink& out) {
  const double* u = ud().data;
  for (std::size_t i = 0; i + 1 < ud().size; i += 2) {
    volatile double x = 0.999 + 0.002 * u[i];
    volatile double y = -1e5 + 2e5 * u[i + 1];
    out.put(std::pow(double{x}, double{y}));
  }
  volatile double one_up = 1.0 + 0x1p-52, big = 0x1p60;
  out.put(std::pow(double{one_up}, double{big}));
}

void probe_libm_erf(ProbeSink& out) {
  sweep<double>(out, ud(), -6.0, 6.0, {0.84375, 1.25, 2.857142857142857, 5.9},
                [](double x) { return std::erf(x); });
  sweep<double>(out, ud(), -10.0, 10.0, {0.5, 1e-8}, [](double x) { return std::tanh(x); });
}

}  // namespace hwlock::fingerprint::detail
