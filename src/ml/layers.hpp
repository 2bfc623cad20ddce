// Layer calls of the zoo that honour the model's emulated numerics (hwlock/ml/numerics.hpp): with
// none set they are exactly the libtorch module calls.
#pragma once

#include <torch/torch.h>

#include "hwlock/ml/models.hpp"

namespace hwlock::ml::detail {

using NumericsRef = Net::NumericsRef;

torch::Tensor linear(const NumericsRef& n, const torch::Tensor& x, torch::nn::Linear& layer);
torch::Tensor conv2d(const NumericsRef& n, const torch::Tensor& x, torch::nn::Conv2d& layer);
// a @ b where both reduce along a's last and b's second-to-last dimension (attention).
torch::Tensor matmul(const NumericsRef& n, const torch::Tensor& a, const torch::Tensor& b);

}  // namespace hwlock::ml::detail
