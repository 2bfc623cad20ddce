// Runs an experiment on a caller's model and puts its parameters back afterwards (private to ml/).
#pragma once

#include <torch/torch.h>

#include <utility>
#include <vector>

#include "hwlock/ml/models.hpp"

namespace hwlock::ml::detail {

// Calls f(), then restores every parameter of `model` to its value before the call (also when
// f returns an error; exceptions propagate to the caller's guard).
template <class F>
auto with_parameters_restored(Net& model, F&& f) {
  std::vector<std::pair<torch::Tensor, torch::Tensor>> saved;
  {
    torch::NoGradGuard no_grad;
    for (auto& p : model.parameters()) saved.emplace_back(p, p.clone());
  }
  auto result = f();
  torch::NoGradGuard no_grad;
  for (auto& [p, copy] : saved) p.copy_(copy);
  return result;
}

}  // namespace hwlock::ml::detail
