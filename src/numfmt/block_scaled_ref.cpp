// Block-scaled formats: OCP MX (block 32, E8M0 scale) and block minifloat / BFP, which generalises
// MX to any element, block size and shared-exponent width. Follows the OCP MX v1.0 conversion:
// X = floor(log2(amax)) - emax_elem, elements = x / 2^X rounded and clamped to the element range.
#include <algorithm>
#include <bit>
#include <cmath>

#include "numfmt_internal.hpp"

namespace hwlock::numfmt::detail {

void quantize_block_scaled(std::span<const float> in, QuantizedTensor& q, QuantStats* stats) {
  const FormatSpec& s = q.spec;
  const std::size_t cols = q.shape.cols, bs = s.block_size;
  const std::size_t per_row = (cols + bs - 1) / bs;
  const int bias = (1 << (s.scale_bits - 1)) - 1;
  const auto nan_code = static_cast<std::uint8_t>((1u << s.scale_bits) - 1);
  const int emax = max_exponent(s.element);
  const bool sr = s.rounding == Rounding::stochastic;
  q.scale_codes.assign(q.shape.rows * per_row, nan_code);

  for (std::size_t r = 0; r < q.shape.rows; ++r) {
    for (std::size_t b = 0; b < per_row; ++b) {
      const std::size_t begin = r * cols + b * bs, end = r * cols + std::min(cols, (b + 1) * bs);
      bool nan_block = false;
      float amax = 0.0f;
      for (std::size_t i = begin; i < end; ++i) {
        if (!std::isfinite(in[i]))
          nan_block = true;
        else
          amax = std::max(amax, std::fabs(in[i]));
      }
      // floor(log2) straight from the exponent bits: exact where a float log2 can round up.
      // amax = 0 counts as 2^-126 like the OCP reference code; every element is then zero anyway.
      const int top = amax == 0.0f ? -126 : floor_log2(magnitude(amax));
      int x = top - emax;
      if (x > bias) nan_block = true;
      x = std::max(x, -bias);

      if (nan_block) {
        for (std::size_t i = begin; i < end; ++i) {
          q.codes[i] = 0;
          if (stats) stats->add(kInvalid);
        }
        continue;
      }
      q.scale_codes[r * per_row + b] = static_cast<std::uint8_t>(x + bias);
      for (std::size_t i = begin; i < end; ++i) {
        const Encoded e = encode_element_ref(s.element, in[i], x, s.rounding, true,
                                             sr ? stochastic_bits(s.seed, i) : 0);
        q.codes[i] = e.code;
        if (stats) stats->add(e.flags);
      }
    }
  }
}

void dequantize_block_scaled(const QuantizedTensor& q, std::span<float> out) {
  const FormatSpec& s = q.spec;
  const std::size_t cols = q.shape.cols, bs = s.block_size;
  const std::size_t per_row = (cols + bs - 1) / bs;
  const int bias = (1 << (s.scale_bits - 1)) - 1;
  const unsigned nan_code = (1u << s.scale_bits) - 1;
  for (std::size_t i = 0; i < out.size(); ++i) {
    const std::size_t r = i / cols, b = (i % cols) / bs;
    const unsigned code = q.scale_codes[r * per_row + b];
    out[i] = code >= nan_code
                 ? std::bit_cast<float>(0x7FC00000u)
                 : decode_element_ref(s.element, q.codes[i], static_cast<int>(code) - bias);
  }
}

}  // namespace hwlock::numfmt::detail
