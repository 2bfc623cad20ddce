// Scalar reference codec for every float kind (fp32 down to fp4 and block-minifloat elements).
//
// Encoding rounds the exact magnitude at the quantum of its binade (or of the subnormal range) and
// then forms the code as ((binade - emin) << M) + n: a mantissa that rounds up to 2^(M+1) carries
// into the exponent field, which is exactly the next binade's code, and a carry out of the largest
// binade lands on the first code above max finite, which is how overflow is detected.
#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>

#include "numfmt_internal.hpp"

namespace hwlock::numfmt::detail {

namespace {
constexpr std::uint32_t kQuietNaN = 0x7FC00000u;
}

Encoded encode_minifloat(const ElementType& t, float x, int scale_exp, Rounding mode, bool saturate,
                         std::uint32_t random) noexcept {
  const auto bits = std::bit_cast<std::uint32_t>(x);
  const unsigned M = t.man_bits, E = t.exp_bits;
  const std::uint32_t sign = (bits >> 31) << (t.bits - 1);
  const std::uint32_t max_mag = max_finite_code(t);
  const std::uint32_t top_binade = ((1u << E) - 1) << M;  // ieee: the +inf code

  if (std::isnan(x)) {
    switch (t.kind) {
      case ElementKind::ieee_float:
        if (t.bits == 32) return {bits, 0};  // fp32 is the identity, payload included
        return {sign | top_binade | (1u << (M - 1)) | ((bits & 0x7FFFFFu) >> (23 - M)), 0};
      case ElementKind::fn_float:
        return {sign | (max_mag + 1), 0};
      default:
        return {0, kInvalid};
    }
  }

  auto overflow = [&](bool inf_input) -> Encoded {
    const bool clamp = saturate || t.kind == ElementKind::finite_float ||
                       (mode == Rounding::toward_zero && !inf_input);
    if (clamp) return {sign | max_mag, static_cast<std::uint8_t>(kInexact | kSaturated)};
    if (t.kind == ElementKind::ieee_float)
      return {sign | top_binade, inf_input ? std::uint8_t{0} : std::uint8_t{kInexact | kOverflow}};
    return {sign | (max_mag + 1), static_cast<std::uint8_t>(kInexact | kOverflow)};  // fn: NaN
  };
  if (std::isinf(x)) return overflow(true);

  Magnitude m = magnitude(x);
  if (m.sig == 0) return {sign, 0};
  m.exp -= scale_exp;
  const int emin = 1 - t.bias;
  const int e = std::max(floor_log2(m), emin);
  const std::uint64_t base = static_cast<std::uint64_t>(e - emin) << M;
  const Rounded r = round_at(m, e - static_cast<int>(M), mode, random, base);
  const std::uint64_t mag = base + r.n;
  if (mag > max_mag) return overflow(false);

  std::uint8_t flags = r.inexact ? kInexact : 0;
  if (mag == 0) flags |= kUnderflow;
  return {sign | static_cast<std::uint32_t>(mag), flags};
}

float decode_minifloat(const ElementType& t, std::uint32_t code, int scale_exp) noexcept {
  const unsigned M = t.man_bits, E = t.exp_bits;
  const std::uint32_t mask = t.bits == 32 ? ~0u : (1u << t.bits) - 1;
  code &= mask;
  const bool neg = (code >> (t.bits - 1)) & 1;
  const std::uint32_t mag = code & (mask >> 1);
  const std::uint32_t field = mag >> M;
  const std::uint32_t man = mag & ((1u << M) - 1);

  if (t.kind == ElementKind::ieee_float && field == (1u << E) - 1) {
    if (t.bits == 32 && scale_exp == 0) return std::bit_cast<float>(code);
    if (man == 0)
      return neg ? -std::numeric_limits<float>::infinity() : std::numeric_limits<float>::infinity();
    return std::bit_cast<float>((std::uint32_t{neg} << 31) | kQuietNaN | (man << (23 - M)));
  }
  if (t.kind == ElementKind::fn_float && mag == max_finite_code(t) + 1)
    return std::bit_cast<float>((std::uint32_t{neg} << 31) | kQuietNaN);

  const std::uint32_t sig = field ? (man | (1u << M)) : man;
  const int e = static_cast<int>(std::max(field, 1u)) - t.bias - static_cast<int>(M);
  const float v = to_float_scaled(static_cast<double>(sig), e + scale_exp);
  return neg ? -v : v;
}

}  // namespace hwlock::numfmt::detail
