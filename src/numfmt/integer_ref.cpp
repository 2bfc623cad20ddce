// Scalar reference codec for two's complement elements: q * 2^-f with f = man_bits. Serves int8 and
// int4 (f = 0, after division by the tensor scale), fixed point Qm.n and the MXINT8 element.
#include <bit>
#include <cmath>

#include "numfmt_internal.hpp"

namespace hwlock::numfmt::detail {

Encoded encode_twos_int(const ElementType& t, float x, int scale_exp, Rounding mode,
                        std::uint32_t random) noexcept {
  if (std::isnan(x)) return {0, kInvalid};
  const std::uint32_t mask = t.bits == 32 ? ~0u : (1u << t.bits) - 1;
  const std::uint64_t max_pos = (std::uint64_t{1} << (t.bits - 1)) - 1;
  const bool neg = std::signbit(x);
  const std::uint64_t limit = neg && !t.symmetric ? max_pos + 1 : max_pos;

  std::uint64_t n = limit;
  std::uint8_t flags = kInexact | kSaturated;
  if (!std::isinf(x)) {
    Magnitude m = magnitude(x);
    if (m.sig == 0) return {0, 0};
    m.exp -= scale_exp;
    const Rounded r = round_at(m, -static_cast<int>(t.man_bits), mode, random);
    if (r.n <= limit) {
      n = r.n;
      flags = r.inexact ? kInexact : 0;
      if (n == 0) flags |= kUnderflow;
    }
  }
  const std::uint64_t code = neg ? (~n + 1) : n;  // two's complement, truncated by the mask
  return {static_cast<std::uint32_t>(code) & mask, flags};
}

float decode_twos_int(const ElementType& t, std::uint32_t code, int scale_exp) noexcept {
  const std::uint32_t mask = t.bits == 32 ? ~0u : (1u << t.bits) - 1;
  code &= mask;
  std::int64_t q = code;
  if (code >> (t.bits - 1)) q -= std::int64_t{1} << t.bits;
  return to_float_scaled(static_cast<double>(q), scale_exp - static_cast<int>(t.man_bits));
}

}  // namespace hwlock::numfmt::detail
