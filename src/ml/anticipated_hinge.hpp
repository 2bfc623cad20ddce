// The denied term shared by both soft locks, optionally evaluated after simulated attacker steps
// (private to ml/).
#pragma once

#include <torch/torch.h>

#include <functional>

#include "hwlock/ml/models.hpp"

namespace hwlock::ml::detail {

struct HingeOptions {
  double tau = 2.3;         // push each example's cross-entropy to at least this
  double weight = 1;        // the term's factor (lambda, divided among the denied settings)
  bool per_example = true;  // mean_i relu(tau - CE_i); false: relu(tau - mean_i CE_i)
  int attacker_steps = 0;   // simulated attacker sign-gradient steps before the hinge
  double attacker_step_size = 0.01;
};

// Adds the gradient of weight * hinge(CE(model(x), y)) to the model's current gradients, with the
// model in the denied setting: `enter` puts it there (after the parameters are saved: it may edit
// them, e.g. re-prune), `mask_grads` (may be empty) constrains every gradient computed in it (e.g.
// to a sparsity pattern). With attacker_steps > 0 the parameters are first moved by that many
// sign-gradient steps on plain CE, as an attacker fine-tuning in the denied setting would, and the
// hinge's gradient at the moved point is applied to the original parameters (first order). The
// parameters and their prior gradients are restored; the caller restores any other state `enter`
// changed. Returns the denied setting's batch-mean CE at the (moved) point.
double anticipated_hinge(Net& model, const torch::Tensor& x, const torch::Tensor& y,
                         const HingeOptions& o, const std::function<void()>& enter,
                         const std::function<void()>& mask_grads);

}  // namespace hwlock::ml::detail
