// Scalar reference codec for log8: code = S.LLLLLLL, |value| = 2^((L - 64) / 8) for L in 1..127,
// L = 0 is zero, 0x80 (negative zero) is the only NaN; no infinity, always saturating.
//
// The representable magnitudes are fixed fp32 numbers (2^(j/8) correctly rounded, times a power of
// two), and encoding rounds to the nearest of them in the LINEAR domain like every other format
// here, so fake quantisation is "nearest representable value" everywhere. All comparisons below are
// exact in double: neighbours are fp32 values within a factor 2^(1/8) of each other.
#include <algorithm>
#include <array>
#include <bit>
#include <cmath>

#include "numfmt_internal.hpp"

namespace hwlock::numfmt::detail {

namespace {

constexpr std::array<float, 8> kRoot8{0x1p+0f,        0x1.172b84p+0f, 0x1.306fe0p+0f,
                                      0x1.4bfdaep+0f, 0x1.6a09e6p+0f, 0x1.8ace54p+0f,
                                      0x1.ae89fap+0f, 0x1.d5818ep+0f};  // fp32(2^(j/8))

constexpr std::array<float, 128> make_magnitudes() {
  std::array<float, 128> mag{};
  for (int l = 1; l < 128; ++l) {
    const int k = l - 64;
    const int whole = k >= 0 ? k / 8 : -((-k + 7) / 8);
    float v = kRoot8[static_cast<std::size_t>(k - whole * 8)];
    for (int i = 0; i < whole; ++i) v *= 2.0f;
    for (int i = 0; i > whole; --i) v *= 0.5f;
    mag[static_cast<std::size_t>(l)] = v;
  }
  return mag;
}
constexpr std::array<float, 128> kMagnitude = make_magnitudes();

}  // namespace

Encoded encode_log(const ElementType& /*t*/, float x, int scale_exp, Rounding mode,
                   std::uint32_t random) noexcept {
  if (std::isnan(x)) return {0x80, 0};
  const std::uint32_t sign = std::signbit(x) ? 0x80u : 0u;
  if (std::isinf(x)) return {sign | 127u, kInexact | kSaturated};
  const double v = std::ldexp(static_cast<double>(std::fabs(x)), -scale_exp);
  if (v == 0) return {0, 0};
  if (v >= kMagnitude[127]) {
    if (v == kMagnitude[127]) return {sign | 127u, 0};
    return {sign | 127u, kInexact | kSaturated};
  }
  // Largest L with magnitude(L) <= v; v < magnitude(127) so L + 1 exists.
  const auto it = std::upper_bound(kMagnitude.begin(), kMagnitude.end(), v,
                                   [](double a, float b) { return a < static_cast<double>(b); });
  auto l = static_cast<std::uint32_t>(it - kMagnitude.begin() - 1);
  const double lo = kMagnitude[l], hi = kMagnitude[l + 1];
  if (v == lo) return {l == 0 ? 0 : sign | l, 0};

  bool up = false;
  switch (mode) {
    case Rounding::nearest_even: {
      const double mid = (lo + hi) / 2;
      up = v > mid || (v == mid && (l & 1));
      break;
    }
    case Rounding::toward_zero:
      break;
    case Rounding::stochastic: {
      const double frac = (v - lo) / (hi - lo);
      up = random < static_cast<std::uint64_t>(std::floor(std::ldexp(frac, 32)));
      break;
    }
  }
  l += up ? 1 : 0;
  if (l == 0) return {0, kInexact | kUnderflow};
  return {sign | l, kInexact};
}

float decode_log(const ElementType& /*t*/, std::uint32_t code, int scale_exp) noexcept {
  code &= 0xFF;
  const std::uint32_t l = code & 0x7F;
  if (l == 0) return code == 0x80 ? std::bit_cast<float>(0x7FC00000u) : 0.0f;
  const float v = to_float_scaled(kMagnitude[l], scale_exp);
  return code & 0x80 ? -v : v;
}

}  // namespace hwlock::numfmt::detail
