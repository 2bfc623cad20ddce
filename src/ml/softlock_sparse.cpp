// The sparsity-aware soft lock: prune to the authorized spec, then fine-tune so that re-pruning
// to any denied spec destroys accuracy (objective in hwlock/ml/softlock_sparse.hpp).
#include <chrono>
#include <cmath>

#include "anticipated_hinge.hpp"
#include "hwlock/ml/softlock_sparse.hpp"
#include "hwlock/ml/train.hpp"
#include "lock_loop.hpp"
#include "torch_guard.hpp"

namespace hwlock::ml {
namespace {

using Clock = std::chrono::steady_clock;

Status check(const TensorDataset& train, const TensorDataset& test, const SparseLockOptions& o) {
  if (o.authorized.kind == SparsitySpec::Kind::dense)
    return fail(Errc::usage, "sparse lock: the authorized sparsity cannot be dense");
  if (o.epochs < 1 || o.batch_size < 1 || !(o.lr > 0) || !(o.lambda >= 0) ||
      o.anticipate_steps < 0 || !(o.anticipate_step_size >= 0))
    return fail(Errc::usage, "sparse lock: epochs, batch size and lr must be positive");
  if (train.size() == 0 || test.size() == 0)
    return fail(Errc::usage, "sparse lock: empty training or test set");
  return {};
}

// Every evaluated spec: the standard ones, then the authorized and requested denied ones if new.
std::vector<SparsitySpec> evaluated_specs(const SparseLockOptions& o) {
  auto specs = standard_sparsities();
  const auto add = [&](const SparsitySpec& s) {
    if (std::find(specs.begin(), specs.end(), s) == specs.end()) specs.push_back(s);
  };
  add(o.authorized);
  for (const auto& d : o.denied) add(d);
  return specs;
}

Result<std::vector<PatternAccuracy>> evaluate_all(Net& model,
                                                  const std::vector<SparsitySpec>& specs,
                                                  const SparseLockOptions& o,
                                                  const std::vector<SparsitySpec>& denied,
                                                  const TensorDataset& test) {
  std::vector<PatternAccuracy> out;
  for (const auto& s : specs) {
    PatternAccuracy p;
    p.pattern = to_string(s);
    p.authorized = s == o.authorized;
    HWLOCK_ASSIGN(const auto masks, sparsity_masks(model, s));
    p.compatible = masks_preserve(model, masks);
    p.denied = std::find(denied.begin(), denied.end(), s) != denied.end();
    HWLOCK_ASSIGN(p.accuracy, accuracy_at(model, s, test, o.threads));
    out.push_back(p);
  }
  return out;
}

// Adds lambda * mean_i relu(tau - CE_i(f(W * mask_D(W)))) for one denied spec to the gradients:
// the weights are swapped for their re-pruned copy, optionally moved by simulated attacker
// fine-tuning steps (sign-gradient steps at the denied pattern; first-order: the gradient at the
// moved point is applied to W), and the new gradient (masked, since the function is of W * mask)
// is added to what the gradients held before. Returns the batch-mean CE at D.
Result<double> denied_term(Net& model, const SparsitySpec& d, const torch::Tensor& x,
                           const torch::Tensor& y, double weight, const SparseLockOptions& o) {
  HWLOCK_ASSIGN(const auto masks, sparsity_masks(model, d));
  detail::HingeOptions h;
  h.tau = o.tau;
  h.weight = weight;
  h.attacker_steps = o.anticipate_steps;
  h.attacker_step_size = o.anticipate_step_size;
  Status applied;
  const double ce = detail::anticipated_hinge(
      model, x, y, h, [&] { applied = apply_masks(model, masks); },
      [&] {
        torch::NoGradGuard no_grad;
        for (auto& p : model.named_parameters())
          if (auto it = masks.find(p.key()); it != masks.end() && p.value().grad().defined())
            p.value().mutable_grad().mul_(it->second);
      });
  HWLOCK_TRY(applied);
  return ce;
}

}  // namespace

Result<SparseLockReport> sparse_lock(Net& model, const TensorDataset& train,
                                     const TensorDataset& test, const SparseLockOptions& o) {
  HWLOCK_TRY(check(train, test, o));
  return detail::guard("sparse lock", [&]() -> Result<SparseLockReport> {
    const auto start = Clock::now();
    set_threads(o.threads);
    torch::manual_seed(o.seed);
    SparseLockReport rep;
    HWLOCK_ASSIGN(rep.baseline_dense, accuracy_at(model, SparsitySpec{}, test, o.threads));
    HWLOCK_ASSIGN(const auto authorized, sparsity_masks(model, o.authorized));
    HWLOCK_TRY(apply_masks(model, authorized));
    HWLOCK_ASSIGN(rep.pruned_only, accuracy_at(model, o.authorized, test, o.threads));

    // Denied: the requested specs, or every evaluated one that re-pruning would change.
    const auto specs = evaluated_specs(o);
    std::vector<SparsitySpec> denied = o.denied;
    if (denied.empty())
      for (const auto& s : specs) {
        HWLOCK_ASSIGN(const auto m, sparsity_masks(model, s));
        if (!(s == o.authorized) && !masks_preserve(model, m)) denied.push_back(s);
      }
    HWLOCK_ASSIGN(rep.before, evaluate_all(model, specs, o, denied, test));

    const auto batch = [&](const torch::Tensor& x,
                           const torch::Tensor& y) -> Result<detail::LockBatchLosses> {
      const auto ce = torch::nn::functional::cross_entropy(model.forward(x), y);
      ce.backward();
      double ce_d = 0;
      for (const auto& d : denied) {
        HWLOCK_ASSIGN(
            const double v,
            denied_term(model, d, x, y, o.lambda / static_cast<double>(denied.size()), o));
        ce_d += v / static_cast<double>(denied.size());
      }
      torch::NoGradGuard no_grad;
      for (auto& prm : model.named_parameters())
        if (auto it = authorized.find(prm.key());
            it != authorized.end() && prm.value().grad().defined())
          prm.value().mutable_grad().mul_(it->second);
      return detail::LockBatchLosses{ce.item<double>(), ce_d};
    };
    HWLOCK_TRY(detail::lock_loop(
        model, train, {o.epochs, o.batch_size, o.lr, o.seed}, batch,
        [&] { return apply_masks(model, authorized); },  // projection onto the authorized pattern
        [&](const detail::LockLoopProgress& lp) {
          if (o.progress)
            o.progress(
                {lp.epoch, lp.epochs, lp.batch, lp.batches, lp.loss_authorized, lp.loss_denied});
        }));
    HWLOCK_ASSIGN(rep.after, evaluate_all(model, specs, o, denied, test));
    rep.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    return rep;
  });
}

}  // namespace hwlock::ml
