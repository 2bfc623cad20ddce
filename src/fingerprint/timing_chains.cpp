// Dependent operation chains for the timing source. Each operation consumes the previous result and
// an empty asm statement pins the value in a register after every step, so the compiler can neither
// fold, hoist nor vectorise the chain: elapsed time ≈ ops × latency. Operands are fixed: latency
// can depend on them (divider early-outs, denormal assists) and that dependence is part of the
// signal.
#if defined(__x86_64__)
#include <x86intrin.h>
#endif
#include <time.h>

#include <cmath>
#include <cstring>

#include "fingerprint/timing.hpp"

namespace hwlock::fingerprint::detail {
namespace {

#if defined(__x86_64__)
#define HWLOCK_FREG "+x"
#elif defined(__aarch64__)
#define HWLOCK_FREG "+w"
#else
#define HWLOCK_FREG "+m"
#endif

inline void keep(std::uint64_t& x) noexcept {
  asm volatile("" : "+r"(x));
}
inline void keep(std::uint32_t& x) noexcept {
  asm volatile("" : "+r"(x));
}
inline void keep(double& x) noexcept {
  asm volatile("" : HWLOCK_FREG(x));
}
inline void keep(float& x) noexcept {
  asm volatile("" : HWLOCK_FREG(x));
}

thread_local volatile std::uint64_t g_sink;  // results land here so the chains are observable

template <class T>
void sink(T x) noexcept {
  std::uint64_t bits = 0;
  std::memcpy(&bits, &x, sizeof x);
  g_sink = bits;
}

// Runs `ops` (a multiple of 8) steps of x = op(x, y), eight per loop iteration.
template <class T, class Op>
std::uint64_t time_chain(T x, T y, std::uint64_t ops, Op op) noexcept {
  keep(x);
  keep(y);
  const std::uint64_t t0 = timing_ticks();
  for (std::uint64_t i = 0; i < ops; i += 8) {
#define HWLOCK_STEP \
  x = op(x, y);     \
  keep(x);
    HWLOCK_STEP HWLOCK_STEP HWLOCK_STEP HWLOCK_STEP HWLOCK_STEP HWLOCK_STEP HWLOCK_STEP HWLOCK_STEP
#undef HWLOCK_STEP
  }
  const std::uint64_t t1 = timing_ticks();
  sink(x);
  return t1 - t0;
}

// Pointer chasing through a 64-entry ring that stays in L1: load-to-use latency.
struct Ring {
  std::uint64_t next[64];
};
constexpr Ring make_ring() {
  Ring r{};
  for (std::uint64_t i = 0; i < 64; ++i) r.next[i] = (i * 17 + 5) % 64;  // a single 64-cycle
  return r;
}
alignas(64) constexpr Ring kRing = make_ring();

std::uint64_t chase_l1(std::uint64_t ops) noexcept {
  const std::uint64_t* ring = kRing.next;
  return time_chain<std::uint64_t>(0, 0, ops,
                                   [ring](std::uint64_t x, std::uint64_t) { return ring[x]; });
}

constexpr Chain kChains[] = {
    {"add.i64", 16384,
     [](std::uint64_t n) noexcept {
       return time_chain<std::uint64_t>(1, 1, n, [](auto x, auto y) { return x + y; });
     }},
    {"mul.i64", 8192,
     [](std::uint64_t n) noexcept {
       return time_chain<std::uint64_t>(0x9e3779b97f4a7c15ULL, 3, n,
                                        [](auto x, auto y) { return x * y; });
     }},
    {"div.u64", 2048,
     [](std::uint64_t n) noexcept {
       return time_chain<std::uint64_t>(0xfffffffffffffff1ULL, 1, n,
                                        [](auto x, auto y) { return x / y; });
     }},
    {"div.u32", 2048,
     [](std::uint64_t n) noexcept {
       return time_chain<std::uint32_t>(0xfffffff1u, 1, n, [](auto x, auto y) { return x / y; });
     }},
    {"load.l1", 8192, chase_l1},
    {"add.f64", 8192,
     [](std::uint64_t n) noexcept {
       return time_chain(1.0, 0x1p-60, n, [](auto x, auto y) { return x + y; });
     }},
    {"mul.f64", 8192,
     [](std::uint64_t n) noexcept {
       return time_chain(1.0, 0.99999999, n, [](auto x, auto y) { return x * y; });
     }},
    {"div.f64", 2048,
     [](std::uint64_t n) noexcept {
       return time_chain(1.0, 1.00000001, n, [](auto x, auto y) { return x / y; });
     }},
    {"sqrt.f64", 2048,
     [](std::uint64_t n) noexcept {
       return time_chain(1e300, 0.0, n, [](auto x, auto) { return __builtin_sqrt(x); });
     }},
    {"div.f32", 2048,
     [](std::uint64_t n) noexcept {
       return time_chain(1.0f, 1.0000001f, n, [](auto x, auto y) { return x / y; });
     }},
    {"sqrt.f32", 2048,
     [](std::uint64_t n) noexcept {
       return time_chain(1e30f, 0.0f, n, [](auto x, auto) { return __builtin_sqrtf(x); });
     }},
    {"mul.f64.denormal", 2048,
     [](std::uint64_t n) noexcept {
       return time_chain(0x1p-1050, 1.0, n, [](auto x, auto y) { return x * y; });
     }},
};

}  // namespace

std::span<const Chain> timing_chains() noexcept {
  return kChains;
}

std::uint64_t timing_ticks() noexcept {
#if defined(__x86_64__)
  _mm_lfence();
  const std::uint64_t t = __rdtsc();
  _mm_lfence();
  return t;
#else
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1000000000u +
         static_cast<std::uint64_t>(ts.tv_nsec);
#endif
}

std::uint64_t timing_bin(double ratio, unsigned bins_per_octave, unsigned bits_per_ratio,
                         double offset) noexcept {
  const double top = std::ldexp(1.0, static_cast<int>(bits_per_ratio)) - 1.0;
  // Latency ratios cluster at small integers; the +0.5 centres powers of two in their bins.
  double v = ratio > 0 ? std::floor(std::log2(ratio) * bins_per_octave + 0.5 + offset) +
                             2.0 * bins_per_octave
                       : 0.0;
  if (!(v >= 0.0)) v = 0.0;  // also NaN
  if (v > top) v = top;
  return static_cast<std::uint64_t>(v);
}

}  // namespace hwlock::fingerprint::detail
