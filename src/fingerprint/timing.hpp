// Timing source internals (private to fingerprint/, visible to its tests).
#pragma once

#include <cstddef>
#include <cstdint>

#include "hwlock/fingerprint.hpp"

namespace hwlock::fingerprint::detail {

// One dependent chain: `ops` operations, each consuming the previous result.
struct Chain {
  const char* name;                                  // "div.f64"; the baseline is "add.i64"
  std::uint64_t ops;                                 // operations per timed run
  std::uint64_t (*run)(std::uint64_t ops) noexcept;  // elapsed ticks for one run
};

// The baseline add chain first, then the chains whose ratios the source reports (in field order).
std::span<const Chain> timing_chains() noexcept;
// Ticks: TSC cycles (lfence; rdtsc; lfence) on x86-64, CLOCK_MONOTONIC_RAW ns elsewhere.
std::uint64_t timing_ticks() noexcept;

// The quantisation bin of one ratio: floor(log2(ratio)·bins_per_octave + 0.5 + offset), shifted so
// that ratio 1/4 lands in bin 0, clamped to [0, 2^bits_per_ratio − 1]. With offset 0, powers of two
// sit at bin centres. The source records gray_encode(bin) in bits_per_ratio bits.
std::uint64_t timing_bin(double ratio, unsigned bins_per_octave, unsigned bits_per_ratio,
                         double offset) noexcept;

}  // namespace hwlock::fingerprint::detail
