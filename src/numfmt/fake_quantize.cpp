// Fast-path dispatch: the CPU is probed once; anything without a kernel runs the reference.
#include <algorithm>

#include "hwlock/cpu.hpp"
#include "numfmt_internal.hpp"

namespace hwlock::numfmt {

Isa detected_isa() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  const auto& f = fingerprint::host_cpu_features();
  return f.x86_avx2 && f.x86_fma && f.x86_f16c ? Isa::avx2_f16c : Isa::scalar;
#else
  return Isa::scalar;
#endif
}

namespace {

bool has_kernel(Format f) {
  switch (f) {
    case Format::bf16:
    case Format::fp16:
    case Format::int8:
    case Format::mxint8:
    case Format::fp8_e4m3:
      return true;
    default:
      return false;
  }
}

}  // namespace

Status fake_quantize(const FormatSpec& spec, std::span<const float> in, std::span<float> out,
                     TensorShape shape, QuantStats* stats, Isa isa) {
  isa = std::min(isa, detected_isa());
  const bool kernel = isa == Isa::avx2_f16c && stats == nullptr && has_kernel(spec.format) &&
                      spec == default_spec(spec.format) && in.size() == out.size() &&
                      in.size() == shape.size() &&
                      (shape.cols == 0 || shape.rows <= in.size() / shape.cols);
  if (!kernel) return fake_quantize_ref(spec, in, out, shape, stats);
  std::size_t done = 0;
#if defined(__x86_64__) || defined(__i386__)
  switch (spec.format) {
    case Format::bf16:
      done = detail::fake_quantize_bf16_avx2(in.data(), out.data(), in.size());
      break;
    case Format::fp16:
      done = detail::fake_quantize_fp16_f16c(in.data(), out.data(), in.size());
      break;
    case Format::int8:
      detail::fake_quantize_int8_avx2(in.data(), out.data(), in.size());
      return {};
    case Format::mxint8:
      if (!in.empty())  // rows x 0 tensors: nothing to do, however many rows
        detail::fake_quantize_mxint8_avx2(in.data(), out.data(), shape.rows, shape.cols);
      return {};
    case Format::fp8_e4m3:
      detail::fake_quantize_fp8_e4m3_avx2(in.data(), out.data(), in.size());
      return {};
    default:
      break;
  }
#endif
  for (std::size_t i = done; i < in.size(); ++i)
    out[i] = decode_element_ref(spec.element, encode_element_ref(spec.element, in[i]).code);
  return {};
}

}  // namespace hwlock::numfmt
