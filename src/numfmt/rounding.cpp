// Exact rounding of an fp32 magnitude at a chosen power of two: the one primitive every codec uses,
// so rne/rtz/stochastic mean the same thing in every format.
#include <bit>
#include <cmath>
#include <limits>

#include "numfmt_internal.hpp"

namespace hwlock::numfmt::detail {

Magnitude magnitude(float x) noexcept {
  const auto bits = std::bit_cast<std::uint32_t>(x);
  const std::uint32_t field = (bits >> 23) & 0xFF;
  const std::uint32_t man = bits & 0x7FFFFF;
  if (field == 0) return {man, -149};
  return {man | 0x800000u, static_cast<int>(field) - 150};
}

int floor_log2(Magnitude m) noexcept {
  return std::bit_width(m.sig) - 1 + m.exp;
}

Rounded round_at(Magnitude m, int q, Rounding mode, std::uint32_t random,
                 std::uint64_t code_offset) noexcept {
  constexpr std::uint64_t kHuge = std::uint64_t{1} << 62;
  const int shift = m.exp - q;
  if (m.sig == 0) return {0, false};
  if (shift >= 0) return {shift > 38 ? kHuge : std::uint64_t{m.sig} << shift, false};

  const int r = -shift;
  std::uint64_t n = 0, rem = m.sig, frac32 = 0;
  bool above_half = false, at_half = false;
  if (r < 64) {
    n = std::uint64_t{m.sig} >> r;
    rem = m.sig & ((std::uint64_t{1} << r) - 1);
    const std::uint64_t half = std::uint64_t{1} << (r - 1);
    above_half = rem > half;
    at_half = rem == half;
    frac32 = r <= 32 ? rem << (32 - r) : rem >> (r - 32);
  }
  // r >= 64: the magnitude is below 2^-40 of one unit, so n = 0, below half, frac32 = 0.
  bool up = false;
  switch (mode) {
    case Rounding::nearest_even:
      up = above_half || (at_half && ((n + code_offset) & 1));
      break;
    case Rounding::toward_zero:
      up = false;
      break;
    case Rounding::stochastic:
      up = random < frac32;
      break;
  }
  return {n + (up ? 1 : 0), rem != 0};
}

float to_float_scaled(double v, int e) noexcept {
  const double r = std::ldexp(v, e);
  // A double at or above FLT_MAX + half an ulp rounds to infinity; converting it directly would be
  // undefined behaviour.
  constexpr double kRoundsToInf = 0x1.ffffffp127;
  if (std::fabs(r) >= kRoundsToInf)
    return std::signbit(r) ? -std::numeric_limits<float>::infinity()
                           : std::numeric_limits<float>::infinity();
  return static_cast<float>(r);
}

}  // namespace hwlock::numfmt::detail
