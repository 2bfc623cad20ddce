// int8/int4 with an fp32 scale per tensor or per channel (row), symmetric or affine.
//
// Everything is plain fp32 arithmetic in a fixed order (one division to scale, one multiply to
// dequantise) so other implementations can reproduce the bits; only the final integer rounding
// goes through the exact round_at primitive.
#include <algorithm>
#include <cmath>

#include "numfmt_internal.hpp"

namespace hwlock::numfmt::detail {

namespace {

struct Group {
  float scale = 1.0f;
  std::int32_t zero_point = 0;
};

Group choose_scale(std::span<const float> x, const FormatSpec& s) {
  const unsigned bits = s.element.bits;
  float lo = 0.0f, hi = 0.0f;  // the range always includes 0
  for (float v : x) {
    if (!std::isfinite(v)) continue;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  Group g;
  if (!s.affine) {
    g.scale = std::max(-lo, hi) / static_cast<float>((1u << (bits - 1)) - 1);
  } else {
    const auto qmax = static_cast<float>((1u << bits) - 1);
    const float range = hi - lo;
    // hi - lo can overflow for ranges near FLT_MAX; dividing first cannot.
    g.scale = std::isfinite(range) ? range / qmax : hi / qmax - lo / qmax;
  }
  if (!(g.scale > 0.0f)) g.scale = 1.0f;  // all zero, or the scale underflowed
  if (s.affine) {
    const Rounded r = round_at(magnitude(-lo / g.scale), 0, Rounding::nearest_even, 0);
    g.zero_point = static_cast<std::int32_t>(std::min<std::uint64_t>(r.n, (1u << bits) - 1));
  }
  return g;
}

Encoded encode_affine(float v, std::int32_t zp, unsigned bits, Rounding mode,
                      std::uint32_t random) {
  if (std::isnan(v)) return {static_cast<std::uint32_t>(zp), kInvalid};
  const std::int64_t qmax = (std::int64_t{1} << bits) - 1;
  std::int64_t q = std::signbit(v) ? 0 : qmax;
  std::uint8_t flags = kInexact | kSaturated;
  if (!std::isinf(v)) {
    const Rounded r = round_at(magnitude(v), 0, mode, random);
    const auto n = static_cast<std::int64_t>(r.n);
    const std::int64_t t = (std::signbit(v) ? -n : n) + zp;
    q = std::clamp<std::int64_t>(t, 0, qmax);
    flags = q != t ? kInexact | kSaturated : r.inexact ? kInexact : 0;
    if (q == zp && v != 0.0f) flags |= kUnderflow;
  }
  return {static_cast<std::uint32_t>(q), flags};
}

}  // namespace

void quantize_tensor_scaled(std::span<const float> in, QuantizedTensor& q, QuantStats* stats) {
  const FormatSpec& s = q.spec;
  const bool per_channel = s.granularity == Granularity::per_channel;
  const std::size_t groups = per_channel ? q.shape.rows : 1;
  const std::size_t len = per_channel ? q.shape.cols : in.size();
  q.scales.assign(groups, 1.0f);
  q.zero_points.assign(s.affine ? groups : 0, 0);
  const bool sr = s.rounding == Rounding::stochastic;

  for (std::size_t g = 0; g < groups; ++g) {
    const std::span<const float> x = in.subspan(g * len, len);
    const Group grp = choose_scale(x, s);
    q.scales[g] = grp.scale;
    if (s.affine) q.zero_points[g] = grp.zero_point;
    for (std::size_t j = 0; j < len; ++j) {
      const std::size_t i = g * len + j;
      const float v = x[j] / grp.scale;
      const std::uint32_t rnd = sr ? stochastic_bits(s.seed, i) : 0;
      const Encoded e = s.affine ? encode_affine(v, grp.zero_point, s.element.bits, s.rounding, rnd)
                                 : encode_element_ref(s.element, v, 0, s.rounding, true, rnd);
      q.codes[i] = e.code;
      if (stats) stats->add(e.flags);
    }
  }
}

void dequantize_tensor_scaled(const QuantizedTensor& q, std::span<float> out) {
  const FormatSpec& s = q.spec;
  const bool per_channel = s.granularity == Granularity::per_channel;
  const std::size_t len = per_channel ? q.shape.cols : out.size();
  const std::uint32_t mask = (1u << s.element.bits) - 1;
  for (std::size_t i = 0; i < out.size(); ++i) {
    const std::size_t g = per_channel && len ? i / len : 0;
    const float level =
        s.affine
            ? static_cast<float>(static_cast<std::int64_t>(q.codes[i] & mask) - q.zero_points[g])
            : decode_element_ref(s.element, q.codes[i]);
    out[i] = level * q.scales[g];
  }
}

}  // namespace hwlock::numfmt::detail
