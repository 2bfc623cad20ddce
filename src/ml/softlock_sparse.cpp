// The sparsity-aware soft lock: prune to the authorized spec, then fine-tune so that re-pruning
// to any denied spec destroys accuracy (objective in hwlock/ml/softlock_sparse.hpp).
#include <chrono>
#include <cmath>
#include <numbers>

#include "hwlock/ml/softlock_sparse.hpp"
#include "hwlock/ml/train.hpp"
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
  namespace F = torch::nn::functional;
  HWLOCK_ASSIGN(const auto masks, sparsity_masks(model, d));
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
  HWLOCK_TRY(apply_masks(model, masks));
  const auto mask_grads = [&] {
    torch::NoGradGuard no_grad;
    for (auto& p : params)
      if (auto it = masks.find(p.key()); it != masks.end() && p.value().grad().defined())
        p.value().mutable_grad().mul_(it->second);
  };
  for (int k = 0; k < o.anticipate_steps; ++k) {
    F::cross_entropy(model.forward(x), y).backward();
    mask_grads();
    torch::NoGradGuard no_grad;
    for (auto& p : params)
      if (p.value().grad().defined()) {
        p.value().sub_(p.value().grad().sign() * o.anticipate_step_size);
        p.value().mutable_grad().zero_();
      }
  }
  const auto ce =
      F::cross_entropy(model.forward(x), y, F::CrossEntropyFuncOptions().reduction(torch::kNone));
  const auto term = weight * torch::relu(o.tau - ce).mean();
  if (term.item<double>() > 0) term.backward();
  mask_grads();
  torch::NoGradGuard no_grad;
  std::size_t i = 0;
  for (auto& p : params) {
    auto& g = p.value().mutable_grad();
    if (g.defined()) g.add_(saved_g[i]);
    p.value().copy_(saved_w[i]);
    ++i;
  }
  return ce.mean().item<double>();
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

    torch::optim::Adam opt(model.parameters(), torch::optim::AdamOptions(o.lr));
    const std::int64_t n = train.size();
    const std::int64_t batches = (n + o.batch_size - 1) / o.batch_size;
    const double total = static_cast<double>(batches * o.epochs);
    std::int64_t step = 0;
    model.train();
    for (int epoch = 1; epoch <= o.epochs; ++epoch) {
      const auto perm_vec = seeded_permutation(n, o.seed + static_cast<std::uint64_t>(epoch));
      const auto perm = torch::tensor(torch::ArrayRef<std::int64_t>(perm_vec), torch::kInt64);
      SparseLockProgress p{epoch, o.epochs, 0, batches, 0, 0};
      double sum_a = 0, sum_d = 0;
      for (std::int64_t b = 0; b < batches; ++b, ++step) {
        const double lr =
            o.lr * 0.5 * (1 + std::cos(std::numbers::pi * static_cast<double>(step) / total));
        for (auto& g : opt.param_groups()) g.options().set_lr(lr);
        const auto idx =
            perm.narrow(0, b * o.batch_size, std::min(o.batch_size, n - b * o.batch_size));
        const auto x = train.images.index_select(0, idx), y = train.labels.index_select(0, idx);
        opt.zero_grad();
        const auto ce = torch::nn::functional::cross_entropy(model.forward(x), y);
        ce.backward();
        double ce_d = 0;
        for (const auto& d : denied) {
          HWLOCK_ASSIGN(
              const double v,
              denied_term(model, d, x, y, o.lambda / static_cast<double>(denied.size()), o));
          ce_d += v / static_cast<double>(denied.size());
        }
        {
          torch::NoGradGuard no_grad;
          for (auto& prm : model.named_parameters())
            if (auto it = authorized.find(prm.key());
                it != authorized.end() && prm.value().grad().defined())
              prm.value().mutable_grad().mul_(it->second);
        }
        opt.step();
        HWLOCK_TRY(apply_masks(model, authorized));  // projection onto the authorized pattern
        sum_a += ce.item<double>();
        sum_d += ce_d;
        p.batch = b + 1;
        p.loss_authorized = sum_a / static_cast<double>(b + 1);
        p.loss_denied = sum_d / static_cast<double>(b + 1);
        if (o.progress) o.progress(p);
      }
    }
    HWLOCK_ASSIGN(rep.after, evaluate_all(model, specs, o, denied, test));
    rep.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    return rep;
  });
}

}  // namespace hwlock::ml
