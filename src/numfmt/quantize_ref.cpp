// Reference tensor driver: checks the request, then runs the unscaled, tensor-scaled or
// block-scaled quantiser.
#include <limits>
#include <string>

#include "numfmt_internal.hpp"

namespace hwlock::numfmt {

namespace {

Status check_shape(TensorShape shape, std::size_t n, const char* what) {
  if (shape.cols != 0 && shape.rows > std::numeric_limits<std::size_t>::max() / shape.cols)
    return fail(Errc::internal, "numfmt: shape overflows size_t");
  if (shape.size() != n)
    return fail(Errc::internal, std::string("numfmt: ") + what + " has " + std::to_string(n) +
                                    " elements but the shape is " + std::to_string(shape.rows) +
                                    " x " + std::to_string(shape.cols));
  return {};
}

}  // namespace

Result<QuantizedTensor> quantize_ref(const FormatSpec& spec, std::span<const float> in,
                                     TensorShape shape, QuantStats* stats) {
  HWLOCK_TRY(validate(spec));
  HWLOCK_TRY(check_shape(shape, in.size(), "input"));
  QuantizedTensor q;
  q.spec = spec;
  q.shape = shape;
  q.codes.resize(in.size());
  switch (traits(spec.format).scaling) {
    case Scaling::none: {
      const bool sr = spec.rounding == Rounding::stochastic;
      for (std::size_t i = 0; i < in.size(); ++i) {
        const Encoded e = encode_element_ref(spec.element, in[i], 0, spec.rounding, spec.saturate,
                                             sr ? stochastic_bits(spec.seed, i) : 0);
        q.codes[i] = e.code;
        if (stats) stats->add(e.flags);
      }
      break;
    }
    case Scaling::tensor:
      detail::quantize_tensor_scaled(in, q, stats);
      break;
    case Scaling::block:
      detail::quantize_block_scaled(in, q, stats);
      break;
  }
  return q;
}

Status dequantize_ref(const QuantizedTensor& q, std::span<float> out) {
  HWLOCK_TRY(validate(q.spec));
  HWLOCK_TRY(check_shape(q.shape, q.codes.size(), "codes"));
  HWLOCK_TRY(check_shape(q.shape, out.size(), "output"));
  const Scaling scaling = traits(q.spec.format).scaling;
  const std::size_t groups = group_count(q.spec, q.shape);
  const bool scales_ok =
      scaling == Scaling::tensor
          ? q.scales.size() == groups && q.zero_points.size() == (q.spec.affine ? groups : 0)
          : scaling != Scaling::block || q.scale_codes.size() == groups;
  if (!scales_ok)
    return fail(Errc::internal,
                "numfmt: scale count does not match the shape and format " + format_name(q.spec));
  switch (scaling) {
    case Scaling::none:
      for (std::size_t i = 0; i < out.size(); ++i)
        out[i] = decode_element_ref(q.spec.element, q.codes[i]);
      break;
    case Scaling::tensor:
      detail::dequantize_tensor_scaled(q, out);
      break;
    case Scaling::block:
      detail::dequantize_block_scaled(q, out);
      break;
  }
  return {};
}

Status fake_quantize_ref(const FormatSpec& spec, std::span<const float> in, std::span<float> out,
                         TensorShape shape, QuantStats* stats) {
  HWLOCK_TRY(check_shape(shape, out.size(), "output"));
  HWLOCK_ASSIGN(const QuantizedTensor q, quantize_ref(spec, in, shape, stats));
  return dequantize_ref(q, out);
}

}  // namespace hwlock::numfmt
