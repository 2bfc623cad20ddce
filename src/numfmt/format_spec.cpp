// FormatSpec validation and the shape arithmetic shared by the tensor quantisers.
#include <limits>
#include <string>

#include "numfmt_internal.hpp"

namespace hwlock::numfmt {

namespace {
Error bad(const FormatSpec& s, const std::string& why) {
  const std::size_t i = static_cast<std::size_t>(s.format);
  const std::string name = i < kFormatCount ? std::string(kFormats[i].name) : "?";
  return fail(Errc::usage, "numfmt: format '" + name + "': " + why);
}
}  // namespace

Status validate(const FormatSpec& s) {
  if (static_cast<std::size_t>(s.format) >= kFormatCount)
    return fail(Errc::usage,
                "numfmt: unknown format id " + std::to_string(static_cast<unsigned>(s.format)));
  const FormatTraits& t = traits(s.format);
  const ElementType& el = s.element;

  if (s.format == Format::bfp) {
    const bool ok = el.kind == ElementKind::finite_float && el.exp_bits <= 5 && el.man_bits <= 10 &&
                    el.exp_bits + el.man_bits >= 1 &&
                    el == minifloat_element(el.exp_bits, el.man_bits);
    if (!ok) return bad(s, "element must be eXmY with X <= 5, Y <= 10, X + Y >= 1");
    if (s.block_size < 1 || s.block_size > 4096) return bad(s, "block size must be 1..4096");
    if (s.scale_bits < 2 || s.scale_bits > 8) return bad(s, "shared exponent bits must be 2..8");
  } else if (s.format == Format::fixed) {
    const unsigned n = el.man_bits;
    const bool ok = el.kind == ElementKind::twos_int && el.bits >= 2 && el.bits <= 32 &&
                    n <= el.bits - 1u && el == fixed_element(el.bits - 1u - n, n);
    if (!ok) return bad(s, "Qm.n needs 1 + m + n in 2..32");
  } else {
    if (el != t.element) return bad(s, "element type differs from the format table");
    if (s.block_size != t.block_size || s.scale_bits != t.scale_bits)
      return bad(s, "block size and scale bits are fixed for this format");
  }
  if (!is_valid(el)) return bad(s, "invalid element type");
  if (!t.has_saturate_option && s.saturate != t.saturate_default)
    return bad(s, "overflow policy is fixed for this format");
  if (t.scaling != Scaling::tensor && (s.granularity != Granularity::per_tensor || s.affine))
    return bad(s, "per-channel and affine apply to int8/int4 only");
  if (s.rounding != Rounding::nearest_even && s.rounding != Rounding::toward_zero &&
      s.rounding != Rounding::stochastic)
    return bad(s, "unknown rounding mode");
  if (s.rounding != Rounding::stochastic && s.seed != 0)
    return bad(s, "a seed needs stochastic rounding");
  if (s.granularity != Granularity::per_tensor && s.granularity != Granularity::per_channel)
    return bad(s, "unknown granularity");
  return {};
}

double storage_bits_per_element(const FormatSpec& spec) {
  double bits = spec.element.bits;
  if (is_block_scaled(spec.format) && spec.block_size > 0)
    bits += static_cast<double>(spec.scale_bits) / spec.block_size;
  return bits;
}

std::size_t group_count(const FormatSpec& spec, TensorShape shape) {
  switch (traits(spec.format).scaling) {
    case Scaling::none:
      return 0;
    case Scaling::tensor:
      return spec.granularity == Granularity::per_channel ? shape.rows : 1;
    case Scaling::block:
      return spec.block_size == 0
                 ? 0
                 : shape.rows * ((shape.cols + spec.block_size - 1) / spec.block_size);
  }
  return 0;
}

void QuantStats::add(std::uint8_t flags) noexcept {
  inexact += (flags & kInexact) != 0;
  underflow += (flags & kUnderflow) != 0;
  saturated += (flags & kSaturated) != 0;
  overflow += (flags & kOverflow) != 0;
  invalid += (flags & kInvalid) != 0;
}

}  // namespace hwlock::numfmt
