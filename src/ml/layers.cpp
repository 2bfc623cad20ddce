// Linear, Conv2d and matmul with the weights, inputs and outputs fake-quantised as the model's
// numerics say.
#include "layers.hpp"

namespace hwlock::ml::detail {
namespace {

torch::Tensor maybe(const std::optional<numfmt::FormatSpec>& spec, const torch::Tensor& x,
                    QuantLayout layout) {
  return spec ? fake_quantize(x, *spec, layout) : x;
}

// The weight as the device holds it: N:M-pruned (if the numerics say so), then fake-quantised.
torch::Tensor weight(const Numerics& num, const torch::Tensor& w) {
  const torch::Tensor pruned = num.weight_sparsity ? nm_prune(w, *num.weight_sparsity) : w;
  return maybe(num.weights, pruned, QuantLayout::weight);
}

}  // namespace

torch::Tensor linear(const NumericsRef& n, const torch::Tensor& x, torch::nn::Linear& layer) {
  if (!n || !*n || (*n)->native()) return layer->forward(x);
  const Numerics& num = **n;
  auto y = torch::linear(maybe(num.activations, x, QuantLayout::sequence),
                         weight(num, layer->weight), layer->bias);
  return maybe(num.accumulator, y, QuantLayout::sequence);
}

torch::Tensor conv2d(const NumericsRef& n, const torch::Tensor& x, torch::nn::Conv2d& layer) {
  if (!n || !*n || (*n)->native()) return layer->forward(x);
  const Numerics& num = **n;
  const auto& o = layer->options;
  TORCH_CHECK(c10::holds_alternative<torch::enumtype::kZeros>(o.padding_mode()),
              "emulated numerics support zero-padded convolutions only");
  namespace F = torch::nn::functional;
  auto y = F::conv2d(maybe(num.activations, x, QuantLayout::activation), weight(num, layer->weight),
                     F::Conv2dFuncOptions()
                         .bias(layer->bias)
                         .stride(o.stride())
                         .padding(o.padding())
                         .dilation(o.dilation())
                         .groups(o.groups()));
  return maybe(num.accumulator, y, QuantLayout::activation);
}

torch::Tensor matmul(const NumericsRef& n, const torch::Tensor& a, const torch::Tensor& b) {
  if (!n || !*n || (*n)->native()) return torch::matmul(a, b);
  const Numerics& num = **n;
  // b reduces along its second-to-last dimension: quantise it with that dimension last.
  auto bq = maybe(num.activations, b.transpose(-2, -1), QuantLayout::sequence).transpose(-2, -1);
  auto y = torch::matmul(maybe(num.activations, a, QuantLayout::sequence), bq);
  return maybe(num.accumulator, y, QuantLayout::sequence);
}

}  // namespace hwlock::ml::detail
