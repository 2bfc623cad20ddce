// The denied term of the soft locks with simulated attacker steps (src/ml/anticipated_hinge.hpp).
#include "anticipated_hinge.hpp"

#include <vector>

namespace hwlock::ml::detail {

double anticipated_hinge(Net& model, const torch::Tensor& x, const torch::Tensor& y,
                         const HingeOptions& o, const std::function<void()>& enter,
                         const std::function<void()>& mask_grads) {
  namespace F = torch::nn::functional;
  auto params = model.named_parameters();
  std::vector<torch::Tensor> saved_w, saved_g;
  {
    torch::NoGradGuard no_grad;
    for (auto& p : params) {
      saved_w.push_back(p.value().clone());
      saved_g.push_back(p.value().grad().defined() ? p.value().grad().clone()
                                                   : torch::zeros_like(p.value()));
      if (p.value().grad().defined()) p.value().mutable_grad().zero_();
    }
  }
  if (enter) enter();
  const auto constrain = [&] {
    if (mask_grads) mask_grads();
  };
  for (int k = 0; k < o.attacker_steps; ++k) {
    F::cross_entropy(model.forward(x), y).backward();
    constrain();
    torch::NoGradGuard no_grad;
    for (auto& p : params)
      if (p.value().grad().defined()) {
        p.value().sub_(p.value().grad().sign() * o.attacker_step_size);
        p.value().mutable_grad().zero_();
      }
  }
  const auto ce =
      F::cross_entropy(model.forward(x), y, F::CrossEntropyFuncOptions().reduction(torch::kNone));
  const auto term =
      o.weight * (o.per_example ? torch::relu(o.tau - ce).mean() : torch::relu(o.tau - ce.mean()));
  if (term.item<double>() > 0) term.backward();
  constrain();
  torch::NoGradGuard no_grad;
  std::size_t i = 0;
  for (auto& p : params) {
    auto& g = p.value().mutable_grad();
    if (g.defined())
      g.add_(saved_g[i]);
    else
      g = saved_g[i];
    p.value().copy_(saved_w[i]);
    ++i;
  }
  return ce.mean().item<double>();
}

}  // namespace hwlock::ml::detail
